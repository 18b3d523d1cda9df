/* SPDX-License-Identifier: MIT */
/*
 * bench_scale.c - kmap_local vs kmap throughput with every CPU mapping.
 *
 * One thread per online CPU, bound to it, maps a page, writes one word
 * through the mapping and unmaps it, over and over, for SCALE_MS of guest
 * time. Each thread cycles through its own SCALE_PAGES highmem pages: more
 * than the whole pkmap pool, so every kmap() is a miss and the pool wraps
 * every LAST_PKMAP misses -- the realistic worst case kmap() was
 * deprecated for.
 *
 *   kmap_local:  CPU c only ever touches its own slots and its own TLB:
 *                nothing is shared, throughput should grow with CPUs
 *   kmap:        every call takes the one kmap_lock; every wrap flushes
 *                every CPU's TLB by IPI while holding it: a plateau
 *
 * Meant for MTTCG (plain -accel tcg: one host thread per vCPU), where the
 * TSC follows the host clock. The result is only as parallel as the host:
 * vCPUs beyond the host's cores share them.
 */
#include "kernel/bench.h"
#include "kernel/div64.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "arch/x86/tsc.h"
#include "mm/highmem.h"
#include "mm/kmap_stats.h"
#include "mm/page_alloc.h"

#define SCALE_MS	250
#define LEAD_MS		20		/* threads start together this late */
#define SCALE_PAGES	(2 * LAST_PKMAP)
#define BATCH		16		/* ops between clock reads */

struct scale_worker {
	bool use_kmap;
	u64 start_ns, end_ns;
	struct page **pages;
	unsigned long ops;
	u64 ns;
};

static int scale_fn(void *arg)
{
	struct scale_worker *w = arg;
	unsigned long ops = 0;
	unsigned i = 0;
	u64 t0;

	while (ktime_get_ns() < w->start_ns)
		cpu_relax();
	t0 = ktime_get_ns();
	do {
		for (int k = 0; k < BATCH; k++) {
			struct page *p = w->pages[i++ % SCALE_PAGES];
			u32 *va;

			if (w->use_kmap) {
				va = kmap(p);
				WRITE_ONCE(*va, *va + 1);
				kunmap(p);
			} else {
				va = kmap_local_page(p);
				WRITE_ONCE(*va, *va + 1);
				kunmap_local(va);
			}
		}
		ops += BATCH;
	} while (ktime_get_ns() < w->end_ns);
	w->ns = ktime_get_ns() - t0;
	w->ops = ops;
	return 0;
}

static void scale_run(const char *name, bool use_kmap, struct page **pages)
{
	static struct scale_worker workers[NR_CPUS];
	struct task_struct *tasks[NR_CPUS] = { 0 };
	unsigned long wraps = 0, flushes = 0, total_ops = 0;
	u64 start, ops_per_s = 0;
	int cpu, n = 0;

	for_each_possible_cpu(cpu) {
		struct kmap_stats *s = per_cpu_ptr(&kmap_stats, cpu);

		wraps -= s->wraps;
		flushes -= s->global_flushes;
	}
	start = ktime_get_ns() + LEAD_MS * 1000000ULL;
	for_each_online_cpu(cpu) {
		struct scale_worker *w = &workers[cpu];

		*w = (struct scale_worker){
			.use_kmap = use_kmap,
			.start_ns = start,
			.end_ns = start + SCALE_MS * 1000000ULL,
			.pages = pages + n * SCALE_PAGES,
		};
		tasks[cpu] = kthread_create_on_cpu(scale_fn, w, cpu, "bench-scale");
		n++;
	}
	for_each_online_cpu(cpu)
		if (tasks[cpu])
			wake_up_process(tasks[cpu]);
	for_each_online_cpu(cpu) {
		struct scale_worker *w = &workers[cpu];

		if (!tasks[cpu])
			continue;
		kthread_join(tasks[cpu]);
		total_ops += w->ops;
		if (w->ns)
			ops_per_s += div64_u64((u64)w->ops * 1000000000ULL, w->ns);
		bench_print(name, "cpu=%d ops=%lu ns=%llu", cpu, w->ops, w->ns);
	}
	for_each_possible_cpu(cpu) {
		struct kmap_stats *s = per_cpu_ptr(&kmap_stats, cpu);

		wraps += s->wraps;
		flushes += s->global_flushes;
	}
	bench_print(name, "cpus=%d ops_per_s=%llu ops=%lu ms=%d wraps=%lu global_flushes=%lu",
		    n, ops_per_s, total_ops, SCALE_MS, wraps, flushes);
}

void bench_scale(void)
{
	int ncpu = num_online_cpus(), npages = ncpu * SCALE_PAGES, got = 0;
	struct page **pages = (void *)__get_free_pages(GFP_KERNEL,
					get_order(npages * sizeof(struct page *)));

	if (!pages) {
		bench_print("scale", "error=no-memory");
		return;
	}
	for (; got < npages; got++) {
		pages[got] = alloc_page(GFP_HIGHUSER);
		if (!pages[got] || !PageHighMem(pages[got]))
			break;
	}
	if (got == npages) {
		scale_run("scale_kmap_local", false, pages);
		scale_run("scale_kmap", true, pages);
	} else {
		bench_print("scale", "error=no-highmem");
	}
	if (got < npages && pages[got])
		__free_page(pages[got]);
	while (got--)
		__free_page(pages[got]);
	free_pages((unsigned long)pages, get_order(npages * sizeof(struct page *)));
}
