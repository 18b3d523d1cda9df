/* SPDX-License-Identifier: MIT */
/*
 * sched.c - per-CPU run queues, round-robin time slices, preemption.
 *
 * Each CPU has a run queue of runnable tasks and runs them in turn for
 * SLICE_TICKS timer ticks each; its idle task runs when the queue is empty.
 *
 *   CPU 0 rq:  curr=A   queue: B -> C          (A runs; B, C wait)
 *   CPU 1 rq:  curr=idle queue: (empty)
 *
 * Rules enforced here:
 *  - a switch happens only in __schedule(), with the run-queue lock held
 *    and interrupts off; the lock is handed to the next task, which drops
 *    it in finish_task_switch() (so no other CPU sees a half-switched rq);
 *  - preemption: the tick sets need_resched when the slice is used up;
 *    the switch happens on return from the interrupt or at the next
 *    preempt_enable() -- never while preempt_count() != 0;
 *  - sleeping where it is not allowed is reported, as Linux does:
 *    might_sleep() and "scheduling while atomic";
 *  - the kmap_local hooks run where Linux runs them: sched_out in
 *    prepare_task_switch() (rq lock held, IRQs off), sched_in in
 *    finish_task_switch() (after the lock is dropped, IRQs on).
 */
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/string.h"
#include "kernel/panic.h"
#include "kernel/bug.h"
#include "arch/x86/traps.h"
#include "arch/x86/smp.h"
#include "mm/kmap_local.h"
#include "kernel/trace.h"

#define SLICE_TICKS	4
#define BALANCE_TICKS	8

DEFINE_PER_CPU(unsigned int, __preempt_count);
DEFINE_PER_CPU(int, __need_resched);
DEFINE_PER_CPU_ALIGNED(struct rq, runqueues);

/* The boot CPU's first context becomes its idle task, "swapper/0". */
struct task_struct init_task = {
	.state = TASK_RUNNING,
	.comm = "swapper/0",
	.migrate_to = -1,
	.cpus_allowed = { 1 },
};
DEFINE_PER_CPU(struct task_struct *, current_task) = &init_task;
static struct task_struct idle_tasks[NR_CPUS];

bool scheduler_running;

struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next);

/* ---- run-queue primitives (rq->lock held) ---- */

void enqueue_task(struct rq *rq, struct task_struct *p)
{
	list_add_tail(&p->run_list, &rq->queue);
	p->on_rq = TASK_ON_RQ_QUEUED;
	rq->nr_running++;
}

void dequeue_task(struct rq *rq, struct task_struct *p)
{
	list_del_init(&p->run_list);
	p->on_rq = 0;
	rq->nr_running--;
}

/* Lock the run queue p belongs to; p->cpu can change until we hold it. */
struct rq *task_rq_lock(struct task_struct *p, unsigned long *flags)
{
	for (;;) {
		struct rq *rq;

		*flags = local_irq_save();
		rq = cpu_rq(READ_ONCE(p->cpu));
		arch_spin_lock(&rq->lock);
		if (rq == cpu_rq(READ_ONCE(p->cpu)))
			return rq;
		arch_spin_unlock(&rq->lock);
		local_irq_restore(*flags);
	}
}

void task_rq_unlock(struct rq *rq, unsigned long flags)
{
	arch_spin_unlock(&rq->lock);
	local_irq_restore(flags);
}

/* Make 'cpu' reschedule soon: directly if it is us, else by IPI. */
void resched_cpu(int cpu)
{
	if (cpu == smp_processor_id()) {
		set_need_resched();
		return;
	}
	WRITE_ONCE(per_cpu(__need_resched, cpu), 1);
	smp_send_reschedule(cpu);
}

/* ---- the switch ---- */

static void prepare_task_switch(struct rq *rq, struct task_struct *prev,
				struct task_struct *next)
{
	if (unlikely(prev->kmap_ctrl.idx))
		__kmap_local_sched_out();
}

/*
 * Runs in the task that just got the CPU, on its own stack. 'prev' is the
 * task that left; it is now fully off this CPU, so it may be freed (dead)
 * or moved to another run queue (a migration that waited for it to stop).
 */
static void finish_task_switch(struct task_struct *prev)
{
	struct rq *rq = this_rq();
	/* Read while the lock still keeps prev off every CPU: once it is
	 * moved or woken elsewhere it may run, exit and be freed there. */
	long prev_state = prev->state;
	int move_to = -1;

	if (prev->on_rq == TASK_ON_RQ_MIGRATING) {
		/* in transit: __schedule() left it off every queue (it may have
		 * been preempted on its way to sleep: its state does not matter,
		 * it was runnable when it left) */
		move_to = prev->migrate_to;
	}
	arch_spin_unlock(&rq->lock);
	local_irq_enable();

	if (unlikely(current->kmap_ctrl.idx))
		__kmap_local_sched_in();

	if (move_to >= 0)
		complete_migration(prev, move_to);
	if (prev_state == TASK_DEAD)
		task_dead(prev);
}

/* First code a new thread runs: finish the switch that started it. */
void schedule_tail(struct task_struct *prev)
{
	finish_task_switch(prev);
	preempt_enable();
}

