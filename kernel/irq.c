/* SPDX-License-Identifier: MIT */
/*
 * irq.c - what the scheduler does around every interrupt.
 *
 *   irq_enter()      preempt_count += HARDIRQ_OFFSET: in_interrupt() is
 *                    true, so nothing in the handler may sleep
 *   handler
 *   irq_exit()       preempt_count -= HARDIRQ_OFFSET
 *   irqentry_exit()  the preemption point: if the interrupted code was
 *                    preemptible (count 0, interrupts on) and a reschedule
 *                    is pending (time slice used up, a wake-up, an IPI),
 *                    switch now, before the iret. The interrupted task's
 *                    frame stays on its stack until it is switched back in.
 *
 * Also the scheduler's answers to the oops code: who is running, and which
 * stack an address belongs to.
 */
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/string.h"
#include "arch/x86/idt.h"
#include "arch/x86/traps.h"
#include "kernel/bug.h"
#include "mm/kmap_local.h"

/*
 * A handler may use kmap_local: its maps go on top of the interrupted
 * task's stack and must all be gone when it returns. The task's idx on
 * entry is kept in do_irq()'s frame, not in a per-CPU variable: interrupt
 * gates enter with IF clear, but a handler may set it again (a
 * call-function handler polling for a flush does), and then a second
 * interrupt nests on top with an entry idx of its own.
 */
void irq_enter(struct irq_state *state)
{
	preempt_count_add(HARDIRQ_OFFSET);
	state->kmap_idx = current->kmap_ctrl.idx;
}

void irq_exit(const struct irq_state *state)
{
	if (unlikely(current->kmap_ctrl.idx != state->kmap_idx))
		kmap_local_irq_unwind(state->kmap_idx);
	preempt_count_sub(HARDIRQ_OFFSET);
}

void irqentry_exit(struct pt_regs *regs)
{
	local_irq_disable();
	if (!(regs->flags & X86_EFLAGS_IF) || !scheduler_running)
		return;
	if (preempt_count() == 0 && need_resched())
		preempt_schedule_irq();
}

int current_comm_pid(char *comm, size_t size)
{
	struct task_struct *p = current;

	strlcpy(comm, p->comm, size);
	return p->pid;
}

/*
 * task->stack is the lowest mapped byte of the stack: for a thread, just
 * above its guard page (mm/vmap_stack.h), so an esp in the guard page is
 * "just below this stack" to the double-fault report.
 */
bool get_task_stack_info(unsigned long sp, struct stack_info *info)
{
	struct task_struct *p = current;
	unsigned long base = (unsigned long)p->stack;

	if (!base || sp < base || sp >= base + THREAD_SIZE)
		return false;
	info->begin = base;
	info->end = base + THREAD_SIZE;
	info->name = "task";
	return true;
}
