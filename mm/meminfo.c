/*
 * meminfo.c - the memory summary in /proc/meminfo's format and meanings.
 *
 *   MemTotal   pages the allocator manages (RAM minus what the kernel keeps
 *              for itself at boot: its image, mem_map, page tables, ...)
 *   MemFree    pages on the free lists now
 *   HighTotal / HighFree   the same for ZONE_HIGHMEM
 *   LowTotal / LowFree     MemTotal - HighTotal, MemFree - HighFree
 *
 * Linux prints each as a 16-column label then the kB count right-aligned in
 * 8 columns ("MemTotal:        4104284 kB"); so do we, so that a script
 * written for /proc/meminfo reads this too.
 */
#include "mm/mm_init.h"
#include "mm/page_alloc.h"
#include "kernel/printk.h"

static void show_val_kb(const char *label, unsigned long pages)
{
	printk(KERN_INFO "%-16s%8lu kB\n", label, pages << (PAGE_SHIFT - 10));
}

void show_meminfo(void)
{
	unsigned long total = totalram_pages(), free = nr_free_pages();
	unsigned long high = totalhigh_pages(), highfree = nr_free_highpages();

	show_val_kb("MemTotal:", total);
	show_val_kb("MemFree:", free);
	show_val_kb("HighTotal:", high);
	show_val_kb("HighFree:", highfree);
	show_val_kb("LowTotal:", total - high);
	show_val_kb("LowFree:", free - highfree);
}
