/* SPDX-License-Identifier: MIT */
/*
 * pgtable.h - reading and writing PAE entries safely.
 *
 * On i386 a 64-bit entry is written as two 32-bit stores. The order is the
 * whole point:
 *   set_pte   (entry not present): high word, barrier, low word. A walker
 *             sees "not present" until the low word (with P) lands, and then
 *             the complete entry.
 *   pte_clear (entry present): low word (drops P), barrier, high word.
 *   set_pte_atomic / pte_xchg: one cmpxchg8b, for entries the hardware may
 *             be using (replacing a live mapping).
 * A plain "*ptep = v" on a u64 is two stores in an order the compiler
 * chooses; it is never used on an entry.
 */
#ifndef MM_PGTABLE_H
#define MM_PGTABLE_H

#include "arch/x86/pgtable_types.h"
#include "kernel/compiler.h"
#include "mm/memlayout.h"
#include "kernel/inject.h"

#define smp_wmb()	barrier()	/* x86 stores are not reordered with stores */
#define smp_rmb()	barrier()

static inline u64 cmpxchg64(volatile u64 *p, u64 old, u64 new)
{
	u64 prev;
	__asm__ __volatile__("lock; cmpxchg8b %1"
			     : "=A"(prev), "+m"(*p)
			     : "b"((u32)new), "c"((u32)(new >> 32)), "0"(old)
			     : "memory");
	return prev;
}

/* Atomically read a 64-bit entry (the CPU may be setting A/D under us). */
static inline u64 read_u64_atomic(volatile u64 *p)
{
	return cmpxchg64(p, 0, 0);
}

static inline u64 xchg64(volatile u64 *p, u64 new)
{
	u64 old = *p, prev;

	while ((prev = cmpxchg64(p, old, new)) != old)
		old = prev;
	return old;
}

static inline pte_t __pte(u64 v) { return (pte_t){ v }; }
static inline u64 pte_val(pte_t p) { return p.pte; }
static inline bool pte_none(pte_t p) { return p.pte == 0; }
static inline bool pte_present(pte_t p) { return p.pte & _PAGE_PRESENT; }
static inline u32 pte_pfn(pte_t p) { return (u32)((p.pte & PTE_PFN_MASK) >> PAGE_SHIFT); }
static inline pte_t pfn_pte(u32 pfn, pgprot_t prot)
{
	return __pte(((u64)pfn << PAGE_SHIFT) | prot.pgprot);
}

/* Non-atomic read, low then high then low again: a consistent snapshot
 * of an entry only software writes (kernel PTEs have A and D preset). */
static inline pte_t ptep_get(pte_t *ptep)
{
	/* LAB(1) begin ptep_get: read an entry that another CPU may be rewriting
	 * (pte_clear(), then set_pte() of a new value) and return a value it
	 * really held, never the low word of one value beside the high word of
	 * the other. No lock and no cmpxchg8b: two 32-bit loads through the
	 * volatile u32 pointer, low word then high word, smp_rmb() between
	 * them; then look at the low word once more, and read again if it
	 * changed. Why the low word is the one to recheck: see set_pte().
	 * Graded: pgtable.ptep_get_never_returns_a_torn_entry.
	 * stub: volatile u32 *w = (volatile u32 *)ptep;
	 * stub: u32 lo = w[0], hi = w[1];	/\* naive: one look at each word, no recheck *\/
	 * stub: return __pte(((u64)hi << 32) | lo);
	 */
	volatile u32 *w = (volatile u32 *)ptep;
	u32 lo, hi;

	do {
		lo = w[0];
		smp_rmb();
		hi = w[1];
		smp_rmb();
	} while (lo != w[0]);
	return __pte(((u64)hi << 32) | lo);
	/* LAB(1) end */
}

static inline void set_pte(pte_t *ptep, pte_t pte)
{
	/* LAB(1) begin set_pte: fill an entry that is not present (a walker on
	 * another CPU may look at it at any moment) with two 32-bit stores
	 * through the volatile u32 pointer, in the one order under which a
	 * walker sees either "not present" or the whole new entry, never P
	 * beside a stale high word (the frame above 4 GiB and NX live there).
	 * smp_wmb() between the stores keeps the compiler from swapping them.
	 * Keep the INJECTED(SET_PTE_LOW_FIRST) branch of the reference if you
	 * like (inject=set_pte_low_first): it is the wrong order on purpose.
	 * Graded: pgtable.set_pte_stores_high_word_before_low.
	 * stub: volatile u32 *w = (volatile u32 *)ptep;
	 * stub: w[0] = (u32)pte.pte;		/\* naive: the words in address order *\/
	 * stub: w[1] = (u32)(pte.pte >> 32);
	 */
	volatile u32 *w = (volatile u32 *)ptep;

	if (INJECTED(SET_PTE_LOW_FIRST)) {	/* P lands before the frame's high bits */
		w[0] = (u32)pte.pte;
		smp_wmb();
		w[1] = (u32)(pte.pte >> 32);
		return;
	}
	w[1] = (u32)(pte.pte >> 32);
	smp_wmb();
	w[0] = (u32)pte.pte;
	/* LAB(1) end */
}

