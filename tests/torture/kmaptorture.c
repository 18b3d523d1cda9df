/* SPDX-License-Identifier: MIT */
/*
 * kmaptorture.c - torture=kmap: all three highmem APIs at once, on every
 * CPU, for a while, with every byte read through a mapping checked.
 *
 *   torture=kmap[,secs=N][,threads=M]      (default 10 s, 1 of each kind per CPU)
 *
 * In the manner of Linux's locktorture: many threads hammer the mechanism
 * and a signature check turns any mistake into a counted mismatch, instead
 * of a test that asks one question at a time. The workers, per CPU:
 *
 *   kmap      kmap() a few random pages, hold them across a sleep, a yield
 *             or a migration, check them again, then kunmap() them or hand
 *             them to the reaper, which checks them from another CPU later;
 *   local     kmap_local_page() nested to a random depth, held across
 *             preemption (the switch hooks save and restore the slots) and
 *             checked again; the CPU must not change while they are held;
 *   atomic    kmap_atomic(), nested, with preemption and page faults off;
 *
 * and once: the reaper (holds handed-over kmaps for a few ms, so the pool
 * of 512 fills and kmap() sleeps), and the IRQ driver (call-function IPIs
 * whose handlers map pages with kmap_local_page() and kmap_atomic() on top
 * of whatever the interrupted worker holds).
 *
 * The torture set is a few hundred to 1024 highmem pages, more than the
 * pool has slots, so the pool wraps and its flushes are exercised. Every
 * page carries a signature:
 *
 *   word 0        its own pfn               (never changes)
 *   word 1        its generation g
 *   word 64*k     mix(pfn, g, k), k = 1..15
 *
 * A reader checks word 0 first: a stale TLB entry, a slot restored to the
 * wrong page or two pages behind one address all show up as the wrong
 * pfn. Then, inside a seqcount read section, it checks that the other
 * words agree with the generation the page's writer published. A writer
 * (any worker, and the IRQ handlers, by trylock) bumps the generation.
 *
 * The verdict is one line, in locktorture's form:
 *   kmaptorture: End of test: SUCCESS: ops=... kmap=... local=... atomic=...
 *                irq=... wraps=... sleeps=... migrations=... mismatches=0
 */
#include "tests/torture/kmaptorture.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/div64.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "mm/highmem.h"
#include "mm/page_alloc.h"
#include "mm/kmap_stats.h"

#define TORTURE_MAX_PAGES	1024
#define SIG_STRIDE		64	/* words between checked words */
#define SIG_WORDS		(PAGE_SIZE / 4 / SIG_STRIDE)
#define MAX_WORKERS		(3 * 4 * NR_CPUS)
#define KMAP_BATCH		16
#define REAP_SLOTS		1024	/* handed-over kmaps the reaper can hold */
#define REAP_KEEP		900	/* the reaper holds this many, so the pool fills */
#define REAP_AGE_US		300000	/* ... each for at most this long */
#define MAX_REPORTS		10
#define LOCAL_DEPTH_LIMIT	40	/* > any km_max_idx / km_incr */

/* ---- options ---- */

static bool torture_wanted;
static unsigned int torture_secs = 10, torture_threads = 1;

/* "kmap[,secs=N][,threads=M]" */
static bool set_torture(const char *v)
{
	while (v && *v) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);
		unsigned long num;

		if (n == 4 && !strncmp(v, "kmap", 4))
			torture_wanted = true;
		else if (n > 5 && !strncmp(v, "secs=", 5) && parse_ulong(v + 5, n - 5, &num) &&
			 num >= 1 && num <= 100000)
			torture_secs = num;
		else if (n > 8 && !strncmp(v, "threads=", 8) && parse_ulong(v + 8, n - 8, &num) &&
			 num >= 1 && num <= 4)
			torture_threads = num;
		else
			return false;	/* the option is named as bad, and we halt */
		v = comma ? comma + 1 : NULL;
	}
	return torture_wanted;
}
early_param("torture", set_torture);

void torture_set_secs(unsigned int secs)
{
	torture_secs = secs;
}

bool torture_requested(void)
{
	return torture_wanted;
}

