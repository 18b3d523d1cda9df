/* SPDX-License-Identifier: MIT */
/*
 * cpumask.h - sets of CPUs, one bit per CPU (NR_CPUS is 8, so one word).
 *
 * cpu_possible: CPUs the kernel has room for (NR_CPUS)
 * cpu_present:  CPUs the firmware (ACPI MADT) describes, capped at NR_CPUS
 * cpu_online:   CPUs that are running kernel code and taking interrupts
 */
#ifndef KERNEL_CPUMASK_H
#define KERNEL_CPUMASK_H

#include "kernel/types.h"
#include "kernel/bitops.h"
#include "mm/memlayout.h"

typedef struct { unsigned long bits; } cpumask_t;

#define CPU_MASK_NONE	((cpumask_t){ 0 })
#define CPU_MASK_ALL	((cpumask_t){ (1UL << NR_CPUS) - 1 })
#define cpumask_of(cpu)	((cpumask_t){ 1UL << (cpu) })

extern cpumask_t cpu_present_mask, cpu_online_mask;

static inline bool cpumask_test_cpu(int cpu, const cpumask_t *m)
{
	return (m->bits >> cpu) & 1;
}

static inline void cpumask_set_cpu(int cpu, cpumask_t *m)
{
	__atomic_fetch_or(&m->bits, 1UL << cpu, __ATOMIC_SEQ_CST);
}

static inline void cpumask_clear_cpu(int cpu, cpumask_t *m)
{
	__atomic_fetch_and(&m->bits, ~(1UL << cpu), __ATOMIC_SEQ_CST);
}

static inline int cpumask_weight(const cpumask_t *m)
{
	return hweight32(m->bits);
}

static inline bool cpumask_empty(const cpumask_t *m)
{
	return m->bits == 0;
}

static inline int cpumask_first(const cpumask_t *m)
{
	return m->bits ? __builtin_ctzl(m->bits) : NR_CPUS;
}

static inline cpumask_t cpumask_and(cpumask_t a, cpumask_t b)
{
	return (cpumask_t){ a.bits & b.bits };
}

#define for_each_cpu(cpu, mask)						\
	for ((cpu) = 0; (cpu) < NR_CPUS; (cpu)++)			\
		if (cpumask_test_cpu((cpu), (mask)))
#define for_each_online_cpu(cpu)	for_each_cpu(cpu, &cpu_online_mask)
#define for_each_present_cpu(cpu)	for_each_cpu(cpu, &cpu_present_mask)
#define for_each_possible_cpu(cpu)	for ((cpu) = 0; (cpu) < NR_CPUS; (cpu)++)

static inline int num_online_cpus(void)
{
	return cpumask_weight(&cpu_online_mask);
}

static inline bool cpu_online(int cpu)
{
	return cpumask_test_cpu(cpu, &cpu_online_mask);
}

#endif
