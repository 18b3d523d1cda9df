/* SPDX-License-Identifier: MIT */
/*
 * vmap_stack_test.c - every kernel stack sits above an unmapped guard
 * page, freed stacks are reused without a TLB flush, and a released slot
 * is gone from every CPU's TLB before anything else can have its pages.
 *
 * What an overflow into the guard page does (a double fault, reported,
 * then a panic) cannot be a case here: it stops the machine. The test
 * matrix boots crash=stack_overflow and friends for that (kernel/
 * crash_demo.c, the "overflow*" configs of tests/harness/matrix.py).
 */
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/tlb.h"
#include "arch/x86/traps.h"
#include "mm/vmap_stack.h"
#include "mm/pgtable.h"
#include "mm/page_alloc.h"
#include "mm/extable.h"

extern char boot_stack_guard[], boot_stack[], boot_stack_top[];

static bool mapped(unsigned long va)
{
	pte_t *ptep = lookup_kernel_pte(va);

	return ptep && pte_present(ptep_get(ptep));
}

/* Every page of [stack, stack + THREAD_SIZE) mapped, the one below not. */
static void expect_guarded_stack(struct ktest *t, unsigned long stack)
{
	u32 v;

	for (unsigned long va = stack; va < stack + THREAD_SIZE; va += PAGE_SIZE)
		EXPECT_TRUE(t, mapped(va));
	EXPECT_FALSE(t, mapped(stack - PAGE_SIZE));
	EXPECT_EQ(t, copy_from_kernel_nofault(&v, (void *)(stack - sizeof(v)), sizeof(v)),
		  -EFAULT);
}

static unsigned long esp(void)
{
	unsigned long sp;

	__asm__ __volatile__("movl %%esp, %0" : "=r"(sp));
	return sp;
}

static void thread_runs_on_a_stack_in_the_stack_area(struct ktest *t)
{
	unsigned long stack = (unsigned long)current->stack, sp = esp();

	EXPECT_GE(t, stack, STACK_AREA_START + PAGE_SIZE);
	EXPECT_LE(t, stack + THREAD_SIZE, STACK_AREA_END);
	EXPECT_GE(t, sp, stack);
	EXPECT_LT(t, sp, stack + THREAD_SIZE);
}

static void thread_stack_has_an_unmapped_guard_page_below(struct ktest *t)
{
	expect_guarded_stack(t, (unsigned long)current->stack);
}

/* The double-fault report looks esp up with get_stack_info(): an esp just
 * below the stack must still lead to this task's stack and its bounds. */
static void esp_in_the_guard_page_names_this_stack(struct ktest *t)
{
	unsigned long stack = (unsigned long)current->stack;
	struct stack_info info;

	EXPECT_FALSE(t, get_stack_info(stack - 4, &info));
	ASSERT_TRUE(t, get_stack_info(stack - 4 + PAGE_SIZE, &info));
	EXPECT_EQ(t, info.begin, stack);
	EXPECT_EQ(t, info.end, stack + THREAD_SIZE);
	EXPECT_STREQ(t, info.name, "task");
}

static void boot_stack_has_an_unmapped_guard_page_below(struct ktest *t)
{
	EXPECT_PTR_EQ(t, boot_stack_guard + PAGE_SIZE, boot_stack);
	EXPECT_EQ(t, boot_stack_top - boot_stack, THREAD_SIZE);
	expect_guarded_stack(t, (unsigned long)boot_stack);
}

static void every_ap_stack_has_an_unmapped_guard_page_below(struct ktest *t)
{
	int cpu, n = 0;

	for_each_online_cpu(cpu) {
		unsigned long stack = (unsigned long)ap_stack[cpu];

		if (!cpu)
			continue;
		EXPECT_GE(t, stack, STACK_AREA_START);
		EXPECT_LT(t, stack, STACK_AREA_END);
		expect_guarded_stack(t, stack);
		n++;
	}
	if (!n)
		KTEST_SKIP(t, "no AP at -smp 1");
}

