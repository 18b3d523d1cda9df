/* SPDX-License-Identifier: MIT */
/*
 * kmap_test.c - kmap()/kunmap(): the shared pkmap pool and its rules.
 *
 * Each case checks one rule of mm/highmem.c on real CPUs: the shared
 * address and count, lazy kunmap, the single global flush per wrap (with
 * its IPIs), sleeping when the pool is full, and the BUGs on misuse.
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/sched.h"
#include "kernel/wait.h"
#include "kernel/printk.h"
#include "mm/highmem.h"
#include "mm/kmap_stats.h"
#include "mm/page_alloc.h"
#include "arch/x86/tlb.h"
#include "arch/x86/smp.h"
#include "arch/x86/lapic.h"
#include "arch/x86/idt.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/hw_watch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"

/* Linux's rule: a lowmem page is already mapped; kmap() hands back the
 * direct map and never touches the pool or its lock. */
static void kmap_of_lowmem_page_uses_no_slot(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	unsigned long calls = KMAP_STAT(calls);
	void *va = kmap(p);

	EXPECT_PTR_EQ(t, va, lowmem_page_address(p));
	EXPECT_EQ(t, KMAP_STAT(calls), calls);
	kunmap(p);
	__free_page(p);
}

struct sharer {
	struct page *page;
	void *addr;
	volatile int step;
	int cpu_before, cpu_after;
	u32 read_after;
};

static int sharer_fn(void *arg)
{
	struct sharer *s = arg;

	s->addr = kmap(s->page);
	s->cpu_before = smp_processor_id();
	s->step = 1;
	while (s->step == 1)
		msleep(2);		/* sleeps while holding the mapping */
	/* by now the test has moved us: a kmap() address is valid anywhere */
	s->cpu_after = smp_processor_id();
	s->read_after = *(volatile u32 *)s->addr;
	s->step = 3;
	return 0;
}

static void two_threads_share_one_address_valid_on_every_cpu(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	struct sharer s = { .page = page };
	int ncpu = num_online_cpus();
	int a = 0, b = ncpu > 1 ? 1 : 0, c = ncpu > 2 ? 2 : b;
	struct task_struct *pa;
	void *vb;
	int nr;

	u32 magic = 0xfeedface;

	memcpy_to_page(page, 0, &magic, sizeof(magic));

	/* pinned to CPU a until the test moves it: left free to move,
	 * load balancing could take it elsewhere before it maps */
	pa = kthread_create_on_cpu(sharer_fn, &s, a, "kmap-a");
	wake_up_process(pa);
	while (s.step != 1)
		msleep(1);
	/* a second user on another CPU gets the same slot: count = users + 1 */
	migrate_task_to(current, b);
	vb = kmap(page);
	nr = PKMAP_NR((unsigned long)vb);
	EXPECT_PTR_EQ(t, vb, s.addr);
	EXPECT_EQ(t, pkmap_slot_count(nr), 3);
	EXPECT_PTR_EQ(t, page_address(page), vb);
	/* move the sleeping first user to a third CPU and let it read */
	/* pin it there, so load balancing cannot move it back meanwhile */
	EXPECT_EQ(t, set_cpus_allowed(pa, cpumask_of(c)), 0);
	while (READ_ONCE(pa->migrate_to) >= 0 || READ_ONCE(pa->cpu) != c)
		msleep(1);	/* it moves when it next wakes */
	s.step = 2;
	kthread_join(pa);
	EXPECT_EQ(t, s.cpu_before, a);
	EXPECT_EQ(t, s.cpu_after, c);
	EXPECT_EQ(t, s.read_after, 0xfeedface);
	/* the pointer crossed threads: this thread drops both references,
	 * as kmap() allows (the unmap needs only the page) */
	kunmap(page);
	EXPECT_EQ(t, pkmap_slot_count(nr), 2);
	kunmap(page);
	EXPECT_EQ(t, pkmap_slot_count(nr), 1);	/* idle, still mapped */
	__free_page(page);
}

/* kunmap() is lazy: the PTE and the address stay until the next wrap, and
 * a new kmap() of the same page reuses them without writing the PTE. */
static void kmap_hit_reuses_slot_without_pte_write(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	unsigned long misses;
	void *va1, *va2;
	pte_t *ptep, before;
	int nr;

	va1 = kmap(page);
	kunmap(page);
	nr = PKMAP_NR((unsigned long)va1);
	ptep = &pkmap_page_table[nr];
	EXPECT_EQ(t, pkmap_slot_count(nr), 1);
	EXPECT_TRUE(t, pte_present(ptep_get(ptep)));		/* lazy */
	EXPECT_PTR_EQ(t, page_address(page), va1);
	/* mark the live PTE with a software bit: a rewrite would drop it */
	before = ptep_get(ptep);
	set_pte_atomic(ptep, __pte(pte_val(before) | (1ULL << 9)));
	misses = KMAP_STAT(misses);
	va2 = kmap(page);
	EXPECT_PTR_EQ(t, va2, va1);
	EXPECT_EQ(t, KMAP_STAT(misses), misses);
	EXPECT_EQ(t, pte_val(ptep_get(ptep)), pte_val(before) | (1ULL << 9));
	set_pte_atomic(ptep, before);
	kunmap(page);
	__free_page(page);
}

#define POOL LAST_PKMAP

/*
 * n distinct highmem pages, as a vector of struct page * in an order-1
 * block, or skip the case. Below a few thousand highmem pages (-m 897M
 * to 900M) these cases skip; a skip gives back every page it took, so
 * the suites after this one find the memory this one found.
 */
#define MAX_HIGHPAGES	((int)(2 * PAGE_SIZE / sizeof(struct page *)))

static struct page **alloc_highpages(struct ktest *t, int n)
{
	struct page **v = (void *)__get_free_pages(GFP_KERNEL, 1);

	ASSERT_PTR_NE(t, v, NULL);
	ASSERT_LE(t, n, MAX_HIGHPAGES);
	for (int i = 0; i < n; i++) {
		v[i] = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
		if (!v[i] || !PageHighMem(v[i])) {
			if (v[i])
				__free_page(v[i]);
			while (i--)
				__free_page(v[i]);
			free_pages((unsigned long)v, 1);
			KTEST_SKIP(t, "not enough highmem for %d pages", n);
		}
	}
	return v;
}

static void free_highpages(struct page **v, int n)
{
	kmap_flush_unused();	/* leave no idle pool alias of freed pages */
	for (int i = 0; i < n; i++)
		__free_page(v[i]);
	free_pages((unsigned long)v, 1);
}

/*
 * Cycling the pool with kmap() is safe only while the pool works: a wrap
 * that frees no slot (no flush, no reset of the idle counts) leaves every
 * later kmap() asleep for good. So the wrap tests run their laps in a
 * child and wait for it at most LAP_MS (a lap takes a few ms): a lap that
 * does not end fails the case, with the child's report (it waits in
 * kmap_high), instead of hanging it. The pages of a lap that did not end
 * are not freed: the parked child may hold one of them mapped. A lap that
 * died in an oops holds none (a kmap() that dies takes no slot), so its
 * case gives them back: a failed case must not fail the leak checks of
 * the suites after it (meminfo).
 */
