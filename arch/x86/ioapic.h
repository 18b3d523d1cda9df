/* SPDX-License-Identifier: MIT */
/*
 * ioapic.h - the first I/O APIC, just enough to route one ISA line.
 *
 * The kernel runs every device interrupt through the IOAPIC (the 8259s
 * stay masked, pic.c). Today the only device line in use is COM1's IRQ 4,
 * for the monitor's keyboard (kernel/monitor.c).
 */
#ifndef ARCH_X86_IOAPIC_H
#define ARCH_X86_IOAPIC_H

#include "kernel/types.h"

/* Where the firmware put the first IOAPIC (smpboot.c fills it in). */
extern phys_addr_t ioapic_phys;

/* Deliver ISA 'irq' (edge, active high) as 'vector' to 'cpu', fixed
 * mode. Returns false if there is no IOAPIC or the line does not exist. */
bool ioapic_route_isa_irq(int irq, int vector, int cpu);
/* How many redirection entries the IOAPIC has (0: none mapped yet). */
int ioapic_nr_lines(void);

#endif
