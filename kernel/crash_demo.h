/* SPDX-License-Identifier: MIT */
/*
 * crash_demo.h - crash=WHAT: break the machine on purpose once it is up,
 * to show (and test) that the failure is reported (kernel/crash_demo.c).
 */
#ifndef KERNEL_CRASH_DEMO_H
#define KERNEL_CRASH_DEMO_H

/* From init before anything else: returns at once unless crash= was
 * given; otherwise it does not return (the machine panics). */
void crash_demo(void);

#endif
