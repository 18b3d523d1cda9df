/* SPDX-License-Identifier: MIT */
/*
 * vmap_stack.c - the stack area: slots of guard page + stack in the
 * vmalloc range (see vmap_stack.h for the layout and why).
 *
 * A slot is in one of three states:
 *
 *   free      bit clear in slot_used, every PTE of the slot empty, and no
 *             CPU holds a translation for it (it was flushed on release);
 *   in use    bit set, the stack pages mapped, the guard PTE empty;
 *   cached    in use, but owned by the cache: still mapped, so handing it
 *             out again needs no TLB flush, only a wipe.
 *
 * Only release (cache full, vmap_stack_drain(), or a failed allocation)
 * takes PTEs down, and it flushes every CPU before the pages are freed
 * and before the slot bit is cleared, so nothing can reach the old pages
 * through a stale translation. Setting a PTE that was empty needs no
 * flush: x86 does not cache not-present translations.
 *
 * A stack is not wiped when it is handed out (Linux clears a reused one,
 * for its hardening features): with no user space there is no one to leak
 * old frames to, the only thing a new thread reads from its stack is the
 * first frame kthread_create() writes, and 16 KiB of stores would be most
 * of what creating a thread costs.
 *
 * stack_lock guards slot_used, the cache and the counters; it is taken
 * with interrupts off because stacks are freed from finish_task_switch().
 * The PTEs of a slot belong to whoever holds the slot and are written
 * without it.
 */
#include "mm/vmap_stack.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"
#include "arch/x86/tlb.h"
#include "kernel/spinlock.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/bug.h"

BUILD_BUG_ON(STACK_AREA_START % PMD_SIZE != 0);
BUILD_BUG_ON(STACK_AREA_END > VMALLOC_END);
BUILD_BUG_ON(THREAD_SIZE % PAGE_SIZE != 0);
/* The area's page tables are one order-2 block (below). */
BUILD_BUG_ON(STACK_AREA_PTS != 4);

#define SLOT_WORDS	((NR_STACK_SLOTS + 31) / 32)

/* The area's PTEs as one array: the four page tables are one block. */
static pte_t *area_ptes;
static u32 slot_used[SLOT_WORDS];
static int slot_hint;			/* where the next search starts */
static void *stack_cache[NR_CACHED_STACKS];
static int nr_cached;
static struct vmap_stack_stats stats;
static DEFINE_SPINLOCK(stack_lock);

static unsigned long slot_stack(int slot)
{
	return STACK_AREA_START + (unsigned long)slot * STACK_SLOT_SIZE + PAGE_SIZE;
}

static pte_t *stack_ptes(unsigned long stack)
{
	return &area_ptes[(stack - STACK_AREA_START) >> PAGE_SHIFT];
}

/* The slot of a stack address we handed out, or -1. */
static int stack_slot(unsigned long stack)
{
	unsigned long off = stack - STACK_AREA_START - PAGE_SIZE;

	if (stack < STACK_AREA_START + PAGE_SIZE || off % STACK_SLOT_SIZE ||
	    off / STACK_SLOT_SIZE >= NR_STACK_SLOTS)
		return -1;
	return off / STACK_SLOT_SIZE;
}

static bool slot_is_used(int slot)
{
	return slot_used[slot / 32] & (1u << (slot % 32));
}

void vmap_stack_init(void)
{
	unsigned long pts = __get_free_pages(GFP_KERNEL | __GFP_ZERO, 2);

	if (!pts)
		panic("vmap_stack: no memory for the stack area's page tables");
	area_ptes = (pte_t *)pts;
	for (int i = 0; i < STACK_AREA_PTS; i++)
		set_pmd(&kernel_pmd[pmd_index(STACK_AREA_START) + i],
			(pmd_t){ __pa(pts + i * PAGE_SIZE) | _KERNPG_TABLE });
	pr_info("vmap_stack: %d stack slots of %lu+%lu kB at 0x%08lx-0x%08lx, %d cached when free\n",
		NR_STACK_SLOTS, PAGE_SIZE >> 10, (unsigned long)THREAD_SIZE >> 10,
		STACK_AREA_START, STACK_AREA_END, NR_CACHED_STACKS);
}

