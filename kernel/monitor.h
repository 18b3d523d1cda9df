/* SPDX-License-Identifier: MIT */
/*
 * monitor.h - the kmaplab> monitor: what its command files share.
 *
 * kernel/monitor.c reads and edits lines and calls a command; the
 * commands live in kernel/monitor_mem.c (memory, the pool, the slots, page
 * tables) and kernel/monitor_sys.c (tasks, CPUs, interrupts, the log, the
 * test runner, the machine). A command gets the words after its name and
 * answers with mon_printf(); a bad argument is one line that names the
 * command and the word, e.g. "kmap: 0x999999999 is not a RAM pfn".
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include "kernel/types.h"
#include "kernel/compiler.h"

#define MON_MAX_ARGS	4

struct mon_cmd {
	const char *name;
	const char *args;	/* for help: "PFN [CPU]" */
	const char *help;	/* one line */
	int min_args, max_args;
	void (*fn)(int argc, char **argv);	/* argv[0] is the name */
};

/* The commands of each file, ended by a NULL name. */
extern const struct mon_cmd mon_mem_cmds[];
extern const struct mon_cmd mon_sys_cmds[];

/* Whole lines to the console (no printk stamp), under the console lock. */
__printf(1, 2) void mon_printf(const char *fmt, ...);

/* A number: decimal or 0x hex, up to 64 bits. */
bool mon_parse(const char *s, u64 *out);

/* Does the monitor hold pkmap slots or local maps? (Then commands that
 * need the whole pool, the test runner and torture, are refused.) */
int mon_kmaps_held(void);
int mon_locals_held(void);
/* For "tasks": every pool slot in use and its users; the monitor's own
 * kmap()s are named, the others' owners are not recorded by the pool. */
void mon_show_pool_holdings(void);
/* The CPU kmon_local runs on, or -1 if it does not exist. */
int mon_local_cpu(void);

/* The serial interrupts taken, per CPU (for "irqs"). */
unsigned long mon_serial_irqs(int cpu);

/* Enter the monitor for good (from init, after the run). */
bool monitor_requested(void);
__noreturn void monitor_run(void);

#endif
