/* SPDX-License-Identifier: MIT */
/*
 * pgtable_types.h - PAE page-table entries and their bits.
 *
 * A PAE entry is 64 bits: the present bit is in the low word, the frame
 * bits above 4 GiB and NX in the high word.
 *
 *   63  62 ........ MAXPHYADDR  MAXPHYADDR-1 ..... 12  11..9  8 7 6 5 4 3 2 1 0
 *   NX  reserved (must be 0)    physical frame         AVL    G S D A C T U W P
 *
 * PDPT entries (the top level, 4 of them) allow only P, PWT, PCD, AVL and
 * the address: RW, US and NX are reserved there and #GP on CR3 load.
 */
#ifndef ARCH_X86_PGTABLE_TYPES_H
#define ARCH_X86_PGTABLE_TYPES_H

#include "kernel/types.h"

#define _PAGE_PRESENT	0x001ULL
#define _PAGE_RW	0x002ULL
#define _PAGE_USER	0x004ULL
#define _PAGE_PWT	0x008ULL
#define _PAGE_PCD	0x010ULL
#define _PAGE_ACCESSED	0x020ULL
#define _PAGE_DIRTY	0x040ULL
#define _PAGE_PSE	0x080ULL
#define _PAGE_GLOBAL	0x100ULL
#define _PAGE_NX	(1ULL << 63)

#define PTE_PFN_MASK	0x000ffffffffff000ULL

typedef struct { u64 pte; } pte_t;	/* level 1: 512 per page table */
typedef struct { u64 pmd; } pmd_t;	/* level 2: 512 per page directory */
typedef struct { u64 pgd; } pgd_t;	/* level 3: the 4-entry PDPT */
typedef struct { u64 pgprot; } pgprot_t;

/* Bits this CPU honours: no NX without EFER.NXE, no G without CR4.PGE. */
extern u64 __supported_pte_mask;

#define __pgprot(x)	((pgprot_t){ (x) & __supported_pte_mask })
/* A and D preset: the CPU never has to write them back to kernel PTEs. */
#define __PAGE_KERNEL	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL	__pgprot(__PAGE_KERNEL)
#define PAGE_KERNEL_RO	__pgprot(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_RX	__pgprot(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL)
#define PAGE_KERNEL_NOCACHE __pgprot(__PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT)
/* Page-directory entries: NX here would forbid execution below them all. */
#define _KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

#endif
