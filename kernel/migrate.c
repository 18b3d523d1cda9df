/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - moving tasks between CPUs' run queues.
 *
 * Three ways a task changes CPU:
 *  1. an explicit request, set_cpus_allowed() / migrate_task_to();
 *  2. load balancing: every BALANCE_TICKS each CPU pulls a waiting task
 *     from the busiest run queue when it is at least two tasks behind;
 *  3. waking up: a sleeping task with a pending move wakes on its new CPU.
 *
 * A task that is running cannot be moved under its own feet. The request
 * is recorded in p->migrate_to and the task's CPU is asked to reschedule;
 * when the task is switched out, __schedule() takes it off the queue
 * (TASK_ON_RQ_MIGRATING) and the next task on that CPU finishes the move
 * in finish_task_switch(), when the old stack is no longer in use.
 *
 * Rule enforced here: a task with migrate_disable() in force is never
 * moved, though it is still preempted. Its move waits in p->migrate_to
 * and happens at migrate_enable().
 */
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/printk.h"
#include "kernel/bug.h"
#include "kernel/inject.h"
#include "kernel/trace.h"

/* Take two run-queue locks in CPU order, so two CPUs never deadlock. */
static void double_rq_lock(struct rq *a, struct rq *b)
{
	if (a == b) {
		arch_spin_lock(&a->lock);
	} else if (a < b) {
		arch_spin_lock(&a->lock);
		arch_spin_lock(&b->lock);
	} else {
		arch_spin_lock(&b->lock);
		arch_spin_lock(&a->lock);
	}
}

static void double_rq_unlock(struct rq *a, struct rq *b)
{
	arch_spin_unlock(&a->lock);
	if (a != b)
		arch_spin_unlock(&b->lock);
}

/* A CPU that just got a task to run leaves its idle loop. */
static void kick_if_idle(int cpu)
{
	struct rq *rq = cpu_rq(cpu);

	if (READ_ONCE(rq->curr) == rq->idle)
		resched_cpu(cpu);
}

/* Put p, which is on no queue, on dst's queue: both locks held. */
static void move_to_rq(struct rq *src, struct rq *dst, struct task_struct *p)
{
	if (src != dst) {
		src->nr_migrations_out++;
		dst->nr_migrations_in++;
		p->nr_migrations++;
		trace_event(MIGRATE, p->pid, src->cpu, dst->cpu);
	}
	p->migrate_to = -1;
	p->cpu = dst->cpu;
	enqueue_task(dst, p);
}

/*
 * Lock p's run queue and the one for 'cpu' (or only p's, if cpu < 0 means
 * "where the request says"). p->cpu may change until we hold its lock, so
 * retry until it is stable. Returns with interrupts off.
 */
static void lock_src_dst(struct task_struct *p, int cpu, struct rq **src,
			 struct rq **dst, unsigned long *flags)
{
	for (;;) {
		*flags = local_irq_save();
		*src = cpu_rq(READ_ONCE(p->cpu));
		*dst = cpu_rq(cpu >= 0 ? cpu : (*src)->cpu);
		double_rq_lock(*src, *dst);
		if (p->cpu == (*src)->cpu)
			return;
		double_rq_unlock(*src, *dst);
		local_irq_restore(*flags);
	}
}

/* p was left off every queue by __schedule(); queue it on 'cpu'. */
void complete_migration(struct task_struct *p, int cpu)
{
	struct rq *src, *dst;
	unsigned long flags;
	int latest = READ_ONCE(p->migrate_to);

	/* a newer request made while p was between queues wins; a target
	 * that is no longer allowed falls back to an allowed online CPU */
	if (latest >= 0)
		cpu = latest;
	if (!cpumask_test_cpu(cpu, &p->cpus_allowed) || !cpu_online(cpu)) {
		cpumask_t ok = cpumask_and(p->cpus_allowed, cpu_online_mask);

		cpu = cpumask_test_cpu(p->cpu, &ok) || cpumask_empty(&ok) ?
		      p->cpu : cpumask_first(&ok);
	}
	lock_src_dst(p, cpu, &src, &dst, &flags);
	move_to_rq(src, dst, p);
	double_rq_unlock(src, dst);
	local_irq_restore(flags);
	kick_if_idle(cpu);
}

/* Wake p (asleep, with a move pending) on the CPU it was asked to go to. */
bool wake_up_on_new_cpu(struct task_struct *p)
{
	int cpu = READ_ONCE(p->migrate_to);
	struct rq *src, *dst;
	unsigned long flags;

	lock_src_dst(p, cpu, &src, &dst, &flags);
	if (!p->on_rq) {
		/* the request may have changed meanwhile: then wake it where
		 * it is, and the newer request is handled as for a runner */
		if (p->migrate_to == cpu && !p->migration_disabled)
			move_to_rq(src, dst, p);
		else
			enqueue_task(src, p);
	}
	double_rq_unlock(src, dst);
	local_irq_restore(flags);
	kick_if_idle(READ_ONCE(p->cpu));
	return true;
}

