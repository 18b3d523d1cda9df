/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - split the boot command line into options and apply them.
 *
 * Under QEMU's -kernel the multiboot command line starts with the kernel's
 * own path ("build/kernel.elf test=all"); GRUB passes only the arguments.
 * A first word that looks like a path (has a '/' or ends in ".elf") is
 * skipped. Every other word must name a registered option: an unknown one
 * is a user error, reported by name, and the kernel halts rather than run
 * a configuration nobody asked for.
 */
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/panic.h"

char boot_command_line[256];

extern const struct cmdline_opt __start_cmdline_opts[], __stop_cmdline_opts[];

static bool looks_like_path(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == '/')
			return true;
	return n > 4 && !strncmp(w + n - 4, ".elf", 4);
}

static void apply(const char *w, size_t n)
{
	char word[1024];	/* test= takes a list of suite.case names */
	const char *eq;
	size_t name_len;

	if (n >= sizeof(word)) {
		printk(KERN_ERR "kmaplab: command-line option '%.*s...' is too long; halting.\n", 40, w);
		machine_halt(EXIT_FATAL);
	}
	memcpy(word, w, n);
	word[n] = 0;
	eq = strchr(word, '=');
	name_len = eq ? (size_t)(eq - word) : n;

	for (const struct cmdline_opt *o = __start_cmdline_opts; o < __stop_cmdline_opts; o++) {
		if (strlen(o->name) != name_len || strncmp(o->name, word, name_len))
			continue;
		if (o->flag && !eq) {
			*o->flag = true;
			return;
		}
		if (o->set && o->set(eq ? eq + 1 : NULL))
			return;
		printk(KERN_ERR "kmaplab: bad value in command-line option '%s'; halting.\n", word);
		machine_halt(EXIT_FATAL);
	}
	printk(KERN_ERR "kmaplab: unknown command-line option '%s'; halting.\n", word);
	machine_halt(EXIT_FATAL);
}

void parse_cmdline(const char *raw)
{
	const char *p = raw;
	bool first = true;

	strlcpy(boot_command_line, raw ? raw : "", sizeof(boot_command_line));
	if (!raw)
		return;
	while (*p) {
		const char *w;
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		n = p - w;
		if (!n)
			break;
		if (first && looks_like_path(w, n)) {
			first = false;
			continue;
		}
		first = false;
		apply(w, n);
	}
}

static bool set_loglevel(const char *v)
{
	unsigned long l;

	if (!v || !parse_ulong(v, strlen(v), &l) || l > 8)
		return false;
	console_loglevel = l;
	return true;
}
early_param("loglevel", set_loglevel);
