/* SPDX-License-Identifier: MIT */
/*
 * inject.h - inject=NAME: swap in a deliberately broken variant of one
 * mechanism, to prove that the tests notice (kernel/inject.c).
 *
 * How do we know a test can fail? Break the code it guards and watch it
 * fail. Linux's locktorture does this with lock types that are wrong on
 * purpose ("lock_busted"); kmaplab does it with injections: each is a
 * named, one-line-long mistake at one place in the code:
 *
 *	if (INJECTED(NO_WRAP_FLUSH))
 *		goto skip_flush;	// the bug
 *
 * The injections exist only in the injection build (build/kernel-inject.elf,
 * compiled with -DCONFIG_KMAP_INJECT): in the kernel everyone runs and
 * benchmarks, INJECTED(x) is the constant 0 and the compiler deletes the
 * branch, so the fast paths are the same instructions as without it.
 * The test matrix boots the injection build once per injection and
 * expects the suite, or kmaptorture, to catch it.
 */
#ifndef KERNEL_INJECT_H
#define KERNEL_INJECT_H

#include "kernel/types.h"
#include "kernel/compiler.h"

/* X(name, what the variant does wrong) */
#define INJECTIONS(X)								\
	X(NO_WRAP_FLUSH, "kmap: no TLB flush when the pool cursor wraps")	\
	X(WRAP_FLUSH_LOCAL, "kmap: the wrap flush reaches this CPU only")	\
	X(WRAP_FLUSH_UNLOCKED, "kmap: the wrap flush runs after kmap_lock is dropped") \
	X(NO_KMAP_LOCK, "kmap: kmap_high() takes no kmap_lock")		\
	X(NO_FULL_RECHECK, "kmap: no recheck of the page after sleeping on a full pool") \
	X(NO_KUNMAP_WAKEUP, "kmap: kunmap() wakes nobody sleeping on a full pool") \
	X(SWITCH_OUT_NO_CLEAR, "kmap_local: switch-out leaves the slots mapped") \
	X(SWITCH_IN_NO_RESTORE, "kmap_local: switch-in does not restore the slots") \
	X(SWITCH_NEWEST_ONLY, "kmap_local: the switch hooks handle the newest position only") \
	X(LOCAL_NO_MIGRATE_DISABLE, "kmap_local: a highmem map does not disable migration") \
	X(LOCAL_NO_PREEMPT_WINDOW, "kmap_local: no preempt_disable() around the slot update") \
	X(KUNMAP_LOCAL_NO_INVLPG, "kmap_local: kunmap_local() clears the PTE but does no INVLPG") \
	X(SET_PTE_LOW_FIRST, "pgtable: set_pte() writes the low word (P) first")	\
	X(ATOMIC_NO_PAGEFAULT_DISABLE, "kmap_atomic: page faults stay enabled") \
	X(ATOMIC_NO_PREEMPT_DISABLE, "kmap_atomic: preemption stays enabled") \
	X(RT_ATOMIC_NO_MIGRATE_DISABLE, "kmap_atomic.rt=1: migration stays enabled") \
	X(MIGRATE_ENABLE_FORGETS, "sched: migrate_enable() drops a move requested meanwhile") \
	X(PREEMPT_ENABLE_NO_RESCHED, "sched: preempt_enable() never switches, even with a reschedule pending") \
	X(TLB_FLUSH_LOCAL, "tlb: flush_tlb_kernel_range() flushes this CPU only") \
	X(FLUSH_CR3_RELOAD, "tlb: the full flush reloads CR3 instead of toggling CR4.PGE") \
	X(MEMCPY_PAGE_SHORT, "highmem: memcpy_page() and friends copy one byte too few")

enum inject_id {
	INJ_NONE,
#define __INJ_ENUM(n, d) INJ_##n,
	INJECTIONS(__INJ_ENUM)
#undef __INJ_ENUM
	INJ_COUNT
};

#ifdef CONFIG_KMAP_INJECT
extern enum inject_id injected;
#define INJECTED(n)	unlikely(injected == INJ_##n)
#else
#define INJECTED(n)	0
#endif

/* For the boot report: the one line that says a bug is in on purpose. */
void inject_announce(void);

#endif
