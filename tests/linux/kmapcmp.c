// SPDX-License-Identifier: GPL-2.0
/*
 * kmapcmp.c - kmaplab's kmap scenarios and benchmarks, run inside Linux.
 *
 * A module for Debian 12's 686-pae kernel (Linux 6.1, PAE, HIGHMEM64G,
 * KMAP_LOCAL). Everything happens in its init function, which returns 0
 * (busybox's insmod would load it a second time after an error); the
 * initramfs powers off right after:
 *
 *   run=tests   the cases of kmaplab's suites kmap, kmap_local,
 *               kmap_atomic and conversion (the *_test.c files of
 *               tests/kernel), with the same case names, printed as
 *               KTAP version 1 in kmaplab's layout (kernel/ktest.c)
 *   run=bench   the icount benchmarks of `make bench` (kernel/bench_*.c),
 *               printed as "BENCH name insns=N iters=N runs=N" lines
 *   run=none    neither (with where=, say)
 *   suites=, bench=   comma lists that narrow either run
 *
 * tests/harness/linux.py boots Linux with this module in an initramfs;
 * tests/harness/compare.py and bench.py read what it prints. Each case
 * checks what kmaplab's case of the same name checks, through Linux's own
 * interfaces; where Linux keeps the state private (the pool's counts, its
 * cursor, its lock), the module finds it (see "Linux's private pkmap
 * state" below). A case that Linux cannot run as kmaplab does skips and
 * says why; one where Linux behaves differently fails, and
 * docs/linux-comparison.md says why it differs.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/kmsg_dump.h>
#include <linux/irq_work.h>
#include <linux/uaccess.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/kernel_stat.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/wait.h>
#include <linux/math64.h>
#include <linux/utsname.h>
#include <asm/unaligned.h>
#include <asm/tlbflush.h>
#include <asm/hardirq.h>
#include <asm/msr.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmaplab's kmap test cases and benchmarks, inside Linux");

static char *run = "tests";
module_param(run, charp, 0);
MODULE_PARM_DESC(run, "tests or bench");
static char *suites = "all";
module_param(suites, charp, 0);
static char *bench = "all";
module_param(bench, charp, 0);
/* A debugging aid: where=ADDR[,ADDR...] prints the symbol of each kernel
 * address (say, the EIPs QEMU's monitor shows in a hung boot). */
static char *where = "";
module_param(where, charp, 0);

/* ------------------------------------------------------------------ */
/* Linux's private pkmap state                                          */
/* ------------------------------------------------------------------ */

/*
 * mm/highmem.c keeps pkmap_count[], last_pkmap_nr and kmap_lock static,
 * and this kernel's kallsyms lists functions only (no KALLSYMS_ALL). The
 * code of the exported kmap_high() names all three, so each is found
 * there: every 32-bit word in its first bytes that is a lowmem address is
 * a candidate, and the candidate is the one that behaves as the variable
 * must (the count of a slot goes 2, 3, 2 as its page is kmapped twice and
 * kunmapped once; the cursor reads the slot of the last miss). kmap_lock
 * is the operand of the "mov $lock, %eax; call _raw_spin_lock" that opens
 * kmap_high(). kallsyms_lookup_name() itself is found with a kprobe.
 */
static int *pkmap_count_p;
static unsigned int *last_pkmap_nr_p;
static spinlock_t *kmap_lock_p;
static unsigned long (*lookup_name)(const char *name);
static void (*kmap_flush_unused_fn)(void);
static void *sched_out_fn, *sched_in_fn;
static char state_problem[160];

#define SCAN_BYTES 1024

static bool lowmem_range(unsigned long v, size_t len)
{
	/* virt_addr_valid() alone also takes pkmap addresses: a pfn is a pfn */
	return v >= PAGE_OFFSET && (v & 3) == 0 && v + len <= (unsigned long)high_memory &&
	       virt_addr_valid((void *)v) && virt_addr_valid((void *)(v + len - 1));
}

static int candidates(const u8 *code, size_t len, size_t span, unsigned long *out, int max)
{
	int n = 0;

	for (size_t i = 0; i + 4 <= len && n < max; i++) {
		unsigned long v = get_unaligned((const u32 *)(code + i));
		bool seen = false;

		if (!lowmem_range(v, span))
			continue;
		for (int k = 0; k < n; k++)
			seen |= out[k] == v;
		if (!seen)
			out[n++] = v;
	}
	return n;
}

/*
 * A highmem page that is in no pkmap slot. Linux leaves a kunmap()ed page
 * in its slot (count 1) until the next wrap, also after the page is freed;
 * such a page would make a "miss" a hit. kmaplab's tests call
 * kmap_flush_unused() before freeing; this kernel has no such function to
 * call (see find_symbols), so pages still in a slot are passed over.
 */
static struct page *fresh_highpage(void)
{
	struct page *p = NULL, *q, *tmp;
	LIST_HEAD(skipped);

	for (int tries = 0; tries < 4 * LAST_PKMAP; tries++) {
		p = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
		if (!p || !PageHighMem(p) || !page_address(p))
			break;
		list_add(&p->lru, &skipped);	/* ours until freed below */
		p = NULL;
	}
	if (p && (!PageHighMem(p) || page_address(p))) {
		__free_page(p);
		p = NULL;
	}
	list_for_each_entry_safe(q, tmp, &skipped, lru) {
		list_del(&q->lru);
		__free_page(q);
	}
	return p;
}

static unsigned long find_kmap_lock(const u8 *code)
{
	for (int i = 0; i < 96; i++) {
		if (code[i] == 0xb8 && code[i + 5] == 0xe8) {
			unsigned long imm = get_unaligned((const u32 *)(code + i + 1));
			long rel = (s32)get_unaligned((const u32 *)(code + i + 6));
			unsigned long target = (unsigned long)(code + i + 10) + rel;

			if (target == (unsigned long)_raw_spin_lock && lowmem_range(imm, 4))
				return imm;
		}
	}
	return 0;
}

static void find_pkmap_state(void)
{
	const u8 *code = (const u8 *)kmap_high;
	unsigned long cand[128];
	struct page *a = fresh_highpage(), *b = fresh_highpage(), *c = fresh_highpage();
	int n, found = 0;

	kmap_lock_p = (spinlock_t *)find_kmap_lock(code);
	if (!a || !b || !c) {
		snprintf(state_problem, sizeof(state_problem), "no highmem pages");
		goto out;
	}
	/* pkmap_count: 2 with one user, 3 with two, 2 again */
	n = candidates(code, SCAN_BYTES, LAST_PKMAP * sizeof(int), cand, ARRAY_SIZE(cand));
	{
		unsigned long nr = PKMAP_NR((unsigned long)kmap(a));
		bool ok[128];

		for (int k = 0; k < n; k++)
			ok[k] = ((int *)cand[k])[nr] == 2;
		kmap(a);
		for (int k = 0; k < n; k++)
			ok[k] &= ((int *)cand[k])[nr] == 3;
		kunmap(a);
		for (int k = 0; k < n; k++)
			ok[k] &= ((int *)cand[k])[nr] == 2;
		kunmap(a);
		for (int k = 0; k < n; k++)
			if (ok[k] && ((int *)cand[k])[nr] == 1) {
				pkmap_count_p = (int *)cand[k];
				found++;
			}
		if (found != 1)
			pkmap_count_p = NULL;
	}
	/* last_pkmap_nr: the slot of the last miss, twice */
	n = candidates(code, SCAN_BYTES, sizeof(unsigned int), cand, ARRAY_SIZE(cand));
	{
		unsigned long nr1, nr2;
		bool ok[128];

		nr1 = PKMAP_NR((unsigned long)kmap(b));
		for (int k = 0; k < n; k++)
			ok[k] = *(unsigned int *)cand[k] == nr1;
		nr2 = PKMAP_NR((unsigned long)kmap(c));
		found = 0;
		for (int k = 0; k < n; k++)
			if (ok[k] && nr1 != nr2 && *(unsigned int *)cand[k] == nr2) {
				last_pkmap_nr_p = (unsigned int *)cand[k];
				found++;
			}
		if (found != 1)
			last_pkmap_nr_p = NULL;
		kunmap(b);
		kunmap(c);
	}
	if (!pkmap_count_p || !last_pkmap_nr_p || !kmap_lock_p)
		snprintf(state_problem, sizeof(state_problem),
			 "pkmap state not found in kmap_high's code (count %d, cursor %d, lock %d)",
			 !!pkmap_count_p, !!last_pkmap_nr_p, !!kmap_lock_p);
out:
	if (a)
		__free_page(a);
	if (b)
		__free_page(b);
	if (c)
		__free_page(c);
}

static int find_symbols(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	int ret = register_kprobe(&kp);

	if (ret < 0) {
		pr_err("kmapcmp: cannot find kallsyms_lookup_name (kprobe: %d)\n", ret);
		return ret;
	}
	lookup_name = (void *)kp.addr;
	unregister_kprobe(&kp);
	if (lookup_name("kmap_high") != (unsigned long)kmap_high) {
		pr_err("kmapcmp: kallsyms_lookup_name does not find kmap_high\n");
		return -EINVAL;
	}
	/* absent from this kernel: nothing on x86-32 calls it (Xen PV did) */
	kmap_flush_unused_fn = (void *)lookup_name("kmap_flush_unused");
	sched_out_fn = (void *)lookup_name("__kmap_local_sched_out");
	sched_in_fn = (void *)lookup_name("__kmap_local_sched_in");
	pr_info("kmapcmp: kallsyms: kmap_flush_unused %px flush_all_zero_pkmaps %px __kmap_local_sched_out %px __kmap_local_sched_in %px\n",
		kmap_flush_unused_fn, (void *)lookup_name("flush_all_zero_pkmaps"),
		sched_out_fn, sched_in_fn);
	find_pkmap_state();
	return 0;
}

static int slot_count(unsigned long nr)
{
	return pkmap_count_p ? READ_ONCE(pkmap_count_p[nr]) : -1;
}

static unsigned int pkmap_cursor(void)
{
	return READ_ONCE(*last_pkmap_nr_p);
}

static pte_t *kernel_pte(unsigned long va)
{
	unsigned int level;

	return lookup_address(va, &level);
}

/* The fixmap address of local-map position 'pos' on 'cpu' (mm/highmem.c). */
static unsigned long local_slot_addr(int cpu, int pos)
{
	return __fix_to_virt(FIX_KMAP_BEGIN + pos + KM_MAX_IDX * cpu);
}

#define km_incr (IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL) ? 2 : 1)

/* Global flushes of the pkmap range, and IPIs that ran a function call. */
static atomic_t pkmap_flushes, other_kernel_flushes;

static int flush_probe_pre(struct kprobe *p, struct pt_regs *regs)
{
	/* i386 passes the first argument in %eax (-mregparm=3) */
	if (regs->ax == PKMAP_ADDR(0))
		atomic_inc(&pkmap_flushes);
	else
		atomic_inc(&other_kernel_flushes);
	return 0;
}

static struct kprobe flush_probe = {
	.symbol_name = "flush_tlb_kernel_range",
	.pre_handler = flush_probe_pre,
};
static bool flush_probe_on;

static int flush_count_start(void)
{
	int ret = 0;

	if (!flush_probe_on) {
		flush_probe.addr = NULL;
		flush_probe.flags = 0;
		ret = register_kprobe(&flush_probe);
		flush_probe_on = ret == 0;
	}
	return ret;
}

static void flush_count_stop(void)
{
	if (flush_probe_on)
		unregister_kprobe(&flush_probe);
	flush_probe_on = false;
}

static unsigned long call_ipis(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_online_cpu(cpu)
		n += per_cpu(irq_stat, cpu).irq_call_count;
	return n;
}

/* kmap_high() calls: kmaplab's KMAP_STAT(calls). */
static atomic_t kmap_high_calls;

static int kmap_high_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_inc(&kmap_high_calls);
	return 0;
}

static struct kprobe kmap_high_probe = {
	.symbol_name = "kmap_high",
	.pre_handler = kmap_high_pre,
};

/* Tasks that joined a wait queue: kmaplab's KMAP_STAT(sleeps) for one task. */
static struct task_struct *waiter_watch;
static atomic_t waiter_joins;

static int add_wait_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (current == READ_ONCE(waiter_watch))
		atomic_inc(&waiter_joins);
	return 0;
}

static struct kprobe add_wait_probe = {
	.symbol_name = "add_wait_queue",
	.pre_handler = add_wait_pre,
};

/* ------------------------------------------------------------------ */
/* A small KTAP runner, printing what kernel/ktest.c prints             */
/* ------------------------------------------------------------------ */

