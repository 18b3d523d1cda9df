/* SPDX-License-Identifier: MIT */
/*
 * kmap_local.c - kmap_local_page()/kunmap_local() and kmap_atomic().
 *
 * Each CPU owns km_max_idx fixmap slots; a task's maps are a stack of
 * positions in current->kmap_ctrl, and position i of a task running on
 * CPU c uses slot i + km_max_idx * c:
 *
 *   fixmap (grows down from FIXADDR_TOP)
 *   | FIX_HOLE | CPU0 pos 0 | CPU0 pos 1 | ... | CPU1 pos 0 | ...
 *                 ^ slot 0     ^ slot 1          ^ slot km_max_idx
 *
 * All slot PTEs are one linear array in the fixmap page table, so slot s's
 * PTE is kmap_pte - s (addresses go down as slots go up). Each CPU keeps
 * its own position 0 at hand (kmap_local_pte0, kmap_local_va0, set once
 * at boot), so position i of the running CPU is pte0 - i at va0 - i pages:
 * no multiply by the CPU number on the fast path.
 *
 * The map and unmap themselves are inline (mm/kmap_local.h), so a
 * kmap_local_page() costs no call, and so are the usual context-switch
 * hooks; this file holds the boot-time setup, the hooks for guard slots,
 * the exit and interrupt checks and the reports.
 */
#include "mm/kmap_local.h"
#include "mm/highmem.h"
#include "mm/pgtable.h"
#include "mm/memlayout.h"
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/bug.h"
#include "kernel/panic.h"
#include "kernel/string.h"

/*
 * Boot options, so one build shows both behaviours:
 *   kmap_local.guard=1      guard slots: positions advance by 2, only odd
 *                           ones are mapped, so running off either end of
 *                           a mapped page faults (KM_MAX_IDX 33, KM_INCR 2)
 *   kmap_local.force_map=1  lowmem pages go through slots too, so LIFO and
 *                           one-page-only mistakes show up on lowmem
 *   kmap_atomic.rt=1        kmap_atomic() as PREEMPT_RT does it:
 *                           migrate_disable() instead of preempt_disable()
 */
int km_max_idx = KM_MAX_IDX_NORMAL;
int km_incr = 1;
bool kmap_local_guard;
bool kmap_local_force_map;
bool kmap_atomic_rt;

static bool parse_bool(const char *v, bool *out)
{
	if (v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "y")))
		*out = true;
	else if (v && (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "n")))
		*out = false;
	else
		return false;
	return true;
}

static bool set_guard(const char *v)
{
	if (!parse_bool(v, &kmap_local_guard))
		return false;
	km_max_idx = kmap_local_guard ? KM_MAX_IDX_GUARD : KM_MAX_IDX_NORMAL;
	km_incr = kmap_local_guard ? 2 : 1;
	return true;
}
early_param("kmap_local.guard", set_guard);

static bool set_force_map(const char *v) { return parse_bool(v, &kmap_local_force_map); }
early_param("kmap_local.force_map", set_force_map);

static bool set_atomic_rt(const char *v) { return parse_bool(v, &kmap_atomic_rt); }
early_param("kmap_atomic.rt", set_atomic_rt);

DEFINE_PER_CPU(struct kmap_local_stats, kmap_local_stats);

DEFINE_PER_CPU(pte_t *, kmap_local_pte0);
DEFINE_PER_CPU(unsigned long, kmap_local_va0);

static __always_inline pte_t *kmap_get_pte(void)
{
	return fixmap_pte_base - FIX_KMAP_BEGIN;
}

static __always_inline int kmap_local_calc_idx(int pos)
{
	/* LAB(3) begin kmap_local_calc_idx: position -> slot, on this CPU
	 * Each CPU owns km_max_idx slots in a row (the picture at the top of
	 * this file): position pos of the CPU we run on is slot
	 * pos + km_max_idx * cpu. kmap_local_init() below must agree.
	 * The stub forgets the CPU: every CPU would use CPU 0's slots.
	 * stub: return pos;	/\* the CPU forgotten *\/
	 */
	return pos + km_max_idx * smp_processor_id();
	/* LAB(3) end */
}

static __always_inline unsigned long kmap_slot_vaddr(int slot)
{
	return __fix_to_virt(FIX_KMAP_BEGIN + slot);
}

/* ---- the out-of-line entries (the fast path is in kmap_local.h) ---- */

void *__kmap_local_pfn_prot(unsigned long pfn, pgprot_t prot)
{
	return kmap_local_map_fast(pfn, &prot);
}

void __kunmap_local_slot(unsigned long addr)
{
	kmap_local_unmap_fast(addr);
}

/* ---- what the inline fast path reports (see kmap_local.h) ---- */

/*
 * The three BUGs end in the same "kernel BUG at mm/kmap_local.c" line, so
 * each first says which rule was broken. The map that failed has pushed
 * its position but mapped nothing there: the BUGs of the map side take
 * the push back, so that the stack (and the exit report of the task the
 * oops kills) counts only real maps.
 */

