/* SPDX-License-Identifier: MIT */
/*
 * mpparse.c - find the CPUs in the MultiProcessor Specification table,
 * for firmware without ACPI (or with acpi=off).
 *
 *   floating pointer "_MP_" (16 bytes, on a 16-byte boundary in the
 *   EBDA's first KiB, the last KiB of base memory, or 0xF0000-0xFFFFF)
 *     |  physptr
 *     v
 *   configuration table "PCMP": header (LAPIC address, entry count),
 *   then entries; the first byte of each says its type and so its size:
 *     type 0 processor (20 bytes): APIC id, flags (enabled, boot CPU)
 *     type 1 bus, 3 I/O interrupt, 4 local interrupt (8 bytes)
 *     type 2 IOAPIC (8 bytes): id, flags, address
 *
 * Rule enforced: the pointer's 16 bytes and the table's base length each
 * sum to 0, or the table is ignored.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/early_ioremap.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/memlayout.h"

struct mpf_intel {
	char signature[4];		/* "_MP_" */
	u32 physptr;			/* the configuration table */
	u8 length;			/* in 16-byte units: 1 */
	u8 specification;		/* 1 or 4 */
	u8 checksum;
	u8 feature1;			/* non-zero: a default configuration */
	u8 feature2, feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];		/* "PCMP" */
	u16 length;			/* base table, header included */
	u8 spec;
	u8 checksum;
	char oem[8];
	char productid[12];
	u32 oemptr;
	u16 oemsize;
	u16 oemcount;			/* number of entries */
	u32 lapic;			/* local APIC address */
	u16 reserved_ext_length;
	u8 reserved_ext_checksum;
	u8 reserved;
} __attribute__((packed));

#define MP_PROCESSOR	0
#define MP_BUS		1
#define MP_IOAPIC	2
#define MP_INTSRC	3
#define MP_LINTSRC	4

#define CPU_ENABLED	1
#define CPU_BOOTPROCESSOR 2
#define MPC_APIC_USABLE	1

struct mpc_cpu {
	u8 type;
	u8 apicid;
	u8 apicver;
	u8 cpuflag;
	u32 cpufeature;
	u32 featureflag;
	u32 reserved[2];
} __attribute__((packed));

struct mpc_ioapic {
	u8 type;
	u8 apicid;
	u8 apicver;
	u8 flags;
	u32 apicaddr;
} __attribute__((packed));

static phys_addr_t find_mpf(void)
{
	phys_addr_t ebda = fw_ebda_start(), found = 0;

	if (ebda)
		found = fw_scan(ebda, 1024, "_MP_", 4, 16);
	if (!found)
		found = fw_scan(639 * 1024, 1024, "_MP_", 4, 16);
	if (!found)
		found = fw_scan(0xf0000, 0x10000, "_MP_", 4, 16);
	return found;
}

static void parse_entries(const struct mpc_table *mpc, struct smp_config *cfg)
{
	const u8 *p = (const u8 *)(mpc + 1), *end = (const u8 *)mpc + mpc->length;

	for (int i = 0; i < mpc->oemcount && p < end; i++) {
		switch (*p) {
		case MP_PROCESSOR: {
			const struct mpc_cpu *c = (const void *)p;

			if (p + sizeof(*c) > end)
				return;
			pr_debug("MPTABLE: processor apic_id[0x%02x] %s%s\n", c->apicid,
				 c->cpuflag & CPU_ENABLED ? "enabled" : "disabled",
				 c->cpuflag & CPU_BOOTPROCESSOR ? " (boot)" : "");
			if (!(c->cpuflag & CPU_ENABLED))
				cfg->nr_disabled++;
			else if (cfg->nr_cpus < MAX_LOCAL_APIC)
				cfg->apic_id[cfg->nr_cpus++] = c->apicid;
			p += sizeof(*c);
			break;
		}
		case MP_IOAPIC: {
			const struct mpc_ioapic *io = (const void *)p;

			if ((io->flags & MPC_APIC_USABLE) && !cfg->nr_ioapics++) {
				cfg->ioapic_id = io->apicid;
				cfg->ioapic_phys = io->apicaddr;
			}
			p += 8;
			break;
		}
		case MP_BUS:
		case MP_INTSRC:
		case MP_LINTSRC:
			p += 8;
			break;
		default:
			pr_warn("MPTABLE: unknown entry type %u; the rest is ignored\n", *p);
			return;
		}
	}
}

bool mptable_parse(struct smp_config *cfg)
{
	phys_addr_t mpf_phys = find_mpf();
	const struct mpf_intel *mpf;
	struct mpc_table *mpc;
	u16 len;

	if (!mpf_phys)
		return false;
	mpf = __va(mpf_phys);
	pr_info("found SMP MP-table at [mem %#010llx-%#010llx]\n",
		(unsigned long long)mpf_phys, (unsigned long long)mpf_phys + 15);
	cfg->source = "MP table";
	cfg->pcat_compat = true;
	if (mpf->feature1) {
		/* A default configuration (MP spec chapter 5): two CPUs,
		 * APIC IDs 0 and 1, everything at its standard address. */
		pr_info("MPTABLE: default configuration #%u\n", mpf->feature1);
		cfg->lapic_phys = APIC_DEFAULT_PHYS_BASE;
		cfg->nr_cpus = 2;
		cfg->apic_id[0] = 0;
		cfg->apic_id[1] = 1;
		return true;
	}
	if (!mpf->physptr)
		return false;

	mpc = early_memremap_ro(mpf->physptr, sizeof(*mpc));
	if (!mpc)
		return false;
	len = mpc->length;
	if (memcmp(mpc->signature, "PCMP", 4) || len < sizeof(*mpc)) {
		early_memunmap(mpc, sizeof(*mpc));
		pr_warn("MPTABLE: bad signature at %#x; ignored\n", mpf->physptr);
		return false;
	}
	early_memunmap(mpc, sizeof(*mpc));
	mpc = early_memremap_ro(mpf->physptr, len);
	if (!mpc)
		return false;
	if (fw_checksum(mpc, len)) {
		pr_warn("MPTABLE: checksum error at %#x; ignored\n", mpf->physptr);
		early_memunmap(mpc, len);
		return false;
	}
	pr_info("MPTABLE: OEM ID: %.8s Product ID: %.12s APIC at: 0x%x\n",
		mpc->oem, mpc->productid, mpc->lapic);
	cfg->lapic_phys = mpc->lapic;
	parse_entries(mpc, cfg);
	early_memunmap(mpc, len);
	return cfg->nr_cpus > 0;
}
