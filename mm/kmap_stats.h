/* SPDX-License-Identifier: MIT */
/*
 * kmap_stats.h - what kmap() did, per CPU, for tests and the boot report.
 */
#ifndef MM_KMAP_STATS_H
#define MM_KMAP_STATS_H

#include "kernel/types.h"
#include "arch/x86/percpu.h"

struct kmap_stats {
	unsigned long calls;		/* kmap_high() calls */
	unsigned long misses;		/* ... that needed a new slot */
	unsigned long wraps;		/* times the cursor wrapped */
	unsigned long global_flushes;	/* pool flushes (each: every CPU), */
	unsigned long unused_flushes;	/* ... those by kmap_flush_unused() */
	unsigned long flush_ipis;	/* TLB-flush IPIs the pool flushes sent */
	unsigned long sleeps;		/* waits for a free slot */
};
DECLARE_PER_CPU(struct kmap_stats, kmap_stats);

/* A counter summed over every CPU: KMAP_STAT(misses), KMAP_STAT(wraps)... */
unsigned long kmap_stat_total(size_t offset);
#define KMAP_STAT(field) kmap_stat_total(__builtin_offsetof(struct kmap_stats, field))

int pkmap_slot_count(int nr);
unsigned int pkmap_cursor(void);
const volatile void *kmap_lock_release_word(void);
const volatile void *kmap_lock_ticket_word(void);
void kmap_init(void);

#endif
