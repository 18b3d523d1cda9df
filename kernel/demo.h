/* SPDX-License-Identifier: MIT */
/*
 * demo.h - demo=WHAT: leave the machine in a state worth looking at from
 * QEMU's monitor once the run is over (kernel/kmap_demo.c).
 */
#ifndef KERNEL_DEMO_H
#define KERNEL_DEMO_H

/* From init after the tests: does nothing unless demo=kmap was given. */
void kmap_demo(void);

#endif