struct kt {
	const char *name;
	bool failed, skipped, done;
	char reason[128];
	struct mm_struct *mm;		/* insmod's, for the user-memory cases */
};

static void kt_fail(struct kt *t, const char *file, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failed = true;
	pr_err("    # %s: %s:%d: %s\n", t->name, kbasename(file), line, msg);
}

#define KT_LOG(t, fmt, ...) pr_info("    # %s: " fmt "\n", (t)->name, ##__VA_ARGS__)

#define EXPECT_OP(t, a, op, b) ({						\
	long long __a = (long long)(a), __b = (long long)(b);			\
	bool __ok = __a op __b;							\
	if (!__ok)								\
		kt_fail(t, __FILE__, __LINE__, "EXPECT %s %s %s failed: %lld vs %lld", \
			#a, #op, #b, __a, __b);					\
	__ok;									\
})
#define EXPECT_EQ(t, a, b)	EXPECT_OP(t, a, ==, b)
#define EXPECT_NE(t, a, b)	EXPECT_OP(t, a, !=, b)
#define EXPECT_GT(t, a, b)	EXPECT_OP(t, a, >, b)
#define EXPECT_GE(t, a, b)	EXPECT_OP(t, a, >=, b)
#define EXPECT_PTR_EQ(t, a, b)	EXPECT_OP(t, (unsigned long)(a), ==, (unsigned long)(b))
#define EXPECT_PTR_NE(t, a, b)	EXPECT_OP(t, (unsigned long)(a), !=, (unsigned long)(b))
#define EXPECT_TRUE(t, c)	EXPECT_OP(t, !!(c), ==, 1)
#define EXPECT_FALSE(t, c)	EXPECT_OP(t, !!(c), ==, 0)
#define ASSERT_TRUE(t, c)	do { if (!EXPECT_TRUE(t, c)) return; } while (0)
#define ASSERT_GT(t, a, b)	do { if (!EXPECT_GT(t, a, b)) return; } while (0)
#define ASSERT_EQ(t, a, b)	do { if (!EXPECT_EQ(t, a, b)) return; } while (0)
#define KT_SKIP(t, fmt, ...) do {						\
	(t)->skipped = true;							\
	snprintf((t)->reason, sizeof((t)->reason), fmt, ##__VA_ARGS__);		\
	return;									\
} while (0)

/* A highmem page, or skip the case. */
#define HIGHPAGE(t, var) do {							\
	var = fresh_highpage();							\
	if (!var)								\
		KT_SKIP(t, "no highmem at this -m");				\
} while (0)

#define NEED_PKMAP_STATE(t) do {						\
	if (state_problem[0])							\
		KT_SKIP(t, "%s", state_problem);				\
} while (0)

/* ---- the console log, as kmaplab's log_mark()/log_contains() ---- */

static u64 log_mark(void)
{
	struct kmsg_dump_iter it;

	kmsg_dump_rewind(&it);
	return it.next_seq;
}

static bool log_contains(u64 mark, const char *what)
{
	static char line[512];
	struct kmsg_dump_iter it;
	size_t len;

	kmsg_dump_rewind(&it);
	if (it.cur_seq < mark)
		it.cur_seq = mark;
	while (kmsg_dump_get_line(&it, false, line, sizeof(line) - 1, &len)) {
		line[len] = 0;
		if (strstr(line, what))
			return true;
	}
	return false;
}

/* ---- child threads: kmaplab's ktest_run_child() ---- */

struct child {
	int (*fn)(void *);
	void *arg;
	bool returned;
	int exit_code;
};

struct child_result {
	bool oopsed;
	u64 mark;
};

static int child_thread(void *data)
{
	struct child *c = data;

	c->exit_code = c->fn(c->arg);
	WRITE_ONCE(c->returned, true);
	return 0;
}

/* Wait until a task has died and been switched out for the last time. */
static void wait_task_gone(struct task_struct *p)
{
	while (!(READ_ONCE(p->exit_state) && READ_ONCE(p->__state) == TASK_DEAD &&
		 !READ_ONCE(p->on_cpu)))
		msleep(2);
}

static struct child_result run_child(int (*fn)(void *), void *arg, int cpu, const char *name)
{
	struct child c = { .fn = fn, .arg = arg };
	struct child_result r = { .mark = log_mark() };
	struct task_struct *p;

	if (cpu >= 0)
		p = kthread_create_on_cpu(child_thread, &c, cpu, name);
	else
		p = kthread_create(child_thread, &c, "%s", name);
	if (IS_ERR(p)) {
		r.oopsed = true;
		return r;
	}
	get_task_struct(p);
	wake_up_process(p);
	wait_task_gone(p);
	put_task_struct(p);
	r.oopsed = !READ_ONCE(c.returned);
	return r;
}

static int last_cpu(void)
{
	return cpumask_last(cpu_online_mask);
}

static int other_cpu(int cpu)
{
	int c;

	for_each_online_cpu(c)
		if (c != cpu)
			return c;
	return -1;
}

/* Sleep until 'n' jiffies (HZ = 250, as kmaplab's ticks) have passed. */
static void wait_ticks(unsigned long n)
{
	unsigned long t0 = jiffies;

	while (jiffies - t0 < n)
		msleep(4);
}

static unsigned long preemptions(struct task_struct *p)
{
	return READ_ONCE(p->nivcsw);
}

/* ------------------------------------------------------------------ */
/* User memory: Linux's stand-in for kmaplab's demand-filled region     */
/* ------------------------------------------------------------------ */

/*
 * kmaplab's copy_from_demand() reads a kernel region whose pages are
 * filled by a fault handler that sleeps. Linux has no such kernel region;
 * the real-world case is copy_from_user() from a user page not yet
 * faulted in. So: a fresh anonymous page of insmod's address space (the
 * case thread adopts insmod's mm), and, to make its fault sleep as
 * kmaplab's does, another thread holds that mm's mmap_lock for writing
 * for a while: the fault's mmap_read_lock() then sleeps.
 */
struct demand {
	unsigned long uaddr;
	struct mm_struct *mm;
	struct task_struct *holder;
	volatile bool held;
};

static int lock_holder_fn(void *arg)
{
	struct demand *d = arg;

	mmap_write_lock(d->mm);
	WRITE_ONCE(d->held, true);
	msleep(30);
	mmap_write_unlock(d->mm);
	return 0;
}

/* A fresh page of user memory, not faulted in, and a writer on mmap_lock. */
static int demand_reset(struct demand *d, bool contend)
{
	unsigned long a = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_ANONYMOUS | MAP_PRIVATE, 0);

	if (IS_ERR_VALUE(a))
		return (int)a;
	d->uaddr = a;
	d->mm = current->mm;
	d->held = false;
	d->holder = NULL;
	if (contend) {
		d->holder = kthread_run(lock_holder_fn, d, "kmapcmp-mmlock");
		if (IS_ERR(d->holder))
			return PTR_ERR(d->holder);
		get_task_struct(d->holder);
		while (!READ_ONCE(d->held))
			cpu_relax();
	}
	return 0;
}

static void demand_done(struct demand *d)
{
	if (d->holder) {
		wait_task_gone(d->holder);
		put_task_struct(d->holder);
	}
	vm_munmap(d->uaddr, PAGE_SIZE);
}

/* Has the page been filled (a PTE installed)? Asked by walking the
 * page tables, not by touching the page. */
static bool demand_filled(struct demand *d)
{
	struct mm_struct *mm = d->mm;
	bool present = false;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	mmap_read_lock(mm);
	pgd = pgd_offset(mm, d->uaddr);
	p4d = p4d_offset(pgd, d->uaddr);
	pud = pud_offset(p4d, d->uaddr);
	pmd = pmd_offset(pud, d->uaddr);
	if (pgd_present(*pgd) && p4d_present(*p4d) && pud_present(*pud) &&
	    pmd_present(*pmd) && !pmd_none(*pmd)) {
		pte = pte_offset_map(pmd, d->uaddr);
		present = pte_present(*pte);
		pte_unmap(pte);
	}
	mmap_read_unlock(mm);
	return present;
}

static unsigned long sleeps_of(struct task_struct *p)
{
	return READ_ONCE(p->nvcsw);
}

#define NEED_MM(t) do {								\
	if (!(t)->mm)								\
		KT_SKIP(t, "no user address space to fault in");		\
} while (0)

/* ================================================================== */
/* suite kmap (tests/kernel/kmap_test.c)                                */
/* ================================================================== */

static void kmap_of_lowmem_page_uses_no_slot(struct kt *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	int calls;
	void *va;

	if (register_kprobe(&kmap_high_probe) < 0)
		KT_SKIP(t, "cannot kprobe kmap_high");
	calls = atomic_read(&kmap_high_calls);
	va = kmap(p);
	EXPECT_PTR_EQ(t, va, page_address(p));
	EXPECT_EQ(t, atomic_read(&kmap_high_calls), calls);
	kunmap(p);
	unregister_kprobe(&kmap_high_probe);
	kmap_high_probe.addr = NULL;
	kmap_high_probe.flags = 0;
	__free_page(p);
}

struct sharer {
	struct page *page;
	void *addr;
	volatile int step;
	int cpu_before, cpu_after;
	u32 read_after;
};

static int sharer_fn(void *arg)
{
	struct sharer *s = arg;

	s->addr = kmap(s->page);
	s->cpu_before = raw_smp_processor_id();
	s->step = 1;
	while (s->step == 1)
		msleep(2);
	s->cpu_after = raw_smp_processor_id();
	s->read_after = *(volatile u32 *)s->addr;
	s->step = 3;
	return 0;
}

static void two_threads_share_one_address_valid_on_every_cpu(struct kt *t)
{
	struct page *page;
	struct sharer s = { 0 };
	int ncpu = num_online_cpus();
	int a = 0, b = ncpu > 1 ? 1 : 0, c = ncpu > 2 ? 2 : b;
	struct task_struct *pa;
	unsigned long nr;
	void *vb, *va;
	u32 magic = 0xfeedface;

	NEED_PKMAP_STATE(t);
	HIGHPAGE(t, page);
	s.page = page;
	va = kmap_local_page(page);
	memcpy(va, &magic, sizeof(magic));
	kunmap_local(va);

	/* starts on CPU a, but may be moved (kthread_create_on_cpu() would
	 * bind it for good) */
	pa = kthread_create(sharer_fn, &s, "kmap-a");
	ASSERT_TRUE(t, !IS_ERR(pa));
	get_task_struct(pa);
	EXPECT_EQ(t, set_cpus_allowed_ptr(pa, cpumask_of(a)), 0);
	wake_up_process(pa);
	while (s.step != 1)
		msleep(1);
	/* a second user on another CPU gets the same slot: count = users + 1 */
	EXPECT_EQ(t, set_cpus_allowed_ptr(current, cpumask_of(b)), 0);
	vb = kmap(page);
	nr = PKMAP_NR((unsigned long)vb);
	EXPECT_PTR_EQ(t, vb, s.addr);
	EXPECT_EQ(t, slot_count(nr), 3);
	EXPECT_PTR_EQ(t, page_address(page), vb);
	/* move the sleeping first user to a third CPU and let it read */
	EXPECT_EQ(t, set_cpus_allowed_ptr(pa, cpumask_of(c)), 0);
	while (task_cpu(pa) != c)
		msleep(1);
	s.step = 2;
	wait_task_gone(pa);
	put_task_struct(pa);
	EXPECT_EQ(t, s.cpu_before, a);
	EXPECT_EQ(t, s.cpu_after, c);
	EXPECT_EQ(t, s.read_after, 0xfeedface);
	kunmap(page);
	EXPECT_EQ(t, slot_count(nr), 2);
	kunmap(page);
	EXPECT_EQ(t, slot_count(nr), 1);	/* idle, still mapped */
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	__free_page(page);
}

static void kmap_hit_reuses_slot_without_pte_write(struct kt *t)
{
	struct page *page;
	unsigned int cursor;
	void *va1, *va2;
	pte_t *ptep, before;
	unsigned long nr;

	NEED_PKMAP_STATE(t);
	HIGHPAGE(t, page);
	va1 = kmap(page);
	kunmap(page);
	nr = PKMAP_NR((unsigned long)va1);
	ptep = kernel_pte(PKMAP_ADDR(nr));
	EXPECT_EQ(t, slot_count(nr), 1);
	EXPECT_TRUE(t, pte_present(*ptep));		/* lazy */
	EXPECT_PTR_EQ(t, page_address(page), va1);
	/* mark the live PTE with a software bit: a rewrite would drop it */
	before = *ptep;
	set_pte_atomic(ptep, __pte(pte_val(before) | _PAGE_SOFTW1));
	cursor = pkmap_cursor();		/* a miss would move it */
	va2 = kmap(page);
	EXPECT_PTR_EQ(t, va2, va1);
	EXPECT_EQ(t, pkmap_cursor(), cursor);
	EXPECT_EQ(t, pte_val(*ptep), pte_val(before) | _PAGE_SOFTW1);
	set_pte_atomic(ptep, before);
	kunmap(page);
	__free_page(page);
}

