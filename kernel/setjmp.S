/* SPDX-License-Identifier: MIT */
/*
 * setjmp.S - save the callee-saved registers, stack and return address;
 * longjmp puts them back and makes setjmp return 'val' (never 0).
 */
	.text
	.globl setjmp, longjmp
setjmp:
	movl	4(%esp), %eax
	movl	%ebx, 0(%eax)
	movl	%esi, 4(%eax)
	movl	%edi, 8(%eax)
	movl	%ebp, 12(%eax)
	leal	4(%esp), %ecx		/* esp as the caller sees it after ret */
	movl	%ecx, 16(%eax)
	movl	(%esp), %ecx
	movl	%ecx, 20(%eax)
	xorl	%eax, %eax
	ret

longjmp:
	movl	4(%esp), %edx
	movl	8(%esp), %eax
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	movl	0(%edx), %ebx
	movl	4(%edx), %esi
	movl	8(%edx), %edi
	movl	12(%edx), %ebp
	movl	16(%edx), %esp
	jmp	*20(%edx)