#define LAP_MS	3000

struct lap {
	struct page **pages;
	int n;
	bool until_flush;	/* stop after the kmap() that flushed the pool */
	int want_slot;		/* stop at the page given this slot, left mapped */
	struct page *found;	/* ... that page */
	int done;		/* kmap() calls made */
	bool parked;		/* it did not end in time: its pages stay */
};

static int lap_fn(void *arg)
{
	struct lap *l = arg;
	unsigned long flushes = KMAP_STAT(global_flushes);

	for (l->done = 0; l->done < l->n; ) {
		struct page *page = l->pages[l->done++];
		void *va = kmap(page);

		if ((int)PKMAP_NR((unsigned long)va) == l->want_slot) {
			l->found = page;
			return 0;
		}
		kunmap(page);
		if (l->until_flush && KMAP_STAT(global_flushes) != flushes)
			return 0;
	}
	return 0;
}

/* kmap()/kunmap() l's pages in a child on 'cpu' (-1: any); false if it
 * did not end in time. */
static bool run_lap_on(struct ktest *t, struct lap *l, int cpu)
{
	struct ktest_child r = ktest_run_child_timeout(lap_fn, l, cpu, "kmap-lap", LAP_MS);

	l->parked = r.timed_out;
	if (r.timed_out)
		ktest_fail(t, __FILE__, __LINE__,
			   "a lap of %d kmap()s did not end in %d ms: it stopped after %d, asleep in kmap() (a pool that never frees a slot?)",
			   l->n, LAP_MS, l->done);
	else if (r.oopsed)
		ktest_fail(t, __FILE__, __LINE__,
			   "a lap of %d kmap()s died in an oops at kmap() number %d (its report is above)",
			   l->n, l->done);
	return !r.timed_out && !r.oopsed;
}

static bool run_lap(struct ktest *t, struct lap *l)
{
	return run_lap_on(t, l, -1);
}

/* After lap l failed: free the case's n pages, unless l is parked. */
static void lap_failed(struct lap *l, struct page **pages, int n)
{
	if (!l->parked)
		free_highpages(pages, n);
}

/* Flush IPIs each CPU has taken and run for another CPU, into got[]. */
static void flush_ipis_received(unsigned long *got)
{
	int cpu;

	for_each_online_cpu(cpu)
		got[cpu] = READ_ONCE(per_cpu(tlb_stats, cpu).ipi_received);
}

/*
 * A full cycle of the cursor: after a wrap, 511 distinct kmap/kunmap
 * pairs need no flush (every slot they take had count 0); the 512th finds
 * no free slot ahead, wraps, and flushes the whole pool from every CPU's
 * TLB: exactly one global flush, one IPI to each other CPU.
 *
 * "One IPI to each other CPU" is counted where the IPIs land: each other
 * CPU ran the flush once (its ipi_received). The sender's own count says
 * only what it asked for (it is added before any IPI goes out), so a
 * flush that never left this CPU would pass a check on that alone.
 */
static void one_global_flush_per_wrap_with_ipis_to_all(struct ktest *t)
{
	/* one allocation for both sets: a skip then leaks neither */
	struct page **pg = alloc_highpages(t, 2 * POOL + 1);
	struct page **fresh = pg + POOL + 1;
	struct lap to_wrap = { pg, POOL + 1, true, -1, NULL, 0, false };
	struct lap lap511 = { fresh, POOL - 1, false, -1, NULL, 0, false };
	struct lap the512th = { fresh + POOL - 1, 1, false, -1, NULL, 0, false };
	unsigned long flushes, wraps, ipis, kmap_ipis, unused;
	unsigned long got[NR_CPUS], now[NR_CPUS], answered = 0;
	int cpu;

	/* get to a wrap: kmap fresh pages until the flush counter moves */
	flushes = KMAP_STAT(global_flushes);
	if (!run_lap(t, &to_wrap)) {
		lap_failed(&to_wrap, pg, 2 * POOL + 1);
		return;
	}
	ASSERT_GT(t, KMAP_STAT(global_flushes), flushes);
	ASSERT_EQ(t, pkmap_cursor(), 0);

	/* pages never kmapped before, so none of them is a hit */
	flushes = KMAP_STAT(global_flushes);
	wraps = KMAP_STAT(wraps);
	ipis = tlb_flush_ipis_sent();
	kmap_ipis = KMAP_STAT(flush_ipis);
	unused = KMAP_STAT(unused_flushes);
	if (!run_lap(t, &lap511)) {
		lap_failed(&lap511, pg, 2 * POOL + 1);
		return;
	}
	EXPECT_EQ(t, KMAP_STAT(global_flushes), flushes);	/* 511: none */
	EXPECT_EQ(t, tlb_flush_ipis_sent(), ipis);
	flush_ipis_received(got);
	if (!run_lap(t, &the512th)) {
		lap_failed(&the512th, pg, 2 * POOL + 1);
		return;
	}
	flush_ipis_received(now);
	EXPECT_EQ(t, KMAP_STAT(global_flushes), flushes + 1);
	EXPECT_EQ(t, KMAP_STAT(wraps), wraps + 1);
	EXPECT_EQ(t, tlb_flush_ipis_sent(), ipis + (unsigned long)(num_online_cpus() - 1));
	/* every CPU but the one that wrapped ran the flush, once */
	for_each_online_cpu(cpu) {
		EXPECT_LE(t, now[cpu] - got[cpu], 1);
		answered += now[cpu] - got[cpu];
	}
	EXPECT_EQ(t, answered, (unsigned long)(num_online_cpus() - 1));
	/* kmap's own counters: the IPIs were its flush's, and the flush a wrap's */
	EXPECT_EQ(t, KMAP_STAT(flush_ipis), kmap_ipis + (unsigned long)(num_online_cpus() - 1));
	EXPECT_EQ(t, KMAP_STAT(unused_flushes), unused);
	free_highpages(pg, 2 * POOL + 1);
}

struct tlb_reader {
	unsigned long addr;
	u32 seen[NR_CPUS];
};

static void read_on_cpu(void *arg)
{
	struct tlb_reader *r = arg;

	r->seen[smp_processor_id()] = *(volatile u32 *)r->addr;
}

/*
 * Every CPU reads a slot (its TLB now holds it), the slot is released
 * and later reused for another page; every CPU must then read the new
 * page. Only the wrap's global flush makes that true: nothing here writes
 * CR3, and the PTE is global anyway.
 *
 * The case makes its own wrap, whatever earlier cases left: with every
 * idle slot dropped first, no page below can be a kmap() hit on an alias
 * left from an earlier case (pages freed after kunmap() keep theirs until
 * a flush), so each kmap() takes the next free slot, and one lap of the
 * cursor -- POOL maps, the wrap at slot 0 included -- comes back to old's
 * slot.
 */
