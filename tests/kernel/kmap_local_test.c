/* SPDX-License-Identifier: MIT */
/*
 * kmap_local_test.c - kmap_local_page()/kunmap_local(): per-CPU slots on a
 * per-task stack, saved and restored by the context switch.
 *
 * Each case names the rule it checks; each fails if the mechanism behind
 * the rule is taken out (no INVLPG on unmap, no restore at switch-in, no
 * migrate_disable, no LIFO check...).
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "mm/highmem.h"
#include "mm/kmap_local.h"
#include "mm/page_alloc.h"
#include "mm/extable.h"
#include "mm/demand.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/smp.h"
#include "arch/x86/hw_watch.h"

/* The first word of a page, written through a map of its own. */
static void put_tag(struct page *page, u32 tag)
{
	u32 *va = kmap_local_page(page);

	*va = tag;
	kunmap_local(va);
}

/* How long a case below waits for a thread it started (each takes ms):
 * past it the thread is reported where it waits, and parked. */
#define LAP_MS	3000

/* Lowmem needs no slot: the direct map comes back, nothing is pinned. */
static void lowmem_page_returns_direct_map_and_pins_nothing(struct ktest *t)
{
	struct page *p;
	void *va;

	if (kmap_local_force_map)
		KTEST_SKIP(t, "kmap_local.force_map=1 sends lowmem through slots");
	p = alloc_page(GFP_KERNEL);	/* after the skip: a skip frees nothing */
	va = kmap_local_page(p);
	EXPECT_PTR_EQ(t, va, lowmem_page_address(p));
	EXPECT_EQ(t, current->kmap_ctrl.idx, 0);
	EXPECT_EQ(t, current->migration_disabled, 0);
	kunmap_local(va);
	__free_page(p);
}

/* A highmem map takes this CPU's next slot, pins the task to the CPU, but
 * leaves it preemptible; the PTE is PAGE_KERNEL (global, NX if we have it). */
static void highmem_map_uses_this_cpus_slot_and_stays_preemptible(struct ktest *t)
{
	struct page *p = ktest_highpage(t);
	int pos0 = current->kmap_ctrl.idx;
	u8 *va = kmap_local_page(p);
	int cpu = smp_processor_id();
	pte_t pte = ptep_get(lookup_kernel_pte((unsigned long)va));

	EXPECT_EQ(t, (unsigned long)va, kmap_local_slot_addr(cpu, pos0 + km_incr - 1));
	EXPECT_EQ(t, current->migration_disabled, 1);
	EXPECT_EQ(t, preempt_count(), 0);
	EXPECT_EQ(t, pte_pfn(pte), page_to_pfn(p));
	EXPECT_EQ(t, pte_val(pte) & ~PTE_PFN_MASK, PAGE_KERNEL.pgprot);
	EXPECT_EQ(t, !!(pte_val(pte) & _PAGE_GLOBAL), boot_cpu.pge_enabled);
	EXPECT_EQ(t, !!(pte_val(pte) & _PAGE_NX), boot_cpu.nx_enabled);
	kunmap_local(va + 123);		/* any address inside the page will do */
	EXPECT_EQ(t, current->kmap_ctrl.idx, pos0);
	EXPECT_EQ(t, current->migration_disabled, 0);
	__free_page(p);
}

/*
 * Each CPU has slots of its own. A task on one CPU holds a map at
 * its first position while a task on another CPU maps its first too: two slots,
 * two addresses, each CPU's own, and each task reads its own page. Were
 * the slots shared, the second map would find the first one's PTE in its
 * slot (a BUG), or, had the first one been switched out just then,
 * overwrite it.
 */
struct cpu_slot {
	struct page *page;
	u32 tag, read;
	unsigned long addr;
	volatile bool mapped, release;
};

static int cpu_slot_fn(void *arg)
{
	struct cpu_slot *c = arg;
	volatile u32 *va = kmap_local_page(c->page);

	c->addr = (unsigned long)va;
	c->read = *va;
	c->mapped = true;
	while (!c->release)		/* hold it while the other CPU maps */
		cpu_relax();
	if (*va != c->tag)
		c->read = *va;
	kunmap_local((void *)va);
	return 0;
}

static void each_cpu_maps_in_slots_of_its_own(struct ktest *t)
{
	struct page *pg[2];
	struct cpu_slot a = { .tag = 0xc0c0a0a0 }, b = { .tag = 0xc1c1b1b1 };
	int ca = ktest_last_cpu(), cb = ktest_other_cpu(ca);
	struct task_struct *pa;
	struct ktest_child r;

	if (cb < 0)
		KTEST_SKIP(t, "needs two CPUs");
	ktest_highpages(t, pg, 2);
	a.page = pg[0];
	b.page = pg[1];
	put_tag(a.page, a.tag);
	put_tag(b.page, b.tag);
	pa = kthread_create_on_cpu(cpu_slot_fn, &a, ca, "slot-cpu-a");
	wake_up_process(pa);
	while (!a.mapped)
		msleep(1);
	b.release = true;		/* b unmaps as soon as it has read */
	r = ktest_run_child(cpu_slot_fn, &b, cb, "slot-cpu-b");
	a.release = true;
	if (!ktest_join_timeout(t, pa, LAP_MS))
		return;			/* parked, holding its page */
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_EQ(t, a.addr, kmap_local_slot_addr(ca, km_incr - 1));
	EXPECT_EQ(t, b.addr, kmap_local_slot_addr(cb, km_incr - 1));
	EXPECT_NE(t, a.addr, b.addr);
	EXPECT_EQ(t, a.read, a.tag);
	EXPECT_EQ(t, b.read, b.tag);
	__free_page(a.page);
	__free_page(b.page);
}

/* kunmap_local() INVLPGs the slot: touching it afterwards faults,
 * although the TLB had the translation a moment before and no CR3 write
 * happened in between. */
