/* SPDX-License-Identifier: MIT */
/*
 * bench_kmap.c - what one map + unmap costs, in instructions, for each of
 * the three APIs (run under -icount shift=0; see kernel/bench.h).
 *
 *   kmap_local, kmap_atomic   irqs off around the loop: these may run
 *                             with interrupts off, and then no tick can
 *                             land in the window
 *   kmap (hit, miss, wrap)    irqs ON: kmap() may sleep and kmap_lock is
 *                             never taken with interrupts off. A window
 *                             with a tick in it is discarded; the minimum
 *                             of the clean runs is kept
 *
 * The pkmap pool (mm/highmem.c) makes a miss cost depend on the cursor:
 *
 *   cursor:  0   1   2  ...  510  511 | 0 (wrap: flush_all_zero_pkmaps
 *            ^ a miss here wrapped       + the TLB flush of every CPU)
 *
 * so a miss is timed in a window that starts just after a wrap and ends
 * before the next one, and a wrap is timed on its own: the one miss that
 * takes the cursor from 511 back to 0 with all 511 other slots to free.
 *
 * Pages: PAGESET highmem pages used round-robin. PAGESET = 2 x LAST_PKMAP,
 * so a page comes round again only after at least one wrap has dropped it
 * from the pool: with every kmap() a miss, each next one is a miss too.
 */
#include "kernel/bench.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "mm/highmem.h"
#include "mm/kmap_stats.h"
#include "mm/page_alloc.h"
#include "arch/x86/tlb.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp.h"

#define RUNS		7
#define PAIR_ITERS	2000
#define HIT_ITERS	200
#define MISS_ITERS	400		/* < LAST_PKMAP - 1: no wrap inside */
#define PAGESET		(2 * LAST_PKMAP)
#define WRAPS_COUNTED	10

static struct page *pageset[PAGESET];
static unsigned pageset_next;

static struct page *highpage(void)
{
	struct page *p = alloc_page(GFP_HIGHUSER);

	if (p && !PageHighMem(p)) {
		__free_page(p);
		p = NULL;
	}
	return p;
}

static bool pageset_fill(void)
{
	for (int i = 0; i < PAGESET; i++)
		if (!pageset[i] && !(pageset[i] = highpage()))
			return false;
	return true;
}

/* ---- kmap_local / kmap_atomic pairs ---- */

/*
 * One function per API, so each measured loop has the map and unmap
 * inlined exactly as a caller would: MAP and UNMAP are the API's pair.
 */
#define DEFINE_PAIR_BENCH(fn, MAP, UNMAP)					\
static void fn(const char *name, struct page *page)				\
{										\
	unsigned long flags = local_irq_save();					\
	u64 empty = bench_empty_loop(PAIR_ITERS);				\
	u64 with = bench_min(RUNS, PAIR_ITERS, {				\
		struct page *p = page;						\
		void *va;							\
										\
		bench_hide(p);							\
		va = MAP(p);							\
		bench_hide(va);							\
		UNMAP(va);							\
	});									\
										\
	local_irq_restore(flags);						\
	bench_report_cost(name, with, empty, PAIR_ITERS, RUNS, NULL);		\
}

DEFINE_PAIR_BENCH(local_pair, kmap_local_page, kunmap_local)
DEFINE_PAIR_BENCH(atomic_pair, kmap_atomic, kunmap_atomic)

void bench_kmap_local(void)
{
	struct page *high = highpage(), *low = alloc_page(GFP_KERNEL);

	if (!high || !low) {
		bench_print("kmap_local", "error=no-highmem");
		goto out;
	}
	local_pair("kmap_local_highmem", high);
	local_pair("kmap_local_lowmem", low);
out:
	if (high)
		__free_page(high);
	if (low)
		__free_page(low);
}

void bench_kmap_atomic(void)
{
	struct page *high = highpage(), *low = alloc_page(GFP_KERNEL);

	if (!high || !low) {
		bench_print("kmap_atomic", "error=no-highmem");
		goto out;
	}
	atomic_pair("kmap_atomic_highmem", high);
	atomic_pair("kmap_atomic_lowmem", low);
out:
	if (high)
		__free_page(high);
	if (low)
		__free_page(low);
}

/* ---- kmap: hit, miss, wrap ---- */

/* One miss: the next page of the set, mapped and unmapped. */
static __always_inline void kmap_miss_once(void)
{
	struct page *p = pageset[pageset_next++ % PAGESET];

	void *va;

	bench_hide(p);
	va = kmap(p);
	bench_hide(va);
	kunmap(p);
}

/* Misses until the next miss wraps the cursor (cursor at LAST_PKMAP-1). */
static void kmap_advance_to_wrap(void)
{
	while (pkmap_cursor() != LAST_PKMAP - 1)
		kmap_miss_once();
}

/* Timer ticks on every CPU: the IPIs a wrap sends are part of the op. */
static unsigned long ticks_all(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_online_cpu(cpu)
		n += per_cpu(apic_timer_irqs, cpu);
	return n;
}

/* The baseline for miss loops: the loop and the page-set indexing. */
static u64 miss_baseline(u32 iters)
{
	u64 best = ~0ULL;

	for (int r = 0; r < RUNS; r++) {
		u64 c = bench_loop(iters, {
			struct page *p = pageset[pageset_next++ % PAGESET];
			bench_hide(p);
		});
		best = min(best, c);
	}
	return best;
}

