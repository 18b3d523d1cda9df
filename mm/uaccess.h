/* SPDX-License-Identifier: MIT */
/*
 * uaccess.h - pagefault_disable() and faulthandler_disabled().
 *
 * pagefault_disable() is a per-task counter, separate from preempt_count
 * (since Linux 4.2). While it is raised, the page-fault handler must not
 * sleep or take locks: it goes straight to the exception fixup, so an
 * "_inatomic" copy returns short instead of faulting the page in.
 * in_atomic() has the same effect: sleeping would be a bug there.
 */
#ifndef MM_UACCESS_H
#define MM_UACCESS_H

#include "kernel/sched.h"

static __always_inline void pagefault_disable(void)
{
	current->pagefault_disabled++;
	barrier();	/* the fault-prone accesses stay inside */
}

static __always_inline void pagefault_enable(void)
{
	barrier();
	current->pagefault_disabled--;
}

static __always_inline bool pagefault_disabled(void)
{
	return current->pagefault_disabled != 0;
}

#define faulthandler_disabled() (pagefault_disabled() || in_atomic())

#endif
