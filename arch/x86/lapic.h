/* SPDX-License-Identifier: MIT */
/*
 * lapic.h - each CPU's local APIC (xAPIC, memory-mapped).
 *
 * The LAPIC is the CPU's own interrupt controller: it accepts interrupts
 * (the timer, IPIs from other CPUs), prioritises them by vector class, and
 * sends IPIs through its interrupt command register (ICR). Every CPU sees
 * its own LAPIC at the same physical address; the kernel maps it once,
 * uncached, at the fixmap slot FIX_APIC_BASE.
 *
 * Rules: an interrupt handler for a LAPIC vector writes EOI exactly once
 * (the spurious vector: never); the two ICR writes of one IPI happen with
 * interrupts off, or a handler sending its own IPI in between would
 * corrupt the destination.
 */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include "kernel/types.h"
#include "arch/x86/percpu.h"

/* Register offsets (Intel SDM vol. 3, table 11-1). */
#define APIC_ID		0x020
#define APIC_LVR	0x030		/* version; bits 16-23: max LVT entry */
#define APIC_TASKPRI	0x080
#define APIC_EOI	0x0b0
#define APIC_SPIV	0x0f0
#define  APIC_SPIV_APIC_ENABLED	(1u << 8)
#define APIC_ISR	0x100		/* 8 registers, 0x10 apart */
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define  APIC_DM_FIXED		0x00000
#define  APIC_DM_NMI		0x00400
#define  APIC_DM_INIT		0x00500
#define  APIC_DM_STARTUP	0x00600
#define  APIC_DM_EXTINT		0x00700
#define  APIC_ICR_BUSY		(1u << 12)	/* delivery status: pending */
#define  APIC_INT_ASSERT	(1u << 14)
#define  APIC_INT_LEVELTRIG	(1u << 15)
#define APIC_ICR2	0x310		/* bits 24-31: destination APIC ID */
#define APIC_LVTT	0x320
#define  APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVTTHMR	0x330
#define APIC_LVTPC	0x340
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define  APIC_LVT_MASKED	(1u << 16)
#define APIC_TMICT	0x380		/* timer initial count */
#define APIC_TMCCT	0x390		/* timer current count */
#define APIC_TDCR	0x3e0		/* timer divide configuration */
#define  APIC_TDR_DIV_16	0x3

#define MSR_IA32_APICBASE	0x1b
#define  MSR_IA32_APICBASE_BSP		(1u << 8)
#define  MSR_IA32_APICBASE_EXTD		(1u << 10)	/* x2APIC mode */
#define  MSR_IA32_APICBASE_ENABLE	(1u << 11)

static inline volatile u32 *lapic_reg(u32 reg)
{
	return (volatile u32 *)(__fix_to_virt(FIX_APIC_BASE) + reg);
}

static inline u32 lapic_read(u32 reg)
{
	return *lapic_reg(reg);
}

static inline void lapic_write(u32 reg, u32 v)
{
	*lapic_reg(reg) = v;
}

static inline void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

/* The hardware ID of the LAPIC of the CPU we run on. */
static inline u32 read_apic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

/* Boot CPU, once: map the LAPIC at 'phys', register the LAPIC vectors. */
void lapic_init(phys_addr_t phys);
/* Every CPU: enable its LAPIC in xAPIC mode and program its LVTs. */
void lapic_setup(bool boot_cpu);

/* Write the ICR (destination first, then the command, which sends it),
 * with interrupts off. Returns false if a previous IPI stayed pending. */
bool lapic_icr_write(u32 low, u32 dest_apicid);
/* A fixed-mode IPI of 'vector' to one LAPIC. */
void lapic_send_ipi(u32 dest_apicid, int vector);
/* Clear and read the error status register. */
u32 lapic_read_esr(void);

/* The timer: calibrate once on the boot CPU (against the TSC), then give
 * every CPU a periodic tick of HZ per second. */
void lapic_timer_calibrate(void);
void lapic_timer_setup(void);
extern u32 lapic_timer_period;		/* timer counts per tick (divide by 16) */
extern u32 lapic_timer_khz;		/* timer counts per ms (divide by 16) */

/* Ticks taken by each CPU's LAPIC timer, and LAPIC error/spurious counts. */
DECLARE_PER_CPU(unsigned long, apic_timer_irqs);
DECLARE_PER_CPU(unsigned long, apic_spurious_irqs);
DECLARE_PER_CPU(unsigned long, apic_error_irqs);

#endif
