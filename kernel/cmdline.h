/* SPDX-License-Identifier: MIT */
/*
 * cmdline.h - kernel command-line options.
 *
 * Each option is declared next to the code it configures, with
 *   early_param("loglevel", set_loglevel);     -> "loglevel=N"
 *   flag_param("poweroff", &poweroff_wanted);   -> "poweroff"
 * and lands in the .cmdline_opts section, so parse_cmdline() can find them
 * all and name the first word that matches none.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/types.h"
#include "kernel/compiler.h"

struct cmdline_opt {
	const char *name;
	/* value is NULL for a bare word; returns false if the value is bad */
	bool (*set)(const char *value);
	bool *flag;		/* for flag_param */
};

#define __cmdline_opt(id, n, fn, fl)					\
	static const struct cmdline_opt __cmdline_##id			\
	__used __section(".cmdline_opts") __aligned(4) = { n, fn, fl }
#define early_param(n, fn)	__cmdline_opt(fn, n, fn, NULL)
#define flag_param(n, var)	__cmdline_opt(var, n, NULL, &var)

extern char boot_command_line[256];

/* Parse the multiboot command line; on a bad option, print why and halt. */
void parse_cmdline(const char *raw);

#endif
