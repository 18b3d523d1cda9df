/* SPDX-License-Identifier: MIT */
/*
 * memmap_test.c - the physical memory map: what memblock kept from the
 * multiboot map, where RAM ends, how it splits into zones, and that every
 * pfn up to max_pfn has a correct struct page.
 *
 * Expected values are worked out here from fw_map (the firmware's map as
 * given) rather than from memblock, so a parsing mistake cannot hide by
 * agreeing with itself.
 */
#include "kernel/ktest.h"
#include "arch/x86/cpu.h"
#include "boot/multiboot.h"
#include "mm/page_alloc.h"

extern char _text[], _end[];

#define PFN_4G	0x100000UL

/* The usable part of fw_map entry i in whole pages below the CPU's limit. */
static bool usable_pfns(int i, unsigned long *s, unsigned long *e)
{
	u64 limit = 1ULL << boot_cpu.phys_bits;
	u64 a = ALIGN_UP(fw_map[i].addr, (u64)PAGE_SIZE);
	u64 b = ALIGN_DOWN(fw_map[i].addr + fw_map[i].len, (u64)PAGE_SIZE);

	if (fw_map[i].type != MULTIBOOT_MEMORY_AVAILABLE)
		return false;
	b = min(b, limit);
	if (a >= b)
		return false;
	*s = (unsigned long)(a >> PAGE_SHIFT);
	*e = (unsigned long)(b >> PAGE_SHIFT);
	return true;
}

/* Is [s, e) inside a single memblock memory region? */
static bool in_one_region(unsigned long s, unsigned long e)
{
	for (int i = 0; i < memblock_memory.cnt; i++) {
		struct memblock_region *r = &memblock_memory.regions[i];
		if (PFN_PHYS(s) >= r->base && PFN_PHYS(e) <= r->base + r->size)
			return true;
	}
	return false;
}

/* memblock memory pages in [s, e). */
static unsigned long memblock_pages_in(unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	for (int i = 0; i < memblock_memory.cnt; i++) {
		struct memblock_region *r = &memblock_memory.regions[i];
		unsigned long rs = max(PFN_UP(r->base), s);
		unsigned long re = min(PFN_DOWN(r->base + r->size), e);
		if (rs < re)
			n += re - rs;
	}
	return n;
}

static void usable_ranges_are_memblock_memory(struct ktest *t)
{
	unsigned long s, e;
	int checked = 0;

	for (int i = 0; i < fw_map_entries; i++) {
		if (!usable_pfns(i, &s, &e))
			continue;
		if (!in_one_region(s, e))
			KTEST_LOG(t, "usable [%#lx, %#lx) pfns not in memblock", s, e);
		EXPECT_TRUE(t, in_one_region(s, e));
		checked++;
	}
	EXPECT_GT(t, checked, 0);
}

static void max_pfn_is_end_of_highest_usable_range(struct ktest *t)
{
	unsigned long s, e, top = 0;

	for (int i = 0; i < fw_map_entries; i++)
		if (usable_pfns(i, &s, &e))
			top = max(top, e);
	EXPECT_EQ(t, max_pfn, top);
}

static void max_low_pfn_is_min_of_max_pfn_and_896m(struct ktest *t)
{
	EXPECT_EQ(t, max_low_pfn, min(max_pfn, 0x38000UL));
	EXPECT_EQ(t, highstart_pfn, max_low_pfn < max_pfn ? max_low_pfn : max_pfn);
	EXPECT_EQ(t, highend_pfn, max_pfn);
}

static void ram_above_4g_is_present(struct ktest *t)
{
	unsigned long s, e, above = 0;

	if (max_pfn <= PFN_4G && ram_beyond_phys_bits)
		KTEST_SKIP(t, "RAM above 4 GiB exists, but this CPU has %u physical address bits",
			   boot_cpu.phys_bits);
	if (max_pfn <= PFN_4G)
		KTEST_SKIP(t, "no RAM above 4 GiB at this -m");
	for (int i = 0; i < fw_map_entries; i++)
		if (usable_pfns(i, &s, &e) && e > PFN_4G)
			above += e - max(s, PFN_4G);
	EXPECT_GT(t, above, 0);
	EXPECT_EQ(t, memblock_pages_in(PFN_4G, max_pfn), above);
	EXPECT_FALSE(t, PageReserved(pfn_to_page(PFN_4G)));
	EXPECT_FALSE(t, PageReserved(pfn_to_page(max_pfn - 1)));
}

/* Every pfn below max_pfn that is not RAM has a PG_reserved struct page. */
static void holes_have_reserved_struct_pages(struct ktest *t)
{
	unsigned long pfn = 0, bad = 0, holes = 0;

	for (int i = 0; i <= memblock_memory.cnt; i++) {
		unsigned long end = max_pfn;

		if (i < memblock_memory.cnt)
			end = min(max_pfn, PFN_DOWN(memblock_memory.regions[i].base));
		for (; pfn < end; pfn++, holes++)
			if (!PageReserved(pfn_to_page(pfn)))
				bad++;
		if (i < memblock_memory.cnt)
			pfn = max(pfn, PFN_UP(memblock_memory.regions[i].base +
					      memblock_memory.regions[i].size));
	}
	EXPECT_GT(t, holes, 0);		/* at least the 640K-1M hole */
	EXPECT_EQ(t, bad, 0);
}

static void boot_allocations_have_reserved_struct_pages(struct ktest *t)
{
	EXPECT_TRUE(t, PageReserved(pfn_to_page(0)));
	EXPECT_TRUE(t, PageReserved(virt_to_page(_text)));
	EXPECT_TRUE(t, PageReserved(virt_to_page((void *)((unsigned long)_end - 1))));
	EXPECT_TRUE(t, PageReserved(virt_to_page(mem_map)));
	EXPECT_TRUE(t, PageReserved(virt_to_page(mem_map + max_pfn - 1)));
}