static void no_cpu_reads_stale_page_after_wrap(struct ktest *t)
{
	struct page **pg = alloc_highpages(t, POOL + 1);
	struct tlb_reader r;
	struct page *old = pg[POOL], *reuser;
	unsigned long flushes, wraps;
	struct lap lap;
	void *va_old;
	int nr, cpu;

	memset_page(old, 0, 0x11, PAGE_SIZE);
	for (int i = 0; i < POOL; i++)
		memset_page(pg[i], 0, 0x22, PAGE_SIZE);
	kmap_flush_unused();
	va_old = kmap(old);
	nr = PKMAP_NR((unsigned long)va_old);
	r.addr = (unsigned long)va_old;
	on_each_cpu(read_on_cpu, &r, 1);	/* every TLB now holds it */
	for_each_online_cpu(cpu)
		EXPECT_EQ(t, r.seen[cpu], 0x11111111);
	kunmap(old);				/* lazy: nothing flushed */

	/* Cycle the pool with other pages until one of them is given the
	 * same slot; that can only happen after a wrap has flushed it. */
	flushes = KMAP_STAT(global_flushes);
	wraps = KMAP_STAT(wraps);
	lap = (struct lap){ pg, POOL, false, nr, NULL, 0, false };
	if (!run_lap(t, &lap)) {
		lap_failed(&lap, pg, POOL + 1);
		return;
	}
	reuser = lap.found;		/* still mapped: the lap kept it */
	EXPECT_EQ(t, KMAP_STAT(wraps), wraps + 1);
	EXPECT_GT(t, KMAP_STAT(global_flushes), flushes);
	EXPECT_PTR_NE(t, reuser, NULL);
	if (reuser) {
		on_each_cpu(read_on_cpu, &r, 1);
		for_each_online_cpu(cpu)
			EXPECT_EQ(t, r.seen[cpu], 0x22222222);	/* nobody saw the old page */
		kunmap(reuser);
	}
	free_highpages(pg, POOL + 1);
}

/*
 * Invariant I2 from another CPU: the wrap frees every idle slot (count 1
 * -> 0), and once kmap_lock is free any kmap() may hand one of them out
 * again. So the flush that drops them from every CPU's TLB must be over
 * before kmap_lock is released, not merely started, and not after it.
 *
 * The window is made to happen, not hoped for. CPU X reads slot 1 while
 * it maps page 'old' (X's TLB now holds slot 1 -> old), and the cursor is
 * walked to slot 511. Then a thread on CPU W kmap()s one page more: the
 * cursor wraps, the pool is flushed and W gets slot 0. A data watchpoint
 * on kmap_lock stops W right after its spin_unlock() (a #DB, interrupts
 * off), and there, inside the window:
 *
 *   - every other CPU must already have run the flush (its ipi_received
 *     moved since W started), and
 *   - X kmap()s a new page, gets slot 1 again, and reads through it: it
 *     must see the new page, not 'old' from a TLB entry nobody flushed.
 *
 * W waits there until X has read (X's kmap() needs nothing from W: the
 * slot is free and no wrap is due). Everything this case runs stays off
 * X's CPU (the laps and the case thread go to W's), so nothing but a
 * flush takes slot 1 out of X's TLB.
 */
#define COOKIE_OLD	0x01d01d00u
#define COOKIE_NEW	0x0e90e900u

enum { X_IDLE, X_CACHE_OLD, X_MAP_NEW, X_QUIT };

/* a lap to the wrap, 510 pages for slots 2..511, then old, W's and X's */
#define WINDOW_PAGES	((POOL + 1) + (POOL - 2) + 3)

struct window {
	struct page *old, *mine, *theirs;
	struct task_struct *wrapper;
	volatile u32 *old_va;
	volatile int cmd, done;			/* to and from X */
	u32 x_cached;				/* X read this through slot 1 ... */
	void *x_va;				/* ... kmap()ed this in the window ... */
	u32 x_read;				/* ... and read this through it */
	void *w_va;				/* W's kmap() (the one that wrapped) */
	volatile bool armed, fired;
	bool x_answered;			/* X read within the time limit */
	unsigned long received[NR_CPUS];	/* flush IPIs run, before W's kmap() */
	unsigned long unflushed;		/* CPUs that had not, at the release */
};

static void put_cookie(struct page *page, u32 v)
{
	u32 *va = kmap_local_page(page);

	*va = v;
	kunmap_local(va);
}

/* Spin (no sleeping: W waits with interrupts off) until *p == want, for
 * at most ms milliseconds of TSC time. */
static bool spin_until_eq(volatile int *p, int want, u32 ms)
{
	u64 t0 = rdtsc(), limit = (u64)tsc_khz * ms;

	while (READ_ONCE(*p) != want) {
		if (rdtsc() - t0 > limit)
			return false;
		cpu_relax();
	}
	return true;
}

/* CPU X: does what it is told, spinning in between (never sleeping, so
 * it answers W at once, and runs nothing that would touch its TLB). */
static int window_mapper_fn(void *arg)
{
	struct window *w = arg;

	for (;;) {
		int cmd = READ_ONCE(w->cmd);

		if (cmd == X_CACHE_OLD && w->done != X_CACHE_OLD) {
			w->x_cached = *w->old_va;
			WRITE_ONCE(w->done, X_CACHE_OLD);
		} else if (cmd == X_MAP_NEW) {
			w->x_va = kmap(w->theirs);
			w->x_read = *(volatile u32 *)w->x_va;
			WRITE_ONCE(w->done, X_MAP_NEW);
			return 0;
		} else if (cmd == X_QUIT) {
			return 0;
		}
		cpu_relax();
	}
}

/* #DB on CPU W, right after a store released kmap_lock. */
static void at_kmap_lock_release(unsigned int hits, struct pt_regs *regs, void *arg)
{
	struct window *w = arg;
	int cpu, me = smp_processor_id();

	if (!w->armed || current != w->wrapper)
		return;
	w->armed = false;
	w->fired = true;
	for_each_online_cpu(cpu)
		if (cpu != me && READ_ONCE(per_cpu(tlb_stats, cpu).ipi_received) == w->received[cpu])
			w->unflushed |= 1UL << cpu;
	WRITE_ONCE(w->cmd, X_MAP_NEW);
	w->x_answered = spin_until_eq(&w->done, X_MAP_NEW, 5000);
}

/* CPU W: the kmap() that wraps, watched from its kmap_lock release. */
static int window_wrapper_fn(void *arg)
{
	struct window *w = arg;

	flush_ipis_received(w->received);
	hw_watch_set_handler(at_kmap_lock_release, w);
	w->armed = true;
	hw_watch_set(0, kmap_lock_release_word(), 2, HW_WATCH_WRITE);
	w->w_va = kmap(w->mine);
	hw_watch_clear_all();
	w->armed = false;
	return 0;
}

