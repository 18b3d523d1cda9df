/* SPDX-License-Identifier: MIT */
/*
 * sched.h - tasks and the scheduler's interface.
 *
 * Every thread of control is a task: the boot CPU's initial context and
 * each AP's idle loop are tasks too ("swapper/N", pid 0 like Linux). A
 * task lives on exactly one CPU's run queue at a time (task->cpu); it
 * leaves it only through migration (kernel/migrate.c).
 *
 * Task states follow Linux:
 *   TASK_RUNNING          on a run queue (running or waiting for the CPU)
 *   TASK_INTERRUPTIBLE    sleeping; any wake-up makes it runnable
 *   TASK_UNINTERRUPTIBLE  sleeping; only the event it waits for wakes it
 *   TASK_DEAD             exited; its stack is freed by the next task
 *   TASK_PARKED           taken off the CPUs for good where it stopped
 *                         (park_task(): the test watchdog's hung threads);
 *                         wake-ups ignore it, as they ignore a dead task
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/cpumask.h"
#include "kernel/preempt.h"
#include "kernel/spinlock.h"
#include "arch/x86/pgtable_types.h"

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_PARKED		0x0040
#define TASK_DEAD		0x0080

#define TASK_ON_RQ_QUEUED	1	/* counted on p->cpu's run queue */
#define TASK_ON_RQ_MIGRATING	2	/* between two run queues */

#define TASK_COMM_LEN	16
#define THREAD_SIZE	16384		/* kernel stack per task */
#define HZ		250

/*
 * kmap_ctrl: a task's kmap_local stack (mm/kmap_local.c). idx counts the
 * positions in use; pteval[i] is the PTE the task has in its position i,
 * so the context switch can take the mappings off the CPU when the task
 * leaves and put them back when it returns.
 */
#define KM_MAX_IDX_MAX	33
struct kmap_ctrl {
	int idx;
	pte_t pteval[KM_MAX_IDX_MAX];
};

struct completion;

struct task_struct {
	unsigned long sp;		/* saved %esp while switched out */
	volatile long state;
	int cpu;			/* the run queue it belongs to */
	int on_rq;			/* TASK_ON_RQ_* below */
	int pid;
	char comm[TASK_COMM_LEN];

	int migration_disabled;		/* migrate_disable() depth */
	int pagefault_disabled;		/* pagefault_disable() depth */
	int migrate_to;			/* a move requested meanwhile, or -1 */
	cpumask_t cpus_allowed;
	struct kmap_ctrl kmap_ctrl;

	struct list_head run_list;	/* on rq->queue */
	struct list_head tasks;		/* on the all-tasks list */
	int time_slice;			/* ticks left */

	void *stack;			/* lowest address of the kernel stack */
	int (*threadfn)(void *);
	void *data;
	int exit_code;
	bool oopsed;			/* died in an oops */
	struct completion *exit_done;	/* completed when it exits */

	/* statistics */
	unsigned long nr_switches;	/* times switched in */
	unsigned long nr_preempted;	/* times switched out while runnable */
	unsigned long nr_migrations;
	unsigned long wake_jiffies;	/* schedule_timeout() */
};

DECLARE_PER_CPU(struct task_struct *, current_task);

static __always_inline struct task_struct *get_current(void)
{
	return this_cpu_read_stable(current_task);
}
#define current get_current()

/* Per-CPU run queue. */
struct rq {
	arch_spinlock_t lock;		/* taken with interrupts off */
	int cpu;
	struct list_head queue;		/* runnable, not running */
	struct task_struct *curr;
	struct task_struct *idle;
	unsigned int nr_running;	/* queued + running (not idle) */
	unsigned long nr_switches;
	unsigned long nr_preemptions;	/* involuntary switches */
	unsigned long nr_migrations_in, nr_migrations_out;
	unsigned long nr_balance_moves;
	unsigned long nr_deferred_migrations;
	unsigned long ticks;
};
DECLARE_PER_CPU(struct rq, runqueues);
#define cpu_rq(cpu)	per_cpu_ptr(&runqueues, cpu)
#define this_rq()	this_cpu_ptr(&runqueues)

extern volatile unsigned long jiffies;

void sched_init(void);			/* boot CPU, after per-CPU areas */
void schedule(void);
void preempt_schedule_irq(void);
bool wake_up_process(struct task_struct *p);
void yield(void);
long schedule_timeout(long ticks);	/* caller sets its state first */
void msleep(unsigned int ms);
__noreturn void do_exit(int code);
__noreturn void cpu_startup_entry(void);

/* Scheduler hooks called by the interrupt layer. */
void scheduler_tick(void);
void scheduler_ipi(void);

/* Threads. */
struct task_struct *kthread_create_on_cpu(int (*fn)(void *), void *data,
					  int cpu, const char *name);
struct task_struct *kthread_create(int (*fn)(void *), void *data, const char *name);
struct task_struct *kthread_run(int (*fn)(void *), void *data, const char *name);
void kthread_bind(struct task_struct *p, int cpu);
int kthread_join(struct task_struct *p);	/* wait for exit, free, return code */
int kthread_join_oopsed(struct task_struct *p, bool *oopsed);
void for_each_task(void (*fn)(struct task_struct *, void *), void *arg);

/* Migration (kernel/migrate.c). */
int set_cpus_allowed(struct task_struct *p, cpumask_t mask);
int migrate_task_to(struct task_struct *p, int cpu);
void __migrate_enable_slow(void);

/*
 * migrate_disable(): the task may still be preempted, but it will resume
 * on this CPU. A plain per-task increment is enough: whichever CPU the
 * task is on when the increment lands is the one it stays on, and only
 * the task itself writes the counter.
 */
static __always_inline void migrate_disable(void)
{
	current->migration_disabled++;
	barrier();
}

/* The move requested meanwhile (if any) happens when the count drops to 0. */
static __always_inline void migrate_enable(void)
{
	struct task_struct *p = current;
	int n;

	barrier();
	n = --p->migration_disabled;
	if (unlikely(n <= 0) && (n < 0 || unlikely(p->migrate_to >= 0)))
		__migrate_enable_slow();
}
void sched_balance(void);		/* from the tick */

/*
 * Stop p for good wherever it is: off its run queue, never woken again.
 * Only a task that is switched out can be parked (not running on a CPU,
 * not between two run queues); returns false otherwise, or if p is dead.
 * What p holds (locks it sleeps with, pages, pkmap slots) stays held.
 */
bool park_task(struct task_struct *p);
/* Let a parked task run again, as if woken: for the watchdog's own tests,
 * which must end (and free) the threads they have it park. */
bool unpark_task(struct task_struct *p);

/* Debug checks. */
void __might_sleep(const char *file, int line);
#define might_sleep() __might_sleep(__FILE__, __LINE__)

/* Sum of the preempt-relevant counters for tests and the report. */
struct sched_stats {
	unsigned long switches, preemptions, migrations, balance_moves,
		      deferred_migrations;
};
void sched_get_stats(int cpu, struct sched_stats *s);
void sched_print_stats(void);

#endif
