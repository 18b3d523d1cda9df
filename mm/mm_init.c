/* SPDX-License-Identifier: MIT */
/*
 * mm_init.c - from memblock to the page allocator, and the boot report.
 *
 * mem_init() runs once, after the final page tables exist and the last
 * boot allocation is made:
 *
 *   1. split lowmem from highmem and lay out the zones   (zone_sizes_init)
 *   2. allocate mem_map from memblock and describe every pfn
 *   3. release every free memblock range to the buddy allocator in the
 *      largest aligned blocks that fit, split at the zone boundaries
 *   4. print what was found, in Linux 6.1 i386's words
 *
 * Definitions follow Linux so the report compares line by line with a real
 * dmesg. One decision: like Linux (trim_bios_range() turns page 0 into
 * "reserved" in the e820 map, because the BIOS keeps its data there) page
 * 0 is never RAM to the zones, even though the multiboot map calls it
 * usable. It is simply left out of the "node" ranges below; memblock still
 * lists it (reserved, with the rest of the low 1 MiB).
 *
 * Speed matters: at -m 48G mem_map has 12.8 million entries. They are
 * cleared in one sweep of word stores (which is the state of a free page
 * inside a block), then only the pages that are NOT free are written
 * (holes and reserved ranges: a few hundred thousand at most), and free
 * memory is handed over block by block (one call per 4 MiB), never page
 * by page.
 */
#include "mm/mm_init.h"
#include "mm/kmap_local.h"
#include "mm/page_alloc.h"
#include "mm/memblock.h"
#include "mm/memlayout.h"
#include "arch/x86/cpu.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/bug.h"
#include "arch/x86/smp.h"

struct page *mem_map;
bool after_bootmem;

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _edata[];
extern char _bss[], _ebss[];

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

/*
 * The RAM of "node 0" in pfns, Linux's for_each_mem_pfn_range(): the
 * memblock memory regions, without page 0.
 */
static bool node_mem_range(int i, unsigned long *start, unsigned long *end)
{
	struct memblock_region *r = &memblock_memory.regions[i];

	*start = max(PFN_UP(r->base), 1UL);
	*end = PFN_DOWN(r->base + r->size);
	return *start < *end;
}

static unsigned long node_start_pfn(void)
{
	unsigned long s, e;

	for (int i = 0; i < memblock_memory.cnt; i++)
		if (node_mem_range(i, &s, &e))
			return s;
	return 0;
}

/* RAM pages in [start, end). */
static unsigned long ram_pages_in(unsigned long start, unsigned long end)
{
	unsigned long n = 0, s, e;

	for (int i = 0; i < memblock_memory.cnt; i++) {
		if (!node_mem_range(i, &s, &e))
			continue;
		s = max(s, start);
		e = min(e, end);
		if (s < e)
			n += e - s;
	}
	return n;
}

/*
 * Zone spans as Linux computes them: each zone runs from where the one
 * below ended up to its architectural limit (16 MiB, max_low_pfn,
 * max_pfn), starting at the first pfn with RAM. An empty zone has start 0.
 */
static void zone_sizes_init(void)
{
	unsigned long limit[MAX_NR_ZONES] = {
		[ZONE_DMA] = min(MAX_DMA_PFN, max_low_pfn),
		[ZONE_NORMAL] = max_low_pfn,
		[ZONE_HIGHMEM] = max_pfn,
	};
	unsigned long start = node_start_pfn();

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &zones[i];
		unsigned long end = max(limit[i], start);

		spin_lock_init(&z->lock);
		for (int o = 0; o < MAX_ORDER; o++) {
			INIT_LIST_HEAD(&z->free_area[o].free_list);
			z->free_area[o].nr_free = 0;
		}
		z->spanned_pages = end - start;
		z->zone_start_pfn = z->spanned_pages ? start : 0;
		z->present_pages = ram_pages_in(start, end);
		z->managed_pages = z->free_pages = 0;
		start = end;
	}
}