#define POOL LAST_PKMAP

static struct page **alloc_highpages(int n)
{
	struct page **v = kcalloc(n, sizeof(*v), GFP_KERNEL);

	for (int i = 0; v && i < n; i++) {
		v[i] = fresh_highpage();
		if (!v[i]) {
			while (i--)
				__free_page(v[i]);
			kfree(v);
			return NULL;
		}
	}
	return v;
}

static void free_highpages(struct page **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		__free_page(v[i]);
	kfree(v);
}

static void one_global_flush_per_wrap_with_ipis_to_all(struct kt *t)
{
	struct page **pg, **fresh;
	unsigned long ipis;
	int flushes, i;

	NEED_PKMAP_STATE(t);
	pg = alloc_highpages(POOL + 1);
	fresh = alloc_highpages(POOL);
	if (!pg || !fresh) {
		free_highpages(pg, POOL + 1);
		free_highpages(fresh, POOL);
		KT_SKIP(t, "not enough highmem for %d pages", 2 * POOL + 1);
	}
	if (flush_count_start()) {
		free_highpages(pg, POOL + 1);
		free_highpages(fresh, POOL);
		KT_SKIP(t, "cannot kprobe flush_tlb_kernel_range");
	}
	/* get to a wrap: kmap fresh pages until a flush happens */
	flushes = atomic_read(&pkmap_flushes);
	for (i = 0; i <= POOL && atomic_read(&pkmap_flushes) == flushes; i++) {
		kmap(pg[i]);
		kunmap(pg[i]);
	}
	EXPECT_GT(t, atomic_read(&pkmap_flushes), flushes);
	EXPECT_EQ(t, pkmap_cursor(), 0);

	flushes = atomic_read(&pkmap_flushes);
	ipis = call_ipis();
	for (i = 0; i < POOL - 1; i++) {
		kmap(fresh[i]);
		kunmap(fresh[i]);
	}
	EXPECT_EQ(t, atomic_read(&pkmap_flushes), flushes);	/* 511: none */
	EXPECT_EQ(t, call_ipis(), ipis);
	kmap(fresh[POOL - 1]);					/* the 512th */
	kunmap(fresh[POOL - 1]);
	EXPECT_EQ(t, atomic_read(&pkmap_flushes), flushes + 1);
	EXPECT_EQ(t, pkmap_cursor(), 0);			/* one wrap */
	EXPECT_EQ(t, call_ipis(), ipis + num_online_cpus() - 1);
	flush_count_stop();
	free_highpages(pg, POOL + 1);
	free_highpages(fresh, POOL);
}

struct tlb_reader {
	unsigned long addr;
	u32 seen[NR_CPUS];
};

static void read_on_cpu(void *arg)
{
	struct tlb_reader *r = arg;

	r->seen[smp_processor_id()] = *(volatile u32 *)r->addr;
}

static void fill_page(struct page *p, int byte)
{
	void *va = kmap_local_page(p);

	memset(va, byte, PAGE_SIZE);
	kunmap_local(va);
}

static void no_cpu_reads_stale_page_after_wrap(struct kt *t)
{
	struct page **pg = alloc_highpages(POOL + 1);
	static struct tlb_reader r;
	struct page *old, *reuser = NULL;
	unsigned long nr;
	int flushes, cpu;
	void *va_old;

	NEED_PKMAP_STATE(t);
	if (!pg)
		KT_SKIP(t, "not enough highmem for %d pages", POOL + 1);
	if (flush_count_start()) {
		free_highpages(pg, POOL + 1);
		KT_SKIP(t, "cannot kprobe flush_tlb_kernel_range");
	}
	old = pg[POOL];
	fill_page(old, 0x11);
	for (int i = 0; i < POOL; i++)
		fill_page(pg[i], 0x22);
	va_old = kmap(old);
	nr = PKMAP_NR((unsigned long)va_old);
	r.addr = (unsigned long)va_old;
	on_each_cpu(read_on_cpu, &r, 1);	/* every TLB now holds it */
	for_each_online_cpu(cpu)
		EXPECT_EQ(t, r.seen[cpu], 0x11111111);
	kunmap(old);				/* lazy: nothing flushed */

	flushes = atomic_read(&pkmap_flushes);
	for (int i = 0; i < POOL && !reuser; i++) {
		void *va = kmap(pg[i]);

		if (PKMAP_NR((unsigned long)va) == nr)
			reuser = pg[i];
		else
			kunmap(pg[i]);
	}
	flush_count_stop();
	ASSERT_TRUE(t, reuser != NULL);
	EXPECT_GT(t, atomic_read(&pkmap_flushes), flushes);
	on_each_cpu(read_on_cpu, &r, 1);
	for_each_online_cpu(cpu)
		EXPECT_EQ(t, r.seen[cpu], 0x22222222);	/* nobody saw the old page */
	kunmap(reuser);
	free_highpages(pg, POOL + 1);
}

struct hog {
	struct page **pages;
	int n;
	volatile int held;
	volatile int release;
};

static int hog_fn(void *arg)
{
	struct hog *h = arg;

	for (int i = 0; i < h->n; i++)
		kmap(h->pages[i]);
	h->held = h->n;
	while (!h->release)
		msleep(2);
	kunmap(h->pages[0]);		/* frees exactly one slot */
	while (h->release != 2)
		msleep(2);
	for (int i = 1; i < h->n; i++)
		kunmap(h->pages[i]);
	return 0;
}

struct asker {
	struct page *page;
	void *volatile addr;
};

static int asker_fn(void *arg)
{
	struct asker *a = arg;

	a->addr = kmap(a->page);
	return 0;
}

static void kmap_sleeps_while_pool_full(struct kt *t)
{
	struct page **pg = alloc_highpages(POOL + 1);
	struct hog h = { .pages = pg, .n = POOL };
	struct asker a = { 0 };
	struct task_struct *ph, *pa;
	int joins;

	NEED_PKMAP_STATE(t);
	if (!pg)
		KT_SKIP(t, "not enough highmem for %d pages", POOL + 1);
	a.page = pg[POOL];
	/* kmaplab first empties the idle slots (kmap_flush_unused); here the
	 * hog's own kmaps wrap the pool, which empties them too */
	ph = kthread_run(hog_fn, &h, "kmap-hog");
	get_task_struct(ph);
	for (int ms = 0; h.held != POOL; ms += 2) {
		if (ms > 10000) {
			/* some other kmap() user holds slots: the hog sleeps for
			 * good, and is left so */
			kt_fail(t, __FILE__, __LINE__, "the pool never filled: slots held elsewhere");
			return;
		}
		msleep(2);
	}
	if (register_kprobe(&add_wait_probe) < 0) {
		h.release = 2;
		wait_task_gone(ph);
		put_task_struct(ph);
		free_highpages(pg, POOL + 1);
		KT_SKIP(t, "cannot kprobe add_wait_queue");
	}
	pa = kthread_create(asker_fn, &a, "kmap-asker");
	get_task_struct(pa);
	joins = atomic_read(&waiter_joins);
	WRITE_ONCE(waiter_watch, pa);
	wake_up_process(pa);
	msleep(40);
	EXPECT_PTR_EQ(t, a.addr, NULL);				/* still waiting ... */
	EXPECT_EQ(t, READ_ONCE(pa->__state), TASK_UNINTERRUPTIBLE);	/* ... asleep */
	EXPECT_EQ(t, atomic_read(&waiter_joins), joins + 1);	/* on one wait queue */
	h.release = 1;
	wait_task_gone(pa);
	WRITE_ONCE(waiter_watch, NULL);
	unregister_kprobe(&add_wait_probe);
	add_wait_probe.addr = NULL;
	add_wait_probe.flags = 0;
	put_task_struct(pa);
	EXPECT_PTR_NE(t, a.addr, NULL);
	kunmap(a.page);
	h.release = 2;
	wait_task_gone(ph);
	put_task_struct(ph);
	free_highpages(pg, POOL + 1);
}

static void kmap_flush_unused_drops_idle_slots(struct kt *t)
{
	struct page *page;
	unsigned long nr;
	void *va;

	NEED_PKMAP_STATE(t);
	if (!kmap_flush_unused_fn)
		KT_SKIP(t, "this kernel has no kmap_flush_unused() (nothing on x86-32 calls it)");
	HIGHPAGE(t, page);
	va = kmap(page);
	nr = PKMAP_NR((unsigned long)va);
	kunmap(page);
	EXPECT_EQ(t, slot_count(nr), 1);
	kmap_flush_unused_fn();
	EXPECT_EQ(t, slot_count(nr), 0);
	EXPECT_PTR_EQ(t, page_address(page), NULL);
	EXPECT_TRUE(t, pte_none(*kernel_pte(PKMAP_ADDR(nr))));
	__free_page(page);
}

static int kunmap_unmapped_fn(void *arg)
{
	kunmap(arg);		/* never kmapped: BUG */
	return 0;
}

/*
 * Linux BUG()s in kunmap_high() with kmap_lock held, and the dying thread
 * never releases it. The cases below need the pool afterwards, so the
 * module puts back what the dead thread left (the lock; a count of 0 back
 * to the 1 it was at) -- after checking, and reporting, what Linux left.
 */
static bool pool_lock_lost(void)
{
	return kmap_lock_p && spin_is_locked(kmap_lock_p);
}

static void pool_repair(long nr)
{
	if (nr >= 0 && pkmap_count_p && pkmap_count_p[nr] == 0)
		pkmap_count_p[nr] = 1;
	if (pool_lock_lost()) {
		/* the dead thread's preempt_disable() died with it: balance
		 * the preempt_enable() in spin_unlock() */
		preempt_disable();
		spin_unlock(kmap_lock_p);
	}
}

static void kunmap_of_unmapped_page_is_a_bug(struct kt *t)
{
	struct page *page;
	struct child_result r;

	NEED_PKMAP_STATE(t);
	HIGHPAGE(t, page);	/* in no slot */
	r = run_child(kunmap_unmapped_fn, page, -1, "bad-kunmap");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	if (pool_lock_lost()) {
		KT_LOG(t, "Linux: the dead thread still holds kmap_lock; released by the test");
		pool_repair(-1);
	}
	__free_page(page);
}

static int kunmap_twice_fn(void *arg)
{
	kmap(arg);
	kunmap(arg);
	kunmap(arg);		/* one too many: the count would reach 0 */
	return 0;
}

static void one_kunmap_too_many_is_a_bug_and_the_pool_survives(struct kt *t)
{
	struct page *page;
	struct child_result r;
	bool lost;
	void *va;

	NEED_PKMAP_STATE(t);
	HIGHPAGE(t, page);
	r = run_child(kunmap_twice_fn, page, -1, "kunmap-twice");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	/* the lock was not lost with the thread, and the slot is idle again */
	lost = pool_lock_lost();
	EXPECT_FALSE(t, lost);
	if (lost) {
		va = page_address(page);
		KT_LOG(t, "Linux: kmap_lock died with the thread, slot count %d; repaired by the test",
		       va ? slot_count(PKMAP_NR((unsigned long)va)) : -1);
		pool_repair(va ? (long)PKMAP_NR((unsigned long)va) : -1);
	}
	va = kmap(page);
	EXPECT_EQ(t, slot_count(PKMAP_NR((unsigned long)va)), 2);
	kunmap(page);
	__free_page(page);
}

static int kmap_atomic_ctx_fn(void *arg)
{
	preempt_disable();
	kunmap(arg);	/* lowmem kunmap: a no-op, but might_sleep() fires */
	preempt_enable();
	return 0;
}