static void slot_faults_after_kunmap_local(struct ktest *t)
{
	struct page *p = ktest_highpage(t);
	volatile u32 *va;
	u32 v;

	migrate_disable();		/* keep the probe on this CPU's slot */
	va = kmap_local_page(p);
	*va = 0x600dcafe;
	EXPECT_EQ(t, *va, 0x600dcafe);	/* translation now cached */
	kunmap_local((void *)va);
	EXPECT_EQ(t, probe_read((void *)va, &v), X86_TRAP_PF);
	migrate_enable();
	__free_page(p);
}

/* Two tasks on one CPU map different pages at the same position (so
 * the same address) and preempt each other; each always sees its own. */
struct same_slot {
	struct page *page;
	u32 tag;
	volatile bool stop;
	unsigned long reads, wrong, addr;
	unsigned long preempted;
};

static int same_slot_fn(void *arg)
{
	struct same_slot *s = arg;
	struct task_struct *me = current;
	volatile u32 *va = kmap_local_page(s->page);
	unsigned long p0 = me->nr_preempted;

	s->addr = (unsigned long)va;
	while (!s->stop) {
		if (*va != s->tag)
			s->wrong++;
		s->reads++;
	}
	s->preempted = me->nr_preempted - p0;
	kunmap_local((void *)va);
	return 0;
}

static void same_address_maps_each_tasks_own_page(struct ktest *t)
{
	struct page *pg[2], *pa, *pb;
	struct same_slot a = { .tag = 0xaaaaaaaa }, b = { .tag = 0xbbbbbbbb };
	int cpu = ktest_last_cpu();
	struct task_struct *ta, *tb;
	unsigned long t0;

	ktest_highpages(t, pg, 2);
	a.page = pa = pg[0];
	b.page = pb = pg[1];
	memset_page(pa, 0, 0xaa, PAGE_SIZE);
	memset_page(pb, 0, 0xbb, PAGE_SIZE);
	ta = kthread_create_on_cpu(same_slot_fn, &a, cpu, "slot-a");
	tb = kthread_create_on_cpu(same_slot_fn, &b, cpu, "slot-b");
	wake_up_process(ta);
	wake_up_process(tb);
	t0 = cpu_rq(cpu)->ticks;
	while (cpu_rq(cpu)->ticks - t0 < 40)
		msleep(4);
	a.stop = b.stop = true;
	kthread_join(ta);
	kthread_join(tb);
	EXPECT_EQ(t, a.addr, b.addr);		/* one address ... */
	EXPECT_GT(t, a.preempted, 2);		/* ... shared by turns ... */
	EXPECT_GT(t, b.preempted, 2);
	EXPECT_GT(t, a.reads, 0);
	EXPECT_GT(t, b.reads, 0);
	EXPECT_EQ(t, a.wrong, 0);		/* ... each saw only its page */
	EXPECT_EQ(t, b.wrong, 0);
	__free_page(pa);
	__free_page(pb);
}

/* Holding a local map, a task is preempted but not migrated; a move
 * asked for meanwhile happens after the unmap. */
struct holder {
	struct page *page;
	volatile int phase;
	volatile int cpu_mapped;	/* where the map was made */
	int cpu_min, cpu_max, cpu_after;
	unsigned long preempted;
};

static int holder_fn(void *arg)
{
	struct holder *h = arg;
	void *va = kmap_local_page(h->page);
	unsigned long p0 = current->nr_preempted;
	int lo = NR_CPUS, hi = -1;

	h->cpu_mapped = smp_processor_id();
	h->phase = 1;
	while (h->phase == 1) {
		int c = smp_processor_id();
		lo = min(lo, c);
		hi = max(hi, c);
	}
	h->cpu_min = lo;
	h->cpu_max = hi;
	h->preempted = current->nr_preempted - p0;
	kunmap_local(va);	/* migrate_enable(): the pending move happens */
	h->cpu_after = smp_processor_id();
	return 0;
}

static int spin_until(void *arg)
{
	volatile bool *stop = arg;

	while (!*stop)
		cpu_relax();
	return 0;
}

static void local_map_holder_is_preempted_but_not_migrated(struct ktest *t)
{
	int from = ktest_last_cpu(), to;
	struct holder h = { 0 };
	volatile bool stop = false;
	struct task_struct *p, *rival;
	unsigned long t0;

	if (num_online_cpus() < 2)
		KTEST_SKIP(t, "needs two CPUs");
	h.page = ktest_highpage(t);
	p = kthread_create_on_cpu(holder_fn, &h, from, "holder");
	p->cpus_allowed = CPU_MASK_ALL;
	wake_up_process(p);
	while (h.phase != 1)
		msleep(1);
	/* load balancing may have moved it before it mapped: from then on
	 * it is pinned where the map was made */
	from = h.cpu_mapped;
	to = ktest_other_cpu(from);
	rival = kthread_create_on_cpu(spin_until, (void *)&stop, from, "rival");
	wake_up_process(rival);
	/* Pinned to the target, not merely asked to go there: once it has
	 * moved, load balancing must not pull it back before it looks. */
	EXPECT_EQ(t, set_cpus_allowed(p, cpumask_of(to)), 0);
	t0 = cpu_rq(from)->ticks;
	while (cpu_rq(from)->ticks - t0 < 24)
		msleep(4);
	h.phase = 2;
	stop = true;
	kthread_join(rival);
	kthread_join(p);
	EXPECT_EQ(t, h.cpu_min, from);
	EXPECT_EQ(t, h.cpu_max, from);
	EXPECT_GT(t, h.preempted, 0);
	EXPECT_EQ(t, h.cpu_after, to);
	__free_page(h.page);
}

