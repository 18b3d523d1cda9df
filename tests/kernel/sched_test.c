/* SPDX-License-Identifier: MIT */
/*
 * sched_test.c - preemption, migration and sleeping, on real CPUs.
 *
 * Every case here runs real threads on real run queues and waits for real
 * timer ticks; nothing is simulated. Cases that need two CPUs skip at
 * -smp 1 and say so.
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/sched.h"
#include "kernel/wait.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/spinlock.h"
#include "mm/uaccess.h"
#include "mm/demand.h"

struct spinner {
	volatile unsigned long count;
	volatile bool stop;
	volatile int cpu_seen;
};

static int spin_fn(void *arg)
{
	struct spinner *s = arg;

	while (!s->stop) {
		s->count++;
		s->cpu_seen = smp_processor_id();
	}
	return 0;
}

static void two_bound_threads_both_progress(struct ktest *t)
{
	int cpu = ktest_last_cpu();
	struct spinner a = { 0 }, b = { 0 };
	struct task_struct *pa = kthread_create_on_cpu(spin_fn, &a, cpu, "spin-a");
	struct task_struct *pb = kthread_create_on_cpu(spin_fn, &b, cpu, "spin-b");
	unsigned long pre_a, pre_b;

	ASSERT_PTR_NE(t, pa, NULL);
	ASSERT_PTR_NE(t, pb, NULL);
	wake_up_process(pa);
	wake_up_process(pb);
	ktest_wait_ticks(cpu, 30);
	a.stop = b.stop = true;
	pre_a = pa->nr_preempted;
	pre_b = pb->nr_preempted;
	kthread_join(pa);
	kthread_join(pb);
	/* Neither yields: only the timer can have switched between them. */
	EXPECT_GT(t, a.count, 0);
	EXPECT_GT(t, b.count, 0);
	EXPECT_GT(t, pre_a, 0);
	EXPECT_GT(t, pre_b, 0);
	EXPECT_EQ(t, a.cpu_seen, cpu);
	EXPECT_EQ(t, b.cpu_seen, cpu);
}

struct nopreempt {
	struct spinner *rival;
	unsigned long switches_before, switches_after;
	unsigned long rival_before, rival_after, ticks;
	volatile bool rival_started;
};

static int nopreempt_fn(void *arg)
{
	struct nopreempt *np = arg;
	int cpu = smp_processor_id();
	struct rq *rq = cpu_rq(cpu);
	unsigned long t0;

	/* let the rival get going first */
	while (!np->rival->count)
		yield();
	preempt_disable();
	np->switches_before = rq->nr_switches;
	np->rival_before = np->rival->count;
	t0 = rq->ticks;
	while (rq->ticks - t0 < 3 * 4 + 2)	/* several slices' worth */
		cpu_relax();
	np->ticks = rq->ticks - t0;
	np->switches_after = rq->nr_switches;
	np->rival_after = np->rival->count;
	preempt_enable();
	return 0;
}

static void preempt_disable_blocks_switches(struct ktest *t)
{
	int cpu = ktest_last_cpu();
	struct spinner rival = { 0 };
	struct nopreempt np = { .rival = &rival };
	struct task_struct *pr = kthread_create_on_cpu(spin_fn, &rival, cpu, "rival");
	struct task_struct *pn = kthread_create_on_cpu(nopreempt_fn, &np, cpu, "nopreempt");

	wake_up_process(pr);
	wake_up_process(pn);
	kthread_join(pn);
	rival.stop = true;
	kthread_join(pr);
	EXPECT_GE(t, np.ticks, 14);		/* the timer kept ticking ... */
	EXPECT_EQ(t, np.switches_after, np.switches_before);	/* ... but no switch */
	EXPECT_EQ(t, np.rival_after, np.rival_before);
	EXPECT_GT(t, rival.count, np.rival_after);	/* the rival ran afterwards */
}

/*
 * preempt_enable() is itself a preemption point: dropping the last
 * disable with a reschedule pending switches right there, inside the
 * call, not at the next tick or interrupt. A rival on the same CPU
 * records a marker whenever it runs; the marker is odd only from just
 * before preempt_enable() to just after it. The rival must have seen the
 * odd value every time -- it ran inside preempt_enable(). (Without the
 * switch there, the rival runs at the next tick and sees the even value
 * that follows; an interrupt landing in those few instructions of every
 * attempt is out of the question.)
 */