/* ---- the torture set and its signatures ---- */

struct tpage {
	struct page *page;
	unsigned long pfn;
	unsigned int seq;		/* odd while a writer is at work */
	unsigned int gen;		/* the generation the page holds */
	int writer;			/* 1 while somebody writes: trylock */
};

static struct tpage tset[TORTURE_MAX_PAGES];
static int tset_size;

static volatile bool torture_stop;
static unsigned long mismatches;
static unsigned long n_ops, n_kmap, n_local, n_atomic, n_irq, n_writes, n_reaped;

static inline void count(unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static inline u32 sig_word(unsigned long pfn, unsigned int gen, unsigned int k)
{
	return (u32)pfn * 0x9e3779b1u ^ gen * 0x85ebca77u ^ k;
}

/* A per-thread xorshift generator (IRQ handlers seed theirs from the TSC). */
static inline u32 rnd(u32 *s)
{
	u32 x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x ? x : 0x2545f491u;
}

static void mismatch(const char *via, const struct tpage *tp, const void *va,
		     const char *what, unsigned long want, unsigned long got)
{
	unsigned long n = __atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);

	if (n <= MAX_REPORTS)
		printk(KERN_ERR "kmaptorture: MISMATCH %lu via %s on CPU %d (%s): page pfn %#lx at %08lx: %s %#lx, read %#lx\n",
		       n, via, smp_processor_id(), current->comm, tp->pfn,
		       (unsigned long)va, what, want, got);
}

/* Check a page through the address va that 'via' gave us. */
static void verify(const char *via, struct tpage *tp, const void *va)
{
	const volatile u32 *w = va;
	unsigned int s1, s2, gen;
	u32 bad_k = 0, bad = 0;

	if (w[0] != (u32)tp->pfn) {
		mismatch(via, tp, va, "pfn word: want", tp->pfn, w[0]);
		return;
	}
	s1 = READ_ONCE(tp->seq);
	barrier();
	if (s1 & 1)
		return;			/* a writer is at work: nothing to compare */
	gen = READ_ONCE(tp->gen);
	if (w[1] != gen)
		bad_k = 1, bad = w[1];
	for (unsigned int k = 1; !bad_k && k < SIG_WORDS; k++)
		if (w[k * SIG_STRIDE] != sig_word(tp->pfn, gen, k))
			bad_k = k * SIG_STRIDE, bad = w[k * SIG_STRIDE];
	barrier();
	s2 = READ_ONCE(tp->seq);
	if (bad_k && s1 == s2)
		mismatch(via, tp, va, "generation word: want",
			 bad_k == 1 ? gen : sig_word(tp->pfn, gen, bad_k / SIG_STRIDE), bad);
}

/* Publish a new generation through va, if nobody else is writing. */
static void maybe_write(struct tpage *tp, void *va, u32 *seed)
{
	volatile u32 *w = va;
	unsigned int gen;
	int expect = 0;

	if (rnd(seed) % 4)
		return;
	if (!__atomic_compare_exchange_n(&tp->writer, &expect, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	gen = tp->gen + 1;
	WRITE_ONCE(tp->seq, tp->seq + 1);	/* odd: readers stand back */
	smp_wmb();
	w[1] = gen;
	for (unsigned int k = 1; k < SIG_WORDS; k++)
		w[k * SIG_STRIDE] = sig_word(tp->pfn, gen, k);
	smp_wmb();
	WRITE_ONCE(tp->gen, gen);
	smp_wmb();
	WRITE_ONCE(tp->seq, tp->seq + 1);
	__atomic_store_n(&tp->writer, 0, __ATOMIC_RELEASE);
	count(&n_writes);
}

static int random_cpu(u32 *seed)
{
	return (int)(rnd(seed) % (u32)num_online_cpus());
}

static struct tpage *pick(u32 *seed)
{
	return &tset[rnd(seed) % (u32)tset_size];
}

/* ---- the reaper: kmaps handed over by other threads ---- */

static DEFINE_SPINLOCK(reap_lock);
static struct reap_item {
	struct tpage *tp;
	void *va;
	u64 when;
} reap_ring[REAP_SLOTS];
static unsigned int reap_head, reap_tail;	/* head - tail = queued */

static bool hand_over(struct tpage *tp, void *va)
{
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&reap_lock, flags);
	if (reap_head - reap_tail < REAP_SLOTS) {
		reap_ring[reap_head % REAP_SLOTS] = (struct reap_item){ tp, va, ktime_get_ns() };
		reap_head++;
		ok = true;
	}
	spin_unlock_irqrestore(&reap_lock, flags);
	return ok;
}

/* Take the oldest item if the reaper holds too many, or it is old enough,
 * or 'all' is set. Holding ~900 kmaps of 1024 pages (~600 distinct) keeps the pool of 512
 * full most of the time: kmap() sleeps until the reaper lets one go. */
static bool reap_one(struct reap_item *it, bool all)
{
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&reap_lock, flags);
	if (reap_head != reap_tail) {
		struct reap_item *old = &reap_ring[reap_tail % REAP_SLOTS];

		if (all || reap_head - reap_tail > REAP_KEEP ||
		    ktime_get_ns() - old->when >= REAP_AGE_US * 1000ULL) {
			*it = *old;
			reap_tail++;
			ok = true;
		}
	}
	spin_unlock_irqrestore(&reap_lock, flags);
	return ok;
}

