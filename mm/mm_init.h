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

#endif