#define RESCHED_ATTEMPTS	8

struct resched_probe {
	volatile unsigned int marker;
	volatile unsigned int rival_saw;
	volatile bool rival_ran, stop;
	int missed;			/* attempts the rival did not run inside */
	int no_switch;			/* attempts with no switch at all */
};

static int marker_rival_fn(void *arg)
{
	struct resched_probe *r = arg;

	while (!r->stop) {
		r->rival_saw = r->marker;
		r->rival_ran = true;
		yield();
	}
	return 0;
}

static int preempt_enabler_fn(void *arg)
{
	struct resched_probe *r = arg;

	while (!r->rival_ran)
		yield();
	for (unsigned int k = 0; k < RESCHED_ATTEMPTS; k++) {
		unsigned long switches = current->nr_switches;

		preempt_disable();
		r->marker = 2 * k + 1;
		set_need_resched();
		preempt_enable();	/* the switch happens in here */
		r->marker = 2 * k + 2;
		if (r->rival_saw != 2 * k + 1)
			r->missed++;
		if (current->nr_switches == switches)
			r->no_switch++;
	}
	r->stop = true;
	return 0;
}

static void preempt_enable_switches_when_a_reschedule_is_pending(struct ktest *t)
{
	int cpu = ktest_last_cpu();
	struct resched_probe r = { 0 };
	struct task_struct *pr = kthread_create_on_cpu(marker_rival_fn, &r, cpu, "rival");
	struct task_struct *pe = kthread_create_on_cpu(preempt_enabler_fn, &r, cpu, "enabler");
	bool ended;

	wake_up_process(pr);
	wake_up_process(pe);
	ended = ktest_join_timeout(t, pe, 3000);
	r.stop = true;
	ended = ktest_join_timeout(t, pr, 3000) && ended;
	ASSERT_TRUE(t, ended);
	if (r.missed)
		ktest_fail(t, __FILE__, __LINE__,
			   "preempt_enable() with need_resched set returned without switching in %d of %d attempts: the rival ran only afterwards",
			   r.missed, RESCHED_ATTEMPTS);
	EXPECT_EQ(t, r.no_switch, 0);
}

struct mover {
	volatile int phase;
	volatile int cpu_before, cpu_during_min, cpu_during_max, cpu_after;
	volatile int target;		/* where the test sends it */
	unsigned long preempted_during;
	bool hold;			/* use migrate_disable() */
};

static int mover_fn(void *arg)
{
	struct mover *m = arg;
	struct task_struct *me = current;

	if (m->hold)
		migrate_disable();
	m->cpu_before = smp_processor_id();	/* balancing may have moved it */
	m->phase = 1;
	while (m->phase == 1)		/* the test asks for the move now */
		cpu_relax();
	if (m->hold) {
		unsigned long p0 = me->nr_preempted;
		int lo = 99, hi = -1;

		while (m->phase == 2) {	/* crowded by a rival; must stay */
			int c = smp_processor_id();
			lo = c < lo ? c : lo;
			hi = c > hi ? c : hi;
		}
		m->cpu_during_min = lo;
		m->cpu_during_max = hi;
		m->preempted_during = me->nr_preempted - p0;
		migrate_enable();	/* the deferred move happens in here */
		m->cpu_after = smp_processor_id();
		return 0;
	}
	/* the move completes at the next switch-out; give it ticks. The CPU
	 * is read once per look: a second read could see a later move. */
	for (int i = 0; i < 200; i++) {
		int cpu = smp_processor_id();

		m->cpu_after = cpu;
		if (cpu == m->target)
			break;
		msleep(4);
	}
	return 0;
}

static void migrate_task_to_moves_running_thread(struct ktest *t)
{
	int from = ktest_last_cpu(), to = ktest_other_cpu(from);
	struct mover m = { 0 };
	struct task_struct *p;

	if (to < 0)
		KTEST_SKIP(t, "needs two CPUs");
	/* Bound to `from` until the request: while it waits for its CPU
	 * (this thread may share it) load balancing could otherwise pull it
	 * to a third CPU first, and the move under test would start there.
	 * Then `from` and `to` only, so nothing but the request moves it. */
	p = kthread_create(mover_fn, &m, "mover");
	kthread_bind(p, from);
	m.target = to;
	wake_up_process(p);
	while (m.phase != 1)
		msleep(1);
	{
		cpumask_t two = cpumask_of(from);

		cpumask_set_cpu(to, &two);
		EXPECT_EQ(t, set_cpus_allowed(p, two), 0);	/* no move: it is on `from` */
	}
	EXPECT_EQ(t, migrate_task_to(p, to), 0);
	m.phase = 3;
	kthread_join(p);
	EXPECT_EQ(t, m.cpu_before, from);
	EXPECT_EQ(t, m.cpu_after, to);
}

