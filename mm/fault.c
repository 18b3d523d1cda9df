/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the page-fault handler (#PF, vector 14).
 *
 * One region is demand-paged: the demand-filled region (mm/demand.h),
 * whose fault handler may sleep while it fills a page. Any other
 * kernel-mode #PF is either expected (an instruction with an __ex_table
 * entry, or a probe from a test) or a bug, reported as Linux reports it:
 *
 *   BUG: unable to handle page fault for address: f8000000
 *   #PF: supervisor read access in kernel mode
 *   #PF: error_code(0x0000) - not-present page
 *   #PF: f8000000 is in: hole between high_memory (f8000000) and VMALLOC_START
 *   *pdpt = 0000000000a3c001 *pde = 0000000000000000
 *   Oops: 0000 [#1] SMP
 *   ...
 *
 * The error code bits (SDM vol. 3, 4.7):
 *
 *   bit  0 P     0 = the page was not present, 1 = a protection violation
 *        1 W/R   0 = read, 1 = write
 *        2 U/S   0 = the access was made in supervisor mode, 1 = user mode
 *        3 RSVD  a reserved bit was set in a paging entry
 *        4 I/D   the access was an instruction fetch (reported with NX)
 *
 * Rule enforced here: CR2 is read first. Exceptions enter through
 * interrupt gates, so no interrupt can slip in before that read, and
 * nothing before it (the entry stub) can fault.
 */
#include "mm/fault.h"
#include "mm/extable.h"
#include "mm/demand.h"
#include "mm/kmap_local.h"
#include "mm/uaccess.h"
#include "mm/memblock.h"
#include "mm/memlayout.h"
#include "mm/pgtable.h"
#include "arch/x86/cpu.h"
#include "arch/x86/traps.h"
#include "kernel/printk.h"
#include "kernel/report.h"

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _edata[];
extern char _bss[], _ebss[];

const char *describe_kernel_address(unsigned long a, char *buf, size_t size)
{
	unsigned long hm = high_memory ? high_memory : PAGE_OFFSET + MAXMEM;

	if (a < PAGE_SIZE)
		snprintf(buf, size, "page 0 (NULL pointer)");
	else if (a < PAGE_OFFSET)
		snprintf(buf, size, "user space");
	else if (a >= (unsigned long)_text && a < (unsigned long)_etext)
		snprintf(buf, size, "kernel text");
	else if (a >= (unsigned long)_rodata && a < (unsigned long)_erodata)
		snprintf(buf, size, "kernel rodata");
	else if (a >= (unsigned long)_data && a < (unsigned long)_edata)
		snprintf(buf, size, "kernel data");
	else if (a >= (unsigned long)_edata && a < (unsigned long)_bss)
		snprintf(buf, size, "kernel symbol table");
	else if (a >= (unsigned long)_bss && a < (unsigned long)_ebss)
		snprintf(buf, size, "kernel bss");
	else if (a < hm)
		snprintf(buf, size, "lowmem direct map");
	else if (a < VMALLOC_START)
		snprintf(buf, size, "hole between high_memory (%08lx) and VMALLOC_START", hm);
	else if (a < VMALLOC_END)
		snprintf(buf, size, "vmalloc");
	else if (a < PKMAP_BASE)
		snprintf(buf, size, "guard pages between vmalloc and pkmap");
	else if (a < PKMAP_END)
		snprintf(buf, size, "pkmap slot %lu", PKMAP_NR(a));
	else if (a < FIXADDR_START)
		snprintf(buf, size, "unused gap between pkmap and the fixmap");
	else {
		unsigned long idx = __virt_to_fix(a);

		if (idx >= FIX_KMAP_BEGIN && idx <= FIX_KMAP_END) {
			unsigned long slot = idx - FIX_KMAP_BEGIN;
			snprintf(buf, size, "fixmap kmap_local slot (CPU %lu, idx %lu)",
				 slot / km_max_idx, slot % km_max_idx);
		} else if (idx == FIX_HOLE) {
			snprintf(buf, size, "fixmap hole (never mapped)");
		} else {
			static const char *const dev[] = {
				[FIX_APIC_BASE] = "FIX_APIC_BASE",
				[FIX_IO_APIC_BASE_0] = "FIX_IO_APIC_BASE_0",
				[FIX_SCRATCH] = "FIX_SCRATCH",
			};
			snprintf(buf, size, "fixmap device slot (%s)",
				 idx < ARRAY_SIZE(dev) && dev[idx] ? dev[idx] : "?");
		}
	}
	return buf;
}

/* Linux's "*pdpt = ... *pde = ... *pte = ..." line. */
static void dump_pagetable(unsigned long address)
{
	u64 pdpte = swapper_pg_dir[pgd_index(address)].pgd;
	pmd_t *pd;
	u64 pde;
	pte_t *pte;

	if (!(pdpte & _PAGE_PRESENT)) {
		printk(KERN_ALERT "*pdpt = %016llx\n", pdpte);
		return;
	}
	pd = (pmd_t *)__va(pdpte & PTE_PFN_MASK);
	pde = pmd_read(&pd[pmd_index(address)]).pmd;
	if (!(pde & _PAGE_PRESENT) || (pde & _PAGE_PSE) || address < PAGE_OFFSET) {
		printk(KERN_ALERT "*pdpt = %016llx *pde = %016llx\n", pdpte, pde);
		return;
	}
	pte = lookup_kernel_pte(address);
	printk(KERN_ALERT "*pdpt = %016llx *pde = %016llx *pte = %016llx\n",
		 pdpte, pde, pte ? pte_val(ptep_get(pte)) : 0ULL);
}

static void show_fault_oops(struct pt_regs *regs, unsigned long error_code,
			    unsigned long address)
{
	char where[96];

	if ((error_code & X86_PF_INSTR) && (error_code & X86_PF_PROT))
		printk(KERN_CRIT "kernel tried to execute NX-protected page - exploit attempt? (uid: 0)\n");
	if (address < PAGE_SIZE && !user_mode(regs))
		printk(KERN_ALERT "BUG: kernel NULL pointer dereference, address: %08lx\n", address);
	else
		printk(KERN_ALERT "BUG: unable to handle page fault for address: %08lx\n", address);
	report_details();	/* the headline is the BUG line */
	printk(KERN_ALERT "#PF: %s %s in %s mode\n",
		 (error_code & X86_PF_USER) ? "user" : "supervisor",
		 (error_code & X86_PF_INSTR) ? "instruction fetch" :
		 (error_code & X86_PF_WRITE) ? "write access" : "read access",
		 user_mode(regs) ? "user" : "kernel");
	printk(KERN_ALERT "#PF: error_code(0x%04lx) - %s\n", error_code,
		 !(error_code & X86_PF_PROT) ? "not-present page" :
		 (error_code & X86_PF_RSVD) ? "reserved bit violation" :
		 (error_code & X86_PF_PK) ? "protection keys violation" :
		 "permissions violation");
	printk(KERN_ALERT "#PF: %08lx is in: %s\n", address,
		 describe_kernel_address(address, where, sizeof(where)));
	dump_pagetable(address);
}

static void page_fault_oops(struct pt_regs *regs, unsigned long error_code,
			    unsigned long address)
{
	unsigned long flags = oops_begin();

	show_fault_oops(regs, error_code, address);
	__die("Oops", regs, error_code);
	oops_end(flags, regs);
}

static void do_kern_addr_fault(struct pt_regs *regs, unsigned long error_code,
			       unsigned long address)
{
	/*
	 * THE FAULT-HANDLING DECISION:
	 *
	 *	faulthandler_disabled()		-> straight to the fixup below
	 *	(pagefault_disable(), kmap_atomic(), any atomic context)
	 *	interrupts off in the faulting	-> the fixup too (kmaplab's rule)
	 *	code
	 *	otherwise			-> may sleep: the demand-filled
	 *					   region is filled and we return
	 *
	 * The first rule is Linux's (do_user_addr_fault()): inside
	 * kmap_atomic() or with pagefault_disable() a fault must never sleep,
	 * so the access fails fast and the caller takes its slow path.
	 *
	 * The second is ours, not Linux's. Linux 6.1 goes on handling a fault
	 * taken with interrupts off: it only leaves them off, and if the
	 * fault then has to sleep, might_sleep() reports the caller. Filling
	 * a page here always sleeps, so instead of a report followed by a
	 * sleep with interrupts off we give the access its fixup, as if
	 * faults were disabled.
	 */
	if (!faulthandler_disabled() && (regs->flags & X86_EFLAGS_IF) &&
	    demand_fault(regs, error_code, address))
		return;
	if (fixup_exception(regs, X86_TRAP_PF, error_code, address))
		return;
	fault_recovery(X86_TRAP_PF, regs, error_code, address);
	page_fault_oops(regs, error_code, address);
}

void exc_page_fault(struct pt_regs *regs)
{
	/* First: any later fault (even in a printk) would overwrite it. */
	unsigned long address = read_cr2();
	unsigned long error_code = trap_error_code(regs);

	/* No user space exists yet, so a ring-3 fault cannot happen; if it
	 * does it is reported like a kernel one. */
	do_kern_addr_fault(regs, error_code, address);
}
