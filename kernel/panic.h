/* SPDX-License-Identifier: MIT */
/*
 * panic.h - stopping the machine, and Linux's BUG/WARN family.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "arch/x86/io.h"

#define EXIT_PANIC	3	/* QEMU exit status 7 */

/* Leave QEMU through isa-debug-exit with 'code'; halt forever if absent. */
__noreturn void machine_halt(int code);
__noreturn __printf(1, 2) void panic(const char *fmt, ...);

#endif
