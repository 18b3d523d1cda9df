/* SPDX-License-Identifier: MIT */
/*
 * smpboot.c - find the CPUs and start the application processors.
 *
 * The boot CPU (always CPU 0), in smp_init():
 *   1. reads the firmware's CPU list (MADT, else MP table), numbers the
 *      CPUs: itself 0, the others 1, 2, ... in firmware order, at most
 *      NR_CPUS (the rest are reported and left parked, never started);
 *   2. masks the 8259s, sets up its LAPIC and timer, enables interrupts;
 *   3. for each AP, one at a time: INIT, 10 ms, SIPI, 200 us, SIPI, 200 us
 *      (the SDM's MP initialization protocol, vol. 3 8.4.4), then spins
 *      until the AP marks itself online, for at most one second of TSC
 *      time. An AP that does not make it is sent INIT again (parked).
 *
 * An AP, from the trampoline (boot/trampoline.S) into start_secondary():
 *   its own GDT and TSS with the per-CPU segment (%fs) pointing at its
 *   per-CPU area, the kernel page tables (swapper_pg_dir), CR4.PGE, the
 *   shared IDT, its LAPIC and timer; then it marks itself online and
 *   enters cpu_startup_entry() (the scheduler's idle loop) for good.
 *
 * The spin is bounded but not a fixed delay: under single-threaded TCG an
 * AP only runs when the boot CPU's time slice ends, so any fixed delay is
 * either wasted or too short.
 */
#include "arch/x86/smp.h"
#include "kernel/div64.h"
#include "arch/x86/acpi.h"
#include "arch/x86/lapic.h"
#include "arch/x86/pic.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/idt.h"
#include "arch/x86/gdt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "boot/trampoline.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/bug.h"
#include "mm/pgtable.h"
#include "mm/vmap_stack.h"

cpumask_t cpu_present_mask, cpu_online_mask;
u32 x86_cpu_to_apicid[NR_CPUS] = { [0 ... NR_CPUS - 1] = BAD_APICID };
int firmware_cpu_count;
const char *firmware_cpu_source = "none";
void *ap_stack[NR_CPUS];

/* The idle task adopts its AP's boot stack as a task stack: a slot of the
 * stack area (mm/vmap_stack.h), with its guard page below. */
BUILD_BUG_ON(AP_STACK_SIZE != THREAD_SIZE);
/* The AP's temporary page directory: entry 0 maps 0-2 MiB 1:1. */
static pmd_t trampoline_pd[PTRS_PER_PMD] __page_aligned_bss;
static struct smp_config smp_cfg;

/* Read by the AP being started (one at a time). */
volatile int smpboot_cpu;
volatile unsigned long smpboot_stack_top;

__noreturn void start_secondary(void);

int apicid_to_cpu(u32 apicid)
{
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		if (x86_cpu_to_apicid[cpu] == apicid)
			return cpu;
	return -1;
}

/* Without a scheduler, an AP just takes interrupts. */
__attribute__((weak)) void cpu_startup_entry(void)
{
	local_irq_enable();
	for (;;)
		halt();
}

/* Give CPU numbers to the firmware's list: the boot CPU first. */
static void number_cpus(const struct smp_config *cfg, u32 boot_apicid)
{
	int next = 1;
	bool boot_listed = false;

	x86_cpu_to_apicid[0] = boot_apicid;
	cpumask_set_cpu(0, &cpu_present_mask);
	for (int i = 0; i < cfg->nr_cpus; i++) {
		u32 id = cfg->apic_id[i];

		if (id == boot_apicid) {
			boot_listed = true;
			continue;
		}
		if (next >= NR_CPUS) {
			pr_warn("APIC: NR_CPUS/possible_cpus limit of %d reached. Processor %d/0x%x ignored.\n",
				NR_CPUS, i, id);
			continue;
		}
		x86_cpu_to_apicid[next] = id;
		cpumask_set_cpu(next++, &cpu_present_mask);
	}
	if (!boot_listed)
		pr_warn("smp: the boot CPU (APIC 0x%x) is not in the %s\n", boot_apicid, cfg->source);
	firmware_cpu_count = cfg->nr_cpus + !boot_listed;
	pr_info("smpboot: Allowing %d CPUs, %d hotplug CPUs\n", next, 0);
}

static void setup_trampoline(void)
{
	unsigned long size = trampoline_end - trampoline_start;
	struct trampoline_header *th;

	BUG_ON(size > PAGE_SIZE);
	memcpy(__va(TRAMPOLINE_BASE), trampoline_start, size);
	th = __va(TRAMPOLINE_BASE + ((char *)&trampoline_header - trampoline_start));

	/* 2 MiB page: PS is always honoured in PAE page directories. */
	set_pmd(&trampoline_pd[0], (pmd_t){ 0 | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE });
	th->pdpt[0] = __pa(trampoline_pd) | _PAGE_PRESENT;
	th->pdpt[1] = th->pdpt[2] = 0;
	th->pdpt[3] = __pa(kernel_pmd) | _PAGE_PRESENT;
	th->cr0 = read_cr0();
	th->cr4 = read_cr4() & ~X86_CR4_PGE;
	th->efer_nxe = boot_cpu.nx_enabled;
}