void zone_ranges_report(void)
{
	unsigned long s, e, hole = 0;

	printk(KERN_INFO "Zone ranges:\n");
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &zones[i];

		if (!z->spanned_pages)
			printk(KERN_INFO "  %-8s empty\n", z->name);
		else
			printk(KERN_INFO "  %-8s [mem %#018llx-%#018llx]\n", z->name,
			       (unsigned long long)PFN_PHYS(z->zone_start_pfn),
			       (unsigned long long)PFN_PHYS(zone_end_pfn(z)) - 1);
	}
	printk(KERN_INFO "Movable zone start for each node\n");
	printk(KERN_INFO "Early memory node ranges\n");
	for (int i = 0; i < memblock_memory.cnt; i++)
		if (node_mem_range(i, &s, &e))
			printk(KERN_INFO "  node   0: [mem %#018llx-%#018llx]\n",
			       (unsigned long long)PFN_PHYS(s), (unsigned long long)PFN_PHYS(e) - 1);
	printk(KERN_INFO "Initmem setup node 0 [mem %#018llx-%#018llx]\n",
	       (unsigned long long)PFN_PHYS(node_start_pfn()),
	       (unsigned long long)PFN_PHYS(max_pfn) - 1);

	/* Linux's memmap_init(): each gap before a RAM range (clipped to a
	 * zone) is charged to that zone. With a flat mem_map every pfn in the
	 * gap has a struct page, so the whole gap counts. */
	for (int i = 0; i < memblock_memory.cnt; i++) {
		if (!node_mem_range(i, &s, &e))
			continue;
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &zones[zi];
			unsigned long zs = max(s, z->zone_start_pfn);
			unsigned long ze = min(e, zone_end_pfn(z));

			if (!populated_zone(z) || zs >= ze)
				continue;
			if (hole < zs)
				printk(KERN_INFO "On node 0, zone %s: %lu pages in unavailable ranges\n",
				       z->name, zs - hole);
			hole = ze;
		}
	}
}

/* Mark [start, end) as not for the allocator. */
static void reserve_pfns(unsigned long start, unsigned long end)
{
	for (struct page *p = pfn_to_page(start), *last = pfn_to_page(end); p < last; p++) {
		p->flags = PG_reserved;
		p->_refcount = 1;
	}
}

/* Hand [start, end) of one zone over in the largest aligned blocks. */
static void free_zone_range(unsigned long start, unsigned long end)
{
	while (start < end) {
		unsigned int order = start ? (unsigned int)__builtin_ctzl(start) : MAX_ORDER - 1;

		if (order > MAX_ORDER - 1)
			order = MAX_ORDER - 1;
		while (start + (1UL << order) > end)
			order--;
		free_boot_block(start, order);
		start += 1UL << order;
	}
}

/*
 * mem_map comes from memblock like any boot allocation, but placed at the
 * top of lowmem (as Linux's top-down memblock does), so that it does not
 * eat ZONE_DMA, and without memblock_alloc()'s byte-wise clearing:
 * memmap_clear() uses word stores, which an emulator runs several times
 * faster, and that matters when mem_map is 200 MiB.
 */
static struct page *memmap_alloc(unsigned long nr)
{
	phys_addr_t size = ALIGN_UP((phys_addr_t)nr * sizeof(struct page), (phys_addr_t)PAGE_SIZE);
	phys_addr_t limit = PFN_PHYS(max_low_pfn), start, end, best = 0;
	u64 it = 0;

	while (memblock_next_free_range(&it, &start, &end)) {
		end = ALIGN_DOWN(min(end, limit), (phys_addr_t)PAGE_SIZE);
		if (end >= size && end - size >= start)
			best = end - size;
	}
	if (!best)
		panic("mem_map: no %llu KiB of contiguous lowmem for %lu struct pages",
		      (unsigned long long)(size >> 10), nr);
	memblock_reserve(best, size);
	return __va(best);
}

/* Every entry to "free, not a block head": no flags, no references. */
static void memmap_clear(struct page *map, unsigned long nr)
{
	u32 *w = (u32 *)map;
	size_t words = nr * (sizeof(struct page) / 4);

	__asm__ __volatile__("rep stosl" : "+D"(w), "+c"(words) : "a"(0) : "memory");
}