static void dma_zone_is_below_16m(struct ktest *t)
{
	struct zone *z = &zones[ZONE_DMA];

	EXPECT_EQ(t, zone_end_pfn(z), min(0x1000UL, max_low_pfn));
	EXPECT_LE(t, zone_end_pfn(z), 0x1000);
	EXPECT_EQ(t, z->zone_start_pfn, 1);	/* page 0 is the BIOS's, as in Linux */
}

static void normal_zone_ends_at_max_low_pfn(struct ktest *t)
{
	struct zone *z = &zones[ZONE_NORMAL];

	EXPECT_EQ(t, z->zone_start_pfn, 0x1000);
	EXPECT_EQ(t, zone_end_pfn(z), max_low_pfn);
}

static void highmem_zone_spans_to_max_pfn(struct ktest *t)
{
	struct zone *z = &zones[ZONE_HIGHMEM];

	if (max_pfn == max_low_pfn) {
		EXPECT_EQ(t, z->spanned_pages, 0);
		EXPECT_EQ(t, z->present_pages, 0);
		return;
	}
	EXPECT_EQ(t, z->zone_start_pfn, max_low_pfn);
	EXPECT_EQ(t, zone_end_pfn(z), max_pfn);
}

static const unsigned long boundary_pfns[] = {
	0, 0xfff, 0x1000, 0x37fff, 0x38000, 0xfffff, 0x100000,
};

static void pfn_to_page_round_trips_at_boundaries(struct ktest *t)
{
	unsigned long extra[] = { max_low_pfn - 1, max_low_pfn, max_pfn - 1 };

	for (unsigned i = 0; i < ARRAY_SIZE(boundary_pfns); i++)
		if (boundary_pfns[i] < max_pfn)
			EXPECT_EQ(t, page_to_pfn(pfn_to_page(boundary_pfns[i])), boundary_pfns[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(extra); i++)
		if (extra[i] < max_pfn)
			EXPECT_EQ(t, page_to_pfn(pfn_to_page(extra[i])), extra[i]);
}

static void zone_and_highmem_follow_the_pfn(struct ktest *t)
{
	EXPECT_PTR_EQ(t, page_zone(pfn_to_page(0xfff)), &zones[ZONE_DMA]);
	EXPECT_PTR_EQ(t, page_zone(pfn_to_page(0x1000)), &zones[ZONE_NORMAL]);
	EXPECT_PTR_EQ(t, page_zone(pfn_to_page(max_low_pfn - 1)), &zones[ZONE_NORMAL]);
	EXPECT_FALSE(t, PageHighMem(pfn_to_page(max_low_pfn - 1)));
	if (max_pfn > max_low_pfn) {
		EXPECT_PTR_EQ(t, page_zone(pfn_to_page(max_low_pfn)), &zones[ZONE_HIGHMEM]);
		EXPECT_TRUE(t, PageHighMem(pfn_to_page(max_low_pfn)));
		EXPECT_TRUE(t, PageHighMem(pfn_to_page(max_pfn - 1)));
	}
}

static void page_to_phys_above_4g_is_64bit(struct ktest *t)
{
	struct page *p;

	if (max_pfn <= PFN_4G)
		KTEST_SKIP(t, "no RAM above 4 GiB at this -m and CPU");
	p = pfn_to_page(max_pfn - 1);
	EXPECT_GE(t, page_to_phys(p), 1ULL << 32);
	EXPECT_EQ(t, page_to_phys(p), (u64)(max_pfn - 1) << PAGE_SHIFT);
	EXPECT_EQ(t, page_to_phys(pfn_to_page(PFN_4G)), 1ULL << 32);
}

static void page_address_is_direct_map_for_lowmem_only(struct ktest *t)
{
	struct page *p = pfn_to_page(0x1000);

	EXPECT_PTR_EQ(t, page_address(p), (void *)(PAGE_OFFSET + 0x1000000));
	EXPECT_PTR_EQ(t, virt_to_page(page_address(p)), p);
	EXPECT_PTR_EQ(t, page_address(pfn_to_page(max_low_pfn - 1)),
		      (void *)(high_memory - PAGE_SIZE));
	if (max_pfn > max_low_pfn)
		EXPECT_PTR_EQ(t, page_address(pfn_to_page(max_low_pfn)), NULL);
}

static void struct_page_is_at_most_16_bytes(struct ktest *t)
{
	EXPECT_LE(t, sizeof(struct page), 16);
}

KTEST_SUITE(memmap,
	KTEST_CASE(usable_ranges_are_memblock_memory),
	KTEST_CASE(max_pfn_is_end_of_highest_usable_range),
	KTEST_CASE(max_low_pfn_is_min_of_max_pfn_and_896m),
	KTEST_CASE(ram_above_4g_is_present),
	KTEST_CASE(holes_have_reserved_struct_pages),
	KTEST_CASE(boot_allocations_have_reserved_struct_pages),
	KTEST_CASE(dma_zone_is_below_16m),
	KTEST_CASE(normal_zone_ends_at_max_low_pfn),
	KTEST_CASE(highmem_zone_spans_to_max_pfn),
	KTEST_CASE(pfn_to_page_round_trips_at_boundaries),
	KTEST_CASE(zone_and_highmem_follow_the_pfn),
	KTEST_CASE(page_to_phys_above_4g_is_64bit),
	KTEST_CASE(page_address_is_direct_map_for_lowmem_only),
	KTEST_CASE(struct_page_is_at_most_16_bytes));
