/* SPDX-License-Identifier: MIT */
/*
 * kmap_atomic_test.c - kmap_atomic(): a local map plus disabled
 * preemption and page faults (or, with kmap_atomic.rt=1, PREEMPT_RT's
 * migrate_disable instead of preempt_disable).
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "mm/highmem.h"
#include "mm/page_alloc.h"
#include "mm/demand.h"

static void disables_preemption_and_faults_even_for_lowmem(struct ktest *t)
{
	struct page *low;
	void *va;

	if (kmap_atomic_rt)
		KTEST_SKIP(t, "kmap_atomic.rt=1 keeps preemption on");
	low = alloc_page(GFP_KERNEL);	/* after the skip: a skip frees nothing */
	va = kmap_atomic(low);
	EXPECT_EQ(t, preempt_count(), 1);
	EXPECT_EQ(t, current->pagefault_disabled, 1);
	EXPECT_TRUE(t, faulthandler_disabled());
	kunmap_atomic(va);
	EXPECT_EQ(t, preempt_count(), 0);
	EXPECT_EQ(t, current->pagefault_disabled, 0);
	__free_page(low);
}

struct atomic_holder {
	volatile bool rival_ran, stop;
	unsigned long switches_before, switches_after, ticks;
	unsigned long rival_count_before, rival_count_after;
	volatile unsigned long rival_count;
	struct page *page;
};

static int rival_fn(void *arg)
{
	struct atomic_holder *h = arg;

	while (!h->stop)
		h->rival_count++;
	return 0;
}

static int atomic_holder_fn(void *arg)
{
	struct atomic_holder *h = arg;
	struct rq *rq;
	unsigned long t0;
	void *va;

	while (!h->rival_count)
		yield();
	va = kmap_atomic(h->page);
	rq = this_rq();
	h->switches_before = rq->nr_switches;
	h->rival_count_before = h->rival_count;
	t0 = rq->ticks;
	while (rq->ticks - t0 < 14)
		cpu_relax();
	h->ticks = rq->ticks - t0;
	h->switches_after = rq->nr_switches;
	h->rival_count_after = h->rival_count;
	kunmap_atomic(va);
	return 0;
}

/* Under kmap_atomic no other task runs on this CPU, across
 * several ticks (under kmap_local it would: see kmap_local_test). */
static void no_context_switch_inside_the_section(struct ktest *t)
{
	struct atomic_holder h = { 0 };
	int cpu = ktest_last_cpu();
	struct task_struct *pr, *ph;

	if (kmap_atomic_rt)
		KTEST_SKIP(t, "kmap_atomic.rt=1 keeps preemption on");
	h.page = alloc_page(GFP_HIGHUSER);
	pr = kthread_create_on_cpu(rival_fn, &h, cpu, "rival");
	ph = kthread_create_on_cpu(atomic_holder_fn, &h, cpu, "atomic");
	wake_up_process(pr);
	wake_up_process(ph);
	kthread_join(ph);
	h.stop = true;
	kthread_join(pr);
	EXPECT_GE(t, h.ticks, 14);
	EXPECT_EQ(t, h.switches_after, h.switches_before);
	EXPECT_EQ(t, h.rival_count_after, h.rival_count_before);
	__free_page(h.page);
}

/* A fault inside the section fails fast through the fixup: no fill, no
 * sleep; the copy comes back short. */
static void fault_inside_goes_to_fixup(struct ktest *t)
{
	struct page *p = alloc_page(GFP_HIGHUSER);
	unsigned long fills, sleeps, left;
	u32 buf[4];
	void *va;

	demand_reset();
	fills = demand_stats.fills;
	sleeps = demand_stats.sleeps;
	va = kmap_atomic(p);
	left = copy_from_demand(buf, (void *)DEMAND_START, sizeof(buf));
	kunmap_atomic(va);
	EXPECT_EQ(t, left, sizeof(buf));		/* nothing copied */
	EXPECT_EQ(t, demand_stats.fills, fills);
	EXPECT_EQ(t, demand_stats.sleeps, sleeps);
	__free_page(p);
}

static int sleep_in_atomic_fn(void *arg)
{
	void *va = kmap_atomic(arg);

	schedule_timeout(1);	/* sleeping here is the bug */
	kunmap_atomic(va);
	return 0;
}

static void scheduling_inside_is_reported(struct ktest *t)
{
	struct page *p;
	struct ktest_child r;

	if (kmap_atomic_rt)
		KTEST_SKIP(t, "kmap_atomic.rt=1 keeps preemption on");
	p = alloc_page(GFP_HIGHUSER);
	ktest_expect(t, "BUG: scheduling while atomic: atomic-sleeper/");
	r = ktest_run_child(sleep_in_atomic_fn, p, -1, "atomic-sleeper");
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: scheduling while atomic: atomic-sleeper/"));
	__free_page(p);
}

