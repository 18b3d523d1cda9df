/* SPDX-License-Identifier: MIT */
/*
 * bug.c - turn a #UD at a BUG/WARN site into its report.
 *
 * The WARN report, as Linux 6.1 prints it:
 *
 *   ------------[ cut here ]------------
 *   WARNING: CPU: 0 PID: 0 at mm/highmem.c:622 kunmap_local_indexed+0x5c/0x130
 *   CPU: 0 PID: 0 Comm: swapper/0 Not tainted kmaplab
 *   EIP: kunmap_local_indexed+0x5c/0x130
 *   ... registers, Call Trace ...
 *   ---[ end trace 0000000000000000 ]---
 *
 * A BUG prints "kernel BUG at file:line!" and the #UD handler oopses with
 * "invalid opcode: 0000 [#1] SMP".
 *
 * Each report is bracketed for kernel/report.c: the WARNING or "kernel
 * BUG at" line (and WARN()'s message before it) is the headline, the rest
 * is detail. A WARN's bracket opens where its first line is printed
 * (__warn_printk() for WARN(c, fmt), else here) and closes here; a BUG's
 * closes at the end of the oops that follows (oops_end()).
 */
#include "kernel/bug.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "arch/x86/traps.h"
#include "arch/x86/percpu.h"

extern const struct bug_entry __start___bug_table[], __stop___bug_table[];

static unsigned long bug_addr(const struct bug_entry *b)
{
	return (unsigned long)&b->bug_addr_disp + b->bug_addr_disp;
}

static const char *bug_file(const struct bug_entry *b)
{
	return (const char *)&b->file_disp + b->file_disp;
}

const struct bug_entry *find_bug(unsigned long ip)
{
	for (const struct bug_entry *b = __start___bug_table; b < __stop___bug_table; b++)
		if (bug_addr(b) == ip)
			return b;
	return NULL;
}

/* WARN(c, fmt)'s first lines, just before its ud2: the report starts here
 * (preemption off until report_bug() ends it, so both run on one CPU). */
void __warn_printk(const char *fmt, ...)
{
	va_list ap;

	report_begin();
	printk(CUT_HERE);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

static void __warn(const char *file, unsigned line, unsigned long ip,
		   struct pt_regs *regs)
{
	char comm[32], sym[KSYM_NAME_LEN];
	int pid = current_comm_pid(comm, sizeof(comm));

	printk(KERN_WARNING "WARNING: CPU: %d PID: %d at %s:%u %s\n",
	       smp_processor_id(), pid, file, line,
	       sprint_symbol(sym, sizeof(sym), ip));
	report_details();
	show_regs(regs);
	print_oops_end_marker();
	add_taint(TAINT_WARN);
	report_end();
}

enum bug_trap_type report_bug(unsigned long ip, struct pt_regs *regs)
{
	const struct bug_entry *b = find_bug(ip);

	if (!b)
		return BUG_TRAP_TYPE_NONE;
	if (!(b->flags & BUGFLAG_NO_CUT_HERE)) {
		report_begin();		/* else __warn_printk() began it */
		printk(CUT_HERE);
	}
	if (b->flags & BUGFLAG_WARNING) {
		__warn(bug_file(b), b->line, ip, regs);
		return BUG_TRAP_TYPE_WARN;
	}
	printk(KERN_CRIT "kernel BUG at %s:%u!\n", bug_file(b), b->line);
	report_details();	/* the oops that follows */
	return BUG_TRAP_TYPE_BUG;
}