/*
 * The switch hooks take off and put back every position a task holds,
 * not only the newest. Two tasks share one CPU and preempt each other
 * (the timer does it, nothing yields), each holding 2 maps, then 3, of
 * pages of its own; now and then each takes an interrupt whose handler
 * maps a page on top of the task's stack and reads everything below it.
 *
 * What each checks, over and over:
 *   - before each map: the slot that map will take is empty on this CPU
 *     (the other task's maps there were taken off when it left);
 *   - every position reads the task's own page (read with probe_read(),
 *     so a position that was not put back is a counted fault, not an
 *     oops);
 *   - in the handler: its own map reads its page, and so do all the
 *     interrupted task's positions below it.
 */
#define NEST_MAX	3
#define NEST_TASKS	2
#define NEST_PREEMPTIONS 3	/* each task, fully mapped, at least */

struct nester {
	struct page *pages[NEST_MAX];
	u32 tag[NEST_MAX];
	int depth;
	volatile u32 *va[NEST_MAX];
	volatile bool stop;
	volatile bool mapped;		/* all depth maps made */
	volatile unsigned long preempted; /* since then */
	int busy_pos;			/* the position whose slot was taken */
	pte_t busy_pte;			/* ... by this PTE */
	unsigned long reads, wrong[NEST_MAX], faulted[NEST_MAX];
	unsigned long irq_maps, irq_wrong;
	bool finished;
};

#define NEST_IRQ_TAG	0x17e91a95u

static struct {
	struct page *page;		/* what the handlers map */
	struct nester *task;		/* the interrupted task's record */
	volatile bool done;
} nest_irq;

/* Read every position the task holds; count what is wrong. */
static unsigned long nester_check(struct nester *n, bool count)
{
	unsigned long bad = 0;

	for (int i = 0; i < n->depth; i++) {
		u32 v;

		if (probe_read((const void *)n->va[i], &v)) {
			bad++;
			if (count)
				n->faulted[i]++;
		} else if (v != n->tag[i]) {
			bad++;
			if (count)
				n->wrong[i]++;
		}
	}
	return bad;
}

static void nest_irq_handler(struct pt_regs *regs)
{
	struct nester *n = nest_irq.task;
	volatile u32 *va = kmap_local_page(nest_irq.page);

	if (*va != NEST_IRQ_TAG)
		n->irq_wrong++;
	n->irq_wrong += nester_check(n, false);
	kunmap_local((void *)va);
	n->irq_maps++;
	nest_irq.done = true;
	lapic_eoi();
}

static int nester_fn(void *arg)
{
	struct nester *n = arg;
	struct task_struct *me = current;
	unsigned long p0;
	int i;

	n->busy_pos = -1;
	for (i = 0; i < n->depth; i++) {
		/* preemption off from the check to the map: nobody else can
		 * use this CPU's slot in between */
		pte_t *ptep;

		preempt_disable();
		ptep = kmap_local_ptep(me->kmap_ctrl.idx + km_incr - 1);
		if (!kmap_local_slot_none(ptep)) {
			n->busy_pos = i;
			n->busy_pte = ptep_get(ptep);
			preempt_enable();
			break;
		}
		n->va[i] = kmap_local_page(n->pages[i]);
		preempt_enable();
	}
	if (n->busy_pos < 0) {
		n->mapped = true;
		p0 = me->nr_preempted;
		while (!n->stop) {
			nester_check(n, true);
			if (++n->reads % 256 == 0) {
				/* an interrupt on top of this task's maps */
				preempt_disable();
				nest_irq.task = n;
				nest_irq.done = false;
				lapic_send_ipi(x86_cpu_to_apicid[smp_processor_id()], KTEST_VECTOR);
				while (!READ_ONCE(nest_irq.done))
					cpu_relax();
				preempt_enable();
			}
			n->preempted = me->nr_preempted - p0;
		}
	}
	while (i-- > 0)
		kunmap_local((void *)n->va[i]);
	n->finished = true;
	return 0;
}

static void switch_hooks_keep_every_nested_map_with_irq_maps_on_top(struct ktest *t)
{
	struct page *pg[NEST_TASKS * NEST_MAX + 1];
	struct nester n[NEST_TASKS];
	struct task_struct *p[NEST_TASKS];
	int cpu = ktest_last_cpu();
	bool ended = true;

	ktest_highpages(t, pg, NEST_TASKS * NEST_MAX + 1);
	nest_irq.page = pg[NEST_TASKS * NEST_MAX];
	put_tag(nest_irq.page, NEST_IRQ_TAG);
	set_irq_handler(KTEST_VECTOR, nest_irq_handler);
	for (int depth = 2; depth <= NEST_MAX && ended; depth++) {
		bool bailed = false;

		memset(n, 0, sizeof(n));
		for (int k = 0; k < NEST_TASKS; k++) {
			n[k].depth = depth;
			for (int i = 0; i < depth; i++) {
				n[k].pages[i] = pg[k * NEST_MAX + i];
				n[k].tag[i] = 0x7a900000u | (u32)(depth << 8) | (u32)(k << 4) | (u32)i;
				put_tag(n[k].pages[i], n[k].tag[i]);
			}
			p[k] = kthread_create_on_cpu(nester_fn, &n[k], cpu, "nester");
		}
		for (int k = 0; k < NEST_TASKS; k++)
			wake_up_process(p[k]);
		/* until each, fully mapped, has been preempted a few times, or
		 * one could not map (it has stopped, and the other is alone) */
		for (unsigned long j0 = jiffies; jiffies - j0 < 6 * HZ; msleep(4)) {
			bool enough = true, stopped = false;

			for (int k = 0; k < NEST_TASKS; k++) {
				stopped |= n[k].finished;
				enough &= n[k].mapped && n[k].preempted >= NEST_PREEMPTIONS &&
					  n[k].irq_maps > 0;
			}
			if (enough || stopped)
				break;
		}
		for (int k = 0; k < NEST_TASKS; k++)
			n[k].stop = true;
		for (int k = 0; k < NEST_TASKS; k++)
			ended = ktest_join_timeout(t, p[k], LAP_MS) && ended;
		for (int k = 0; k < NEST_TASKS; k++) {
			struct nester *x = &n[k];

			if (x->busy_pos >= 0)
				ktest_fail(t, __FILE__, __LINE__,
					   "depth %d: task %d came to map position %d and found its slot still mapped (PTE %#llx): a task switched out kept a map on the CPU",
					   depth, k, x->busy_pos, pte_val(x->busy_pte));
			for (int i = 0; i < depth; i++)
				if (x->wrong[i] || x->faulted[i])
					ktest_fail(t, __FILE__, __LINE__,
						   "depth %d: task %d's position %d: %lu of %lu reads saw another page, %lu faulted (not put back at switch-in)",
						   depth, k, i, x->wrong[i], x->reads, x->faulted[i]);
			if (x->irq_wrong)
				ktest_fail(t, __FILE__, __LINE__,
					   "depth %d: task %d: %lu wrong reads in the interrupt handlers (of %lu)",
					   depth, k, x->irq_wrong, x->irq_maps);
			EXPECT_TRUE(t, x->finished);
			bailed |= x->busy_pos >= 0;
		}
		if (bailed)
			break;		/* the next depth would stop the same way */
		for (int k = 0; k < NEST_TASKS; k++) {
			EXPECT_GE(t, n[k].preempted, NEST_PREEMPTIONS);
			EXPECT_GT(t, n[k].irq_maps, 0);
		}
	}
	set_irq_handler(KTEST_VECTOR, NULL);
	if (!ended)
		return;		/* a parked task may still hold its maps */
	for (int i = 0; i < NEST_TASKS * NEST_MAX + 1; i++)
		__free_page(pg[i]);
}

