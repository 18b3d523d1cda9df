/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - small things several test suites need.
 */
#ifndef TESTS_KERNEL_HELPERS_H
#define TESTS_KERNEL_HELPERS_H

#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "mm/page_alloc.h"

/*
 * n free highmem pages into pages[], or skip the case. A case that skips
 * must leave the machine as it found it (the runner's free-page census
 * checks each suite), so the pages already taken go back first: take all
 * the pages a case needs with one call, before anything else.
 */
static inline void ktest_highpages(struct ktest *t, struct page **pages, int n)
{
	for (int i = 0; i < n; i++) {
		struct page *p = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);

		if (!p || !PageHighMem(p)) {
			if (p)
				__free_page(p);
			while (i--)
				__free_page(pages[i]);
			if (n == 1)
				KTEST_SKIP(t, "no highmem at this -m");
			KTEST_SKIP(t, "fewer than %d free highmem pages", n);
		}
		pages[i] = p;
	}
}

/* A free highmem page, or skip the case (no highmem at this -m). */
static inline struct page *ktest_highpage(struct ktest *t)
{
	struct page *p;

	ktest_highpages(t, &p, 1);
	return p;
}

/* The CPU the CPU-bound tests crowd: the last online one. */
static inline int ktest_last_cpu(void)
{
	int cpu, last = 0;

	for_each_online_cpu(cpu)
		last = cpu;
	return last;
}

/* Some other online CPU than 'cpu', or -1 at -smp 1. */
static inline int ktest_other_cpu(int cpu)
{
	int c;

	for_each_online_cpu(c)
		if (c != cpu)
			return c;
	return -1;
}

/* Sleep until 'cpu' has taken n more timer ticks. */
static inline void ktest_wait_ticks(int cpu, unsigned long n)
{
	unsigned long start = READ_ONCE(cpu_rq(cpu)->ticks);

	while (READ_ONCE(cpu_rq(cpu)->ticks) - start < n)
		msleep(4);
}

#endif
