/* SPDX-License-Identifier: MIT */
/*
 * idt.c - the one interrupt descriptor table, and interrupt dispatch.
 *
 * A 32-bit gate is 8 bytes:
 *
 *   63          48 47 46-45 44-40  39-32  31         16 15          0
 *   [ offset 31:16 | P | DPL | type | 0    | selector    | offset 15:0 ]
 *
 *   type 0x0E  interrupt gate: the CPU clears EFLAGS.IF on entry
 *   type 0x05  task gate: offset unused, selector names a TSS
 *
 * Every vector, exceptions included, uses an interrupt gate. For the
 * exceptions that matters: a #PF handler must read CR2 before anything
 * else can fault, and an interrupt arriving between the fault and that
 * read could take a nested #PF of its own and overwrite CR2. With IF
 * clear the handler also sees the per-CPU state (the current CPU, an armed
 * fault recovery point) exactly as the faulting code left it. A handler
 * that wants interrupts back enables them itself once it has what it
 * needs; iret restores the interrupted IF either way.
 */
#include "arch/x86/idt.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "kernel/bug.h"
#include "kernel/printk.h"
#include "kernel/trace.h"

#define GATE_INTERRUPT	0x8e	/* present, DPL 0, 32-bit interrupt gate */
#define GATE_TASK	0x85	/* present, DPL 0, task gate */

static u64 idt_table[NR_VECTORS] __aligned(8);
static irq_handler_t irq_handlers[NR_VECTORS];
static u32 unexpected_reported[NR_VECTORS / 32];

extern const u32 idt_stubs[NR_VECTORS];	/* trap_entry.S */

static u64 make_gate(u32 offset, u16 selector, u8 type)
{
	return (u64)(offset & 0xffff) | ((u64)selector << 16) |
	       ((u64)type << 40) | ((u64)(offset >> 16) << 48);
}

void idt_init(void)
{
	for (int v = 0; v < NR_VECTORS; v++)
		idt_table[v] = make_gate(idt_stubs[v], __KERNEL_CS, GATE_INTERRUPT);
	/* #DF switches task: the faulting stack may be the reason for it. */
	idt_table[X86_TRAP_DF] = make_gate(0, __DOUBLEFAULT_TSS, GATE_TASK);
}

void idt_load(void)
{
	struct { u16 limit; u32 base; } __attribute__((packed)) idtr = {
		sizeof(idt_table) - 1, (u32)idt_table
	};

	__asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

void set_irq_handler(int vector, irq_handler_t h)
{
	if (WARN(vector < FIRST_EXTERNAL_VECTOR || vector >= NR_VECTORS,
		 "set_irq_handler: vector %d is not an interrupt vector\n", vector))
		return;
	WRITE_ONCE(irq_handlers[vector], h);
}

/* Weak defaults: the scheduler's hardirq accounting replaces them. */
__attribute__((weak)) void irq_enter(struct irq_state *state) {}
__attribute__((weak)) void irq_exit(const struct irq_state *state) {}
__attribute__((weak)) void irqentry_exit(struct pt_regs *regs) {}

/* Out of line, so that its WARNING names it rather than do_irq. */
static __noinline void unexpected_irq(int vector)
{
	u32 bit = 1u << (vector % 32);

	if (__atomic_fetch_or(&unexpected_reported[vector / 32], bit,
			      __ATOMIC_RELAXED) & bit)
		return;
	WARN(1, "do_IRQ: %d.%d No irq handler for vector\n",
	     smp_processor_id(), vector);
}

void do_irq(struct pt_regs *regs)
{
	int vector = irq_vector(regs);
	struct irq_state state;
	irq_handler_t h;

	irq_enter(&state);
	trace_event(IRQ_ENTRY, vector, 0, 0);
	h = READ_ONCE(irq_handlers[vector]);
	if (h)
		h(regs);
	else
		unexpected_irq(vector);
	trace_event(IRQ_EXIT, vector, 0, 0);
	irq_exit(&state);
}