/* vmalloc's choice: the pages are only reached through the stack area,
 * so they need not take up lowmem. */
static void stack_pages_come_from_highmem_when_there_is_some(struct ktest *t)
{
	unsigned long stack = (unsigned long)vmap_stack_alloc();

	ASSERT_NE(t, stack, 0);
	if (zones[ZONE_HIGHMEM].managed_pages == 0) {
		vmap_stack_free((void *)stack);
		KTEST_SKIP(t, "no highmem at this -m");
	}
	for (int i = 0; i < STACK_PAGES; i++)
		EXPECT_GE(t, pte_pfn(ptep_get(lookup_kernel_pte(stack + i * PAGE_SIZE))),
			  max_low_pfn);
	vmap_stack_free((void *)stack);
}

/* A freed stack stays mapped in the cache and comes back as it was: no
 * slot released, no TLB flush on this CPU. */
static void freed_stack_is_reused_without_a_flush(struct ktest *t)
{
	struct vmap_stack_stats s0, s1;
	unsigned long flushes;
	void *a, *b;

	migrate_disable();
	a = vmap_stack_alloc();
	ASSERT_PTR_NE(t, a, NULL);
	vmap_stack_get_stats(&s0);
	flushes = this_cpu_read(tlb_stats.local_single) + this_cpu_read(tlb_stats.local_full);
	vmap_stack_free(a);
	b = vmap_stack_alloc();
	EXPECT_EQ(t, this_cpu_read(tlb_stats.local_single) + this_cpu_read(tlb_stats.local_full),
		  flushes);
	migrate_enable();
	vmap_stack_get_stats(&s1);
	EXPECT_PTR_EQ(t, b, a);
	EXPECT_EQ(t, s1.releases, s0.releases);
	EXPECT_EQ(t, s1.cache_hits, s0.cache_hits + 1);
	vmap_stack_free(b);
}

struct reader {
	const u32 *addr;
	volatile int phase;		/* 1: first read done, 2: go on, 3: done */
	long first, second;
	u32 seen;
};

static int reader_fn(void *arg)
{
	struct reader *r = arg;
	u32 v = 0;

	r->first = copy_from_kernel_nofault(&v, r->addr, sizeof(v));
	r->seen = v;
	r->phase = 1;
	while (r->phase != 2)
		cpu_relax();
	r->second = copy_from_kernel_nofault(&v, r->addr, sizeof(v));
	r->phase = 3;
	return 0;
}

/*
 * Releasing a slot (cache drained) takes its mapping away on every CPU,
 * including ones that had just used it: both this CPU and another one
 * read the stack (so their TLBs hold it), then after the release both
 * reads fault. Without the flush they would still see the old page.
 */
static void released_stack_faults_on_every_cpu(struct ktest *t)
{
	struct reader r = { 0 };
	struct task_struct *p = NULL;
	struct vmap_stack_stats s0, s1;
	int other = -1, cpu;
	u32 *stack = vmap_stack_alloc(), v;

	ASSERT_PTR_NE(t, stack, NULL);
	stack[0] = 0x5eed57ac;
	r.addr = stack;
	migrate_disable();
	for_each_online_cpu(cpu) {
		if (cpu != smp_processor_id()) {
			other = cpu;
			break;
		}
	}
	if (other >= 0)
		p = kthread_create_on_cpu(reader_fn, &r, other, "stack-reader");
	if (p) {
		wake_up_process(p);
		while (r.phase != 1)
			cpu_relax();
		EXPECT_EQ(t, r.first, 0);
		EXPECT_EQ(t, r.seen, 0x5eed57ac);
	}
	EXPECT_EQ(t, copy_from_kernel_nofault(&v, stack, sizeof(v)), 0);

	vmap_stack_get_stats(&s0);
	vmap_stack_free(stack);
	vmap_stack_drain();
	vmap_stack_get_stats(&s1);
	EXPECT_GT(t, s1.releases, s0.releases);
	EXPECT_EQ(t, s1.cached, 0);

	EXPECT_EQ(t, copy_from_kernel_nofault(&v, stack, sizeof(v)), -EFAULT);
	migrate_enable();
	if (p) {
		r.phase = 2;
		kthread_join(p);
		EXPECT_EQ(t, r.second, -EFAULT);
	} else {
		KTEST_LOG(t, "no second CPU: only this CPU's TLB checked");
	}
}

