/* SPDX-License-Identifier: MIT */
/*
 * spinlock_debug.c - the report for a misused spinlock.
 *
 * The checks themselves are inline in spinlock.h (an owner compare on
 * lock and unlock). Reaching here means a real bug: a task taking a lock
 * it already holds would spin forever, and a task releasing someone
 * else's lock breaks their critical section. Like Linux we print the lock
 * and a backtrace; unlike a hang, the offender is then killed by BUG().
 */
#include "kernel/spinlock.h"
#include "kernel/sched.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/bug.h"
#include "arch/x86/traps.h"

void spin_bug(spinlock_t *l, const char *msg)
{
	struct task_struct *owner = l->owner;

	report_begin();
	printk(KERN_EMERG "BUG: spinlock %s on CPU#%d, %s/%d\n", msg,
	       smp_processor_id(), current->comm, current->pid);
	report_details();
	/* the owner's CPU is its task's: no need to store it in every lock */
	printk(KERN_EMERG " lock: %p, .magic: %08x, .owner: %s/%d, .owner_cpu: %d\n",
	       (void *)l, l->magic,
	       owner && owner != SPINLOCK_OWNER_INIT ? owner->comm : "<none>",
	       owner && owner != SPINLOCK_OWNER_INIT ? owner->pid : -1,
	       owner && owner != SPINLOCK_OWNER_INIT ? owner->cpu : -1);
	report_end();
	BUG();
}

void spin_lock_contended(spinlock_t *l, u16 ticket)
{
	if (unlikely(l->magic != SPINLOCK_MAGIC))
		spin_bug(l, "bad magic");
	while (READ_ONCE(l->raw.owner) != ticket)
		cpu_relax();
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}
