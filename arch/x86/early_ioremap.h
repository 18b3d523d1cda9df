/* SPDX-License-Identifier: MIT */
/*
 * early_ioremap.h - temporary mappings of firmware tables at boot.
 *
 * Under -m 4G the ACPI tables sit near 0xBFFE0000, above the 896 MiB of
 * lowmem, so no direct-map address reaches them. early_memremap() maps a
 * physical range into one of FIX_BTMAPS_SLOTS fixmap windows of
 * NR_FIX_BTMAPS pages each, as Linux's early_memremap() does, and
 * early_memunmap() gives the window back.
 *
 * Rule: boot CPU only, before the APs start. The unmap flushes only this
 * CPU's TLB, which is the whole truth only while no other CPU runs.
 */
#ifndef ARCH_X86_EARLY_IOREMAP_H
#define ARCH_X86_EARLY_IOREMAP_H

#include "kernel/types.h"

/* Map [phys, phys + size) read-only; NULL if too big or no window is free. */
void *early_memremap_ro(phys_addr_t phys, unsigned long size);
void early_memunmap(void *addr, unsigned long size);

#endif