/*
 * kmap_local_map_fast() keeps preemption off from the push to the record
 * of the PTE in pteval[]: a task switched out in between would leave with
 * a position counted but its PTE not saved, so the switch-out hook could
 * not take the slot off the CPU (after the PTE write, the next task on
 * this CPU finds it still mapped) and the switch-in hook could not put it
 * back.
 *
 * A timer tick landing in those few instructions is rare; here the
 * reschedule is asked for exactly there. A data watchpoint fires right
 * after the push's store to idx (then, a second time, right after the
 * store that makes the slot's PTE present), and its #DB handler sets
 * need_resched: the return from the #DB is a preemption point. With the
 * window the switch must wait for the map's preempt_enable(). A spy task
 * on the same CPU, which runs as soon as the mapper is switched out,
 * looks at the mapper then: its position must be complete (idx and the
 * saved PTE agree) and its slot off this CPU.
 */
struct map_spy {
	struct task_struct *mapper;
	struct page *page;
	int pos;			/* the position being mapped */
	volatile bool armed, fired, spied, stop;
	int idx;			/* the mapper's, as the spy saw it */
	pte_t pteval, slot;		/* its saved PTE, and the slot's PTE */
};

static void resched_here(unsigned int hits, struct pt_regs *regs, void *arg)
{
	struct map_spy *s = arg;

	if (!s->armed || current != s->mapper)
		return;
	s->armed = false;
	hw_watch_clear_all();		/* once: the hooks write the slot too */
	s->fired = true;
	set_need_resched();
}

/* Runs whenever the mapper is off the CPU: yields, never sleeps. */
static int map_spy_fn(void *arg)
{
	struct map_spy *s = arg;

	while (!s->stop) {
		if (s->fired && !s->spied) {
			s->idx = s->mapper->kmap_ctrl.idx;
			s->pteval = s->mapper->kmap_ctrl.pteval[s->pos];
			s->slot = ptep_get(kmap_local_ptep(s->pos));
			s->spied = true;
		}
		yield();
	}
	return 0;
}

enum { AFTER_PUSH, AFTER_PTE_WRITE, NR_POINTS };
static const char *const point_name[NR_POINTS] = { "the push", "the PTE write" };

struct map_point {
	struct map_spy *spy;
	int point;
	u32 read;			/* through the map, once made */
};

static int watched_mapper_fn(void *arg)
{
	struct map_point *m = arg;
	struct map_spy *s = m->spy;
	u32 *va;

	s->pos = current->kmap_ctrl.idx + km_incr - 1;
	hw_watch_set_handler(resched_here, s);
	s->armed = true;
	if (m->point == AFTER_PUSH)
		hw_watch_set(0, &current->kmap_ctrl.idx, 4, HW_WATCH_WRITE);
	else		/* the low word, with P: set_pte() stores it last */
		hw_watch_set(0, kmap_local_ptep(s->pos), 4, HW_WATCH_WRITE);
	va = kmap_local_page(s->page);
	hw_watch_clear_all();
	m->read = *va;
	kunmap_local(va);
	return 0;
}

static void reschedule_inside_a_map_waits_for_its_end(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	int cpu = ktest_last_cpu();
	pte_t want;

	put_tag(page, 0x5b1e5b1eu);
	want = pfn_pte(page_to_pfn(page), kmap_prot);
	for (int point = 0; point < NR_POINTS; point++) {
		struct map_spy s = { .page = page };
		struct map_point m = { &s, point, 0 };
		struct task_struct *spy, *mapper;
		bool ended;

		spy = kthread_create_on_cpu(map_spy_fn, &s, cpu, "map-spy");
		mapper = kthread_create_on_cpu(watched_mapper_fn, &m, cpu, "mapper");
		s.mapper = mapper;
		wake_up_process(spy);
		wake_up_process(mapper);
		ended = ktest_join_timeout(t, mapper, LAP_MS);
		s.stop = true;
		ended = ktest_join_timeout(t, spy, LAP_MS) && ended;
		if (!ended)
			return;		/* the page stays: a parked mapper may hold it */
		ASSERT_TRUE(t, s.fired);
		ASSERT_TRUE(t, s.spied);	/* the reschedule did switch */
		if (pte_val(s.pteval) != pte_val(want) || s.idx != s.pos + 1)
			ktest_fail(t, __FILE__, __LINE__,
				   "switched out right after %s: position %d counted (idx %d) with saved PTE %#llx, not %#llx",
				   point_name[point], s.pos, s.idx, pte_val(s.pteval), pte_val(want));
		if (!pte_none(s.slot))
			ktest_fail(t, __FILE__, __LINE__,
				   "switched out right after %s: its slot still mapped (PTE %#llx) while another task ran on CPU %d",
				   point_name[point], pte_val(s.slot), cpu);
		EXPECT_EQ(t, m.read, 0x5b1e5b1eu);
	}
	__free_page(page);
}

