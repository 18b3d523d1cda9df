/* SPDX-License-Identifier: MIT */
/*
 * page_alloc.h - zones and the buddy allocator.
 *
 * Physical memory is split into zones by pfn, as on Linux i386:
 *
 *   0        16 MiB                 max_low_pfn (896 MiB)            max_pfn
 *   |  DMA   |        Normal         |            HighMem               |
 *   |<------------- lowmem (direct map) ------------>|<-- kmap only ------>|
 *
 * Each zone runs its own buddy allocator: free blocks of 2^order pages
 * (order 0..MAX_ORDER-1, so up to 4 MiB), each naturally aligned, kept on
 * free_area[order]. A block is split to serve a smaller request and merged
 * with its buddy (pfn ^ (1 << order)) when both are free. Zone boundaries
 * are multiples of the largest block where it matters (16 MiB and 896 MiB),
 * and a block never crosses one, so every block belongs to one zone.
 *
 * Rules enforced: a block never crosses a zone boundary; a request never
 * falls back to a higher zone than its flags allow; freeing a free page,
 * a reserved page, a misaligned block or a bad order is reported as
 * "BUG: Bad page state" and leaves the free lists untouched.
 */
#ifndef MM_PAGE_ALLOC_H
#define MM_PAGE_ALLOC_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"
#include "mm/page.h"
#include "mm/gfp.h"

#define MAX_ORDER		11	/* orders 0 .. MAX_ORDER-1 */
#define MAX_ORDER_NR_PAGES	(1UL << (MAX_ORDER - 1))
#define MAX_DMA_PFN		((16UL << 20) >> PAGE_SHIFT)	/* 0x1000 */

enum zone_type { ZONE_DMA, ZONE_NORMAL, ZONE_HIGHMEM, MAX_NR_ZONES };

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;		/* blocks on free_list */
};

struct zone {
	spinlock_t lock;		/* free_area, free_pages */
	const char *name;
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;	/* end - start, holes included */
	unsigned long present_pages;	/* RAM pages in the span */
	unsigned long managed_pages;	/* pages given to the allocator */
	unsigned long free_pages;	/* pages on the free lists now */
	struct free_area free_area[MAX_ORDER];
};

extern struct zone zones[MAX_NR_ZONES];

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z);
}

static inline bool is_highmem(const struct zone *z)
{
	return z == &zones[ZONE_HIGHMEM];
}

static inline bool populated_zone(const struct zone *z)
{
	return z->present_pages != 0;
}

/* The zone follows from the pfn; pfn 0 (never RAM to us) counts as DMA. */
static __always_inline enum zone_type pfn_zone_idx(unsigned long pfn)
{
	if (pfn >= max_low_pfn)
		return ZONE_HIGHMEM;
	return pfn >= MAX_DMA_PFN ? ZONE_NORMAL : ZONE_DMA;
}

static __always_inline struct zone *page_zone(const struct page *page)
{
	return &zones[pfn_zone_idx(page_to_pfn(page))];
}

struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
void split_page(struct page *page, unsigned int order);
#define alloc_page(gfp)		alloc_pages(gfp, 0)
#define __free_page(page)	__free_pages(page, 0)

/* Lowmem only: the direct-map address of the block, or 0. */
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);
#define __get_free_page(gfp)	__get_free_pages(gfp, 0)
#define free_page(addr)		free_pages(addr, 0)

/* The smallest order whose block holds 'size' bytes. */
static inline unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* Counters, in pages (si_meminfo's sources). */
unsigned long totalram_pages(void);	/* managed, all zones */
unsigned long totalhigh_pages(void);	/* managed, HighMem */
unsigned long nr_free_pages(void);
unsigned long nr_free_highpages(void);

/* Boot: hand the free block [pfn, pfn + 2^order) of one zone to the allocator. */
void free_boot_block(unsigned long pfn, unsigned int order);

/* Print the free lists per zone and order (Linux's show_free_areas style). */
void show_free_areas(void);

#endif
