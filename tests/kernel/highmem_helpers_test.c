/* SPDX-License-Identifier: MIT */
/*
 * highmem_helpers_test.c - memcpy_page() and the other helpers of
 * mm/highmem_helpers.c, byte for byte; and kmap_to_page().
 *
 * Each helper works on a range inside a page whose other bytes are
 * guards: a known pattern that differs from byte to byte, so a copy that
 * is shifted, one byte short or one byte long shows at the range's ends.
 * Afterwards every byte of the page (or of the buffer) is compared: the
 * range must hold exactly what was asked for, and the rest must still be
 * the guard. Ranges include a single byte, a whole page and nothing at
 * all; pages are lowmem and highmem, and the copies go both ways across
 * the boundary. The whole-page helpers write into a lowmem page between
 * two guard pages, so a byte past either end would show too.
 *
 * The pages are set up and read back with kmap_local_page() directly,
 * never with the helpers under test.
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/highmem.h"
#include "mm/kmap_local.h"
#include "mm/page_alloc.h"

/* The guard a byte at offset o holds, and the data a source holds there. */
static u8 guard_byte(size_t o)
{
	return (u8)(0xa5 ^ o ^ (o >> 8));
}

static u8 data_byte(size_t o)
{
	return (u8)(o * 7 + 3);
}

/* Fill a whole page with guard (or data) bytes. */
static void fill_page(struct page *page, bool data)
{
	u8 *va = kmap_local_page(page);

	for (size_t o = 0; o < PAGE_SIZE; o++)
		va[o] = data ? data_byte(o) : guard_byte(o);
	kunmap_local(va);
}

/*
 * What a page (or buffer) must hold after an operation on [off, off+len):
 * want(o - off + from) inside, the guard outside. Returns the first
 * offset that differs, or -1; *got and *wanted say how.
 */
struct expect_range {
	size_t off, len;
	int (*want)(size_t i, const void *arg);	/* the byte for i in 0..len-1 */
	const void *arg;
};

static long first_wrong(const u8 *mem, size_t size, size_t guard_base,
			const struct expect_range *e, u8 *got, u8 *wanted)
{
	for (size_t o = 0; o < size; o++) {
		u8 w = o >= e->off && o < e->off + e->len ?
		       (u8)e->want(o - e->off, e->arg) : guard_byte(o + guard_base);

		if (mem[o] != w) {
			*got = mem[o];
			*wanted = w;
			return (long)o;
		}
	}
	return -1;
}

static long page_first_wrong(struct page *page, const struct expect_range *e,
			     u8 *got, u8 *wanted)
{
	u8 *va = kmap_local_page(page);
	long bad = first_wrong(va, PAGE_SIZE, 0, e, got, wanted);

	kunmap_local(va);
	return bad;
}

/* The wanted bytes: data at an offset, a constant. */
static int want_data(size_t i, const void *arg)
{
	return data_byte(i + *(const size_t *)arg);
}

static int want_value(size_t i, const void *arg)
{
	return *(const int *)arg;
}

static const struct { size_t off, len; } ranges[] = {
	{ 0, 1 }, { 1, 7 }, { 100, 1000 }, { PAGE_SIZE - 1, 1 },
	{ PAGE_SIZE - 9, 9 }, { 0, PAGE_SIZE }, { 123, 0 },
};

/* A lowmem and a highmem page (or skip: the helpers' point is highmem). */
static void two_kinds(struct ktest *t, struct page **pages)
{
	ktest_highpages(t, &pages[1], 1);	/* first: a skip frees nothing */
	pages[0] = alloc_page(GFP_KERNEL);
}

static const char *kind(struct page *page)
{
	return PageHighMem(page) ? "highmem" : "lowmem";
}

static void check_page(struct ktest *t, const char *what, struct page *page,
		       size_t off, size_t len, const struct expect_range *e)
{
	u8 got, wanted;
	long bad = page_first_wrong(page, e, &got, &wanted);

	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__,
			   "%s(%s page, off %zu, len %zu): byte %ld is %#x, not %#x (%s)",
			   what, kind(page), off, len, bad, got, wanted,
			   (size_t)bad >= off && (size_t)bad < off + len ? "inside the range" :
			   "a guard byte outside the range");
}