/* An interrupt handler's maps nest on the interrupted task's stack,
 * and are gone (idx back, PTE clear) when it returns. */
static struct {
	struct page *page;
	int idx_in, pos_seen;
	unsigned long addr;
	u32 value;
	bool ran;
} irq_probe;

static void kmap_irq_handler(struct pt_regs *regs)
{
	u32 *va;

	irq_probe.idx_in = current->kmap_ctrl.idx;
	va = kmap_local_page(irq_probe.page);
	irq_probe.addr = (unsigned long)va;
	irq_probe.pos_seen = current->kmap_ctrl.idx - 1;
	irq_probe.value = *va;
	kunmap_local(va);
	irq_probe.ran = true;
	lapic_eoi();
}

static void irq_handler_maps_nest_on_task_stack(struct ktest *t)
{
	struct page *pg[2], *mine, *theirs;
	u64 mark = log_mark();
	volatile u32 *va;
	int idx, cpu;
	u32 v = 0x1234abcd;

	ktest_highpages(t, pg, 2);
	mine = pg[0];
	theirs = pg[1];
	memcpy_to_page(theirs, 0, &v, 4);
	memset_page(mine, 0, 0x77, PAGE_SIZE);
	irq_probe.page = theirs;
	irq_probe.ran = false;
	set_irq_handler(KTEST_VECTOR, kmap_irq_handler);
	va = kmap_local_page(mine);
	idx = current->kmap_ctrl.idx;
	/* preemption off so the interrupt lands on *this* task, interrupts
	 * on so it lands at all */
	preempt_disable();
	cpu = smp_processor_id();
	lapic_send_ipi(x86_cpu_to_apicid[cpu], KTEST_VECTOR);
	while (!READ_ONCE(irq_probe.ran))
		cpu_relax();
	preempt_enable();
	EXPECT_EQ(t, irq_probe.idx_in, idx);
	EXPECT_EQ(t, irq_probe.pos_seen, idx + km_incr - 1);
	EXPECT_EQ(t, irq_probe.addr, kmap_local_slot_addr(cpu, idx + km_incr - 1));
	EXPECT_EQ(t, irq_probe.value, 0x1234abcd);
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);		/* back where it was */
	EXPECT_TRUE(t, pte_none(ptep_get(lookup_kernel_pte(irq_probe.addr))));
	EXPECT_EQ(t, *va, 0x77777777);				/* ours intact */
	EXPECT_FALSE(t, log_contains(mark, "WARNING:"));
	kunmap_local((void *)va);
	set_irq_handler(KTEST_VECTOR, NULL);
	__free_page(mine);
	__free_page(theirs);
}

/* A handler that returns with a map still held is reported at IRQ exit,
 * and the map is taken off: the interrupted task finds its stack, its
 * migrate_disable count and the slot as it left them. */
static unsigned long leaked_irq_map;

static void leaky_irq_handler(struct pt_regs *regs)
{
	leaked_irq_map = (unsigned long)kmap_local_page(irq_probe.page);
	irq_probe.ran = true;
	lapic_eoi();
}

static void irq_handler_leaving_a_map_is_reported_and_undone(struct ktest *t)
{
	u64 mark = log_mark();
	int idx, md;

	irq_probe.page = ktest_highpage(t);
	irq_probe.ran = false;
	ktest_expect(t, "kmap_local_irq_unwind");
	set_irq_handler(KTEST_VECTOR, leaky_irq_handler);
	preempt_disable();
	idx = current->kmap_ctrl.idx;
	md = current->migration_disabled;
	lapic_send_ipi(x86_cpu_to_apicid[smp_processor_id()], KTEST_VECTOR);
	while (!READ_ONCE(irq_probe.ran))
		cpu_relax();
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);
	EXPECT_EQ(t, current->migration_disabled, md);
	EXPECT_TRUE(t, pte_none(ptep_get(lookup_kernel_pte(leaked_irq_map))));
	preempt_enable();
	set_irq_handler(KTEST_VECTOR, NULL);
	EXPECT_TRUE(t, log_contains(mark, "kmap_local: interrupt handler left the local map stack at"));
	__free_page(irq_probe.page);
}

/*
 * A handler that turns interrupts back on can be interrupted again (as
 * tlb_test's call-function handler is), and each level must check the map
 * stack against its own entry depth. With one saved depth per CPU the
 * inner level overwrites the outer one's: the outer exit then reports a
 * leak that did not happen, or misses the one that did.
 */
static struct {
	struct page *page;
	bool leak;			/* the outer level returns holding its map */
	int level;			/* handler nesting now */
	volatile bool inner_ran, outer_done;
	unsigned long outer_map;
} nest;

static void nesting_irq_handler(struct pt_regs *regs)
{
	void *va;

	if (nest.level++ > 0) {		/* the inner level */
		nest.inner_ran = true;
		nest.level--;
		lapic_eoi();
		return;
	}
	va = kmap_local_page(nest.page);	/* interrupts still off */
	nest.outer_map = (unsigned long)va;
	lapic_eoi();				/* let the vector in again ... */
	local_irq_enable();			/* ... and take it here */
	lapic_send_ipi(x86_cpu_to_apicid[smp_processor_id()], KTEST_VECTOR);
	while (!READ_ONCE(nest.inner_ran))
		cpu_relax();
	local_irq_disable();
	if (!nest.leak)
		kunmap_local(va);
	nest.level--;
	nest.outer_done = true;
}

