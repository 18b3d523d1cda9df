/* SPDX-License-Identifier: MIT */
/*
 * page_alloc_test.c - the buddy allocator: zones chosen by the GFP flags,
 * block alignment, merging, and what happens on a bad free.
 *
 * The highmem sweep takes every free highmem page once (order 0, the way
 * a user of highmem takes it), remembers each in a bitmap of pfns, then
 * frees everything and checks that the free lists are exactly as before:
 * the same number of free blocks at every order. At -m 48G that is 12
 * million pages, so the loop does only what it must per page.
 */
#include "kernel/ktest.h"
#include "mm/highmem.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

extern char _text[];

struct zone_snapshot {
	unsigned long free_pages;
	unsigned long nr_free[MAX_ORDER];
};

static void snapshot(struct zone *z, struct zone_snapshot *s)
{
	unsigned long flags;

	spin_lock_irqsave(&z->lock, flags);
	s->free_pages = z->free_pages;
	for (int o = 0; o < MAX_ORDER; o++)
		s->nr_free[o] = z->free_area[o].nr_free;
	spin_unlock_irqrestore(&z->lock, flags);
}

static void expect_same_free_lists(struct ktest *t, struct zone *z, struct zone_snapshot *before)
{
	struct zone_snapshot now;

	snapshot(z, &now);
	EXPECT_EQ(t, now.free_pages, before->free_pages);
	for (int o = 0; o < MAX_ORDER; o++)
		if (now.nr_free[o] != before->nr_free[o]) {
			KTEST_LOG(t, "zone %s order %d: %lu free blocks, %lu before",
				  z->name, o, now.nr_free[o], before->nr_free[o]);
			EXPECT_EQ(t, now.nr_free[o], before->nr_free[o]);
		}
}

/* Walk every free list of z: each entry is a free block head of that order. */
static bool free_lists_consistent(struct ktest *t, struct zone *z)
{
	unsigned long flags, pages = 0;
	bool ok = true;

	spin_lock_irqsave(&z->lock, flags);
	for (int o = 0; o < MAX_ORDER; o++) {
		struct page *p;
		unsigned long n = 0;

		list_for_each_entry(p, &z->free_area[o].free_list, lru) {
			unsigned long pfn = page_to_pfn(p);

			if (!PageBuddy(p) || buddy_order(p) != (unsigned)o ||
			    (pfn & ((1UL << o) - 1)) || !zone_spans_pfn(z, pfn)) {
				ok = false;
				break;
			}
			n++;
		}
		if (n != z->free_area[o].nr_free)
			ok = false;
		pages += n << o;
	}
	if (pages != z->free_pages)
		ok = false;
	spin_unlock_irqrestore(&z->lock, flags);
	if (!ok)
		KTEST_LOG(t, "zone %s: free lists disagree with their counters", z->name);
	return ok;
}

/* One bit per highmem pfn, from the (lowmem) page allocator itself. */
struct pfn_bitmap {
	unsigned long *bits;
	unsigned int order;
};

static void bitmap_get(struct ktest *t, struct pfn_bitmap *b, unsigned long nbits)
{
	b->order = get_order((nbits + 7) / 8);
	b->bits = (unsigned long *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, b->order);
	ASSERT_PTR_NE(t, b->bits, NULL);
}

static bool test_and_set(unsigned long *bits, unsigned long i)
{
	unsigned long m = 1UL << (i % 32), *w = &bits[i / 32];
	bool was = *w & m;

	*w |= m;
	return was;
}

/*
 * Take highmem pages with GFP_HIGHUSER until one comes from lowmem (the
 * fallback) or none comes at all. Held pages are chained through lru.
 */
struct sweep {
	struct list_head held;
	unsigned long count, twice, not_high;
	struct page *fallback;		/* the first non-highmem page, if any */
};

static void sweep_highmem(struct sweep *s, unsigned long *bits)
{
	INIT_LIST_HEAD(&s->held);
	s->count = s->twice = s->not_high = 0;
	s->fallback = NULL;
	for (;;) {
		struct page *p = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);

		if (!p)
			break;
		if (!PageHighMem(p)) {
			s->fallback = p;
			break;
		}
		if (bits && test_and_set(bits, page_to_pfn(p) - max_low_pfn))
			s->twice++;
		list_add(&p->lru, &s->held);
		s->count++;
	}
}