static void memcpy_to_page_writes_exactly_the_range(struct ktest *t)
{
	static u8 src[PAGE_SIZE];
	struct page *pages[2];
	size_t zero = 0;

	two_kinds(t, pages);
	for (size_t o = 0; o < PAGE_SIZE; o++)
		src[o] = data_byte(o);
	for (int k = 0; k < 2; k++)
		for (unsigned r = 0; r < ARRAY_SIZE(ranges); r++) {
			struct expect_range e = { ranges[r].off, ranges[r].len, want_data, &zero };

			fill_page(pages[k], false);
			memcpy_to_page(pages[k], e.off, src, e.len);
			check_page(t, "memcpy_to_page", pages[k], e.off, e.len, &e);
		}
	__free_page(pages[0]);
	__free_page(pages[1]);
}

#define BUF_GUARD	16

static void memcpy_from_page_reads_exactly_the_range(struct ktest *t)
{
	static u8 buf[PAGE_SIZE + 2 * BUF_GUARD];
	struct page *pages[2];

	two_kinds(t, pages);
	for (int k = 0; k < 2; k++) {
		fill_page(pages[k], true);
		for (unsigned r = 0; r < ARRAY_SIZE(ranges); r++) {
			size_t off = ranges[r].off, len = ranges[r].len;
			/* the buffer: guards around BUF_GUARD + [0, len) */
			struct expect_range e = { BUF_GUARD, len, want_data, &off };
			u8 got, wanted;
			long bad;

			for (size_t o = 0; o < sizeof(buf); o++)
				buf[o] = guard_byte(o);
			memcpy_from_page(buf + BUF_GUARD, pages[k], off, len);
			bad = first_wrong(buf, BUF_GUARD + len + BUF_GUARD, 0, &e, &got, &wanted);
			if (bad >= 0)
				ktest_fail(t, __FILE__, __LINE__,
					   "memcpy_from_page(%s page, off %zu, len %zu): buffer byte %ld is %#x, not %#x (%s)",
					   kind(pages[k]), off, len, bad - BUF_GUARD, got, wanted,
					   bad >= BUF_GUARD && (size_t)bad < BUF_GUARD + len ?
					   "inside the range" : "a guard byte outside the range");
		}
	}
	__free_page(pages[0]);
	__free_page(pages[1]);
}

static void memset_and_memzero_page_fill_exactly_the_range(struct ktest *t)
{
	struct page *pages[2];

	two_kinds(t, pages);
	for (int k = 0; k < 2; k++)
		for (unsigned r = 0; r < ARRAY_SIZE(ranges); r++) {
			int val = 0x3c, zero = 0;
			struct expect_range e = { ranges[r].off, ranges[r].len, want_value, &val };
			struct expect_range z = { ranges[r].off, ranges[r].len, want_value, &zero };

			fill_page(pages[k], false);
			memset_page(pages[k], e.off, val, e.len);
			check_page(t, "memset_page", pages[k], e.off, e.len, &e);
			fill_page(pages[k], false);
			memzero_page(pages[k], z.off, z.len);
			check_page(t, "memzero_page", pages[k], z.off, z.len, &z);
		}
	__free_page(pages[0]);
	__free_page(pages[1]);
}

/* memcpy_page() between every pair of kinds, with different offsets on
 * the two sides (so a copy from the wrong offset shows too). */