static void wrap_flush_is_done_everywhere_before_kmap_lock_is_free(struct ktest *t)
{
	struct page **pg = alloc_highpages(t, WINDOW_PAGES);
	struct lap to_wrap = { pg, POOL + 1, true, -1, NULL, 0, false };
	struct lap to_511 = { pg + POOL + 1, POOL - 2, false, -1, NULL, 0, false };
	struct window w = { .old = pg[2 * POOL - 1], .mine = pg[2 * POOL],
			    .theirs = pg[2 * POOL + 1] };
	int wcpu = ktest_last_cpu(), xcpu = ktest_other_cpu(wcpu);
	struct task_struct *x, *wt;
	unsigned long wraps;
	bool ok;

	if (xcpu < 0) {
		free_highpages(pg, WINDOW_PAGES);
		KTEST_SKIP(t, "needs two CPUs");
	}
	put_cookie(w.old, COOKIE_OLD);
	put_cookie(w.theirs, COOKIE_NEW);
	/* this thread, the laps and W on CPU W: X's CPU runs only X */
	ASSERT_EQ(t, set_cpus_allowed(current, cpumask_of(wcpu)), 0);
	while (smp_processor_id() != wcpu)
		msleep(1);
	x = kthread_create_on_cpu(window_mapper_fn, &w, xcpu, "kmap-x");
	wake_up_process(x);

	kmap_flush_unused();		/* no idle slot left from earlier cases */
	ok = run_lap_on(t, &to_wrap, wcpu);
	if (ok) {
		EXPECT_EQ(t, pkmap_cursor(), 0);
		w.old_va = kmap(w.old);
		EXPECT_EQ(t, PKMAP_NR((unsigned long)w.old_va), 1);
		WRITE_ONCE(w.cmd, X_CACHE_OLD);	/* X's TLB: slot 1 -> old */
		for (unsigned long j0 = jiffies; w.done != X_CACHE_OLD &&
		     jiffies - j0 < LAP_MS * HZ / 1000; )
			msleep(1);
		EXPECT_EQ(t, w.x_cached, COOKIE_OLD);
		kunmap(w.old);			/* slot 1 idle, still mapped */
		ok = w.done == X_CACHE_OLD && run_lap_on(t, &to_511, wcpu);
	}
	if (!ok) {
		WRITE_ONCE(w.cmd, X_QUIT);
		/* pages kept if a lap or X is parked: it may hold one */
		if (ktest_join_timeout(t, x, LAP_MS) && !to_wrap.parked && !to_511.parked)
			free_highpages(pg, WINDOW_PAGES);
		return;
	}
	EXPECT_EQ(t, pkmap_cursor(), POOL - 1);

	wraps = KMAP_STAT(wraps);
	wt = kthread_create_on_cpu(window_wrapper_fn, &w, wcpu, "kmap-w");
	w.wrapper = wt;
	wake_up_process(wt);
	ok = ktest_join_timeout(t, wt, LAP_MS);
	if (!w.fired)
		WRITE_ONCE(w.cmd, X_QUIT);
	ok = ktest_join_timeout(t, x, LAP_MS) && ok;
	if (!ok)
		return;

	/* the premise: W's kmap() wrapped, took slot 0 and released
	 * kmap_lock (the watchpoint fired), and X was in time */
	if (!w.fired) {
		ktest_fail(t, __FILE__, __LINE__,
			   "CPU %d's kmap() returned without a store that releases kmap_lock",
			   wcpu);
		return;
	}
	EXPECT_EQ(t, KMAP_STAT(wraps), wraps + 1);
	EXPECT_EQ(t, PKMAP_NR((unsigned long)w.w_va), 0);
	EXPECT_TRUE(t, w.x_answered);
	/* I2: when kmap_lock came free, every other CPU had flushed */
	if (w.unflushed)
		ktest_fail(t, __FILE__, __LINE__,
			   "kmap_lock was released after a wrap with the pool still in the TLB of CPUs %#lx (no flush IPI run there yet)",
			   w.unflushed);
	/* ... so X, mapping in that window, got slot 1 and its new page */
	if (w.x_va) {
		EXPECT_EQ(t, PKMAP_NR((unsigned long)w.x_va), 1);
		if (w.x_read != COOKIE_NEW)
			ktest_fail(t, __FILE__, __LINE__,
				   "CPU %d kmap()ed a page into slot 1 in the window and read %#x through it: %s",
				   xcpu, w.x_read, w.x_read == COOKIE_OLD ?
				   "the page slot 1 held before the wrap, from a TLB entry not yet flushed" :
				   "neither page");
		kunmap(w.theirs);
	}
	kunmap(w.mine);
	free_highpages(pg, WINDOW_PAGES);
}

/*
 * kmap_lock is what makes the pool safe on several CPUs at once: the
 * hash lookup, the cursor, the counts and the PTE of a new slot are one
 * critical section. Here CPUs kmap() the same pages in the same order at
 * the same time -- fresh pages, so most calls are misses, and with the
 * cursor placed so that the pool wraps, and is flushed, halfway through
 * -- and check each mapping before the kunmap():
 *
 *   word 0 and the last word of the page are its signature (pfn-based),
 *   the slot's PTE maps this page, and the count is at least 2.
 *
 * Two CPUs that took one slot for two pages, a slot freed under a user, a
 * page given two slots or a count that lost an increment all show as a
 * mismatch here (or as a BUG in the pool's own checks, which kills the
 * worker: it then never says it finished).
 *
 * It is kept short on purpose. Under TCG every hand-over of the (fair,
 * ticket) lock waits until the host runs the next waiter's vCPU, which on
 * a loaded 2-core host can take milliseconds: 4 CPUs doing 576 kmap()s
 * each once took 20 s. So at most CONC_WORKERS CPUs take part, on
 * CONC_PAGES pages, and a single thread first walks the cursor (cheaply)
 * to where the wrap falls in the middle of them. It still has a time
 * limit of its own (CONC_MS for the workers, 30 s for the case): a slow
 * host must not fail it; only workers that never end may.
 */
#define CONC_PAGES	64
#define CONC_WORKERS	3
#define CONC_MS		20000

struct conc_run {
	struct page **pages;
	volatile int ready, go;
	struct conc_worker {
		unsigned long ops, bad_sig, bad_pte, bad_count;
		bool finished;
	} w[CONC_WORKERS];
};
static struct conc_run conc;

/* Present pool slots that map the same page as a lower slot. */
static int pkmap_pages_mapped_twice(void)
{
	int twice = 0;

	for (int i = 0; i < LAST_PKMAP; i++) {
		pte_t a = ptep_get(&pkmap_page_table[i]);

		if (!pte_present(a))
			continue;
		for (int j = 0; j < i; j++) {
			pte_t b = ptep_get(&pkmap_page_table[j]);

			if (pte_present(b) && pte_pfn(b) == pte_pfn(a)) {
				twice++;
				break;
			}
		}
	}
	return twice;
}

static u32 conc_sig(struct page *page, int end)
{
	u32 pfn = (u32)page_to_pfn(page);

	return end ? ~pfn : pfn ^ 0x5a5a0000u;
}

static int conc_worker_fn(void *arg)
{
	struct conc_worker *me = arg;

	__atomic_fetch_add(&conc.ready, 1, __ATOMIC_SEQ_CST);
	while (!READ_ONCE(conc.go))
		cpu_relax();
	for (int i = 0; i < CONC_PAGES; i++) {
		struct page *page = conc.pages[i];
		u32 *va = kmap(page);
		int nr = PKMAP_NR((unsigned long)va);
		pte_t pte = ptep_get(&pkmap_page_table[nr]);

		if (va[0] != conc_sig(page, 0) || va[PAGE_SIZE / 4 - 1] != conc_sig(page, 1))
			me->bad_sig++;
		if (!pte_present(pte) || pte_pfn(pte) != page_to_pfn(page))
			me->bad_pte++;
		if (pkmap_slot_count(nr) < 2)
			me->bad_count++;
		me->ops++;
		/* the pool is broken: going on would only corrupt it further
		 * (a hash list walked with interrupts off can hang the CPU) */
		if (me->bad_sig || me->bad_pte || me->bad_count) {
			/* A wrong read alone, through a slot whose PTE and
			 * count are right, is a stale TLB entry (a shootdown
			 * that missed this CPU), not a broken pool: give the
			 * slot back, or every later case finds it held. */
			if (!me->bad_pte && !me->bad_count)
				kunmap(page);
			break;
		}
		kunmap(page);
	}
	me->finished = true;
	return 0;
}