/* INIT, INIT deassert, then two STARTUPs (SDM vol. 3, 8.4.4.1). */
static void wakeup_secondary_cpu_via_init(u32 apicid)
{
	u32 esr;

	lapic_read_esr();
	lapic_icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, apicid);
	udelay(10000);
	lapic_icr_write(APIC_INT_LEVELTRIG | APIC_DM_INIT, apicid);

	for (int i = 0; i < 2; i++) {
		lapic_read_esr();
		lapic_icr_write(APIC_DM_STARTUP | TRAMPOLINE_VECTOR, apicid);
		udelay(200);
		esr = lapic_read_esr() & 0xef;	/* bit 4 (send accept) is benign */
		if (esr)
			pr_err("smpboot: APIC error 0x%x sending STARTUP to APIC 0x%x\n", esr, apicid);
	}
}

static bool do_boot_cpu(int cpu)
{
	u32 apicid = x86_cpu_to_apicid[cpu];
	u64 t0, limit = (u64)tsc_khz * 1000;	/* one second */

	ap_stack[cpu] = vmap_stack_alloc();
	if (!ap_stack[cpu]) {
		pr_err("smpboot: no stack for CPU %d; not started\n", cpu);
		return false;
	}
	smpboot_cpu = cpu;
	smpboot_stack_top = (unsigned long)ap_stack[cpu] + AP_STACK_SIZE;
	barrier();

	wakeup_secondary_cpu_via_init(apicid);
	t0 = rdtsc();
	while (!cpu_online(cpu)) {
		if (rdtsc() - t0 > limit) {
			pr_err("smpboot: CPU %d (APIC 0x%x) did not come online within 1 s; parked\n",
			       cpu, apicid);
			lapic_icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, apicid);
			cpumask_clear_cpu(cpu, &cpu_present_mask);
			return false;
		}
		cpu_relax();
	}
	return true;
}

__noreturn void start_secondary(void)
{
	int cpu = smpboot_cpu;

	/* Segments first: the per-CPU base, so %fs works from here on. */
	gdt_set_percpu_base(cpu, __per_cpu_offset[cpu]);
	gdt_init_cpu(cpu);
	tss_set_esp0(cpu, smpboot_stack_top);

	/* The kernel's own page tables: the identity map goes away. */
	write_cr3(__pa(swapper_pg_dir));
	if (boot_cpu.pge_enabled)
		write_cr4(read_cr4() | X86_CR4_PGE);
	idt_load();

	lapic_setup(false);
	lapic_timer_setup();
	if (read_apic_id() != x86_cpu_to_apicid[cpu])
		pr_warn("smpboot: CPU %d expected APIC 0x%x, runs on 0x%x\n",
			cpu, x86_cpu_to_apicid[cpu], read_apic_id());

	cpumask_set_cpu(cpu, &cpu_online_mask);	/* the boot CPU waits for this */
	cpu_startup_entry();
}

void smp_init(void)
{
	struct smp_config *cfg = &smp_cfg;
	u64 t0 = rdtsc();
	u32 boot_apicid;
	int cpu, n;

	if (!find_smp_config(cfg)) {
		pr_warn("smp: no MADT and no MP table: running on the boot CPU alone\n");
		cfg->source = "none";
		cfg->lapic_phys = APIC_DEFAULT_PHYS_BASE;
		cfg->nr_cpus = 0;
	}
	firmware_cpu_source = cfg->source;
	if (cfg->nr_ioapics)
		ioapic_phys = cfg->ioapic_phys;	/* routed on first use (ioapic.c) */
	mask_8259A();
	lapic_init(cfg->lapic_phys);
	lapic_setup(true);
	boot_apicid = read_apic_id();
	pr_info("%s: %d CPUs listed (%d disabled), local APIC at 0x%llx, boot CPU APIC 0x%x\n",
		cfg->source, cfg->nr_cpus, cfg->nr_disabled,
		(unsigned long long)cfg->lapic_phys, boot_apicid);
	number_cpus(cfg, boot_apicid);

	smp_ipi_init();
	lapic_timer_calibrate();
	lapic_timer_setup();
	cpumask_set_cpu(0, &cpu_online_mask);
	local_irq_enable();

	pr_info("smp: Bringing up secondary CPUs ...\n");
	setup_trampoline();
	for_each_present_cpu(cpu) {
		if (cpu && do_boot_cpu(cpu))
			pr_info("smpboot: CPU %d (APIC 0x%x) online\n", cpu, x86_cpu_to_apicid[cpu]);
	}
	n = num_online_cpus();
	pr_info("smp: Brought up 1 node, %d CPU%s\n", n, n > 1 ? "s" : "");
	pr_info("smpboot: bring-up took %llu us\n",
		(unsigned long long)div_u64((rdtsc() - t0) * 1000, tsc_khz));
}
