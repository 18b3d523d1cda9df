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

#endif