/*
 * PREEMPT_RT's kmap_atomic: preemptible, but pinned to the CPU -- by its
 * own migrate_disable(). On a lowmem page that is the only pin:
 * kmap_local_page() of a lowmem page maps nothing and pins nothing, while
 * a highmem map pins the task by itself (and would hide a missing
 * migrate_disable()). So the section is held on a lowmem page first,
 * then on a highmem one, while a rival shares the CPU and the holder is
 * asked to move: it must be preempted, stay where it is, and move at
 * kunmap_atomic().
 */
struct rt_holder {
	struct page *page;
	volatile int phase;
	volatile int cpu_in;		/* where the section began */
	int cpu_min, cpu_max, cpu_after;
	unsigned int pc_inside;		/* preempt_count() in the section */
	int md_inside;			/* migration_disabled in the section */
	unsigned long preempted;
};

static int rt_holder_fn(void *arg)
{
	struct rt_holder *h = arg;
	int lo = NR_CPUS, hi = -1;
	unsigned long p0;
	void *va;

	va = kmap_atomic(h->page);
	h->pc_inside = preempt_count();
	h->md_inside = current->migration_disabled;
	p0 = current->nr_preempted;
	h->cpu_in = smp_processor_id();
	h->phase = 1;
	while (h->phase == 1) {
		int c = smp_processor_id();

		lo = min(lo, c);
		hi = max(hi, c);
	}
	h->cpu_min = lo;
	h->cpu_max = hi;
	h->preempted = current->nr_preempted - p0;
	kunmap_atomic(va);	/* migrate_enable(): the pending move happens */
	h->cpu_after = smp_processor_id();
	return 0;
}

static int rt_rival_fn(void *arg)
{
	volatile bool *stop = arg;

	while (!*stop)
		cpu_relax();
	return 0;
}

static void rt_flavour_is_preemptible_not_migratable(struct ktest *t)
{
	struct page *pages[2];
	int two = num_online_cpus() > 1;

	if (!kmap_atomic_rt)
		KTEST_SKIP(t, "boot with kmap_atomic.rt=1");
	ktest_highpages(t, &pages[1], 1);	/* first: a skip frees nothing */
	pages[0] = alloc_page(GFP_KERNEL);
	for (int k = 0; k < 2; k++) {
		const char *kind = k ? "highmem" : "lowmem";
		struct rt_holder h = { .page = pages[k] };
		volatile bool stop = false;
		struct task_struct *p, *rival;
		int from, to = -1;

		p = kthread_create_on_cpu(rt_holder_fn, &h, ktest_last_cpu(), "rt-atomic");
		p->cpus_allowed = CPU_MASK_ALL;		/* free to move, but for the pin */
		wake_up_process(p);
		while (h.phase != 1)
			msleep(1);
		from = h.cpu_in;
		rival = kthread_create_on_cpu(rt_rival_fn, (void *)&stop, from, "rival");
		wake_up_process(rival);
		if (two) {
			/* pinned to the target: balancing cannot bring it back */
			to = ktest_other_cpu(from);
			EXPECT_EQ(t, set_cpus_allowed(p, cpumask_of(to)), 0);
		}
		ktest_wait_ticks(from, 24);	/* several slices: both must run */
		h.phase = 2;
		stop = true;
		kthread_join(rival);
		kthread_join(p);
		KTEST_LOG(t, "%s page: %lu preemptions inside the section", kind, h.preempted);
		EXPECT_EQ(t, h.pc_inside, 0);		/* preemptible ... */
		EXPECT_GT(t, h.preempted, 0);		/* ... and preempted */
		if (h.md_inside < 1)
			ktest_fail(t, __FILE__, __LINE__,
				   "%s page: migration was enabled inside kmap_atomic() (migration_disabled %d)",
				   kind, h.md_inside);
		if (two) {
			if (h.cpu_min != from || h.cpu_max != from)
				ktest_fail(t, __FILE__, __LINE__,
					   "%s page: moved inside kmap_atomic(): ran on CPUs %d..%d, mapped on %d",
					   kind, h.cpu_min, h.cpu_max, from);
			EXPECT_EQ(t, h.cpu_after, to);	/* moved at the unmap */
		}
	}
	__free_page(pages[0]);
	__free_page(pages[1]);
}

KTEST_SUITE(kmap_atomic,
	KTEST_CASE(disables_preemption_and_faults_even_for_lowmem),
	KTEST_CASE(no_context_switch_inside_the_section),
	KTEST_CASE(fault_inside_goes_to_fixup),
	KTEST_CASE(scheduling_inside_is_reported),
	KTEST_CASE(rt_flavour_is_preemptible_not_migratable));
