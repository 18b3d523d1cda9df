/* SPDX-License-Identifier: MIT */
/*
 * memblock.c - read the multiboot memory map and hand out boot memory.
 *
 * Rules enforced here:
 *  - only the memory map (64-bit base and length) describes RAM; the
 *    32-bit mem_upper field stops at the first hole and is never read;
 *  - RAM the CPU cannot address (above 2^MAXPHYADDR) is reported and
 *    dropped, never mapped;
 *  - the low 1 MiB, the kernel image, the multiboot structures, the
 *    command line and modules are reserved before the first allocation;
 *  - max_low_pfn is min(max_pfn, MAXMEM_PFN): lowmem ends at 896 MiB.
 */
#include "mm/memblock.h"
#include "mm/memlayout.h"
#include "boot/multiboot.h"
#include "arch/x86/cpu.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/string.h"

struct memblock_type memblock_memory = { .name = "memory" };
struct memblock_type memblock_reserved = { .name = "reserved" };
struct fw_map_entry fw_map[MAX_FW_MAP];
int fw_map_entries;

unsigned long max_pfn, max_low_pfn, highstart_pfn, highend_pfn, min_low_pfn;
unsigned long high_memory;
u64 ram_beyond_phys_bits;

#define MIN_RAM_MB 32

extern char _kernel_start[], _end[];

/* Insert [base, base+size) into a sorted list, merging neighbours. */
static void region_add(struct memblock_type *t, phys_addr_t base, phys_addr_t size)
{
	phys_addr_t end = base + size;
	int i, j;

	if (!size)
		return;
	for (i = 0; i < t->cnt; i++) {
		struct memblock_region *r = &t->regions[i];
		if (end < r->base)
			break;
		if (base <= r->base + r->size) {	/* overlaps or touches */
			phys_addr_t nb = min(base, r->base);
			phys_addr_t ne = max(end, r->base + r->size);
			/* swallow the following regions we now reach */
			for (j = i + 1; j < t->cnt && t->regions[j].base <= ne; j++)
				ne = max(ne, t->regions[j].base + t->regions[j].size);
			memmove(&t->regions[i + 1], &t->regions[j],
				(t->cnt - j) * sizeof(*r));
			t->cnt -= j - i - 1;
			r->base = nb;
			r->size = ne - nb;
			return;
		}
	}
	if (t->cnt == MEMBLOCK_MAX_REGIONS)
		panic("memblock: too many %s regions", t->name);
	memmove(&t->regions[i + 1], &t->regions[i], (t->cnt - i) * sizeof(t->regions[0]));
	t->regions[i].base = base;
	t->regions[i].size = size;
	t->cnt++;
}

void memblock_add(phys_addr_t base, phys_addr_t size)
{
	region_add(&memblock_memory, base, size);
}

void memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	phys_addr_t end = ALIGN_UP(base + size, (phys_addr_t)PAGE_SIZE);

	base = ALIGN_DOWN(base, (phys_addr_t)PAGE_SIZE);
	region_add(&memblock_reserved, base, end - base);
}

static bool in_type(struct memblock_type *t, phys_addr_t a)
{
	for (int i = 0; i < t->cnt; i++)
		if (a >= t->regions[i].base && a < t->regions[i].base + t->regions[i].size)
			return true;
	return false;
}

bool memblock_is_memory(phys_addr_t a) { return in_type(&memblock_memory, a); }
bool memblock_is_reserved(phys_addr_t a) { return in_type(&memblock_reserved, a); }

/*
 * Free ranges = memory minus reserved. The iterator packs (memory region
 * index, position inside it) so callers need no state of their own.
 */
bool memblock_next_free_range(u64 *iter, phys_addr_t *start, phys_addr_t *end)
{
	int mi = (int)(*iter >> 32);
	phys_addr_t pos = (*iter & 0xffffffffULL) << PAGE_SHIFT;

	for (; mi < memblock_memory.cnt; mi++, pos = 0) {
		struct memblock_region *m = &memblock_memory.regions[mi];
		phys_addr_t s = max(m->base, pos), e = m->base + m->size;

		while (s < e) {
			phys_addr_t next_res_start = e;
			bool moved = false;

			for (int r = 0; r < memblock_reserved.cnt; r++) {
				struct memblock_region *rr = &memblock_reserved.regions[r];
				phys_addr_t rs = rr->base, re = rr->base + rr->size;
				if (rs <= s && s < re) {	/* s is reserved: skip */
					s = re;
					moved = true;
					break;
				}
				if (rs > s && rs < next_res_start)
					next_res_start = rs;
			}
			if (moved)
				continue;
			*start = s;
			*end = min(e, next_res_start);
			*iter = ((u64)mi << 32) | (*end >> PAGE_SHIFT);
			return true;
		}
	}
	return false;
}

phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t limit = (phys_addr_t)max_low_pfn << PAGE_SHIFT;
	phys_addr_t s, e;
	u64 it = 0;

	if (after_bootmem)
		panic("memblock: %llu bytes wanted after mem_init(); free memory belongs to the page allocator now",
		      (unsigned long long)size);
	size = ALIGN_UP(size, (phys_addr_t)PAGE_SIZE);
	while (memblock_next_free_range(&it, &s, &e)) {
		s = ALIGN_UP(s, align);
		if (s + size <= e && s + size <= limit) {
			memblock_reserve(s, size);
			memset(__va(s), 0, size);
			return s;
		}
	}
	panic("memblock: out of lowmem allocating %llu bytes", (unsigned long long)size);
}

void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	return __va(memblock_phys_alloc(size, align));
}

static const char *fw_type_name(u32 type)
{
	switch (type) {
	case MULTIBOOT_MEMORY_AVAILABLE: return "usable";
	case MULTIBOOT_MEMORY_ACPI: return "ACPI data";
	case MULTIBOOT_MEMORY_NVS: return "ACPI NVS";
	case MULTIBOOT_MEMORY_BADRAM: return "unusable";
	default: return "reserved";
	}
}

static void reserve_multiboot(struct multiboot_info *mbi)
{
	memblock_reserve(multiboot_info_phys, sizeof(*mbi));
	if (mbi->flags & MULTIBOOT_INFO_MMAP)
		memblock_reserve(mbi->mmap_addr, mbi->mmap_length);
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		memblock_reserve(mbi->cmdline, strlen(__va(mbi->cmdline)) + 1);
	if (mbi->flags & MULTIBOOT_INFO_MODS) {
		struct multiboot_mod *m = __va(mbi->mods_addr);
		memblock_reserve(mbi->mods_addr, mbi->mods_count * sizeof(*m));
		for (u32 i = 0; i < mbi->mods_count; i++) {
			memblock_reserve(m[i].start, m[i].end - m[i].start);
			if (m[i].string)
				memblock_reserve(m[i].string, strlen(__va(m[i].string)) + 1);
		}
	}
}

void memblock_setup(u32 mbi_phys)
{
	struct multiboot_info *mbi = __va(mbi_phys);
	u64 phys_limit = 1ULL << boot_cpu.phys_bits;
	u64 total_ram = 0;

	if (!(mbi->flags & MULTIBOOT_INFO_MMAP)) {
		printk(KERN_ERR "kmaplab: the boot loader gave no memory map; halting.\n");
		machine_halt(EXIT_FATAL);
	}

	printk(KERN_INFO "BIOS-provided physical RAM map (multiboot):\n");
	for (u32 off = 0; off < mbi->mmap_length;) {
		struct multiboot_mmap_entry *e = __va(mbi->mmap_addr + off);
		off += e->size + 4;
		if (!e->len)
			continue;
		printk(KERN_INFO "multiboot: [mem %#018llx-%#018llx] %s\n",
		       e->addr, e->addr + e->len - 1, fw_type_name(e->type));
		if (fw_map_entries < MAX_FW_MAP)
			fw_map[fw_map_entries++] = (struct fw_map_entry){ e->addr, e->len, e->type };
		if (e->type != MULTIBOOT_MEMORY_AVAILABLE)
			continue;
		/* Only whole pages are RAM to us. */
		u64 s = ALIGN_UP(e->addr, (u64)PAGE_SIZE);
		u64 end = ALIGN_DOWN(e->addr + e->len, (u64)PAGE_SIZE);
		if (end <= s)
			continue;
		if (end > phys_limit) {
			u64 cut = s > phys_limit ? s : phys_limit;
			ram_beyond_phys_bits += end - cut;
			end = cut;
		}
		if (end > s) {
			memblock_add(s, end - s);
			total_ram += end - s;
		}
	}
	if (ram_beyond_phys_bits)
		printk(KERN_WARNING "kmaplab: %lluMB of RAM lies above this CPU's %u physical address bits (%lluGB); it is left unused.\n",
		       ram_beyond_phys_bits >> 20, boot_cpu.phys_bits, phys_limit >> 30);
	if (total_ram < (MIN_RAM_MB << 20)) {
		printk(KERN_ERR "kmaplab: needs at least %dMB of RAM, but the memory map shows %lluMB; halting.\n",
		       MIN_RAM_MB, total_ram >> 20);
		machine_halt(EXIT_FATAL);
	}

	struct memblock_region *last = &memblock_memory.regions[memblock_memory.cnt - 1];
	max_pfn = (unsigned long)((last->base + last->size) >> PAGE_SHIFT);
	min_low_pfn = (unsigned long)(memblock_memory.regions[0].base >> PAGE_SHIFT);
	max_low_pfn = min(max_pfn, (unsigned long)MAXMEM_PFN);
	highstart_pfn = highend_pfn = max_pfn;
	if (max_pfn > max_low_pfn)
		highstart_pfn = max_low_pfn;
	high_memory = (unsigned long)__va((phys_addr_t)max_low_pfn << PAGE_SHIFT);

	/* The BIOS owns parts of the low 1 MiB (IVT, EBDA, ROM); like Linux we
	 * keep all of it out of the allocator. The AP trampoline uses a page
	 * of it explicitly. */
	memblock_reserve(0, 0x100000);
	memblock_reserve(__pa(_kernel_start), _end - _kernel_start);
	reserve_multiboot(mbi);
}
