/* SPDX-License-Identifier: MIT */
/*
 * kmap_local.h - per-CPU, per-task temporary mappings of (highmem) pages.
 *
 * kmap_local_page(page) maps a page into one of this CPU's fixmap slots
 * and returns its address; kunmap_local(addr) undoes it. The mapping is
 * private to the calling task: it follows the task across preemption
 * (the context switch saves and restores it) and pins the task to the CPU
 * (migrate_disable) until the unmap. Maps nest and must be undone in
 * reverse order (LIFO). kmap_atomic() is the deprecated variant that also
 * disables preemption and page faults.
 *
 * The map, the unmap and the two context-switch hooks are inline here:
 * they are the whole cost of the API, and a call would be a third of it.
 * Every rule stays checked inline (depth, free slot, LIFO, underflow,
 * IRQ nesting); only the reports are out of line, in kmap_local.c.
 */
#ifndef MM_KMAP_LOCAL_H
#define MM_KMAP_LOCAL_H

#include "kernel/sched.h"
#include "kernel/bug.h"
#include "mm/memlayout.h"
#include "mm/pgtable.h"
#include "kernel/inject.h"
#include "kernel/trace.h"

extern int km_max_idx, km_incr;
extern bool kmap_local_guard;

struct kmap_local_stats {
	unsigned long maps;		/* highmem (or forced) local maps */
	unsigned long invlpgs;		/* kunmap_local()s: an INVLPG each */
	unsigned long sched_out;	/* slots taken off at switch-out */
	unsigned long sched_in;		/* slots put back at switch-in */
	unsigned long irq_imbalance;	/* IRQs that left idx changed */
	unsigned long unwound;		/* maps undone at thread/IRQ exit */
};
DECLARE_PER_CPU(struct kmap_local_stats, kmap_local_stats);

/* This CPU's position 0: its slot PTE and address (kmap_local_init). */
DECLARE_PER_CPU(pte_t *, kmap_local_pte0);
DECLARE_PER_CPU(unsigned long, kmap_local_va0);

/* The slot address of position 'pos' on 'cpu' (for tests and reports). */
static inline unsigned long kmap_local_slot_addr(int cpu, int pos)
{
	return __fix_to_virt(FIX_KMAP_BEGIN + pos + km_max_idx * cpu);
}

/* Check at boot that the slot PTEs form one linear array. */
void kmap_local_init(void);

/* The context-switch hooks with guard slots on (see the inline ones below). */
void kmap_local_sched_out_guarded(struct task_struct *tsk);
void kmap_local_sched_in_guarded(struct task_struct *tsk);

/* A task is exiting with local maps held: report and undo them. */
void kmap_local_exit_check(struct task_struct *p);

/* An interrupt handler returned with maps held: report and undo them. */
void kmap_local_irq_unwind(int idx_on_entry);

/*
 * The reports of the fast path, out of line so that a BUG names
 * mm/kmap_local.c (where the rule is explained) and the inline code stays
 * a test and a jump:
 *   kmap_local_bug_depth()   more than KM_MAX_IDX - 1 nested maps   (BUG)
 *   kmap_local_bug_busy()    the next slot's PTE is not empty       (BUG)
 *   kmap_local_bug_underflow() an unmap with no map left            (BUG)
 *   kmap_local_warn_irq()    push/pop in a hard IRQ with IRQs on    (WARN once)
 *   kunmap_local_lifo_violation()  unmap not of the newest map      (WARN)
 */
__noreturn void kmap_local_bug_depth(void);
__noreturn void kmap_local_bug_busy(void);
__noreturn void kmap_local_bug_underflow(void);
void kmap_local_warn_irq(void);
void kunmap_local_lifo_violation(unsigned long expected, unsigned long passed);

/*
 * ---- the fast path, inlined into every kmap_local_page()/kunmap_local() ----
 *
 * Position 'pos' of the CPU we run on (preemption or migration off):
 *
 *   PTE      kmap_local_pte0 - pos      (the PTE array runs downwards)
 *   address  kmap_local_va0 - pos pages
 */
static __always_inline pte_t *kmap_local_ptep(int pos)
{
	return this_cpu_read(kmap_local_pte0) - pos;
}

static __always_inline unsigned long kmap_local_vaddr(int pos)
{
	return this_cpu_read(kmap_local_va0) - ((unsigned long)pos << PAGE_SHIFT);
}

/*
 * The slot is this CPU's and preemption is off: nobody else writes its
 * PTE, so two plain loads give a stable value (no ptep_get() retry loop).
 */
static __always_inline bool kmap_local_slot_none(const pte_t *ptep)
{
	const volatile u32 *w = (const volatile u32 *)ptep;

	return (w[0] | w[1]) == 0;
}

