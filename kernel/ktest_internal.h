/* SPDX-License-Identifier: MIT */
/*
 * ktest_internal.h - what the test runner's parts share (kernel/ktest.c,
 * ktest_pages.c, ktest_watchdog.c); test suites use kernel/ktest.h.
 */
#ifndef KERNEL_KTEST_INTERNAL_H
#define KERNEL_KTEST_INTERNAL_H

#include "kernel/ktest.h"

/*
 * The free-page census around each suite (ktest_pages.c): one KTAP
 * diagnostic line before its first case and one after its last,
 *
 *     # free pages before kmap: DMA 3956 Normal 212222 HighMem 524013
 *     # free pages after kmap: DMA 3956 Normal 212222 HighMem 524013
 *
 * which the harness (tests/harness/matrix.py) compares.
 */
void ktest_free_pages_census(const char *when, const char *suite);

/*
 * Run one case in a thread of its own, under the watchdog (ktest_watchdog.c):
 * t's status says how it went; a case past its time limit is reported,
 * its threads parked, and t marked failed. Returns the case's thread if it
 * was left parked (or running), NULL if it ended.
 */
struct task_struct *ktest_run_case_watched(const struct ktest_suite *s,
					   const struct ktest_case *c, struct ktest *t);

#endif