static void kmap_from_atomic_context_splats(struct kt *t)
{
	struct page *page;
	struct child_result r;

	if (!IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		KT_SKIP(t, "this kernel has no CONFIG_DEBUG_ATOMIC_SLEEP: might_sleep() checks nothing");
	page = alloc_page(GFP_KERNEL);
	r = run_child(kmap_atomic_ctx_fn, page, -1, "atomic-kmap");
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: sleeping function called from invalid context at ./include/linux/highmem-internal.h:"));
	__free_page(page);
}

static struct page *irq_kunmap_page;
static volatile bool irq_kunmap_done;

static void kunmap_in_irq(struct irq_work *w)
{
	kunmap(irq_kunmap_page);
	irq_kunmap_done = true;
}

static void kunmap_from_irq_context_splats(struct kt *t)
{
	struct irq_work w = IRQ_WORK_INIT_HARD(kunmap_in_irq);
	u64 mark = log_mark();

	if (!IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		KT_SKIP(t, "this kernel has no CONFIG_DEBUG_ATOMIC_SLEEP: might_sleep() checks nothing");
	irq_kunmap_page = alloc_page(GFP_KERNEL);
	irq_kunmap_done = false;
	preempt_disable();
	irq_work_queue(&w);
	while (!irq_kunmap_done)
		cpu_relax();
	preempt_enable();
	irq_work_sync(&w);
	EXPECT_TRUE(t, log_contains(mark, "BUG: sleeping function called from invalid context"));
	EXPECT_TRUE(t, log_contains(mark, "in_atomic(): 1, irqs_disabled(): 1"));
	__free_page(irq_kunmap_page);
}

/* ================================================================== */
/* suite kmap_local (tests/kernel/kmap_local_test.c)                    */
/* ================================================================== */

#define FORCE_MAP IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP)
#define GUARD IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL)

static void lowmem_page_returns_direct_map_and_pins_nothing(struct kt *t)
{
	struct page *p;
	void *va;

	if (FORCE_MAP)
		KT_SKIP(t, "CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP sends lowmem through slots");
	p = alloc_page(GFP_KERNEL);
	va = kmap_local_page(p);
	EXPECT_PTR_EQ(t, va, page_address(p));
	EXPECT_EQ(t, current->kmap_ctrl.idx, 0);
	EXPECT_EQ(t, current->migration_disabled, 0);
	kunmap_local(va);
	__free_page(p);
}

static void highmem_map_uses_this_cpus_slot_and_stays_preemptible(struct kt *t)
{
	struct page *p;
	int pos0 = current->kmap_ctrl.idx, cpu;
	u64 want;
	pte_t pte;
	u8 *va;

	HIGHPAGE(t, p);
	va = kmap_local_page(p);
	cpu = raw_smp_processor_id();
	pte = *kernel_pte((unsigned long)va);
	EXPECT_EQ(t, (unsigned long)va, local_slot_addr(cpu, pos0 + km_incr - 1));
	EXPECT_EQ(t, current->migration_disabled, 1);
	EXPECT_EQ(t, preempt_count(), 0);
	EXPECT_EQ(t, pte_pfn(pte), page_to_pfn(p));
	/* kmap_prot is PAGE_KERNEL, as the PTE goes in (masked as pfn_pte masks) */
	want = pgprot_val(PAGE_KERNEL) & __supported_pte_mask;
	EXPECT_EQ(t, pte_val(pte) & ~PTE_PFN_MASK, want);
	EXPECT_EQ(t, !!(pte_val(pte) & _PAGE_GLOBAL), boot_cpu_has(X86_FEATURE_PGE) &&
		  !boot_cpu_has(X86_FEATURE_PTI));
	EXPECT_EQ(t, !!(pte_val(pte) & _PAGE_NX), !!(__supported_pte_mask & _PAGE_NX));
	kunmap_local(va + 123);		/* any address inside the page will do */
	EXPECT_EQ(t, current->kmap_ctrl.idx, pos0);
	EXPECT_EQ(t, current->migration_disabled, 0);
	__free_page(p);
}

/* Each CPU has slots of its own: a task on one CPU holds its first map
 * while a task on another CPU maps its first too. Two addresses, each
 * CPU's own slot, and each task reads its own page. */
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
	WRITE_ONCE(c->mapped, true);
	while (!READ_ONCE(c->release))	/* hold it while the other CPU maps */
		cpu_relax();
	if (*va != c->tag)
		c->read = *va;
	kunmap_local((void *)va);
	return 0;
}

static void each_cpu_maps_in_slots_of_its_own(struct kt *t)
{
	struct page *pa, *pb;
	struct cpu_slot a = { .tag = 0xc0c0c0c0 }, b = { .tag = 0xc1c1c1c1 };
	int ca = last_cpu(), cb = other_cpu(ca);
	struct task_struct *ta;
	struct child_result r;

	if (cb < 0)
		KT_SKIP(t, "needs two CPUs");
	HIGHPAGE(t, pa);
	HIGHPAGE(t, pb);
	a.page = pa;
	b.page = pb;
	fill_page(pa, 0xc0);
	fill_page(pb, 0xc1);
	ta = kthread_create_on_cpu(cpu_slot_fn, &a, ca, "slot-cpu-a");
	get_task_struct(ta);
	wake_up_process(ta);
	while (!READ_ONCE(a.mapped))
		msleep(1);
	b.release = true;		/* b unmaps as soon as it has read */
	r = run_child(cpu_slot_fn, &b, cb, "slot-cpu-b");
	WRITE_ONCE(a.release, true);
	wait_task_gone(ta);
	put_task_struct(ta);
	EXPECT_EQ(t, r.oopsed, false);
	EXPECT_EQ(t, a.addr, local_slot_addr(ca, km_incr - 1));
	EXPECT_EQ(t, b.addr, local_slot_addr(cb, km_incr - 1));
	EXPECT_NE(t, a.addr, b.addr);
	EXPECT_EQ(t, a.read, a.tag);
	EXPECT_EQ(t, b.read, b.tag);
	__free_page(pa);
	__free_page(pb);
}

static void slot_faults_after_kunmap_local(struct kt *t)
{
	struct page *p;
	volatile u32 *va;
	u32 v;

	HIGHPAGE(t, p);
	migrate_disable();		/* keep the probe on this CPU's slot */
	va = kmap_local_page(p);
	*va = 0x600dcafe;
	EXPECT_EQ(t, *va, 0x600dcafe);	/* translation now cached */
	kunmap_local((void *)va);
	/* kmaplab's probe_read() returns the trap (14); Linux's: -EFAULT */
	EXPECT_EQ(t, copy_from_kernel_nofault(&v, (void *)va, sizeof(v)), -EFAULT);
	migrate_enable();
	__free_page(p);
}

struct same_slot {
	struct page *page;
	u32 tag;
	volatile bool stop;
	unsigned long reads, wrong, addr, preempted;
};

static int same_slot_fn(void *arg)
{
	struct same_slot *s = arg;
	volatile u32 *va = kmap_local_page(s->page);
	unsigned long p0 = preemptions(current);

	s->addr = (unsigned long)va;
	while (!s->stop) {
		if (*va != s->tag)
			s->wrong++;
		s->reads++;
	}
	s->preempted = preemptions(current) - p0;
	kunmap_local((void *)va);
	return 0;
}

static void same_address_maps_each_tasks_own_page(struct kt *t)
{
	struct page *pa, *pb;
	struct same_slot a = { .tag = 0xaaaaaaaa }, b = { .tag = 0xbbbbbbbb };
	int cpu = last_cpu();
	struct task_struct *ta, *tb;

	HIGHPAGE(t, pa);
	HIGHPAGE(t, pb);
	a.page = pa;
	b.page = pb;
	fill_page(pa, 0xaa);
	fill_page(pb, 0xbb);
	ta = kthread_create_on_cpu(same_slot_fn, &a, cpu, "slot-a");
	tb = kthread_create_on_cpu(same_slot_fn, &b, cpu, "slot-b");
	get_task_struct(ta);
	get_task_struct(tb);
	wake_up_process(ta);
	wake_up_process(tb);
	wait_ticks(40);
	a.stop = b.stop = true;
	wait_task_gone(ta);
	wait_task_gone(tb);
	put_task_struct(ta);
	put_task_struct(tb);
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

struct holder {
	struct page *page;
	volatile int phase;
	volatile int cpu_mapped;
	int cpu_min, cpu_max, cpu_after;
	unsigned long preempted;
};

static int holder_fn(void *arg)
{
	struct holder *h = arg;
	void *va = kmap_local_page(h->page);
	unsigned long p0 = preemptions(current);
	int lo = NR_CPUS, hi = -1;

	h->cpu_mapped = raw_smp_processor_id();
	h->phase = 1;
	while (h->phase == 1) {
		int c = raw_smp_processor_id();

		lo = min(lo, c);
		hi = max(hi, c);
	}
	h->cpu_min = lo;
	h->cpu_max = hi;
	h->preempted = preemptions(current) - p0;
	kunmap_local(va);	/* migrate_enable(): the pending move happens */
	for (int i = 0; i < 100 && raw_smp_processor_id() == lo; i++)
		msleep(2);
	h->cpu_after = raw_smp_processor_id();
	return 0;
}

static int spin_until(void *arg)
{
	volatile bool *stop = arg;

	while (!*stop)
		cpu_relax();
	return 0;
}

struct mover {
	struct task_struct *p;
	int to, ret;
};

/* set_cpus_allowed_ptr() waits until a migrate-disabled task has moved,
 * so it is called from a thread of its own. */
static int mover_fn(void *arg)
{
	struct mover *m = arg;

	m->ret = set_cpus_allowed_ptr(m->p, cpumask_of(m->to));
	return 0;
}

static void local_map_holder_is_preempted_but_not_migrated(struct kt *t)
{
	struct holder h = { 0 };
	volatile bool stop = false;
	struct task_struct *p, *rival, *mv;
	struct mover m = { .ret = -1 };
	int from, to;

	if (num_online_cpus() < 2)
		KT_SKIP(t, "needs two CPUs");
	HIGHPAGE(t, h.page);
	p = kthread_create(holder_fn, &h, "holder");
	get_task_struct(p);
	wake_up_process(p);
	while (h.phase != 1)
		msleep(1);
	/* load balancing may have moved it before it mapped: from then on
	 * it is pinned where the map was made */
	from = h.cpu_mapped;
	to = other_cpu(from);
	rival = kthread_create_on_cpu(spin_until, (void *)&stop, from, "rival");
	get_task_struct(rival);
	wake_up_process(rival);
	m.p = p;
	m.to = to;
	mv = kthread_run(mover_fn, &m, "mover");
	get_task_struct(mv);
	wait_ticks(24);
	h.phase = 2;
	stop = true;
	wait_task_gone(rival);
	wait_task_gone(p);
	wait_task_gone(mv);
	put_task_struct(rival);
	put_task_struct(p);
	put_task_struct(mv);
	EXPECT_EQ(t, m.ret, 0);
	EXPECT_EQ(t, h.cpu_min, from);
	EXPECT_EQ(t, h.cpu_max, from);
	EXPECT_GT(t, h.preempted, 0);
	EXPECT_EQ(t, h.cpu_after, to);
	__free_page(h.page);
}

/* Interrupt handlers: an irq_work raised on this CPU runs in hard-IRQ
 * context on the interrupted task, as kmaplab's self-IPI handler does. */
static struct {
	struct page *page;
	int idx_in, pos_seen;
	unsigned long addr;
	u32 value;
	volatile bool ran;
} irq_probe;

static void kmap_irq_handler(struct irq_work *w)
{
	u32 *va;

	irq_probe.idx_in = current->kmap_ctrl.idx;
	va = kmap_local_page(irq_probe.page);
	irq_probe.addr = (unsigned long)va;
	irq_probe.pos_seen = current->kmap_ctrl.idx - 1;
	irq_probe.value = *va;
	kunmap_local(va);
	irq_probe.ran = true;
}

static void irq_handler_maps_nest_on_task_stack(struct kt *t)
{
	struct irq_work w = IRQ_WORK_INIT_HARD(kmap_irq_handler);
	struct page *mine, *theirs;
	u64 mark = log_mark();
	volatile u32 *va;
	int idx, cpu;
	u32 *tv;

	HIGHPAGE(t, mine);
	HIGHPAGE(t, theirs);
	tv = kmap_local_page(theirs);
	*tv = 0x1234abcd;
	kunmap_local(tv);
	fill_page(mine, 0x77);
	irq_probe.page = theirs;
	irq_probe.ran = false;
	va = kmap_local_page(mine);
	idx = current->kmap_ctrl.idx;
	preempt_disable();
	cpu = smp_processor_id();
	irq_work_queue(&w);
	while (!READ_ONCE(irq_probe.ran))
		cpu_relax();
	preempt_enable();
	irq_work_sync(&w);
	EXPECT_EQ(t, irq_probe.idx_in, idx);
	EXPECT_EQ(t, irq_probe.pos_seen, idx + km_incr - 1);
	EXPECT_EQ(t, irq_probe.addr, local_slot_addr(cpu, idx + km_incr - 1));
	EXPECT_EQ(t, irq_probe.value, 0x1234abcd);
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);		/* back where it was */
	EXPECT_TRUE(t, pte_none(*kernel_pte(irq_probe.addr)));
	EXPECT_EQ(t, *va, 0x77777777);				/* ours intact */
	EXPECT_FALSE(t, log_contains(mark, "WARNING:"));
	kunmap_local((void *)va);
	__free_page(mine);
	__free_page(theirs);
}

static unsigned long leaked_irq_map;

static void leaky_irq_handler(struct irq_work *w)
{
	leaked_irq_map = (unsigned long)kmap_local_page(irq_probe.page);
	irq_probe.ran = true;
}

static void irq_handler_leaving_a_map_is_reported_and_undone(struct kt *t)
{
	struct irq_work w = IRQ_WORK_INIT_HARD(leaky_irq_handler);
	u64 mark = log_mark();
	int idx, md;
	bool undone;

	HIGHPAGE(t, irq_probe.page);
	irq_probe.ran = false;
	preempt_disable();
	idx = current->kmap_ctrl.idx;
	md = current->migration_disabled;
	irq_work_queue(&w);
	while (!READ_ONCE(irq_probe.ran))
		cpu_relax();
	undone = current->kmap_ctrl.idx == idx;
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);
	EXPECT_EQ(t, current->migration_disabled, md);
	EXPECT_TRUE(t, pte_none(*kernel_pte(leaked_irq_map)));
	preempt_enable();
	irq_work_sync(&w);
	EXPECT_TRUE(t, log_contains(mark, "interrupt handler left the local map stack"));
	if (!undone) {
		KT_LOG(t, "Linux: the handler's map stays on this task's stack; unmapped by the test");
		kunmap_local((void *)leaked_irq_map);
	}
	__free_page(irq_probe.page);
}