/* Under stack_lock: claim a free slot, or -1. */
static int take_slot(void)
{
	for (int n = 0; n < NR_STACK_SLOTS; n++) {
		int slot = (slot_hint + n) % NR_STACK_SLOTS;

		if (!slot_is_used(slot)) {
			slot_used[slot / 32] |= 1u << (slot % 32);
			slot_hint = (slot + 1) % NR_STACK_SLOTS;
			if (++stats.in_use > stats.peak)
				stats.peak = stats.in_use;
			return slot;
		}
	}
	return -1;
}

/*
 * Unmap a slot, flush it from every CPU, free its pages, free the slot.
 * Needs interrupts on (the flush waits for the other CPUs).
 */
static void release_stack(unsigned long stack)
{
	pte_t *ptep = stack_ptes(stack), old[STACK_PAGES];
	int slot = stack_slot(stack);
	unsigned long flags;

	WARN_ON_ONCE(irqs_disabled());
	for (int i = 0; i < STACK_PAGES; i++)
		old[i] = ptep_get_and_clear(&ptep[i]);
	flush_tlb_kernel_range(stack, stack + THREAD_SIZE);
	for (int i = 0; i < STACK_PAGES; i++)
		if (pte_present(old[i]))
			__free_page(pfn_to_page(pte_pfn(old[i])));

	spin_lock_irqsave(&stack_lock, flags);
	slot_used[slot / 32] &= ~(1u << (slot % 32));
	stats.in_use--;
	stats.releases++;
	spin_unlock_irqrestore(&stack_lock, flags);
}

void *vmap_stack_alloc(void)
{
	unsigned long flags, stack;
	pte_t *ptep;
	int slot;

	might_sleep();
	spin_lock_irqsave(&stack_lock, flags);
	if (nr_cached) {
		stack = (unsigned long)stack_cache[--nr_cached];
		stats.allocs++;
		stats.cache_hits++;
		spin_unlock_irqrestore(&stack_lock, flags);
		return (void *)stack;
	}
	slot = take_slot();
	if (slot >= 0)
		stats.allocs++;
	spin_unlock_irqrestore(&stack_lock, flags);
	if (slot < 0) {
		pr_warn("vmap_stack: all %d stack slots are in use\n",
			NR_STACK_SLOTS);
		return NULL;
	}

	stack = slot_stack(slot);
	ptep = stack_ptes(stack);
	for (int i = 0; i < STACK_PAGES; i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_HIGHMEM);

		if (!page) {
			release_stack(stack);
			spin_lock_irqsave(&stack_lock, flags);
			stats.allocs--;
			spin_unlock_irqrestore(&stack_lock, flags);
			return NULL;
		}
		set_pte(&ptep[i], pfn_pte(page_to_pfn(page), PAGE_KERNEL));
	}
	return (void *)stack;
}

void vmap_stack_free(void *p)
{
	unsigned long stack = (unsigned long)p, flags;
	int slot = stack_slot(stack);

	if (WARN(slot < 0 || !slot_is_used(slot),
		 "vmap_stack: freeing %08lx, which is not a stack in use\n", stack))
		return;
	spin_lock_irqsave(&stack_lock, flags);
	for (int i = 0; i < nr_cached; i++) {
		if (stack_cache[i] == p) {
			spin_unlock_irqrestore(&stack_lock, flags);
			WARN(1, "vmap_stack: double free of stack %08lx\n", stack);
			return;
		}
	}
	stats.frees++;
	if (nr_cached < NR_CACHED_STACKS) {
		stack_cache[nr_cached++] = p;
		spin_unlock_irqrestore(&stack_lock, flags);
		return;
	}
	spin_unlock_irqrestore(&stack_lock, flags);
	release_stack(stack);
}

void vmap_stack_drain(void)
{
	unsigned long flags, stack;

	for (;;) {
		spin_lock_irqsave(&stack_lock, flags);
		if (!nr_cached) {
			spin_unlock_irqrestore(&stack_lock, flags);
			return;
		}
		stack = (unsigned long)stack_cache[--nr_cached];
		spin_unlock_irqrestore(&stack_lock, flags);
		release_stack(stack);
	}
}

void vmap_stack_get_stats(struct vmap_stack_stats *s)
{
	unsigned long flags;

	spin_lock_irqsave(&stack_lock, flags);
	*s = stats;
	s->cached = nr_cached;
	spin_unlock_irqrestore(&stack_lock, flags);
}
