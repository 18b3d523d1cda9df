/* SPDX-License-Identifier: MIT */
/*
 * multiboot.h - the multiboot (version 1) structures we read.
 *
 * Only the memory map is trusted for RAM: its base and length are 64-bit,
 * so it can describe RAM above 4 GiB. mem_lower/mem_upper are 32-bit KiB
 * counts that stop at the first hole and are never used.
 */
#ifndef BOOT_MULTIBOOT_H
#define BOOT_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC		0x1BADB002
#define MULTIBOOT_BOOTLOADER_MAGIC	0x2BADB002
/* bit 0: page-align modules; bit 1: give us the memory map */
#define MULTIBOOT_HEADER_FLAGS		0x00000003

#ifndef __ASSEMBLER__
#include "kernel/types.h"

#define MULTIBOOT_INFO_CMDLINE	(1u << 2)
#define MULTIBOOT_INFO_MODS	(1u << 3)
#define MULTIBOOT_INFO_MMAP	(1u << 6)
#define MULTIBOOT_INFO_LOADER	(1u << 9)

struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper;	/* never used: see above */
	u32 boot_device;
	u32 cmdline;			/* physical address of a C string */
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;	/* physical address of the map */
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
} __attribute__((packed));

/* One map entry. 'size' does not count itself: next = (u8 *)e + size + 4. */
struct multiboot_mmap_entry {
	u32 size;
	u64 addr;
	u64 len;
	u32 type;
} __attribute__((packed));

#define MULTIBOOT_MEMORY_AVAILABLE	1
#define MULTIBOOT_MEMORY_RESERVED	2
#define MULTIBOOT_MEMORY_ACPI		3
#define MULTIBOOT_MEMORY_NVS		4
#define MULTIBOOT_MEMORY_BADRAM		5

struct multiboot_mod {
	u32 start, end, string, reserved;
} __attribute__((packed));

extern u32 multiboot_magic, multiboot_info_phys;
#endif
#endif