static void memcpy_page_copies_exactly_across_the_boundary(struct ktest *t)
{
	static const struct { size_t dst_off, src_off, len; } cp[] = {
		{ 0, 0, 1 }, { 5, 9, 11 }, { 0, 100, 3000 }, { 3000, 0, 1096 },
		{ PAGE_SIZE - 1, 0, 1 }, { 0, PAGE_SIZE - 1, 1 }, { 0, 0, PAGE_SIZE },
		{ 17, 33, 0 },
	};
	struct page *low[2], *high[2];

	ktest_highpages(t, high, 2);
	low[0] = alloc_page(GFP_KERNEL);
	low[1] = alloc_page(GFP_KERNEL);
	for (int pair = 0; pair < 4; pair++) {
		struct page *dst = pair & 1 ? high[0] : low[0];
		struct page *src = pair & 2 ? high[1] : low[1];

		fill_page(src, true);
		for (unsigned c = 0; c < ARRAY_SIZE(cp); c++) {
			size_t so = cp[c].src_off;
			struct expect_range e = { cp[c].dst_off, cp[c].len, want_data, &so };
			u8 got, wanted;
			long bad;

			fill_page(dst, false);
			memcpy_page(dst, cp[c].dst_off, src, so, cp[c].len);
			bad = page_first_wrong(dst, &e, &got, &wanted);
			if (bad >= 0)
				ktest_fail(t, __FILE__, __LINE__,
					   "memcpy_page(%s page + %zu, %s page + %zu, %zu): destination byte %ld is %#x, not %#x",
					   kind(dst), cp[c].dst_off, kind(src), so, cp[c].len,
					   bad, got, wanted);
			/* and the source is left alone */
			e = (struct expect_range){ 0, PAGE_SIZE, want_data, &(size_t){ 0 } };
			EXPECT_EQ(t, page_first_wrong(src, &e, &got, &wanted), -1);
		}
	}
	__free_page(low[0]);
	__free_page(low[1]);
	__free_page(high[0]);
	__free_page(high[1]);
}

/*
 * copy_highpage() and clear_highpage() cover one whole page: into a
 * lowmem page that sits between two guard pages (an order-2 block:
 * guard, target, target, guard), from and to either kind, and in place on
 * a highmem page.
 */
static void check_block_guards(struct ktest *t, const char *what, u8 *block)
{
	for (size_t o = 0; o < PAGE_SIZE; o++) {
		if (block[o] != guard_byte(o) || block[3 * PAGE_SIZE + o] != guard_byte(o)) {
			ktest_fail(t, __FILE__, __LINE__,
				   "%s: the page %s the target changed at byte %zu",
				   what, block[o] != guard_byte(o) ? "before" : "after", o);
			return;
		}
	}
}

static void copy_and_clear_highpage_cover_the_whole_page(struct ktest *t)
{
	struct page *high[2], *block;
	struct expect_range whole = { 0, PAGE_SIZE, want_data, &(size_t){ 0 } };
	int zero = 0;
	struct expect_range cleared = { 0, PAGE_SIZE, want_value, &zero };
	u8 *b, got, wanted;
	long bad;

	ktest_highpages(t, high, 2);
	block = alloc_pages(GFP_KERNEL, 2);
	if (!block) {
		__free_page(high[0]);
		__free_page(high[1]);
		KTEST_SKIP(t, "no free order-2 lowmem block");
	}
	b = lowmem_page_address(block);
	for (size_t o = 0; o < PAGE_SIZE; o++)
		b[o] = b[3 * PAGE_SIZE + o] = guard_byte(o);

	/* highmem -> lowmem (the page after it is the second target) */
	fill_page(high[0], true);
	fill_page(block + 1, false);
	copy_highpage(block + 1, high[0]);
	bad = page_first_wrong(block + 1, &whole, &got, &wanted);
	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__,
			   "copy_highpage(lowmem <- highmem): byte %ld is %#x, not %#x", bad, got, wanted);
	/* lowmem -> lowmem, into the page just before the trailing guard */
	fill_page(block + 2, false);
	copy_highpage(block + 2, block + 1);
	bad = page_first_wrong(block + 2, &whole, &got, &wanted);
	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__,
			   "copy_highpage(lowmem <- lowmem): byte %ld is %#x, not %#x", bad, got, wanted);
	check_block_guards(t, "copy_highpage", b);
	/* lowmem -> highmem, highmem -> highmem */
	fill_page(high[1], false);
	copy_highpage(high[1], block + 2);
	bad = page_first_wrong(high[1], &whole, &got, &wanted);
	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__,
			   "copy_highpage(highmem <- lowmem): byte %ld is %#x, not %#x", bad, got, wanted);
	fill_page(high[0], false);
	copy_highpage(high[0], high[1]);
	bad = page_first_wrong(high[0], &whole, &got, &wanted);
	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__,
			   "copy_highpage(highmem <- highmem): byte %ld is %#x, not %#x", bad, got, wanted);

	/* clear_highpage() on both kinds */
	clear_highpage(block + 1);
	clear_highpage(block + 2);
	check_block_guards(t, "clear_highpage", b);
	clear_highpage(high[0]);
	for (int i = 0; i < 3; i++) {
		struct page *p = i < 2 ? block + 1 + i : high[0];

		bad = page_first_wrong(p, &cleared, &got, &wanted);
		if (bad >= 0)
			ktest_fail(t, __FILE__, __LINE__,
				   "clear_highpage(%s page): byte %ld is %#x", kind(p), bad, got);
	}
	__free_pages(block, 2);
	__free_page(high[0]);
	__free_page(high[1]);
}