static void migrate_disable_defers_move_but_allows_preemption(struct ktest *t)
{
	int from = ktest_last_cpu(), to = ktest_other_cpu(from);
	struct mover m = { .hold = true };
	struct spinner rival = { 0 };
	struct task_struct *p, *pr;

	if (to < 0)
		KTEST_SKIP(t, "needs two CPUs");
	p = kthread_create(mover_fn, &m, "pinned");
	kthread_bind(p, from);
	p->cpus_allowed = CPU_MASK_ALL;
	wake_up_process(p);
	while (m.phase != 1)
		msleep(1);
	from = m.cpu_before;		/* pinned there from now on */
	to = ktest_other_cpu(from);
	pr = kthread_create_on_cpu(spin_fn, &rival, from, "rival");
	wake_up_process(pr);
	/* Pinned to the target, not merely asked to go there: once it has
	 * moved, load balancing must not pull it back before it looks
	 * (its old CPU goes idle when the rival stops). */
	EXPECT_EQ(t, set_cpus_allowed(p, cpumask_of(to)), 0);
	m.phase = 2;
	ktest_wait_ticks(from, 24);		/* several slices: both must run */
	m.phase = 3;
	rival.stop = true;
	kthread_join(pr);
	kthread_join(p);
	EXPECT_EQ(t, m.cpu_during_min, from);	/* never left while pinned */
	EXPECT_EQ(t, m.cpu_during_max, from);
	EXPECT_GT(t, m.preempted_during, 0);	/* yet it was preempted */
	EXPECT_EQ(t, m.cpu_after, to);		/* and moved at migrate_enable */
}

static int sleep_atomic_fn(void *arg)
{
	preempt_disable();
	msleep(1);
	preempt_enable();
	return 0;
}

static void sleeping_in_atomic_is_reported(struct ktest *t)
{
	struct ktest_child r;

	/* two reports: msleep()'s might_sleep(), then schedule()'s check */
	ktest_expect(t, "BUG: sleeping function called from invalid context at kernel/timer.c");
	ktest_expect(t, "BUG: scheduling while atomic: sleeper/");
	r = ktest_run_child(sleep_atomic_fn, NULL, -1, "sleeper");

	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: sleeping function called from invalid context at kernel/timer.c:"));
	EXPECT_TRUE(t, log_contains(r.mark, "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: "));
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: scheduling while atomic: sleeper/"));
}

struct waiter {
	wait_queue_head_t wq;
	volatile bool cond;
	volatile int woke_on;
	volatile bool waiting;
};

static int waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->waiting = true;
	wait_event(w->wq, w->cond);
	w->woke_on = smp_processor_id();
	return 0;
}

static void wait_queue_wakes_sleeper_on_other_cpu(struct ktest *t)
{
	int cpu = ktest_last_cpu();
	struct waiter w = { .woke_on = -1 };
	struct task_struct *p;

	init_waitqueue_head(&w.wq);
	p = kthread_create_on_cpu(waiter_fn, &w, cpu, "waiter");
	wake_up_process(p);
	while (!w.waiting)
		msleep(1);
	msleep(20);
	EXPECT_EQ(t, READ_ONCE(p->state), TASK_UNINTERRUPTIBLE);	/* really asleep */
	w.cond = true;
	wake_up(&w.wq);
	kthread_join(p);
	EXPECT_EQ(t, w.woke_on, cpu);
}

static DEFINE_SPINLOCK(counter_lock);
static volatile unsigned long shared_counter;
static volatile int counters_ready, counters_total;
#define COUNT_PER_CPU 250

