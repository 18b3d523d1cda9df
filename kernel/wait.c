/* SPDX-License-Identifier: MIT */
/*
 * wait.c - wait queues and completions (see wait.h for the protocol).
 */
#include "kernel/wait.h"

void init_waitqueue_head(wait_queue_head_t *q)
{
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->head);
}

void prepare_to_wait(wait_queue_head_t *q, struct wait_queue_entry *w, long state)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (list_empty(&w->entry))
		list_add_tail(&w->entry, &q->head);
	set_current_state(state);
	spin_unlock_irqrestore(&q->lock, flags);
}

void finish_wait(wait_queue_head_t *q, struct wait_queue_entry *w)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	if (!list_empty(&w->entry)) {
		spin_lock_irqsave(&q->lock, flags);
		list_del_init(&w->entry);
		spin_unlock_irqrestore(&q->lock, flags);
	}
}

/* Wake every waiter; each rechecks its own condition. */
void wake_up(wait_queue_head_t *q)
{
	struct wait_queue_entry *w;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	list_for_each_entry(w, &q->head, entry)
		wake_up_process(w->task);
	spin_unlock_irqrestore(&q->lock, flags);
}

bool waitqueue_active(wait_queue_head_t *q)
{
	return !list_empty(&q->head);
}

void init_completion(struct completion *x)
{
	x->done = 0;
	init_waitqueue_head(&x->wait);
}

void complete(struct completion *x)
{
	unsigned long flags;
	struct wait_queue_entry *w;

	spin_lock_irqsave(&x->wait.lock, flags);
	if (x->done != ~0u)
		x->done++;
	if (!list_empty(&x->wait.head)) {
		/* take it off the queue: a second complete() must wake the
		 * next waiter, not this one again (it re-queues if it has to) */
		w = list_first_entry(&x->wait.head, struct wait_queue_entry, entry);
		list_del_init(&w->entry);
		wake_up_process(w->task);
	}
	spin_unlock_irqrestore(&x->wait.lock, flags);
}

void complete_all(struct completion *x)
{
	unsigned long flags;
	struct wait_queue_entry *w;

	spin_lock_irqsave(&x->wait.lock, flags);
	x->done = ~0u;
	list_for_each_entry(w, &x->wait.head, entry)
		wake_up_process(w->task);
	spin_unlock_irqrestore(&x->wait.lock, flags);
}

long wait_for_completion_timeout(struct completion *x, long timeout)
{
	DEFINE_WAIT(w);
	unsigned long flags;

	might_sleep();
	spin_lock_irqsave(&x->wait.lock, flags);
	while (!x->done && timeout) {
		if (list_empty(&w.entry))
			list_add_tail(&w.entry, &x->wait.head);
		set_current_state(TASK_UNINTERRUPTIBLE);
		spin_unlock_irqrestore(&x->wait.lock, flags);
		timeout = schedule_timeout(timeout);
		spin_lock_irqsave(&x->wait.lock, flags);
	}
	if (!list_empty(&w.entry))
		list_del_init(&w.entry);
	__set_current_state(TASK_RUNNING);
	if (x->done) {
		if (x->done != ~0u)
			x->done--;
		if (!timeout)
			timeout = 1;
	}
	spin_unlock_irqrestore(&x->wait.lock, flags);
	return timeout;
}

void wait_for_completion(struct completion *x)
{
	wait_for_completion_timeout(x, -1);
}

bool completion_done(struct completion *x)
{
	return READ_ONCE(x->done) != 0;
}
