/* SPDX-License-Identifier: MIT */
/*
 * highmem.c - kmap()/kunmap(): the shared pool of 512 pkmap slots.
 *
 *   PKMAP_BASE 0xFFC00000                                  0xFFE00000
 *   | slot 0 | slot 1 | slot 2 | ...                 | slot 511 |
 *              ^ last_pkmap_nr: the scan cursor, which wraps at 512
 *
 * pkmap_count[n], the one counter per slot:
 *   0      unmapped, and no TLB anywhere holds it (a global flush has
 *          happened since its last use): free to hand out
 *   1      still mapped and still in page_address()'s hash, but nobody
 *          uses it. TLBs may still hold it, so it must not be reused
 *          before the next global flush
 *   n >= 2 mapped, with n - 1 users
 *
 * Invariants (all under kmap_lock):
 *   I1  count >= 1  <=>  the PTE is present  <=>  the page is in the hash
 *       with this slot's address
 *   I2  a count goes 1 -> 0 only in flush_all_zero_pkmaps(), and the TLB
 *       flush of every CPU finishes before kmap_lock is released
 *   I3  a page has at most one slot: all kmap() callers of a page share
 *       one address and one count
 *
 * kunmap() is lazy: it only drops the count; the PTE and the TLBs are
 * left alone until the cursor wraps and the whole pool is flushed from
 * every CPU at once. That flush (an IPI to every CPU, under one global
 * lock) is the price of kmap(), and why it is deprecated.
 *
 * Rules enforced: kmap_lock is never taken with interrupts off (the flush
 * sends IPIs and waits for them under the lock: a CPU spinning on the lock
 * with interrupts off could never answer); kmap()/kunmap() may sleep, so
 * might_sleep() catches callers in atomic context.
 */
#include "mm/highmem.h"
#include "kernel/inject.h"
#include "kernel/trace.h"
#include "mm/kmap_stats.h"
#include "mm/kmap_local.h"
#include "kernel/wait.h"
#include "kernel/printk.h"
#include "kernel/bug.h"
#include "kernel/lab.h"
#include "arch/x86/tlb.h"

static int pkmap_count[LAST_PKMAP];
static unsigned int last_pkmap_nr;
static DEFINE_SPINLOCK(kmap_lock);
static DECLARE_WAIT_QUEUE_HEAD(pkmap_map_wait);

DEFINE_PER_CPU(struct kmap_stats, kmap_stats);

pgprot_t kmap_prot;		/* PAGE_KERNEL, once NX support is known */

/* ---- page_address(): a hash from page to pkmap address ---- */

/*
 * A node per slot, preallocated: node n says which page slot n maps.
 * Buckets have their own locks, taken with interrupts off, so
 * page_address() works in any context (an interrupt handler included).
 * Writers hold kmap_lock too, so kmap()'s own lookups (which hold
 * kmap_lock) can read a bucket without its lock.
 *
 * A bucket lock is a leaf held for a few instructions with interrupts
 * off, like a run-queue lock: an arch_spinlock_t, without the owner
 * tracking of spinlock_t (it could never fire: nothing runs on this CPU
 * while it is held).
 *
 * Lookups are on kmap()'s and kunmap()'s path, so: as many buckets as
 * slots (a bucket holds one node on average even with the pool full; Linux
 * has 128), the newest node first in its bucket (kunmap() usually follows
 * its kmap() soon), and the list link first in the node (no offset to
 * undo at each step).
 */
#define PA_HASH_ORDER	9
struct page_address_map {
	struct list_head list;
	struct page *page;
	void *virtual;
};
static struct page_address_map page_address_maps[LAST_PKMAP];

static struct page_address_slot {
	struct list_head lh;
	arch_spinlock_t lock;
} __aligned(16) page_address_htable[1 << PA_HASH_ORDER];	/* 16: a shift finds a bucket */

static struct page_address_slot *page_slot(const struct page *page)
{
	/* multiplicative hash of the pointer (golden ratio, 32 bits) */
	return &page_address_htable[((u32)(unsigned long)page * 0x61C88647u) >> (32 - PA_HASH_ORDER)];
}

