/* SPDX-License-Identifier: MIT */
/*
 * kmap_demo.c - "demo=kmap": leave one kmap() in place for QEMU's monitor.
 *
 * Once the tests (or test=none) are done, a highmem page is mapped with
 * kmap() and never unmapped, a line of text is written through the mapping,
 * and everything needed to find it again is printed:
 *
 *   demo: kmap(pfn 0xbffd0) = ffc01000, pkmap slot 1
 *   demo: its PTE lives at physical 0x0014b008 and holds 0x80000000bffd0163
 *   demo: QEMU monitor (Ctrl-A C): info mem | x /16c 0xffc01000 | xp /gx 0x14b008 | xp /16c 0xbffd0000
 *
 * From the monitor a student then sees the same bytes through the virtual
 * address (the page tables' view) and through the physical one (RAM above
 * 4 GiB), reads the PTE by hand, and finds the range in `info mem`: the
 * kmap is nothing but one entry in the pkmap page table (docs/qemu-monitor.md
 * walks through it).
 */
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/demo.h"
#include "mm/highmem.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"
#include "mm/memlayout.h"

static bool kmap_demo_wanted;

static bool set_demo(const char *v)
{
	if (!v || strcmp(v, "kmap"))
		return false;	/* named as unknown, like any bad option */
	kmap_demo_wanted = true;
	return true;
}
early_param("demo", set_demo);

void kmap_demo(void)
{
	struct page *page;
	unsigned long pfn, vaddr;
	pte_t *ptep;
	char *text;

	if (!kmap_demo_wanted)
		return;
	page = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
	if (!page || !PageHighMem(page)) {
		printk(KERN_INFO "demo: no highmem page at this -m; nothing to show\n");
		if (page)
			__free_page(page);
		return;
	}
	pfn = page_to_pfn(page);
	text = kmap(page);	/* held for good: the demo is the live mapping */
	vaddr = (unsigned long)text;
	snprintf(text, PAGE_SIZE, "kmaplab: this highmem page is pfn %#lx, mapped at %08lx",
		 pfn, vaddr);
	ptep = lookup_kernel_pte(vaddr);
	printk(KERN_INFO "demo: kmap(pfn %#lx) = %08lx, pkmap slot %lu\n", pfn, vaddr,
	       (vaddr - PKMAP_BASE) >> PAGE_SHIFT);
	printk(KERN_INFO "demo: its PTE lives at physical %#010lx and holds %#018llx\n",
	       __pa(ptep), (unsigned long long)pte_val(*ptep));
	printk(KERN_INFO "demo: QEMU monitor (Ctrl-A C): info mem | x /16c %#lx | xp /gx %#lx | xp /16c %#llx\n",
	       vaddr, __pa(ptep), (unsigned long long)pfn << PAGE_SHIFT);
}
