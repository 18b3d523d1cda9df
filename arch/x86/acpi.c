/* SPDX-License-Identifier: MIT */
/*
 * acpi.c - find the CPUs in ACPI's MADT.
 *
 *   RSDP ("RSD PTR ", in the EBDA's first KiB or 0xE0000-0xFFFFF)
 *     |  rsdt_address (v1), xsdt_address (v2+)
 *     v
 *   RSDT / XSDT: header + an array of 32-bit / 64-bit table addresses
 *     |
 *     v
 *   MADT ("APIC"): header, LAPIC address, flags, then variable entries:
 *     type 0  processor local APIC   (ACPI id, APIC id, flags: enabled)
 *     type 1  IOAPIC                 (id, address, GSI base)
 *     type 5  LAPIC address override (64-bit address)
 *
 * Rules enforced here: every table's bytes sum to 0 (checksum), and a
 * table is read only through a mapping of its full stated length; the
 * tables may lie above lowmem (QEMU -m 4G: near 0xBFFE0000), so they are
 * read through early_memremap(), never through the direct map.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/early_ioremap.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/cmdline.h"
#include "mm/memlayout.h"

bool acpi_disabled;

static bool parse_acpi_option(const char *v)
{
	if (!v || strcmp(v, "off"))
		return false;
	acpi_disabled = true;
	return true;
}
early_param("acpi", parse_acpi_option);

struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	u8 checksum;			/* over the first 20 bytes */
	char oem_id[6];
	u8 revision;			/* 0: ACPI 1.0; 2: has the fields below */
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 extended_checksum;		/* over 'length' bytes */
	u8 reserved[3];
} __attribute__((packed));

struct acpi_table_header {
	char signature[4];
	u32 length;			/* of the whole table, header included */
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 asl_compiler_id;
	u32 asl_compiler_revision;
} __attribute__((packed));

struct acpi_table_madt {
	struct acpi_table_header header;
	u32 lapic_address;
	u32 flags;			/* bit 0: PCAT_COMPAT, 8259s present */
} __attribute__((packed));

struct madt_entry_header {
	u8 type;
	u8 length;
} __attribute__((packed));

#define ACPI_MADT_TYPE_LOCAL_APIC		0
#define ACPI_MADT_TYPE_IO_APIC			1
#define ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE	5
#define ACPI_MADT_PCAT_COMPAT			1
#define ACPI_MADT_ENABLED			1

struct madt_local_apic {
	struct madt_entry_header h;
	u8 processor_id;
	u8 id;
	u32 lapic_flags;
} __attribute__((packed));

struct madt_io_apic {
	struct madt_entry_header h;
	u8 id;
	u8 reserved;
	u32 address;
	u32 global_irq_base;
} __attribute__((packed));

struct madt_lapic_override {
	struct madt_entry_header h;
	u16 reserved;
	u64 address;
} __attribute__((packed));