/* Each helper maps and unmaps in LIFO order and gives back what it took,
 * also when called with a local map already held (it maps on top). */
static void helpers_leave_the_local_map_stack_as_they_found_it(struct ktest *t)
{
	struct page *pages[2], *outer;
	u64 mark = log_mark();
	u8 small[8];
	void *held;
	int idx, md;

	ktest_highpages(t, pages, 2);
	outer = alloc_page(GFP_KERNEL);
	held = kmap_local_page(pages[1]);	/* the helpers nest on this */
	idx = current->kmap_ctrl.idx;
	md = current->migration_disabled;
	memcpy_page(pages[0], 0, outer, 0, 8);
	memcpy_page(outer, 0, pages[0], 0, 8);
	memcpy_to_page(pages[0], 8, small, sizeof(small));
	memcpy_from_page(small, pages[0], 8, sizeof(small));
	memset_page(pages[0], 16, 1, 8);
	memzero_page(pages[0], 16, 8);
	copy_highpage(pages[0], outer);
	copy_highpage(outer, pages[0]);
	clear_highpage(pages[0]);
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);
	EXPECT_EQ(t, current->migration_disabled, md);
	EXPECT_FALSE(t, log_contains(mark, "WARNING:"));	/* no LIFO report */
	kunmap_local(held);
	__free_page(outer);
	__free_page(pages[0]);
	__free_page(pages[1]);
}

/*
 * kmap_to_page(): the page behind an address from any of the APIs --
 * a kmap() slot, a kmap_local slot (one of several nested), the direct
 * map -- from any byte inside the page. Like Linux it warns once, being
 * slated for removal.
 */
static void kmap_to_page_finds_the_page_behind_every_kind_of_address(struct ktest *t)
{
	struct page *high[3], *low;
	u8 *pk, *l1, *l2;

	ktest_highpages(t, high, 3);
	low = alloc_page(GFP_KERNEL);
	ktest_expect(t, "kmap_to_page");
	pk = kmap(high[0]);
	EXPECT_PTR_EQ(t, kmap_to_page(pk), high[0]);
	EXPECT_PTR_EQ(t, kmap_to_page(pk + PAGE_SIZE - 1), high[0]);
	l1 = kmap_local_page(high[1]);
	l2 = kmap_local_page(high[2]);
	EXPECT_PTR_EQ(t, kmap_to_page(l1 + 100), high[1]);
	EXPECT_PTR_EQ(t, kmap_to_page(l2), high[2]);
	EXPECT_PTR_EQ(t, kmap_to_page(l2 + PAGE_SIZE - 1), high[2]);
	kunmap_local(l2);
	kunmap_local(l1);
	EXPECT_PTR_EQ(t, kmap_to_page(lowmem_page_address(low)), low);
	EXPECT_PTR_EQ(t, kmap_to_page((u8 *)lowmem_page_address(low) + 4095), low);
	EXPECT_PTR_EQ(t, kmap_to_page(kmap(low)), low);	/* kmap() of lowmem */
	kunmap(low);
	kunmap(high[0]);
	kmap_flush_unused();	/* no idle pool alias of a page we free */
	__free_page(low);
	for (int i = 0; i < 3; i++)
		__free_page(high[i]);
}

KTEST_SUITE(highmem_helpers,
	KTEST_CASE(memcpy_to_page_writes_exactly_the_range),
	KTEST_CASE(memcpy_from_page_reads_exactly_the_range),
	KTEST_CASE(memset_and_memzero_page_fill_exactly_the_range),
	KTEST_CASE(memcpy_page_copies_exactly_across_the_boundary),
	KTEST_CASE(copy_and_clear_highpage_cover_the_whole_page),
	KTEST_CASE(helpers_leave_the_local_map_stack_as_they_found_it),
	KTEST_CASE(kmap_to_page_finds_the_page_behind_every_kind_of_address));
