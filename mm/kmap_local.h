/*
 * kmap_local.h - per-CPU, per-task temporary mappings of (highmem) pages.
 *
 * kmap_local_page(page) maps a page into one of this CPU's fixmap slots
 * and returns its address; kunmap_local(addr) undoes it. The mapping is
 * private to the calling task: it follows the task across preemption
 * (the context switch saves and restores it) and pins the task to the CPU
 * (migrate_disable) until the unmap. Maps nest and must be undone in
 * reverse order (LIFO). kmap_atomic() is the deprecated variant that also
 * disables preemption and page faults.
 */
#ifndef MM_KMAP_LOCAL_H
#define MM_KMAP_LOCAL_H

#include "kernel/sched.h"
#include "mm/memlayout.h"

extern int km_max_idx, km_incr;
extern bool kmap_local_guard;

struct kmap_local_stats {
	unsigned long maps;		/* highmem (or forced) local maps */
	unsigned long invlpgs;		/* kunmap_local INVLPGs */
	unsigned long sched_out;	/* slots taken off at switch-out */
	unsigned long sched_in;		/* slots put back at switch-in */
	unsigned long irq_imbalance;	/* IRQs that left idx changed */
};
DECLARE_PER_CPU(struct kmap_local_stats, kmap_local_stats);

/* The slot address of position 'pos' on 'cpu' (for tests and reports). */
static inline unsigned long kmap_local_slot_addr(int cpu, int pos)
{
	return __fix_to_virt(FIX_KMAP_BEGIN + pos + km_max_idx * cpu);
}

/* Check at boot that the slot PTEs form one linear array. */
void kmap_local_init(void);

/* Context-switch hooks (kernel/sched.c): only called when idx != 0. */
void __kmap_local_sched_out(void);
void __kmap_local_sched_in(void);

/* A task is exiting with local maps held: report and undo them. */
void kmap_local_exit_check(struct task_struct *p);

#endif
