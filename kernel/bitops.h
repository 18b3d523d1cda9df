/* SPDX-License-Identifier: MIT */
/*
 * bitops.h - counting bits without libgcc.
 *
 * __builtin_popcount() on i686 (which has no POPCNT instruction) becomes a
 * call to libgcc's __popcountsi2; the kernel links without libgcc, so it
 * counts bits itself, with the usual SWAR sum: pairs, then nibbles, then
 * bytes added up by one multiply.
 */
#ifndef KERNEL_BITOPS_H
#define KERNEL_BITOPS_H

#include "kernel/types.h"

/* Bits set in a 32-bit word, without __popcountsi2 (i686 has no popcnt). */
static inline int hweight32(u32 w)
{
	w = w - ((w >> 1) & 0x55555555);
	w = (w & 0x33333333) + ((w >> 2) & 0x33333333);
	w = (w + (w >> 4)) & 0x0f0f0f0f;
	return (int)((w * 0x01010101) >> 24);
}

#endif
