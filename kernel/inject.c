/* SPDX-License-Identifier: MIT */
/*
 * inject.c - the inject=NAME command-line option (see kernel/inject.h).
 *
 *   inject=no_wrap_flush     boot with that one mechanism broken
 *   inject=list              print the injections and stop
 *
 * Only the injection build (build/kernel-inject.elf) carries the broken
 * variants. The ordinary kernel knows the names too, so that it can say
 * where to find them instead of calling the option unknown.
 */
#include "kernel/inject.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/panic.h"
#include "arch/x86/io.h"

static const struct {
	const char *name;
	const char *what;
} inject_table[INJ_COUNT] = {
	[INJ_NONE] = { "none", "nothing broken" },
#define __INJ_ROW(n, d) [INJ_##n] = { #n, d },
	INJECTIONS(__INJ_ROW)
#undef __INJ_ROW
};

#ifdef CONFIG_KMAP_INJECT
enum inject_id injected;
#endif
static enum inject_id inject_asked;
static bool inject_list_asked;

/* Names are written in lower case on the command line. */
static bool name_is(const char *table_name, const char *v)
{
	for (; *table_name && *v; table_name++, v++) {
		char c = *table_name;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *v)
			return false;
	}
	return !*table_name && !*v;
}

static bool set_inject(const char *v)
{
	if (!v)
		return false;
	if (!strcmp(v, "list")) {
		inject_list_asked = true;
		return true;
	}
	for (int i = 0; i < INJ_COUNT; i++) {
		if (name_is(inject_table[i].name, v)) {
			inject_asked = (enum inject_id)i;
			return true;
		}
	}
	printk(KERN_ERR "kmaplab: unknown injection '%s'; inject=list names them\n", v);
	return false;
}
early_param("inject", set_inject);

static const char *lower_name(enum inject_id id, char *buf, size_t size)
{
	size_t n = strlcpy(buf, inject_table[id].name, size);

	for (size_t j = 0; j < n && j < size; j++)
		if (buf[j] >= 'A' && buf[j] <= 'Z')
			buf[j] = (char)(buf[j] - 'A' + 'a');
	return buf;
}

void inject_announce(void)
{
	char name[40];

	if (inject_list_asked) {
		printk(KERN_INFO "injections (inject=NAME; only in build/kernel-inject.elf):\n");
		for (int i = 1; i < INJ_COUNT; i++)
			printk(KERN_INFO "  %-30s %s\n", lower_name((enum inject_id)i, name, sizeof(name)),
			       inject_table[i].what);
		machine_halt(EXIT_PASS);
	}
	if (inject_asked == INJ_NONE)
		return;
#ifdef CONFIG_KMAP_INJECT
	injected = inject_asked;
	printk(KERN_WARNING "kmaplab: inject=%s: %s (a bug put in on purpose)\n",
	       lower_name(injected, name, sizeof(name)), inject_table[injected].what);
#else
	(void)name;
	printk(KERN_ERR "kmaplab: inject= needs the injection build: boot build/kernel-inject.elf (make run and make run-kernel do when ARGS has inject=); halting.\n");
	machine_halt(EXIT_FATAL);
#endif
}