/*
 * Two levels of interrupt on one task: the outer irq_work handler maps,
 * turns interrupts on and raises a second irq_work, which runs nested in
 * it. kmaplab checks each level against its own entry depth; Linux checks
 * neither level, so its stack keeps the outer map when that leaks.
 */
static struct {
	struct page *page;
	bool leak;
	volatile bool inner_ran, outer_done;
	unsigned long outer_map;
	struct irq_work inner;
} nest;

static void nest_inner(struct irq_work *w)
{
	nest.inner_ran = true;
}

static void nest_outer(struct irq_work *w)
{
	void *va = kmap_local_page(nest.page);	/* interrupts still off */

	nest.outer_map = (unsigned long)va;
	local_irq_enable();			/* let the next level in ... */
	irq_work_queue(&nest.inner);		/* ... and raise it */
	while (!READ_ONCE(nest.inner_ran))
		cpu_relax();
	local_irq_disable();
	if (!nest.leak)
		kunmap_local(va);
	nest.outer_done = true;
}

static void run_nested_irqs(bool leak)
{
	struct irq_work outer = IRQ_WORK_INIT_HARD(nest_outer);

	nest.inner = (struct irq_work)IRQ_WORK_INIT_HARD(nest_inner);
	nest.leak = leak;
	nest.inner_ran = nest.outer_done = false;
	irq_work_queue(&outer);
	while (!READ_ONCE(nest.outer_done))
		cpu_relax();
	irq_work_sync(&outer);
	irq_work_sync(&nest.inner);
}

static void nested_irq_checks_against_its_own_entry_depth(struct kt *t)
{
	char want[96];
	bool undone;
	u64 mark;
	int idx, md;

	HIGHPAGE(t, nest.page);
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
	run_nested_irqs(true);
	snprintf(want, sizeof(want),
		 "interrupt handler left the local map stack at %d (it was %d on entry)",
		 idx + km_incr, idx);
	undone = current->kmap_ctrl.idx == idx;
	EXPECT_TRUE(t, log_contains(mark, want));
	EXPECT_EQ(t, current->kmap_ctrl.idx, idx);
	EXPECT_EQ(t, current->migration_disabled, md);
	EXPECT_TRUE(t, pte_none(*kernel_pte(nest.outer_map)));
	preempt_enable();
	if (!undone) {
		KT_LOG(t, "Linux: the outer handler's map stays on this task's stack; unmapped by the test");
		kunmap_local((void *)nest.outer_map);
	}
	__free_page(nest.page);
}

#define PLANTED_PTE	0x0badc000ULL	/* not present, not none */

struct busy {
	struct page *page;
	pte_t *ptep;		/* the planted slot */
};

static int busy_fn(void *arg)
{
	struct busy *b = arg;
	int pos;

	/* preemption off from the plant to the BUG: nothing else on this
	 * CPU may find the planted slot first */
	preempt_disable();
	pos = current->kmap_ctrl.idx + km_incr - 1;
	b->ptep = kernel_pte(local_slot_addr(smp_processor_id(), pos));
	set_pte(b->ptep, __pte(PLANTED_PTE));
	kmap_local_page(b->page);
	return 0;		/* not reached: the map BUGs */
}

static void map_into_a_busy_slot_is_a_bug(struct kt *t)
{
	struct busy b = { 0 };
	struct child_result r;

	HIGHPAGE(t, b.page);
	r = run_child(busy_fn, &b, -1, "busy-slot");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kmap_local: slot busy: position "));
	EXPECT_TRUE(t, log_contains(r.mark, "already has PTE 0xbadc000, which no map of busy-slot["));
	/* Linux keeps kmap_local in mm/highmem.c (kmaplab: mm/kmap_local.c) */
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	EXPECT_FALSE(t, log_contains(r.mark, "local mapping(s) held"));
	/* the BUG left the planted PTE alone; take it away */
	ASSERT_TRUE(t, b.ptep != NULL);
	EXPECT_EQ(t, pte_val(*b.ptep), PLANTED_PTE);
	pte_clear(&init_mm, 0, b.ptep);
	__free_page(b.page);
}

static int underflow_fn(void *arg)
{
	kunmap_local(arg);	/* nothing was mapped */
	return 0;
}

/*
 * With nothing mapped, Linux's kunmap_local_indexed() works with position
 * -1 before its BUG_ON: it clears the PTE one slot below this CPU's first
 * (on the last CPU: the previous CPU's last slot, which nothing uses; on
 * CPU 0 it would be a fixmap entry of the IO-APICs), so the child runs on
 * the last CPU. kmaplab unmaps CPU 0's first slot; here the address is
 * the one Linux expects at position -1, so that its once-per-boot
 * WARN_ON_ONCE() about a wrong address stays unfired for
 * out_of_order_unmap_reports_both_addresses, which comes next.
 */
static void unmap_with_nothing_mapped_is_a_bug(struct kt *t)
{
	struct child_result r;
	int cpu = last_cpu();

	if (cpu == 0)
		KT_SKIP(t, "needs two CPUs (Linux clears the PTE below CPU 0's first slot)");
	r = run_child(underflow_fn, (void *)local_slot_addr(cpu, -1), cpu, "underflow");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "kmap_local: kunmap_local() with nothing mapped: underflow["));
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	EXPECT_FALSE(t, log_contains(r.mark, "slot busy"));
	EXPECT_FALSE(t, log_contains(r.mark, "too many nested maps"));
}

static void force_map_warns_on_unmap_of_a_non_slot_address(struct kt *t)
{
	if (!FORCE_MAP)
		KT_SKIP(t, "this kernel has no CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP");
}

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

static void nesting_beyond_the_limit_is_a_bug(struct kt *t)
{
	struct depth d = { 0 };
	struct child_result r;
	int limit = GUARD ? 16 : 15;

	HIGHPAGE(t, d.page);
	r = run_child(depth_fn, &d, -1, "too-deep");
	EXPECT_TRUE(t, r.oopsed);
	EXPECT_EQ(t, d.mapped, limit);
	/* Linux keeps kmap_local in mm/highmem.c (kmaplab: mm/kmap_local.c) */
	EXPECT_TRUE(t, log_contains(r.mark, "kernel BUG at mm/highmem.c:"));
	/* the exit path reported and cleared what the dead thread held */
	EXPECT_TRUE(t, log_contains(r.mark, "exits with"));
	__free_page(d.page);
}

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
	l->b_cleared = pte_none(*kernel_pte((unsigned long)b));
	l->a_still_mapped = pte_present(*kernel_pte((unsigned long)a));
	l->idx_drop = idx - current->kmap_ctrl.idx;
	kunmap_local(b);
	return 0;
}

static void out_of_order_unmap_reports_both_addresses(struct kt *t)
{
	struct lifo l = { 0 };
	struct child_result r;

	HIGHPAGE(t, l.a);
	HIGHPAGE(t, l.b);
	r = run_child(lifo_fn, &l, -1, "lifo");
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "WARNING: CPU:"));
	EXPECT_TRUE(t, log_contains(r.mark, l.want));
	EXPECT_TRUE(t, l.b_cleared);
	EXPECT_TRUE(t, l.a_still_mapped);
	EXPECT_EQ(t, l.idx_drop, km_incr);
	__free_page(l.a);
	__free_page(l.b);
}

static void guard_slots_catch_overruns(struct kt *t)
{
	if (!GUARD)
		KT_SKIP(t, "this kernel has no CONFIG_DEBUG_KMAP_LOCAL (guard slots)");
}

static void force_map_puts_lowmem_in_slots(struct kt *t)
{
	if (!FORCE_MAP)
		KT_SKIP(t, "this kernel has no CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP");
}

static int leak_fn(void *arg)
{
	unsigned long *addr = arg;

	*addr = (unsigned long)kmap_local_page(pfn_to_page(addr[1]));
	return 0;		/* no kunmap_local */
}

static void exit_with_map_held_is_reported_and_cleaned(struct kt *t)
{
	struct page *p, *p2;
	unsigned long arg[2] = { 0 };
	struct child_result r;
	void *va;

	HIGHPAGE(t, p);
	HIGHPAGE(t, p2);
	arg[1] = page_to_pfn(p);
	migrate_disable();	/* the child uses this CPU's slots; so do we */
	r = run_child(leak_fn, arg, raw_smp_processor_id(), "leaker");
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "leaker"));
	EXPECT_TRUE(t, log_contains(r.mark, "exits with 1 local mapping(s) held"));
	EXPECT_TRUE(t, pte_none(*kernel_pte(arg[0])));
	if (current->kmap_ctrl.idx == 0) {
		va = kmap_local_page(p2);
		EXPECT_EQ(t, (unsigned long)va, arg[0]);
		kunmap_local(va);
	}
	migrate_enable();
	__free_page(p);
	__free_page(p2);
}

static void local_section_may_fault_and_sleep(struct kt *t)
{
	struct page *p;
	struct demand d;
	u64 mark = log_mark();
	unsigned long left, s0, s1;
	u32 buf[4], *va;

	NEED_MM(t);
	HIGHPAGE(t, p);
	ASSERT_EQ(t, demand_reset(&d, true), 0);
	va = kmap_local_page(p);
	s0 = sleeps_of(current);
	left = copy_from_user(buf, (void __user *)d.uaddr, sizeof(buf));
	s1 = sleeps_of(current);
	EXPECT_EQ(t, left, 0);
	EXPECT_EQ(t, buf[0], 0);		/* a new anonymous page reads 0 */
	EXPECT_TRUE(t, demand_filled(&d));	/* the fault filled it ... */
	EXPECT_GE(t, s1 - s0, 1);		/* ... and slept */
	msleep(5);
	EXPECT_FALSE(t, log_contains(mark, "BUG:"));
	kunmap_local(va);
	demand_done(&d);
	__free_page(p);
}

static void slot_ptes_form_one_linear_array(struct kt *t)
{
	pte_t *base = kernel_pte(__fix_to_virt(FIX_KMAP_BEGIN));

	for (int s = 0; s <= FIX_KMAP_END - FIX_KMAP_BEGIN; s++)
		EXPECT_PTR_EQ(t, kernel_pte(__fix_to_virt(FIX_KMAP_BEGIN + s)), base - s);
}

static int child_idx_fn(void *arg)
{
	*(int *)arg = current->kmap_ctrl.idx;
	return 0;
}

static void new_thread_starts_with_no_local_maps(struct kt *t)
{
	struct page *p;
	int child_idx = -1;
	void *va;

	HIGHPAGE(t, p);
	va = kmap_local_page(p);
	ASSERT_GT(t, current->kmap_ctrl.idx, 0);
	run_child(child_idx_fn, &child_idx, raw_smp_processor_id(), "child");
	EXPECT_EQ(t, child_idx, 0);
	kunmap_local(va);
	__free_page(p);
}

