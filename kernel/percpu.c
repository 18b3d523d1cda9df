/* SPDX-License-Identifier: MIT */
/*
 * percpu.c - make one copy of the per-CPU template for each CPU.
 *
 * Until this runs, the boot CPU's %fs base is 0 and this_cpu_*() uses the
 * template itself; whatever it wrote there is copied to every CPU, so
 * early values (like cpu_number = 0) start out the same everywhere and are
 * then set per CPU.
 */
#include "arch/x86/percpu.h"
#include "arch/x86/gdt.h"
#include "mm/memblock.h"
#include "kernel/string.h"

extern char __per_cpu_start[], __per_cpu_end[];

unsigned long __per_cpu_offset[NR_CPUS];
DEFINE_PER_CPU(unsigned long, this_cpu_off);
DEFINE_PER_CPU(int, cpu_number);

void setup_per_cpu_areas(void)
{
	size_t size = ALIGN_UP((size_t)(__per_cpu_end - __per_cpu_start), 64);

	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		char *area = memblock_alloc(size, 64);

		memcpy(area, __per_cpu_start, __per_cpu_end - __per_cpu_start);
		__per_cpu_offset[cpu] = (unsigned long)area - (unsigned long)__per_cpu_start;
		per_cpu(this_cpu_off, cpu) = __per_cpu_offset[cpu];
		per_cpu(cpu_number, cpu) = cpu;
	}
	gdt_set_percpu_base(0, __per_cpu_offset[0]);
	gdt_load_percpu_segment();
}