static void reap(bool all)
{
	struct reap_item it;

	while (reap_one(&it, all)) {
		/* mapped by another thread, maybe on another CPU, a while ago */
		verify("kmap (handed over)", it.tp, it.va);
		kunmap(it.tp->page);
		count(&n_reaped);
	}
}

static volatile bool reaper_stop;

/* Runs until every worker has ended: a worker may be asleep in kmap()
 * waiting for a slot that only the reaper will free. Once the run is
 * over it lets everything go at once. */
static int reaper_thread(void *unused)
{
	while (!READ_ONCE(reaper_stop)) {
		reap(READ_ONCE(torture_stop));
		msleep(1);
	}
	return 0;
}

/* ---- the workers ---- */

struct worker {
	struct task_struct *task;
	u32 seed;
	int kind;
};

enum { W_KMAP, W_LOCAL, W_ATOMIC, W_KINDS };
static const char *const kind_names[] = { "kmap", "local", "atomic" };

static void kmap_round(struct worker *w)
{
	struct tpage *held[KMAP_BATCH];
	void *va[KMAP_BATCH];
	int n = 1 + rnd(&w->seed) % KMAP_BATCH;

	for (int i = 0; i < n; i++) {
		held[i] = pick(&w->seed);
		va[i] = kmap(held[i]->page);	/* may sleep on a full pool */
		verify("kmap", held[i], va[i]);
		maybe_write(held[i], va[i], &w->seed);
		count(&n_kmap);
	}
	switch (rnd(&w->seed) % 4) {		/* a kmap is valid across all of these */
	case 0: msleep(1 + rnd(&w->seed) % 2); break;
	case 1: yield(); break;
	case 2: migrate_task_to(current, random_cpu(&w->seed)); break;
	default: break;
	}
	for (int i = n - 1; i >= 0; i--) {
		verify("kmap (after a sleep)", held[i], va[i]);
		if (rnd(&w->seed) % 4 == 0 || !hand_over(held[i], va[i]))
			kunmap(held[i]->page);
	}
}

static int local_depth_max(void)
{
	/* positions per task, less room for IRQ maps on top and one spare */
	int usable = (km_max_idx - 1) / km_incr;

	usable = usable > 6 ? usable - 4 : 1;
	return usable < LOCAL_DEPTH_LIMIT ? usable : LOCAL_DEPTH_LIMIT;
}

