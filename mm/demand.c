/* SPDX-License-Identifier: MIT */
/*
 * demand.c - the demand-filled region (see demand.h for what it is for).
 *
 * Rule enforced: the handler sleeps only when the faulting context could:
 * mm/fault.c calls demand_fault() only when !faulthandler_disabled(), and
 * demand_fault() re-enables interrupts only if the faulting code had them
 * on. might_sleep() would catch any other caller.
 */
#include "mm/demand.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"
#include "mm/extable.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "arch/x86/traps.h"
#include "arch/x86/tlb.h"

struct demand_stats demand_stats;
static pte_t *demand_pt;
static DEFINE_SPINLOCK(demand_lock);


void demand_init(void)
{
	unsigned long pt = __get_free_pages(GFP_KERNEL | __GFP_ZERO, 0);

	if (!pt)
		panic("demand: no page for the region's page table");
	demand_pt = (pte_t *)pt;
	set_pmd(&kernel_pmd[pmd_index(DEMAND_START)],
		(pmd_t){ __pa(pt) | _KERNPG_TABLE });
}

bool demand_fault(struct pt_regs *regs, unsigned long error_code, unsigned long address)
{
	unsigned long base = address & PAGE_MASK;
	pte_t *ptep;
	struct page *page;
	u32 *p;

	if (address < DEMAND_START || address >= DEMAND_END || (error_code & X86_PF_PROT))
		return false;
	if (regs->flags & X86_EFLAGS_IF)
		local_irq_enable();
	might_sleep();

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return false;
	/* "Read" the contents: the wait is a real sleep; others run. */
	__atomic_fetch_add(&demand_stats.sleeps, 1, __ATOMIC_RELAXED);
	msleep(DEMAND_FILL_MS);
	p = page_address(page);
	for (unsigned i = 0; i < PAGE_SIZE / 4; i++)
		p[i] = demand_pattern(base - DEMAND_START + i * 4);

	ptep = demand_pt + pte_index(base);
	spin_lock(&demand_lock);
	if (pte_present(ptep_get(ptep))) {
		/* another task filled it while we slept */
		spin_unlock(&demand_lock);
		__free_page(page);
	} else {
		/* not present before, so no TLB holds it: no flush */
		set_pte(ptep, pfn_pte(page_to_pfn(page), PAGE_KERNEL));
		demand_stats.fills++;
		spin_unlock(&demand_lock);
	}
	local_irq_disable();
	return true;
}

unsigned long copy_from_demand(void *to, const void *from, unsigned long n)
{
	/* rep movsb is restartable: after a filled fault it resumes with
	 * the registers it had; after a fixup ecx holds what was left. */
	__asm__ __volatile__(
		"1:	rep movsb\n"
		"2:\n"
		_ASM_EXTABLE(1b, 2b)
		: "+c"(n), "+D"(to), "+S"(from)
		:
		: "memory");
	if (n)
		__atomic_fetch_add(&demand_stats.fixups, 1, __ATOMIC_RELAXED);
	return n;
}

unsigned long demand_filled_pages(void)
{
	unsigned long n = 0;

	spin_lock(&demand_lock);
	for (int i = 0; i < PTRS_PER_PTE; i++)
		n += pte_present(ptep_get(&demand_pt[i]));
	spin_unlock(&demand_lock);
	return n;
}

void demand_reset(void)
{
	static unsigned long pfns[PTRS_PER_PTE];
	int n = 0;

	spin_lock(&demand_lock);
	for (int i = 0; i < PTRS_PER_PTE; i++) {
		pte_t pte = ptep_get(&demand_pt[i]);

		if (pte_present(pte)) {
			pte_clear(&demand_pt[i]);
			pfns[n++] = pte_pfn(pte);
		}
	}
	/* every CPU forgets the old translations before the pages are reused */
	flush_tlb_kernel_range(DEMAND_START, DEMAND_END);
	for (int i = 0; i < n; i++)
		__free_page(pfn_to_page(pfns[i]));
	spin_unlock(&demand_lock);
}