static inline void pte_clear(pte_t *ptep)
{
	/* LAB(1) begin pte_clear: empty a present entry with two 32-bit stores
	 * of 0, in the order under which a walker never sees P beside a
	 * half-cleared frame: the mirror image of set_pte()'s.
	 * Graded: pgtable.pte_clear_stores_low_word_first.
	 * stub: volatile u32 *w = (volatile u32 *)ptep;
	 * stub: w[1] = 0;			/\* naive: set_pte()'s order copied *\/
	 * stub: w[0] = 0;
	 */
	volatile u32 *w = (volatile u32 *)ptep;

	w[0] = 0;
	smp_wmb();
	w[1] = 0;
	/* LAB(1) end */
}

static inline void set_pte_atomic(pte_t *ptep, pte_t pte)
{
	xchg64((volatile u64 *)&ptep->pte, pte.pte);
}

static inline pte_t pte_xchg(pte_t *ptep, pte_t pte)
{
	return __pte(xchg64((volatile u64 *)&ptep->pte, pte.pte));
}

/* Get and clear: the low word goes first and atomically, so a concurrent
 * walker can never see a present entry with a half-cleared frame. */
static inline pte_t ptep_get_and_clear(pte_t *ptep)
{
	volatile u32 *w = (volatile u32 *)ptep;
	u32 lo = __atomic_exchange_n(&w[0], 0, __ATOMIC_SEQ_CST);
	u32 hi = w[1];

	w[1] = 0;
	return __pte(((u64)hi << 32) | lo);
}

/* Directory entries are live for many translations: always atomic. */
static inline void set_pmd(pmd_t *pmdp, pmd_t pmd)
{
	xchg64((volatile u64 *)&pmdp->pmd, pmd.pmd);
}

static inline pmd_t pmd_read(pmd_t *pmdp)
{
	return (pmd_t){ read_u64_atomic((volatile u64 *)&pmdp->pmd) };
}

#define PTRS_PER_PTE	512
#define PTRS_PER_PMD	512
#define PTRS_PER_PGD	4
#define pgd_index(va)	((unsigned long)(va) >> 30)
#define pmd_index(va)	(((unsigned long)(va) >> PMD_SHIFT) & (PTRS_PER_PMD - 1))
#define pte_index(va)	(((unsigned long)(va) >> PAGE_SHIFT) & (PTRS_PER_PTE - 1))

/* The kernel's top level and its one page directory (PDPT[3]), shared by
 * every address space. */
extern pgd_t swapper_pg_dir[PTRS_PER_PGD];
extern pmd_t kernel_pmd[PTRS_PER_PMD];

/* The PTE of a kernel virtual address, or NULL if it has no page table. */
pte_t *lookup_kernel_pte(unsigned long va);

/* How much address space an entry lookup_address() found maps (Linux's
 * names; PAE has no 1 GiB pages: PG_LEVEL_1G only says how far a walk got). */
enum pg_level {
	PG_LEVEL_NONE,
	PG_LEVEL_4K,
	PG_LEVEL_2M,
	PG_LEVEL_1G,
};

/*
 * The entry that maps va under the top-level table pgd (a 4-entry PDPT),
 * with what Linux's lookup_address_in_pgd() answers on PAE:
 *
 *   PDPT entry not present             NULL, *level = PG_LEVEL_NONE
 *   page-directory entry empty (0)     NULL, *level = PG_LEVEL_1G
 *   PDE of a 2 MiB page (PS set), or   the PDE itself (as a pte_t *),
 *     not present but not empty          *level = PG_LEVEL_2M
 *   otherwise                          the PTE in its page table, present
 *                                        or not, *level = PG_LEVEL_4K
 *
 * Any address, user or kernel, under any PDPT whose tables are in lowmem
 * (reached through __va()). Nothing on the boot path calls it: tests do,
 * and lookup_address() does for the kernel's own tables.
 */
pte_t *lookup_address_in_pgd(pgd_t *pgd, unsigned long va, unsigned int *level);
pte_t *lookup_address(unsigned long va, unsigned int *level);

/* Fixmap: map a physical page at a fixed slot (boot-time and devices). */
void __set_fixmap(enum fixed_addresses idx, phys_addr_t phys, pgprot_t prot);
void clear_fixmap(enum fixed_addresses idx);
#define fix_to_virt(i)	__fix_to_virt(i)

/* The fixmap's PTEs: one page table, so slot i's PTE is fixmap_pte_base - i. */
extern pte_t *fixmap_pte_base;	/* the PTE of index 0 (FIX_HOLE) */
extern pte_t pkmap_page_table[PTRS_PER_PTE];

/* Build the final kernel page tables and switch to them. */
void paging_init(void);

#endif
