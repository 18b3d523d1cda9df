/* SPDX-License-Identifier: MIT */
/*
 * conversion_test.c - what goes wrong when kmap_atomic() code is turned
 * into kmap_local_page() code without looking at what the section relied on.
 *
 * kmap_atomic() did three things: map the page, disable preemption, and
 * disable page faults. kmap_local_page() only maps (and pins the task to
 * its CPU). Code between map and unmap that silently needed one of the
 * other two breaks when converted naively. The fix is to add back exactly
 * what is needed, around exactly the code that needs it -- not the whole
 * section.
 *
 *   Pattern B (per-CPU data)      needs preemption off around the per-CPU
 *                                 part: get_cpu_ptr() .. put_cpu_ptr()
 *   Pattern A (fault must fail    needs page faults off around the copy:
 *   fast, not sleep)              pagefault_disable() .. pagefault_enable()
 *
 * Each pattern is written three ways below -- the original, the naive
 * conversion, the correct conversion -- and a test runs each for real:
 * two tasks on one CPU, preempted by the timer, for Pattern B; a copy from
 * the demand-filled region (mm/demand.h), whose fault handler sleeps, for
 * Pattern A.
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "mm/highmem.h"
#include "mm/page_alloc.h"
#include "mm/demand.h"

/* ---------------- Pattern B: a per-CPU scratch buffer ---------------- */

#define SCRATCH_WORDS 256
static DEFINE_PER_CPU(u32 [SCRATCH_WORDS], scratch);

/* The "processing": deliberately slow, so a tick can land inside it. */
static u32 checksum_scratch(const u32 *buf)
{
	u32 sum = 0;

	for (int round = 0; round < 64; round++)
		for (int i = 0; i < SCRATCH_WORDS; i++)
			sum += READ_ONCE(buf[i]) * (round + 1);
	return sum;
}

/* Original: kmap_atomic()'s preempt_disable() made the buffer ours. */
static u32 checksum_page_atomic(struct page *page)
{
	u32 *src = kmap_atomic(page);
	u32 *buf = this_cpu_ptr(&scratch[0]);
	u32 sum;

	memcpy(buf, src, sizeof(scratch));
	sum = checksum_scratch(buf);
	kunmap_atomic(src);
	return sum;
}

/* Naive conversion: still on this CPU (migration is off), but NOT alone
 * on it: another task can preempt us and refill the same buffer. */
static u32 checksum_page_naive(struct page *page)
{
	u32 *src = kmap_local_page(page);
	u32 *buf = this_cpu_ptr(&scratch[0]);
	u32 sum;

	memcpy(buf, src, sizeof(scratch));
	sum = checksum_scratch(buf);
	kunmap_local(src);
	return sum;
}

/* Correct conversion: preemption off around the per-CPU part only. */
static u32 checksum_page_fixed(struct page *page)
{
	u32 *src = kmap_local_page(page);
	u32 *buf = get_cpu_ptr(&scratch[0]);
	u32 sum;

	memcpy(buf, src, sizeof(scratch));
	sum = checksum_scratch(buf);
	put_cpu_ptr(&scratch[0]);
	kunmap_local(src);
	return sum;
}

struct b_worker {
	u32 (*fn)(struct page *);
	struct page *page;
	u32 expect;
	volatile bool stop;
	unsigned long runs, corrupt;
};

static int b_worker_fn(void *arg)
{
	struct b_worker *w = arg;

	while (!w->stop) {
		if (w->fn(w->page) != w->expect)
			w->corrupt++;
		w->runs++;
	}
	return 0;
}

/* Two tasks on one CPU, each checksumming its own page until the timer
 * has preempted them many times. Returns the corrupted results seen. */
static unsigned long run_pattern_b(struct ktest *t, u32 (*fn)(struct page *),
				   unsigned long *runs)
{
	int cpu = ktest_last_cpu();
	struct b_worker w[2];
	struct task_struct *p[2];
	unsigned long t0;

	for (int i = 0; i < 2; i++) {
		u32 words[SCRATCH_WORDS];

		w[i] = (struct b_worker){ .fn = fn };
		w[i].page = alloc_page(GFP_HIGHUSER);
		ASSERT_PTR_NE(t, w[i].page, NULL);
		for (int j = 0; j < SCRATCH_WORDS; j++)
			words[j] = (i + 1) * 0x01010101u + j;
		memcpy_to_page(w[i].page, 0, words, sizeof(words));
		w[i].expect = checksum_scratch(words);
		p[i] = kthread_create_on_cpu(b_worker_fn, &w[i], cpu, "pattern-b");
	}
	wake_up_process(p[0]);
	wake_up_process(p[1]);
	t0 = cpu_rq(cpu)->ticks;
	while (cpu_rq(cpu)->ticks - t0 < 60)
		msleep(4);
	w[0].stop = w[1].stop = true;
	kthread_join(p[0]);
	kthread_join(p[1]);
	*runs = w[0].runs + w[1].runs;
	__free_page(w[0].page);
	__free_page(w[1].page);
	return w[0].corrupt + w[1].corrupt;
}