static void concurrent_kmap_on_several_cpus_keeps_pages_apart(struct ktest *t)
{
	/* POOL pages to walk the cursor with, then the workers' */
	struct page **pg = alloc_highpages(t, POOL + CONC_PAGES);
	struct task_struct *p[CONC_WORKERS];
	int cpus[CONC_WORKERS];
	unsigned long ops = 0, bad_sig = 0, bad_pte = 0, bad_count = 0, wraps;
	int cpu, n = 0, walked = 0;
	bool ended = true;

	for_each_online_cpu(cpu)
		if (n < CONC_WORKERS)
			cpus[n++] = cpu;
	if (n < 2) {
		free_highpages(pg, POOL + CONC_PAGES);
		KTEST_SKIP(t, "needs two CPUs");
	}
	for (int i = POOL; i < POOL + CONC_PAGES; i++) {
		u32 *va = kmap_local_page(pg[i]);

		va[0] = conc_sig(pg[i], 0);
		va[PAGE_SIZE / 4 - 1] = conc_sig(pg[i], 1);
		kunmap_local(va);
	}
	/* the wrap halfway through the workers' pages: every slot from the
	 * cursor on is free (count 0), so each miss takes the next one */
	kmap_flush_unused();
	while (pkmap_cursor() != POOL - 1 - CONC_PAGES / 2 && walked < POOL) {
		kmap(pg[walked]);
		kunmap(pg[walked++]);
	}
	ASSERT_EQ(t, pkmap_cursor(), POOL - 1 - CONC_PAGES / 2);
	wraps = KMAP_STAT(wraps);

	memset(&conc, 0, sizeof(conc));
	conc.pages = pg + POOL;
	for (int k = 0; k < n; k++)
		p[k] = kthread_create_on_cpu(conc_worker_fn, &conc.w[k], cpus[k], "kmap-conc");
	for (int k = 0; k < n; k++)
		wake_up_process(p[k]);
	/* all at once, so that they meet on the same pages */
	for (unsigned long j0 = jiffies; conc.ready < n && jiffies - j0 < LAP_MS * HZ / 1000; )
		msleep(1);
	WRITE_ONCE(conc.go, 1);
	for (unsigned long j0 = jiffies; jiffies - j0 < CONC_MS * HZ / 1000; msleep(2)) {
		int done = 0;

		/* a worker is done when it says so, or dies (an oops) */
		for (int k = 0; k < n; k++)
			done += conc.w[k].finished || READ_ONCE(p[k]->state) == TASK_DEAD;
		if (done == n)
			break;
	}
	for (int k = 0; k < n; k++)	/* done: ends at once; else reported */
		ended = ktest_join_timeout(t, p[k], 100) && ended;
	for (int k = 0; k < n; k++) {
		struct conc_worker *w = &conc.w[k];

		if (!w->finished)
			ktest_fail(t, __FILE__, __LINE__, "the worker on CPU %d died after %lu kmap()s",
				   cpus[k], w->ops);
		ops += w->ops;
		bad_sig += w->bad_sig;
		bad_pte += w->bad_pte;
		bad_count += w->bad_count;
	}
	if (!bad_sig && !bad_pte && !bad_count)
		EXPECT_EQ(t, ops, (unsigned long)n * CONC_PAGES);
	EXPECT_EQ(t, KMAP_STAT(wraps), wraps + 1);	/* the wrap came meanwhile */
	EXPECT_EQ(t, bad_sig, 0);	/* read another page through the address */
	EXPECT_EQ(t, bad_pte, 0);	/* the slot mapped another page, or none */
	EXPECT_EQ(t, bad_count, 0);	/* held, yet counted as unused */
	/* I3 afterwards: no page is mapped by two slots */
	EXPECT_EQ(t, pkmap_pages_mapped_twice(), 0);
	if (ended)
		free_highpages(pg, POOL + CONC_PAGES);
}

/*
 * The same question asked one interleaving at a time: while CPU A is in
 * the middle of a miss -- a slot taken and its PTE written, the page not
 * yet in the hash -- CPU B kmap()s the same page. B must wait for
 * kmap_lock, and then find A's slot: one page, one slot (invariant I3).
 *
 * A data watchpoint stops A right after the store that makes its new
 * slot's PTE present (a #DB, interrupts off, kmap_lock held); only then
 * is B let go. Two more watchpoints, on B's CPU, say what B does first:
 * queue for kmap_lock (a store to the lock's ticket half), or write the
 * PTE of a slot of its own. A goes on as soon as B has done either, so
 * nothing here waits on time.
 */
enum { B_NOTHING, B_QUEUED, B_OWN_SLOT };

struct miss_race {
	struct page *page;
	struct task_struct *a, *b;
	pte_t *a_ptep, *b_ptep;		/* the slots the two misses would take */
	volatile bool a_armed, b_armed, b_ready, b_go;
	volatile int b_did;
	bool a_fired, a_answered;
	int b_did_then;			/* what B had done while A was inside */
	void *a_va, *b_va;
};

static void miss_race_at_a(unsigned int hits, struct pt_regs *regs, void *arg)
{
	struct miss_race *r = arg;
	u64 t0, limit = (u64)tsc_khz * 5000;

	if (!r->a_armed || current != r->a)
		return;
	r->a_armed = false;
	hw_watch_clear_all();
	r->a_fired = true;
	WRITE_ONCE(r->b_go, true);
	for (t0 = rdtsc(); READ_ONCE(r->b_did) == B_NOTHING && rdtsc() - t0 < limit; )
		cpu_relax();
	r->b_did_then = READ_ONCE(r->b_did);
	r->a_answered = r->b_did_then != B_NOTHING;
}

static void miss_race_at_b(unsigned int hits, struct pt_regs *regs, void *arg)
{
	struct miss_race *r = arg;

	if (!r->b_armed || current != r->b)
		return;
	r->b_armed = false;
	hw_watch_clear_all();
	WRITE_ONCE(r->b_did, hits & 1 ? B_QUEUED : B_OWN_SLOT);
}

static int miss_race_a_fn(void *arg)
{
	struct miss_race *r = arg;

	hw_watch_set_handler(miss_race_at_a, r);
	r->a_armed = true;
	hw_watch_set(0, r->a_ptep, 4, HW_WATCH_WRITE);	/* the low word: P */
	r->a_va = kmap(r->page);
	hw_watch_clear_all();
	r->a_armed = false;
	return 0;
}

