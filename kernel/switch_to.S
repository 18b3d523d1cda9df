/* SPDX-License-Identifier: MIT */
/*
 * switch_to.S - the context switch itself.
 *
 * struct task_struct *__switch_to(prev, next)
 *
 * Saves the callee-saved registers on prev's stack, stores prev's stack
 * pointer in prev->sp (offset 0), loads next's, makes next the per-CPU
 * 'current', and pops next's registers. Its 'ret' returns into whatever
 * next was doing when it last switched out -- usually this same function
 * called from __schedule(), so every task resumes inside schedule().
 *
 * %eax holds prev from before the stack swap to the 'ret', so in the task
 * that resumes, the return value is the task it took the CPU from (Linux's
 * "last"): the resumed task must finish that task's switch.
 *
 *   prev's stack after the pushes      next's stack before the pops
 *   | return into __schedule |         | return address          |
 *   | ebp | ebx | esi | edi  | <- sp   | ebp | ebx | esi | edi   | <- next->sp
 */
#define TASK_SP 0

	.text
	.globl __switch_to, ret_from_kthread
__switch_to:
	movl	4(%esp), %eax		/* prev */
	movl	8(%esp), %edx		/* next */
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	%esp, TASK_SP(%eax)
	movl	TASK_SP(%edx), %esp
	movl	%edx, %fs:current_task
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

/*
 * A new kernel thread's first 'ret' lands here (kthread.c builds its
 * stack so). %eax is the task we switched from.
 */
ret_from_kthread:
	pushl	%eax
	call	schedule_tail
	addl	$4, %esp
	xorl	%ebp, %ebp		/* ends the backtrace */
	call	kthread_main		/* never returns */
1:	hlt
	jmp	1b