u8 fw_checksum(const void *p, unsigned long len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

phys_addr_t fw_ebda_start(void)
{
	/* The BIOS data area word at 0x40E holds the EBDA's segment. It is
	 * in page 0, which the direct map leaves out to catch NULL. */
	u16 *bda = early_memremap_ro(0x40e, 2);
	phys_addr_t ebda;

	if (!bda)
		return 0;
	ebda = (phys_addr_t)*bda << 4;
	early_memunmap(bda, 2);
	/* Outside 0x80000..0x9FFFF it is not a real EBDA pointer. */
	return (ebda >= 0x80000 && ebda < 0xa0000) ? ebda : 0;
}

phys_addr_t fw_scan(phys_addr_t phys, unsigned long len, const char *sig,
		    int sig_len, unsigned long size)
{
	/* Both search areas lie in the low 1 MiB above page 0, which the
	 * direct map always covers. */
	if (phys < PAGE_SIZE || phys + len > 0x100000)
		return 0;
	for (unsigned long off = 0; off + size <= len; off += 16) {
		const u8 *p = __va(phys + off);

		if (!memcmp(p, sig, sig_len) && fw_checksum(p, size) == 0)
			return phys + off;
	}
	return 0;
}

static phys_addr_t find_rsdp(void)
{
	phys_addr_t ebda = fw_ebda_start(), found = 0;

	if (ebda)
		found = fw_scan(ebda, 1024, "RSD PTR ", 8, 20);
	if (!found)
		found = fw_scan(0xe0000, 0x20000, "RSD PTR ", 8, 20);
	return found;
}

static void print_table(const char *sig, phys_addr_t phys, u32 len, u8 rev,
			const char *oem)
{
	pr_info("ACPI: %.4s 0x%016llx %06x (v%02u %.6s)\n", sig,
		(unsigned long long)phys, len, rev, oem);
}

/* Map a whole table after checking its signature and checksum. The
 * caller unmaps it with early_memunmap(t, t->length). */
static struct acpi_table_header *map_table(phys_addr_t phys, const char *sig)
{
	struct acpi_table_header *h = early_memremap_ro(phys, sizeof(*h));
	u32 len;

	if (!h)
		return NULL;
	len = h->length;
	if ((sig && memcmp(h->signature, sig, 4)) || len < sizeof(*h)) {
		early_memunmap(h, sizeof(*h));
		return NULL;
	}
	early_memunmap(h, sizeof(*h));
	h = early_memremap_ro(phys, len);
	if (!h)
		return NULL;
	if (fw_checksum(h, len)) {
		pr_warn("ACPI: %.4s at 0x%llx has a bad checksum; ignored\n",
			h->signature, (unsigned long long)phys);
		early_memunmap(h, len);
		return NULL;
	}
	print_table(h->signature, phys, len, h->revision, h->oem_id);
	return h;
}

static void parse_madt_entries(struct acpi_table_madt *madt, struct smp_config *cfg)
{
	u8 *p = (u8 *)(madt + 1), *end = (u8 *)madt + madt->header.length;

	while (p + sizeof(struct madt_entry_header) <= end) {
		struct madt_entry_header *e = (void *)p;

		if (e->length < sizeof(*e) || p + e->length > end)
			break;			/* malformed: stop, keep what we have */
		switch (e->type) {
		case ACPI_MADT_TYPE_LOCAL_APIC: {
			struct madt_local_apic *l = (void *)e;
			bool on = l->lapic_flags & ACPI_MADT_ENABLED;

			pr_debug("ACPI: LAPIC (acpi_id[0x%02x] lapic_id[0x%02x] %s)\n",
				 l->processor_id, l->id, on ? "enabled" : "disabled");
			if (!on)
				cfg->nr_disabled++;
			else if (cfg->nr_cpus < MAX_LOCAL_APIC)
				cfg->apic_id[cfg->nr_cpus++] = l->id;
			break;
		}
		case ACPI_MADT_TYPE_IO_APIC: {
			struct madt_io_apic *io = (void *)e;

			pr_info("ACPI: IOAPIC (id[0x%02x] address[0x%08x] gsi_base[%u])\n",
				io->id, io->address, io->global_irq_base);
			if (!cfg->nr_ioapics++) {
				cfg->ioapic_id = io->id;
				cfg->ioapic_phys = io->address;
			}
			break;
		}
		case ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE:
			cfg->lapic_phys = ((struct madt_lapic_override *)e)->address;
			break;
		}
		p += e->length;
	}
}

bool acpi_parse_madt(struct smp_config *cfg)
{
	phys_addr_t rsdp_phys = find_rsdp(), sdt_phys;
	struct acpi_rsdp *rsdp;
	struct acpi_table_header *sdt;
	bool xsdt = false, found = false;
	int entry_size, n;

	if (!rsdp_phys)
		return false;
	rsdp = __va(rsdp_phys);
	/* ACPI 2.0+: prefer the XSDT, if its own checksum holds and the CPU
	 * can address it. */
	if (rsdp->revision >= 2 && rsdp->length >= sizeof(*rsdp) &&
	    fw_checksum(rsdp, sizeof(*rsdp)) == 0 && rsdp->xsdt_address &&
	    rsdp->xsdt_address < (1ULL << 36))
		xsdt = true;
	pr_info("ACPI: RSDP 0x%016llx %06x (v%02u %.6s)\n", (unsigned long long)rsdp_phys,
		rsdp->revision >= 2 ? rsdp->length : 20, rsdp->revision, rsdp->oem_id);
	sdt_phys = xsdt ? rsdp->xsdt_address : rsdp->rsdt_address;
	sdt = map_table(sdt_phys, xsdt ? "XSDT" : "RSDT");
	if (!sdt)
		return false;

	entry_size = xsdt ? 8 : 4;
	n = (sdt->length - sizeof(*sdt)) / entry_size;
	for (int i = 0; i < n && !found; i++) {
		u8 *ep = (u8 *)(sdt + 1) + i * entry_size;
		phys_addr_t t = xsdt ? *(u64 *)ep : *(u32 *)ep;
		struct acpi_table_madt *madt = (void *)map_table(t, "APIC");

		if (!madt)
			continue;
		if (madt->header.length >= sizeof(*madt)) {
			cfg->source = "ACPI MADT";
			cfg->lapic_phys = madt->lapic_address;
			cfg->pcat_compat = madt->flags & ACPI_MADT_PCAT_COMPAT;
			parse_madt_entries(madt, cfg);
			found = cfg->nr_cpus > 0;
		}
		early_memunmap(madt, madt->header.length);
	}
	early_memunmap(sdt, sdt->length);
	return found;
}

bool find_smp_config(struct smp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (acpi_disabled)
		pr_info("ACPI: disabled on the command line (acpi=off)\n");
	else if (acpi_parse_madt(cfg))
		return true;
	memset(cfg, 0, sizeof(*cfg));
	return mptable_parse(cfg);
}
