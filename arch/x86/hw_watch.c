/* SPDX-License-Identifier: MIT */
/*
 * hw_watch.c - data watchpoints through DR0-DR3, DR6 and DR7.
 *
 *   DR7 bits:  L0 (0), L1 (2), L2 (4), L3 (6)        enable slot n locally
 *              R/Wn at 16 + 4n, LENn at 18 + 4n      what and how much
 *   DR6 bits:  B0-B3 (0-3)                           which slot fired
 *
 * The CPU leaves DR6 set after a #DB; software must clear it.
 */
#include "arch/x86/hw_watch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"

static DEFINE_PER_CPU(hw_watch_fn, watch_fn);
static DEFINE_PER_CPU(void *, watch_arg);

#define DEFINE_DR(n)							\
static inline unsigned long read_dr##n(void)				\
{									\
	unsigned long v;						\
	__asm__ __volatile__("mov %%db" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_dr##n(unsigned long v)				\
{									\
	__asm__ __volatile__("mov %0, %%db" #n : : "r"(v));		\
}
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
DEFINE_DR(7)
#undef DEFINE_DR

void hw_watch_set_handler(hw_watch_fn fn, void *arg)
{
	this_cpu_write(watch_arg, arg);
	this_cpu_write(watch_fn, fn);
}

void hw_watch_set(int slot, const volatile void *addr, int len, int type)
{
	unsigned long a = (unsigned long)addr, dr7;
	unsigned int lenbits = len == 4 ? 3 : len == 2 ? 1 : 0;

	switch (slot) {
	case 0: write_dr0(a); break;
	case 1: write_dr1(a); break;
	case 2: write_dr2(a); break;
	default: write_dr3(a); break;
	}
	dr7 = read_dr7();
	dr7 &= ~(0xfUL << (16 + 4 * slot));
	dr7 |= (unsigned long)(type | (lenbits << 2)) << (16 + 4 * slot);
	dr7 |= 1UL << (2 * slot);
	write_dr6(0);
	write_dr7(dr7);
}

void hw_watch_clear_all(void)
{
	write_dr7(0);
	write_dr6(0);
	this_cpu_write(watch_fn, NULL);
}

bool hw_watch_debug_trap(struct pt_regs *regs)
{
	unsigned long dr6 = read_dr6(), dr7;
	unsigned int hits = dr6 & 0xf;
	hw_watch_fn fn = this_cpu_read(watch_fn);

	if (!hits)
		return false;
	write_dr6(0);
	/*
	 * QEMU's TCG keeps a slot's "hit" mark until an access to a watched
	 * page is checked against that slot without matching, and reports
	 * every marked slot in DR6: the next store to slot 0 alone would also
	 * show slot 1 if nothing in between touched the watched page. Turning
	 * DR7 off and on re-creates the watchpoints unmarked (on hardware it
	 * changes nothing).
	 */
	dr7 = read_dr7();
	write_dr7(0);
	write_dr7(dr7);
	if (fn)
		fn(hits, regs, this_cpu_read(watch_arg));
	return true;
}