static void unmap_of_a_user_address_warns(struct kt *t)
{
	u64 mark = log_mark();

	kunmap_local((void *)0x1000);
	EXPECT_TRUE(t, log_contains(mark, "kunmap_local(0x00001000) of a user address"));
}

/* ================================================================== */
/* suite kmap_atomic (tests/kernel/kmap_atomic_test.c)                  */
/* ================================================================== */

#define ATOMIC_RT IS_ENABLED(CONFIG_PREEMPT_RT)

static void disables_preemption_and_faults_even_for_lowmem(struct kt *t)
{
	struct page *low;
	void *va;

	if (ATOMIC_RT)
		KT_SKIP(t, "PREEMPT_RT keeps preemption on");
	low = alloc_page(GFP_KERNEL);
	va = kmap_atomic(low);
	EXPECT_EQ(t, preempt_count(), 1);
	EXPECT_EQ(t, current->pagefault_disabled, 1);
	EXPECT_TRUE(t, faulthandler_disabled());
	kunmap_atomic(va);
	EXPECT_EQ(t, preempt_count(), 0);
	EXPECT_EQ(t, current->pagefault_disabled, 0);
	__free_page(low);
}

struct atomic_holder {
	volatile bool stop;
	unsigned long switches_before, switches_after, ticks;
	unsigned long rival_count_before, rival_count_after;
	volatile unsigned long rival_count;
	struct page *page;
};

static int rival_fn(void *arg)
{
	struct atomic_holder *h = arg;

	while (!h->stop)
		h->rival_count++;
	return 0;
}

static unsigned long switches_of(struct task_struct *p)
{
	return READ_ONCE(p->nvcsw) + READ_ONCE(p->nivcsw);
}

static int atomic_holder_fn(void *arg)
{
	struct atomic_holder *h = arg;
	unsigned long t0;
	void *va;

	while (!h->rival_count)
		yield();
	va = kmap_atomic(h->page);
	/* kmaplab counts the CPU's switches; Linux keeps that count in the
	 * private struct rq, so: this task's switches and the rival's work */
	h->switches_before = switches_of(current);
	h->rival_count_before = h->rival_count;
	t0 = jiffies;
	while (jiffies - t0 < 14)
		cpu_relax();
	h->ticks = jiffies - t0;
	h->switches_after = switches_of(current);
	h->rival_count_after = h->rival_count;
	kunmap_atomic(va);
	return 0;
}

static void no_context_switch_inside_the_section(struct kt *t)
{
	struct atomic_holder h = { 0 };
	int cpu = last_cpu();
	struct task_struct *pr, *ph;

	if (ATOMIC_RT)
		KT_SKIP(t, "PREEMPT_RT keeps preemption on");
	HIGHPAGE(t, h.page);
	pr = kthread_create_on_cpu(rival_fn, &h, cpu, "rival");
	ph = kthread_create_on_cpu(atomic_holder_fn, &h, cpu, "atomic");
	get_task_struct(pr);
	get_task_struct(ph);
	wake_up_process(pr);
	wake_up_process(ph);
	wait_task_gone(ph);
	h.stop = true;
	wait_task_gone(pr);
	put_task_struct(pr);
	put_task_struct(ph);
	EXPECT_GE(t, h.ticks, 14);
	EXPECT_EQ(t, h.switches_after, h.switches_before);
	EXPECT_EQ(t, h.rival_count_after, h.rival_count_before);
	__free_page(h.page);
}

static void fault_inside_goes_to_fixup(struct kt *t)
{
	struct page *p;
	struct demand d;
	unsigned long left, s0, s1;
	u32 buf[4];
	void *va;

	NEED_MM(t);
	HIGHPAGE(t, p);
	ASSERT_EQ(t, demand_reset(&d, true), 0);
	s0 = sleeps_of(current);
	va = kmap_atomic(p);
	left = copy_from_user(buf, (void __user *)d.uaddr, sizeof(buf));
	kunmap_atomic(va);
	s1 = sleeps_of(current);
	EXPECT_EQ(t, left, sizeof(buf));		/* nothing copied */
	EXPECT_EQ(t, s1, s0);				/* no sleep */
	EXPECT_FALSE(t, demand_filled(&d));		/* no fill (this waits for the lock) */
	demand_done(&d);
	__free_page(p);
}

static int sleep_in_atomic_fn(void *arg)
{
	void *va = kmap_atomic(arg);

	schedule_timeout(1);	/* sleeping here is the bug */
	kunmap_atomic(va);
	return 0;
}

static void scheduling_inside_is_reported(struct kt *t)
{
	struct page *p;
	struct child_result r;

	if (ATOMIC_RT)
		KT_SKIP(t, "PREEMPT_RT keeps preemption on");
	HIGHPAGE(t, p);
	r = run_child(sleep_in_atomic_fn, p, -1, "atomic-sleeper");
	EXPECT_FALSE(t, r.oopsed);
	EXPECT_TRUE(t, log_contains(r.mark, "BUG: scheduling while atomic: atomic-sleeper/"));
	__free_page(p);
}

static void rt_flavour_is_preemptible_not_migratable(struct kt *t)
{
	if (!ATOMIC_RT)
		KT_SKIP(t, "this kernel is not PREEMPT_RT");
}

/* ================================================================== */
/* suite conversion (tests/kernel/conversion_test.c)                    */
/* ================================================================== */

#define SCRATCH_WORDS 256
static DEFINE_PER_CPU(u32 [SCRATCH_WORDS], scratch);

static noinline u32 checksum_scratch(const u32 *buf)
{
	u32 sum = 0;

	for (int round = 0; round < 64; round++)
		for (int i = 0; i < SCRATCH_WORDS; i++)
			sum += READ_ONCE(buf[i]) * (round + 1);
	return sum;
}

static u32 checksum_page_atomic(struct page *page)
{
	u32 *src = kmap_atomic(page);
	u32 *buf = this_cpu_ptr(&scratch[0]);
	u32 sum;

	memcpy(buf, src, sizeof(scratch));
	sum = checksum_scratch(buf);
	kunmap_atomic(src);
	return sum;
}

/* Naive conversion: still on this CPU, but NOT alone on it. */
static u32 checksum_page_naive(struct page *page)
{
	u32 *src = kmap_local_page(page);
	u32 *buf = raw_cpu_ptr(&scratch[0]);	/* this_cpu_ptr, minus the debug check */
	u32 sum;

	memcpy(buf, src, sizeof(scratch));
	sum = checksum_scratch(buf);
	kunmap_local(src);
	return sum;
}

static u32 checksum_page_fixed(struct page *page)
{
	u32 *src = kmap_local_page(page);
	u32 *buf = get_cpu_ptr(&scratch[0]);
	u32 sum;

	memcpy(buf, src, sizeof(scratch));
	sum = checksum_scratch(buf);
	put_cpu_ptr(&scratch[0]);
	kunmap_local(src);
	return sum;
}

struct b_worker {
	u32 (*fn)(struct page *);
	struct page *page;
	u32 expect;
	volatile bool stop;
	unsigned long runs, corrupt;
};

static int b_worker_fn(void *arg)
{
	struct b_worker *w = arg;

	while (!w->stop) {
		if (w->fn(w->page) != w->expect)
			w->corrupt++;
		w->runs++;
	}
	return 0;
}

static long run_pattern_b(struct kt *t, u32 (*fn)(struct page *), unsigned long *runs)
{
	static u32 words[SCRATCH_WORDS];
	int cpu = last_cpu();
	struct b_worker w[2];
	struct task_struct *p[2];

	for (int i = 0; i < 2; i++) {
		u32 *va;

		w[i] = (struct b_worker){ .fn = fn };
		w[i].page = fresh_highpage();
		if (!w[i].page)
			return -1;
		for (int j = 0; j < SCRATCH_WORDS; j++)
			words[j] = (i + 1) * 0x01010101u + j;
		va = kmap_local_page(w[i].page);
		memcpy(va, words, sizeof(words));
		kunmap_local(va);
		w[i].expect = checksum_scratch(words);
		p[i] = kthread_create_on_cpu(b_worker_fn, &w[i], cpu, "pattern-b");
		get_task_struct(p[i]);
	}
	wake_up_process(p[0]);
	wake_up_process(p[1]);
	wait_ticks(60);
	w[0].stop = w[1].stop = true;
	for (int i = 0; i < 2; i++) {
		wait_task_gone(p[i]);
		put_task_struct(p[i]);
	}
	*runs = w[0].runs + w[1].runs;
	__free_page(w[0].page);
	__free_page(w[1].page);
	return w[0].corrupt + w[1].corrupt;
}

static void pattern_b_original_atomic_never_corrupts(struct kt *t)
{
	unsigned long runs;
	long bad;

	if (ATOMIC_RT)
		KT_SKIP(t, "PREEMPT_RT: the original relied on non-RT semantics");
	bad = run_pattern_b(t, checksum_page_atomic, &runs);
	if (bad < 0)
		KT_SKIP(t, "no highmem at this -m");
	KT_LOG(t, "kmap_atomic: %ld of %lu checksums corrupted", bad, runs);
	EXPECT_GT(t, runs, 0);
	EXPECT_EQ(t, bad, 0);
}

static void pattern_b_naive_conversion_corrupts_the_buffer(struct kt *t)
{
	unsigned long runs;
	long bad = run_pattern_b(t, checksum_page_naive, &runs);

	if (bad < 0)
		KT_SKIP(t, "no highmem at this -m");
	KT_LOG(t, "naive kmap_local: %ld of %lu checksums corrupted (expected: > 0)", bad, runs);
	EXPECT_GT(t, bad, 0);
}

static void pattern_b_get_cpu_ptr_conversion_never_corrupts(struct kt *t)
{
	unsigned long runs;
	long bad = run_pattern_b(t, checksum_page_fixed, &runs);

	if (bad < 0)
		KT_SKIP(t, "no highmem at this -m");
	KT_LOG(t, "kmap_local + get_cpu_ptr: %ld of %lu checksums corrupted", bad, runs);
	EXPECT_GT(t, runs, 0);
	EXPECT_EQ(t, bad, 0);
}

/* Pattern A: the copy from a page not yet faulted in (see struct demand). */
static unsigned long fill_page_atomic(struct page *page, const void __user *src, size_t len)
{
	void *dst = kmap_atomic(page);
	unsigned long left = copy_from_user(dst, src, len);

	kunmap_atomic(dst);
	return left;
}

static unsigned long fill_page_naive(struct page *page, const void __user *src, size_t len)
{
	void *dst = kmap_local_page(page);
	unsigned long left = copy_from_user(dst, src, len);

	kunmap_local(dst);
	return left;
}

static unsigned long fill_page_fixed(struct page *page, const void __user *src, size_t len)
{
	void *dst = kmap_local_page(page);
	unsigned long left;

	pagefault_disable();
	left = copy_from_user(dst, src, len);
	pagefault_enable();
	kunmap_local(dst);
	return left;
}

static int preempt_seen;

static unsigned long fill_page_fixed_probe(struct page *page, const void __user *src, size_t len)
{
	void *dst = kmap_local_page(page);
	unsigned long left;

	pagefault_disable();
	preempt_seen = preempt_count();
	left = copy_from_user(dst, src, len);
	pagefault_enable();
	kunmap_local(dst);
	return left;
}

struct a_result {
	long left;
	unsigned long sleeps, fills;
};

static struct a_result run_pattern_a(unsigned long (*fn)(struct page *, const void __user *, size_t))
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	struct a_result r = { .left = -1 };
	struct demand d;
	unsigned long s0;

	if (!page)
		return r;
	if (demand_reset(&d, true) == 0) {
		s0 = sleeps_of(current);
		r.left = fn(page, (const void __user *)d.uaddr, 64);
		r.sleeps = sleeps_of(current) - s0;
		r.fills = demand_filled(&d);
		demand_done(&d);
	}
	__free_page(page);
	return r;
}

static void pattern_a_original_atomic_fails_fast(struct kt *t)
{
	struct a_result r;

	NEED_MM(t);
	r = run_pattern_a(fill_page_atomic);
	EXPECT_EQ(t, r.left, 64);
	EXPECT_EQ(t, r.sleeps, 0);
}

static void pattern_a_naive_conversion_sleeps_in_the_fault(struct kt *t)
{
	struct a_result r;

	NEED_MM(t);
	r = run_pattern_a(fill_page_naive);
	KT_LOG(t, "naive kmap_local: copy left %ld bytes, fault handler slept %lu time(s)",
	       r.left, r.sleeps);
	EXPECT_EQ(t, r.left, 0);
	EXPECT_EQ(t, r.sleeps, 1);
	EXPECT_EQ(t, r.fills, 1);
}

