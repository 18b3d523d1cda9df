/* SPDX-License-Identifier: MIT */
/*
 * page_alloc.c - the buddy allocator, one per zone.
 *
 * A free block of 2^k pages starting at pfn p (p a multiple of 2^k) has
 * one buddy: the block at p ^ 2^k. Freeing merges a block with its buddy
 * while the buddy is free and of the same order, so free memory always
 * drifts back into the largest aligned blocks; allocating takes the
 * smallest block that fits and splits it, putting the unused halves back:
 *
 *   order 2 request, only an order-4 block free at pfn 0x40:
 *     [0x40 .................. 16 pages ..................]
 *     [0x40 ..... 8 .....][0x48 ... 8 ...]  -> 0x48 to order 3
 *     [0x40 . 4 .][0x44 4]                  -> 0x44 to order 2
 *     [0x40 . 4 .]                          -> returned
 *
 * Only the first page of a free block carries PG_buddy and the order, so
 * finding whether a buddy is free costs one load. A block never crosses a
 * zone boundary (the buddy test checks the zone span), so the zone of any
 * block is the zone of its first pfn.
 *
 * Rules enforced: every state change happens under the zone's lock with
 * interrupts off; the free-page checks below run before a page joins a
 * free list, so a double free or a freed reserved page is reported
 * ("BUG: Bad page state", as Linux words it) and never reaches the lists.
 */
#include "mm/page_alloc.h"
#include "mm/highmem.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/string.h"
#include "kernel/bug.h"
#include "kernel/sched.h"
#include "arch/x86/traps.h"

#ifndef TAINT_BAD_PAGE
#define TAINT_BAD_PAGE	5	/* 'B', as in Linux */
#endif

struct zone zones[MAX_NR_ZONES] = {
	[ZONE_DMA]	= { .name = "DMA" },
	[ZONE_NORMAL]	= { .name = "Normal" },
	[ZONE_HIGHMEM]	= { .name = "HighMem" },
};

static inline void set_buddy_order(struct page *p, unsigned int order)
{
	p->flags = (p->flags & ~PG_ORDER_MASK) | PG_buddy | (order << PG_ORDER_SHIFT);
}

static inline void clear_buddy(struct page *p)
{
	p->flags &= ~(PG_buddy | PG_ORDER_MASK);
}

static inline void add_to_free_list(struct zone *z, struct page *p, unsigned int order)
{
	set_buddy_order(p, order);
	list_add(&p->lru, &z->free_area[order].free_list);
	z->free_area[order].nr_free++;
}

static inline void del_from_free_list(struct zone *z, struct page *p, unsigned int order)
{
	list_del(&p->lru);
	clear_buddy(p);
	z->free_area[order].nr_free--;
}

/* Merge [pfn, pfn + 2^order) with its free buddies and list it. Zone lock held. */
static void __free_one_page(struct zone *z, unsigned long pfn, unsigned int order)
{
	unsigned long start = z->zone_start_pfn, end = zone_end_pfn(z);

	z->free_pages += 1UL << order;
	while (order < MAX_ORDER - 1) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (buddy_pfn < start || buddy_pfn >= end)
			break;
		buddy = pfn_to_page(buddy_pfn);
		if (!PageBuddy(buddy) || buddy_order(buddy) != order)
			break;
		del_from_free_list(z, buddy, order);
		pfn &= ~(1UL << order);
		order++;
	}
	add_to_free_list(z, pfn_to_page(pfn), order);
}

/* Take a 2^order block off the free lists, splitting a larger one. Zone lock held. */
static struct page *__rmqueue(struct zone *z, unsigned int order)
{
	for (unsigned int o = order; o < MAX_ORDER; o++) {
		struct free_area *area = &z->free_area[o];
		struct page *p;
		unsigned long pfn;

		if (list_empty(&area->free_list))
			continue;
		p = list_first_entry(&area->free_list, struct page, lru);
		del_from_free_list(z, p, o);
		pfn = page_to_pfn(p);
		while (o > order) {
			o--;
			add_to_free_list(z, pfn_to_page(pfn + (1UL << o)), o);
		}
		z->free_pages -= 1UL << order;
		return p;
	}
	return NULL;
}

static const char *current_comm(void)
{
	return current ? current->comm : "(none)";
}

