/* SPDX-License-Identifier: MIT */
/*
 * trampoline.S - an AP's way from the SIPI to the kernel's C code.
 *
 * The blob from trampoline_start to trampoline_end is copied to
 * TRAMPOLINE_BASE (0x8000) and started there by INIT-SIPI-SIPI
 * (smpboot.c). It is assembled at its link address but runs at 0x8000,
 * so every absolute address in it is written TR(label): label's offset
 * into the blob plus TRAMPOLINE_BASE. Relative jumps need no fixing.
 *
 *   real mode, CS = 0x0800       lgdt, CR0.PE
 *     -> 32-bit protected mode   flat segments; CR4 (PAE), CR3 = the
 *                                header's PDPT; EFER.NXE; CR0.PG | WP
 *     -> paging, still at 0x80xx (identity-mapped by pdpt[0])
 *     -> secondary_startup_32    kernel virtual address (pdpt[3]):
 *                                the AP's own stack, then C
 *
 * Rule enforced: EFER.NXE is set before paging is turned on, because
 * kernel_pmd's PTEs carry NX (bit 63), which is a reserved bit -- and so
 * a page fault on every walk -- while NXE is off.
 */
#include "boot/trampoline.h"
#include "arch/x86/gdt.h"

#define TR(x)		((x) - trampoline_start + TRAMPOLINE_BASE)
#define MSR_EFER	0xc0000080
#define EFER_NXE	(1 << 11)
#define CR0_PE		0x00000001

	.section .rodata
	.balign 64
	.globl trampoline_start, trampoline_end, trampoline_header
	.code16
trampoline_start:
	cli
	cld
	movw	%cs, %ax		/* 0x0800: data at offsets from the blob */
	movw	%ax, %ds
	lgdtl	tr_gdt_desc - trampoline_start
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$__KERNEL_CS, $TR(tr_protected)

	.code32
tr_protected:
	movl	$__KERNEL_DS, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorl	%eax, %eax
	movw	%ax, %fs
	movw	%ax, %gs

	movl	TR(trampoline_header) + TH_CR4, %eax
	movl	%eax, %cr4		/* PAE on, PGE still off */
	movl	$TR(trampoline_header) + TH_PDPT, %eax
	movl	%eax, %cr3

	cmpl	$0, TR(trampoline_header) + TH_EFER_NXE
	je	1f
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_NXE, %eax
	wrmsr
1:
	movl	TR(trampoline_header) + TH_CR0, %eax
	movl	%eax, %cr0		/* the boot CPU's CR0: PE, PG, WP */
	movl	$secondary_startup_32, %eax
	jmp	*%eax

	.balign 8
tr_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* __KERNEL_CS: flat code, ring 0 */
	.quad	0x00cf92000000ffff	/* __KERNEL_DS: flat data, ring 0 */
tr_gdt_desc:
	.word	3 * 8 - 1
	.long	TR(tr_gdt)

	.balign 32			/* the PDPT needs it */
trampoline_header:
	.skip	TH_SIZE
trampoline_end:

/*
 * secondary_startup_32: paging is on, we run at the kernel's address,
 * on the temporary page tables. Take the stack the boot CPU chose for
 * this AP and enter C; start_secondary() never returns.
 */
	.text
	.globl secondary_startup_32
secondary_startup_32:
	movl	smpboot_stack_top, %esp
	xorl	%ebp, %ebp		/* ends every backtrace */
	call	start_secondary
2:	cli
	hlt
	jmp	2b