/* May prev stay on this CPU? Not if a move is pending and allowed. */
static bool wants_to_leave(struct task_struct *p)
{
	return p->migrate_to >= 0 && !p->migration_disabled;
}

static struct task_struct *pick_next_task(struct rq *rq, struct task_struct *prev,
					  bool prev_runnable)
{
	struct task_struct *next;

	if (prev_runnable && prev != rq->idle) {
		if (wants_to_leave(prev)) {
			/* off the queue, but still counted as runnable */
			list_del_init(&prev->run_list);
			prev->on_rq = TASK_ON_RQ_MIGRATING;
			rq->nr_running--;
		} else if (list_empty(&rq->queue)) {
			return prev;
		} else {
			list_add_tail(&prev->run_list, &rq->queue);
		}
	}
	if (list_empty(&rq->queue))
		return rq->idle;
	next = list_first_entry(&rq->queue, struct task_struct, run_list);
	list_del_init(&next->run_list);
	return next;
}

/* Out of line: __schedule() keeps only the check. */
static __noinline void schedule_debug_report(struct task_struct *prev, unsigned int pc)
{
	report_begin();
	printk(KERN_ERR "BUG: scheduling while atomic: %s/%d/0x%08x\n",
	       prev->comm, prev->pid, pc - 1);
	report_details();
	dump_stack();
	report_end();
	/* Like Linux: report, then carry on with a sane count (after the
	 * report, whose bracket counts preemption too). */
	this_cpu_write(__preempt_count, 1);
}

static void schedule_debug(struct task_struct *prev)
{
	unsigned int pc = preempt_count();

	if (likely(pc == 1) || prev->state == TASK_DEAD)
		return;
	schedule_debug_report(prev, pc);
}

/*
 * The core. 'preempt' means the task is being switched out involuntarily
 * (tick or wake-up): it stays runnable whatever its state says, because it
 * may have been caught between set_current_state() and schedule().
 * Called with preemption disabled once (count == 1).
 */
static void __schedule(bool preempt)
{
	struct task_struct *prev = current, *next;
	struct rq *rq;
	bool runnable;

	schedule_debug(prev);
	local_irq_disable();
	rq = this_rq();
	arch_spin_lock(&rq->lock);
	clear_need_resched();

	runnable = preempt || prev->state == TASK_RUNNING;
	if (!runnable && prev != rq->idle) {
		prev->on_rq = 0;
		rq->nr_running--;
	}
	next = pick_next_task(rq, prev, runnable);
	if (next == prev) {
		prev->time_slice = SLICE_TICKS;
		arch_spin_unlock(&rq->lock);
		local_irq_enable();
		return;
	}
	rq->curr = next;
	rq->nr_switches++;
	next->nr_switches++;
	next->time_slice = SLICE_TICKS;
	if (runnable && prev != rq->idle) {
		rq->nr_preemptions++;
		prev->nr_preempted++;
	}
	trace_switch(prev, next);
	prepare_task_switch(rq, prev, next);
	prev = __switch_to(prev, next);
	finish_task_switch(prev);
}

void schedule(void)
{
	preempt_disable();
	__schedule(false);
	preempt_enable_no_resched();
}

void yield(void)
{
	set_need_resched();
	preempt_disable();
	__schedule(true);
	preempt_enable_no_resched();
}

/* From preempt_enable() when the count hits 0 with need_resched set. */
void preempt_schedule(void)
{
	if (!scheduler_running || irqs_disabled())
		return;
	do {
		preempt_disable();
		__schedule(true);
		preempt_enable_no_resched();
	} while (need_resched());
}

/* From the interrupt return path: IRQs off, count 0, need_resched set. */
void preempt_schedule_irq(void)
{
	do {
		preempt_disable();
		local_irq_enable();
		__schedule(true);
		local_irq_disable();
		preempt_enable_no_resched();
	} while (need_resched());
}

bool wake_up_process(struct task_struct *p)
{
	unsigned long flags;
	struct rq *rq = task_rq_lock(p, &flags);
	int cpu;

	/* the idle task is never queued: it runs when the queue is empty;
	 * dead and parked tasks never run again */
	if (p->state == TASK_RUNNING || (p->state & (TASK_DEAD | TASK_PARKED)) ||
	    p == rq->idle) {
		task_rq_unlock(rq, flags);
		return false;
	}
	p->state = TASK_RUNNING;
	if (p->on_rq) {			/* has not reached schedule() yet */
		task_rq_unlock(rq, flags);
		return true;
	}
	if (p->migrate_to >= 0 && !p->migration_disabled) {
		/* asleep, so it can simply wake up where it was asked to go */
		task_rq_unlock(rq, flags);
		return wake_up_on_new_cpu(p);
	}
	enqueue_task(rq, p);
	cpu = p->cpu;
	if (rq->curr == rq->idle)
		resched_cpu(cpu);
	task_rq_unlock(rq, flags);
	return true;
}

/*
 * With p's run-queue lock held and p not its CPU's current task, p is
 * fully switched out (its registers are on its stack) and only a wake-up
 * or a migration could make it run: the parked state stops both.
 */
