/* SPDX-License-Identifier: MIT */
/*
 * spinlock.h - ticket spinlocks.
 *
 * A ticket lock hands the lock out in arrival order: each CPU takes a
 * ticket (an atomic fetch-and-add on 'next') and waits until 'owner'
 * reaches it. That makes contention fair, which matters for kmap_lock,
 * where every CPU may queue at once.
 *
 *   next:  | 7 |   the ticket the next arrival gets
 *   owner: | 5 |   the ticket now allowed in (5 holds, 6 waits)
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "arch/x86/cpu.h"

typedef struct {
	volatile u16 owner;
	volatile u16 next;
} arch_spinlock_t;

#define __ARCH_SPIN_LOCK_UNLOCKED { 0, 0 }

static inline void arch_spin_lock(arch_spinlock_t *l)
{
	u16 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);

	while (READ_ONCE(l->owner) != ticket)
		cpu_relax();
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static inline bool arch_spin_trylock(arch_spinlock_t *l)
{
	u32 old = *(volatile u32 *)l;
	u16 owner = old & 0xffff, next = old >> 16;
	u32 newv;

	if (owner != next)
		return false;
	newv = old + 0x10000;
	return __atomic_compare_exchange_n((u32 *)l, &old, newv, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void arch_spin_unlock(arch_spinlock_t *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool arch_spin_is_locked(arch_spinlock_t *l)
{
	return READ_ONCE(l->owner) != READ_ONCE(l->next);
}

/*
 * spinlock_t: the lock kernel code uses. Taking it disables preemption (a
 * holder must not be switched out while other CPUs spin on it); the
 * _irqsave/_irq forms also keep this CPU's interrupt handlers from
 * deadlocking against the holder.
 *
 * Lock debugging is always on and cheap: the lock records its owner (task
 * and CPU), so taking a lock this task already holds ("recursion") and
 * releasing a lock someone else holds ("wrong owner") are reported the
 * way Linux's CONFIG_DEBUG_SPINLOCK reports them, instead of hanging.
 */
#include "kernel/preempt.h"

struct task_struct;
DECLARE_PER_CPU(struct task_struct *, current_task);

#define SPINLOCK_MAGIC	0xdead4eadu

typedef struct {
	arch_spinlock_t raw;
	unsigned int magic;
	struct task_struct *owner;
} spinlock_t;

#define SPINLOCK_OWNER_INIT	((struct task_struct *)-1L)
#define __SPIN_LOCK_UNLOCKED { __ARCH_SPIN_LOCK_UNLOCKED, SPINLOCK_MAGIC, SPINLOCK_OWNER_INIT }
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED

/* Prints "BUG: spinlock <msg> on CPU#n, comm/pid" and a lock dump, then
 * BUG()s: the offending thread dies, the kernel goes on. */
__noreturn void spin_bug(spinlock_t *l, const char *msg);

static inline void spin_lock_init(spinlock_t *l)
{
	*l = (spinlock_t)__SPIN_LOCK_UNLOCKED;
}

/* Out of line: waiting for a held lock (and checking it is a lock). */
void spin_lock_contended(spinlock_t *l, u16 ticket);

static __always_inline void spin_lock(spinlock_t *l)
{
	struct task_struct *me = this_cpu_read_stable(current_task);
	u16 ticket;

	preempt_disable();
	if (unlikely(l->owner == me))
		spin_bug(l, "recursion");
	ticket = __atomic_fetch_add(&l->raw.next, 1, __ATOMIC_ACQUIRE);
	/* Only a lock we must wait for has its magic checked: a corrupted
	 * or never-initialised lock usually looks held, and then waiting on
	 * it is what would hang; the uncontended path stays short. */
	if (unlikely(READ_ONCE(l->raw.owner) != ticket))
		spin_lock_contended(l, ticket);
	l->owner = me;
}

/* Check the owner and release: the common part of every unlock. */
static __always_inline void __spin_release(spinlock_t *l)
{
	if (unlikely(l->owner != this_cpu_read_stable(current_task)))
		spin_bug(l, !arch_spin_is_locked(&l->raw) ? "already unlocked" : "wrong owner");
	l->owner = SPINLOCK_OWNER_INIT;
	arch_spin_unlock(&l->raw);
}

static __always_inline void spin_unlock(spinlock_t *l)
{
	__spin_release(l);
	preempt_enable();
}

static inline bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	if (arch_spin_trylock(&l->raw)) {
		l->owner = this_cpu_read_stable(current_task);
			return true;
	}
	preempt_enable();
	return false;
}

static inline bool spin_is_locked(spinlock_t *l) { return arch_spin_is_locked(&l->raw); }

#define spin_lock_irqsave(l, flags) do {				\
	(flags) = local_irq_save();					\
	spin_lock(l);							\
} while (0)

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	__spin_release(l);
	local_irq_restore(flags);
	preempt_enable();
}

static inline void spin_lock_irq(spinlock_t *l)
{
	local_irq_disable();
	spin_lock(l);
}

static inline void spin_unlock_irq(spinlock_t *l)
{
	__spin_release(l);
	local_irq_enable();
	preempt_enable();
}

#endif
