/* SPDX-License-Identifier: MIT */
/*
 * tlb.c - local TLB flushes, and the shootdown that reaches every CPU.
 *
 * A kernel mapping change (a kmap slot reused, a fixmap slot remapped) is
 * only safe once no CPU can still translate through the old PTE. The
 * initiator changes the PTE, then:
 *
 *   CPU 0 (initiator)              CPU 1..n
 *   flush_tlb_kernel_range()
 *     on_each_cpu(flush, wait=1) -> IPI: flush this CPU's entries
 *     flush its own entries          answer (the call record unlocked)
 *     wait for every answer    <-
 *   only now may the old page be reused
 *
 * Rules: the full flush must drop global entries (CR4.PGE toggle, with
 * interrupts off so nothing runs between the two writes with PGE off and
 * reloads a half-flushed TLB); the initiator waits for everyone.
 */
#include "arch/x86/tlb.h"
#include "arch/x86/smp.h"
#include "arch/x86/cpu.h"
#include "kernel/preempt.h"
#include "mm/memlayout.h"
#include "kernel/inject.h"
#include "kernel/trace.h"

/* Linux's default: above 33 pages, one full flush beats 33 INVLPGs. */
unsigned long tlb_single_page_flush_ceiling = 33;

DEFINE_PER_CPU(struct tlb_stats, tlb_stats);

struct flush_tlb_info {
	unsigned long start, end;	/* end == 0: everything */
	int initiator;
};

void flush_tlb_one_kernel(unsigned long addr)
{
	invlpg(addr);
	this_cpu_inc(tlb_stats.local_single);
}

void __flush_tlb_all(void)
{
	unsigned long flags = local_irq_save();
	/* LAB(5) begin flush_global_entries: drop every entry of this CPU's
	 * TLB, the global ones too. Every kernel PTE here has _PAGE_GLOBAL
	 * (the pkmap pool's included), and on hardware a CR3 write keeps
	 * global entries: only turning CR4.PGE off and on again drops them
	 * (read_cr4()/write_cr4(), X86_CR4_PGE in arch/x86/cpu.h). Without
	 * PGE there are no global entries and a CR3 reload is enough.
	 * Interrupts are already off here: keep it so between the writes.
	 * QEMU's TCG drops everything on any CR3 write, so only the Bochs
	 * run of `make grade` can tell the two apart.
	 * stub: /\* naive: a CR3 reload keeps global entries on hardware *\/
	 * stub: write_cr3(read_cr3());
	 */
	u32 cr4 = read_cr4();

	if ((cr4 & X86_CR4_PGE) && !INJECTED(FLUSH_CR3_RELOAD)) {
		/* Clearing PGE invalidates every entry, global ones included
		 * (SDM vol. 3, 4.10.4.1); setting it again re-enables them. */
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
	} else {
		/* No global entries exist without PGE: CR3 is enough. */
		write_cr3(read_cr3());
	}
	/* LAB(5) end */
	this_cpu_inc(tlb_stats.local_full);
	local_irq_restore(flags);
}

static void do_flush_tlb(void *arg)
{
	const struct flush_tlb_info *f = arg;

	if (smp_processor_id() != f->initiator) {
		this_cpu_inc(tlb_stats.ipi_received);
		trace_event(IPI_RECV, f->initiator, 0, 0);
	}
	/* LAB(5) begin do_flush_range: flush what f asks for from this CPU's
	 * TLB: f->end == 0 means everything (__flush_tlb_all()); else each
	 * page of [f->start, f->end) with one INVLPG (flush_tlb_one_kernel()),
	 * the last page included. The tests count both kinds per CPU
	 * (tlb_stats.local_single, local_full).
	 * stub: /\* naive: always everything; right, but never the cheap INVLPG *\/
	 * stub: __flush_tlb_all();
	 */
	if (!f->end) {
		__flush_tlb_all();
		return;
	}
	for (unsigned long va = f->start; va < f->end; va += PAGE_SIZE)
		flush_tlb_one_kernel(va);
	/* LAB(5) end */
}

/* Preemption off throughout, so "the initiator" stays one CPU and the
 * counters say exactly who asked whom (Linux's on_each_cpu does the same). */
static void flush_on_each_cpu(struct flush_tlb_info *f)
{
	/* LAB(5) begin flush_on_each_cpu: run do_flush_tlb(f) on every online CPU
	 * and return only when each one has done it. Stay on one CPU while you
	 * do (get_cpu()/put_cpu()), record it in f->initiator, and count the
	 * IPIs you cause in tlb_stats.ipi_sent: the tests read both. For
	 * `make trace`, also trace_event(IPI_SEND, cpu, 0, 0) once per other
	 * CPU (tools/trace.py --check compares those with the counters).
	 * Hint: arch/x86/smp.h's on_each_cpu(), and what its last argument means.
	 * stub: f->initiator = get_cpu();
	 * stub: do_flush_tlb(f);		/\* this CPU only: the others keep their entries *\/
	 * stub: put_cpu();
	 */
	f->initiator = get_cpu();
	this_cpu_add(tlb_stats.ipi_sent, num_online_cpus() - 1);
	if (trace_active()) {
		int cpu;

		for_each_online_cpu(cpu)
			if (cpu != f->initiator)
				trace_event(IPI_SEND, cpu, 0, 0);
	}
	if (INJECTED(TLB_FLUSH_LOCAL))
		do_flush_tlb(f);	/* the other CPUs keep their entries */
	else
		on_each_cpu(do_flush_tlb, f, 1);
	put_cpu();
	/* LAB(5) end */
}

void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	struct flush_tlb_info f;

	start &= PAGE_MASK;
	end = (end + PAGE_SIZE - 1) & PAGE_MASK;
	if (end <= start)
		return;
	/* LAB(5) begin flush_ceiling: choose between a range (f.start, f.end)
	 * and everything (f.start = f.end = 0). Above
	 * tlb_single_page_flush_ceiling pages, one full flush is cheaper than
	 * that many INVLPGs (Linux's default ceiling: 33); a kmap wrap, 512
	 * pages, must be one full flush on each CPU.
	 * stub: /\* naive: always the range, however long *\/
	 * stub: f.start = start;
	 * stub: f.end = end;
	 */
	if ((end - start) >> PAGE_SHIFT > tlb_single_page_flush_ceiling) {
		f.start = f.end = 0;		/* everything */
	} else {
		f.start = start;
		f.end = end;
	}
	/* LAB(5) end */
	flush_on_each_cpu(&f);
}

void flush_tlb_all(void)
{
	struct flush_tlb_info f = { 0, 0, 0 };

	flush_on_each_cpu(&f);
}

unsigned long tlb_flush_ipis_sent(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(tlb_stats, cpu).ipi_sent;
	return n;
}