static __always_inline int kmap_local_idx_push(struct task_struct *tsk)
{
	/* LAB(3) begin kmap_local_idx_push: take the task's next position
	 * Advance tsk->kmap_ctrl.idx by km_incr (1, or 2 with guard slots:
	 * the position in between stays unmapped) and return the position to
	 * map, idx - 1 (with guard slots: the odd one). Linux's order:
	 * advance, then check: at idx >= km_max_idx call kmap_local_bug_depth()
	 * (it takes the push back and says so). First, from a hard IRQ with
	 * interrupts on, kmap_local_warn_irq(): a nested interrupt could push
	 * between our read and our write of idx.
	 * The stub checks the depth after the map it allows, not before:
	 * one map too many fits, and kmap_local_exit_check() then misses it.
	 * stub: int idx = tsk->kmap_ctrl.idx + km_incr;
	 * stub: tsk->kmap_ctrl.idx = idx;
	 * stub: if (unlikely(idx > km_max_idx))	/\* one too far *\/
	 * stub: 	kmap_local_bug_depth();
	 * stub: return idx - 1;
	 */
	int idx;

	/* A hard IRQ handler nests on the interrupted task's stack; a second
	 * interrupt in the middle of push/pop would corrupt it. */
	if (unlikely(in_hardirq()) && !irqs_disabled())
		kmap_local_warn_irq();
	idx = tsk->kmap_ctrl.idx + km_incr;
	tsk->kmap_ctrl.idx = idx;
	if (unlikely(idx >= km_max_idx))
		kmap_local_bug_depth();
	return idx - 1;
	/* LAB(3) end */
}

/* 'idx' is the task's idx as read at the start of the unmap. */
static __always_inline void kmap_local_idx_pop(struct task_struct *tsk, int idx)
{
	/* LAB(3) begin kmap_local_idx_pop: give the newest position back
	 * The exact reverse of the push: idx goes down by km_incr (store it in
	 * tsk->kmap_ctrl.idx), and below 0 is kmap_local_bug_underflow().
	 * (kmap_local_unmap_fast() checks for underflow before it calls you,
	 * so no test sees the check missing from the stub; write it anyway.)
	 * stub: tsk->kmap_ctrl.idx = idx - km_incr;
	 */
	idx -= km_incr;
	tsk->kmap_ctrl.idx = idx;
	if (unlikely(idx < 0))
		kmap_local_bug_underflow();
	/* LAB(3) end */
}

/*
 * Map pfn in this task's next position. Migration stays disabled until
 * the unmap (the slot belongs to this CPU). Preemption is off only across
 * push + PTE write + pteval record: a switch in between would find a
 * position whose PTE is set but not yet saved (or the reverse).
 */
static __always_inline void *kmap_local_map_fast(unsigned long pfn, const pgprot_t *prot)
{
	struct task_struct *tsk;
	unsigned long vaddr;
	pte_t pteval, *ptep;
	int pos;

	if (!INJECTED(LOCAL_NO_MIGRATE_DISABLE))
		migrate_disable();
	if (!INJECTED(LOCAL_NO_PREEMPT_WINDOW))
		preempt_disable();
	tsk = current;
	pos = kmap_local_idx_push(tsk);
	ptep = kmap_local_ptep(pos);
	if (unlikely(!kmap_local_slot_none(ptep)))
		kmap_local_bug_busy();
	pteval = pfn_pte(pfn, *prot);	/* read here: nothing to keep across the barriers */
	set_pte(ptep, pteval);
	tsk->kmap_ctrl.pteval[pos] = pteval;
	this_cpu_inc(kmap_local_stats.maps);
	trace_event(LOCAL_MAP, pos, pfn, 0);
	vaddr = kmap_local_vaddr(pos);
	if (!INJECTED(LOCAL_NO_PREEMPT_WINDOW))
		preempt_enable();
	return (void *)vaddr;
}

/*
 * Unmap the newest position. The address must be the newest map's (LIFO).
 * On a violation we report both addresses, then do what Linux does on
 * x86: clear the *top* slot (the younger map, which the caller still
 * uses) and INVLPG the passed address; the older map stays. Undefined
 * behaviour either way -- the report is the point.
 */
static __always_inline void kmap_local_unmap_fast(unsigned long addr)
{
	struct task_struct *tsk;
	int idx, pos;

	preempt_disable();
	tsk = current;
	idx = tsk->kmap_ctrl.idx;
	/* nothing mapped: report before touching any slot or pteval[] */
	if (unlikely(idx < km_incr))
		kmap_local_bug_underflow();
	pos = idx - 1;
	/* LAB(3) begin kunmap_local_lifo: only the newest map may be undone
	 * 'addr' (page aligned) must be the address of position pos, the
	 * newest; if it is not, report both with kunmap_local_lifo_violation()
	 * and go on: what follows undoes the newest position whatever the
	 * caller passed, as x86 Linux does.
	 * The stub checks nothing: an out-of-order unmap goes unreported.
	 * stub: /\* no LIFO check *\/
	 */
	{
		unsigned long top = kmap_local_vaddr(pos);

		if (unlikely(addr != top))
			kunmap_local_lifo_violation(top, addr);
	}
	/* LAB(3) end */
	trace_event(LOCAL_UNMAP, pos, pte_pfn(tsk->kmap_ctrl.pteval[pos]), 0);
	pte_clear(kmap_local_ptep(pos));
	if (!INJECTED(KUNMAP_LOCAL_NO_INVLPG))
		invlpg(addr);	/* this CPU only: the slot is ours alone */
	tsk->kmap_ctrl.pteval[pos] = __pte(0);
	kmap_local_idx_pop(tsk, idx);
	this_cpu_inc(kmap_local_stats.invlpgs);
	preempt_enable();
	if (!INJECTED(LOCAL_NO_MIGRATE_DISABLE))
		migrate_enable();
}

