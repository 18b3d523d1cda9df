/* SPDX-License-Identifier: MIT */
/*
 * gdt.c - flat segments, task state segments and the per-CPU segment.
 *
 * Segmentation is off in spirit (every code/data segment spans 0..4 GiB),
 * but three things still need the GDT on i386: the TSS that tells the CPU
 * which stack to use, a second TSS that a double fault switches to (a #DF
 * on an overflowed stack would otherwise triple-fault silently), and the
 * %fs segment whose base makes this_cpu_*() reach this CPU's variables.
 */
#include "arch/x86/gdt.h"
#include "arch/x86/cpu.h"
#include "mm/memlayout.h"
#include "mm/pgtable.h"
#include "kernel/string.h"
#include "kernel/compiler.h"

static u64 gdt_table[NR_CPUS][GDT_ENTRIES] __aligned(64);
struct tss cpu_tss[NR_CPUS] __aligned(64);
struct tss doublefault_tss[NR_CPUS] __aligned(64);

#define DF_STACK_SIZE 4096
static u8 doublefault_stack[NR_CPUS][DF_STACK_SIZE] __aligned(16);

/* Pack base, limit, access byte and flags nibble into a descriptor. */
static u64 make_desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (u64)(limit & 0xffff) |
	       ((u64)(base & 0xffffff) << 16) |
	       ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) |
	       ((u64)(flags & 0xf) << 52) |
	       ((u64)(base >> 24) << 56);
}

#define ACC_CODE0	0x9a	/* present, ring 0, code, readable */
#define ACC_DATA0	0x92	/* present, ring 0, data, writable */
#define ACC_CODE3	0xfa
#define ACC_DATA3	0xf2
#define ACC_TSS		0x89	/* present, 32-bit available TSS */
#define FLAGS_4K_32	0xc	/* 4 KiB granularity, 32-bit */

void gdt_set_percpu_base(int cpu, unsigned long base)
{
	gdt_table[cpu][GDT_ENTRY_PERCPU] = make_desc(base, 0xfffff, ACC_DATA0, FLAGS_4K_32);
}

void gdt_load_percpu_segment(void)
{
	__asm__ __volatile__("movw %w0, %%fs" : : "r"(__KERNEL_PERCPU) : "memory");
}

void tss_set_esp0(int cpu, unsigned long esp0)
{
	cpu_tss[cpu].esp0 = esp0;
}

void gdt_init_cpu(int cpu)
{
	u64 *g = gdt_table[cpu];
	struct tss *t = &cpu_tss[cpu], *df = &doublefault_tss[cpu];
	struct { u16 limit; u32 base; } __attribute__((packed)) gdtr;

	g[0] = 0;
	g[GDT_ENTRY_KERNEL_CS] = make_desc(0, 0xfffff, ACC_CODE0, FLAGS_4K_32);
	g[GDT_ENTRY_KERNEL_DS] = make_desc(0, 0xfffff, ACC_DATA0, FLAGS_4K_32);
	g[GDT_ENTRY_USER_CS] = make_desc(0, 0xfffff, ACC_CODE3, FLAGS_4K_32);
	g[GDT_ENTRY_USER_DS] = make_desc(0, 0xfffff, ACC_DATA3, FLAGS_4K_32);

	memset(t, 0, sizeof(*t));
	t->ss0 = __KERNEL_DS;
	t->iomap_base = sizeof(*t);	/* no I/O permission bitmap */
	g[GDT_ENTRY_TSS] = make_desc((u32)t, sizeof(*t) - 1, ACC_TSS, 0);

	/* The double-fault task: a fresh stack, our kernel page tables, and
	 * interrupts off; the CPU loads all of this on the task switch. */
	memset(df, 0, sizeof(*df));
	df->esp = df->esp0 = (u32)&doublefault_stack[cpu][DF_STACK_SIZE];
	df->ss = df->ss0 = df->ds = df->es = __KERNEL_DS;
	df->fs = __KERNEL_PERCPU;
	df->cs = __KERNEL_CS;
	df->eip = (u32)doublefault_entry;
	df->eflags = 0x2;
	df->cr3 = __pa(swapper_pg_dir);
	df->iomap_base = sizeof(*df);
	g[GDT_ENTRY_DOUBLEFAULT_TSS] = make_desc((u32)df, sizeof(*df) - 1, ACC_TSS, 0);

	if (!g[GDT_ENTRY_PERCPU])
		gdt_set_percpu_base(cpu, 0);

	gdtr.limit = sizeof(gdt_table[cpu]) - 1;
	gdtr.base = (u32)g;
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"ljmp %1, $1f\n"
		"1:\tmovw %w2, %%ds\n\t"
		"movw %w2, %%es\n\t"
		"movw %w2, %%ss\n\t"
		"movw %w3, %%fs\n\t"
		"xorl %%eax, %%eax\n\t"
		"movw %%ax, %%gs\n\t"
		"ltr %w4"
		: : "m"(gdtr), "i"(__KERNEL_CS), "r"(__KERNEL_DS),
		    "r"(__KERNEL_PERCPU), "r"(__TSS)
		: "eax", "memory");
}