static void local_round(struct worker *w)
{
	struct tpage *held[LOCAL_DEPTH_LIMIT];
	void *va[LOCAL_DEPTH_LIMIT];
	int depth = 1 + rnd(&w->seed) % local_depth_max();
	int cpu;

	for (int i = 0; i < depth; i++) {
		held[i] = pick(&w->seed);
		va[i] = kmap_local_page(held[i]->page);
		verify("kmap_local", held[i], va[i]);
		count(&n_local);
	}
	cpu = smp_processor_id();
	/* held across preemption: spin past a tick, or give the CPU away */
	if (rnd(&w->seed) % 2) {
		u64 until = ktime_get_ns() + rnd(&w->seed) % 2000000;

		while (ktime_get_ns() < until)
			cpu_relax();
	} else {
		yield();
	}
	if (smp_processor_id() != cpu) {
		mismatch("kmap_local", held[0], va[0], "migrated while holding: CPU was",
			 (unsigned long)cpu, (unsigned long)smp_processor_id());
	}
	for (int i = depth - 1; i >= 0; i--) {
		verify("kmap_local (after a switch)", held[i], va[i]);
		maybe_write(held[i], va[i], &w->seed);
		kunmap_local(va[i]);
	}
	if (rnd(&w->seed) % 16 == 0)	/* nothing held now: free to move */
		migrate_task_to(current, random_cpu(&w->seed));
}

static void atomic_round(struct worker *w)
{
	struct tpage *a = pick(&w->seed), *b = pick(&w->seed);
	void *va = kmap_atomic(a->page), *vb;

	if (!pagefault_disabled())
		mismatch("kmap_atomic", a, va, "page faults enabled: pagefault_disabled", 1, 0);
	if (!kmap_atomic_rt && !preempt_count())
		mismatch("kmap_atomic", a, va, "preemptible: preempt_count", 1, 0);
	verify("kmap_atomic", a, va);
	vb = kmap_atomic(b->page);
	verify("kmap_atomic (nested)", b, vb);
	maybe_write(b, vb, &w->seed);
	kunmap_atomic(vb);
	verify("kmap_atomic", a, va);
	kunmap_atomic(va);
	count(&n_atomic);	/* two maps: the outer and the nested one */
	count(&n_atomic);
	yield();	/* atomic rounds are short: leave the CPU to the others */
}

static int worker_thread(void *arg)
{
	struct worker *w = arg;

	while (!READ_ONCE(torture_stop)) {
		switch (w->kind) {
		case W_KMAP: kmap_round(w); break;
		case W_LOCAL: local_round(w); break;
		default: atomic_round(w); break;
		}
		count(&n_ops);
	}
	return 0;
}

/* ---- maps from hard IRQ context ---- */

static void irq_map(void *unused)
{
	u32 seed = (u32)rdtsc() ^ (u32)smp_processor_id() * 0x9e3779b9u;
	struct tpage *a = pick(&seed), *b = pick(&seed);
	void *va = kmap_local_page(a->page), *vb;

	verify("kmap_local (hard IRQ)", a, va);
	vb = kmap_atomic(b->page);
	verify("kmap_atomic (hard IRQ)", b, vb);
	maybe_write(b, vb, &seed);
	kunmap_atomic(vb);
	kunmap_local(va);
	count(&n_irq);
}

static int irq_driver_thread(void *unused)
{
	while (!READ_ONCE(torture_stop)) {
		for (int i = 0; i < 8; i++) {
			smp_call_function(irq_map, NULL, 1);
			udelay(100);
		}
		msleep(1);
	}
	return 0;
}

/* ---- the run ---- */

static unsigned long migrations_total(void)
{
	unsigned long sum = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		struct sched_stats s;

		sched_get_stats(cpu, &s);
		sum += s.migrations;
	}
	return sum;
}

static int take_torture_set(void)
{
	int n = 0;

	while (n < TORTURE_MAX_PAGES) {
		struct page *p = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
		u32 *w;

		if (!p)
			break;
		if (!PageHighMem(p)) {
			__free_page(p);
			break;
		}
		tset[n] = (struct tpage){ .page = p, .pfn = page_to_pfn(p) };
		w = kmap_local_page(p);
		w[0] = (u32)tset[n].pfn;
		w[1] = 0;
		for (unsigned int k = 1; k < SIG_WORDS; k++)
			w[k * SIG_STRIDE] = sig_word(tset[n].pfn, 0, k);
		kunmap_local(w);
		n++;
	}
	return n;
}