static void sweep_release(struct sweep *s)
{
	struct page *p, *n;

	list_for_each_entry_safe(p, n, &s->held, lru) {
		list_del(&p->lru);
		__free_page(p);
	}
	if (s->fallback)
		__free_page(s->fallback);
}

static void need_highmem(struct ktest *t)
{
	if (!totalhigh_pages())
		KTEST_SKIP(t, "no highmem: all RAM is below 896 MiB at this -m");
}

/*
 * The full sweep is the expensive part (12 million pages at -m 48G), so it
 * runs once: the first case takes every page and checks what it got; the
 * second frees them and checks the free lists. Run alone, the second case
 * takes its own sweep first.
 */
static struct sweep held_sweep;
static bool held_valid;
static struct zone_snapshot before_sweep;

static void highmem_sweep_gives_every_page_once(struct ktest *t)
{
	struct zone *hz = &zones[ZONE_HIGHMEM];
	struct pfn_bitmap b;
	unsigned long start_free;

	need_highmem(t);
	bitmap_get(t, &b, max_pfn - max_low_pfn);
	snapshot(hz, &before_sweep);
	start_free = nr_free_highpages();
	sweep_highmem(&held_sweep, b.bits);
	held_valid = true;
	free_pages((unsigned long)b.bits, b.order);
	EXPECT_EQ(t, held_sweep.twice, 0);
	EXPECT_EQ(t, held_sweep.count, start_free);
	EXPECT_EQ(t, nr_free_highpages(), 0);
}

static void highmem_sweep_frees_coalesce_to_start(struct ktest *t)
{
	struct zone *hz = &zones[ZONE_HIGHMEM];

	need_highmem(t);
	if (!held_valid) {
		snapshot(hz, &before_sweep);
		sweep_highmem(&held_sweep, NULL);
	}
	held_valid = false;
	ASSERT_GT(t, held_sweep.count, 0);
	sweep_release(&held_sweep);
	expect_same_free_lists(t, hz, &before_sweep);
	EXPECT_TRUE(t, free_lists_consistent(t, hz));
}

static void highuser_prefers_highmem(struct ktest *t)
{
	struct page *p;

	need_highmem(t);
	/* kunmap() is lazy: a page freed after kunmap() can keep its idle
	 * pkmap address until the pool is flushed. Flush, then ask. */
	kmap_flush_unused();
	p = alloc_page(GFP_HIGHUSER);
	ASSERT_PTR_NE(t, p, NULL);
	EXPECT_TRUE(t, PageHighMem(p));
	EXPECT_PTR_EQ(t, page_address(p), NULL);	/* not kmapped: no address */
	__free_page(p);
}

/*
 * Empty the HighMem zone with the largest blocks it has (thousands of
 * calls rather than millions), then ask for one more page.
 */
static void highuser_falls_back_to_lowmem(struct ktest *t)
{
	struct list_head held[MAX_ORDER];	/* one list per order taken */
	struct page *p, *n, *fallback;

	need_highmem(t);
	for (int order = 0; order < MAX_ORDER; order++)
		INIT_LIST_HEAD(&held[order]);
	for (int order = MAX_ORDER - 1; order >= 0; order--)
		while (zones[ZONE_HIGHMEM].free_area[order].nr_free) {
			p = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, order);
			if (!p || !PageHighMem(p)) {
				/* a free highmem block was listed: we must get it */
				EXPECT_PTR_NE(t, p, NULL);
				if (p)
					EXPECT_TRUE(t, PageHighMem(p));
				if (p)
					__free_pages(p, order);
				goto release;
			}
			list_add(&p->lru, &held[order]);
		}
	fallback = alloc_page(GFP_HIGHUSER);
	EXPECT_PTR_NE(t, fallback, NULL);
	if (fallback) {
		EXPECT_FALSE(t, PageHighMem(fallback));
		__free_page(fallback);
	}
release:
	for (int order = 0; order < MAX_ORDER; order++)
		list_for_each_entry_safe(p, n, &held[order], lru) {
			list_del(&p->lru);
			__free_pages(p, order);
		}
}