/* Out of slots is a refusal (NULL, with a warning), not a crash, and
 * freeing makes room again. */
static void exhausted_area_refuses_then_recovers(struct ktest *t)
{
	static void *taken[NR_STACK_SLOTS];
	struct vmap_stack_stats s;
	int n = 0;
	u64 mark = log_mark();
	char want[64];
	void *extra;

	for (;;) {
		void *st = vmap_stack_alloc();

		if (!st)
			break;
		ASSERT_LT(t, n, NR_STACK_SLOTS);
		taken[n++] = st;
	}
	vmap_stack_get_stats(&s);
	EXPECT_EQ(t, s.in_use, NR_STACK_SLOTS);
	snprintf(want, sizeof(want), "vmap_stack: all %d stack slots are in use", NR_STACK_SLOTS);
	EXPECT_TRUE(t, log_contains(mark, want));
	vmap_stack_free(taken[--n]);
	extra = vmap_stack_alloc();
	EXPECT_PTR_NE(t, extra, NULL);
	if (extra)
		vmap_stack_free(extra);
	while (n)
		vmap_stack_free(taken[--n]);
}

static int return_zero(void *unused)
{
	return 0;
}

/* Average TSC cycles of 100 kthread create+join (+ drain: every stack
 * released and flushed instead of cached). */
static u64 create_join_cost(struct ktest *t, bool drain)
{
	u64 t0 = rdtsc();

	for (int i = 0; i < 100; i++) {
		struct task_struct *p = kthread_run(return_zero, NULL, "nop");

		ASSERT_PTR_NE(t, p, NULL);
		kthread_join(p);
		if (drain)
			vmap_stack_drain();
	}
	return (rdtsc() - t0) / 100;
}

/* Creating threads one after another takes no new slot and releases
 * none: each reuses the stack the last one left in the cache. */
static void thread_churn_runs_on_cached_stacks(struct ktest *t)
{
	struct vmap_stack_stats s0, s1;
	u64 cached, released;

	create_join_cost(t, false);		/* warm up */
	vmap_stack_get_stats(&s0);
	cached = create_join_cost(t, false);
	vmap_stack_get_stats(&s1);
	EXPECT_EQ(t, s1.releases, s0.releases);
	EXPECT_EQ(t, s1.peak, s0.peak);
	EXPECT_EQ(t, s1.cache_hits - s0.cache_hits, 100);
	released = create_join_cost(t, true);
	printk(KERN_INFO "vmap_stack: kthread create+join: %llu TSC cycles (stack from the cache), %llu (slot released and flushed each time), average of 100\n",
	       cached, released);
}

KTEST_SUITE(vmap_stack,
	    KTEST_CASE(thread_runs_on_a_stack_in_the_stack_area),
	    KTEST_CASE(thread_stack_has_an_unmapped_guard_page_below),
	    KTEST_CASE(esp_in_the_guard_page_names_this_stack),
	    KTEST_CASE(boot_stack_has_an_unmapped_guard_page_below),
	    KTEST_CASE(every_ap_stack_has_an_unmapped_guard_page_below),
	    KTEST_CASE(stack_pages_come_from_highmem_when_there_is_some),
	    KTEST_CASE(freed_stack_is_reused_without_a_flush),
	    KTEST_CASE(released_stack_faults_on_every_cpu),
	    KTEST_CASE(exhausted_area_refuses_then_recovers),
	    KTEST_CASE(thread_churn_runs_on_cached_stacks));