static void *hash_lookup(struct page_address_slot *pas, const struct page *page)
{
	struct page_address_map *pam;

	list_for_each_entry(pam, &pas->lh, list)
		if (pam->page == page)
			return pam->virtual;
	return NULL;
}

void *page_address_highmem(const struct page *page)
{
	struct page_address_slot *pas = page_slot(page);
	unsigned long flags = local_irq_save();
	void *ret;

	arch_spin_lock(&pas->lock);
	ret = hash_lookup(pas, page);
	arch_spin_unlock(&pas->lock);
	local_irq_restore(flags);
	return ret;
}

/* Enter node nr (slot nr maps page at vaddr) in bucket pas (page's);
 * kmap_lock held. */
static void pam_insert(struct page_address_slot *pas, unsigned int nr,
		       struct page *page, void *vaddr)
{
	struct page_address_map *pam = &page_address_maps[nr];
	unsigned long flags;

	pam->page = page;
	pam->virtual = vaddr;
	flags = local_irq_save();
	arch_spin_lock(&pas->lock);
	list_add(&pam->list, &pas->lh);
	arch_spin_unlock(&pas->lock);
	local_irq_restore(flags);
}

/* Take node nr out of its bucket; kmap_lock held. The node is known, so
 * unlike set_page_address(page, NULL) this needs no walk. */
static void pam_remove(unsigned int nr)
{
	struct page_address_map *pam = &page_address_maps[nr];
	struct page_address_slot *pas = page_slot(pam->page);
	unsigned long flags = local_irq_save();

	arch_spin_lock(&pas->lock);
	list_del(&pam->list);
	arch_spin_unlock(&pas->lock);
	local_irq_restore(flags);
}

/* Called with kmap_lock held. */
void set_page_address(struct page *page, void *virtual)
{
	BUG_ON(!PageHighMem(page));
	if (virtual) {
		pam_insert(page_slot(page), PKMAP_NR((unsigned long)virtual), page, virtual);
	} else {
		void *old = hash_lookup(page_slot(page), page);

		if (old)
			pam_remove(PKMAP_NR((unsigned long)old));
	}
}

/* ---- the pool ---- */

/*
 * inject=wrap_flush_unlocked: the task whose wrap owes the flush, until it
 * has dropped kmap_lock. Only that task flushes, as code that moved the
 * flush below its own spin_unlock() would: any other kmap() in between
 * runs with the slots already free and every TLB still holding them.
 */
static struct task_struct *flush_deferred_by;

/* inject=no_kmap_lock: kmap_high() runs without the pool's lock. */
#define kmap_high_lock() do {					\
	if (!INJECTED(NO_KMAP_LOCK))					\
		spin_lock(&kmap_lock);					\
} while (0)
#define kmap_high_unlock() do {					\
	if (!INJECTED(NO_KMAP_LOCK))					\
		spin_unlock(&kmap_lock);				\
} while (0)

/* Flush the whole pool from every CPU's TLB, and count it. */
static __always_inline void flush_pkmap_tlbs(void)
{
	/* kmap_lock keeps us on this CPU: its IPI count is ours */
	unsigned long sent = this_cpu_read(tlb_stats.ipi_sent);

	this_cpu_inc(kmap_stats.global_flushes);
	trace_event(FLUSH_START, 0, 0, 0);
	if (INJECTED(WRAP_FLUSH_LOCAL))
		__flush_tlb_all();
	else
		flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP));
	this_cpu_add(kmap_stats.flush_ipis, this_cpu_read(tlb_stats.ipi_sent) - sent);
	trace_event(FLUSH_END, this_cpu_read(tlb_stats.ipi_sent) - sent, 0, 0);
}

