/* SPDX-License-Identifier: MIT */
/*
 * mm_init.h - bringing up the page allocator, and the memory report.
 */
#ifndef MM_MM_INIT_H
#define MM_MM_INIT_H

#include "kernel/types.h"

/*
 * Build mem_map and the zones, give all free memory to the buddy
 * allocator and print the boot report. Call once, after paging_init() and
 * the last memblock allocation: memblock refuses to allocate afterwards.
 */
void mem_init(void);

/*
 * The pieces of the boot report, callable again so tests can check the
 * printed figures against the map:
 *   initmem_report()       "NNNMB HIGHMEM available." ... "  low ram: ..."
 *   zone_ranges_report()   "Zone ranges:" ... "On node 0, zone ..."
 *   mem_init_print_info()  "Memory: NK/NK available (...)"
 */
void initmem_report(void);
void zone_ranges_report(void);
void mem_init_print_info(void);

/* MemTotal/MemFree/HighTotal/HighFree/LowTotal/LowFree in /proc/meminfo's format. */
void show_meminfo(void);

/*
 * Pages the kernel took after the boot report and still holds, by owner
 * (mm/meminfo.c). drop is how far MemFree fell since the boot report;
 * accounted is what the owners hold; the difference is a leak.
 */
struct meminfo_account {
	unsigned long drop;		/* pages */
	unsigned long live_stacks;	/* stacks of threads alive (STACK_PAGES each) */
	unsigned long cached_stacks;	/* freed stacks kept mapped for reuse */
	unsigned long task_pages;	/* one page per live thread */
	unsigned long table_pages;	/* page tables made after the report */
	unsigned long demand_pages;	/* filled pages of the demand region */
	unsigned long accounted;	/* all of the above, in pages */
};
void meminfo_boot_snapshot(void);
void meminfo_account(struct meminfo_account *a);
/* "MemFree is N kB below the boot report: ..." */
void show_meminfo_drop(void);

/* The virtual memory layout banner; once the CPUs are online. */
void print_vm_layout(void);

#endif