static int miss_race_b_fn(void *arg)
{
	struct miss_race *r = arg;

	hw_watch_set_handler(miss_race_at_b, r);
	r->b_armed = true;
	hw_watch_set(0, kmap_lock_ticket_word(), 2, HW_WATCH_WRITE);
	hw_watch_set(1, r->b_ptep, 4, HW_WATCH_WRITE);
	r->b_ready = true;
	while (!READ_ONCE(r->b_go))
		cpu_relax();
	r->b_va = kmap(r->page);
	hw_watch_clear_all();
	r->b_armed = false;
	return 0;
}

static void kmap_of_a_page_being_mapped_waits_for_kmap_lock(struct ktest *t)
{
	struct page *pg[2];
	struct miss_race r = { 0 };
	int acpu = ktest_last_cpu(), bcpu = ktest_other_cpu(acpu);
	unsigned int c;
	bool ended;

	if (bcpu < 0)
		KTEST_SKIP(t, "needs two CPUs");
	ktest_highpages(t, pg, 2);
	r.page = pg[0];
	/* every idle slot free; the two slots after the cursor are the ones
	 * the two misses would take (kept clear of the wrap at slot 0) */
	kmap_flush_unused();
	while ((pkmap_cursor() + 2) % POOL < 2) {
		kmap(pg[1]);
		kunmap(pg[1]);
		kmap_flush_unused();
	}
	c = pkmap_cursor();
	r.a_ptep = &pkmap_page_table[c + 1];
	r.b_ptep = &pkmap_page_table[c + 2];

	r.b = kthread_create_on_cpu(miss_race_b_fn, &r, bcpu, "kmap-b");
	wake_up_process(r.b);
	while (!r.b_ready)
		msleep(1);
	r.a = kthread_create_on_cpu(miss_race_a_fn, &r, acpu, "kmap-a");
	wake_up_process(r.a);
	ended = ktest_join_timeout(t, r.a, LAP_MS);
	if (!r.a_fired)
		WRITE_ONCE(r.b_go, true);	/* let B finish anyway */
	ended = ktest_join_timeout(t, r.b, LAP_MS) && ended;
	if (!ended)
		return;		/* the pages stay: a parked thread may map them */

	if (!r.a_fired) {
		/* the premise: A's miss takes the slot after the cursor */
		ktest_fail(t, __FILE__, __LINE__,
			   "CPU %d's kmap() of a page not in the pool did not write pkmap slot %u, the one after the cursor (it got slot %d)",
			   acpu, c + 1, r.a_va ? (int)PKMAP_NR((unsigned long)r.a_va) : -1);
		if (r.a_va)
			kunmap(r.page);
		if (r.b_va)
			kunmap(r.page);
		kmap_flush_unused();
		__free_page(pg[0]);
		__free_page(pg[1]);
		return;
	}
	EXPECT_TRUE(t, r.a_answered);
	if (r.b_did_then == B_OWN_SLOT)
		ktest_fail(t, __FILE__, __LINE__,
			   "while CPU %d was mapping the page into pkmap slot %u, CPU %d took slot %u for it too: nothing made it wait (kmap_lock)",
			   acpu, c + 1, bcpu, c + 2);
	EXPECT_EQ(t, r.b_did_then, B_QUEUED);
	EXPECT_PTR_EQ(t, r.b_va, r.a_va);		/* one page, one slot */
	if (r.b_va != r.a_va || !r.a_va)
		return;		/* a pool in that state cannot be tidied up */
	EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR((unsigned long)r.a_va)), 3);
	kunmap(r.page);
	kunmap(r.page);
	kmap_flush_unused();
	__free_page(pg[0]);
	__free_page(pg[1]);
}

struct hog {
	struct page **pages;
	int n;
	volatile int held;
	volatile int release;
};

static int hog_fn(void *arg)
{
	struct hog *h = arg;

	for (int i = 0; i < h->n; i++) {
		kmap(h->pages[i]);
		h->held = i + 1;
	}
	while (!h->release)
		msleep(2);
	kunmap(h->pages[0]);		/* frees exactly one slot */
	while (h->release != 2)
		msleep(2);
	for (int i = 1; i < h->n; i++)
		kunmap(h->pages[i]);
	return 0;
}

struct asker {
	struct page *page;
	volatile void *addr;
};

static int asker_fn(void *arg)
{
	struct asker *a = arg;

	a->addr = kmap(a->page);
	return 0;
}

/* Slots some other thread holds now (count >= 2); after
 * kmap_flush_unused() every other slot is free. */
static int pkmap_slots_held(void)
{
	int held = 0;

	for (int nr = 0; nr < LAST_PKMAP; nr++)
		held += pkmap_slot_count(nr) >= 2;
	return held;
}

/*
 * With every slot held, kmap() sleeps until a kunmap() frees one.
 * Every wait is bounded (LAP_MS): a hog that cannot fill the pool, or an
 * asker that a kunmap() never wakes, fails the case, reported where it
 * waits and parked, instead of hanging it. Pages are then not freed: a
 * parked thread may hold them mapped.
 */
static void kmap_sleeps_while_pool_full(struct ktest *t)
{
	struct page **pg = alloc_highpages(t, POOL + 1);
	struct hog h = { .pages = pg, .n = POOL };
	struct asker a = { .page = pg[POOL] };
	struct task_struct *ph, *pa;
	unsigned long sleeps;
	bool ended;

	kmap_flush_unused();	/* every idle slot back to count 0 */
	/* slots held by someone else would leave the hog asleep */
	if (pkmap_slots_held()) {
		ktest_fail(t, __FILE__, __LINE__, "%d pkmap slots are held outside this case",
			   pkmap_slots_held());
		free_highpages(pg, POOL + 1);
		return;
	}
	ph = kthread_run(hog_fn, &h, "kmap-hog");
	for (unsigned long j0 = jiffies; h.held != POOL && jiffies - j0 < LAP_MS * HZ / 1000; )
		msleep(2);
	if (h.held != POOL) {
		ktest_fail(t, __FILE__, __LINE__, "the hog mapped %d of %d pages in %d ms",
			   h.held, POOL, LAP_MS);
		ktest_join_timeout(t, ph, 0);		/* report and park it */
		return;
	}
	sleeps = KMAP_STAT(sleeps);
	pa = kthread_run(asker_fn, &a, "kmap-asker");
	msleep(40);
	EXPECT_PTR_EQ(t, a.addr, NULL);			/* still waiting ... */
	EXPECT_EQ(t, READ_ONCE(pa->state), TASK_UNINTERRUPTIBLE);	/* ... asleep */
	EXPECT_EQ(t, KMAP_STAT(sleeps), sleeps + 1);
	h.release = 1;				/* one kunmap(): the asker's slot */
	ended = ktest_join_timeout(t, pa, LAP_MS);
	EXPECT_PTR_NE(t, a.addr, NULL);
	if (a.addr)
		kunmap(a.page);
	h.release = 2;
	ended = ktest_join_timeout(t, ph, LAP_MS) && ended;
	if (ended)
		free_highpages(pg, POOL + 1);
}

