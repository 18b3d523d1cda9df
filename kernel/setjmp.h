/* SPDX-License-Identifier: MIT */
/*
 * setjmp.h - save and resume a call frame; lets a failed ASSERT in a test
 * case return straight to the test runner.
 */
#ifndef KERNEL_SETJMP_H
#define KERNEL_SETJMP_H

typedef struct { unsigned long ebx, esi, edi, ebp, esp, eip; } jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
__attribute__((noreturn)) void longjmp(jmp_buf env, int val);

#endif
