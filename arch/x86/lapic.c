/* SPDX-License-Identifier: MIT */
/*
 * lapic.c - bring up each CPU's local APIC, and its periodic timer.
 *
 * Setup, on every CPU (Linux's setup_local_APIC, much reduced):
 *   IA32_APIC_BASE.EN on, xAPIC mode; TPR 0 (accept every class);
 *   SPIV = enable | SPURIOUS_APIC_VECTOR; LINT0 masked (the 8259s are
 *   masked too: nothing is routed through ExtINT); LINT1 = NMI on the boot
 *   CPU only; error LVT = ERROR_APIC_VECTOR; stale in-service bits EOIed.
 *
 * The timer counts down from TMICT at the bus clock / 16 and, in periodic
 * mode, reloads and interrupts at 0. Calibration: let it count down for
 * CAL_MS milliseconds of TSC time (tsc_khz is known) and see how far it
 * got. Every CPU then loads the same period: HZ ticks per second.
 */
#include "arch/x86/lapic.h"
#include "kernel/div64.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/idt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "mm/pgtable.h"

#define CAL_MS	10

u32 lapic_timer_period;
u32 lapic_timer_khz;
static phys_addr_t lapic_phys;

DEFINE_PER_CPU(unsigned long, apic_timer_irqs);
DEFINE_PER_CPU(unsigned long, apic_spurious_irqs);
DEFINE_PER_CPU(unsigned long, apic_error_irqs);

/* The scheduler replaces this; without one, a tick only counts. */
__attribute__((weak)) void scheduler_tick(void)
{
}

static void apic_timer_interrupt(struct pt_regs *regs)
{
	lapic_eoi();
	this_cpu_inc(apic_timer_irqs);
	scheduler_tick();
}

/* A spurious interrupt has no in-service bit to clear: no EOI (SDM 11.9). */
static void spurious_interrupt(struct pt_regs *regs)
{
	this_cpu_inc(apic_spurious_irqs);
}

static void error_interrupt(struct pt_regs *regs)
{
	u32 esr = lapic_read_esr();

	this_cpu_inc(apic_error_irqs);
	lapic_eoi();
	pr_err("APIC error on CPU%d: %02x\n", smp_processor_id(), esr);
}

u32 lapic_read_esr(void)
{
	/* ESR latches on a write: write, then read what accumulated. */
	lapic_write(APIC_ESR, 0);
	return lapic_read(APIC_ESR);
}

void lapic_init(phys_addr_t phys)
{
	u64 msr = rdmsr(MSR_IA32_APICBASE);
	phys_addr_t msr_base = msr & ~0xfffULL & ((1ULL << boot_cpu.phys_bits) - 1);

	if (!boot_cpu.apic || !boot_cpu.msr)
		panic("this kernel needs a local APIC (CPUID.01H:EDX.APIC is clear)");
	if ((msr & MSR_IA32_APICBASE_ENABLE) && msr_base != phys)
		pr_warn("APIC: firmware table says 0x%llx, IA32_APIC_BASE says 0x%llx; using the table\n",
			(unsigned long long)phys, (unsigned long long)msr_base);
	lapic_phys = phys;
	__set_fixmap(FIX_APIC_BASE, phys, PAGE_KERNEL_NOCACHE);
	set_irq_handler(LOCAL_TIMER_VECTOR, apic_timer_interrupt);
	set_irq_handler(SPURIOUS_APIC_VECTOR, spurious_interrupt);
	set_irq_handler(ERROR_APIC_VECTOR, error_interrupt);
}

static void lapic_enable_xapic_mode(void)
{
	u64 msr = rdmsr(MSR_IA32_APICBASE);

	/* x2APIC -> xAPIC must pass through "disabled" (SDM 11.12.5). */
	if (msr & MSR_IA32_APICBASE_EXTD) {
		msr &= ~(u64)(MSR_IA32_APICBASE_EXTD | MSR_IA32_APICBASE_ENABLE);
		wrmsr(MSR_IA32_APICBASE, msr);
	}
	msr = (msr & 0xfff & ~(u64)MSR_IA32_APICBASE_EXTD) | lapic_phys |
	      MSR_IA32_APICBASE_ENABLE;
	wrmsr(MSR_IA32_APICBASE, msr);
}

