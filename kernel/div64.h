/* SPDX-License-Identifier: MIT */
/*
 * div64.h - 64-bit division without libgcc, as a 32-bit kernel must do it.
 *
 * On i386 the compiler turns `u64 / u64` into a call to libgcc's __udivdi3.
 * A kernel links against nothing but itself, so kmaplab never writes a
 * 64-bit '/' or '%': it calls one of these instead, and the link (which has
 * no libgcc on its command line) fails if anybody forgets.
 *
 *   do_div(n, base)     n /= base (n: u64 lvalue, base: u32); returns n % base
 *   div_u64(n, d)       u64 / u32
 *   div_u64_rem(n,d,&r) u64 / u32, remainder in r
 *   div_s64(n, d)       s64 / s32 (rounds toward zero, as C does)
 *   div64_u64(n, d)     u64 / u64 (shift and subtract; not for fast paths)
 *
 * The u64-by-u32 case costs two `divl`: the high word divided first, its
 * remainder carried into the low word's division, as by hand:
 *
 *        hi : lo   /  d
 *   q_hi = hi / d,           r = hi % d
 *   q_lo = (r:lo) / d        (r < d, so the quotient fits 32 bits: no #DE)
 */
#ifndef KERNEL_DIV64_H
#define KERNEL_DIV64_H

#include "kernel/types.h"

static inline u32 __div64_32(u64 *n, u32 base)
{
	u32 hi = (u32)(*n >> 32), lo = (u32)*n, q_hi = 0, rem;

	if (hi >= base) {
		q_hi = hi / base;
		hi %= base;
	}
	/* edx:eax = hi:lo with hi < base, so divl cannot overflow */
	asm("divl %[d]" : "=a"(lo), "=d"(rem) : "a"(lo), "d"(hi), [d] "rm"(base));
	*n = ((u64)q_hi << 32) | lo;
	return rem;
}

/* Linux's spelling: divides n in place, evaluates to the remainder. */
#define do_div(n, base) __div64_32(&(n), (base))

static inline u64 div_u64_rem(u64 n, u32 d, u32 *rem)
{
	*rem = __div64_32(&n, d);
	return n;
}

static inline u64 div_u64(u64 n, u32 d)
{
	__div64_32(&n, d);
	return n;
}

static inline s64 div_s64(s64 n, s32 d)
{
	u64 mag = n < 0 ? -(u64)n : (u64)n;
	u32 dmag = d < 0 ? -(u32)d : (u32)d;

	__div64_32(&mag, dmag);
	return (n < 0) != (d < 0) ? -(s64)mag : (s64)mag;
}

static inline u64 div64_u64(u64 n, u64 d)
{
	u64 q = 0;
	int shift = 0;

	if (!(d >> 32))
		return div_u64(n, (u32)d);
	/* d has bits above 32: the quotient fits 32 bits; long division */
	while (!(d & (1ULL << 63)) && (d << 1) <= n) {
		d <<= 1;
		shift++;
	}
	for (; shift >= 0; shift--, d >>= 1) {
		q <<= 1;
		if (n >= d) {
			n -= d;
			q |= 1;
		}
	}
	return q;
}

#endif