/* idx reached KM_MAX_IDX: at most KM_MAX_IDX - 1 nested maps, as in
 * Linux (about half that with guard slots, which use every other one). */
void kmap_local_bug_depth(void)
{
	struct task_struct *tsk = current;

	tsk->kmap_ctrl.idx -= km_incr;
	pr_err("kmap_local: too many nested maps: %s[%d] already holds %d, the most one task may hold\n",
	       tsk->comm, tsk->pid, tsk->kmap_ctrl.idx / km_incr);
	BUG();
}

/* The next position's PTE is still set: someone else wrote our slot, or
 * an unmap did not clear it. */
void kmap_local_bug_busy(void)
{
	struct task_struct *tsk = current;
	int pos = tsk->kmap_ctrl.idx - 1;

	tsk->kmap_ctrl.idx -= km_incr;
	pr_err("kmap_local: slot busy: position %d of CPU %d (0x%08lx) already has PTE %#llx, which no map of %s[%d] put there\n",
	       pos, smp_processor_id(), kmap_local_vaddr(pos),
	       pte_val(ptep_get(kmap_local_ptep(pos))), tsk->comm, tsk->pid);
	BUG();
}

/* kunmap_local() with nothing mapped. */
void kmap_local_bug_underflow(void)
{
	pr_err("kmap_local: kunmap_local() with nothing mapped: %s[%d] holds no local map to undo\n",
	       current->comm, current->pid);
	BUG();
}

/* Maps in a hard IRQ handler are only safe with interrupts off: a nested
 * interrupt between the push and the PTE write would take the same slot. */
void kmap_local_warn_irq(void)
{
	WARN_ON_ONCE(1);
}

/* What kmap_local_unmap_fast() calls when the address is not the newest. */
void kunmap_local_lifo_violation(unsigned long expected, unsigned long passed)
{
	WARN(1, "kmap_local: unmap out of LIFO order: expected 0x%08lx (the newest map), got 0x%08lx\n",
	     expected, passed);
}

/* kunmap_local() of an address that is not a slot. */
void kunmap_local_nonslot(const void *vaddr)
{
	unsigned long addr = (unsigned long)vaddr;

	if (addr < PAGE_OFFSET)
		WARN(1, "kmap_local: kunmap_local(0x%08lx) of a user address\n", addr);
	else if (kmap_local_force_map)
		WARN(1, "kmap_local: kunmap_local(0x%08lx) of an address outside the slot range 0x%08lx-0x%08lx (force_map is on: every map uses a slot)\n",
		     addr, (unsigned long)__fix_to_virt(FIX_KMAP_END),
		     (unsigned long)__fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE - 1);
}

/*
 * The context-switch hooks with guard slots (kmap_local.guard=1): the even
 * positions are guards, never mapped, and checked to stay so. The usual
 * hooks (no guard slots) are inline in kmap_local.h.
 */
void kmap_local_sched_out_guarded(struct task_struct *tsk)
{
	/* LAB(3) begin kmap_local_sched_out_guarded: switch-out, guard slots on
	 * As __kmap_local_sched_out(), for tsk's positions 0 .. idx - 1, but
	 * the even ones are guards: never mapped, so nothing to take off
	 * (WARN_ON_ONCE if one has a saved PTE or a slot PTE). Clear and
	 * INVLPG the odd ones; count what you took off in
	 * kmap_local_stats.sched_out, and trace_event(LOCAL_SAVE, done, 0, 0).
	 * stub: (void)tsk;	/\* nothing: the maps stay on the CPU *\/
	 */
	pte_t *pte0 = this_cpu_read(kmap_local_pte0);
	unsigned long va0 = this_cpu_read(kmap_local_va0);
	int done = 0;

	for (int i = 0; i < tsk->kmap_ctrl.idx; i++) {
		pte_t pteval = tsk->kmap_ctrl.pteval[i];

		if (!(i & 1)) {
			WARN_ON_ONCE(pte_val(pteval) != 0 || !kmap_local_slot_none(pte0 - i));
			continue;
		}
		if (WARN_ON_ONCE(pte_none(pteval)))
			continue;
		pte_clear(pte0 - i);
		invlpg(va0 - ((unsigned long)i << PAGE_SHIFT));
		done++;
	}
	this_cpu_add(kmap_local_stats.sched_out, done);
	trace_event(LOCAL_SAVE, done, 0, 0);
	/* LAB(3) end */
}

void kmap_local_sched_in_guarded(struct task_struct *tsk)
{
	/* LAB(3) begin kmap_local_sched_in_guarded: switch-in, guard slots on
	 * As __kmap_local_sched_in(), for the odd positions only (WARN_ON_ONCE
	 * if an even one has a saved PTE); count them in
	 * kmap_local_stats.sched_in, and trace_event(LOCAL_RESTORE, done, 0, 0).
	 * stub: (void)tsk;	/\* nothing: the maps are not put back *\/
	 */
	pte_t *pte0 = this_cpu_read(kmap_local_pte0);
	int done = 0;

	for (int i = 0; i < tsk->kmap_ctrl.idx; i++) {
		pte_t pteval = tsk->kmap_ctrl.pteval[i];

		if (!(i & 1)) {
			WARN_ON_ONCE(pte_val(pteval) != 0);
			continue;
		}
		if (WARN_ON_ONCE(pte_none(pteval)))
			continue;
		set_pte(pte0 - i, pteval);
		done++;
	}
	this_cpu_add(kmap_local_stats.sched_in, done);
	trace_event(LOCAL_RESTORE, done, 0, 0);
	/* LAB(3) end */
}

