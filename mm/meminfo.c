/* SPDX-License-Identifier: MIT */
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
 *
 * MemFree at the end of a run is lower than in the boot report, by about
 * a hundred kB: what the kernel allocated after that report and still
 * holds. meminfo_account() adds it up from its owners (thread stacks,
 * task pages, the page tables of the stack area and of the demand
 * region, demand-filled pages), and the end of the run prints the sum
 * next to the drop: whatever is left over is a leak.
 */
#include "mm/mm_init.h"
#include "mm/page_alloc.h"
#include "mm/demand.h"
#include "mm/vmap_stack.h"
#include "kernel/printk.h"
#include "kernel/sched.h"

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

static unsigned long boot_free_pages;

/* The end of mem_init(): the MemFree of the boot report. */
void meminfo_boot_snapshot(void)
{
	boot_free_pages = nr_free_pages();
}

static void count_task_page(struct task_struct *p, void *arg)
{
	if (p->pid)		/* idle tasks are static; threads have a page */
		(*(unsigned long *)arg)++;
}

void meminfo_account(struct meminfo_account *a)
{
	struct vmap_stack_stats s;
	unsigned long free = nr_free_pages();

	vmap_stack_get_stats(&s);
	a->drop = boot_free_pages > free ? boot_free_pages - free : 0;
	a->live_stacks = s.in_use - s.cached;
	a->cached_stacks = s.cached;
	a->task_pages = 0;
	for_each_task(count_task_page, &a->task_pages);
	a->table_pages = STACK_AREA_PTS + DEMAND_PTS;
	a->demand_pages = demand_filled_pages();
	a->accounted = (a->live_stacks + a->cached_stacks) * STACK_PAGES +
		       a->task_pages + a->table_pages + a->demand_pages;
}

#define KB(pages) ((pages) << (PAGE_SHIFT - 10))

/* After the end-of-run MemFree: why it is lower than at boot. */
void show_meminfo_drop(void)
{
	struct meminfo_account a;
	long left;

	meminfo_account(&a);
	left = (long)KB(a.drop) - (long)KB(a.accounted);
	printk(KERN_INFO "MemFree is %lu kB below the boot report: %lu kB stacks of the %lu threads still alive (init, and the idle thread of each other CPU), %lu kB in %lu freed %s kept for reuse, %lu kB page tables of the stack area and the demand region, %lu kB task pages, %lu kB demand-filled pages; %s%ld kB%s\n",
	       KB(a.drop), KB(a.live_stacks * STACK_PAGES), a.live_stacks,
	       KB(a.cached_stacks * STACK_PAGES), a.cached_stacks,
	       a.cached_stacks == 1 ? "stack" : "stacks", KB(a.table_pages),
	       KB(a.task_pages), KB(a.demand_pages),
	       left ? "" : "all accounted for (", left,
	       left ? " unaccounted: a leak" : " left)");
}
