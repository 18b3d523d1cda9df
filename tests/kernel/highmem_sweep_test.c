/* SPDX-License-Identifier: MIT */
/*
 * highmem_sweep_test.c - every free highmem page, through kmap_local_page().
 *
 * Takes all free highmem (and, as canaries, all large free lowmem blocks),
 * writes a pattern unique to each page's pfn into every highmem page
 * through a local mapping, reads them all back, and checks that no lowmem
 * canary changed. A mapping that truncated a physical address to 32 bits,
 * or dropped bits above MAXPHYADDR, would alias a page 4 GiB lower and
 * show up as a wrong read-back or a damaged canary.
 *
 * Up to 5 GiB of highmem every page is visited. Above that the sweep is
 * sampled: about 512 blocks spread over all of highmem, a few pages at
 * varying offsets in each. The reason is the host, not the guest: QEMU
 * backs guest RAM with transparent huge pages, so the first touch of any
 * page costs the host 2 MiB of RAM and the time to clear it; touching
 * every page of 48 GiB would need 48 GiB on the host.
 *
 * The suite is long, so "test=all" leaves it out: the matrix runs it in
 * configurations of its own (test=highmem_sweep).
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "mm/highmem.h"
#include "mm/page_alloc.h"

struct block {
	struct page *page;
	unsigned int order;
};

struct blocks {
	struct block *b;
	unsigned long n, cap;
};

static void take_all(struct blocks *bl, gfp_t gfp)
{
	for (int order = MAX_ORDER - 1; order >= 0; order--) {
		struct page *p;

		while (bl->n < bl->cap &&
		       (p = alloc_pages(gfp | __GFP_NOWARN, order))) {
			if ((gfp & __GFP_HIGHMEM) && !PageHighMem(p)) {
				__free_pages(p, order);	/* highmem is used up */
				break;
			}
			bl->b[bl->n++] = (struct block){ p, order };
		}
	}
}

static void give_back(struct blocks *bl)
{
	while (bl->n) {
		bl->n--;
		__free_pages(bl->b[bl->n].page, bl->b[bl->n].order);
	}
}

static u32 pattern(unsigned long pfn)
{
	return 0x5eed0000u ^ (u32)pfn * 2654435761u;
}

#define ARRAY_ORDER 6	/* 256 KiB of block records: 32768 blocks */

static void every_free_highmem_page_round_trips_without_aliasing(struct ktest *t)
{
	struct blocks high = { 0 }, low = { 0 };
	unsigned long visited = 0, above_4g = 0, bad = 0, canary_bad = 0, bstride;
	bool sampled;

	if (!totalhigh_pages())
		KTEST_SKIP(t, "no highmem at this -m");
	sampled = totalhigh_pages() > (5UL << 18);	/* above 5 GiB */
	high.b = (void *)__get_free_pages(GFP_KERNEL, ARRAY_ORDER);
	low.b = (void *)__get_free_pages(GFP_KERNEL, ARRAY_ORDER);
	ASSERT_PTR_NE(t, high.b, NULL);
	ASSERT_PTR_NE(t, low.b, NULL);
	high.cap = low.cap = (PAGE_SIZE << ARRAY_ORDER) / sizeof(struct block);

	/* lowmem canaries: the large free blocks, first and last word of
	 * each page (only 4 MiB blocks: leave small ones for everyone else) */
	for (struct page *p; low.n < low.cap &&
	     (p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER - 1));)
		low.b[low.n++] = (struct block){ p, MAX_ORDER - 1 };
	for (unsigned long i = 0; i < low.n; i++)
		for (unsigned long j = 0; j < (1UL << low.b[i].order); j++) {
			u32 *w = lowmem_page_address(low.b[i].page + j);
			w[0] = ~pattern(page_to_pfn(low.b[i].page + j));
			w[1023] = pattern(page_to_pfn(low.b[i].page + j));
		}

	take_all(&high, GFP_HIGHUSER);
	ASSERT_GT(t, high.n, 0);
	bstride = high.n / 512 + 1;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned long i = 0; i < high.n; i++) {
			unsigned long npages = 1UL << high.b[i].order;

			if (sampled && i % bstride)
				continue;
			for (unsigned long j = 0; j < npages; j++) {
				struct page *pg = high.b[i].page + j;
				unsigned long pfn = page_to_pfn(pg);
				u32 *va;

				/* sampled: a few pages in the block's first 2 MiB */
				if (sampled && (j >= 512 || j % 97 != i % 97))
					continue;
				va = kmap_local_page(pg);
				if (pass == 0) {
					va[0] = pattern(pfn);
					va[1023] = ~pattern(pfn);
					visited++;
					above_4g += pfn >= MAX_NONPAE_PFN;
				} else if (va[0] != pattern(pfn) || va[1023] != ~pattern(pfn)) {
					bad++;
				}
				kunmap_local(va);
			}
		}
	}

	for (unsigned long i = 0; i < low.n; i++)
		for (unsigned long j = 0; j < (1UL << low.b[i].order); j++) {
			u32 *w = lowmem_page_address(low.b[i].page + j);
			canary_bad += w[0] != ~pattern(page_to_pfn(low.b[i].page + j)) ||
				      w[1023] != pattern(page_to_pfn(low.b[i].page + j));
		}

	KTEST_LOG(t, "visited %lu of %lu highmem pages%s, %lu above 4 GiB; %lu lowmem canary pages",
		  visited, totalhigh_pages(), sampled ? " (sampled)" : "", above_4g,
		  low.n << (MAX_ORDER - 1));
	EXPECT_EQ(t, bad, 0);
	EXPECT_EQ(t, canary_bad, 0);
	if (!sampled)	/* all of highmem but what others hold right now */
		EXPECT_GE(t, visited + 64, totalhigh_pages());
	if (max_pfn > MAX_NONPAE_PFN)
		EXPECT_GT(t, above_4g, 0);
	give_back(&high);
	give_back(&low);
	free_pages((unsigned long)high.b, ARRAY_ORDER);
	free_pages((unsigned long)low.b, ARRAY_ORDER);
}

KTEST_SUITE_EXPLICIT(highmem_sweep,
	/* every highmem page: grows with -m (9 s at 4G under TCG) */
	KTEST_CASE_TIMEOUT(every_free_highmem_page_round_trips_without_aliasing, 60));