/*
 * Invariant I3 across a sleep: a kmap() that slept on a full pool must,
 * once woken, look the page up again before taking a slot of its own --
 * another task may have mapped that very page meanwhile, and one page
 * has at most one slot (all its users share one address and one count).
 *
 * The order is forced, not raced. The sleeper sleeps on CPU A; a blocker
 * then holds CPU A with preemption off, so the sleeper, once woken, cannot
 * run. The hog frees one slot (which wakes the sleeper) and this thread,
 * on another CPU, kmap()s the sleeper's page into that slot. Only then is
 * CPU A let go: the sleeper must come back with this thread's address.
 * If it does not look again it finds the pool full, sleeps a second time,
 * and with one more slot freed maps the page twice.
 */
struct pool_hog {
	struct page **pages;
	int n;
	volatile int held, freed;
	volatile int release;		/* kunmap() pages[0 .. release-1] */
};

static int pool_hog_fn(void *arg)
{
	struct pool_hog *h = arg;

	for (int i = 0; i < h->n; i++) {
		kmap(h->pages[i]);
		h->held = i + 1;
	}
	while (h->freed < h->n) {
		if (READ_ONCE(h->release) > h->freed) {
			kunmap(h->pages[h->freed]);
			h->freed++;
		} else {
			msleep(2);
		}
	}
	return 0;
}

struct cpu_blocker {
	volatile bool blocking, unblock;
};

/* Keep this CPU: a task woken here cannot run until unblock. */
static int cpu_blocker_fn(void *arg)
{
	struct cpu_blocker *b = arg;

	preempt_disable();
	b->blocking = true;
	while (!READ_ONCE(b->unblock))
		cpu_relax();
	preempt_enable();
	return 0;
}

/* Wait up to LAP_MS for *p to become non-zero; says whether it did. */
static bool wait_set(volatile int *p)
{
	for (unsigned long j0 = jiffies; !READ_ONCE(*p); msleep(1))
		if (jiffies - j0 > LAP_MS * HZ / 1000)
			return false;
	return true;
}

struct recheck_sleeper {
	struct page *page;
	void *volatile addr;
	volatile int done;
};

static int recheck_sleeper_fn(void *arg)
{
	struct recheck_sleeper *s = arg;

	s->addr = kmap(s->page);
	s->done = 1;
	return 0;
}

static void woken_kmap_finds_the_page_mapped_while_it_slept(struct ktest *t)
{
	struct page **pg = alloc_highpages(t, POOL + 1);
	struct pool_hog h = { .pages = pg, .n = POOL };
	struct recheck_sleeper s = { .page = pg[POOL] };
	struct cpu_blocker b = { false, false };
	int acpu = ktest_last_cpu(), bcpu = ktest_other_cpu(acpu);
	struct task_struct *ph, *ps, *pb;
	unsigned long sleeps;
	volatile int blocking;
	void *mine;
	bool ended = true, slept_again = false;
	int nr;

	if (bcpu < 0) {
		free_highpages(pg, POOL + 1);
		KTEST_SKIP(t, "needs two CPUs (one is held while the sleeper is woken)");
	}
	kmap_flush_unused();
	if (pkmap_slots_held()) {
		ktest_fail(t, __FILE__, __LINE__, "%d pkmap slots are held outside this case",
			   pkmap_slots_held());
		free_highpages(pg, POOL + 1);
		return;
	}
	/* everything but the sleeper and the blocker runs on CPU B */
	ASSERT_EQ(t, set_cpus_allowed(current, cpumask_of(bcpu)), 0);
	ph = kthread_create_on_cpu(pool_hog_fn, &h, bcpu, "kmap-hog");
	wake_up_process(ph);
	for (unsigned long j0 = jiffies; h.held != POOL && jiffies - j0 < LAP_MS * HZ / 1000; )
		msleep(2);
	if (h.held != POOL) {
		ktest_fail(t, __FILE__, __LINE__, "the hog mapped %d of %d pages in %d ms",
			   h.held, POOL, LAP_MS);
		ktest_join_timeout(t, ph, 0);		/* report and park it */
		return;
	}

	/* 1. the sleeper, on CPU A, finds the pool full and sleeps */
	sleeps = KMAP_STAT(sleeps);
	ps = kthread_create_on_cpu(recheck_sleeper_fn, &s, acpu, "kmap-sleeper");
	wake_up_process(ps);
	for (unsigned long j0 = jiffies; (KMAP_STAT(sleeps) == sleeps ||
	     READ_ONCE(ps->state) != TASK_UNINTERRUPTIBLE) && READ_ONCE(ps->state) != TASK_DEAD &&
	     jiffies - j0 < LAP_MS * HZ / 1000; )
		msleep(1);
	EXPECT_EQ(t, KMAP_STAT(sleeps), sleeps + 1);
	EXPECT_EQ(t, READ_ONCE(ps->state), TASK_UNINTERRUPTIBLE);
	if (KMAP_STAT(sleeps) != sleeps + 1 || READ_ONCE(ps->state) != TASK_UNINTERRUPTIBLE) {
		/* no sleeper to wake: the rest would only hold CPU A for
		 * nothing (and this thread's kmap() would find a full pool) */
		h.release = POOL;
		ended = ktest_join_timeout(t, ps, LAP_MS);
		if (ended && s.done)
			kunmap(s.page);
		ended = ktest_join_timeout(t, ph, LAP_MS) && ended;
		if (ended)
			free_highpages(pg, POOL + 1);
		return;
	}

	/* 2. CPU A is held, so the sleeper cannot run once woken */
	pb = kthread_create_on_cpu(cpu_blocker_fn, &b, acpu, "cpu-blocker");
	wake_up_process(pb);
	blocking = 0;
	for (unsigned long j0 = jiffies; !(blocking = b.blocking) &&
	     jiffies - j0 < LAP_MS * HZ / 1000; )
		msleep(1);

	/* 3. one slot freed (the sleeper is woken) and the page mapped here */
	h.release = 1;
	if (!blocking || !wait_set(&h.freed)) {
		b.unblock = true;
		ktest_fail(t, __FILE__, __LINE__, "the blocker or the hog did not start");
		h.release = POOL;
		ktest_join_timeout(t, pb, LAP_MS);
		ktest_join_timeout(t, ps, LAP_MS);
		ktest_join_timeout(t, ph, LAP_MS);
		return;
	}
	mine = kmap(s.page);
	nr = PKMAP_NR((unsigned long)mine);
	EXPECT_PTR_EQ(t, s.addr, NULL);		/* it has not run yet */

	/* 4. let the sleeper run: it must find the page mapped, and share */
	b.unblock = true;
	for (unsigned long j0 = jiffies; !s.done && jiffies - j0 < LAP_MS * HZ / 1000; msleep(1))
		if (KMAP_STAT(sleeps) != sleeps + 1) {
			slept_again = true;
			break;
		}
	if (slept_again) {
		ktest_fail(t, __FILE__, __LINE__,
			   "woken with its page already mapped at %p (pkmap slot %d) by another task, the sleeper went back to sleep for a slot of its own",
			   mine, nr);
		h.release = 2;		/* let it go on: to a second slot? */
	}
	ended = ktest_join_timeout(t, ps, LAP_MS);
	ended = ktest_join_timeout(t, pb, LAP_MS) && ended;
	if (s.done && s.addr != mine)
		ktest_fail(t, __FILE__, __LINE__,
			   "one page, two pkmap slots: %p (this thread's kmap()) and %p (the sleeper's) -- invariant I3",
			   mine, s.addr);
	EXPECT_PTR_EQ(t, s.addr, mine);
	if (s.done && s.addr == mine) {
		EXPECT_EQ(t, pkmap_slot_count(nr), 3);	/* two users, one slot */
		kunmap(s.page);
		kunmap(s.page);
	} else if (s.done) {
		kunmap(s.page);		/* the newer slot; the older stays held */
		ended = false;
	} else {
		kunmap(s.page);		/* the sleeper never came back: ours only */
	}
	h.release = POOL;
	ended = ktest_join_timeout(t, ph, LAP_MS) && ended;
	if (ended)
		free_highpages(pg, POOL + 1);
}

