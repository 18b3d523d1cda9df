/* SPDX-License-Identifier: MIT */
/*
 * tlb.h - keeping every CPU's TLB in step with the kernel page tables.
 *
 * A CPU caches translations; changing a PTE does not change what another
 * CPU's TLB holds. Kernel PTEs here are global (G, with CR4.PGE), and a
 * global entry survives a CR3 reload (SDM vol. 3, 4.10.4.1), so only these
 * remove one:
 *   flush_tlb_one_kernel(va)  INVLPG va                     this CPU
 *   __flush_tlb_all()         CR4.PGE off and on again       this CPU
 *                             (CR3 reload if PGE is off)
 *   flush_tlb_kernel_range()  one of the above on EVERY online CPU, by
 *   flush_tlb_all()           IPI; returns after all have done it
 *
 * flush_tlb_kernel_range(start, end) uses INVLPG per page up to
 * tlb_single_page_flush_ceiling pages (33, Linux's number), a full flush
 * above. It may be called with a spinlock held (kmap_lock) but needs
 * interrupts ON: it waits for the other CPUs' answers.
 */
#ifndef ARCH_X86_TLB_H
#define ARCH_X86_TLB_H

#include "kernel/types.h"
#include "arch/x86/percpu.h"

extern unsigned long tlb_single_page_flush_ceiling;

void flush_tlb_one_kernel(unsigned long addr);
void __flush_tlb_all(void);
void flush_tlb_kernel_range(unsigned long start, unsigned long end);
void flush_tlb_all(void);

struct tlb_stats {
	unsigned long local_single;	/* INVLPGs done on this CPU */
	unsigned long local_full;	/* full flushes done on this CPU */
	unsigned long ipi_sent;		/* flush requests sent to other CPUs */
	unsigned long ipi_received;	/* flush requests run for another CPU */
};
DECLARE_PER_CPU(struct tlb_stats, tlb_stats);

/* Flush requests sent to other CPUs, summed over every CPU. */
unsigned long tlb_flush_ipis_sent(void);

#endif