static void gfp_kernel_never_returns_highmem(struct ktest *t)
{
	struct page *pages[64];

	/* Highmem is free meanwhile, so a wrong zone choice would show. */
	for (int i = 0; i < 64; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, i % 4);
		ASSERT_PTR_NE(t, pages[i], NULL);
		EXPECT_FALSE(t, PageHighMem(pages[i]));
		EXPECT_PTR_NE(t, page_address(pages[i]), NULL);
	}
	for (int i = 0; i < 64; i++)
		__free_pages(pages[i], i % 4);
}

static void gfp_dma_stays_below_16m(struct ktest *t)
{
	struct page *pages[32];

	for (int i = 0; i < 32; i++) {
		pages[i] = alloc_pages(GFP_DMA, i % 3);
		ASSERT_PTR_NE(t, pages[i], NULL);
		EXPECT_LT(t, page_to_phys(pages[i]) + (PAGE_SIZE << (i % 3)), 16ULL << 20);
	}
	for (int i = 0; i < 32; i++)
		__free_pages(pages[i], i % 3);
}

static void high_order_block_is_aligned_and_whole(struct ktest *t)
{
	for (unsigned int order = 1; order < MAX_ORDER; order++) {
		unsigned long before = nr_free_pages(), pfn;
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

		if (!p)
			continue;
		pfn = page_to_pfn(p);
		EXPECT_EQ(t, pfn & ((1UL << order) - 1), 0);
		EXPECT_EQ(t, nr_free_pages(), before - (1UL << order));
		/* No page of the block is still free or reserved, and the block
		 * sits in one zone. */
		for (unsigned long i = 0; i < (1UL << order); i++) {
			struct page *q = pfn_to_page(pfn + i);
			if (PageBuddy(q) || PageReserved(q) || page_zone(q) != page_zone(p)) {
				KTEST_LOG(t, "order %u block at pfn %#lx: page %lu is not part of it",
					  order, pfn, i);
				EXPECT_EQ(t, i, 1UL << order);
				break;
			}
		}
		__free_pages(p, order);
	}
}

static void freeing_buddies_merges_them(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 1);
	struct zone *z;
	unsigned long pfn, nr0;
	bool merged = false;

	ASSERT_PTR_NE(t, p, NULL);
	z = page_zone(p);
	pfn = page_to_pfn(p);
	split_page(p, 1);
	nr0 = z->free_area[0].nr_free;

	__free_page(p);			/* its buddy is still allocated */
	EXPECT_TRUE(t, PageBuddy(p));
	EXPECT_EQ(t, buddy_order(p), 0);
	EXPECT_EQ(t, z->free_area[0].nr_free, nr0 + 1);

	__free_page(p + 1);		/* now both halves are free */
	EXPECT_EQ(t, z->free_area[0].nr_free, nr0);
	for (unsigned int o = 1; o < MAX_ORDER; o++) {
		struct page *head = pfn_to_page(pfn & ~((1UL << o) - 1));
		if (PageBuddy(head) && buddy_order(head) >= o)
			merged = true;
	}
	EXPECT_TRUE(t, merged);
	EXPECT_FALSE(t, PageBuddy(p + 1));
}

static void double_free_is_reported_and_harmless(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	struct zone_snapshot before;
	struct zone *z;
	u64 mark;

	ASSERT_PTR_NE(t, p, NULL);
	z = page_zone(p);
	__free_page(p);
	snapshot(z, &before);
	mark = log_mark();
	ktest_expect(t, "BUG: Bad page state");
	__free_page(p);
	EXPECT_TRUE(t, log_contains(mark, "BUG: Bad page state"));
	EXPECT_TRUE(t, log_contains(mark, "double free"));
	expect_same_free_lists(t, z, &before);
	EXPECT_TRUE(t, free_lists_consistent(t, z));
}

static void freeing_reserved_page_is_reported(struct ktest *t)
{
	struct page *p = virt_to_page(_text);
	struct zone_snapshot before;
	u64 mark;

	ASSERT_TRUE(t, PageReserved(p));
	snapshot(page_zone(p), &before);
	mark = log_mark();
	ktest_expect(t, "BUG: Bad page state");
	__free_page(p);
	EXPECT_TRUE(t, log_contains(mark, "BUG: Bad page state"));
	EXPECT_TRUE(t, log_contains(mark, "PG_reserved"));
	EXPECT_TRUE(t, PageReserved(p));
	expect_same_free_lists(t, page_zone(p), &before);
}

