/* SPDX-License-Identifier: MIT */
/*
 * smp.h - the CPUs: which exist, which run, and how they call each other.
 *
 * A CPU number (0 .. NR_CPUS-1) is the kernel's name for a CPU; the boot
 * CPU is always 0, the APs follow in firmware (MADT) order. The hardware's
 * name is the local APIC ID, which is what an IPI is addressed to.
 *
 * Cross-CPU function calls, as Linux's kernel/smp.c:
 *
 *   caller (CPU 0)                         target (CPU 2)
 *   csd = { func, info, LOCKED }
 *   queue csd on CPU 2's call list  ---->  [list: csd]
 *   IPI CALL_FUNCTION_SINGLE_VECTOR ---->  handler: take the list,
 *   wait: spin while csd LOCKED             func(info), clear LOCKED
 *   <------------------------------------  (the caller sees it and returns)
 *
 * Rules:
 *  - wait=1 returns only after func has finished on every target;
 *  - func runs in interrupt context with interrupts off, on the target;
 *  - a caller that waits (or must wait for a busy call record) must have
 *    interrupts ON: two CPUs waiting for each other with interrupts off
 *    never take each other's IPI. This is WARNed, as in Linux.
 *  - unlike Linux, callers need not disable preemption: the CPU the
 *    caller runs on is decided with interrupts off inside these calls.
 */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include "kernel/types.h"
#include "kernel/cpumask.h"
#include "kernel/errno.h"
#include "arch/x86/percpu.h"

#define BAD_APICID	0xffffffffu

/* CPU number <-> local APIC ID (the firmware's, fixed at boot). */
extern u32 x86_cpu_to_apicid[NR_CPUS];
int apicid_to_cpu(u32 apicid);		/* -1 if no CPU has it */

/*
 * Each AP's boot stack: AP_STACK_SIZE bytes from ap_stack[cpu], a slot of
 * the stack area with an unmapped guard page below (mm/vmap_stack.h). The
 * AP runs cpu_startup_entry() on it; the scheduler adopts it as the idle
 * task's stack. ap_stack[0] is NULL (the boot CPU runs on entry.S's
 * boot_stack, whose guard page paging_init() unmaps).
 */
#define AP_STACK_SIZE	16384
extern void *ap_stack[NR_CPUS];

/* How many CPUs the firmware listed as enabled (including any beyond
 * NR_CPUS, which are left parked), and where that came from. */
extern int firmware_cpu_count;
extern const char *firmware_cpu_source;	/* "ACPI MADT" or "MP table" */

/* Boot CPU, once, after idt_init() and sched_init(): find the CPUs, set
 * up its LAPIC and timer, ENABLE INTERRUPTS, start every AP and wait for
 * each (bounded). */
void smp_init(void);
/* Register the IPI handlers (smp.c; called by smp_init). */
void smp_ipi_init(void);

typedef void (*smp_call_func_t)(void *info);

/* Run func(info) on 'cpu' (directly, interrupts off, if it is this CPU).
 * Returns 0, or -ENXIO if 'cpu' is not online. */
int smp_call_function_single(int cpu, smp_call_func_t func, void *info, int wait);
/* Run func on every online CPU in 'mask' except this one. */
void smp_call_function_many(const cpumask_t *mask, smp_call_func_t func,
			    void *info, bool wait);
/* Every online CPU except this one. */
void smp_call_function(smp_call_func_t func, void *info, int wait);
/* Every online CPU, this one included (locally with interrupts off). */
void on_each_cpu(smp_call_func_t func, void *info, int wait);
/* Every online CPU in 'mask', this one included if it is in it. */
void on_each_cpu_mask(const cpumask_t *mask, smp_call_func_t func,
		      void *info, bool wait);

/* Ask 'cpu' to reschedule: RESCHEDULE_VECTOR, whose handler calls
 * scheduler_ipi(). The caller sets need_resched on 'cpu' first. */
void smp_send_reschedule(int cpu);

/* Per-CPU IPI counters, by kind. */
enum ipi_kind {
	IPI_RESCHEDULE,
	IPI_CALL_FUNC,		/* CALL_FUNCTION_VECTOR (many/all) */
	IPI_CALL_FUNC_SINGLE,	/* CALL_FUNCTION_SINGLE_VECTOR */
	NR_IPI_KINDS
};
struct ipi_stats {
	unsigned long sent[NR_IPI_KINDS];	/* IPIs this CPU sent */
	unsigned long received[NR_IPI_KINDS];	/* IPIs this CPU took */
	unsigned long calls_run;		/* call records it ran */
};
DECLARE_PER_CPU(struct ipi_stats, ipi_stats);
extern const char *const ipi_kind_name[NR_IPI_KINDS];

/* Print the per-CPU interrupt counters the way Linux's /proc/interrupts
 * shows its arch lines: LOC (timer), SPU, ERR, RES, CAL, TLB. */
void arch_show_interrupts(void);

#endif