/*
 * Linux's bad_page(): say which page, what state it was in and why it is
 * wrong, with a backtrace to the caller. The page is left as it was (and
 * out of the free lists): a damaged page is leaked rather than reused.
 */
static void bad_page(struct page *page, const char *reason)
{
	unsigned long pfn = page_to_pfn(page);

	report_begin();
	printk(KERN_ALERT "BUG: Bad page state in process %s  pfn:%05lx\n",
	       current_comm(), pfn);
	report_details();
	printk(KERN_ALERT "page:%p refcount:%d zone:%s phys:%#llx\n", (void *)page,
	       page_count(page), zones[pfn_zone_idx(pfn)].name,
	       (unsigned long long)PFN_PHYS(pfn));
	printk(KERN_ALERT "flags: %#x(%s%s)\n", page->flags,
	       PageReserved(page) ? "reserved" : "",
	       PageBuddy(page) ? (PageReserved(page) ? "|buddy" : "buddy") : "");
	printk(KERN_ALERT "page dumped because: %s\n", reason);
	dump_stack();
	add_taint(TAINT_BAD_PAGE);
	report_end();
}

/*
 * Checks on the first page of a block being freed. Linux does the same
 * in free_pages_prepare(); here a failed check also stops the free, so a
 * mistake can never put a page on a free list twice.
 */
static bool free_page_is_bad(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);

	if (order >= MAX_ORDER) {
		bad_page(page, "freed with an order beyond MAX_ORDER-1");
		return true;
	}
	if (pfn & ((1UL << order) - 1)) {
		bad_page(page, "freed block is not aligned to its order");
		return true;
	}
	if (pfn + (1UL << order) > max_pfn ||
	    pfn_zone_idx(pfn) != pfn_zone_idx(pfn + (1UL << order) - 1)) {
		bad_page(page, "freed block lies outside one zone");
		return true;
	}
	if (PageReserved(page)) {
		bad_page(page, "PG_reserved page freed (it was never allocated)");
		return true;
	}
	return false;
}

void __free_pages(struct page *page, unsigned int order)
{
	struct zone *z;
	unsigned long flags;
	int refs;

	if (free_page_is_bad(page, order))
		return;
	refs = __atomic_sub_fetch(&page->_refcount, 1, __ATOMIC_ACQ_REL);
	if (refs > 0)
		return;			/* someone else still holds a reference */
	if (refs < 0) {
		/* It was free already: undo our decrement and leave the lists alone. */
		__atomic_fetch_add(&page->_refcount, 1, __ATOMIC_RELAXED);
		bad_page(page, "page freed while already free (double free)");
		return;
	}
	z = page_zone(page);
	spin_lock_irqsave(&z->lock, flags);
	__free_one_page(z, page_to_pfn(page), order);
	spin_unlock_irqrestore(&z->lock, flags);
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page((void *)addr), order);
}

/* Boot-time release of a block nobody owns yet. */
void free_boot_block(unsigned long pfn, unsigned int order)
{
	struct zone *z = &zones[pfn_zone_idx(pfn)];
	unsigned long flags;

	spin_lock_irqsave(&z->lock, flags);
	z->managed_pages += 1UL << order;
	__free_one_page(z, pfn, order);
	spin_unlock_irqrestore(&z->lock, flags);
}

/* A page just taken off a free list must look free; if not, skip it. */
static bool new_page_is_bad(struct page *page)
{
	if (likely(!PageReserved(page) && page_count(page) == 0 && !PageBuddy(page)))
		return false;
	bad_page(page, "corrupted page found on a free list");
	return true;
}

/* "GFP_KERNEL|__GFP_ZERO": the base mask it contains, then the other bits. */
static const char *gfp_name(gfp_t gfp, char *buf, size_t n)
{
	static const struct { gfp_t v; const char *s; } names[] = {
		{ GFP_HIGHUSER, "GFP_HIGHUSER" }, { GFP_KERNEL, "GFP_KERNEL" },
		{ GFP_ATOMIC, "GFP_ATOMIC" }, { __GFP_DMA, "__GFP_DMA" },
		{ __GFP_HIGHMEM, "__GFP_HIGHMEM" }, { __GFP_ZERO, "__GFP_ZERO" },
		{ __GFP_NOWARN, "__GFP_NOWARN" },
	};
	size_t len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if ((gfp & names[i].v) == names[i].v && len < n) {
			len += snprintf(buf + len, n - len, "%s%s", len ? "|" : "", names[i].s);
			gfp &= ~names[i].v;
		}
	if (!len)
		snprintf(buf, n, "GFP_NOWAIT");
	return buf;
}