/* Build mem_map and release free memory. */
static void memmap_init_and_free(void)
{
	unsigned long bounds[] = { MAX_DMA_PFN, max_low_pfn };
	unsigned long done = 0;	/* pfns below this are described */
	phys_addr_t start, end;
	u64 it = 0;

	mem_map = memmap_alloc(max_pfn);
	memmap_clear(mem_map, max_pfn);
	printk(KERN_INFO "mem_map: %lu struct pages of %u bytes = %lu KiB at %p\n",
	       max_pfn, (unsigned)sizeof(struct page),
	       (unsigned long)(((u64)max_pfn * sizeof(struct page)) >> 10), (void *)mem_map);

	printk(KERN_INFO "Initializing %s for node 0 (%08lx:%08lx)\n", zones[ZONE_HIGHMEM].name,
	       zones[ZONE_HIGHMEM].zone_start_pfn, zone_end_pfn(&zones[ZONE_HIGHMEM]));

	/* From here on memblock must not hand out memory: it is the buddy's. */
	after_bootmem = true;
	while (memblock_next_free_range(&it, &start, &end)) {
		unsigned long s = PFN_UP(start), e = PFN_DOWN(end);

		if (s >= e)
			continue;
		reserve_pfns(done, s);
		done = e;
		for (unsigned i = 0; i < ARRAY_SIZE(bounds); i++)
			if (s < bounds[i] && bounds[i] < e) {
				free_zone_range(s, bounds[i]);
				s = bounds[i];
			}
		free_zone_range(s, e);
	}
	reserve_pfns(done, max_pfn);
}

static unsigned long present_pages(void)
{
	unsigned long n = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		n += zones[i].present_pages;
	return n;
}

/* Linux's mem_init_print_info(). There is no .init section: "0K init". */
void mem_init_print_info(void)
{
	unsigned long physpages = present_pages();

	printk(KERN_INFO "Memory: %luK/%luK available (%luK kernel code, %luK rwdata, "
	       "%luK rodata, 0K init, %luK bss, %luK reserved, 0K cma-reserved, %luK highmem)\n",
	       K(nr_free_pages()), K(physpages),
	       (unsigned long)(_etext - _text) >> 10, (unsigned long)(_edata - _data) >> 10,
	       (unsigned long)(_erodata - _rodata) >> 10, (unsigned long)(_ebss - _bss) >> 10,
	       K(physpages - totalram_pages()), K(totalhigh_pages()));
}

#define LAYOUT_KB(name, s, e) \
	printk(KERN_INFO "    " name " : 0x%08lx - 0x%08lx   (%4ld kB)\n", \
	       (unsigned long)(s), (unsigned long)(e), (long)(((unsigned long)(e) - (unsigned long)(s)) >> 10))
#define LAYOUT_MB(name, s, e) \
	printk(KERN_INFO "    " name " : 0x%08lx - 0x%08lx   (%4ld MB)\n", \
	       (unsigned long)(s), (unsigned long)(e), (long)(((unsigned long)(e) - (unsigned long)(s)) >> 20))

/*
 * The pre-4.x x86_32 block, top of the address space first. As there,
 * ".data" runs from _etext to _edata, so it includes the read-only data;
 * ".bss" is an addition (ARM printed one), ".init" is absent (no such
 * section here).
 *
 * Unlike Linux's, it is printed once the other CPUs are up (kmain), so
 * that the fixmap's kmap_local part can show the slots of each online CPU.
 * Every indented block adds up to the line above it: the fixmap is the
 * kmap slots plus the rest (device slots, early_memremap windows); the
 * kmap slots are each online CPU's plus those not in use (the slots of
 * CPUs that are not online, and without guard slots the second half of
 * each CPU's room, which is sized for guard slots).
 */