/*
 * ---- the context-switch hooks (kernel/sched.c, only when idx != 0) ----
 *
 * Inline: they run inside every switch of a task that holds maps, and a
 * call with its frame would be a third of their cost. Position i is slot
 * pte0 - i at va0 - i pages on this CPU; its saved PTE is pteval[i].
 *
 * __kmap_local_sched_out: the task is leaving this CPU (rq lock held,
 * IRQs off). Take its maps off the slots and out of this CPU's TLB: a
 * switch here writes no CR3, and a CR3 write would keep global PTEs.
 */
static __always_inline void __kmap_local_sched_out(void)
{
	/* LAB(3) begin kmap_local_sched_out: take current's maps off this CPU
	 * For each position i below current->kmap_ctrl.idx: clear the slot's
	 * PTE (kmap_local_pte0 - i) and INVLPG its address (kmap_local_va0 - i
	 * pages); its PTE stays saved in pteval[i] for the switch-in. A
	 * position whose saved PTE is empty is a bug: WARN_ON_ONCE and skip it.
	 * With guard slots (kmap_local_guard) call
	 * kmap_local_sched_out_guarded(tsk) instead and return. Count the
	 * positions in kmap_local_stats.sched_out and record one
	 * trace_event(LOCAL_SAVE, n, 0, 0).
	 * The stub does nothing: the slots keep the task's pages while the
	 * next task runs on this CPU.
	 * stub: /\* nothing: the maps stay on the CPU *\/
	 */
	struct task_struct *tsk = current;
	const pte_t *saved = tsk->kmap_ctrl.pteval;
	int n = tsk->kmap_ctrl.idx;
	unsigned long va;
	pte_t *ptep;

	if (INJECTED(SWITCH_OUT_NO_CLEAR))
		return;
	if (unlikely(kmap_local_guard)) {
		kmap_local_sched_out_guarded(tsk);
		return;
	}
	ptep = this_cpu_read(kmap_local_pte0);
	va = this_cpu_read(kmap_local_va0);
	if (INJECTED(SWITCH_NEWEST_ONLY) && n > 1) {
		saved += n - 1;
		ptep -= n - 1;
		va -= (n - 1) * PAGE_SIZE;
		n = 1;
	}
	this_cpu_add(kmap_local_stats.sched_out, n);
	trace_event(LOCAL_SAVE, n, 0, 0);
	/* one position per step: the slot PTE and address move down */
	for (; n > 0; n--, saved++, ptep--, va -= PAGE_SIZE) {
		if (WARN_ON_ONCE(pte_none(*saved))) {
			this_cpu_dec(kmap_local_stats.sched_out);
			continue;
		}
		pte_clear(ptep);
		invlpg(va);
	}
	/* LAB(3) end */
}

/*
 * __kmap_local_sched_in: the task is back (IRQs on, preemption still off:
 * the end of the switch). Put its maps back. No flush is needed:
 * sched_out invalidated these slots, and we only make entries present.
 */
static __always_inline void __kmap_local_sched_in(void)
{
	/* LAB(3) begin kmap_local_sched_in: put current's maps back
	 * For each position i below current->kmap_ctrl.idx, set_pte() its
	 * slot (kmap_local_pte0 - i) to the saved pteval[i]; an empty saved
	 * PTE is a bug: WARN_ON_ONCE and skip it. No flush: the switch-out
	 * invalidated these slots. With guard slots call
	 * kmap_local_sched_in_guarded(tsk) instead and return. Count the
	 * positions in kmap_local_stats.sched_in and record one
	 * trace_event(LOCAL_RESTORE, n, 0, 0).
	 * The stub does nothing: a task that comes back finds whatever the
	 * slots hold now.
	 * stub: /\* nothing: the maps are not put back *\/
	 */
	struct task_struct *tsk = current;
	const pte_t *saved = tsk->kmap_ctrl.pteval;
	int n = tsk->kmap_ctrl.idx;
	pte_t *ptep;

	if (INJECTED(SWITCH_IN_NO_RESTORE))
		return;
	if (unlikely(kmap_local_guard)) {
		kmap_local_sched_in_guarded(tsk);
		return;
	}
	ptep = this_cpu_read(kmap_local_pte0);
	if (INJECTED(SWITCH_NEWEST_ONLY) && n > 1) {
		saved += n - 1;
		ptep -= n - 1;
		n = 1;
	}
	this_cpu_add(kmap_local_stats.sched_in, n);
	trace_event(LOCAL_RESTORE, n, 0, 0);
	for (; n > 0; n--, saved++, ptep--) {
		if (WARN_ON_ONCE(pte_none(*saved))) {
			this_cpu_dec(kmap_local_stats.sched_in);
			continue;
		}
		set_pte(ptep, *saved);
	}
	/* LAB(3) end */
}

#endif