void lapic_setup(bool boot_cpu)
{
	int maxlvt;

	lapic_enable_xapic_mode();
	maxlvt = (lapic_read(APIC_LVR) >> 16) & 0xff;

	lapic_write(APIC_TASKPRI, 0);
	lapic_write(APIC_SPIV, APIC_SPIV_APIC_ENABLED | SPURIOUS_APIC_VECTOR);

	/* In-service bits left over from the firmware would block their
	 * priority class forever: retire them. */
	for (int i = 7; i >= 0; i--)
		for (int n = 0; lapic_read(APIC_ISR + i * 0x10) && n < 32; n++)
			lapic_eoi();

	lapic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	lapic_write(APIC_LVT0, APIC_LVT_MASKED | APIC_DM_EXTINT);
	lapic_write(APIC_LVT1, boot_cpu ? APIC_DM_NMI : APIC_LVT_MASKED | APIC_DM_NMI);
	if (maxlvt >= 4)
		lapic_write(APIC_LVTPC, APIC_LVT_MASKED);
	if (maxlvt >= 5)
		lapic_write(APIC_LVTTHMR, APIC_LVT_MASKED);
	lapic_read_esr();
	lapic_write(APIC_LVTERR, ERROR_APIC_VECTOR);
	lapic_read_esr();
}

static bool lapic_wait_icr_idle(void)
{
	for (int i = 0; i < 100000; i++) {
		if (!(lapic_read(APIC_ICR) & APIC_ICR_BUSY))
			return true;
		cpu_relax();
	}
	return false;
}

bool lapic_icr_write(u32 low, u32 dest_apicid)
{
	unsigned long flags = local_irq_save();
	bool idle = lapic_wait_icr_idle();

	lapic_write(APIC_ICR2, dest_apicid << 24);
	lapic_write(APIC_ICR, low);
	local_irq_restore(flags);
	return idle;
}

void lapic_send_ipi(u32 dest_apicid, int vector)
{
	if (!lapic_icr_write(APIC_DM_FIXED | vector, dest_apicid))
		pr_warn("APIC: ICR still busy before an IPI to APIC %u\n", dest_apicid);
}

/*
 * Counts of the timer per ms, against the TSC. One window is not enough
 * under an emulator on a busy host: if the vCPU is not run between the
 * end of the TSC wait and the counter read, the count covers more time
 * than the wait says (a calibration 2x too fast was seen). Each window
 * reads the counter and the TSC back to back at both ends and uses the
 * TSC cycles really elapsed; the median of CAL_ROUNDS windows is kept.
 */
#define CAL_ROUNDS	5

static u32 lapic_count_rate(void)
{
	u32 rate[CAL_ROUNDS];

	for (int r = 0; r < CAL_ROUNDS; r++) {
		unsigned long flags = local_irq_save();
		u64 cycles = (u64)tsc_khz * CAL_MS / CAL_ROUNDS, t0, t1;
		u32 c0, c1;

		lapic_write(APIC_TMICT, 0xffffffff);
		c0 = lapic_read(APIC_TMCCT);
		t0 = rdtsc();
		while (rdtsc() - t0 < cycles)
			cpu_relax();
		c1 = lapic_read(APIC_TMCCT);
		t1 = rdtsc();
		local_irq_restore(flags);
		rate[r] = (u32)div64_u64((u64)(c0 - c1) * tsc_khz, t1 - t0);
		for (int j = r; j > 0 && rate[j - 1] > rate[j]; j--) {
			u32 x = rate[j];

			rate[j] = rate[j - 1];
			rate[j - 1] = x;
		}
	}
	return rate[CAL_ROUNDS / 2];
}

void lapic_timer_calibrate(void)
{
	lapic_write(APIC_TDCR, APIC_TDR_DIV_16);
	lapic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);	/* one-shot */
	lapic_timer_khz = lapic_count_rate();
	lapic_write(APIC_TMICT, 0);

	lapic_timer_period = lapic_timer_khz * 1000 / HZ;
	if (!lapic_timer_period)
		panic("APIC timer did not count during calibration");
	pr_info("APIC timer: %u.%03u MHz bus clock / 16, %u counts per tick (HZ=%d)\n",
		lapic_timer_khz * 16 / 1000, lapic_timer_khz * 16 % 1000,
		lapic_timer_period, HZ);
}

void lapic_timer_setup(void)
{
	lapic_write(APIC_TDCR, APIC_TDR_DIV_16);
	lapic_write(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
	lapic_write(APIC_TMICT, lapic_timer_period);
}
