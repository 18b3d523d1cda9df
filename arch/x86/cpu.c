/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - find out what the boot CPU can do, and switch on PGE and NX.
 *
 * entry.S has already refused CPUs without PAE or CX8. Here we read the
 * rest: PGE (global pages), NX (EFER.NXE), and MAXPHYADDR, which decides
 * how much RAM a PAE entry can reach. A CPU that lacks CPUID leaf
 * 0x80000008 has 36 physical bits only if it has PSE36, else 32 (QEMU's
 * qemu32 model): RAM above that is reported and never mapped.
 */
#include "arch/x86/cpu.h"
#include "kernel/string.h"

struct cpu_features boot_cpu;

void cpu_detect(void)
{
	u32 a, b, c, d;

	cpuid(0, &a, &b, &c, &d);
	memcpy(boot_cpu.vendor + 0, &b, 4);
	memcpy(boot_cpu.vendor + 4, &d, 4);
	memcpy(boot_cpu.vendor + 8, &c, 4);
	boot_cpu.vendor[12] = 0;

	cpuid(1, &a, &b, &c, &d);
	boot_cpu.stepping = a & 0xf;
	boot_cpu.model = (a >> 4) & 0xf;
	boot_cpu.family = (a >> 8) & 0xf;
	if (boot_cpu.family == 0xf)
		boot_cpu.family += (a >> 20) & 0xff;
	if (boot_cpu.family >= 6)
		boot_cpu.model |= ((a >> 16) & 0xf) << 4;
	boot_cpu.tsc = d & (1u << 4);
	boot_cpu.msr = d & (1u << 5);
	boot_cpu.pae = d & (1u << 6);
	boot_cpu.cx8 = d & (1u << 8);
	boot_cpu.apic = d & (1u << 9);
	boot_cpu.pge = d & (1u << 13);
	boot_cpu.pse36 = d & (1u << 17);

	cpuid(0x80000000, &a, &b, &c, &d);
	boot_cpu.max_ext_leaf = (a & 0xffff0000) == 0x80000000 ? a : 0;
	if (boot_cpu.max_ext_leaf >= 0x80000001) {
		cpuid(0x80000001, &a, &b, &c, &d);
		boot_cpu.nx = d & (1u << 20);
	}
	if (boot_cpu.max_ext_leaf >= 0x80000007) {
		cpuid(0x80000007, &a, &b, &c, &d);
		boot_cpu.invariant_tsc = d & (1u << 8);
	}
	if (boot_cpu.max_ext_leaf >= 0x80000008) {
		cpuid(0x80000008, &a, &b, &c, &d);
		boot_cpu.phys_bits = a & 0xff;
	} else {
		boot_cpu.phys_bits = boot_cpu.pse36 ? 36 : 32;
	}
}

/* EFER.NXE must be on before any entry with bit 63 set is used: with NXE
 * off, bit 63 is reserved and the walk faults with RSVD. */
void cpu_enable_features(void)
{
	if (boot_cpu.nx && boot_cpu.msr) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		boot_cpu.nx_enabled = true;
	}
}
