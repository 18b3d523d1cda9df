/* SPDX-License-Identifier: MIT */
/*
 * gdt.h - each CPU's global descriptor table and task state segments.
 *
 *   selector  entry
 *   0x00      null
 *   0x08      kernel code, flat 4 GiB, ring 0
 *   0x10      kernel data, flat 4 GiB, ring 0
 *   0x18      user code (ring 3; unused so far)
 *   0x20      user data (ring 3; unused so far)
 *   0x28      TSS: the CPU's normal task state (ring-0 stack for traps)
 *   0x30      double-fault TSS: #DF switches to it through a task gate,
 *             onto a stack of its own, so a kernel stack overflow is
 *             reported instead of triple-faulting
 *   0x38      per-CPU segment, loaded in %fs; base = this CPU's offset
 */
#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H

#ifndef __ASSEMBLER__
#include "kernel/types.h"
#endif

#define GDT_ENTRY_KERNEL_CS	1
#define GDT_ENTRY_KERNEL_DS	2
#define GDT_ENTRY_USER_CS	3
#define GDT_ENTRY_USER_DS	4
#define GDT_ENTRY_TSS		5
#define GDT_ENTRY_DOUBLEFAULT_TSS 6
#define GDT_ENTRY_PERCPU	7
#define GDT_ENTRIES		8

#define __KERNEL_CS	(GDT_ENTRY_KERNEL_CS * 8)
#define __KERNEL_DS	(GDT_ENTRY_KERNEL_DS * 8)
#define __USER_CS	(GDT_ENTRY_USER_CS * 8 + 3)
#define __USER_DS	(GDT_ENTRY_USER_DS * 8 + 3)
#define __TSS		(GDT_ENTRY_TSS * 8)
#define __DOUBLEFAULT_TSS (GDT_ENTRY_DOUBLEFAULT_TSS * 8)
#define __KERNEL_PERCPU	(GDT_ENTRY_PERCPU * 8)

#ifndef __ASSEMBLER__
struct tss {
	u16 link, _r0;
	u32 esp0;
	u16 ss0, _r1;
	u32 esp1;
	u16 ss1, _r2;
	u32 esp2;
	u16 ss2, _r3;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u16 es, _r4, cs, _r5, ss, _r6, ds, _r7, fs, _r8, gs, _r9, ldt, _r10;
	u16 trap, iomap_base;
} __attribute__((packed));

extern struct tss cpu_tss[];
extern struct tss doublefault_tss[];

/* Build CPU 'cpu's GDT and TSSs, load them (GDTR, segments, TR). Runs on
 * that CPU; the per-CPU base is 0 until setup_per_cpu_areas(). */
void gdt_init_cpu(int cpu);
void gdt_set_percpu_base(int cpu, unsigned long base);
void gdt_load_percpu_segment(void);	/* reload %fs after a base change */

/* Set the stack the CPU switches to on an interrupt from ring 3. */
void tss_set_esp0(int cpu, unsigned long esp0);

/* The double-fault handler (runs as its own task, see traps). */
void doublefault_entry(void);
#endif
#endif