/* Returns whether it flushed: there was an idle slot (count 1) to free. */
static bool flush_all_zero_pkmaps(void)
{
	/* LAB(2) begin flush_all_zero_pkmaps: free every idle slot, then flush once.
	 * An idle slot (count 1) goes to 0: clear its PTE (pte_clear()) and take
	 * its node out of the hash (pam_remove()), so that invariant I1 holds
	 * again. Then, if you freed any, drop the whole pool from every CPU's
	 * TLB with ONE call of flush_pkmap_tlbs(), before you return: kmap_lock
	 * is held, and the slots must be out of every TLB before anyone else can
	 * take the lock and reuse them (I2). Return whether you flushed.
	 * The stub below is correct, and slow: a global flush (an IPI to every
	 * other CPU, and a wait for each answer) for each slot it frees, up to
	 * 511 of them a wrap. one_global_flush_per_wrap_with_ipis_to_all counts.
	 * Worth checking while you are here (a BUG_ON each): the PTE of an idle
	 * slot is present, and node i of page_address_maps[] names its page.
	 * stub: bool freed = false;
	 * stub: for (int i = 0; i < LAST_PKMAP; i++) {
	 * stub: 	if (pkmap_count[i] != 1)
	 * stub: 		continue;
	 * stub: 	pkmap_count[i] = 0;
	 * stub: 	pte_clear(&pkmap_page_table[i]);
	 * stub: 	pam_remove(i);
	 * stub: 	flush_pkmap_tlbs();	/\* naive: a global flush per slot *\/
	 * stub: 	freed = true;
	 * stub: }
	 * stub: return freed;
	 */
	bool need_flush = false;

	for (int i = 0; i < LAST_PKMAP; i++) {
		pte_t pte;

		if (pkmap_count[i] != 1)
			continue;
		pkmap_count[i] = 0;
		pte = ptep_get(&pkmap_page_table[i]);
		BUG_ON(pte_none(pte));
		/* node i must say slot i maps this PTE's page (invariant I1) */
		BUG_ON(page_address_maps[i].page != pfn_to_page(pte_pfn(pte)));
		/* Only kmap_lock holders reach these PTEs: a plain clear is
		 * enough. The TLBs are dealt with below, all at once. */
		pte_clear(&pkmap_page_table[i]);
		pam_remove(i);
		need_flush = true;
	}
	if (need_flush && INJECTED(WRAP_FLUSH_UNLOCKED)) {
		flush_deferred_by = current;	/* flushed once unlocked */
		return need_flush;
	}
	if (need_flush && !INJECTED(NO_WRAP_FLUSH))
		flush_pkmap_tlbs();
	return need_flush;
	/* LAB(2) end */
}

/* inject=wrap_flush_unlocked: the owed flush, just after the unlock. The
 * same flush and counts as the real one; only the moment is wrong. */
#define flush_deferred_pkmaps() do {					\
	if (INJECTED(WRAP_FLUSH_UNLOCKED) && flush_deferred_by == current) { \
		flush_deferred_by = NULL;				\
		preempt_disable();	/* the IPI count must be ours */ \
		flush_pkmap_tlbs();					\
		preempt_enable();					\
	}								\
} while (0)

void kmap_flush_unused(void)
{
	spin_lock(&kmap_lock);
	if (flush_all_zero_pkmaps())
		this_cpu_inc(kmap_stats.unused_flushes);
	spin_unlock(&kmap_lock);
	flush_deferred_pkmaps();
}

/* Find a free slot for page and map it; kmap_lock held, may drop it to
 * sleep. Returns the address (someone else's, if they mapped the page
 * while we slept). pas is page's hash bucket. */
