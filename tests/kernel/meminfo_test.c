/* SPDX-License-Identifier: MIT */
/*
 * meminfo_test.c - the boot report's figures follow from the memory map
 * by Linux's definitions, and the counters behind meminfo agree with the
 * free lists themselves.
 *
 * Expected figures are computed here from fw_map (the firmware's map), then
 * the report functions are run again and their output is searched for the
 * exact line, so a wrong definition or a wrong format both fail.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "arch/x86/cpu.h"
#include "boot/multiboot.h"
#include "mm/mm_init.h"
#include "mm/page_alloc.h"

/* Usable RAM pages from the firmware map in [lo, hi), below the CPU's limit;
 * page 0 is never RAM (Linux gives it to the BIOS). */
static unsigned long map_ram_pages(unsigned long lo, unsigned long hi)
{
	u64 limit = 1ULL << boot_cpu.phys_bits;
	unsigned long n = 0;

	lo = max(lo, 1UL);
	for (int i = 0; i < fw_map_entries; i++) {
		u64 a = ALIGN_UP(fw_map[i].addr, (u64)PAGE_SIZE);
		u64 b = min(ALIGN_DOWN(fw_map[i].addr + fw_map[i].len, (u64)PAGE_SIZE), limit);
		unsigned long s, e;

		if (fw_map[i].type != MULTIBOOT_MEMORY_AVAILABLE || a >= b)
			continue;
		s = max((unsigned long)(a >> PAGE_SHIFT), lo);
		e = min((unsigned long)(b >> PAGE_SHIFT), hi);
		if (s < e)
			n += e - s;
	}
	return n;
}

/* One past the highest usable pfn the CPU can address. */
static unsigned long map_max_pfn(void)
{
	u64 limit = 1ULL << boot_cpu.phys_bits, top = 0;

	for (int i = 0; i < fw_map_entries; i++) {
		u64 a = ALIGN_UP(fw_map[i].addr, (u64)PAGE_SIZE);
		u64 b = min(ALIGN_DOWN(fw_map[i].addr + fw_map[i].len, (u64)PAGE_SIZE), limit);

		if (fw_map[i].type == MULTIBOOT_MEMORY_AVAILABLE && a < b)
			top = max(top, b);
	}
	return (unsigned long)(top >> PAGE_SHIFT);
}

static bool printed(struct ktest *t, void (*report)(void), const char *line)
{
	u64 mark = log_mark();

	report();
	if (log_contains(mark, line))
		return true;
	KTEST_LOG(t, "the report lacks \"%s\"", line);
	return false;
}

static void highmem_mb_follows_from_the_map(struct ktest *t)
{
	unsigned long top = map_max_pfn(), low = min(top, 0x38000UL);
	char line[64];

	snprintf(line, sizeof(line), "] %luMB HIGHMEM available.", (top - low) >> 8);
	EXPECT_TRUE(t, printed(t, initmem_report, line));
	EXPECT_EQ(t, (highend_pfn - highstart_pfn) >> 8, (top - low) >> 8);
}

static void lowmem_mb_follows_from_the_map(struct ktest *t)
{
	char line[64];

	snprintf(line, sizeof(line), "] %luMB LOWMEM available.",
		 min(map_max_pfn(), 0x38000UL) >> 8);
	EXPECT_TRUE(t, printed(t, initmem_report, line));
	EXPECT_EQ(t, max_low_pfn >> 8, min(map_max_pfn(), 0x38000UL) >> 8);
}

/* "Memory: free/physK": physpages is all RAM in the map but page 0. */
static void memory_line_counts_all_ram(struct ktest *t)
{
	char line[64];

	snprintf(line, sizeof(line), "K/%luK available",
		 map_ram_pages(0, map_max_pfn()) << (PAGE_SHIFT - 10));
	EXPECT_TRUE(t, printed(t, mem_init_print_info, line));
}

static void memtotal_is_lowtotal_plus_hightotal(struct ktest *t)
{
	unsigned long low = zones[ZONE_DMA].managed_pages + zones[ZONE_NORMAL].managed_pages;
	char total[48], lowt[48], high[48];
	u64 mark;

	EXPECT_EQ(t, totalram_pages(), low + totalhigh_pages());
	snprintf(total, sizeof(total), "MemTotal:       %8lu kB", totalram_pages() << 2);
	snprintf(lowt, sizeof(lowt), "LowTotal:       %8lu kB", low << 2);
	snprintf(high, sizeof(high), "HighTotal:      %8lu kB", totalhigh_pages() << 2);
	mark = log_mark();
	show_meminfo();
	EXPECT_TRUE(t, log_contains(mark, total));
	EXPECT_TRUE(t, log_contains(mark, lowt));
	EXPECT_TRUE(t, log_contains(mark, high));
}

/* Every counter (per order, per zone, global) equals what the lists hold. */
static void free_counts_match_the_buddy_lists(struct ktest *t)
{
	unsigned long all = 0, high = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &zones[i];
		unsigned long flags, pages = 0;

		spin_lock_irqsave(&z->lock, flags);
		for (int o = 0; o < MAX_ORDER; o++) {
			struct list_head *pos;
			unsigned long n = 0;

			list_for_each(pos, &z->free_area[o].free_list)
				n++;
			EXPECT_EQ(t, n, z->free_area[o].nr_free);
			pages += n << o;
		}
		EXPECT_EQ(t, pages, z->free_pages);
		spin_unlock_irqrestore(&z->lock, flags);
		all += pages;
		if (i == ZONE_HIGHMEM)
			high = pages;
	}
	EXPECT_EQ(t, nr_free_pages(), all);
	EXPECT_EQ(t, nr_free_highpages(), high);
}

/* Nothing at or above 896 MiB is reserved, so all of it is managed. */
static void managed_highmem_is_all_ram_above_max_low_pfn(struct ktest *t)
{
	unsigned long ram = map_ram_pages(max_low_pfn, map_max_pfn());

	EXPECT_EQ(t, zones[ZONE_HIGHMEM].present_pages, ram);
	EXPECT_EQ(t, totalhigh_pages(), ram);
}

/*
 * Since the boot report MemFree has only fallen by what known owners hold
 * (thread stacks, cached stacks, task pages, the page tables made after
 * the report, demand-filled pages, the runner's page for this case):
 * anything more is a leak, in the kernel or in a test that ran before
 * this one.
 */
static void memfree_drop_since_boot_is_all_accounted_for(struct ktest *t)
{
	struct meminfo_account a;

	meminfo_account(&a);
	EXPECT_GE(t, a.live_stacks, 2);		/* init and this case */
	EXPECT_GE(t, a.task_pages, 2);
	EXPECT_EQ(t, a.table_pages, 5);		/* 4 for the stack area, 1 demand */
	/* ... and the page the test runner keeps this case's context in */
	EXPECT_EQ(t, a.drop, a.accounted + ktest_case_pages());
}

KTEST_SUITE(meminfo,
	KTEST_CASE(highmem_mb_follows_from_the_map),
	KTEST_CASE(lowmem_mb_follows_from_the_map),
	KTEST_CASE(memory_line_counts_all_ram),
	KTEST_CASE(memtotal_is_lowtotal_plus_hightotal),
	KTEST_CASE(free_counts_match_the_buddy_lists),
	KTEST_CASE(managed_highmem_is_all_ram_above_max_low_pfn),
	KTEST_CASE(memfree_drop_since_boot_is_all_accounted_for));
