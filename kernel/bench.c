/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the benchmark runner: bench=all|NAME[,NAME...] on the command
 * line, run by init in place of the test suites.
 *
 * Rules it keeps: a measured window with an interrupt in it is discarded
 * (bench_loop), never averaged in; every number printed says how it was
 * obtained (iterations, runs); timing is never asserted -- a benchmark
 * reports, the harness judges.
 *
 * The "calib" case checks the premise of every instruction count here,
 * that under -icount shift=0 the TSC moves by exactly one per instruction:
 *
 *   rdtsc ; mov ; mov ; [dec ecx ; jnz] x n ; rdtsc
 *
 * is timed for two values of n; the slope must be 2 per iteration, and a
 * second measurement must repeat the first to the instruction.
 */
#include "kernel/bench.h"
#include "kernel/div64.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/cpumask.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "arch/x86/percpu.h"
#include "mm/page.h"
#include "mm/memblock.h"

static const struct bench_case bench_cases[] = {
	{ "calib",	 bench_calib },		/* TSC vs instructions */
	{ "kmap_local",	 bench_kmap_local },	/* map+unmap pairs */
	{ "kmap_atomic", bench_kmap_atomic },
	{ "kmap",	 bench_kmap },		/* hit and miss */
	{ "kmap_wrap",	 bench_kmap_wrap },	/* one pool wrap, flush counts */
	{ "sched_hooks", bench_sched_hooks },	/* switch-out + switch-in */
	{ "ctxsw",	 bench_ctxsw },		/* yield ping-pong */
	{ "scale",	 bench_scale },		/* throughput on every CPU */
	{ "memmap",	 bench_memmap },	/* struct page, mem_map size */
};

static char bench_filter[128];

static bool set_bench_filter(const char *v)
{
	if (!v || !*v)
		return false;
	strlcpy(bench_filter, v, sizeof(bench_filter));
	return true;
}
early_param("bench", set_bench_filter);

bool bench_tsc_is_icount;
unsigned int bench_dirty_runs;

/* The monitor's "bench NAME": false if no case has that name. */
bool bench_select(const char *name)
{
	bool known = !strcmp(name, "all");

	for (unsigned i = 0; i < ARRAY_SIZE(bench_cases); i++)
		known |= !strcmp(bench_cases[i].name, name);
	if (known)
		strlcpy(bench_filter, name, sizeof(bench_filter));
	return known;
}

bool bench_requested(void)
{
	return bench_filter[0] != 0;
}

static bool case_selected(const char *name)
{
	return !strcmp(bench_filter, "all") || name_in_list(bench_filter, name);
}

void bench_print(const char *name, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_INFO "BENCH %s %s\n", name, msg);
}

unsigned long bench_irqs(void)
{
	unsigned long n = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		n += per_cpu(apic_timer_irqs, cpu) + per_cpu(apic_spurious_irqs, cpu);
		for (int k = 0; k < NR_IPI_KINDS; k++)
			n += per_cpu(ipi_stats, cpu).received[k];
	}
	return n;
}

u64 bench_empty_loop(u32 iters)
{
	return bench_min(5, iters, );
}

/* 'v' hundredths as "N" or "N.NN" (vsnprintf has no %f). */
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

void bench_report_cost(const char *name, u64 with_op, u64 empty, u32 iters,
		       int runs, const char *extra)
{
	char val[32];

	unsigned int dirty = bench_dirty_runs;

	bench_dirty_runs = 0;
	if (with_op == ~0ULL || empty == ~0ULL) {
		bench_print(name, "error=no-clean-run iters=%u runs=%d dirty=%u", iters, runs, dirty);
		return;
	}
	/* rounded to the nearest hundredth */
	fmt_hundredths(val, sizeof(val),
		       div_s64((s64)(with_op - empty) * 100 + iters / 2, (s32)iters));
	bench_print(name, "insns=%s iters=%u runs=%d dirty=%u%s%s", val, iters, runs, dirty,
		    extra ? " " : "", extra ? extra : "");
}

/* ---- calib: does the TSC count instructions? ---- */