static void run_nested_irqs(bool leak)
{
	nest.leak = leak;
	nest.inner_ran = nest.outer_done = false;
	lapic_send_ipi(x86_cpu_to_apicid[smp_processor_id()], KTEST_VECTOR);
	while (!READ_ONCE(nest.outer_done))
		cpu_relax();
}

static void nested_irq_checks_against_its_own_entry_depth(struct ktest *t)
{
	char want[96];
	u64 mark;
	int idx, md;

	nest.page = ktest_highpage(t);
	set_irq_handler(KTEST_VECTOR, nesting_irq_handler);
	preempt_disable();		/* both levels land on this task */
	idx = current->kmap_ctrl.idx;
	md = current->migration_disabled;

	/* the outer level unmaps before returning: nothing to report */
	mark = log_mark();
	run_nested_irqs(false);
	EXPECT_FALSE(t, log_contains(mark, "interrupt handler left the local map stack"));
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);

	/* the outer level keeps its map: reported, and taken off */
	mark = log_mark();
	ktest_expect(t, "kmap_local_irq_unwind");
	run_nested_irqs(true);
	snprintf(want, sizeof(want),
		 "interrupt handler left the local map stack at %d (it was %d on entry)",
		 idx + km_incr, idx);
	EXPECT_TRUE(t, log_contains(mark, want));
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);
	EXPECT_EQ(t, current->migration_disabled, md);
	EXPECT_TRUE(t, pte_none(ptep_get(lookup_kernel_pte(nest.outer_map))));
	preempt_enable();
	set_irq_handler(KTEST_VECTOR, NULL);
	__free_page(nest.page);
}

/* With force_map every map is a slot, so unmapping any other address is
 * a mistake worth a warning (without it, a lowmem address is legal). */
static void force_map_warns_on_unmap_of_a_non_slot_address(struct ktest *t)
{
	struct page *p;
	u64 mark = log_mark();

	if (!kmap_local_force_map)
		KTEST_SKIP(t, "boot with kmap_local.force_map=1");
	p = alloc_page(GFP_KERNEL);	/* after the skip: a skip frees nothing */
	ktest_expect(t, "kunmap_local_nonslot");
	kunmap_local(lowmem_page_address(p));
	EXPECT_TRUE(t, log_contains(mark, "of an address outside the slot range"));
	__free_page(p);
}

/*
 * The position stack has a hard limit, BUG at exactly the limit; the
 * exit path then undoes exactly the maps that were made. The failing push
 * has already advanced idx past the last position (as Linux's does), so an
 * unwind that trusted idx would start beyond pteval[] and clear the entry
 * after this CPU's slots: on the last CPU that is the local APIC's fixmap
 * entry (FIX_APIC_BASE), hence the child runs there.
 */
struct depth {
	struct page *page;
	volatile int mapped;
};

static int depth_fn(void *arg)
{
	struct depth *d = arg;

	for (;;) {
		kmap_local_page(d->page);
		d->mapped++;
	}
	return 0;
}

static void nesting_beyond_the_limit_is_a_bug(struct ktest *t)
{
	struct depth d = { .page = ktest_highpage(t) };
	int cpu = ktest_last_cpu();
	/* the fixmap entry just past this CPU's last position */
	pte_t *beyond = lookup_kernel_pte(kmap_local_slot_addr(cpu, km_max_idx));
	pte_t before = ptep_get(beyond);
	int limit = kmap_local_guard ? 16 : 15;
	char held[48], want[96];
	struct ktest_child r;

	ktest_expect(t, "kmap_local: too many nested maps");
	ktest_expect(t, "kernel BUG at mm/kmap_local.c");
	ktest_expect(t, "kmap_local_exit_check");
	r = ktest_run_child(depth_fn, &d, cpu, "too-deep");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_EQ(t, d.mapped, limit);
	snprintf(want, sizeof(want), "kmap_local: too many nested maps: too-deep[%d] already holds %d,",
		 r.pid, limit);
	EXPECT_TRUE(t, log_contains(r.mark, want));
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/kmap_local.c:"));
	/* the exit path reported and cleared what the dead thread held: the
	 * real maps, not the position the failed map had pushed ... */
	snprintf(held, sizeof(held), "exits with %d local mapping(s) held", limit);
	EXPECT_TRUE(t, log_contains(r.mark, held));
	/* ... and nothing beyond it */
	EXPECT_EQ(t, pte_val(ptep_get(beyond)), pte_val(before));
	/* ... in that CPU's slots, where they were (no task there holds any) */
	for (int i = 0; i < km_max_idx; i++) {
		pte_t pte = ptep_get(lookup_kernel_pte(kmap_local_slot_addr(cpu, i)));

		if (!pte_none(pte))
			ktest_fail(t, __FILE__, __LINE__,
				   "position %d of CPU %d still holds PTE %#llx after the exit cleared the dead thread's maps",
				   i, cpu, pte_val(pte));
	}
	__free_page(d.page);
}

/* A map whose next slot still holds a PTE is a BUG that says so. The
 * planted PTE is not present (no TLB can hold it) but not empty, which is
 * all the check looks at. */
#define PLANTED_PTE	0x0badc000ULL

struct busy {
	struct page *page;
	pte_t *ptep;		/* the planted slot */
	int idx_after;		/* the dead thread's idx, from its exit */
};

static int busy_fn(void *arg)
{
	struct busy *b = arg;

	/* Preemption stays off from the plant to the BUG: no other task on
	 * this CPU may find the planted slot before the map does. */
	preempt_disable();
	b->ptep = kmap_local_ptep(current->kmap_ctrl.idx + km_incr - 1);
	set_pte(b->ptep, __pte(PLANTED_PTE));
	kmap_local_page(b->page);
	return 0;		/* not reached: the map BUGs */
}