/*
 * Ask for p to run on 'cpu'. Returns 0 when the move is done or under way,
 * -EINVAL if p may not run there or the CPU is offline. Unlike Linux's
 * set_cpus_allowed_ptr() this does not wait: a running task moves when it
 * next leaves its CPU, a sleeping one when it wakes, a migrate-disabled
 * one at migrate_enable(); p->migrate_to is -1 again once it has moved.
 */
int migrate_task_to(struct task_struct *p, int cpu)
{
	unsigned long flags;
	struct rq *rq;

	if (cpu < 0 || cpu >= NR_CPUS || !cpu_online(cpu) ||
	    !cpumask_test_cpu(cpu, &p->cpus_allowed))
		return -22;

	rq = task_rq_lock(p, &flags);
	if (p->cpu == cpu && p->migrate_to < 0) {
		task_rq_unlock(rq, flags);
		return 0;
	}
	p->migrate_to = cpu;
	if (p->migration_disabled)
		rq->nr_deferred_migrations++;
	if (p->on_rq == TASK_ON_RQ_QUEUED && rq->curr != p && !p->migration_disabled) {
		/* waiting on a queue: move it now, both locks in CPU order */
		struct rq *dst = cpu_rq(cpu);

		arch_spin_unlock(&rq->lock);
		double_rq_lock(rq, dst);
		if (p->cpu == rq->cpu && p->on_rq == TASK_ON_RQ_QUEUED &&
		    rq->curr != p && !p->migration_disabled && p->migrate_to == cpu) {
			dequeue_task(rq, p);
			move_to_rq(rq, dst, p);
		}
		double_rq_unlock(rq, dst);
		local_irq_restore(flags);
		kick_if_idle(cpu);
		return 0;
	}
	if (rq->curr == p) {
		int where = p->cpu;
		task_rq_unlock(rq, flags);
		if (p == current) {
			if (!p->migration_disabled && preemptible())
				yield();
			else
				set_need_resched();
		} else {
			resched_cpu(where);
		}
		return 0;
	}
	/* asleep (or already in transit): the wake-up or the switch moves it */
	task_rq_unlock(rq, flags);
	return 0;
}

int set_cpus_allowed(struct task_struct *p, cpumask_t mask)
{
	int target;

	mask = cpumask_and(mask, cpu_online_mask);
	if (cpumask_empty(&mask))
		return -22;
	p->cpus_allowed = mask;
	if (cpumask_test_cpu(READ_ONCE(p->cpu), &mask))
		return 0;
	target = cpumask_first(&mask);
	return migrate_task_to(p, target);
}

/* migrate_enable() brought the count to 0 with a move pending (or below
 * 0, which is a bug in the caller). */
void __migrate_enable_slow(void)
{
	struct task_struct *p = current;

	if (WARN_ON_ONCE(p->migration_disabled < 0)) {
		p->migration_disabled = 0;
		return;
	}
	if (INJECTED(MIGRATE_ENABLE_FORGETS)) {
		WRITE_ONCE(p->migrate_to, -1);	/* the requested move is lost */
		return;
	}
	/* Switch out now if we may; otherwise at the next preemption point. */
	set_need_resched();
	if (preemptible())
		preempt_schedule();
}

/* Pull one waiting task from the busiest run queue to this CPU. */
void sched_balance(void)
{
	int this_cpu = smp_processor_id(), cpu, busiest = -1;
	struct rq *dst = this_rq(), *src;
	unsigned int most = dst->nr_running + 1;
	struct task_struct *p, *found = NULL;

	for_each_online_cpu(cpu) {
		unsigned int n = READ_ONCE(cpu_rq(cpu)->nr_running);
		if (cpu != this_cpu && n > most) {
			most = n;
			busiest = cpu;
		}
	}
	if (busiest < 0)
		return;
	src = cpu_rq(busiest);
	double_rq_lock(src, dst);
	list_for_each_entry(p, &src->queue, run_list) {
		if (p->migration_disabled || p->migrate_to >= 0 ||
		    !cpumask_test_cpu(this_cpu, &p->cpus_allowed))
			continue;
		found = p;
		break;
	}
	if (found && src->nr_running > dst->nr_running + 1) {
		dequeue_task(src, found);
		move_to_rq(src, dst, found);
		dst->nr_balance_moves++;
		if (dst->curr == dst->idle)
			set_need_resched();
	}
	double_rq_unlock(src, dst);
}