static void pattern_b_original_atomic_never_corrupts(struct ktest *t)
{
	unsigned long runs, bad;

	if (kmap_atomic_rt)
		KTEST_SKIP(t, "kmap_atomic.rt=1: the original relied on non-RT semantics");
	bad = run_pattern_b(t, checksum_page_atomic, &runs);
	KTEST_LOG(t, "kmap_atomic: %lu of %lu checksums corrupted", bad, runs);
	EXPECT_GT(t, runs, 0);
	EXPECT_EQ(t, bad, 0);
}

static void pattern_b_naive_conversion_corrupts_the_buffer(struct ktest *t)
{
	unsigned long runs, bad = run_pattern_b(t, checksum_page_naive, &runs);

	/* The expected outcome: this is the bug the lesson is about. */
	KTEST_LOG(t, "naive kmap_local: %lu of %lu checksums corrupted (expected: > 0)", bad, runs);
	EXPECT_GT(t, bad, 0);
}

static void pattern_b_get_cpu_ptr_conversion_never_corrupts(struct ktest *t)
{
	unsigned long runs, bad = run_pattern_b(t, checksum_page_fixed, &runs);

	KTEST_LOG(t, "kmap_local + get_cpu_ptr: %lu of %lu checksums corrupted", bad, runs);
	EXPECT_GT(t, runs, 0);
	EXPECT_EQ(t, bad, 0);
}

/* ------------- Pattern A: a fault that must fail fast ------------- */

/*
 * Copy 'len' bytes from the demand region into a page. The original ran
 * the copy inside kmap_atomic(), so a missing source page made the copy
 * return short at once (the caller then falls back to a slow path that
 * may sleep). Returns the bytes NOT copied.
 */
static unsigned long fill_page_atomic(struct page *page, const void *src, size_t len)
{
	void *dst = kmap_atomic(page);
	unsigned long left = copy_from_demand(dst, src, len);

	kunmap_atomic(dst);
	return left;
}

/* Naive conversion: the copy now faults the page in -- and the fault
 * handler sleeps, in the middle of what used to be an atomic section. */
static unsigned long fill_page_naive(struct page *page, const void *src, size_t len)
{
	void *dst = kmap_local_page(page);
	unsigned long left = copy_from_demand(dst, src, len);

	kunmap_local(dst);
	return left;
}

/* Correct conversion: page faults off around the copy only; preemption
 * stays on. */
static unsigned long fill_page_fixed(struct page *page, const void *src, size_t len)
{
	void *dst = kmap_local_page(page);
	unsigned long left;

	pagefault_disable();
	left = copy_from_demand(dst, src, len);
	pagefault_enable();
	kunmap_local(dst);
	return left;
}

struct a_result {
	unsigned long left, sleeps, fills;
};

static struct a_result run_pattern_a(unsigned long (*fn)(struct page *, const void *, size_t))
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct a_result r;
	unsigned long s0, f0;

	demand_reset();		/* every source page missing again */
	s0 = demand_stats.sleeps;
	f0 = demand_stats.fills;
	r.left = fn(page, (const void *)DEMAND_START, 64);
	r.sleeps = demand_stats.sleeps - s0;
	r.fills = demand_stats.fills - f0;
	__free_page(page);
	return r;
}

static void pattern_a_original_atomic_fails_fast(struct ktest *t)
{
	struct a_result r = run_pattern_a(fill_page_atomic);

	EXPECT_EQ(t, r.left, 64);
	EXPECT_EQ(t, r.sleeps, 0);
}

static void pattern_a_naive_conversion_sleeps_in_the_fault(struct ktest *t)
{
	struct a_result r = run_pattern_a(fill_page_naive);

	/* The behaviour changed: the copy succeeded by sleeping. */
	KTEST_LOG(t, "naive kmap_local: copy left %lu bytes, fault handler slept %lu time(s)",
		  r.left, r.sleeps);
	EXPECT_EQ(t, r.left, 0);
	EXPECT_EQ(t, r.sleeps, 1);
	EXPECT_EQ(t, r.fills, 1);
}

static int preempt_seen;

static unsigned long fill_page_fixed_probe(struct page *page, const void *src, size_t len)
{
	void *dst = kmap_local_page(page);
	unsigned long left;

	pagefault_disable();
	preempt_seen = preempt_count();
	left = copy_from_demand(dst, src, len);
	pagefault_enable();
	kunmap_local(dst);
	return left;
}

static void pattern_a_pagefault_disable_conversion_fails_fast(struct ktest *t)
{
	struct a_result r = run_pattern_a(fill_page_fixed);

	EXPECT_EQ(t, r.left, 64);
	EXPECT_EQ(t, r.sleeps, 0);
	r = run_pattern_a(fill_page_fixed_probe);
	EXPECT_EQ(t, preempt_seen, 0);	/* and the section stayed preemptible */
}

KTEST_SUITE(conversion,
	KTEST_CASE(pattern_b_original_atomic_never_corrupts),
	KTEST_CASE(pattern_b_naive_conversion_corrupts_the_buffer),
	KTEST_CASE(pattern_b_get_cpu_ptr_conversion_never_corrupts),
	KTEST_CASE(pattern_a_original_atomic_fails_fast),
	KTEST_CASE(pattern_a_naive_conversion_sleeps_in_the_fault),
	KTEST_CASE(pattern_a_pagefault_disable_conversion_fails_fast));
