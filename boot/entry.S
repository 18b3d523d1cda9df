/* SPDX-License-Identifier: MIT */
/*
 * entry.S - the first instructions: from the boot loader to kmain().
 *
 * GRUB (or QEMU -kernel) enters _start in 32-bit protected mode with paging
 * off, EAX = multiboot magic, EBX = physical address of the multiboot info.
 * Everything here runs at physical addresses: this section is linked at
 * its load address (see linker.ld), and symbols of the rest of the kernel
 * are used as (symbol - PAGE_OFFSET).
 *
 * Rules enforced here:
 *  - the CPU must have CPUID, PAE and CMPXCHG8B. That check runs before any
 *    instruction a 486 lacks (this file is the only code that runs first,
 *    and it uses only i386 instructions); without them we print one line
 *    on COM1 and leave through isa-debug-exit, never a triple fault;
 *  - PAE is switched on once, here, and never toggled again.
 *
 * The early page tables map the first 1 GiB of physical memory twice with
 * 2 MiB pages: at 0 (so the instruction after "mov cr0" still runs) and at
 * PAGE_OFFSET. mm/pgtable.c replaces them with the real 4 KiB map.
 *
 *    early_pdpt[0] --+--> early_pd[0..511] = 2 MiB pages 0 .. 1 GiB
 *    early_pdpt[3] --+
 */
#include "boot/multiboot.h"

#define PAGE_OFFSET	0xC0000000
#define PHYS(x)		((x) - PAGE_OFFSET)

#define COM1		0x3f8
#define DEBUG_EXIT_PORT	0xf4
#define EXIT_FATAL	2		/* QEMU exits with (2 << 1) | 1 = 5 */

	.section .multiboot, "a"
	.align 4
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	$PHYS(boot_stack_top), %esp
	movl	%eax, PHYS(multiboot_magic)
	movl	%ebx, PHYS(multiboot_info_phys)

	/* Our own flat GDT: the loader's is not ours to trust. */
	lgdt	PHYS(early_gdt_desc)
	ljmp	$0x08, $1f
1:	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs

	/* CPUID exists iff EFLAGS.ID (bit 21) can be toggled. */
	pushfl
	popl	%eax
	movl	%eax, %ecx
	xorl	$0x00200000, %eax
	pushl	%eax
	popfl
	pushfl
	popl	%eax
	pushl	%ecx
	popfl
	xorl	%ecx, %eax
	testl	$0x00200000, %eax
	jnz	have_cpuid
	movl	$PHYS(msg_no_cpuid), %esi
	jmp	refuse

have_cpuid:
	movl	$1, %eax
	cpuid
	testl	$(1 << 6), %edx
	jnz	have_pae
	movl	$PHYS(msg_no_pae), %esi
	jmp	refuse
have_pae:
	testl	$(1 << 8), %edx
	jnz	have_cx8
	movl	$PHYS(msg_no_cx8), %esi
	jmp	refuse
have_cx8:

	/* Fill early_pd: 512 x 2 MiB present, writable, PS. */
	movl	$PHYS(early_pd), %edi
	xorl	%eax, %eax
	movl	$0x83, %ebx			/* P | RW | PS */
	movl	$512, %ecx
2:	movl	%ebx, (%edi)
	movl	$0, 4(%edi)
	addl	$0x200000, %ebx
	addl	$8, %edi
	loop	2b

	/* PDPT entries hold only P and the address: RW/US there are reserved. */
	movl	$PHYS(early_pd), %eax
	orl	$1, %eax
	movl	%eax, PHYS(early_pdpt)
	movl	%eax, PHYS(early_pdpt) + 24

	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* CR4.PAE */
	movl	%eax, %cr4
	movl	$PHYS(early_pdpt), %eax
	movl	%eax, %cr3
	movl	%cr0, %eax
	orl	$0x80010000, %eax		/* CR0.PG | CR0.WP */
	movl	%eax, %cr0

	movl	$higher_half, %eax
	jmp	*%eax

	.text
higher_half:
	movl	$boot_stack_top, %esp
	xorl	%ebp, %ebp			/* ends every backtrace */
	lgdt	early_gdt_desc_virt
	pushl	multiboot_info_phys
	pushl	multiboot_magic
	call	kmain
3:	cli
	hlt
	jmp	3b

/*
 * refuse: print the NUL-terminated message at %esi (physical) on COM1,
 * then leave QEMU through isa-debug-exit, or halt where there is none.
 * Only i386 instructions from here on.
 */
	.section .text.entry, "ax"
refuse:
	movw	$COM1 + 1, %dx		/* no interrupts */
	xorb	%al, %al
	outb	%al, %dx
	movw	$COM1 + 3, %dx		/* DLAB on */
	movb	$0x80, %al
	outb	%al, %dx
	movw	$COM1 + 0, %dx		/* divisor 1: 115200 baud */
	movb	$1, %al
	outb	%al, %dx
	movw	$COM1 + 1, %dx
	xorb	%al, %al
	outb	%al, %dx
	movw	$COM1 + 3, %dx		/* 8N1, DLAB off */
	movb	$0x03, %al
	outb	%al, %dx
4:	lodsb
	testb	%al, %al
	jz	5f
	movb	%al, %bl
	movw	$COM1 + 5, %dx
6:	inb	%dx, %al
	testb	$0x20, %al		/* transmit holding register empty */
	jz	6b
	movb	%bl, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	4b
5:	movb	$EXIT_FATAL, %al
	outb	%al, $DEBUG_EXIT_PORT
7:	cli
	hlt
	jmp	7b

	.section .rodata
msg_no_cpuid:
	.asciz "kmaplab: this kernel needs a CPU with PAE, but this CPU has no CPUID instruction (EFLAGS.ID is fixed); halting.\r\n"
msg_no_pae:
	.asciz "kmaplab: this kernel needs a CPU with PAE, but CPUID.01H:EDX bit 6 (PAE) is clear; halting.\r\n"
msg_no_cx8:
	.asciz "kmaplab: this kernel needs a CPU with CMPXCHG8B for atomic PAE entries, but CPUID.01H:EDX bit 8 (CX8) is clear; halting.\r\n"

	.align 8
early_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff		/* 0x08: flat code, ring 0 */
	.quad 0x00cf92000000ffff		/* 0x10: flat data, ring 0 */
early_gdt_desc:
	.word 3 * 8 - 1
	.long PHYS(early_gdt)
early_gdt_desc_virt:
	.word 3 * 8 - 1
	.long early_gdt

	.data
	.globl multiboot_magic, multiboot_info_phys
multiboot_magic:	.long 0
multiboot_info_phys:	.long 0

	.section .bss.page_aligned, "aw", @nobits
	.align 4096
	.globl early_pdpt
early_pd:	.skip 4096
early_pdpt:	.skip 32			/* 32-byte aligned, below 4 GiB */
	.align 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard: .skip 4096		/* unmapped by paging_init(): an
					 * overflow of the boot stack faults */
boot_stack:	.skip 16384
boot_stack_top:
