/* SPDX-License-Identifier: MIT */
/*
 * memblock.h - boot-time knowledge of physical memory.
 *
 * Two sorted lists of physical ranges, as in Linux's memblock: 'memory'
 * (RAM the firmware map calls usable) and 'reserved' (the kernel image,
 * the multiboot data, the low 1 MiB, and everything allocated at boot).
 * RAM minus reserved is what the page allocator receives.
 */
#ifndef MM_MEMBLOCK_H
#define MM_MEMBLOCK_H

#include "kernel/types.h"

#define MEMBLOCK_MAX_REGIONS 128

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
};

struct memblock_type {
	const char *name;
	int cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

extern struct memblock_type memblock_memory, memblock_reserved;

/* The firmware map as given, for the boot report and the tests. */
#define MAX_FW_MAP 64
struct fw_map_entry {
	u64 addr, len;
	u32 type;
};
extern struct fw_map_entry fw_map[MAX_FW_MAP];
extern int fw_map_entries;

/* Where RAM ends and how it splits (Linux's names and meanings). */
extern unsigned long max_pfn;		/* one past the highest RAM pfn */
extern unsigned long max_low_pfn;	/* one past the last lowmem pfn */
extern unsigned long highstart_pfn, highend_pfn;
extern unsigned long min_low_pfn;	/* the first RAM pfn */
extern u64 ram_beyond_phys_bits;	/* bytes of RAM the CPU cannot address */
extern unsigned long high_memory;	/* va of max_low_pfn */
extern bool after_bootmem;		/* mem_init() gave free memory to the buddy allocator */

void memblock_add(phys_addr_t base, phys_addr_t size);
void memblock_reserve(phys_addr_t base, phys_addr_t size);
bool memblock_is_memory(phys_addr_t addr);
bool memblock_is_reserved(phys_addr_t addr);

/* Allocate zeroed, physically contiguous lowmem; panics if there is none. */
phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
void *memblock_alloc(phys_addr_t size, phys_addr_t align);

/*
 * Walk RAM that is neither reserved nor above 'limit' in ascending order:
 *   phys_addr_t start, end; u64 i = 0;
 *   while (memblock_next_free_range(&i, &start, &end)) ...
 */
bool memblock_next_free_range(u64 *iter, phys_addr_t *start, phys_addr_t *end);

/* Parse the multiboot map and decide max_pfn / max_low_pfn. */
void memblock_setup(u32 mbi_phys);

#endif