/*
 * A hit: the page already has a pool slot. Two cases, by its count:
 *   kmap_hit       in the pool, unused (count 1 -> 2 -> 1): the kunmap
 *                  also checks for waiters, as every last kunmap does
 *   kmap_hit_held  someone else holds it too (count 2 -> 3 -> 2)
 */
static void kmap_hit(struct page *page)
{
	u64 empty = bench_empty_loop(HIT_ITERS), with;
	unsigned long misses;

	kmap(page);
	kunmap(page);		/* in the pool now, count 1 */
	misses = KMAP_STAT(misses);
	with = bench_min(RUNS, HIT_ITERS, {
		struct page *p = page;

		bench_hide(p);
		kmap(p);
		kunmap(p);
	});
	if (KMAP_STAT(misses) != misses) {
		bench_print("kmap_hit", "error=not-all-hits");
		return;
	}
	bench_report_cost("kmap_hit", with, empty, HIT_ITERS, RUNS, NULL);

	kmap(page);		/* held throughout: count 2 */
	with = bench_min(RUNS, HIT_ITERS, {
		struct page *p = page;

		bench_hide(p);
		kmap(p);
		kunmap(p);
	});
	kunmap(page);
	bench_report_cost("kmap_hit_held", with, empty, HIT_ITERS, RUNS, NULL);
}

static void kmap_miss(void)
{
	u64 best = ~0ULL, empty = miss_baseline(MISS_ITERS);
	unsigned long misses, wraps;

	for (int r = 0; r < RUNS; r++) {
		u64 c;

		kmap_advance_to_wrap();
		kmap_miss_once();			/* the wrap: cursor 0 */
		misses = KMAP_STAT(misses);
		wraps = KMAP_STAT(wraps);
		c = bench_loop(MISS_ITERS, kmap_miss_once());
		/* every iteration a miss, none of them a wrap */
		if (KMAP_STAT(misses) - misses != MISS_ITERS || KMAP_STAT(wraps) != wraps) {
			bench_print("kmap_miss", "error=window-not-all-misses");
			return;
		}
		best = min(best, c);
	}
	bench_report_cost("kmap_miss", best, empty, MISS_ITERS, RUNS, NULL);
}

void bench_kmap(void)
{
	struct page *low = alloc_page(GFP_KERNEL);

	if (!pageset_fill() || !low) {
		bench_print("kmap", "error=no-highmem");
		return;
	}
	kmap_hit(pageset[0]);
	kmap_miss();
	{
		/* lowmem: kmap() returns the direct map, no lock, no pool */
		u64 empty = bench_empty_loop(PAIR_ITERS);
		u64 with = bench_min(RUNS, PAIR_ITERS, {
			struct page *p = low;

			bench_hide(p);
			kmap(p);
			kunmap(p);
		});
		bench_report_cost("kmap_lowmem", with, empty, PAIR_ITERS, RUNS, NULL);
	}
	__free_page(low);
}

/*
 * One wrap: advance to cursor LAST_PKMAP-1 (every other slot now holds an
 * unused mapping, count 1), then time the single miss that wraps, minus a
 * plain miss. Then WRAPS_COUNTED whole wraps, counting global flushes and
 * flush IPIs: the pool must flush exactly once per wrap, each flush
 * reaching every other online CPU with one IPI.
 */
void bench_kmap_wrap(void)
{
	u64 best = ~0ULL, miss_best = ~0ULL;
	unsigned long flushes, ipis, wraps, t0;
	int ncpu = num_online_cpus();
	char extra[64];

	if (!pageset_fill()) {
		bench_print("kmap_wrap", "error=no-highmem");
		return;
	}
	for (int r = 0; r < RUNS; r++) {
		u64 c, m;

		/* a plain miss (cursor well inside the pool) for the difference */
		kmap_advance_to_wrap();
		kmap_miss_once();
		kmap_miss_once();
		t0 = ticks_all();
		m = rdtsc();
		kmap_miss_once();
		m = rdtsc() - m;
		if (ticks_all() == t0)
			miss_best = min(miss_best, m);

		kmap_advance_to_wrap();
		wraps = KMAP_STAT(wraps);
		t0 = ticks_all();
		c = rdtsc();
		kmap_miss_once();
		c = rdtsc() - c;
		if (KMAP_STAT(wraps) != wraps + 1) {
			bench_print("kmap_wrap", "error=no-wrap");
			return;
		}
		if (ticks_all() == t0)
			best = min(best, c);
	}
	snprintf(extra, sizeof(extra), "cpus=%d miss_plus_wrap=%llu miss=%llu", ncpu, best, miss_best);
	bench_report_cost("kmap_wrap", best, miss_best, 1, RUNS, extra);

	/* WRAPS_COUNTED wraps, starting just after one */
	kmap_advance_to_wrap();
	kmap_miss_once();
	wraps = KMAP_STAT(wraps);
	flushes = KMAP_STAT(global_flushes);
	ipis = tlb_flush_ipis_sent();
	for (int i = 0; i < WRAPS_COUNTED * LAST_PKMAP; i++)
		kmap_miss_once();
	wraps = KMAP_STAT(wraps) - wraps;
	flushes = KMAP_STAT(global_flushes) - flushes;
	ipis = tlb_flush_ipis_sent() - ipis;
	bench_print("kmap_wrap_flushes", "cpus=%d misses=%d wraps=%lu global_flushes=%lu flush_ipis=%lu per_wrap_flushes=%lu per_wrap_ipis=%lu",
		    ncpu, WRAPS_COUNTED * LAST_PKMAP, wraps, flushes, ipis,
		    wraps ? flushes / wraps : 0, wraps ? ipis / wraps : 0);
}