static unsigned long map_new_virtual(struct page_address_slot *pas, struct page *page)
{
	unsigned long vaddr;

	/* LAB(2) begin map_new_virtual: find a free slot (count 0) for page.
	 * Leave last_pkmap_nr at it: the code after this region maps the page
	 * there. Move the cursor one slot at a time, wrapping at LAST_PKMAP
	 * (LAST_PKMAP_MASK). Each time it wraps to slot 0, call
	 * flush_all_zero_pkmaps(): it frees every idle slot (count 1) at the
	 * price of one global flush, so a lap costs at most one flush. Count
	 * the wrap (this_cpu_inc(kmap_stats.wraps)): the tests read it.
	 * If a whole lap since the last flush found no free slot, every slot is
	 * in use: sleep on pkmap_map_wait (TASK_UNINTERRUPTIBLE,
	 * this_cpu_inc(kmap_stats.sleeps)) until a kunmap() wakes you. Drop
	 * kmap_lock to sleep (kmap_high_unlock()/kmap_high_lock(): they are
	 * spin_unlock()/spin_lock() of it) and join the queue BEFORE you drop
	 * it, or a wake-up can come and go in between. Once woken and holding
	 * the lock again, look page up in the hash (hash_lookup(pas, page))
	 * before you take a slot: if another task mapped it while you slept,
	 * return that address (invariant I3: one page, one slot). If not,
	 * start the search again.
	 * For `make trace` (kernel/trace.h), mark the wrap and the sleep:
	 * trace_event(POOL_WRAP, 0, 0, 0), and POOL_SLEEP and POOL_WOKEN with
	 * page_to_pfn(page) as their first value.
	 * The stub takes the first free slot from slot 0, never flushes and
	 * never sleeps: the pool is used up after 512 distinct pages.
	 * stub: unsigned int nr = 0;		/\* naive: the first free slot ... *\/
	 * stub: while (nr < LAST_PKMAP && pkmap_count[nr])
	 * stub: 	nr++;
	 * stub: if (nr == LAST_PKMAP) {	/\* ... and with none free, no flush, no sleep *\/
	 * stub: 	kmap_high_unlock();	/\* never die holding kmap_lock *\/
	 * stub: 	LAB_TODO(2, "map_new_virtual() with no free slot");
	 * stub: }
	 * stub: last_pkmap_nr = nr;
	 */
	int count;

start:
	count = LAST_PKMAP;
	for (;;) {
		last_pkmap_nr = (last_pkmap_nr + 1) & LAST_PKMAP_MASK;
		if (!last_pkmap_nr) {
			this_cpu_inc(kmap_stats.wraps);
			trace_event(POOL_WRAP, 0, 0, 0);
			flush_all_zero_pkmaps();
			count = LAST_PKMAP;
		}
		if (!pkmap_count[last_pkmap_nr])
			break;
		if (--count)
			continue;

		/* A whole sweep since the last flush found nothing: sleep
		 * until some kunmap() frees a slot. */
		{
			DEFINE_WAIT(wait);

			this_cpu_inc(kmap_stats.sleeps);
			trace_event(POOL_SLEEP, page_to_pfn(page), 0, 0);
			prepare_to_wait(&pkmap_map_wait, &wait, TASK_UNINTERRUPTIBLE);
			kmap_high_unlock();
			schedule();
			finish_wait(&pkmap_map_wait, &wait);
			trace_event(POOL_WOKEN, page_to_pfn(page), 0, 0);
			kmap_high_lock();

			/* Somebody else might have mapped it while we slept */
			vaddr = (unsigned long)hash_lookup(pas, page);
			if (vaddr && !INJECTED(NO_FULL_RECHECK))
				return vaddr;
			goto start;
		}
	}
	/* LAB(2) end */
	vaddr = PKMAP_ADDR(last_pkmap_nr);
	/* The slot is not present and no TLB holds it (count 0): no flush. */
	set_pte(&pkmap_page_table[last_pkmap_nr], pfn_pte(page_to_pfn(page), kmap_prot));
	pkmap_count[last_pkmap_nr] = 1;
	pam_insert(pas, last_pkmap_nr, page, (void *)vaddr);
	return vaddr;
}

void *kmap_high(struct page *page)
{
	struct page_address_slot *pas = page_slot(page);
	unsigned long vaddr;

	kmap_high_lock();
	this_cpu_inc(kmap_stats.calls);
	vaddr = (unsigned long)hash_lookup(pas, page);
	if (unlikely(!vaddr)) {
		this_cpu_inc(kmap_stats.misses);
		vaddr = map_new_virtual(pas, page);
		trace_event(KMAP_MISS, PKMAP_NR(vaddr), page_to_pfn(page), 0);
	} else {
		trace_event(KMAP_HIT, PKMAP_NR(vaddr), page_to_pfn(page), 0);
	}
	pkmap_count[PKMAP_NR(vaddr)]++;
	BUG_ON(pkmap_count[PKMAP_NR(vaddr)] < 2);
	kmap_high_unlock();
	flush_deferred_pkmaps();
	return (void *)vaddr;
}

/*
 * Linux BUG()s here with kmap_lock held, and the lock is then lost for
 * good. This kernel goes on after an oops, so it first puts things back
 * (the count to 1, which only a flush may take to 0) and drops the lock:
 * the misuse kills its thread, not every later kmap().
 *
 * Both misuses end in the same BUG() line, so first a line that says
 * which rule was broken (nr < 0: the page has no pkmap slot at all). The
 * page itself is not passed in: kunmap_high()'s code stays as it was.
 */
