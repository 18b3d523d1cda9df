/* SPDX-License-Identifier: MIT */
/*
 * trap_entry.S - the way into the kernel for every interrupt and
 * exception, and the way back out.
 *
 * Each of the 256 vectors has a small stub. It makes the stack look the
 * same for all of them, then jumps to common_entry:
 *
 *   exception with a CPU error code:      CPU pushed error code
 *   exception without one:                pushl $0
 *   interrupt (vector >= 32):             pushl $~vector
 *                     then every stub:    pushl $c_handler
 *
 * common_entry pushes the other registers so the stack holds a struct
 * pt_regs (see traps.h); the handler address sits in the gs slot until gs
 * is saved over it. It loads the kernel's data segments and this CPU's
 * per-CPU segment, calls handler(regs), then irqentry_exit(regs), and
 * restores everything with iret.
 *
 * Rules enforced here:
 *  - nothing before the C handler can fault (no memory access except the
 *    stack), so a #PF handler's first statement still sees the CR2 of the
 *    fault being handled;
 *  - %ebp is left as the interrupted code had it, so a backtrace from the
 *    handler continues into the interrupted code; the unwinder recognises
 *    ret_from_handler and reports the interrupted EIP there;
 *  - the double fault (vector 8) does not come here: it is a task gate
 *    (see doublefault_entry at the end).
 */
#include "arch/x86/gdt.h"
#include "arch/x86/traps.h"

/* Table of the 256 stub addresses, read by idt_init(). */
	.section .rodata
	.align 4
	.globl idt_stubs
idt_stubs:

	.text
.macro STUB handler, errcode_pushed_by_cpu, imm
	.p2align 3
1:
	.if \errcode_pushed_by_cpu == 0
	pushl	$\imm
	.endif
	pushl	$\handler
	jmp	common_entry
	.pushsection .rodata
	.long	1b
	.popsection
.endm

.macro EXC handler
	STUB \handler, 0, 0
.endm
.macro EXC_ERR handler
	STUB \handler, 1, 0
.endm

	.globl trap_stubs_start
trap_stubs_start:
	EXC	exc_divide_error		/*  0 #DE */
	EXC	exc_debug			/*  1 #DB */
	EXC	exc_nmi				/*  2 NMI */
	EXC	exc_int3			/*  3 #BP */
	EXC	exc_overflow			/*  4 #OF */
	EXC	exc_bounds			/*  5 #BR */
	EXC	exc_invalid_op			/*  6 #UD */
	EXC	exc_device_not_available	/*  7 #NM */
	EXC_ERR	exc_double_fault		/*  8 #DF (unused: task gate) */
	EXC	exc_coproc_segment_overrun	/*  9 */
	EXC_ERR	exc_invalid_tss			/* 10 #TS */
	EXC_ERR	exc_segment_not_present		/* 11 #NP */
	EXC_ERR	exc_stack_segment		/* 12 #SS */
	EXC_ERR	exc_general_protection		/* 13 #GP */
	EXC_ERR	exc_page_fault			/* 14 #PF */
	EXC	exc_spurious			/* 15 reserved */
	EXC	exc_coprocessor_error		/* 16 #MF */
	EXC_ERR	exc_alignment_check		/* 17 #AC */
	EXC	exc_machine_check		/* 18 #MC */
	EXC	exc_simd_coprocessor_error	/* 19 #XM */
	EXC	exc_virtualization		/* 20 #VE */
	EXC_ERR	exc_control_protection		/* 21 #CP */
	EXC	exc_reserved_22		/* 22 */
	EXC	exc_reserved_23		/* 23 */
	EXC	exc_reserved_24		/* 24 */
	EXC	exc_reserved_25		/* 25 */
	EXC	exc_reserved_26		/* 26 */
	EXC	exc_reserved_27		/* 27 */
	EXC	exc_reserved_28		/* 28 #HV */
	EXC_ERR	exc_reserved_29		/* 29 #VC */
	EXC_ERR	exc_reserved_30		/* 30 #SX */
	EXC	exc_reserved_31		/* 31 */

/* Vectors 32..255: "pushl $~vector; pushl $do_irq; jmp common_entry". */
vector = FIRST_EXTERNAL_VECTOR
.rept 256 - FIRST_EXTERNAL_VECTOR
	STUB	do_irq, 0, ~vector
	vector = vector + 1
.endr

common_entry:
	cld
	pushl	%fs
	pushl	%es
	pushl	%ds
	pushl	%eax
	pushl	%ebp
	pushl	%edi
	pushl	%esi
	pushl	%edx
	pushl	%ecx
	pushl	%ebx
	movl	PT_GS(%esp), %edi		/* the stub's handler ... */
	xorl	%eax, %eax
	movw	%gs, %ax
	movl	%eax, PT_GS(%esp)		/* ... gives its slot to gs */
	movl	$__KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	$__KERNEL_PERCPU, %eax
	movl	%eax, %fs
	pushl	%esp				/* struct pt_regs *regs */
	call	*%edi
	.globl	ret_from_handler
ret_from_handler:
	addl	$4, %esp

	/*
	 * The exit hook: for now a no-op. The scheduler's version checks
	 * "returning to kernel code with interrupts on, preempt_count 0,
	 * need_resched" and may schedule() here, on this stack, with the
	 * frame below still intact; when this task runs again it resumes
	 * at the iret below.
	 */
	pushl	%esp
	call	irqentry_exit
	addl	$4, %esp

	.globl	restore_all
restore_all:
	popl	%ebx
	popl	%ecx
	popl	%edx
	popl	%esi
	popl	%edi
	popl	%ebp
	popl	%eax
	popl	%ds
	popl	%es
	popl	%fs
	popl	%gs
	addl	$4, %esp			/* orig_ax */
	iret
	.globl trap_stubs_end
trap_stubs_end:

/*
 * The double-fault task. The #DF task gate switched TR to this CPU's
 * doublefault_tss: the interrupted state was saved in cpu_tss[cpu], and
 * we run on the double-fault stack with the registers the TSS set up
 * (%fs = per-CPU segment, interrupts off). The CPU pushed an error code
 * (always 0). There is no way back: the C handler panics.
 */
	.globl doublefault_entry
doublefault_entry:
	cld
	xorl	%ebp, %ebp			/* ends the backtrace here */
	call	do_double_fault			/* arg: the error code */
2:	cli
	hlt
	jmp	2b
