/* SPDX-License-Identifier: MIT */
/*
 * preempt.h - the counters that say what the running code may do.
 *
 * preempt_count is per CPU (as on x86 Linux) and packs several counts:
 *
 *   bit  31        23   20 19   16 15      8 7        0
 *        +----------+-----+-------+---------+----------+
 *        |  unused  | NMI |HARDIRQ| SOFTIRQ | PREEMPT  |
 *        +----------+-----+-------+---------+----------+
 *
 *   PREEMPT  preempt_disable() depth (spin_lock adds one too)
 *   SOFTIRQ  softirq depth (kept for Linux's layout; unused here)
 *   HARDIRQ  nesting of hardware interrupt handlers
 *
 * in_atomic()  = the whole count is non-zero: no sleeping, no switching.
 * A task switch always happens with the count at exactly 1 (schedule()'s
 * own preempt_disable), so the per-CPU count never needs saving: the task
 * that comes in finds the value it left.
 *
 * migrate_disable() and pagefault_disable() are per *task*, not per CPU:
 * a task may be preempted while it holds them, and they must go with it.
 */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "arch/x86/percpu.h"
#include "arch/x86/cpu.h"
#include "kernel/inject.h"

#define PREEMPT_BITS	8
#define SOFTIRQ_BITS	8
#define HARDIRQ_BITS	4
#define NMI_BITS	4

#define PREEMPT_SHIFT	0
#define SOFTIRQ_SHIFT	(PREEMPT_SHIFT + PREEMPT_BITS)
#define HARDIRQ_SHIFT	(SOFTIRQ_SHIFT + SOFTIRQ_BITS)
#define NMI_SHIFT	(HARDIRQ_SHIFT + HARDIRQ_BITS)

#define PREEMPT_OFFSET	(1UL << PREEMPT_SHIFT)
#define SOFTIRQ_OFFSET	(1UL << SOFTIRQ_SHIFT)
#define HARDIRQ_OFFSET	(1UL << HARDIRQ_SHIFT)
#define NMI_OFFSET	(1UL << NMI_SHIFT)

#define PREEMPT_MASK	(((1UL << PREEMPT_BITS) - 1) << PREEMPT_SHIFT)
#define SOFTIRQ_MASK	(((1UL << SOFTIRQ_BITS) - 1) << SOFTIRQ_SHIFT)
#define HARDIRQ_MASK	(((1UL << HARDIRQ_BITS) - 1) << HARDIRQ_SHIFT)
#define NMI_MASK	(((1UL << NMI_BITS) - 1) << NMI_SHIFT)

DECLARE_PER_CPU(unsigned int, __preempt_count);
DECLARE_PER_CPU(int, __need_resched);

static __always_inline unsigned int preempt_count(void)
{
	return this_cpu_read(__preempt_count);
}

#define hardirq_count()	(preempt_count() & HARDIRQ_MASK)
#define softirq_count()	(preempt_count() & SOFTIRQ_MASK)
#define in_hardirq()	(hardirq_count() != 0)
#define in_irq()	in_hardirq()
#define in_interrupt()	((preempt_count() & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK)) != 0)
#define in_task()	(!in_interrupt())
#define in_atomic()	(preempt_count() != 0)

static __always_inline bool need_resched(void)
{
	return unlikely(this_cpu_read(__need_resched));
}

static __always_inline void set_need_resched(void)
{
	this_cpu_write(__need_resched, 1);
}

static __always_inline void clear_need_resched(void)
{
	this_cpu_write(__need_resched, 0);
}

void preempt_schedule(void);

static __always_inline void preempt_count_add(unsigned int v)
{
	this_cpu_add(__preempt_count, v);
}

static __always_inline void preempt_count_sub(unsigned int v)
{
	this_cpu_add(__preempt_count, -v);
}

#define preempt_disable() do {						\
	preempt_count_add(1);						\
	barrier();							\
} while (0)

#define preempt_enable_no_resched() do {				\
	barrier();							\
	preempt_count_sub(1);						\
} while (0)

/* The preemption point: dropping the last disable with a reschedule
 * pending switches right here. */
#define preempt_enable() do {						\
	barrier();							\
	preempt_count_sub(1);						\
	if (unlikely(preempt_count() == 0 && need_resched()) &&	\
	    !INJECTED(PREEMPT_ENABLE_NO_RESCHED))			\
		preempt_schedule();					\
} while (0)

#define preemptible()	(preempt_count() == 0 && !irqs_disabled())

/* get_cpu()/put_cpu(): the CPU number, valid until put_cpu(). */
#define get_cpu()	({ preempt_disable(); smp_processor_id(); })
#define put_cpu()	preempt_enable()
#define get_cpu_ptr(p)	({ preempt_disable(); this_cpu_ptr(p); })
#define put_cpu_ptr(p)	do { (void)(p); preempt_enable(); } while (0)

#endif
