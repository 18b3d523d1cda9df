/* SPDX-License-Identifier: MIT */
/*
 * idt.h - the interrupt descriptor table and interrupt dispatch.
 *
 * One IDT is shared by every CPU; each CPU loads it with idt_load().
 *
 *   vector   0-31   exceptions: each goes to its handler in traps.c
 *                   (#PF to mm/fault.c); 8 (#DF) is a task gate, so a
 *                   double fault gets a fresh stack and a clean state
 *   vector  32-255  do_irq(), which calls what set_irq_handler()
 *                   registered (LAPIC timer, IPIs, serial, ...)
 *
 * The interrupt path in C is one function, do_irq():
 *
 *     irq_enter(&state);      hardirq accounting (scheduler: preempt_count)
 *     handler(regs);
 *     irq_exit(&state);       (scheduler: softirq / accounting)
 *
 * 'state' is a local of do_irq(), so it lives on the handler's own stack:
 * a handler that turns interrupts back on can be interrupted again, and
 * each level keeps what its irq_enter() recorded.
 *
 * and every exception and interrupt then returns through
 * irqentry_exit(regs) in trap_entry.S, just before the registers are
 * restored and iret runs: the scheduler puts its "preempt on return to an
 * interruptible kernel context" check there, and may call schedule() from
 * it (the frame stays on the interrupted stack until iret).
 *
 * irq_enter(), irq_exit() and irqentry_exit() are weak no-ops in idt.c,
 * replaced by strong definitions elsewhere when those mechanisms exist.
 */
#ifndef ARCH_X86_IDT_H
#define ARCH_X86_IDT_H

#include "arch/x86/traps.h"

#define NR_VECTORS	256

/* Build the shared IDT (once, on the boot CPU, before idt_load()). */
void idt_init(void);
/* Load it on the calling CPU (the boot CPU and every AP). */
void idt_load(void);

typedef void (*irq_handler_t)(struct pt_regs *regs);
/* Route 'vector' (32..255) to 'h'; NULL removes the handler. The handler
 * runs with interrupts off; the LAPIC EOI is the handler's job. */
void set_irq_handler(int vector, irq_handler_t h);

/* The vector of an interrupt frame (valid only for vectors >= 32). */
static inline int irq_vector(const struct pt_regs *regs)
{
	return (int)~regs->orig_ax;
}

/* The C-level interrupt path, called by the entry stubs of 32..255. */
void do_irq(struct pt_regs *regs);

/* What irq_enter() records for the matching irq_exit(). */
struct irq_state {
	int kmap_idx;		/* the interrupted task's kmap_local idx */
};

/* Hooks (weak no-ops until the scheduler provides them). */
void irq_enter(struct irq_state *state);
void irq_exit(const struct irq_state *state);
void irqentry_exit(struct pt_regs *regs);

#endif
