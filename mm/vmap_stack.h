/* SPDX-License-Identifier: MIT */
/*
 * vmap_stack.h - kernel stacks in the vmalloc range, each above an unmapped
 * guard page (Linux's CONFIG_VMAP_STACK).
 *
 * A stack that grows past its bottom touches the guard page and faults;
 * the CPU cannot push the #PF frame on that same stack, so the fault
 * becomes a double fault, which runs on its own stack (arch/x86/gdt.c)
 * and reports "BUG: kernel stack overflow". Without the guard the stack
 * would run silently into whatever memory lies below it.
 *
 * The stack area is a fixed run of slots; every slot is one guard page
 * and THREAD_SIZE of stack, so each stack also has the next slot's guard
 * page right above its top:
 *
 *   STACK_AREA_END   +------------------+
 *                    | (unmapped)       |
 *                    +------------------+
 *                    | slot N-1: stack  |  THREAD_SIZE / PAGE_SIZE pages,
 *                    |           guard  |  1 page, never mapped
 *                    +------------------+
 *                    |       ...        |
 *                    +------------------+
 *                    | slot 1: stack    |
 *                    |         guard    |
 *                    +------------------+
 *                    | slot 0: stack    |  <- task->stack = lowest byte
 *                    |         guard    |     of the stack pages
 *   STACK_AREA_START +------------------+  VMALLOC_START + 16 MiB
 *
 * The page tables of the whole area exist from vmap_stack_init() on, so
 * mapping a stack never allocates one. Stack pages are order-0 pages,
 * highmem preferred (they are only ever reached through this mapping).
 *
 * Rules enforced: a released slot's translations are flushed on every CPU
 * before its pages go back to the allocator or the slot is handed out
 * again; a freed stack is cached (still mapped, so reusing it needs no
 * flush) up to NR_CACHED_STACKS.
 */
#ifndef MM_VMAP_STACK_H
#define MM_VMAP_STACK_H

#include "kernel/types.h"
#include "kernel/sched.h"
#include "mm/memlayout.h"

/* Clear of VMALLOC_START (tests use it as "unmapped") and of the
 * demand-filled region at +8 MiB (mm/demand.h). */
#define STACK_AREA_START	(VMALLOC_START + (16UL << 20))
#define STACK_AREA_PTS		4			/* page tables: 8 MiB */
#define STACK_AREA_END		(STACK_AREA_START + STACK_AREA_PTS * PMD_SIZE)
#define STACK_PAGES		((int)(THREAD_SIZE / PAGE_SIZE))
#define STACK_SLOT_SIZE		(PAGE_SIZE + THREAD_SIZE)
/* Keep the page above the last slot unmapped too. */
#define NR_STACK_SLOTS		((int)((STACK_AREA_END - STACK_AREA_START - PAGE_SIZE) / STACK_SLOT_SIZE))
/* Freed stacks kept mapped for reuse: Linux keeps two per CPU. */
#define NR_CACHED_STACKS	(2 * NR_CPUS)

/* Boot, after mem_init() and before the first thread or AP: the area's
 * page tables. */
void vmap_stack_init(void);

/* A THREAD_SIZE stack (not zeroed); returns its lowest address, or NULL when
 * out of slots or memory. May sleep. */
void *vmap_stack_alloc(void);

/* Give a stack back. Keeps it mapped in the cache if there is room, else
 * releases it (unmap, flush every CPU's TLB, free the pages), so it needs
 * interrupts on; preemption may be off. */
void vmap_stack_free(void *stack);

/* Release every cached stack (the flush path, on demand). */
void vmap_stack_drain(void);

struct vmap_stack_stats {
	unsigned long allocs;		/* stacks handed out */
	unsigned long cache_hits;	/* ... of which came from the cache */
	unsigned long frees;		/* stacks given back */
	unsigned long releases;		/* slots unmapped and flushed */
	unsigned long in_use;		/* slots taken (cached ones included) */
	unsigned long cached;		/* stacks in the cache now */
	unsigned long peak;		/* most slots ever taken at once */
};
void vmap_stack_get_stats(struct vmap_stack_stats *s);

#endif
