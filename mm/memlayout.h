/* SPDX-License-Identifier: MIT */
/*
 * memlayout.h - the kernel's virtual address space (3G/1G split, PAE).
 *
 *   0xFFFFF000 +------------------------+ FIXADDR_TOP
 *              | FIX_HOLE (never mapped)|
 *              | kmap_local slots:      |  fixmap: grows down,
 *              |  KM_SLOTS_PER_CPU x 8  |  all inside PDE 511,
 *              | device slots (LAPIC,   |  one linear PTE array
 *              |   IOAPIC), scratch,    |
 *              |   TLB test page        |
 *              | early_memremap windows |
 *              |   (4 x 16 pages)       |
 *   FIXADDR_START +---------------------+
 *              |        (unused)        |
 *   0xFFE00000 +------------------------+ PKMAP_BASE + 512 pages
 *              | pkmap: 512 slots       |  PDE 510, one page table
 *   0xFFC00000 +------------------------+ PKMAP_BASE
 *              | 2 guard pages          |
 *   0xFFBFE000 +------------------------+ VMALLOC_END
 *              | vmalloc (reserved)     |
 *   0xFA000000 +------------------------+
 *              | kernel stacks: guard   |  mm/vmap_stack.h (8 MiB)
 *              |  page + 16 KiB each    |
 *   0xF9800000 +------------------------+
 *              | (unused)               |
 *   0xF9200000 +------------------------+
 *              | demand-filled region   |  mm/demand.h (2 MiB)
 *   0xF9000000 +------------------------+
 *              | (unused: tests rely on |
 *              |  its first page being  |
 *              |  unmapped)             |
 *   0xF8800000 +------------------------+ VMALLOC_START
 *              | 8 MiB hole             |  catches overruns off lowmem
 *   0xF8000000 +------------------------+ high_memory (at most)
 *              | lowmem: direct map of  |
 *              | physical 0 .. 896 MiB  |  va = pa + PAGE_OFFSET
 *   0xC0000000 +------------------------+ PAGE_OFFSET
 *              | user space (unused)    |
 *   0x00000000 +------------------------+
 *
 * The classic Linux PAE layout: MAXMEM = 896 MiB of lowmem, so "highmem
 * starts at 896 MB" is literally true here.
 */
#ifndef MM_MEMLAYOUT_H
#define MM_MEMLAYOUT_H

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)

#define PAGE_OFFSET	0xC0000000UL
#define MAXMEM		0x38000000UL		/* 896 MiB */
#define MAXMEM_PFN	(MAXMEM >> PAGE_SHIFT)	/* 0x38000 */
#define MAX_NONPAE_PFN	(1UL << 20)		/* 4 GiB */

#define VMALLOC_OFFSET	(8UL << 20)
#define VMALLOC_START	(PAGE_OFFSET + MAXMEM + VMALLOC_OFFSET)	/* 0xF8800000 */
#define VMALLOC_END	(PKMAP_BASE - 2 * PAGE_SIZE)		/* 0xFFBFE000 */

#define LAST_PKMAP	512
#define LAST_PKMAP_MASK	(LAST_PKMAP - 1)
#define PKMAP_BASE	0xFFC00000UL
#define PKMAP_END	(PKMAP_BASE + LAST_PKMAP * PAGE_SIZE)	/* 0xFFE00000 */
#define PKMAP_NR(va)	(((va) - PKMAP_BASE) >> PAGE_SHIFT)
#define PKMAP_ADDR(nr)	(PKMAP_BASE + ((nr) << PAGE_SHIFT))

#define NR_CPUS		8

/*
 * kmap_local slots. KM_MAX_IDX is 16, or 33 with kmap_local.guard=1; the
 * fixmap always reserves room for the larger so one build does both.
 */
#define KM_MAX_IDX_NORMAL	16
#define KM_MAX_IDX_GUARD	33
#define KM_SLOTS_PER_CPU	KM_MAX_IDX_GUARD

#define FIXADDR_TOP	0xFFFFF000UL

#define NR_FIX_BTMAPS		16
#define FIX_BTMAPS_SLOTS	4

#ifndef __ASSEMBLER__
/* Fixmap indices: index i lives at FIXADDR_TOP - i * PAGE_SIZE. */
enum fixed_addresses {
	FIX_HOLE,
	FIX_KMAP_BEGIN,
	FIX_KMAP_END = FIX_KMAP_BEGIN + KM_SLOTS_PER_CPU * NR_CPUS - 1,
	FIX_APIC_BASE,
	FIX_IO_APIC_BASE_0,
	FIX_SCRATCH,		/* boot-time probes before kmap exists */
	FIX_TLB_TEST,		/* tests/kernel/tlb_test.c remaps it under other CPUs */
	/* early_memremap(): FIX_BTMAPS_SLOTS windows of NR_FIX_BTMAPS pages
	 * for firmware tables outside the direct map (boot time only). A
	 * window's pages run from its highest index down, so that they are
	 * contiguous upwards in virtual memory. */
	FIX_BTMAP_END,
	FIX_BTMAP_BEGIN = FIX_BTMAP_END + NR_FIX_BTMAPS * FIX_BTMAPS_SLOTS - 1,
	__end_of_fixed_addresses
};
#endif

#define FIXADDR_SIZE	(__end_of_fixed_addresses << PAGE_SHIFT)
#define FIXADDR_START	(FIXADDR_TOP - FIXADDR_SIZE)
#define __fix_to_virt(i) (FIXADDR_TOP - ((unsigned long)(i) << PAGE_SHIFT))
#define __virt_to_fix(v) ((FIXADDR_TOP - ((v) & PAGE_MASK)) >> PAGE_SHIFT)

#define __pa(va)	((unsigned long)(va) - PAGE_OFFSET)
#define __va(pa)	((void *)((unsigned long)(pa) + PAGE_OFFSET))

#endif
