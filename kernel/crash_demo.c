/* SPDX-License-Identifier: MIT */
/*
 * crash_demo.c - "crash=WHAT" on the command line: once the machine is up,
 * break it on purpose in a way that must be reported, never silent.
 *
 * For the test matrix and for showing what a failure looks like:
 *
 *   crash=stack_overflow       a kernel thread, "stack_overflow", recurses
 *                              without bound on its own stack
 *   crash=boot_stack_overflow  an interrupt handler recurses on CPU 0
 *                              while CPU 0 idles: the stack it runs on is
 *                              the boot stack (swapper/0's)
 *   crash=ap_stack_overflow    the same on CPU 1: its idle task's stack,
 *                              the one smpboot gave the AP
 *
 * Each stack has an unmapped guard page below it (mm/vmap_stack.h for
 * threads and APs, entry.S + paging_init() for the boot stack). The
 * recursion runs into it; the #PF cannot push its frame there, so it
 * becomes a double fault, which runs on a stack of its own and prints
 *
 *   PANIC: double fault, error_code: 0x0
 *   BUG: kernel stack overflow: esp ..., task stack is ...-...
 *   CPU: 1 PID: 5 Comm: stack_overflow ...
 *   ...
 *   Kernel panic - not syncing: Machine halted.
 *
 * and QEMU exits with status 7. Without the guard the recursion would
 * overwrite whatever lies below the stack and, at best, triple-fault.
 */
#include "kernel/crash_demo.h"
#include "kernel/cmdline.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/string.h"
#include "kernel/panic.h"
#include "arch/x86/smp.h"

enum crash_kind { CRASH_NONE, CRASH_STACK, CRASH_BOOT_STACK, CRASH_AP_STACK };

static const char *const crash_names[] = {
	[CRASH_STACK] = "stack_overflow",
	[CRASH_BOOT_STACK] = "boot_stack_overflow",
	[CRASH_AP_STACK] = "ap_stack_overflow",
};

static enum crash_kind crash_kind;

static bool set_crash(const char *v)
{
	for (int i = 1; i < (int)ARRAY_SIZE(crash_names); i++) {
		if (v && !strcmp(v, crash_names[i])) {
			crash_kind = i;
			return true;
		}
	}
	return false;
}
early_param("crash", set_crash);

/* Never reached: a depth the recursion cannot get to, kept in memory so
 * the compiler cannot see that the recursion has no end. */
static volatile unsigned long crash_depth_limit = ~0UL;

/*
 * One frame of about 100 bytes per call: a local array whose address the
 * next call receives (so neither the frame nor the call can be optimised
 * away), and work after the call (so it is not a tail call).
 */
static __attribute__((noipa)) unsigned long recurse_deeper(unsigned long depth,
							   volatile u8 *caller)
{
	volatile u8 frame[64];

	frame[0] = (u8)depth;
	frame[63] = caller ? caller[0] : 0;
	if (depth == crash_depth_limit)
		return frame[0];
	return recurse_deeper(depth + 1, frame) + frame[63];
}

static int overflow_thread(void *unused)
{
	pr_emerg("crash_demo: %s[%d] recursing on its stack %p-%p\n", current->comm,
		 current->pid, current->stack, (char *)current->stack + THREAD_SIZE);
	recurse_deeper(0, NULL);
	return 0;
}

/*
 * In the call-function IPI on the target CPU. Interrupts run on the stack
 * of whatever they interrupted, so only if that is the idle task does the
 * recursion overflow the idle stack; otherwise say so and let the caller
 * try again.
 */
struct idle_target {
	volatile int tries;
	volatile bool not_idle;
};

static void overflow_in_irq(void *arg)
{
	struct idle_target *t = arg;
	struct task_struct *p = current;

	if (p->pid != 0) {
		t->not_idle = true;
		return;
	}
	pr_emerg("crash_demo: interrupt on CPU %d recursing on %s's stack %p-%p\n",
		 smp_processor_id(), p->comm, p->stack, (char *)p->stack + THREAD_SIZE);
	recurse_deeper(0, NULL);
}

static __noreturn void overflow_idle_stack(int cpu)
{
	struct idle_target t = { 0 };

	if (!cpu_online(cpu))
		panic("crash_demo: %s needs CPU %d online (boot with -smp 2 or more)",
		      crash_names[crash_kind], cpu);
	/* ask from some other CPU, and sleep so that 'cpu' can go idle */
	set_cpus_allowed(current, cpumask_of(cpu ? 0 : 1));
	for (t.tries = 1; t.tries <= 100; t.tries++) {
		msleep(10);
		t.not_idle = false;
		smp_call_function_single(cpu, overflow_in_irq, &t, 1);
		/* only back here if 'cpu' was not idle */
	}
	panic("crash_demo: CPU %d was never idle in 100 tries", cpu);
}

/* From init, before the tests: nothing unless crash= was given. */
void crash_demo(void)
{
	struct task_struct *p;

	if (crash_kind == CRASH_NONE)
		return;
	/* Deliberate, so say so; the report of a panic prints whole anyway. */
	report_expect("BUG: kernel stack overflow");
	switch (crash_kind) {
	case CRASH_NONE:
		return;
	case CRASH_STACK:
		p = kthread_run(overflow_thread, NULL, "stack_overflow");
		if (!p)
			panic("crash_demo: no memory for the thread");
		kthread_join(p);
		panic("crash_demo: the stack_overflow thread came back");
	case CRASH_BOOT_STACK:
		overflow_idle_stack(0);
	case CRASH_AP_STACK:
		overflow_idle_stack(1);
	}
}
