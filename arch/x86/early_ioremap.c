/* SPDX-License-Identifier: MIT */
/*
 * early_ioremap.c - fixmap windows for reading firmware tables at boot.
 *
 *   FIX_BTMAP_BEGIN ...................................... FIX_BTMAP_END
 *   | window 0 (16 pages) | window 1 | window 2 | window 3 |
 *   lowest virtual address                    highest virtual address
 *
 * Each window is NR_FIX_BTMAPS consecutive fixmap pages; window w starts
 * at index FIX_BTMAP_BEGIN - w * NR_FIX_BTMAPS and runs to lower indices,
 * i.e. to higher addresses, so a table that spans pages is contiguous.
 * Several windows exist because a table is read while another (the RSDT
 * that lists it) is still mapped.
 */
#include "arch/x86/early_ioremap.h"
#include "arch/x86/cpu.h"
#include "kernel/cpumask.h"
#include "kernel/printk.h"
#include "kernel/bug.h"
#include "mm/pgtable.h"

BUILD_BUG_ON(__end_of_fixed_addresses > PTRS_PER_PTE);

static unsigned long window_va[FIX_BTMAPS_SLOTS];	/* 0 = free */

static enum fixed_addresses window_first_idx(int w)
{
	return FIX_BTMAP_BEGIN - w * NR_FIX_BTMAPS;
}

void *early_memremap_ro(phys_addr_t phys, unsigned long size)
{
	unsigned long offset = phys & ~PAGE_MASK;
	unsigned long pages = (offset + size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	phys_addr_t base = phys - offset;
	int w;

	WARN_ON_ONCE(num_online_cpus() > 1);
	if (!size || pages > NR_FIX_BTMAPS) {
		pr_err("early_memremap: %lu bytes at %#llx do not fit in a %d-page window\n",
		       size, (unsigned long long)phys, NR_FIX_BTMAPS);
		return NULL;
	}
	for (w = 0; w < FIX_BTMAPS_SLOTS && window_va[w]; w++)
		;
	if (w == FIX_BTMAPS_SLOTS) {
		pr_err("early_memremap: all %d windows in use\n", FIX_BTMAPS_SLOTS);
		return NULL;
	}
	for (unsigned long i = 0; i < pages; i++)
		__set_fixmap(window_first_idx(w) - i, base + i * PAGE_SIZE, PAGE_KERNEL_RO);
	window_va[w] = __fix_to_virt(window_first_idx(w));
	return (void *)(window_va[w] + offset);
}

void early_memunmap(void *addr, unsigned long size)
{
	unsigned long va = (unsigned long)addr & PAGE_MASK;
	unsigned long pages = (((unsigned long)addr & ~PAGE_MASK) + size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	int w;

	for (w = 0; w < FIX_BTMAPS_SLOTS && window_va[w] != va; w++)
		;
	if (WARN_ON_ONCE(w == FIX_BTMAPS_SLOTS))
		return;
	for (unsigned long i = 0; i < pages && i < NR_FIX_BTMAPS; i++)
		clear_fixmap(window_first_idx(w) - i);	/* PTE cleared, then INVLPG */
	window_va[w] = 0;
}
