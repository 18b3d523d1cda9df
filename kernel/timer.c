/* SPDX-License-Identifier: MIT */
/*
 * timer.c - jiffies and timed sleeps.
 *
 * The boot CPU's tick advances jiffies (HZ per second) and wakes the tasks
 * whose schedule_timeout() has run out. A timeout of -1 (MAX_SCHEDULE_
 * TIMEOUT in Linux) means "no timeout": sleep until woken.
 */
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/spinlock.h"
#include "kernel/list.h"

volatile unsigned long jiffies;

struct sleeper {
	struct task_struct *task;
	unsigned long expires;
	struct list_head link;
};

static LIST_HEAD(sleepers);
static arch_spinlock_t sleepers_lock = __ARCH_SPIN_LOCK_UNLOCKED;

/* Boot CPU tick, interrupts off. */
void timers_tick(void)
{
	struct sleeper *s, *n;

	jiffies++;
	arch_spin_lock(&sleepers_lock);
	list_for_each_entry_safe(s, n, &sleepers, link) {
		if ((long)(jiffies - s->expires) >= 0) {
			list_del_init(&s->link);
			wake_up_process(s->task);
		}
	}
	arch_spin_unlock(&sleepers_lock);
}

/* The caller has set its state; sleep until woken or 'ticks' pass.
 * Returns the ticks left (0 when the time ran out). */
long schedule_timeout(long ticks)
{
	struct sleeper s = { current, 0, LIST_HEAD_INIT(s.link) };
	unsigned long flags;
	long left;

	if (ticks < 0) {
		schedule();
		return ticks;
	}
	s.expires = jiffies + ticks;
	flags = local_irq_save();
	arch_spin_lock(&sleepers_lock);
	list_add_tail(&s.link, &sleepers);
	arch_spin_unlock(&sleepers_lock);
	local_irq_restore(flags);

	schedule();

	flags = local_irq_save();
	arch_spin_lock(&sleepers_lock);
	if (!list_empty(&s.link))
		list_del_init(&s.link);
	arch_spin_unlock(&sleepers_lock);
	local_irq_restore(flags);
	left = (long)(s.expires - jiffies);
	return left > 0 ? left : 0;
}

void msleep(unsigned int ms)
{
	long ticks = ((long)ms * HZ + 999) / 1000 + 1;

	might_sleep();
	while (ticks) {
		__atomic_exchange_n(&current->state, TASK_UNINTERRUPTIBLE, __ATOMIC_SEQ_CST);
		ticks = schedule_timeout(ticks);
	}
}
