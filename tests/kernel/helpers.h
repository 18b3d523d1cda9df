/*
 * helpers.h - small things several test suites need.
 */
#ifndef TESTS_KERNEL_HELPERS_H
#define TESTS_KERNEL_HELPERS_H

#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "mm/page_alloc.h"

/* A free highmem page, or skip the case (no highmem at this -m). */
static inline struct page *ktest_highpage(struct ktest *t)
{
	struct page *p = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);

	if (!p || !PageHighMem(p)) {
		if (p)
			__free_page(p);
		KTEST_SKIP(t, "no highmem at this -m");
	}
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
