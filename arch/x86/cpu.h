/* SPDX-License-Identifier: MIT */
/*
 * cpu.h - control registers, MSRs, CPUID and the features we detect.
 */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include "kernel/types.h"

#define X86_CR0_WP	(1u << 16)
#define X86_CR0_PG	(1u << 31)
#define X86_CR4_PSE	(1u << 4)
#define X86_CR4_PAE	(1u << 5)
#define X86_CR4_PGE	(1u << 7)

#define MSR_EFER	0xc0000080
#define EFER_NXE	(1u << 11)

#define X86_EFLAGS_IF	(1u << 9)

struct cpu_features {
	char vendor[13];
	u32 family, model, stepping;
	bool pae, pge, pse36, cx8, tsc, apic, nx, msr, invariant_tsc;
	u32 max_ext_leaf;
	u32 phys_bits;		/* MAXPHYADDR */
	bool nx_enabled;	/* EFER.NXE set by us */
	bool pge_enabled;	/* CR4.PGE set by us */
};
extern struct cpu_features boot_cpu;

void cpu_detect(void);
void cpu_enable_features(void);

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(0));
}

#define DEFINE_CR(n)							\
static inline u32 read_cr##n(void)					\
{									\
	u32 v;								\
	__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_cr##n(u32 v)					\
{									\
	__asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory");	\
}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline u32 read_eflags(void)
{
	u32 f;
	__asm__ __volatile__("pushfl; popl %0" : "=r"(f));
	return f;
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline void halt(void)
{
	__asm__ __volatile__("hlt");
}

static inline void local_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

static inline void local_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline bool irqs_disabled(void)
{
	return !(read_eflags() & X86_EFLAGS_IF);
}

static inline unsigned long local_irq_save(void)
{
	unsigned long f = read_eflags();
	local_irq_disable();
	return f;
}

static inline void local_irq_restore(unsigned long f)
{
	if (f & X86_EFLAGS_IF)
		local_irq_enable();
}

static inline void invlpg(unsigned long va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
