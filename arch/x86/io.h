/* SPDX-License-Identifier: MIT */
/*
 * io.h - port I/O.
 */
#ifndef ARCH_X86_IO_H
#define ARCH_X86_IO_H

#include "kernel/types.h"

static inline void outb(u16 port, u8 v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(u16 port, u16 v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* QEMU's isa-debug-exit: writing v exits QEMU with status (v << 1) | 1. */
#define DEBUG_EXIT_PORT	0xf4
#define EXIT_PASS	0	/* QEMU exit status 1 */
#define EXIT_FAIL	1	/* QEMU exit status 3 */
#define EXIT_FATAL	2	/* QEMU exit status 5: refused to run */

#endif
