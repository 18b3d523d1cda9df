/* SPDX-License-Identifier: MIT */
/*
 * page.h - struct page: one small descriptor for every physical page frame.
 *
 * mem_map is a flat array indexed by pfn, covering [0, max_pfn): every
 * frame the machine could hand us, holes included, highmem included. It
 * lives in lowmem (the kernel must reach any page's descriptor by pointer,
 * which is one of the reasons lowmem exists at all), so its size matters:
 * 16 bytes a page keeps 61 GiB of RAM describable in under 250 MiB.
 *
 *   mem_map ---> [pfn 0][pfn 1] ... [max_low_pfn-1][max_low_pfn] ... [max_pfn-1]
 *                |<---- lowmem: page_address() ---->|<-- highmem: needs kmap -->|
 *
 *   struct page (16 bytes)
 *   +--------+-----------+----------------------+
 *   | flags  | _refcount | lru (next, prev)     |
 *   +--------+-----------+----------------------+
 *   flags: PG_reserved, PG_buddy, and the block's order while PG_buddy.
 *
 * No zone field (the zone follows from the pfn) and no 'virtual' field
 * (x86-32 finds the kmap address of a highmem page through a hash).
 *
 * Rules: a page is in exactly one state -
 *   reserved   PG_reserved, never in the allocator (holes, firmware, the
 *              kernel image, boot allocations); _refcount 1;
 *   free       _refcount 0; the first page of each free block has PG_buddy
 *              and its order, and is linked on its zone's free list; the
 *              other pages of the block have no flags;
 *   allocated  _refcount >= 1 on the first page of the block.
 * The accessors are static inline and branch-free where they can be: kmap
 * and kmap_local_page sit on top of them.
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "kernel/list.h"
#include "mm/memlayout.h"
#include "mm/memblock.h"

struct page {
	u32 flags;
	int _refcount;
	struct list_head lru;	/* free list link, or the owner's list */
};

BUILD_BUG_ON(sizeof(struct page) > 16);

#define PG_reserved	(1u << 0)
#define PG_buddy	(1u << 1)
#define PG_ORDER_SHIFT	8	/* bits 8..11: order of a free block */
#define PG_ORDER_MASK	(0xfu << PG_ORDER_SHIFT)

extern struct page *mem_map;

#define PFN_PHYS(pfn)	((phys_addr_t)(pfn) << PAGE_SHIFT)	/* 64-bit, never truncates */
#define PHYS_PFN(pa)	((unsigned long)((pa) >> PAGE_SHIFT))
#define PFN_UP(pa)	((unsigned long)(((pa) + PAGE_SIZE - 1) >> PAGE_SHIFT))
#define PFN_DOWN(pa)	PHYS_PFN(pa)
#define pages_to_mb(n)	((n) >> (20 - PAGE_SHIFT))

static __always_inline struct page *pfn_to_page(unsigned long pfn)
{
	return mem_map + pfn;
}

static __always_inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - mem_map);
}

static __always_inline phys_addr_t page_to_phys(const struct page *page)
{
	return PFN_PHYS(page_to_pfn(page));
}

static __always_inline bool pfn_valid(unsigned long pfn)
{
	return pfn < max_pfn;
}

static __always_inline bool PageHighMem(const struct page *page)
{
	return page_to_pfn(page) >= max_low_pfn;
}

/* The direct-map address of a lowmem page (the caller knows it is lowmem). */
static __always_inline void *lowmem_page_address(const struct page *page)
{
	return (void *)(PAGE_OFFSET + (page_to_pfn(page) << PAGE_SHIFT));
}

/*
 * The kernel virtual address of a page: the direct map for lowmem. A
 * highmem page has an address only while it is kmap()ed: then the pkmap
 * hash (mm/highmem.c) knows it. kmap_local and kmap_atomic addresses are
 * never in the hash: they belong to one task on one CPU.
 */
void *page_address_highmem(const struct page *page);

static __always_inline void *page_address(const struct page *page)
{
	if (unlikely(PageHighMem(page)))
		return page_address_highmem(page);
	return lowmem_page_address(page);
}

/* Only for lowmem (direct-mapped) addresses, like Linux's. */
static __always_inline struct page *virt_to_page(const void *va)
{
	return pfn_to_page(((unsigned long)va - PAGE_OFFSET) >> PAGE_SHIFT);
}

static __always_inline bool virt_addr_valid(const void *va)
{
	unsigned long v = (unsigned long)va;
	return v >= PAGE_OFFSET && v < high_memory;
}

static inline bool PageReserved(const struct page *p) { return p->flags & PG_reserved; }
static inline bool PageBuddy(const struct page *p) { return p->flags & PG_buddy; }
static inline void SetPageReserved(struct page *p) { p->flags |= PG_reserved; }
static inline void ClearPageReserved(struct page *p) { p->flags &= ~PG_reserved; }

/* The order of a free block, from its first page (meaningful only with PG_buddy). */
static inline unsigned int buddy_order(const struct page *p)
{
	return (p->flags & PG_ORDER_MASK) >> PG_ORDER_SHIFT;
}

/* Reference counts: atomic, since any CPU may take or drop a reference. */
static inline int page_count(const struct page *p)
{
	return __atomic_load_n(&p->_refcount, __ATOMIC_RELAXED);
}

static inline void set_page_count(struct page *p, int v)
{
	__atomic_store_n(&p->_refcount, v, __ATOMIC_RELAXED);
}

static inline void get_page(struct page *p)
{
	__atomic_fetch_add(&p->_refcount, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; true when it was the last one. */
static inline bool put_page_testzero(struct page *p)
{
	return __atomic_sub_fetch(&p->_refcount, 1, __ATOMIC_ACQ_REL) == 0;
}

#endif