static __noreturn __noinline void kunmap_bug(int nr)
{
	pte_t pte;

	if (nr < 0) {
		spin_unlock(&kmap_lock);
		pr_err("kmap: kunmap() of a page that is not kmapped\n");
		BUG();
	}
	pkmap_count[nr] = 1;
	pte = ptep_get(&pkmap_page_table[nr]);
	spin_unlock(&kmap_lock);
	pr_err("kmap: one kunmap() too many: pfn %#lx (pkmap slot %d) has no kmap() left to undo\n",
	       (unsigned long)pte_pfn(pte), nr);
	BUG();
}

void kunmap_high(struct page *page)
{
	unsigned long vaddr;
	int nr;

	spin_lock(&kmap_lock);
	vaddr = (unsigned long)hash_lookup(page_slot(page), page);
	if (unlikely(!vaddr))
		kunmap_bug(-1);		/* a page that is not kmapped */
	nr = PKMAP_NR(vaddr);
	/* LAB(2) begin kunmap_high: drop one use of slot nr, lazily.
	 * Count the slot down, and nothing more: its PTE, its hash node and
	 * every TLB stay as they are until a wrap (the unmap is lazy). A count
	 * that reaches 0 is one kunmap() too many: call kunmap_bug(nr), which
	 * puts the count back, drops kmap_lock and BUGs. A count that reaches
	 * 1 makes the slot idle: a wrap can free it, so if some kmap() sleeps
	 * on a full pool (the queue pkmap_map_wait is not empty; you may look
	 * at it without its lock, since sleepers join and leave it holding
	 * kmap_lock) wake it up, with wake_up(), after spin_unlock(): never
	 * wake someone up only to make them spin on the lock you hold.
	 * Keep the stub's trace_event(KUNMAP, ...) and, for `make trace`, put
	 * trace_event(POOL_WAKEUP, nr, 0, 0) just before the wake-up.
	 * The stub counts down and wakes nobody: a kmap() asleep on a full
	 * pool sleeps for good.
	 * stub: if (--pkmap_count[nr] == 0)
	 * stub: 	kunmap_bug(nr);		/\* one kunmap() too many *\/
	 * stub: trace_event(KUNMAP, nr, page_to_pfn(page), pkmap_count[nr] - 1);
	 * stub: spin_unlock(&kmap_lock);	/\* and no wake-up *\/
	 */
	bool need_wakeup = false;

	switch (--pkmap_count[nr]) {
	case 0:
		kunmap_bug(nr);		/* one kunmap() too many */
	case 1:
		/* Waiters join and leave the queue under kmap_lock, so this
		 * check needs no queue lock (waitqueue_active(), inline). */
		need_wakeup = !list_empty(&pkmap_map_wait.head);
	}
	trace_event(KUNMAP, nr, page_to_pfn(page), pkmap_count[nr] - 1);
	spin_unlock(&kmap_lock);
	if (need_wakeup && !INJECTED(NO_KUNMAP_WAKEUP)) {
		trace_event(POOL_WAKEUP, nr, 0, 0);
		wake_up(&pkmap_map_wait);
	}
	/* LAB(2) end */
}

/* Deprecated in Linux; kept so the API is complete (only its test calls it). */
struct page *kmap_to_page(void *addr)
{
	unsigned long va = (unsigned long)addr & PAGE_MASK;

	if (va >= PKMAP_BASE && va < PKMAP_END) {
		pte_t pte = ptep_get(&pkmap_page_table[PKMAP_NR(va)]);

		WARN_ON_ONCE(1);	/* slated for removal, as in Linux */
		return pte_present(pte) ? pfn_to_page(pte_pfn(pte)) : NULL;
	}
	/* a kmap_local address: only the calling task's saved PTEs know
	 * which page it maps (the hash never holds local maps) */
	if (va >= __fix_to_virt(FIX_KMAP_END) && va <= __fix_to_virt(FIX_KMAP_BEGIN)) {
		struct task_struct *tsk = current;

		WARN_ON_ONCE(1);
		for (int i = 0; i < tsk->kmap_ctrl.idx; i++)
			if (kmap_local_slot_addr(smp_processor_id(), i) == va &&
			    !pte_none(tsk->kmap_ctrl.pteval[i]))
				return pfn_to_page(pte_pfn(tsk->kmap_ctrl.pteval[i]));
		return NULL;
	}
	return virt_to_page(addr);
}