static void kmap_flush_unused_drops_idle_slots(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	void *va = kmap(page);
	int nr = PKMAP_NR((unsigned long)va);
	unsigned long unused;

	kunmap(page);
	EXPECT_EQ(t, pkmap_slot_count(nr), 1);
	unused = KMAP_STAT(unused_flushes);
	kmap_flush_unused();
	/* a flush counted by its cause; a second finds nothing to flush */
	EXPECT_EQ(t, KMAP_STAT(unused_flushes), unused + 1);
	kmap_flush_unused();
	EXPECT_EQ(t, KMAP_STAT(unused_flushes), unused + 1);
	EXPECT_EQ(t, pkmap_slot_count(nr), 0);
	EXPECT_PTR_EQ(t, page_address(page), NULL);
	EXPECT_TRUE(t, pte_none(ptep_get(&pkmap_page_table[nr])));
	__free_page(page);
}

static int kunmap_unmapped_fn(void *arg)
{
	kunmap(arg);		/* never kmapped: BUG */
	return 0;
}

static void kunmap_of_unmapped_page_is_a_bug(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	struct ktest_child r;

	kmap_flush_unused();
	ktest_expect(t, "kunmap() of a page that is not kmapped");
	ktest_expect(t, "kernel BUG at mm/highmem.c");
	r = ktest_run_child(kunmap_unmapped_fn, page, -1, "bad-kunmap");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kmap: kunmap() of a page that is not kmapped\n"));
	EXPECT_FALSE(t, log_contains(r.mark, "one kunmap() too many"));
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	__free_page(page);
}

static int kunmap_twice_fn(void *arg)
{
	kmap(arg);
	kunmap(arg);
	kunmap(arg);		/* one too many: the count would reach 0 */
	return 0;
}

static void one_kunmap_too_many_is_a_bug_and_the_pool_survives(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	struct ktest_child r;
	void *va;

	ktest_expect(t, "one kunmap() too many");
	ktest_expect(t, "kernel BUG at mm/highmem.c");
	r = ktest_run_child(kunmap_twice_fn, page, -1, "kunmap-twice");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kmap: one kunmap() too many: pfn "));
	EXPECT_FALSE(t, log_contains(r.mark, "not kmapped"));
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	/* the lock was not lost with the thread, and the slot is idle again */
	va = kmap(page);
	EXPECT_EQ(t, pkmap_slot_count(PKMAP_NR((unsigned long)va)), 2);
	kunmap(page);
	kmap_flush_unused();	/* no stale pool alias of a page we free */
	__free_page(page);
}

struct atomic_kmap {
	struct page *page;
	void *va;
};

/* kmap() with preemption off: might_sleep() fires even for a lowmem page,
 * which needs no slot and never sleeps. The rule is about the caller's
 * context, not about this particular page. The kunmap() is done where
 * sleeping is allowed, so only kmap()'s check can fire. */
static int kmap_atomic_ctx_fn(void *arg)
{
	struct atomic_kmap *a = arg;

	preempt_disable();
	a->va = kmap(a->page);
	preempt_enable();
	kunmap(a->page);
	return 0;
}

static void kmap_from_atomic_context_splats(struct ktest *t)
{
	struct atomic_kmap a = { .page = alloc_page(GFP_KERNEL) };
	struct ktest_child r;

	ktest_expect(t, "BUG: sleeping function called from invalid context at mm/highmem.h");
	r = ktest_run_child(kmap_atomic_ctx_fn, &a, -1, "atomic-kmap");
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_PTR_EQ(t, a.va, lowmem_page_address(a.page));
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: sleeping function called from invalid context at mm/highmem.h:"));
	EXPECT_TRUE(t, log_contains(r.mark, "in_atomic(): 1, irqs_disabled(): 0"));
	__free_page(a.page);
}

/* kmap()/kunmap() from a hard IRQ: might_sleep() rejects it (with
 * interrupts off, spinning on kmap_lock could deadlock the shootdown). */
static volatile bool irq_kunmap_done;
static struct page *irq_kunmap_page;

static void kunmap_in_irq(struct pt_regs *regs)
{
	kunmap(irq_kunmap_page);	/* lowmem: no lock taken, only the check */
	irq_kunmap_done = true;
	lapic_eoi();
}

static void kunmap_from_irq_context_splats(struct ktest *t)
{
	u64 mark = log_mark();

	ktest_expect(t, "BUG: sleeping function called from invalid context at mm/highmem.h");
	irq_kunmap_page = alloc_page(GFP_KERNEL);
	irq_kunmap_done = false;
	set_irq_handler(KTEST_VECTOR, kunmap_in_irq);
	preempt_disable();
	lapic_send_ipi(x86_cpu_to_apicid[smp_processor_id()], KTEST_VECTOR);
	while (!irq_kunmap_done)
		cpu_relax();
	preempt_enable();
	set_irq_handler(KTEST_VECTOR, NULL);
	EXPECT_TRUE(t, log_contains(mark, "BUG: sleeping function called from invalid context at mm/highmem.h:"));
	EXPECT_TRUE(t, log_contains(mark, "in_atomic(): 1, irqs_disabled(): 1"));
	__free_page(irq_kunmap_page);
}

KTEST_SUITE(kmap,
	KTEST_CASE(kmap_of_lowmem_page_uses_no_slot),
	KTEST_CASE(two_threads_share_one_address_valid_on_every_cpu),
	KTEST_CASE(kmap_hit_reuses_slot_without_pte_write),
	KTEST_CASE(one_global_flush_per_wrap_with_ipis_to_all),
	KTEST_CASE(no_cpu_reads_stale_page_after_wrap),
	KTEST_CASE(wrap_flush_is_done_everywhere_before_kmap_lock_is_free),
	/* contended ticket-lock hand-overs: slow on a loaded host under TCG */
	KTEST_CASE_TIMEOUT(concurrent_kmap_on_several_cpus_keeps_pages_apart, 30),
	KTEST_CASE(kmap_of_a_page_being_mapped_waits_for_kmap_lock),
	KTEST_CASE(kmap_sleeps_while_pool_full),
	KTEST_CASE(woken_kmap_finds_the_page_mapped_while_it_slept),
	KTEST_CASE(kmap_flush_unused_drops_idle_slots),
	KTEST_CASE(kunmap_of_unmapped_page_is_a_bug),
	KTEST_CASE(one_kunmap_too_many_is_a_bug_and_the_pool_survives),
	KTEST_CASE(kmap_from_atomic_context_splats),
	KTEST_CASE(kunmap_from_irq_context_splats));