static void freeing_with_bad_order_is_reported(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	u64 mark;

	ASSERT_PTR_NE(t, p, NULL);
	mark = log_mark();
	ktest_expect(t, "BUG: Bad page state");
	__free_pages(p, MAX_ORDER);
	EXPECT_TRUE(t, log_contains(mark, "BUG: Bad page state"));
	EXPECT_EQ(t, page_count(p), 1);		/* still allocated */
	__free_page(p);
}

static void exhausted_zone_returns_null(struct ktest *t)
{
	struct page *held[8];
	int n = 0;

	/* ZONE_DMA is 16 MiB, so at most four 4 MiB blocks. */
	while (n < 8 && (held[n] = alloc_pages(GFP_DMA | __GFP_NOWARN, MAX_ORDER - 1)))
		n++;
	EXPECT_LT(t, n, 5);
	EXPECT_PTR_EQ(t, alloc_pages(GFP_DMA | __GFP_NOWARN, MAX_ORDER - 1), NULL);
	while (n--)
		__free_pages(held[n], MAX_ORDER - 1);
}

static void failed_allocation_is_reported(struct ktest *t)
{
	struct page *held[8];
	int n = 0;
	u64 mark;

	while (n < 8 && (held[n] = alloc_pages(GFP_DMA | __GFP_NOWARN, MAX_ORDER - 1)))
		n++;
	mark = log_mark();
	ktest_expect(t, "page allocation failure: order:10");
	EXPECT_PTR_EQ(t, alloc_pages(GFP_DMA, MAX_ORDER - 1), NULL);
	EXPECT_TRUE(t, log_contains(mark, "page allocation failure: order:10, mode:0x1(__GFP_DMA)"));
	while (n--)
		__free_pages(held[n], MAX_ORDER - 1);
}

/* A caller bug, not a shortage: a WARNING (once per boot), and NULL. */
static void order_beyond_max_is_refused(struct ktest *t)
{
	unsigned long before = nr_free_pages();
	u64 mark = log_mark();

	ktest_expect(t, "alloc_pages");
	EXPECT_PTR_EQ(t, alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER), NULL);
	EXPECT_TRUE(t, log_contains(mark, "WARNING: CPU:"));
	EXPECT_TRUE(t, log_contains(mark, "at mm/page_alloc.c"));
	EXPECT_EQ(t, nr_free_pages(), before);
}

static void gfp_zero_clears_the_page(struct ktest *t)
{
	unsigned long a = __get_free_page(GFP_KERNEL), b;
	const u8 *q;
	bool clean = true;

	ASSERT_NE(t, a, 0);
	memset((void *)a, 0xa5, PAGE_SIZE);
	free_page(a);
	b = get_zeroed_page(GFP_KERNEL);	/* most likely the same page */
	ASSERT_NE(t, b, 0);
	q = (const u8 *)b;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (q[i])
			clean = false;
	EXPECT_TRUE(t, clean);
	free_page(b);
}

/* The cheap zone checks come first: if the zone choice is broken, they
 * report it before the sweeps trip over the consequences. */
KTEST_SUITE(page_alloc,
	KTEST_CASE(gfp_kernel_never_returns_highmem),
	KTEST_CASE(gfp_dma_stays_below_16m),
	KTEST_CASE(highuser_prefers_highmem),
	KTEST_CASE(high_order_block_is_aligned_and_whole),
	KTEST_CASE(freeing_buddies_merges_them),
	KTEST_CASE(double_free_is_reported_and_harmless),
	KTEST_CASE(freeing_reserved_page_is_reported),
	KTEST_CASE(freeing_with_bad_order_is_reported),
	KTEST_CASE(exhausted_zone_returns_null),
	KTEST_CASE(failed_allocation_is_reported),
	KTEST_CASE(order_beyond_max_is_refused),
	KTEST_CASE(gfp_zero_clears_the_page),
	/* the sweeps grow with -m (6 s at 48G under TCG) */
	KTEST_CASE_TIMEOUT(highmem_sweep_gives_every_page_once, 60),
	KTEST_CASE_TIMEOUT(highmem_sweep_frees_coalesce_to_start, 60),
	KTEST_CASE(highuser_falls_back_to_lowmem));
