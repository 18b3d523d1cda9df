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
 * PTE is kmap_pte - s (addresses go down as slots go up).
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

static __always_inline pte_t *kmap_get_pte(void)
{
	return fixmap_pte_base - FIX_KMAP_BEGIN;
}

static __always_inline int kmap_local_calc_idx(int pos)
{
	return pos + km_max_idx * smp_processor_id();
}

static __always_inline unsigned long kmap_slot_vaddr(int slot)
{
	return __fix_to_virt(FIX_KMAP_BEGIN + slot);
}

static __always_inline bool is_guard_pos(int pos)
{
	return kmap_local_guard && !(pos & 1);
}

/* ---- the position stack (per task) ---- */

static __always_inline int kmap_local_idx_push(void)
{
	struct task_struct *tsk = current;

	/* A hard IRQ handler nests on the interrupted task's stack; a second
	 * interrupt in the middle of push/pop would corrupt it. */
	if (unlikely(in_hardirq()))
		WARN_ON_ONCE(!irqs_disabled());
	tsk->kmap_ctrl.idx += km_incr;
	BUG_ON(tsk->kmap_ctrl.idx >= km_max_idx);
	return tsk->kmap_ctrl.idx - 1;
}

static __always_inline int kmap_local_idx(void)
{
	return current->kmap_ctrl.idx - 1;
}

static __always_inline void kmap_local_idx_pop(void)
{
	struct task_struct *tsk = current;

	tsk->kmap_ctrl.idx -= km_incr;
	BUG_ON(tsk->kmap_ctrl.idx < 0);
}

/*
 * Map pfn in this task's next position. Migration stays disabled until
 * the unmap (the slot belongs to this CPU). Preemption is off only across
 * push + PTE write + pteval record: a switch in between would find a
 * position whose PTE is set but not yet saved (or the reverse).
 */
void *__kmap_local_pfn_prot(unsigned long pfn, pgprot_t prot)
{
	pte_t *kmap_pte = kmap_get_pte();
	pte_t pteval;
	int pos, slot;

	migrate_disable();
	preempt_disable();
	pos = kmap_local_idx_push();
	slot = kmap_local_calc_idx(pos);
	BUG_ON(!pte_none(ptep_get(kmap_pte - slot)));
	pteval = pfn_pte(pfn, prot);
	set_pte(kmap_pte - slot, pteval);
	current->kmap_ctrl.pteval[pos] = pteval;
	this_cpu_inc(kmap_local_stats.maps);
	preempt_enable();
	return (void *)kmap_slot_vaddr(slot);
}

static void kunmap_local_lifo_violation(unsigned long expected, unsigned long passed)
{
	WARN(1, "kmap_local: unmap out of LIFO order: expected 0x%08lx (the newest map), got 0x%08lx\n",
	     expected, passed);
}

/*
 * Unmap the newest position. The address must be the newest map's (LIFO).
 * On a violation we report both addresses, then do what Linux does on
 * x86: clear the *top* slot (the younger map, which the caller still
 * uses) and INVLPG the passed address; the older map stays. Undefined
 * behaviour either way -- the report is the point.
 */
void __kunmap_local_slot(unsigned long addr)
{
	pte_t *kmap_pte = kmap_get_pte();
	unsigned long top;
	int pos, slot;

	preempt_disable();
	pos = kmap_local_idx();
	slot = kmap_local_calc_idx(pos);
	top = kmap_slot_vaddr(slot);
	if (unlikely(addr != top))
		kunmap_local_lifo_violation(top, addr);
	pte_clear(kmap_pte - slot);
	invlpg(addr);		/* this CPU only: the slot is ours alone */
	current->kmap_ctrl.pteval[pos] = __pte(0);
	kmap_local_idx_pop();
	this_cpu_inc(kmap_local_stats.invlpgs);
	preempt_enable();
	migrate_enable();
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
 * The task is leaving this CPU (rq lock held, IRQs off): take its maps
 * off the slots and out of this CPU's TLB. The CR3 load of the switch
 * would not do it: kernel PTEs are global.
 */
void __kmap_local_sched_out(void)
{
	struct task_struct *tsk = current;
	pte_t *kmap_pte = kmap_get_pte();

	for (int i = 0; i < tsk->kmap_ctrl.idx; i++) {
		pte_t pteval = tsk->kmap_ctrl.pteval[i];
		int slot = kmap_local_calc_idx(i);

		if (is_guard_pos(i)) {
			WARN_ON_ONCE(pte_val(pteval) != 0 ||
				     !pte_none(ptep_get(kmap_pte - slot)));
			continue;
		}
		if (WARN_ON_ONCE(pte_none(pteval)))
			continue;
		pte_clear(kmap_pte - slot);
		invlpg(kmap_slot_vaddr(slot));
		this_cpu_inc(kmap_local_stats.sched_out);
	}
}

/* The task is back (IRQs on): put its maps back. No flush is needed:
 * sched_out invalidated these slots, and we only make entries present. */
void __kmap_local_sched_in(void)
{
	struct task_struct *tsk = current;
	pte_t *kmap_pte = kmap_get_pte();

	for (int i = 0; i < tsk->kmap_ctrl.idx; i++) {
		pte_t pteval = tsk->kmap_ctrl.pteval[i];

		if (is_guard_pos(i)) {
			WARN_ON_ONCE(pte_val(pteval) != 0);
			continue;
		}
		if (WARN_ON_ONCE(pte_none(pteval)))
			continue;
		set_pte(kmap_pte - kmap_local_calc_idx(i), pteval);
		this_cpu_inc(kmap_local_stats.sched_in);
	}
}

void kmap_local_exit_check(struct task_struct *p)
{
	pte_t *kmap_pte = kmap_get_pte();

	WARN(1, "kmap_local: %s[%d] exits with %d local mapping(s) held\n",
	     p->comm, p->pid, p->kmap_ctrl.idx / km_incr);
	for (int i = 0; i < p->kmap_ctrl.idx; i++) {
		int slot = kmap_local_calc_idx(i);

		if (!pte_none(p->kmap_ctrl.pteval[i])) {
			pte_clear(kmap_pte - slot);
			invlpg(kmap_slot_vaddr(slot));
		}
		p->kmap_ctrl.pteval[i] = __pte(0);
	}
	p->kmap_ctrl.idx = 0;
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
	printk(KERN_INFO "kmap_local: %d slots per CPU (%s), %d CPUs' worth at 0x%08lx-0x%08lx, one linear PTE array\n",
	       km_max_idx, kmap_local_guard ? "guard slots on" : "no guard slots",
	       NR_CPUS, (unsigned long)__fix_to_virt(FIX_KMAP_END),
	       (unsigned long)__fix_to_virt(FIX_KMAP_BEGIN) + PAGE_SIZE);
}
