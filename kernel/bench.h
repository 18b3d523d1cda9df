/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the in-kernel benchmark runner (kernel/bench.c) and its cases.
 *
 * "bench=all" or "bench=NAME[,NAME...]" on the command line makes init run
 * the named cases instead of the test suites. Each case prints one or more
 * machine-readable lines that tests/harness/bench.py turns into a table:
 *
 *   BENCH kmap_local_highmem insns=52 iters=2000 runs=5
 *   ^tag  ^measure           ^key=value pairs (integers, or N.NN)
 *
 * Counting instructions: under QEMU's -icount shift=0 the TSC advances by
 * exactly one per instruction executed, so a TSC difference is an
 * instruction count. The "calib" case checks this on every run, and found:
 *
 *   rdtsc; mov; mov; [dec; jnz] x n; rdtsc   reads 2n + 3 apart, for any n:
 *       1 per instruction; each rdtsc counts as one (the first is included,
 *       the second not), so a reading's fixed overhead is 1 instruction,
 *       cancelled by the empty-loop subtraction below
 *   the same loop again                       the same count, exactly
 *   rep stosl of n dwords                     n + 1: each repetition counts
 *   (the guest's TSC runs at 1 GHz: tsc_khz calibrates to ~1000000)
 *
 * An operation's cost is
 *
 *          min over runs (loop with the op) - min over runs (empty loop)
 *   cost = -------------------------------------------------------------
 *                                  iterations
 *
 * and a run in which any interrupt arrived (a tick, an IPI) on any CPU is
 * thrown away: bench_irqs() counts them, bench_dirty_runs says how many
 * were thrown away (printed as dirty=N).
 *
 * Without -icount (MTTCG) the TSC follows the host clock; only the
 * throughput cases ("scale_*") are meant for that mode.
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "arch/x86/cpu.h"

struct bench_case {
	const char *name;
	void (*run)(void);
};

/* "BENCH <name> <fmt...>" on the console, whatever the log level. */
__printf(2, 3) void bench_print(const char *name, const char *fmt, ...);

/* Interrupts taken so far, all CPUs (timer ticks + IPIs + spurious). */
unsigned long bench_irqs(void);

/* Whether the TSC counts instructions (the calib case found 1 per insn). */
extern bool bench_tsc_is_icount;

/* Runs discarded because an interrupt landed in them, since the last report. */
extern unsigned int bench_dirty_runs;

/*
 * Keep the compiler from folding a value across loop iterations (the
 * pointer is "changed" by an empty asm), so each iteration does the
 * whole operation.
 */
#define bench_hide(v)	__asm__ __volatile__("" : "+r"(v))

/*
 * The TSC cost of 'iters' iterations of 'body', or ~0ULL if an interrupt
 * arrived meanwhile. The empty loop (body "") is what it subtracts.
 */
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

/* The smallest of 'runs' clean bench_loop()s (~0ULL if none was clean). */
#define bench_min(runs, iters, body) ({					\
	u64 __best = ~0ULL;						\
	for (int __r = 0; __r < (runs); __r++) {			\
		u64 __c = bench_loop(iters, body);			\
		if (__c < __best)					\
			__best = __c;					\
	}								\
	__best;								\
})

/*
 * Print "BENCH name insns=X iters=N runs=R" from two minima: the loop with
 * the operation and the empty loop. X has two decimals unless whole.
 */
void bench_report_cost(const char *name, u64 with_op, u64 empty, u32 iters,
		       int runs, const char *extra);

/* The empty loop's cost for 'iters', measured once per run and cached. */
u64 bench_empty_loop(u32 iters);

/* Cases, one function per measure group (kernel/bench_*.c). */
void bench_calib(void);
void bench_kmap_local(void);
void bench_kmap_atomic(void);
void bench_kmap(void);
void bench_kmap_wrap(void);
void bench_sched_hooks(void);
void bench_ctxsw(void);
void bench_scale(void);
void bench_memmap(void);

/* Run the cases bench= named; returns false if bench= was not given. */
bool bench_requested(void);
int bench_run(void);
/* Name the case(s) the next bench_run() runs; false for an unknown name. */
bool bench_select(const char *name);

#endif