static void pattern_a_pagefault_disable_conversion_fails_fast(struct kt *t)
{
	struct a_result r;

	NEED_MM(t);
	r = run_pattern_a(fill_page_fixed);
	EXPECT_EQ(t, r.left, 64);
	EXPECT_EQ(t, r.sleeps, 0);
	r = run_pattern_a(fill_page_fixed_probe);
	EXPECT_EQ(t, preempt_seen, 0);	/* and the section stayed preemptible */
}

/* ------------------------------------------------------------------ */
/* The suites, in kmaplab's order                                       */
/* ------------------------------------------------------------------ */

struct kt_case {
	const char *name;
	void (*fn)(struct kt *t);
};

#define CASE(f) { #f, f }

static const struct kt_case kmap_cases[] = {
	CASE(kmap_of_lowmem_page_uses_no_slot),
	CASE(two_threads_share_one_address_valid_on_every_cpu),
	CASE(kmap_hit_reuses_slot_without_pte_write),
	CASE(one_global_flush_per_wrap_with_ipis_to_all),
	CASE(no_cpu_reads_stale_page_after_wrap),
	CASE(kmap_sleeps_while_pool_full),
	CASE(kmap_flush_unused_drops_idle_slots),
	CASE(kunmap_of_unmapped_page_is_a_bug),
	CASE(one_kunmap_too_many_is_a_bug_and_the_pool_survives),
	CASE(kmap_from_atomic_context_splats),
	CASE(kunmap_from_irq_context_splats),
};

static const struct kt_case kmap_local_cases[] = {
	CASE(lowmem_page_returns_direct_map_and_pins_nothing),
	CASE(highmem_map_uses_this_cpus_slot_and_stays_preemptible),
	CASE(each_cpu_maps_in_slots_of_its_own),
	CASE(slot_faults_after_kunmap_local),
	CASE(same_address_maps_each_tasks_own_page),
	CASE(local_map_holder_is_preempted_but_not_migrated),
	CASE(irq_handler_maps_nest_on_task_stack),
	CASE(irq_handler_leaving_a_map_is_reported_and_undone),
	CASE(nested_irq_checks_against_its_own_entry_depth),
	CASE(force_map_warns_on_unmap_of_a_non_slot_address),
	CASE(nesting_beyond_the_limit_is_a_bug),
	CASE(map_into_a_busy_slot_is_a_bug),
	CASE(unmap_with_nothing_mapped_is_a_bug),
	CASE(out_of_order_unmap_reports_both_addresses),
	CASE(guard_slots_catch_overruns),
	CASE(force_map_puts_lowmem_in_slots),
	CASE(exit_with_map_held_is_reported_and_cleaned),
	CASE(local_section_may_fault_and_sleep),
	CASE(slot_ptes_form_one_linear_array),
	CASE(new_thread_starts_with_no_local_maps),
	CASE(unmap_of_a_user_address_warns),
};

static const struct kt_case kmap_atomic_cases[] = {
	CASE(disables_preemption_and_faults_even_for_lowmem),
	CASE(no_context_switch_inside_the_section),
	CASE(fault_inside_goes_to_fixup),
	CASE(scheduling_inside_is_reported),
	CASE(rt_flavour_is_preemptible_not_migratable),
};

static const struct kt_case conversion_cases[] = {
	CASE(pattern_b_original_atomic_never_corrupts),
	CASE(pattern_b_naive_conversion_corrupts_the_buffer),
	CASE(pattern_b_get_cpu_ptr_conversion_never_corrupts),
	CASE(pattern_a_original_atomic_fails_fast),
	CASE(pattern_a_naive_conversion_sleeps_in_the_fault),
	CASE(pattern_a_pagefault_disable_conversion_fails_fast),
};

struct kt_suite {
	const char *name;
	const struct kt_case *cases;
	int n;
};

#define SUITE(n, c) { n, c, ARRAY_SIZE(c) }

static const struct kt_suite all_suites[] = {
	SUITE("kmap", kmap_cases),
	SUITE("kmap_local", kmap_local_cases),
	SUITE("kmap_atomic", kmap_atomic_cases),
	SUITE("conversion", conversion_cases),
};

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!strcmp(list, "all"))
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

struct case_run {
	const struct kt_case *c;
	struct kt t;
};

static int case_thread(void *data)
{
	struct case_run *cr = data;

	if (cr->t.mm)
		kthread_use_mm(cr->t.mm);
	cr->c->fn(&cr->t);
	if (cr->t.mm)
		kthread_unuse_mm(cr->t.mm);
	WRITE_ONCE(cr->t.done, true);
	return 0;
}

/* Each case in a kernel thread of its own, as kmaplab (and KUnit) run them:
 * an oops ends the case, not the run. */
static void run_case(const struct kt_case *c, struct kt *t, struct mm_struct *mm)
{
	struct case_run *cr = kzalloc(sizeof(*cr), GFP_KERNEL);
	struct task_struct *p;

	cr->c = c;
	cr->t.name = c->name;
	cr->t.mm = mm;
	p = kthread_create(case_thread, cr, "kmapcmp-case");
	if (IS_ERR(p)) {
		t->failed = true;
		kfree(cr);
		return;
	}
	get_task_struct(p);
	wake_up_process(p);
	wait_task_gone(p);
	put_task_struct(p);
	*t = cr->t;
	if (!t->done) {
		pr_err("    # %s: the case crashed (oops)\n", c->name);
		t->failed = true;
		kfree(cr);	/* the thread is gone: nothing points here any more */
		return;
	}
	kfree(cr);
}

static int run_tests(void)
{
	int nsuites = 0, idx = 0, pass = 0, fail = 0, skip = 0;
	struct mm_struct *mm = current->mm;

	if (mm)
		mmgrab(mm);
	for (int s = 0; s < ARRAY_SIZE(all_suites); s++)
		nsuites += in_list(suites, all_suites[s].name);
	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", nsuites);
	for (int s = 0; s < ARRAY_SIZE(all_suites); s++) {
		const struct kt_suite *su = &all_suites[s];
		int sp = 0, sf = 0, ss = 0;

		if (!in_list(suites, su->name))
			continue;
		pr_info("    KTAP version 1\n");
		pr_info("    # Subtest: %s\n", su->name);
		pr_info("    1..%d\n", su->n);
		for (int i = 0; i < su->n; i++) {
			struct kt t = { 0 };

			run_case(&su->cases[i], &t, mm);
			if (t.failed) {
				pr_info("    not ok %d %s\n", i + 1, su->cases[i].name);
				sf++;
			} else if (t.skipped) {
				pr_info("    ok %d %s # SKIP %s\n", i + 1, su->cases[i].name, t.reason);
				ss++;
			} else {
				pr_info("    ok %d %s\n", i + 1, su->cases[i].name);
				sp++;
			}
		}
		pr_info("# %s: pass:%d fail:%d skip:%d total:%d\n", su->name, sp, sf, ss, su->n);
		pr_info("%s %d %s\n", sf ? "not ok" : "ok", ++idx, su->name);
		pass += sp;
		fail += sf;
		skip += ss;
	}
	pr_info("# Totals: pass:%d fail:%d skip:%d total:%d\n", pass, fail, skip,
		pass + fail + skip);
	if (mm)
		mmdrop(mm);
	return fail;
}

/* ================================================================== */
/* Benchmarks: kernel/bench.c, bench_kmap.c and bench_sched.c, in Linux */
/* ================================================================== */

static unsigned int bench_dirty_runs;

static void bench_print(const char *name, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_info("BENCH %s %s\n", name, msg);
}

/* Interrupts taken so far, all CPUs: what kmaplab's bench_irqs() counts
 * (timer ticks, IPIs, spurious), plus device interrupts. */
static unsigned long bench_irqs(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		irq_cpustat_t *s = &per_cpu(irq_stat, cpu);

		n += s->apic_timer_irqs + s->irq_spurious_count + s->irq_resched_count +
		     s->irq_call_count + s->irq_tlb_count + s->apic_irq_work_irqs +
		     s->x86_platform_ipis + s->apic_perf_irqs + s->__nmi_count +
		     kstat_cpu(cpu).irqs_sum;
	}
	return n;
}

static unsigned long ticks_all(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_online_cpu(cpu)
		n += per_cpu(irq_stat, cpu).apic_timer_irqs;
	return n;
}

#define bench_hide(v)	__asm__ __volatile__("" : "+r"(v))

#define bench_loop(iters, body) ({					\
	unsigned long __irqs = bench_irqs();				\
	u32 __n = (iters);						\
	u64 __t0, __t1;							\
	barrier();							\
	__t0 = rdtsc();							\
	for (u32 __i = 0; __i < __n; __i++) {				\
		body;							\
		barrier();						\
	}								\
	__t1 = rdtsc();							\
	barrier();							\
	bench_irqs() == __irqs ? __t1 - __t0 : (bench_dirty_runs++, ~0ULL); \
})

#define bench_min(runs, iters, body) ({					\
	u64 __best = ~0ULL;						\
	for (int __r = 0; __r < (runs); __r++) {			\
		u64 __c = bench_loop(iters, body);			\
		if (__c < __best)					\
			__best = __c;					\
	}								\
	__best;								\
})

static u64 bench_empty_loop(u32 iters)
{
	return bench_min(5, iters, );
}

static void fmt_hundredths(char *buf, size_t size, long long v)
{
	const char *sign = v < 0 ? "-" : "";

	if (v < 0)
		v = -v;
	if (v % 100)
		snprintf(buf, size, "%s%lld.%02lld", sign, v / 100, v % 100);
	else
		snprintf(buf, size, "%s%lld", sign, v / 100);
}

static void bench_report_cost(const char *name, u64 with_op, u64 empty, u32 iters,
			      int runs, const char *extra)
{
	unsigned int dirty = bench_dirty_runs;
	char val[32];

	bench_dirty_runs = 0;
	if (with_op == ~0ULL || empty == ~0ULL) {
		bench_print(name, "error=no-clean-run iters=%u runs=%d dirty=%u", iters, runs, dirty);
		return;
	}
	fmt_hundredths(val, sizeof(val),
		       div_s64((s64)(with_op - empty) * 100 + iters / 2, (s32)iters));
	bench_print(name, "insns=%s iters=%u runs=%d dirty=%u%s%s", val, iters, runs, dirty,
		    extra ? " " : "", extra ? extra : "");
}

/* ---- calib (kernel/bench.c): does the TSC count instructions? ---- */

static noinline u64 tsc_dec_loop(u32 n)
{
	u32 lo0, hi0, lo1, hi1;

	asm volatile("rdtsc\n\t"
		     "movl %%eax, %0\n\t"
		     "movl %%edx, %1\n\t"
		     "1: decl %%ecx\n\t"
		     "jnz 1b\n\t"
		     "rdtsc"
		     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1), "+c"(n)
		     : : "cc");
	return (((u64)hi1 << 32) | lo1) - (((u64)hi0 << 32) | lo0);
}

static noinline u64 tsc_gap(void)
{
	u32 lo0, hi0, lo1, hi1;

	asm volatile("rdtsc\n\t"
		     "movl %%eax, %0\n\t"
		     "movl %%edx, %1\n\t"
		     "rdtsc"
		     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1));
	return (((u64)hi1 << 32) | lo1) - (((u64)hi0 << 32) | lo0);
}

static noinline u64 tsc_rep_stos(u32 *buf, u32 n)
{
	u32 lo0, hi0, lo1, hi1;

	asm volatile("rdtsc\n\t"
		     "movl %%eax, %0\n\t"
		     "movl %%edx, %1\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "rep stosl\n\t"
		     "rdtsc"
		     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1), "+c"(n), "+D"(buf)
		     : : "cc", "memory");
	return (((u64)hi1 << 32) | lo1) - (((u64)hi0 << 32) | lo0);
}

static void bench_calib(void)
{
	static u32 buf[256];
	const u32 n1 = 1000, n2 = 100000;
	unsigned long flags;
	u64 gap, gap2, a, b, b2, stos0, stos, slope100;
	bool icount;
	char slope[32];

	local_irq_save(flags);
	gap = tsc_gap();
	gap2 = tsc_gap();
	a = tsc_dec_loop(n1);
	b = tsc_dec_loop(n2);
	b2 = tsc_dec_loop(n2);
	stos0 = tsc_rep_stos(buf, 0);
	stos = tsc_rep_stos(buf, 256);
	local_irq_restore(flags);
	slope100 = div_u64((b - a) * 100, 2 * (n2 - n1));
	icount = (b - a) == 2ULL * (n2 - n1) && b == b2 && gap == gap2;
	fmt_hundredths(slope, sizeof(slope), (long long)slope100);
	bench_print("calib", "tsc_per_insn=%s rdtsc_gap=%llu loop_fixed=%lld repeat_exact=%d icount=%d tsc_khz=%u",
		    slope, gap, (long long)a - 2LL * n1, b == b2 && gap == gap2, icount, tsc_khz);
	bench_print("calib_rep_stos", "dwords=256 tsc=%llu tsc_zero=%llu", stos, stos0);
}