static void warn_alloc(gfp_t gfp, unsigned int order)
{
	char name[64];

	report_begin();
	printk(KERN_WARNING "%s: page allocation failure: order:%u, mode:%#x(%s)\n",
	       current_comm(), order, gfp, gfp_name(gfp, name, sizeof(name)));
	report_details();
	dump_stack();
	show_free_areas();
	report_end();
}

/* The highest zone a request may use (Linux's gfp_zone()). */
static int gfp_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_HIGHMEM)
		return ZONE_HIGHMEM;
	return ZONE_NORMAL;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = NULL;

	if (WARN_ONCE(!mem_map, "alloc_pages: called before mem_init()\n"))
		return NULL;
	if (WARN_ON_ONCE(order >= MAX_ORDER))
		return NULL;
	if (WARN_ONCE((gfp & (__GFP_DMA | __GFP_HIGHMEM)) == (__GFP_DMA | __GFP_HIGHMEM),
		      "alloc_pages: __GFP_DMA and __GFP_HIGHMEM together name no zone\n"))
		return NULL;
	for (int zi = gfp_zone(gfp); zi >= ZONE_DMA && !page; zi--) {
		struct zone *z = &zones[zi];
		unsigned long flags;

		spin_lock_irqsave(&z->lock, flags);
		do
			page = __rmqueue(z, order);
		while (page && new_page_is_bad(page));
		spin_unlock_irqrestore(&z->lock, flags);
	}
	if (!page) {
		if (!(gfp & __GFP_NOWARN))
			warn_alloc(gfp, order);
		return NULL;
	}
	set_page_count(page, 1);
	if (gfp & __GFP_ZERO) {
		/* a highmem page has no address of its own: clear it page by
		 * page through a temporary local mapping */
		for (unsigned long i = 0; i < (1UL << order); i++)
			clear_highpage(page + i);
	}
	return page;
}

/*
 * Turn an allocated 2^order block into 2^order independent pages, each
 * with its own reference, so they can be freed one at a time.
 */
void split_page(struct page *page, unsigned int order)
{
	for (unsigned long i = 1; i < (1UL << order); i++)
		set_page_count(page + i, 1);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	/* The caller wants an address, so the page must be direct-mapped. */
	if (WARN_ON_ONCE(gfp & __GFP_HIGHMEM))
		gfp &= ~__GFP_HIGHMEM;
	page = alloc_pages(gfp, order);
	return page ? (unsigned long)lowmem_page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

unsigned long totalram_pages(void)
{
	unsigned long n = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		n += READ_ONCE(zones[i].managed_pages);
	return n;
}

unsigned long totalhigh_pages(void)
{
	return READ_ONCE(zones[ZONE_HIGHMEM].managed_pages);
}

unsigned long nr_free_pages(void)
{
	unsigned long n = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		n += READ_ONCE(zones[i].free_pages);
	return n;
}

unsigned long nr_free_highpages(void)
{
	return READ_ONCE(zones[ZONE_HIGHMEM].free_pages);
}

/* "Node 0 Normal: 3*4kB 1*8kB ... = 12345kB", one line per populated zone. */
void show_free_areas(void)
{
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &zones[i];
		unsigned long nr[MAX_ORDER], total = 0, flags;
		char line[320];
		int len;

		if (!populated_zone(z))
			continue;
		spin_lock_irqsave(&z->lock, flags);
		for (int o = 0; o < MAX_ORDER; o++)
			nr[o] = z->free_area[o].nr_free;
		spin_unlock_irqrestore(&z->lock, flags);
		len = snprintf(line, sizeof(line), "Node 0 %s:", z->name);
		for (int o = 0; o < MAX_ORDER; o++) {
			total += nr[o] << o;
			len += snprintf(line + len, sizeof(line) - len, " %lu*%lukB",
					nr[o], (PAGE_SIZE >> 10) << o);
		}
		printk(KERN_INFO "%s = %lukB\n", line, total * (PAGE_SIZE >> 10));
	}
}
