/* SPDX-License-Identifier: MIT */
/*
 * report.h - brackets around a kernel report, and the announcements that
 * let an expected one print short.
 *
 * A report printer (BUG, WARN, oops, might_sleep, bad page, ...) does
 *
 *   report_begin();
 *   printk(CUT_HERE);                       (if the report has one)
 *   printk("BUG: something went wrong\n");  the headline
 *   report_details();
 *   show_regs() / dump_stack() / ...        the details
 *   report_end();
 *
 * and a test that provokes one first calls ktest_expect(), which lands in
 * report_expect(). See report.c for what the console then shows.
 */
#ifndef KERNEL_REPORT_H
#define KERNEL_REPORT_H

#include "kernel/types.h"

#define CUT_HERE "------------[ cut here ]------------\n"

/* ktest.verbose=1: every report prints whole, announced or not. */
extern bool report_verbose;

/* Brackets, on the CPU that prints the report (preemption is off from
 * report_begin() to report_end(); brackets nest). */
void report_begin(void);
void report_details(void);
void report_end(void);
/* An oops ends every report open on its CPU: the task dies next. */
void report_end_all(void);
/* The machine is going down: print whatever is held back, and print
 * every report whole from now on. */
void report_panic(void);

/*
 * Announce a report: prints "    # expected: <text>" and, until
 * report_expect_clear(), counts any report line containing text as
 * expected. Returns false (and announces nothing) if text is empty, too
 * long, or the table is full.
 */
bool report_expect(const char *text);
void report_expect_clear(void);

/* Does this line name a report ("BUG:", "WARNING:", "Oops", "kernel BUG
 * at", "general protection fault", "scheduling while atomic")? */
bool report_line_names_a_report(const char *line);

/*
 * For printk (console lock held, interrupts off): what to do with the
 * console copy of one message, msg, whose console bytes are out[0..n).
 * REPORT_HELD means report.c kept a copy to print or drop later.
 */
enum report_out { REPORT_WRITE, REPORT_HELD, REPORT_DROP };
enum report_out report_console(const char *msg, const char *out, size_t n);

#endif
