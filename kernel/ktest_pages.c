/* SPDX-License-Identifier: MIT */
/*
 * ktest_pages.c - the free-page census the test runner takes around each
 * suite, so that a test that leaks pages is caught at the suite that
 * leaked them, not at a later suite that happens to need them.
 *
 * Rule enforced (by the harness, which compares the two lines): every
 * suite leaves each zone with as many free pages as it found, whatever
 * the memory size and whatever its cases skipped.
 *
 * Pages held on purpose by a cache would make the counts depend on the
 * history rather than on leaks, so each count is taken with the caches
 * emptied: the stack cache (mm/vmap_stack.c) is drained first. Idle
 * pkmap slots hold no pages (they map pages their owners hold), and a
 * finished case's thread has been joined, so its task page and stack are
 * back. Comparing is left to the harness: the kernel's own figures are
 * what is being checked, and the harness names the suite and the zone in
 * its failure report.
 */
#include "kernel/ktest_internal.h"
#include "kernel/printk.h"
#include "mm/page_alloc.h"
#include "mm/vmap_stack.h"

void ktest_free_pages_census(const char *when, const char *suite)
{
	vmap_stack_drain();
	printk(KERN_INFO "    # free pages %s %s: %s %lu %s %lu %s %lu\n", when, suite,
	       zones[ZONE_DMA].name, READ_ONCE(zones[ZONE_DMA].free_pages),
	       zones[ZONE_NORMAL].name, READ_ONCE(zones[ZONE_NORMAL].free_pages),
	       zones[ZONE_HIGHMEM].name, READ_ONCE(zones[ZONE_HIGHMEM].free_pages));
}
