/* SPDX-License-Identifier: MIT */
/*
 * bench_sched.c - what a held kmap_local mapping adds to a context switch.
 *
 * A task holding local maps pays at every switch: __kmap_local_sched_out()
 * clears each of its slot PTEs and INVLPGs it when it leaves the CPU, and
 * __kmap_local_sched_in() writes them back when it returns. Two views:
 *
 *   sched_hooks  the two hooks called back to back, irqs off, by a task
 *                holding one map: exactly the instructions they add
 *   ctxsw        two threads on one CPU yielding to each other, with and
 *                without one map held by the first; the difference per
 *                switch pair is what the map costs inside a real switch
 *
 *      ping:  yield() -> [switch out ping | in pong] pong: yield() -> [out
 *      pong | in ping] -> ping again: one "pair", two switches
 */
#include "kernel/bench.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "mm/highmem.h"
#include "mm/kmap_local.h"
#include "mm/page_alloc.h"

#define RUNS		7
#define HOOK_ITERS	1000
#define PAIRS		200

void bench_sched_hooks(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	unsigned long flags;
	u64 empty, with;
	void *va;

	if (!page || !PageHighMem(page)) {
		bench_print("sched_hooks", "error=no-highmem");
		goto out;
	}
	va = kmap_local_page(page);	/* the one live map (idx 1) */
	flags = local_irq_save();	/* as in the switch: irqs off */
	empty = bench_empty_loop(HOOK_ITERS);
	with = bench_min(RUNS, HOOK_ITERS, {
		__kmap_local_sched_out();
		__kmap_local_sched_in();
	});
	local_irq_restore(flags);
	*(volatile u32 *)va = 1;	/* still mapped after all that */
	kunmap_local(va);
	bench_report_cost("sched_hooks_1map", with, empty, HOOK_ITERS, RUNS, NULL);
out:
	if (page)
		__free_page(page);
}

struct pingpong {
	volatile int ready, stop;
	struct page *page;		/* held by ping when non-NULL */
	u64 best;			/* TSC for PAIRS pairs, cleanest run */
};

static int pong_fn(void *arg)
{
	struct pingpong *pp = arg;

	pp->ready = 1;
	while (!pp->stop)
		yield();
	return 0;
}

static int ping_fn(void *arg)
{
	struct pingpong *pp = arg;
	void *va = NULL;

	while (!pp->ready)
		yield();
	if (pp->page)
		va = kmap_local_page(pp->page);
	pp->best = bench_min(RUNS, PAIRS, yield());
	if (va)
		kunmap_local(va);
	pp->stop = 1;
	return 0;
}

/* PAIRS switch pairs between two fresh threads on this CPU. */
static u64 pingpong(struct page *held)
{
	struct pingpong pp = { .page = held };
	int cpu = smp_processor_id();
	struct task_struct *pong = kthread_create_on_cpu(pong_fn, &pp, cpu, "bench-pong");
	struct task_struct *ping = kthread_create_on_cpu(ping_fn, &pp, cpu, "bench-ping");

	if (!pong || !ping)
		return ~0ULL;
	wake_up_process(pong);
	wake_up_process(ping);
	kthread_join(ping);
	kthread_join(pong);
	return pp.best;
}

void bench_ctxsw(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);
	u64 without, with;
	char extra[80];

	if (!page || !PageHighMem(page)) {
		bench_print("ctxsw", "error=no-highmem");
		goto out;
	}
	without = pingpong(NULL);
	with = pingpong(page);
	if (without == ~0ULL || with == ~0ULL) {
		bench_print("ctxsw", "error=no-clean-run");
		goto out;
	}
	bench_print("ctxsw_pair_nomap", "insns=%llu iters=%u runs=%d",
		    without / PAIRS, PAIRS, RUNS);
	bench_print("ctxsw_pair_1map", "insns=%llu iters=%u runs=%d",
		    with / PAIRS, PAIRS, RUNS);
	snprintf(extra, sizeof(extra), "with=%llu without=%llu", with, without);
	bench_report_cost("ctxsw_1map_extra", with, without, PAIRS, RUNS, extra);
out:
	if (page)
		__free_page(page);
}
