/* SPDX-License-Identifier: MIT */
/*
 * fault.h - the page-fault handler, and naming kernel addresses.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include "kernel/types.h"

struct pt_regs;

/* #PF entry (trap_entry.S). Reads CR2 before anything else. */
void exc_page_fault(struct pt_regs *regs);

/*
 * Which part of the kernel's address space 'addr' lies in, in words:
 * "page 0 (NULL pointer)", "user space", "kernel text", "kernel rodata",
 * "kernel data", "kernel bss", "lowmem direct map", "hole between
 * high_memory and VMALLOC_START", "vmalloc", "pkmap slot N", "fixmap
 * kmap_local slot (CPU c, idx i)", "fixmap device slot (FIX_APIC_BASE)"...
 * Writes into buf and returns it.
 */
const char *describe_kernel_address(unsigned long addr, char *buf, size_t size);

#endif
