/* SPDX-License-Identifier: MIT */
/*
 * highmem_helpers.c - copying to, from and between pages that may be in
 * highmem, each built on kmap_local_page().
 *
 * These are what new code should call instead of open-coding a map: they
 * keep every access inside one page, and where two pages are mapped at
 * once they unmap in reverse order (LIFO), which is easy to get wrong by
 * hand (see the skcipher and nilfs2 fixes in Linux's history).
 */
#include "mm/highmem.h"
#include "kernel/bug.h"
#include "kernel/inject.h"

/* One page at a time: a highmem mapping covers exactly one page. */
#define CHECK_RANGE(off, len) BUG_ON((off) + (len) > PAGE_SIZE || (off) + (len) < (off))

/* inject=memcpy_page_short: every helper stops one byte early. */
#define LEN(len) ((len) - (INJECTED(MEMCPY_PAGE_SHORT) && (len) ? 1 : 0))

void memcpy_page(struct page *dst, size_t dst_off, struct page *src,
		 size_t src_off, size_t len)
{
	char *d, *s;

	CHECK_RANGE(dst_off, len);
	CHECK_RANGE(src_off, len);
	d = kmap_local_page(dst);
	s = kmap_local_page(src);
	memmove(d + dst_off, s + src_off, LEN(len));
	kunmap_local(s);	/* newest first */
	kunmap_local(d);
}

void memcpy_to_page(struct page *page, size_t off, const void *from, size_t len)
{
	char *to;

	CHECK_RANGE(off, len);
	to = kmap_local_page(page);
	memcpy(to + off, from, LEN(len));
	kunmap_local(to);
}

void memcpy_from_page(void *to, struct page *page, size_t off, size_t len)
{
	char *from;

	CHECK_RANGE(off, len);
	from = kmap_local_page(page);
	memcpy(to, from + off, LEN(len));
	kunmap_local(from);
}

void memset_page(struct page *page, size_t off, int val, size_t len)
{
	char *addr;

	CHECK_RANGE(off, len);
	addr = kmap_local_page(page);
	memset(addr + off, val, LEN(len));
	kunmap_local(addr);
}

void memzero_page(struct page *page, size_t off, size_t len)
{
	memset_page(page, off, 0, len);
}

void copy_highpage(struct page *to, struct page *from)
{
	char *vfrom, *vto;

	vfrom = kmap_local_page(from);
	vto = kmap_local_page(to);
	memcpy(vto, vfrom, LEN(PAGE_SIZE));
	kunmap_local(vto);
	kunmap_local(vfrom);
}

void clear_highpage(struct page *page)
{
	void *kaddr = kmap_local_page(page);

	memset(kaddr, 0, PAGE_SIZE);
	kunmap_local(kaddr);
}
