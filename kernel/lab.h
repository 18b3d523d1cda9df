/* SPDX-License-Identifier: MIT */
/*
 * lab.h - what a lab's stub calls until the student writes the code.
 *
 * `make lab LAB=n` (tools/lab.py) copies the tree and replaces each region
 * marked LAB(n) with the stub its marker names. A stub that has no
 * harmless value to return calls LAB_TODO(): one line says which function
 * is missing and where its handout is, then BUG() kills the calling thread
 * and only it (kernel/dumpstack.c): a test case's thread dies, that case
 * fails, and every other suite goes on.
 *
 * So a stub must not die holding a spinlock (every later taker would spin
 * for ever): drop it first, as the pkmap stubs do with kmap_lock.
 *
 * In the reference tree LAB_TODO() appears only inside the markers'
 * comments; nothing calls it.
 */
#ifndef KERNEL_LAB_H
#define KERNEL_LAB_H

#include "kernel/bug.h"

void lab_todo_say(int lab, const char *what, const char *file, int line);

#define LAB_TODO(lab, what) do {					\
	lab_todo_say(lab, what, __FILE__, __LINE__);			\
	BUG();								\
} while (0)

#endif