bool park_task(struct task_struct *p)
{
	unsigned long flags;
	struct rq *rq = task_rq_lock(p, &flags);
	bool parked = false;

	if (rq->curr != p && p->on_rq != TASK_ON_RQ_MIGRATING &&
	    !(p->state & TASK_DEAD) && p != rq->idle) {
		if (p->on_rq == TASK_ON_RQ_QUEUED)
			dequeue_task(rq, p);
		p->migrate_to = -1;
		p->state = TASK_PARKED;
		parked = true;
	}
	task_rq_unlock(rq, flags);
	return parked;
}

bool unpark_task(struct task_struct *p)
{
	unsigned long flags;
	struct rq *rq = task_rq_lock(p, &flags);

	if (p->state != TASK_PARKED) {
		task_rq_unlock(rq, flags);
		return false;
	}
	p->state = TASK_RUNNING;
	enqueue_task(rq, p);
	if (rq->curr == rq->idle)
		resched_cpu(rq->cpu);
	task_rq_unlock(rq, flags);
	return true;
}

/* ---- the tick ---- */

void scheduler_tick(void)
{
	struct rq *rq = this_rq();
	struct task_struct *curr = current;

	rq->ticks++;
	if (smp_processor_id() == 0)
		timers_tick();
	if (curr != rq->idle && --curr->time_slice <= 0)
		set_need_resched();
	if (rq->ticks % BALANCE_TICKS == (unsigned)smp_processor_id() % BALANCE_TICKS)
		sched_balance();
}

void scheduler_ipi(void)
{
	/* need_resched was set by the sender; returning from the IPI is the
	 * preemption point. */
}

/* ---- idle ---- */

static __noreturn void idle_loop(void)
{
	for (;;) {
		local_irq_disable();
		if (need_resched()) {
			local_irq_enable();
			schedule();
			continue;
		}
		/* sti takes effect after hlt starts: no wake-up is lost */
		__asm__ __volatile__("sti; hlt" ::: "memory");
	}
}

static void init_idle(struct task_struct *idle, int cpu, void *stack)
{
	struct rq *rq = cpu_rq(cpu);

	idle->state = TASK_RUNNING;
	idle->cpu = cpu;
	idle->pid = 0;
	idle->migrate_to = -1;
	idle->cpus_allowed = cpumask_of(cpu);
	idle->stack = stack;
	snprintf(idle->comm, sizeof(idle->comm), "swapper/%d", cpu);
	INIT_LIST_HEAD(&idle->run_list);
	rq->idle = rq->curr = idle;
}

extern char boot_stack[];

void sched_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct rq *rq = cpu_rq(cpu);

		rq->lock = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
		rq->cpu = cpu;
		INIT_LIST_HEAD(&rq->queue);
	}
	init_idle(&init_task, 0, boot_stack);
	task_list_add(&init_task);
	scheduler_running = true;
}

/* An AP arrives here on its boot stack, which becomes its idle task's. */
void cpu_startup_entry(void)
{
	int cpu = smp_processor_id();
	struct task_struct *idle = cpu ? &idle_tasks[cpu] : &init_task;

	if (cpu) {
		BUILD_BUG_ON(AP_STACK_SIZE != THREAD_SIZE);
		init_idle(idle, cpu, ap_stack[cpu]);
		this_cpu_write(current_task, idle);
		task_list_add(idle);
	}
	this_cpu_write(__preempt_count, 0);
	local_irq_enable();
	idle_loop();
}

/* ---- sleeping checks ---- */

void __might_sleep(const char *file, int line)
{
	unsigned int pc = preempt_count();
	bool irqoff = irqs_disabled();

	if (likely(pc == 0 && !irqoff) || !scheduler_running)
		return;
	report_begin();
	printk(KERN_ERR "BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	report_details();
	printk(KERN_ERR "in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n",
	       pc != 0, irqoff, current->pid, current->comm);
	printk(KERN_ERR "preempt_count: %x, expected: 0\n", pc);
	dump_stack();
	report_end();
}

/* ---- statistics ---- */

void sched_get_stats(int cpu, struct sched_stats *s)
{
	struct rq *rq = cpu_rq(cpu);

	s->switches = rq->nr_switches;
	s->preemptions = rq->nr_preemptions;
	s->migrations = rq->nr_migrations_in;
	s->balance_moves = rq->nr_balance_moves;
	s->deferred_migrations = rq->nr_deferred_migrations;
}

void sched_print_stats(void)
{
	int cpu;

	for_each_online_cpu(cpu) {
		struct rq *rq = cpu_rq(cpu);
		printk(KERN_INFO "sched: CPU%d: %lu switches, %lu preemptions, %lu migrations in, %lu out (%lu by balancing, %lu deferred by migrate_disable), %lu ticks\n",
		       cpu, rq->nr_switches, rq->nr_preemptions, rq->nr_migrations_in,
		       rq->nr_migrations_out, rq->nr_balance_moves,
		       rq->nr_deferred_migrations, rq->ticks);
	}
}