/* rdtsc; the two movs that save it; n x (dec; jnz); rdtsc. */
static u64 tsc_dec_loop(u32 n)
{
	u32 lo0, hi0, lo1, hi1;

	__asm__ __volatile__("rdtsc\n\t"
			     "movl %%eax, %0\n\t"
			     "movl %%edx, %1\n\t"
			     "1: decl %%ecx\n\t"
			     "jnz 1b\n\t"
			     "rdtsc"
			     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1), "+c"(n)
			     : : "cc");
	return (((u64)hi1 << 32) | lo1) - (((u64)hi0 << 32) | lo0);
}

/* rdtsc; the two movs; rdtsc: what a reading costs beyond itself. */
static u64 tsc_gap(void)
{
	u32 lo0, hi0, lo1, hi1;

	__asm__ __volatile__("rdtsc\n\t"
			     "movl %%eax, %0\n\t"
			     "movl %%edx, %1\n\t"
			     "rdtsc"
			     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1));
	return (((u64)hi1 << 32) | lo1) - (((u64)hi0 << 32) | lo0);
}

/* One rep stosl of 'n' dwords between two readings. */
static u64 tsc_rep_stos(u32 *buf, u32 n)
{
	u32 lo0, hi0, lo1, hi1;

	__asm__ __volatile__("rdtsc\n\t"
			     "movl %%eax, %0\n\t"
			     "movl %%edx, %1\n\t"
			     "xorl %%eax, %%eax\n\t"
			     "rep stosl\n\t"
			     "rdtsc"
			     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1), "+c"(n), "+D"(buf)
			     : : "cc", "memory");
	return (((u64)hi1 << 32) | lo1) - (((u64)hi0 << 32) | lo0);
}

void bench_calib(void)
{
	static u32 buf[256];
	const u32 n1 = 1000, n2 = 100000;
	unsigned long flags = local_irq_save();
	u64 gap = tsc_gap(), gap2 = tsc_gap();
	u64 a = tsc_dec_loop(n1), b = tsc_dec_loop(n2), b2 = tsc_dec_loop(n2);
	u64 stos0 = tsc_rep_stos(buf, 0), stos = tsc_rep_stos(buf, 256);
	u64 slope100 = div_u64((b - a) * 100, 2 * (n2 - n1));	/* hundredths per insn */
	char slope[32];

	local_irq_restore(flags);
	/* fixed part: the readings themselves, the movs, the last iteration's
	 * not-taken jnz counted in 2n */
	bench_tsc_is_icount = (b - a) == 2ULL * (n2 - n1) && b == b2 && gap == gap2;
	fmt_hundredths(slope, sizeof(slope), (long long)slope100);
	bench_print("calib", "tsc_per_insn=%s rdtsc_gap=%llu loop_fixed=%lld repeat_exact=%d icount=%d tsc_khz=%u",
		    slope, gap, (long long)a - 2LL * n1, b == b2 && gap == gap2,
		    bench_tsc_is_icount, tsc_khz);
	bench_print("calib_rep_stos", "dwords=256 tsc=%llu tsc_zero=%llu", stos, stos0);
}

/* ---- memmap: what describing RAM costs in lowmem ---- */

void bench_memmap(void)
{
	u64 bytes = (u64)max_pfn * sizeof(struct page);

	bench_print("memmap", "struct_page=%u max_pfn=%lu mem_map_kib=%llu lowmem_kib=%lu",
		    (unsigned)sizeof(struct page), max_pfn, bytes >> 10,
		    max_low_pfn << (PAGE_SHIFT - 10));
}

int bench_run(void)
{
	int ran = 0;

	bench_print("run", "cpus=%d filter=%s", num_online_cpus(), bench_filter);
	if (!case_selected("calib"))
		bench_calib();		/* every run says what its TSC is */
	for (unsigned i = 0; i < ARRAY_SIZE(bench_cases); i++) {
		if (!case_selected(bench_cases[i].name))
			continue;
		bench_cases[i].run();
		ran++;
	}
	bench_print("done", "cases=%d", ran);
	return 0;
}
