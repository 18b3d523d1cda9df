/* SPDX-License-Identifier: MIT */
/*
 * types.h - fixed-width integer types, in Linux's spelling.
 *
 * phys_addr_t is 64-bit: with PAE a physical address has up to 36 (here up
 * to MAXPHYADDR) bits, and a 32-bit shift of a pfn would silently alias
 * RAM above 4 GiB onto low RAM.
 */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;
typedef u32 pfn_t;

#endif
