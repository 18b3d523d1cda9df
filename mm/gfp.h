/* SPDX-License-Identifier: MIT */
/*
 * gfp.h - "get free pages" flags: which zones a request may use and how.
 *
 * Zone choice, as in Linux (gfp_zone()):
 *   GFP_KERNEL, GFP_ATOMIC   Normal, then DMA          (always lowmem)
 *   GFP_HIGHUSER             HighMem, then Normal, DMA
 *   GFP_DMA                  DMA only (below 16 MiB)
 * A request falls back only to lower zones, never upwards: lowmem callers
 * need a direct-mapped address, and highmem is for callers that will map
 * the page themselves (kmap).
 *
 * __GFP_ZERO zeroes the block; a highmem page has no address of its own,
 * so it is cleared page by page through a kmap_local mapping.
 */
#ifndef MM_GFP_H
#define MM_GFP_H

#include "kernel/types.h"

typedef unsigned int gfp_t;

#define __GFP_DMA		0x01u	/* only ZONE_DMA */
#define __GFP_HIGHMEM		0x02u	/* ZONE_HIGHMEM allowed (and preferred) */
#define __GFP_HIGH		0x20u	/* the caller cannot wait (atomic context) */
#define __GFP_ZERO		0x100u	/* return zeroed memory */
#define __GFP_NOWARN		0x200u	/* no report when the request fails */
#define __GFP_DIRECT_RECLAIM	0x400u	/* the caller may sleep */

#define GFP_ATOMIC	(__GFP_HIGH)
#define GFP_NOWAIT	0u
#define GFP_KERNEL	(__GFP_DIRECT_RECLAIM)
#define GFP_USER	(__GFP_DIRECT_RECLAIM)
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_DMA		(__GFP_DMA)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

#endif
