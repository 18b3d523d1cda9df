/* SPDX-License-Identifier: MIT */
/*
 * hw_watch.h - the CPU's data watchpoints (debug registers DR0-DR3).
 *
 * A watchpoint makes the CPU raise #DB right *after* an instruction that
 * wrote (or read) the watched bytes, on this CPU only. The kernel uses them
 * in tests, to see the order in which a PTE's two halves are stored: the
 * one property of set_pte() that no amount of reading back can show.
 */
#ifndef ARCH_X86_HW_WATCH_H
#define ARCH_X86_HW_WATCH_H

#include "kernel/types.h"

struct pt_regs;

#define HW_WATCH_WRITE	1	/* R/W field 01: data writes */
#define HW_WATCH_RW	3	/* R/W field 11: data reads or writes */

/*
 * Called from #DB (interrupts off) with the mask of watchpoints that fired
 * (bit n = DRn) for one instruction; several bits at once mean one
 * instruction wrote several watched places (e.g. a cmpxchg8b).
 */
typedef void (*hw_watch_fn)(unsigned int hits, struct pt_regs *regs, void *arg);

/* Watch 'len' (1, 2 or 4; naturally aligned) bytes at 'addr' in slot 0-3
 * of this CPU. The caller must stay on this CPU until hw_watch_clear_all(). */
void hw_watch_set(int slot, const volatile void *addr, int len, int type);
void hw_watch_clear_all(void);
void hw_watch_set_handler(hw_watch_fn fn, void *arg);

/* From the #DB handler: true if a watchpoint was behind it (handled). */
bool hw_watch_debug_trap(struct pt_regs *regs);

#endif
