/* SPDX-License-Identifier: MIT */
/*
 * ioapic.c - program one redirection entry of the first I/O APIC.
 *
 * The IOAPIC is two registers in memory: IOREGSEL (offset 0x00) selects a
 * register, IOWIN (0x10) reads or writes it. Register 1 holds the version
 * and, in bits 16-23, the number of redirection entries minus one;
 * entry n is the pair of 32-bit registers 0x10 + 2n (low) and 0x11 + 2n
 * (high):
 *
 *   low:  vector (0-7), delivery mode (8-10, 000 fixed), destination mode
 *         (11, 0 physical), polarity (13, 0 active high), trigger (15,
 *         0 edge), mask (16)
 *   high: destination APIC ID (bits 24-31)
 *
 * ISA IRQ n arrives on IOAPIC input n unless the MADT has an interrupt
 * source override for it; QEMU's only override is IRQ 0 -> input 2, so
 * the ISA lines we route (IRQ 4, COM1) are taken as identity-mapped.
 *
 * Rules: the mapping is made once, on first use, uncached (FIX_IO_APIC_BASE_0);
 * the high half of an entry is written before the low half unmasks it.
 */
#include "arch/x86/ioapic.h"
#include "arch/x86/smp.h"
#include "arch/x86/acpi.h"
#include "kernel/spinlock.h"
#include "mm/pgtable.h"

#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPIC_VER	0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))

phys_addr_t ioapic_phys = IO_APIC_DEFAULT_PHYS_BASE;
static int nr_lines;
static arch_spinlock_t ioapic_lock = __ARCH_SPIN_LOCK_UNLOCKED;

static volatile u32 *ioapic_reg(u32 off)
{
	return (volatile u32 *)(__fix_to_virt(FIX_IO_APIC_BASE_0) + off);
}

static u32 ioapic_read(u32 reg)
{
	*ioapic_reg(IOREGSEL) = reg;
	return *ioapic_reg(IOWIN);
}

static void ioapic_write(u32 reg, u32 v)
{
	*ioapic_reg(IOREGSEL) = reg;
	*ioapic_reg(IOWIN) = v;
}

int ioapic_nr_lines(void)
{
	return nr_lines;
}

bool ioapic_route_isa_irq(int irq, int vector, int cpu)
{
	unsigned long flags = local_irq_save();
	bool ok = false;

	arch_spin_lock(&ioapic_lock);
	if (!nr_lines && ioapic_phys) {
		__set_fixmap(FIX_IO_APIC_BASE_0, ioapic_phys, PAGE_KERNEL_NOCACHE);
		nr_lines = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
	}
	if (irq >= 0 && irq < nr_lines) {
		ioapic_write(IOAPIC_REDTBL(irq) + 1, x86_cpu_to_apicid[cpu] << 24);
		ioapic_write(IOAPIC_REDTBL(irq), (u32)vector);	/* fixed, edge, high, unmasked */
		ok = true;
	}
	arch_spin_unlock(&ioapic_lock);
	local_irq_restore(flags);
	return ok;
}
