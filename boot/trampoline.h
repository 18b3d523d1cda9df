/* SPDX-License-Identifier: MIT */
/*
 * trampoline.h - where the AP start-up code runs, and the parameters the
 * boot CPU leaves for it.
 *
 * A started AP begins in real mode at CS:IP = (vector << 8):0000, so its
 * first code must sit on a page boundary below 1 MiB. We use the fixed
 * page TRAMPOLINE_BASE = 0x8000 (SIPI vector 0x08): memblock reserves the
 * whole low 1 MiB, so no allocation lands there, and neither boot loader
 * leaves data in it (measured: QEMU's -kernel puts the multiboot info at
 * 0x9000-0x95ff, GRUB at 0x10000). The blob is about 160 bytes.
 *
 *   0x8000  real-mode entry (16-bit), then 32-bit protected-mode code
 *           flat GDT (null, __KERNEL_CS, __KERNEL_DS)
 *   +TH     struct trampoline_header, 32-byte aligned:
 *             pdpt[4]   temporary PAE top level: [0] -> a PD whose entry 0
 *                       maps 0-2 MiB 1:1 (this page), [3] -> kernel_pmd
 *             cr0, cr4  the boot CPU's values (CR4 without PGE)
 *             efer_nxe  1 if EFER.NXE must be set before paging is on
 */
#ifndef BOOT_TRAMPOLINE_H
#define BOOT_TRAMPOLINE_H

#define TRAMPOLINE_BASE		0x8000
#define TRAMPOLINE_VECTOR	(TRAMPOLINE_BASE >> 12)

#define TH_PDPT		0
#define TH_CR0		32
#define TH_CR4		36
#define TH_EFER_NXE	40
#define TH_SIZE		44

#ifndef __ASSEMBLER__
#include "kernel/types.h"

struct trampoline_header {
	u64 pdpt[4];
	u32 cr0;
	u32 cr4;
	u32 efer_nxe;
};
_Static_assert(__builtin_offsetof(struct trampoline_header, cr0) == TH_CR0, "TH_CR0");
_Static_assert(__builtin_offsetof(struct trampoline_header, efer_nxe) == TH_EFER_NXE, "TH_EFER_NXE");
_Static_assert(sizeof(struct trampoline_header) == TH_SIZE, "TH_SIZE");

/* The code and data to copy to TRAMPOLINE_BASE, and the header in it. */
extern char trampoline_start[], trampoline_end[];
extern struct trampoline_header trampoline_header;

/* Where the AP lands after turning paging on (kernel virtual address). */
void secondary_startup_32(void);
#endif
#endif