static int counter_fn(void *arg)
{
	/* start together, so every CPU really contends */
	__atomic_fetch_add(&counters_ready, 1, __ATOMIC_SEQ_CST);
	while (counters_ready < counters_total)
		cpu_relax();
	for (int i = 0; i < COUNT_PER_CPU; i++) {
		unsigned long v;

		spin_lock(&counter_lock);
		v = shared_counter;	/* read-modify-write, deliberately slow */
		cpu_relax();
		shared_counter = v + 1;
		spin_unlock(&counter_lock);
	}
	return 0;
}

static void spinlock_keeps_counter_exact(struct ktest *t)
{
	struct task_struct *p[NR_CPUS];
	int cpu, n = 0;

	shared_counter = 0;
	counters_ready = 0;
	counters_total = num_online_cpus();
	for_each_online_cpu(cpu)
		p[n++] = kthread_create_on_cpu(counter_fn, NULL, cpu, "counter");
	for (int i = 0; i < n; i++)
		wake_up_process(p[i]);
	for (int i = 0; i < n; i++)
		kthread_join(p[i]);
	EXPECT_EQ(t, shared_counter, (unsigned long)n * COUNT_PER_CPU);
}

static DEFINE_SPINLOCK(misuse_lock);

static int recursion_fn(void *arg)
{
	spin_lock(&misuse_lock);
	spin_lock(&misuse_lock);	/* BUG: this task already holds it */
	return 0;
}

static void spinlock_recursion_is_reported(struct ktest *t)
{
	struct ktest_child r;

	/* the spinlock report, then the BUG() that kills the thread */
	ktest_expect(t, "BUG: spinlock recursion on CPU#");
	ktest_expect(t, "kernel BUG at kernel/spinlock_debug.c");
	r = ktest_run_child(recursion_fn, NULL, -1, "recurser");

	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: spinlock recursion on CPU#"));
	EXPECT_TRUE(t, log_contains(r.mark, "recurser/"));
	spin_lock_init(&misuse_lock);	/* the dead thread held it */
}

struct lock_owner {
	volatile bool holding, release;
};

/* Holds misuse_lock (so preemption is off on its CPU) until released. */
static int lock_owner_fn(void *arg)
{
	struct lock_owner *o = arg;

	spin_lock(&misuse_lock);
	o->holding = true;
	while (!o->release)
		cpu_relax();
	spin_unlock(&misuse_lock);
	return 0;
}

static int unlock_other_fn(void *arg)
{
	spin_unlock(&misuse_lock);	/* BUG: held by lock_owner_fn */
	return 0;
}

static void spinlock_unlock_by_non_owner_is_reported(struct ktest *t)
{
	int owner_cpu = ktest_last_cpu(), thief_cpu = ktest_other_cpu(owner_cpu);
	struct lock_owner o = { false, false };
	struct task_struct *p;
	struct ktest_child r;

	if (thief_cpu < 0)
		KTEST_SKIP(t, "needs two CPUs (the owner spins with preemption off)");
	migrate_task_to(current, thief_cpu);	/* stay off the owner's CPU */
	p = kthread_create_on_cpu(lock_owner_fn, &o, owner_cpu, "owner");
	wake_up_process(p);
	while (!o.holding)
		msleep(1);
	ktest_expect(t, "BUG: spinlock wrong owner on CPU#");
	ktest_expect(t, "kernel BUG at kernel/spinlock_debug.c");
	r = ktest_run_child(unlock_other_fn, NULL, thief_cpu, "thief");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: spinlock wrong owner on CPU#"));
	EXPECT_TRUE(t, log_contains(r.mark, ".owner: owner/"));
	EXPECT_TRUE(t, spin_is_locked(&misuse_lock));	/* the thief did not release it */
	o.release = true;
	kthread_join(p);
	EXPECT_FALSE(t, spin_is_locked(&misuse_lock));
}

static int null_deref_fn(void *arg)
{
	return *(volatile int *)arg;
}

static void oops_kills_only_the_thread(struct ktest *t)
{
	struct ktest_child r;

	/* the page-fault report, then the oops line of die() */
	ktest_expect(t, "BUG: kernel NULL pointer dereference");
	ktest_expect(t, "Oops: 0000 [#");
	r = ktest_run_child(null_deref_fn, NULL, -1, "crasher");

	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: kernel NULL pointer dereference, address: 00000000"));
	EXPECT_TRUE(t, log_contains(r.mark, "Comm: crasher"));
	/* and we are still here, on a scheduler that works */
	msleep(10);
}

