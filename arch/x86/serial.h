/* SPDX-License-Identifier: MIT */
/*
 * serial.h - the 16550 UART on COM1, our console.
 */
#ifndef ARCH_X86_SERIAL_H
#define ARCH_X86_SERIAL_H

#define COM1_PORT 0x3f8

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, unsigned long n);
int serial_getc(void);		/* -1 when nothing is waiting */
/* Interrupt on received data (COM1 = ISA IRQ 4); the caller routes it. */
void serial_enable_rx_irq(void);

#endif
