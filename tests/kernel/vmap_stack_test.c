/*
 * vmap_stack_test.c - (measurement scaffold)
 */
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "arch/x86/cpu.h"

static int return_zero(void *unused)
{
	return 0;
}

static void create_join_cost(struct ktest *t)
{
	u64 best = ~0ULL, sum = 0;

	for (int round = 0; round < 5; round++) {
		u64 t0 = rdtsc();

		for (int i = 0; i < 100; i++) {
			struct task_struct *p = kthread_run(return_zero, NULL, "nop");

			ASSERT_PTR_NE(t, p, NULL);
			kthread_join(p);
		}
		u64 c = (rdtsc() - t0) / 100;
		sum += c;
		if (c < best)
			best = c;
	}
	printk(KERN_INFO "vmap_stack: kthread create+join: %llu TSC cycles (best average of 100), %llu (mean of 5 rounds)\n",
	       best, sum / 5);
}

KTEST_SUITE(vmap_stack, KTEST_CASE(create_join_cost));
