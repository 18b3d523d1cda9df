/* SPDX-License-Identifier: MIT */
/*
 * tsc.h - the time-stamp counter as the kernel's clock.
 */
#ifndef ARCH_X86_TSC_H
#define ARCH_X86_TSC_H

#include "kernel/types.h"

extern u32 tsc_khz;
extern u64 tsc_boot;

void tsc_init(void);
u64 ktime_get_ns(void);		/* nanoseconds since kmain(); 0 before tsc_init */
void udelay(u32 us);		/* busy-wait; only for hardware timing rules */

#endif