/*
 * One past the highest position p can have mapped. Usually idx; but a
 * push that hit the depth BUG has already advanced idx (Linux's order:
 * advance, then check) to km_max_idx or, with guard slots, beyond it --
 * past the end of pteval[] and of this CPU's slots. A successful push
 * leaves idx at most km_max_idx - 1.
 */
static int kmap_local_top(const struct task_struct *p)
{
	return min(p->kmap_ctrl.idx, km_max_idx - 1);
}

/*
 * Take positions [to, top) off p's stack: clear and INVLPG what they map
 * and give back the migrate_disable() each real map took. With
 * preemption off, so no switch-out/in pair can put a slot back between
 * clearing it and forgetting its saved PTE.
 */
static void kmap_local_unwind(struct task_struct *p, int to)
{
	pte_t *kmap_pte = kmap_get_pte();

	preempt_disable();
	trace_event(LOCAL_UNWIND, to, kmap_local_top(p) - to, 0);
	for (int i = kmap_local_top(p) - 1; i >= to; i--) {
		int slot = kmap_local_calc_idx(i);

		if (!pte_none(p->kmap_ctrl.pteval[i])) {
			pte_clear(kmap_pte - slot);
			invlpg(kmap_slot_vaddr(slot));
			p->migration_disabled--;
			this_cpu_inc(kmap_local_stats.unwound);
		}
		p->kmap_ctrl.pteval[i] = __pte(0);
	}
	p->kmap_ctrl.idx = to;
	preempt_enable_no_resched();
}

void kmap_local_exit_check(struct task_struct *p)
{
	WARN(1, "kmap_local: %s[%d] exits with %d local mapping(s) held\n",
	     p->comm, p->pid, kmap_local_top(p) / km_incr);
	kmap_local_unwind(p, 0);
}

/*
 * From irq_exit(): the handler returned with maps on top of the task's.
 * Report it and take them off, so the interrupted task finds its stack
 * (and its migrate_disable count) as it left them.
 */
void kmap_local_irq_unwind(int idx_on_entry)
{
	struct task_struct *p = current;

	this_cpu_inc(kmap_local_stats.irq_imbalance);
	WARN(1, "kmap_local: interrupt handler left the local map stack at %d (it was %d on entry)\n",
	     p->kmap_ctrl.idx, idx_on_entry);
	if (p->kmap_ctrl.idx > idx_on_entry)
		kmap_local_unwind(p, idx_on_entry);
}

/*
 * kmap_local finds slot s's PTE as kmap_pte - s. That is only right if
 * every slot's PTE sits in one page table, in order: check it against a
 * page-table walk for every slot of every CPU, once, at boot.
 */
void kmap_local_init(void)
{
	pte_t *kmap_pte = kmap_get_pte();

	BUILD_BUG_ON((FIXADDR_TOP & ~(PMD_SIZE - 1)) !=
		     (__fix_to_virt(FIX_KMAP_END) & ~(PMD_SIZE - 1)));
	for (int s = 0; s <= FIX_KMAP_END - FIX_KMAP_BEGIN; s++)
		if (lookup_kernel_pte(kmap_slot_vaddr(s)) != kmap_pte - s)
			panic("kmap_local: the PTE of slot %d is not kmap_pte - %d", s, s);
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		/* LAB(3) begin kmap_local_cpu_base: each CPU's position 0
		 * The fast path finds position i of the CPU it runs on at
		 * kmap_local_pte0 - i, address kmap_local_va0 - i pages: set both
		 * for 'cpu', from its first slot (kmap_local_calc_idx()'s rule,
		 * with 'cpu' for the CPU we run on), kmap_pte and
		 * kmap_slot_vaddr().
		 * The stub forgets the CPU: every CPU gets CPU 0's slots.
		 * stub: per_cpu(kmap_local_pte0, cpu) = kmap_pte;	/\* the CPU forgotten *\/
		 * stub: per_cpu(kmap_local_va0, cpu) = kmap_slot_vaddr(0);
		 */
		per_cpu(kmap_local_pte0, cpu) = kmap_pte - km_max_idx * cpu;
		per_cpu(kmap_local_va0, cpu) = kmap_slot_vaddr(km_max_idx * cpu);
		/* LAB(3) end */
	}
	printk(KERN_INFO "kmap_local: %d slots per CPU (%s), %d CPUs' worth at 0x%08lx-0x%08lx, one linear PTE array\n",
	       km_max_idx, kmap_local_guard ? "guard slots on" : "no guard slots",
	       NR_CPUS, (unsigned long)__fix_to_virt(FIX_KMAP_END),
	       (unsigned long)__fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE);
}
