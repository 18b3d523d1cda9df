/* SPDX-License-Identifier: MIT */
/*
 * pgtable.c - the kernel's final page tables.
 *
 * entry.S left us on 2 MiB early mappings of the first 1 GiB. Here we
 * build the real map and switch to it once:
 *
 *   swapper_pg_dir (PDPT, 4 x 8 bytes, below 4 GiB, 32-byte aligned)
 *     [0..2] not present: no user space yet, and page 0 is not mapped
 *     [3] --> kernel_pmd (512 PDEs, 2 MiB each, shared by every address
 *             space that will ever exist)
 *               [0 .. 447]  lowmem page tables, 4 KiB pages, pa + 0xC0000000
 *               [448..509]  8 MiB hole, vmalloc (reserved, empty)
 *               [510]       pkmap_page_table: the 512 kmap() slots
 *               [511]       fixmap page table: FIX_HOLE, kmap_local slots,
 *                           LAPIC, IOAPIC
 *
 * Rules enforced here:
 *  - the direct map covers RAM below max_low_pfn and nothing at or above,
 *    except the boot stack's guard page (entry.S), which is never mapped;
 *  - kernel text is read-only and executable, rodata read-only, every
 *    other kernel page NX (when the CPU has NX) and global (with PGE);
 *  - PDPT entries carry only P and the address;
 *  - the pkmap and fixmap page tables exist before the first kmap, so no
 *    map path ever allocates.
 */
#include "mm/pgtable.h"
#include "mm/memblock.h"
#include "arch/x86/cpu.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/lab.h"

pgd_t swapper_pg_dir[PTRS_PER_PGD] __aligned(32);
pmd_t kernel_pmd[PTRS_PER_PMD] __page_aligned_bss;
pte_t pkmap_page_table[PTRS_PER_PTE] __page_aligned_bss;
static pte_t fixmap_page_table[PTRS_PER_PTE] __page_aligned_bss;
pte_t *fixmap_pte_base;

u64 __supported_pte_mask = ~(_PAGE_NX | _PAGE_GLOBAL);

extern char _text[], _etext[], _rodata[], _data[], boot_stack_guard[];

BUILD_BUG_ON(PKMAP_BASE % PMD_SIZE != 0);
BUILD_BUG_ON(PKMAP_END > FIXADDR_TOP - PMD_SIZE + PAGE_SIZE);
BUILD_BUG_ON(VMALLOC_END > PKMAP_BASE);
BUILD_BUG_ON(VMALLOC_START >= VMALLOC_END);
BUILD_BUG_ON(PAGE_OFFSET + MAXMEM > VMALLOC_START);
BUILD_BUG_ON(__end_of_fixed_addresses > PTRS_PER_PTE);

static pte_t *alloc_pt(unsigned long va)
{
	pmd_t *pmd = &kernel_pmd[pmd_index(va)];
	pmd_t e = pmd_read(pmd);

	if (!(e.pmd & _PAGE_PRESENT)) {
		phys_addr_t pt = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);
		set_pmd(pmd, (pmd_t){ pt | _KERNPG_TABLE });
		return __va(pt);
	}
	return __va(e.pmd & PTE_PFN_MASK);
}

pte_t *lookup_kernel_pte(unsigned long va)
{
	pmd_t e;

	if (va < PAGE_OFFSET)
		return NULL;
	e = pmd_read(&kernel_pmd[pmd_index(va)]);
	if (!(e.pmd & _PAGE_PRESENT) || (e.pmd & _PAGE_PSE))
		return NULL;
	return (pte_t *)__va(e.pmd & PTE_PFN_MASK) + pte_index(va);
}

pte_t *lookup_address_in_pgd(pgd_t *pgd, unsigned long va, unsigned int *level)
{
	/* LAB(1) begin lookup_address: walk the three PAE levels for va, as
	 * the MMU does, and answer as the table in mm/pgtable.h says: PDPT
	 * entry (index bits 31:30), page-directory entry (29:21), PTE (20:12).
	 * An entry's next table is at __va(entry & PTE_PFN_MASK): the flags in
	 * bits 11:0 (and NX, bit 63) are not part of the address. Read a
	 * directory entry with pmd_read(); stop at a 2 MiB page (_PAGE_PSE)
	 * instead of treating its frame as a page table. Set *level on every
	 * return path. Graded: the pgtable suite's lookup_address_* cases.
	 * stub: *level = PG_LEVEL_NONE;
	 * stub: LAB_TODO(1, "lookup_address_in_pgd()");
	 * stub: return NULL;
	 */
	u64 top = read_u64_atomic((volatile u64 *)&pgd[pgd_index(va)].pgd);
	pmd_t *pmdp;
	pmd_t pmd;

	*level = PG_LEVEL_NONE;
	if (!(top & _PAGE_PRESENT))
		return NULL;
	pmdp = (pmd_t *)__va(top & PTE_PFN_MASK) + pmd_index(va);
	pmd = pmd_read(pmdp);
	*level = PG_LEVEL_1G;		/* got past the 1 GiB level */
	if (!pmd.pmd)
		return NULL;
	*level = PG_LEVEL_2M;
	if ((pmd.pmd & _PAGE_PSE) || !(pmd.pmd & _PAGE_PRESENT))
		return (pte_t *)pmdp;	/* a huge page, or a PDE someone parked */
	*level = PG_LEVEL_4K;
	return (pte_t *)__va(pmd.pmd & PTE_PFN_MASK) + pte_index(va);
	/* LAB(1) end */
}

