/* SPDX-License-Identifier: MIT */
/*
 * ksyms.h - the kernel's own function symbols, for backtraces.
 *
 * tools/gen-ksyms.sh extracts every function symbol of the first link
 * into a sorted table that the second link embeds (section .ksyms). In the
 * first link the table does not exist yet: lookups then find nothing.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include "kernel/types.h"

/* The function containing 'addr': its name, addr's offset into it and
 * its size (distance to the next symbol). NULL if none. */
const char *ksym_lookup(unsigned long addr, unsigned long *offset,
			unsigned long *size);

/* The address of function 'name', or 0. */
unsigned long ksym_address(const char *name);

/* "func+0x12/0x40", or the bare hex address if no symbol covers it
 * (Linux's %pS). Returns buf. */
#define KSYM_NAME_LEN 128
char *sprint_symbol(char *buf, size_t size, unsigned long addr);

/* Like sprint_symbol, for a return address: looks up addr - 1, so a call
 * at the very end of a function is not credited to the next one. */
char *sprint_backtrace(char *buf, size_t size, unsigned long addr);

#endif
