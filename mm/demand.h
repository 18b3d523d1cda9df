/* SPDX-License-Identifier: MIT */
/*
 * demand.h - a kernel region filled on first touch, where the page-fault
 * handler may sleep.
 *
 * This kernel has no user space, so this region plays the part user memory
 * plays in Linux for the fault rules: touching a page that is not there
 * yet faults, and the handler allocates a page, waits for its contents
 * (a real sleep, standing for the disk read a swap-in would do) and maps
 * it -- unless page faults are disabled (pagefault_disable(), or any
 * atomic context), in which case the fault goes straight to the exception
 * fixup and the access fails fast. copy_from_demand() is the
 * __copy_from_user_inatomic() of this region: it returns the number of
 * bytes it could NOT copy.
 *
 *   DEMAND_START = VMALLOC_START + 8 MiB, one page table (2 MiB, 512
 *   pages); the start of the vmalloc range itself stays unmapped.
 */
#ifndef MM_DEMAND_H
#define MM_DEMAND_H

#include "kernel/types.h"
#include "mm/memlayout.h"

#define DEMAND_START	(VMALLOC_START + (8UL << 20))
#define DEMAND_END	(DEMAND_START + PMD_SIZE)
#define DEMAND_PTS	1	/* page tables: the region is one PMD */
#define DEMAND_FILL_MS	2	/* how long "reading the backing store" takes */

struct pt_regs;

/* Boot: give the region its (empty) page table. */
void demand_init(void);

/* From the #PF handler when faults may sleep: fill and map the page.
 * Returns false if the address is not ours to fill. */
bool demand_fault(struct pt_regs *regs, unsigned long error_code, unsigned long address);

/* The value the backing store holds at byte offset 'off' of the region
 * (as a 32-bit word; off is 4-byte aligned). */
static inline u32 demand_pattern(unsigned long off)
{
	return 0xd0000000u ^ (u32)off;
}

/* Copy from the region with faults handled: with page faults enabled a
 * missing page is filled (and we may sleep); with them disabled the copy
 * stops at the first missing page. Returns the bytes NOT copied. */
unsigned long copy_from_demand(void *to, const void *from, unsigned long n);

/* Unmap and free every filled page, flushing every CPU's TLB. */
void demand_reset(void);

/* How many pages are filled (and held) now. */
unsigned long demand_filled_pages(void);

struct demand_stats {
	unsigned long fills;		/* pages filled by the fault handler */
	unsigned long sleeps;		/* times the handler slept */
	unsigned long fixups;		/* faults sent to the fixup instead */
};
extern struct demand_stats demand_stats;

#endif
