/* SPDX-License-Identifier: MIT */
/*
 * percpu.h - per-CPU variables reached through the %fs segment.
 *
 * DEFINE_PER_CPU(int, x) puts x in the .data.percpu section, which is only
 * a template: at boot every CPU gets its own copy, and each CPU's %fs
 * segment base is set to (its copy - the template). So the one instruction
 *
 *      movl %fs:x, %eax
 *
 * reads *this* CPU's x without knowing which CPU it is on, just as Linux's
 * this_cpu_read() does on i386:
 *
 *   template:  [__per_cpu_start ... x ... __per_cpu_end]
 *   CPU 0:     [copy 0 ........... x ...]   %fs.base = copy0 - template
 *   CPU 1:     [copy 1 ........... x ...]   %fs.base = copy1 - template
 *
 * A this_cpu_* access is a single instruction, so an interrupt on the same
 * CPU cannot tear it. Reading several per-CPU values consistently, or
 * using a pointer from this_cpu_ptr(), still needs preemption disabled:
 * otherwise the task may move to another CPU in between.
 */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "mm/memlayout.h"

#define DEFINE_PER_CPU(type, name) \
	__section(".data.percpu") __typeof__(type) name
#define DEFINE_PER_CPU_ALIGNED(type, name) \
	__section(".data.percpu") __aligned(64) __typeof__(type) name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name

extern unsigned long __per_cpu_offset[NR_CPUS];
DECLARE_PER_CPU(unsigned long, this_cpu_off);
DECLARE_PER_CPU(int, cpu_number);

#define __fs_ref(var) (*(volatile __seg_fs __typeof__(var) *)(uintptr_t)&(var))

#define this_cpu_read(var)	(__fs_ref(var))
/*
 * For a per-CPU value that is the same whichever CPU reads it, from the
 * reader's point of view: 'current' is the running task on every CPU the
 * task may move to. The compiler may then reuse one load within a
 * function instead of reading %fs again (Linux's this_cpu_read_stable()).
 */
#define this_cpu_read_stable(var) \
	(*(__seg_fs __typeof__(var) *)(uintptr_t)&(var))
#define this_cpu_write(var, v)	(__fs_ref(var) = (v))

/* One read-modify-write instruction: safe against interrupts on this CPU. */
#define this_cpu_add(var, v) do {					\
	BUILD_BUG_ON(sizeof(var) != 4);					\
	__asm__ __volatile__("addl %1, %%fs:%0"				\
			     : "+m"(var) : "ri"((u32)(v)) : "memory");	\
} while (0)
#define this_cpu_inc(var)	this_cpu_add(var, 1)
#define this_cpu_dec(var)	this_cpu_add(var, -1)

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((unsigned long)(ptr) + __per_cpu_offset[cpu]))
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), cpu))
#define this_cpu_ptr(ptr) \
	((__typeof__(ptr))((unsigned long)(ptr) + this_cpu_read(this_cpu_off)))

#define smp_processor_id()	this_cpu_read(cpu_number)

/* Give every CPU its copy of the template; switches the boot CPU to its
 * own. Called once, early, on the boot CPU. */
void setup_per_cpu_areas(void);

#endif