static void print_stats(const char *head, unsigned long wraps0, unsigned long sleeps0,
			unsigned long mig0)
{
	printk(KERN_INFO "kmaptorture: %sops=%lu kmap=%lu local=%lu atomic=%lu irq=%lu writes=%lu handed_over=%lu wraps=%lu sleeps=%lu migrations=%lu mismatches=%lu\n",
	       head, n_ops, n_kmap, n_local, n_atomic, n_irq, n_writes, n_reaped,
	       KMAP_STAT(wraps) - wraps0, KMAP_STAT(sleeps) - sleeps0,
	       migrations_total() - mig0, mismatches);
}

/* Wait for p to end; 1 if it died in an oops. */
static int join_died(struct task_struct *p)
{
	bool oopsed = false;

	kthread_join_oopsed(p, &oopsed);
	return oopsed;
}

int torture_run(void)
{
	static struct worker workers[MAX_WORKERS];
	struct task_struct *reaper, *irqd;
	unsigned long wraps0 = KMAP_STAT(wraps), sleeps0 = KMAP_STAT(sleeps);
	unsigned long mig0 = migrations_total();
	int nw = 0, died = 0, cpu;
	u64 start;

	tset_size = take_torture_set();
	if (tset_size < 64) {
		printk(KERN_ERR "kmaptorture: only %d highmem pages at this -m (64 needed); End of test: FAILURE: no torture set\n",
		       tset_size);
		for (int i = 0; i < tset_size; i++)
			__free_page(tset[i].page);
		return 1;
	}
	printk(KERN_INFO "kmaptorture: %u s on %d CPUs, %u thread(s) of each kind per CPU, %d highmem pages (pool: %d slots)\n",
	       torture_secs, num_online_cpus(), torture_threads, tset_size, LAST_PKMAP);

	for_each_online_cpu(cpu) {
		for (unsigned int t = 0; t < torture_threads; t++) {
			for (int kind = 0; kind < W_KINDS && nw < MAX_WORKERS; kind++) {
				char name[16];
				struct worker *w = &workers[nw];

				snprintf(name, sizeof(name), "kt_%s/%d", kind_names[kind], cpu);
				w->kind = kind;
				w->seed = (u32)rdtsc() ^ (u32)(nw + 1) * 0x9e3779b9u;
				/* started on 'cpu', free to be balanced and moved */
				w->task = kthread_create_on_cpu(worker_thread, w, -1, name);
				if (!w->task)
					break;
				migrate_task_to(w->task, cpu);
				nw++;
			}
		}
	}
	reaper = kthread_create_on_cpu(reaper_thread, NULL, -1, "kt_reaper");
	irqd = kthread_create_on_cpu(irq_driver_thread, NULL, -1, "kt_irq");
	for (int i = 0; i < nw; i++)
		wake_up_process(workers[i].task);
	if (reaper)
		wake_up_process(reaper);
	if (irqd)
		wake_up_process(irqd);

	/* by the clock, not by ticks: on a loaded host ticks come late */
	start = ktime_get_ns();
	for (unsigned int s = 1; s <= torture_secs; s++) {
		while (ktime_get_ns() - start < s * 1000000000ULL)
			msleep(20);
		if (s % 5 == 0 && s != torture_secs) {
			char head[24];

			snprintf(head, sizeof(head), "t=%us: ", s);
			print_stats(head, wraps0, sleeps0, mig0);
		}
	}
	WRITE_ONCE(torture_stop, true);
	/* a thread that died in an oops checked nothing more: no success */
	for (int i = 0; i < nw; i++)
		died += join_died(workers[i].task);
	if (irqd)
		died += join_died(irqd);
	WRITE_ONCE(reaper_stop, true);
	if (reaper)
		died += join_died(reaper);
	reap(true);
	if (died)
		printk(KERN_ERR "kmaptorture: %d thread(s) died in an oops (the reports are above)\n",
		       died);

	/* leave nothing behind: no idle pool alias of a page we free */
	kmap_flush_unused();
	for (int i = 0; i < tset_size; i++)
		__free_page(tset[i].page);
	print_stats(mismatches || died ? "End of test: FAILURE: " : "End of test: SUCCESS: ",
		    wraps0, sleeps0, mig0);
	return mismatches || died ? 1 : 0;
}