/* Periodic load balancing: CPU-bound threads all started on one CPU end
 * up spread over the others, pulled by their idle run queues. */
static void load_balancing_spreads_threads_started_on_one_cpu(struct ktest *t)
{
	int n = num_online_cpus() * 2, from = ktest_last_cpu(), used = 0;
	struct spinner s[2 * NR_CPUS];
	struct task_struct *p[2 * NR_CPUS];
	unsigned long moves0 = 0, moves1 = 0;
	bool seen[NR_CPUS] = { false };
	int cpu;

	if (n < 4)
		KTEST_SKIP(t, "needs two CPUs");
	for_each_online_cpu(cpu)
		moves0 += cpu_rq(cpu)->nr_balance_moves;
	for (int i = 0; i < n; i++) {
		s[i] = (struct spinner){ 0 };
		s[i].cpu_seen = -1;
		p[i] = kthread_create(spin_fn, &s[i], "spreader");
		kthread_bind(p[i], from);
		p[i]->cpus_allowed = CPU_MASK_ALL;	/* start here, may move */
		wake_up_process(p[i]);
	}
	ktest_wait_ticks(from, 60);
	for (int i = 0; i < n; i++) {
		s[i].stop = true;
		kthread_join(p[i]);
		if (s[i].cpu_seen >= 0 && !seen[s[i].cpu_seen]) {
			seen[s[i].cpu_seen] = true;
			used++;
		}
	}
	for_each_online_cpu(cpu)
		moves1 += cpu_rq(cpu)->nr_balance_moves;
	EXPECT_GT(t, moves1, moves0);
	EXPECT_GE(t, used, 2);
}

/*
 * The page-fault handler asks faulthandler_disabled() first: with page
 * faults disabled a fault goes straight to the exception fixup (the copy
 * comes back short, nothing sleeps); without, the handler fills the page
 * from the demand region's "backing store", sleeping while it does.
 */
static void fault_under_pagefault_disable_takes_fixup_without_sleeping(struct ktest *t)
{
	unsigned long sleeps, fills, switches, left;
	u32 buf[2];

	demand_reset();
	sleeps = demand_stats.sleeps;
	fills = demand_stats.fills;
	switches = current->nr_switches;
	pagefault_disable();
	left = copy_from_demand(buf, (void *)DEMAND_START, sizeof(buf));
	pagefault_enable();
	EXPECT_EQ(t, left, sizeof(buf));
	EXPECT_EQ(t, demand_stats.sleeps, sleeps);
	EXPECT_EQ(t, demand_stats.fills, fills);
	EXPECT_EQ(t, current->nr_switches, switches);	/* never left the CPU */

	left = copy_from_demand(buf, (void *)DEMAND_START, sizeof(buf));
	EXPECT_EQ(t, left, 0);
	EXPECT_EQ(t, buf[1], demand_pattern(4));
	EXPECT_EQ(t, demand_stats.sleeps, sleeps + 1);
	EXPECT_EQ(t, demand_stats.fills, fills + 1);
	EXPECT_GT(t, current->nr_switches, switches);	/* it slept */
	demand_reset();		/* the filled page goes back */
}

KTEST_SUITE(sched,
	KTEST_CASE(two_bound_threads_both_progress),
	KTEST_CASE(preempt_disable_blocks_switches),
	KTEST_CASE(preempt_enable_switches_when_a_reschedule_is_pending),
	KTEST_CASE(migrate_task_to_moves_running_thread),
	KTEST_CASE(migrate_disable_defers_move_but_allows_preemption),
	KTEST_CASE(sleeping_in_atomic_is_reported),
	KTEST_CASE(wait_queue_wakes_sleeper_on_other_cpu),
	/* every CPU hammers one lock: 3 s at -smp 8 on 2 host cores */
	KTEST_CASE_TIMEOUT(spinlock_keeps_counter_exact, 30),
	KTEST_CASE(spinlock_recursion_is_reported),
	KTEST_CASE(spinlock_unlock_by_non_owner_is_reported),
	KTEST_CASE(oops_kills_only_the_thread),
	KTEST_CASE(load_balancing_spreads_threads_started_on_one_cpu),
	KTEST_CASE(fault_under_pagefault_disable_takes_fixup_without_sleeping));
