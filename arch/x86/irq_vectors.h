/* SPDX-License-Identifier: MIT */
/*
 * irq_vectors.h - which IDT vector means what.
 *
 * The local APIC delivers a fixed interrupt by priority class, the vector's
 * high nibble: class 15 (0xF0-0xFF) beats class 14, and so on down. Like
 * Linux, the IPIs sit in the top class so that a CPU spinning for an
 * acknowledgement is answered ahead of device work, and the timer just
 * below them.
 *
 *   0x00-0x1F  CPU exceptions (traps.c)
 *   0x20-0x2F  the 8259 PICs after remapping; masked, never delivered,
 *              but remapped so a spurious IRQ 7/15 cannot pose as #DF/#PF
 *   0x30-0xDF  free for device interrupts (IOAPIC)
 *   0x34       SERIAL_VECTOR: COM1 (ISA IRQ 4) through the IOAPIC, for
 *              the monitor's keyboard (kernel/monitor.c)
 *   0xE0       KTEST_VECTOR: tests send it to themselves to run code in
 *              a real hard-IRQ context
 *   0xEC       LOCAL_TIMER_VECTOR          class 14
 *   0xFB       CALL_FUNCTION_SINGLE_VECTOR class 15
 *   0xFC       CALL_FUNCTION_VECTOR
 *   0xFD       RESCHEDULE_VECTOR
 *   0xFE       ERROR_APIC_VECTOR
 *   0xFF       SPURIOUS_APIC_VECTOR (low nibble 1111: older APICs hardwire it)
 */
#ifndef ARCH_X86_IRQ_VECTORS_H
#define ARCH_X86_IRQ_VECTORS_H

#define ISA_IRQ_VECTOR(irq)		(0x20 + (irq))

#define SERIAL_VECTOR			0x34
#define KTEST_VECTOR			0xe0
#define LOCAL_TIMER_VECTOR		0xec
#define CALL_FUNCTION_SINGLE_VECTOR	0xfb
#define CALL_FUNCTION_VECTOR		0xfc
#define RESCHEDULE_VECTOR		0xfd
#define ERROR_APIC_VECTOR		0xfe
#define SPURIOUS_APIC_VECTOR		0xff

#endif
