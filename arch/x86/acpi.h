/* SPDX-License-Identifier: MIT */
/*
 * acpi.h - what the firmware says about the CPUs and interrupt hardware.
 *
 * Two sources, tried in this order (Linux's order):
 *   ACPI: RSDP (found by its signature in the EBDA or 0xE0000-0xFFFFF)
 *         -> RSDT or XSDT -> "APIC" table (the MADT): one entry per local
 *         APIC, the LAPIC address, the IOAPICs;
 *   MP:   the MultiProcessor Specification 1.4 floating pointer "_MP_" in
 *         the same areas -> its configuration table "PCMP".
 * Every table's checksum is verified; a table that fails is ignored.
 * "acpi=off" on the command line skips ACPI, as in Linux.
 */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include "kernel/types.h"

#define MAX_LOCAL_APIC	256		/* xAPIC IDs are 8 bits */
#define APIC_DEFAULT_PHYS_BASE	0xfee00000u
#define IO_APIC_DEFAULT_PHYS_BASE 0xfec00000u

struct smp_config {
	const char *source;		/* "ACPI MADT" or "MP table" */
	phys_addr_t lapic_phys;		/* local APIC MMIO base */
	bool pcat_compat;		/* dual 8259s present (mask them) */
	int nr_cpus;			/* enabled processors, in firmware order */
	u32 apic_id[MAX_LOCAL_APIC];
	int nr_disabled;		/* listed but not enabled (hotplug slots) */
	int nr_ioapics;
	u32 ioapic_id;			/* the first IOAPIC, for the report */
	phys_addr_t ioapic_phys;
};

/* Fill 'cfg' from the MADT; false if there is no valid one. */
bool acpi_parse_madt(struct smp_config *cfg);
/* Fill 'cfg' from the MP table; false if there is no valid one. */
bool mptable_parse(struct smp_config *cfg);
/* Both in order; false if neither describes the machine. */
bool find_smp_config(struct smp_config *cfg);

extern bool acpi_disabled;

/* Helpers shared by the two parsers. */
u8 fw_checksum(const void *p, unsigned long len);
/* Scan [phys, phys + len) on 16-byte boundaries for 'sig' (sig_len bytes)
 * at the start of a structure of 'size' bytes whose checksum is 0.
 * Returns the physical address, or 0. */
phys_addr_t fw_scan(phys_addr_t phys, unsigned long len, const char *sig,
		    int sig_len, unsigned long size);
/* The EBDA's physical address (from the BIOS data area), or 0. */
phys_addr_t fw_ebda_start(void);

#endif