static void map_into_a_busy_slot_is_a_bug(struct ktest *t)
{
	struct busy b = { .page = ktest_highpage(t) };
	struct ktest_child r;

	ktest_expect(t, "kmap_local: slot busy");
	ktest_expect(t, "kernel BUG at mm/kmap_local.c");
	r = ktest_run_child(busy_fn, &b, -1, "busy-slot");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kmap_local: slot busy: position "));
	EXPECT_TRUE(t, log_contains(r.mark, "already has PTE 0xbadc000, which no map of busy-slot["));
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/kmap_local.c:"));
	/* the failed map took its push back: nothing held at exit */
	EXPECT_FALSE(t, log_contains(r.mark, "local mapping(s) held"));
	/* the BUG left the planted PTE alone; take it away */
	ASSERT_PTR_NE(t, b.ptep, NULL);
	EXPECT_EQ(t, pte_val(ptep_get(b.ptep)), PLANTED_PTE);
	pte_clear(b.ptep);
	__free_page(b.page);
}

static int underflow_fn(void *arg)
{
	kunmap_local(arg);	/* nothing was mapped */
	return 0;
}

static void unmap_with_nothing_mapped_is_a_bug(struct ktest *t)
{
	struct ktest_child r;

	ktest_expect(t, "kmap_local: kunmap_local() with nothing mapped");
	ktest_expect(t, "kernel BUG at mm/kmap_local.c");
	r = ktest_run_child(underflow_fn, (void *)kmap_local_slot_addr(0, 0), -1, "underflow");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kmap_local: kunmap_local() with nothing mapped: underflow["));
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/kmap_local.c:"));
	EXPECT_FALSE(t, log_contains(r.mark, "slot busy"));
	EXPECT_FALSE(t, log_contains(r.mark, "too many nested maps"));
}

/* Out-of-order unmap is caught, naming both addresses. */
struct lifo {
	struct page *a, *b;
	char want[96];
	bool b_cleared, a_still_mapped;
	int idx_drop;
};

static int lifo_fn(void *arg)
{
	struct lifo *l = arg;
	void *a = kmap_local_page(l->a);
	void *b = kmap_local_page(l->b);
	int idx = current->kmap_ctrl.idx;

	snprintf(l->want, sizeof(l->want), "expected 0x%08lx (the newest map), got 0x%08lx",
		 (unsigned long)b, (unsigned long)a);
	kunmap_local(a);	/* wrong: b is the newest */
	/* what x86 Linux does then: the top (b) is unmapped, a stays */
	l->b_cleared = pte_none(ptep_get(lookup_kernel_pte((unsigned long)b)));
	l->a_still_mapped = pte_present(ptep_get(lookup_kernel_pte((unsigned long)a)));
	l->idx_drop = idx - current->kmap_ctrl.idx;
	kunmap_local(b);
	return 0;
}

static void out_of_order_unmap_reports_both_addresses(struct ktest *t)
{
	struct page *pg[2];
	struct lifo l;
	struct ktest_child r;

	ktest_highpages(t, pg, 2);
	l = (struct lifo){ .a = pg[0], .b = pg[1] };
	/* two reports: the wrong unmap, then the right one, now out of order */
	ktest_expect(t, "kunmap_local_lifo_violation");
	r = ktest_run_child(lifo_fn, &l, -1, "lifo");

	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "WARNING: CPU:"));
	EXPECT_TRUE(t, log_contains(r.mark, l.want));
	EXPECT_TRUE(t, l.b_cleared);
	EXPECT_TRUE(t, l.a_still_mapped);
	EXPECT_EQ(t, l.idx_drop, km_incr);
	__free_page(l.a);
	__free_page(l.b);
}

/* With guard slots, running off either end of a mapping faults. */
static void guard_slots_catch_overruns(struct ktest *t)
{
	struct page *pg[2], *p, *p2;
	u8 *va, *va2;
	u32 v;

	if (!kmap_local_guard)
		KTEST_SKIP(t, "boot with kmap_local.guard=1");
	ktest_highpages(t, pg, 2);
	p = pg[0];
	p2 = pg[1];
	/* two maps: without guards they would sit in adjacent slots, and
	 * running off the older one would land in the newer one */
	va = kmap_local_page(p);
	va2 = kmap_local_page(p2);
	EXPECT_EQ(t, (unsigned long)va - (unsigned long)va2, 2 * PAGE_SIZE);
	EXPECT_EQ(t, probe_read(va - PAGE_SIZE, &v), X86_TRAP_PF);	/* towards the newer */
	EXPECT_EQ(t, probe_read(va + PAGE_SIZE, &v), X86_TRAP_PF);	/* the other side */
	EXPECT_EQ(t, probe_read(va2 - PAGE_SIZE, &v), X86_TRAP_PF);
	EXPECT_EQ(t, probe_read(va, &v), 0);
	EXPECT_EQ(t, probe_read(va2, &v), 0);
	kunmap_local(va2);
	kunmap_local(va);
	__free_page(p);
	__free_page(p2);
}

/* force_map sends lowmem through a slot, so the LIFO check sees it. */
static void force_map_puts_lowmem_in_slots(struct ktest *t)
{
	struct page *p;
	void *va;

	if (!kmap_local_force_map)
		KTEST_SKIP(t, "boot with kmap_local.force_map=1");
	p = alloc_page(GFP_KERNEL);
	va = kmap_local_page(p);
	EXPECT_NE(t, (unsigned long)va, (unsigned long)lowmem_page_address(p));
	EXPECT_EQ(t, (unsigned long)va,
		  kmap_local_slot_addr(smp_processor_id(), current->kmap_ctrl.idx - 1));
	EXPECT_EQ(t, current->migration_disabled, 1);
	kunmap_local(va);
	__free_page(p);
}