/* For tests: a slot's count (the state the comment at the top describes). */
int pkmap_slot_count(int nr)
{
	return READ_ONCE(pkmap_count[nr]);
}

unsigned int pkmap_cursor(void)
{
	return READ_ONCE(last_pkmap_nr);
}

/* For tests: the half of kmap_lock that only a release writes (a ticket
 * lock's 'owner'), so a data watchpoint on it fires right after each
 * spin_unlock(&kmap_lock) on the watching CPU, and at no other time. */
const volatile void *kmap_lock_release_word(void)
{
	return &kmap_lock.raw.owner;
}

/* ... and the half that only a taker writes (its ticket, 'next'): a
 * watchpoint on it fires as soon as a CPU queues for kmap_lock. */
const volatile void *kmap_lock_ticket_word(void)
{
	return &kmap_lock.raw.next;
}

void kmap_init(void)
{
	kmap_prot = PAGE_KERNEL;
	for (unsigned i = 0; i < ARRAY_SIZE(page_address_htable); i++) {
		INIT_LIST_HEAD(&page_address_htable[i].lh);
		page_address_htable[i].lock = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
	}
}

unsigned long kmap_stat_total(size_t offset)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += *(unsigned long *)((char *)per_cpu_ptr(&kmap_stats, cpu) + offset);
	return n;
}

/*
 * The end-of-run counters: what each API cost, per CPU. Each number says
 * what it counts, so that two that look alike do not seem to disagree:
 *
 *   kmap        the pool's global flushes, split by cause (a cursor wrap
 *               that found idle slots, or kmap_flush_unused()), and the
 *               IPIs those flushes sent;
 *   kmap_local  the unmaps, each with its own INVLPG, done inline, not
 *               through arch/x86/tlb.c; maps a thread or an interrupt
 *               handler left behind are undone (and counted) at exit;
 *   tlb         what went through flush_tlb_*(): every cause (pkmap
 *               flushes, stack releases, the demand region, tests).
 */
void kmap_report(void)
{
	unsigned long calls = KMAP_STAT(calls), misses = KMAP_STAT(misses);
	unsigned long flushes = KMAP_STAT(global_flushes), unused = KMAP_STAT(unused_flushes);
	unsigned long wraps = KMAP_STAT(wraps), sleeps = KMAP_STAT(sleeps);
	int cpu;

	/* a wrap flushes only if some slot is idle (count 1) */
	printk(KERN_INFO "kmap: %lu calls, %lu hits, %lu misses; %lu pool wraps; %lu global flushes: %lu at a wrap (the other %lu wraps found no idle slot), %lu by kmap_flush_unused(), sending %lu TLB-flush IPIs; %lu %s on a full pool\n",
	       calls, calls - misses, misses, wraps, flushes, flushes - unused,
	       wraps - (flushes - unused), unused, KMAP_STAT(flush_ipis), sleeps,
	       sleeps == 1 ? "sleep" : "sleeps");
	for_each_online_cpu(cpu) {
		struct kmap_local_stats *l = per_cpu_ptr(&kmap_local_stats, cpu);

		printk(KERN_INFO "kmap_local: CPU%d: %lu maps, %lu kunmap_local()s (an INVLPG each, not in the tlb line), %lu undone at thread or IRQ exit; %lu switch-out saves, %lu switch-in restores\n",
		       cpu, l->maps, l->invlpgs, l->unwound, l->sched_out, l->sched_in);
	}
	for_each_online_cpu(cpu) {
		struct tlb_stats *t = per_cpu_ptr(&tlb_stats, cpu);

		printk(KERN_INFO "tlb: CPU%d: flush_tlb_*() did %lu INVLPGs and %lu full flushes here; %lu flush IPIs sent, %lu received (all causes)\n",
		       cpu, t->local_single, t->local_full, t->ipi_sent, t->ipi_received);
	}
}
