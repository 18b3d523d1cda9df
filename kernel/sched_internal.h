/* SPDX-License-Identifier: MIT */
/*
 * sched_internal.h - what the scheduler's files share and nobody else uses.
 */
#ifndef KERNEL_SCHED_INTERNAL_H
#define KERNEL_SCHED_INTERNAL_H

#include "kernel/sched.h"

extern struct task_struct init_task;
extern bool scheduler_running;

void enqueue_task(struct rq *rq, struct task_struct *p);
void dequeue_task(struct rq *rq, struct task_struct *p);
struct rq *task_rq_lock(struct task_struct *p, unsigned long *flags);
void task_rq_unlock(struct rq *rq, unsigned long flags);
void resched_cpu(int cpu);
void schedule_tail(struct task_struct *prev);

/* migrate.c */
void complete_migration(struct task_struct *p, int cpu);
bool wake_up_on_new_cpu(struct task_struct *p);

/* kthread.c */
void task_list_add(struct task_struct *p);
void task_dead(struct task_struct *p);

/* timer.c */
void timers_tick(void);

#endif