void print_vm_layout(void)
{
	unsigned long kmap_start = __fix_to_virt(FIX_KMAP_END);
	unsigned long kmap_end = __fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE;
	unsigned long used_bottom = kmap_end;
	int cpu, ncpus = 0;

	printk(KERN_INFO "virtual kernel memory layout:\n");
	LAYOUT_KB("fixmap ", FIXADDR_START, FIXADDR_TOP);
	printk(KERN_INFO "      kmap slots : 0x%08lx - 0x%08lx   (%4lu kB, room for %d CPUs x %d slots)\n",
	       kmap_start, kmap_end, (kmap_end - kmap_start) >> 10, NR_CPUS, KM_SLOTS_PER_CPU);
	/* each online CPU's kmap_local slots: position 0 at the top, growing down */
	for_each_online_cpu(cpu) {
		unsigned long lo = kmap_local_slot_addr(cpu, km_max_idx - 1);

		printk(KERN_INFO "        cpu%d : 0x%08lx - 0x%08lx   (%4lu kB, %d slots)\n", cpu,
		       lo, kmap_local_slot_addr(cpu, 0) + PAGE_SIZE,
		       (unsigned long)km_max_idx * PAGE_SIZE / 1024, km_max_idx);
		used_bottom = min(used_bottom, lo);
		ncpus++;
	}
	/* online CPUs are numbered from 0, so their slots are one block */
	printk(KERN_INFO "        unused : 0x%08lx - 0x%08lx   (%4lu kB, %lu slots)\n",
	       kmap_start, used_bottom, (used_bottom - kmap_start) >> 10,
	       (used_bottom - kmap_start) >> PAGE_SHIFT);
	WARN_ON_ONCE(kmap_end - used_bottom != (unsigned long)ncpus * km_max_idx * PAGE_SIZE);
	printk(KERN_INFO "      devices, early_memremap : 0x%08lx - 0x%08lx   (%4lu kB)\n",
	       (unsigned long)FIXADDR_START, kmap_start, (kmap_start - FIXADDR_START) >> 10);
	LAYOUT_KB("pkmap  ", PKMAP_BASE, PKMAP_END);
	LAYOUT_MB("vmalloc", VMALLOC_START, VMALLOC_END);
	LAYOUT_MB("lowmem ", PAGE_OFFSET, high_memory);
	LAYOUT_KB("  .bss ", _bss, _ebss);
	LAYOUT_KB("  .data", _etext, _edata);
	LAYOUT_KB("  .text", _text, _etext);
}

static void print_nx_status(void)
{
	if (!boot_cpu.nx)
		printk(KERN_NOTICE "Notice: NX (Execute Disable) protection missing in CPU!\n");
	else if (!boot_cpu.nx_enabled)
		printk(KERN_INFO "NX (Execute Disable) protection: not active (EFER.NXE could not be set)\n");
	else
		printk(KERN_INFO "NX (Execute Disable) protection: active\n");
}

/* Linux's max_pfn_mapped: where the direct map of RAM really ends. */
static unsigned long max_pfn_mapped(void)
{
	unsigned long top = 0, s, e;

	for (int i = 0; i < memblock_memory.cnt; i++)
		if (node_mem_range(i, &s, &e) && s < max_low_pfn)
			top = max(top, min(e, max_low_pfn));
	return top;
}

/* The lines of Linux's initmem_init() and setup_bootmem_allocator(). */
void initmem_report(void)
{
	printk(KERN_NOTICE "%luMB HIGHMEM available.\n", pages_to_mb(highend_pfn - highstart_pfn));
	printk(KERN_NOTICE "%luMB LOWMEM available.\n", pages_to_mb(max_low_pfn));
	printk(KERN_INFO "  mapped low ram: 0 - %08lx\n", max_pfn_mapped() << PAGE_SHIFT);
	printk(KERN_INFO "  low ram: 0 - %08lx\n", max_low_pfn << PAGE_SHIFT);
}

void mem_init(void)
{
	print_nx_status();
	initmem_report();
	zone_sizes_init();
	zone_ranges_report();
	memmap_init_and_free();
	mem_init_print_info();
	show_meminfo();
	meminfo_boot_snapshot();
}