/* ---- kmap_local / kmap_atomic pairs (kernel/bench_kmap.c) ---- */

#define RUNS		7
#define PAIR_ITERS	2000
#define HIT_ITERS	200
#define MISS_ITERS	400
#define PAGESET		(2 * LAST_PKMAP)
#define WRAPS_COUNTED	10
#define HOOK_ITERS	1000

#define DEFINE_PAIR_BENCH(fn, MAP, UNMAP)					\
static noinline void fn(const char *name, struct page *page)			\
{										\
	unsigned long flags;							\
	u64 empty, with;							\
										\
	local_irq_save(flags);							\
	empty = bench_empty_loop(PAIR_ITERS);					\
	with = bench_min(RUNS, PAIR_ITERS, {					\
		struct page *p = page;						\
		void *va;							\
										\
		bench_hide(p);							\
		va = MAP(p);							\
		bench_hide(va);							\
		UNMAP(va);							\
	});									\
	local_irq_restore(flags);						\
	bench_report_cost(name, with, empty, PAIR_ITERS, RUNS, NULL);		\
}

DEFINE_PAIR_BENCH(local_pair, kmap_local_page, kunmap_local)
DEFINE_PAIR_BENCH(atomic_pair, kmap_atomic, kunmap_atomic)

static void bench_kmap_local(void)
{
	struct page *high = fresh_highpage(), *low = alloc_page(GFP_KERNEL);

	if (!high || !low) {
		bench_print("kmap_local", "error=no-highmem");
		goto out;
	}
	local_pair("kmap_local_highmem", high);
	local_pair("kmap_local_lowmem", low);
out:
	if (high)
		__free_page(high);
	if (low)
		__free_page(low);
}

static void bench_kmap_atomic(void)
{
	struct page *high = fresh_highpage(), *low = alloc_page(GFP_KERNEL);

	if (!high || !low) {
		bench_print("kmap_atomic", "error=no-highmem");
		goto out;
	}
	atomic_pair("kmap_atomic_highmem", high);
	atomic_pair("kmap_atomic_lowmem", low);
out:
	if (high)
		__free_page(high);
	if (low)
		__free_page(low);
}

/* ---- kmap: hit, miss, wrap ---- */

static struct page *pageset[PAGESET];
static unsigned int pageset_next;

static bool pageset_fill(void)
{
	for (int i = 0; i < PAGESET; i++)
		if (!pageset[i] && !(pageset[i] = fresh_highpage()))
			return false;
	return true;
}

static void pageset_free(void)
{
	for (int i = 0; i < PAGESET; i++) {
		if (pageset[i])
			__free_page(pageset[i]);
		pageset[i] = NULL;
	}
}

static __always_inline void kmap_miss_once(void)
{
	struct page *p = pageset[pageset_next++ % PAGESET];
	void *va;

	bench_hide(p);
	va = kmap(p);
	bench_hide(va);
	kunmap(p);
}

static void kmap_advance_to_wrap(void)
{
	while (pkmap_cursor() != LAST_PKMAP - 1)
		kmap_miss_once();
}

static u64 miss_baseline(u32 iters)
{
	u64 best = ~0ULL;

	for (int r = 0; r < RUNS; r++) {
		u64 c = bench_loop(iters, {
			struct page *p = pageset[pageset_next++ % PAGESET];
			bench_hide(p);
		});
		best = min(best, c);
	}
	return best;
}

static noinline void bench_kmap_hit(struct page *page)
{
	u64 empty = bench_empty_loop(HIT_ITERS), with;
	unsigned int cursor;

	kmap(page);
	kunmap(page);		/* in the pool now, count 1 */
	cursor = pkmap_cursor();	/* a miss would move it */
	with = bench_min(RUNS, HIT_ITERS, {
		struct page *p = page;

		bench_hide(p);
		kmap(p);
		kunmap(p);
	});
	if (pkmap_cursor() != cursor) {
		bench_print("kmap_hit", "error=not-all-hits");
		return;
	}
	bench_report_cost("kmap_hit", with, empty, HIT_ITERS, RUNS, NULL);

	kmap(page);		/* held throughout: count 2 */
	with = bench_min(RUNS, HIT_ITERS, {
		struct page *p = page;

		bench_hide(p);
		kmap(p);
		kunmap(p);
	});
	kunmap(page);
	bench_report_cost("kmap_hit_held", with, empty, HIT_ITERS, RUNS, NULL);
}

static noinline void bench_kmap_miss(void)
{
	u64 best = ~0ULL, empty = miss_baseline(MISS_ITERS);

	for (int r = 0; r < RUNS; r++) {
		unsigned int c0;
		u64 c;

		kmap_advance_to_wrap();
		kmap_miss_once();			/* the wrap: cursor 0 */
		c0 = pkmap_cursor();
		c = bench_loop(MISS_ITERS, kmap_miss_once());
		/* every iteration a miss (the cursor moved one slot each),
		 * none of them a wrap */
		if (c0 != 0 || pkmap_cursor() != MISS_ITERS) {
			bench_print("kmap_miss", "error=window-not-all-misses");
			return;
		}
		best = min(best, c);
	}
	bench_report_cost("kmap_miss", best, empty, MISS_ITERS, RUNS, NULL);
}

static void bench_kmap(void)
{
	struct page *low = alloc_page(GFP_KERNEL);

	if (state_problem[0]) {
		bench_print("kmap", "error=no-pkmap-state");
		goto out;
	}
	if (!pageset_fill() || !low) {
		bench_print("kmap", "error=no-highmem");
		goto out;
	}
	bench_kmap_hit(pageset[0]);
	bench_kmap_miss();
	{
		u64 empty = bench_empty_loop(PAIR_ITERS);
		u64 with = bench_min(RUNS, PAIR_ITERS, {
			struct page *p = low;

			bench_hide(p);
			kmap(p);
			kunmap(p);
		});
		bench_report_cost("kmap_lowmem", with, empty, PAIR_ITERS, RUNS, NULL);
	}
out:
	if (low)
		__free_page(low);
}

static void bench_kmap_wrap(void)
{
	u64 best = ~0ULL, miss_best = ~0ULL;
	unsigned long ipis, wraps, t0;
	int ncpu = num_online_cpus(), flushes, others;
	char extra[64];

	if (state_problem[0]) {
		bench_print("kmap_wrap", "error=no-pkmap-state");
		return;
	}
	if (!pageset_fill()) {
		bench_print("kmap_wrap", "error=no-highmem");
		return;
	}
	for (int r = 0; r < RUNS; r++) {
		u64 c, m;

		kmap_advance_to_wrap();
		kmap_miss_once();
		kmap_miss_once();
		t0 = ticks_all();
		m = rdtsc();
		kmap_miss_once();
		m = rdtsc() - m;
		if (ticks_all() == t0)
			miss_best = min(miss_best, m);

		kmap_advance_to_wrap();
		t0 = ticks_all();
		c = rdtsc();
		kmap_miss_once();
		c = rdtsc() - c;
		if (pkmap_cursor() != 0) {
			bench_print("kmap_wrap", "error=no-wrap");
			return;
		}
		if (ticks_all() == t0)
			best = min(best, c);
	}
	snprintf(extra, sizeof(extra), "cpus=%d miss_plus_wrap=%llu miss=%llu", ncpu, best, miss_best);
	bench_report_cost("kmap_wrap", best, miss_best, 1, RUNS, extra);

	/* WRAPS_COUNTED wraps, starting just after one, the flushes counted
	 * by a kprobe (after the timing: a probe costs instructions) */
	if (flush_count_start()) {
		bench_print("kmap_wrap_flushes", "error=no-kprobe");
		return;
	}
	kmap_advance_to_wrap();
	kmap_miss_once();
	wraps = 0;
	flushes = atomic_read(&pkmap_flushes);
	others = atomic_read(&other_kernel_flushes);
	ipis = call_ipis();
	for (int i = 0; i < WRAPS_COUNTED * LAST_PKMAP; i++) {
		kmap_miss_once();
		wraps += pkmap_cursor() == 0;
	}
	flushes = atomic_read(&pkmap_flushes) - flushes;
	others = atomic_read(&other_kernel_flushes) - others;
	ipis = call_ipis() - ipis;
	flush_count_stop();
	bench_print("kmap_wrap_flushes", "cpus=%d misses=%d wraps=%lu global_flushes=%d flush_ipis=%lu per_wrap_flushes=%lu per_wrap_ipis=%lu other_flushes=%d",
		    ncpu, WRAPS_COUNTED * LAST_PKMAP, wraps, flushes, ipis,
		    wraps ? flushes / wraps : 0, wraps ? ipis / wraps : 0, others);
}

/* ---- sched_hooks (kernel/bench_sched.c) ---- */

/* A direct call through a register, as the scheduler's own call is direct:
 * no retpoline thunk in the way. */
static __always_inline void call_hook(void *fn)
{
	asm volatile("call *%0" : : "r"(fn) : "eax", "ecx", "edx", "memory", "cc");
}

static void bench_sched_hooks(void)
{
	struct page *page = fresh_highpage();
	void *out = sched_out_fn, *in = sched_in_fn;
	unsigned long flags;
	u64 empty, with;
	void *va;

	if (!page) {
		bench_print("sched_hooks", "error=no-highmem");
		return;
	}
	va = kmap_local_page(page);	/* the one live map */
	local_irq_save(flags);		/* as in the switch: irqs off */
	empty = bench_empty_loop(HOOK_ITERS);
	with = bench_min(RUNS, HOOK_ITERS, {
		call_hook(out);
		call_hook(in);
	});
	local_irq_restore(flags);
	*(volatile u32 *)va = 1;	/* still mapped after all that */
	kunmap_local(va);
	bench_report_cost("sched_hooks_1map", with, empty, HOOK_ITERS, RUNS, NULL);
	__free_page(page);
}

static void bench_memmap(void)
{
	/* max_pfn is not exported to modules: the size alone */
	bench_print("memmap", "struct_page=%u", (unsigned int)sizeof(struct page));
}

struct bench_case {
	const char *name;
	void (*run)(void);
};

static const struct bench_case bench_cases[] = {
	{ "calib",	 bench_calib },
	{ "kmap_local",	 bench_kmap_local },
	{ "kmap_atomic", bench_kmap_atomic },
	{ "kmap",	 bench_kmap },
	{ "kmap_wrap",	 bench_kmap_wrap },
	{ "sched_hooks", bench_sched_hooks },
	{ "memmap",	 bench_memmap },
};

static int run_bench(void)
{
	int ran = 0;

	bench_print("run", "cpus=%d filter=%s", num_online_cpus(), bench);
	if (!in_list(bench, "calib"))
		bench_calib();
	for (int i = 0; i < ARRAY_SIZE(bench_cases); i++) {
		if (!in_list(bench, bench_cases[i].name))
			continue;
		bench_cases[i].run();
		ran++;
	}
	pageset_free();
	bench_print("done", "cases=%d", ran);
	return 0;
}

static int __init kmapcmp_init(void)
{
	int ret = find_symbols();

	/* 0 even on failure: busybox's insmod would load the module a
	 * second time through init_module() after a failed finit_module() */
	if (ret) {
		pr_err("kmapcmp: cannot run (%d)\n", ret);
		return 0;
	}
	pr_info("kmapcmp: Linux %s, %d CPUs, preemption %s; pkmap state: %s\n",
		init_utsname()->release, num_online_cpus(),
		preempt_model_full() ? "full" : preempt_model_voluntary() ? "voluntary" : "none",
		state_problem[0] ? state_problem : "found");
	for (char *p = where; *p; ) {
		unsigned long a = simple_strtoul(p, &p, 16);

		pr_info("kmapcmp: %08lx is %pS\n", a, (void *)a);
		while (*p == ',')
			p++;
		if (!a)
			break;
	}
	if (!strcmp(run, "bench"))
		run_bench();
	else if (!strcmp(run, "tests"))
		run_tests();
	pr_info("kmapcmp: done\n");
	return 0;		/* stays loaded (no exit function); Linux powers off next */
}
module_init(kmapcmp_init);
