/* SPDX-License-Identifier: MIT */
/*
 * wait.h - wait queues and completions.
 *
 * A sleeper puts itself on a wait queue, marks itself not runnable, checks
 * its condition once more, and only then calls schedule(). A waker makes
 * the condition true and then wakes the queue. Because the sleeper checks
 * *after* it is visible on the queue and marked asleep, a wake-up between
 * the check and schedule() is not lost: it just makes the task runnable
 * again, and schedule() returns at once.
 *
 *   sleeper                          waker
 *   prepare_to_wait(q, UNINTERRUPT)
 *   if (cond) break;                 cond = true;
 *   schedule();                      wake_up(q);
 */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include "kernel/sched.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct wait_queue_entry {
	struct task_struct *task;
	struct list_head entry;
};

typedef struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
} wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) { __SPIN_LOCK_UNLOCKED, LIST_HEAD_INIT(name.head) }
#define DECLARE_WAIT_QUEUE_HEAD(name) \
	wait_queue_head_t name = __WAIT_QUEUE_HEAD_INITIALIZER(name)
#define DEFINE_WAIT(name) \
	struct wait_queue_entry name = { current, LIST_HEAD_INIT(name.entry) }

void init_waitqueue_head(wait_queue_head_t *q);
void prepare_to_wait(wait_queue_head_t *q, struct wait_queue_entry *w, long state);
void finish_wait(wait_queue_head_t *q, struct wait_queue_entry *w);
void wake_up(wait_queue_head_t *q);
bool waitqueue_active(wait_queue_head_t *q);

/* A full barrier after the store: the condition is read after it lands. */
#define set_current_state(s) \
	__atomic_exchange_n(&current->state, (s), __ATOMIC_SEQ_CST)
#define __set_current_state(s)	WRITE_ONCE(current->state, (s))

#define wait_event(q, cond) do {					\
	DEFINE_WAIT(__w);						\
	might_sleep();							\
	for (;;) {							\
		prepare_to_wait(&(q), &__w, TASK_UNINTERRUPTIBLE);	\
		if (cond)						\
			break;						\
		schedule();						\
	}								\
	finish_wait(&(q), &__w);					\
} while (0)

/* Returns the ticks left (>= 1) if cond came true, 0 on timeout. */
#define wait_event_timeout(q, cond, timeout) ({				\
	DEFINE_WAIT(__w);						\
	long __left = (timeout);					\
	might_sleep();							\
	for (;;) {							\
		prepare_to_wait(&(q), &__w, TASK_UNINTERRUPTIBLE);	\
		if (cond) {						\
			if (!__left)					\
				__left = 1;				\
			break;						\
		}							\
		if (!__left)						\
			break;						\
		__left = schedule_timeout(__left);			\
	}								\
	finish_wait(&(q), &__w);					\
	__left;								\
})

struct completion {
	unsigned int done;
	wait_queue_head_t wait;
};

#define DECLARE_COMPLETION(name) \
	struct completion name = { 0, __WAIT_QUEUE_HEAD_INITIALIZER(name.wait) }
void init_completion(struct completion *x);
void complete(struct completion *x);
void complete_all(struct completion *x);
void wait_for_completion(struct completion *x);
/* Ticks left, or 0 on timeout. */
long wait_for_completion_timeout(struct completion *x, long timeout);
bool completion_done(struct completion *x);

#endif