pte_t *lookup_address(unsigned long va, unsigned int *level)
{
	return lookup_address_in_pgd(swapper_pg_dir, va, level);
}

static pgprot_t lowmem_prot(unsigned long pfn)
{
	unsigned long va = (unsigned long)__va((phys_addr_t)pfn << PAGE_SHIFT);

	if (va >= (unsigned long)_text && va < (unsigned long)_rodata)
		return PAGE_KERNEL_RX;
	if (va >= (unsigned long)_rodata && va < (unsigned long)_data)
		return PAGE_KERNEL_RO;
	return PAGE_KERNEL;
}

static void map_lowmem_range(unsigned long start_pfn, unsigned long end_pfn)
{
	for (unsigned long pfn = start_pfn; pfn < end_pfn; pfn++) {
		unsigned long va = (unsigned long)__va((phys_addr_t)pfn << PAGE_SHIFT);
		pte_t *pt = alloc_pt(va);

		/* fill the rest of this page table in one go */
		for (unsigned i = pte_index(va); i < PTRS_PER_PTE && pfn < end_pfn; i++, pfn++)
			set_pte(&pt[i], pfn_pte(pfn, lowmem_prot(pfn)));
		pfn--;
	}
}

void __set_fixmap(enum fixed_addresses idx, phys_addr_t phys, pgprot_t prot)
{
	unsigned long va = __fix_to_virt(idx);
	pte_t *ptep = fixmap_pte_base - idx;

	set_pte_atomic(ptep, pfn_pte(phys >> PAGE_SHIFT, prot));
	invlpg(va);
}

void clear_fixmap(enum fixed_addresses idx)
{
	pte_clear(fixmap_pte_base - idx);
	invlpg(__fix_to_virt(idx));
}

void paging_init(void)
{
	if (boot_cpu.nx_enabled)
		__supported_pte_mask |= _PAGE_NX;
	if (boot_cpu.pge)
		__supported_pte_mask |= _PAGE_GLOBAL;

	/* RAM below max_low_pfn, plus the legacy ISA range (BIOS data, VGA),
	 * which Linux maps too. Page 0 stays unmapped to catch NULL. */
	map_lowmem_range(1, min(0x100UL, max_low_pfn));
	for (int i = 0; i < memblock_memory.cnt; i++) {
		struct memblock_region *r = &memblock_memory.regions[i];
		unsigned long s = r->base >> PAGE_SHIFT, e = (r->base + r->size) >> PAGE_SHIFT;

		s = max(s, 0x100UL);
		e = min(e, max_low_pfn);
		if (s < e)
			map_lowmem_range(s, e);
	}

	set_pmd(&kernel_pmd[pmd_index(PKMAP_BASE)],
		(pmd_t){ __pa(pkmap_page_table) | _KERNPG_TABLE });
	set_pmd(&kernel_pmd[pmd_index(FIXADDR_TOP)],
		(pmd_t){ __pa(fixmap_page_table) | _KERNPG_TABLE });
	fixmap_pte_base = &fixmap_page_table[pte_index(FIXADDR_TOP)];

	/* The page below the boot stack (CPU 0's idle stack) stays out of the
	 * new map, so an overflow faults. These tables are not live yet, and
	 * the CR3 load below drops the early map's (non-global) entries, so
	 * no TLB can still hold the page: no INVLPG needed. */
	pte_clear(lookup_kernel_pte((unsigned long)boot_stack_guard));

	/* PDPT entries: address | P only; anything else is reserved. */
	swapper_pg_dir[3].pgd = __pa(kernel_pmd) | _PAGE_PRESENT;
	write_cr3(__pa(swapper_pg_dir));

	/* Global pages only now: the early map had none, so nothing stale
	 * survives the CR3 load above. */
	if (boot_cpu.pge) {
		write_cr4(read_cr4() | X86_CR4_PGE);
		boot_cpu.pge_enabled = true;
	}
}