/* A thread that exits holding a map is reported and cleaned up. */
static int leak_fn(void *arg)
{
	unsigned long *addr = arg;

	*addr = (unsigned long)kmap_local_page(pfn_to_page(addr[1]));
	return 0;		/* no kunmap_local */
}

static void exit_with_map_held_is_reported_and_cleaned(struct ktest *t)
{
	struct page *pg[2], *p, *p2;
	unsigned long arg[2];
	struct ktest_child r;
	unsigned long unwound;
	void *va;

	ktest_highpages(t, pg, 2);
	p = pg[0];
	p2 = pg[1];
	arg[0] = 0;
	arg[1] = page_to_pfn(p);
	migrate_disable();	/* the child uses this CPU's slots; so do we */
	unwound = this_cpu_read(kmap_local_stats.unwound);
	ktest_expect(t, "kmap_local_exit_check");
	r = ktest_run_child(leak_fn, arg, smp_processor_id(), "leaker");
	/* counted apart from the kunmap_local()s */
	EXPECT_EQ(t, this_cpu_read(kmap_local_stats.unwound), unwound + 1);
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "leaker"));
	EXPECT_TRUE(t, log_contains(r.mark, "exits with 1 local mapping(s) held"));
	EXPECT_TRUE(t, pte_none(ptep_get(lookup_kernel_pte(arg[0]))));
	/* the slot is really free again: mapping into it does not find a
	 * leftover PTE (that would be a BUG and crash this case) */
	if (current->kmap_ctrl.idx == 0) {
		va = kmap_local_page(p2);
		EXPECT_EQ(t, (unsigned long)va, arg[0]);
		kunmap_local(va);
	}
	migrate_enable();
	__free_page(p);
	__free_page(p2);
}

/* A kmap_local section may fault and sleep (unlike kmap_atomic). */
static void local_section_may_fault_and_sleep(struct ktest *t)
{
	struct page *p = ktest_highpage(t);
	unsigned long fills = demand_stats.fills;
	u64 mark = log_mark();
	u32 *va = kmap_local_page(p);
	u32 buf[4];

	demand_reset();
	EXPECT_EQ(t, copy_from_demand(buf, (void *)DEMAND_START, sizeof(buf)), 0);
	EXPECT_EQ(t, buf[0], demand_pattern(0));
	EXPECT_EQ(t, demand_stats.fills, fills + 1);	/* the handler slept and filled */
	msleep(5);
	EXPECT_FALSE(t, log_contains(mark, "BUG:"));
	kunmap_local(va);
	demand_reset();		/* the filled page goes back */
	__free_page(p);
}

/* The slot PTEs are one linear array (kmap_local_init checked it at
 * boot; check again from a test, against a page-table walk). */
static void slot_ptes_form_one_linear_array(struct ktest *t)
{
	pte_t *base = lookup_kernel_pte(__fix_to_virt(FIX_KMAP_BEGIN));

	for (int s = 0; s <= FIX_KMAP_END - FIX_KMAP_BEGIN; s++)
		EXPECT_PTR_EQ(t, lookup_kernel_pte(__fix_to_virt(FIX_KMAP_BEGIN + s)), base - s);
}

/* A new thread starts with an empty local map stack, whatever its creator
 * held (Linux's kmap_local_fork() resets it): maps never cross tasks. */
static int child_idx_fn(void *arg)
{
	*(int *)arg = current->kmap_ctrl.idx;
	return 0;
}

static void new_thread_starts_with_no_local_maps(struct ktest *t)
{
	struct page *p = ktest_highpage(t);
	void *va = kmap_local_page(p);
	int child_idx = -1;

	ASSERT_GT(t, current->kmap_ctrl.idx, 0);
	ktest_run_child(child_idx_fn, &child_idx, smp_processor_id(), "child");
	EXPECT_EQ(t, child_idx, 0);
	kunmap_local(va);
	__free_page(p);
}

static void unmap_of_a_user_address_warns(struct ktest *t)
{
	u64 mark = log_mark();

	ktest_expect(t, "kunmap_local_nonslot");
	kunmap_local((void *)0x1000);
	EXPECT_TRUE(t, log_contains(mark, "kunmap_local(0x00001000) of a user address"));
}

KTEST_SUITE(kmap_local,
	KTEST_CASE(lowmem_page_returns_direct_map_and_pins_nothing),
	KTEST_CASE(highmem_map_uses_this_cpus_slot_and_stays_preemptible),
	KTEST_CASE(each_cpu_maps_in_slots_of_its_own),
	KTEST_CASE(slot_faults_after_kunmap_local),
	KTEST_CASE(same_address_maps_each_tasks_own_page),
	KTEST_CASE(local_map_holder_is_preempted_but_not_migrated),
	KTEST_CASE(switch_hooks_keep_every_nested_map_with_irq_maps_on_top),
	KTEST_CASE(reschedule_inside_a_map_waits_for_its_end),
	KTEST_CASE(irq_handler_maps_nest_on_task_stack),
	KTEST_CASE(irq_handler_leaving_a_map_is_reported_and_undone),
	KTEST_CASE(nested_irq_checks_against_its_own_entry_depth),
	KTEST_CASE(force_map_warns_on_unmap_of_a_non_slot_address),
	KTEST_CASE(nesting_beyond_the_limit_is_a_bug),
	KTEST_CASE(map_into_a_busy_slot_is_a_bug),
	KTEST_CASE(unmap_with_nothing_mapped_is_a_bug),
	KTEST_CASE(out_of_order_unmap_reports_both_addresses),
	KTEST_CASE(guard_slots_catch_overruns),
	KTEST_CASE(force_map_puts_lowmem_in_slots),
	KTEST_CASE(exit_with_map_held_is_reported_and_cleaned),
	KTEST_CASE(local_section_may_fault_and_sleep),
	KTEST_CASE(slot_ptes_form_one_linear_array),
	KTEST_CASE(new_thread_starts_with_no_local_maps),
	KTEST_CASE(unmap_of_a_user_address_warns));
