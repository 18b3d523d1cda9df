/* SPDX-License-Identifier: MIT */
/*
 * serial.c - polled output on the COM1 16550 UART (115200 8N1).
 *
 * Polling keeps the console usable from any context: an oops with
 * interrupts off, or a CPU that has not set up its LAPIC yet. Callers
 * serialise through printk's console lock.
 *
 * Receiving is the other way round: serial_enable_rx_irq() turns on the
 * "received data available" interrupt (IER bit 0) and OUT2, the PC's gate
 * that lets the UART's interrupt reach the IRQ 4 line; the handler
 * (kernel/monitor.c) drains the FIFO with serial_getc().
 */
#include "arch/x86/serial.h"
#include "arch/x86/io.h"

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };
#define IER_RX_AVAIL	0x01
#define MCR_OUT2	0x08
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20

void serial_init(void)
{
	outb(COM1_PORT + IER, 0x00);
	outb(COM1_PORT + LCR, 0x80);	/* DLAB: set the divisor */
	outb(COM1_PORT + DLL, 0x01);	/* 115200 / 1 */
	outb(COM1_PORT + DLM, 0x00);
	outb(COM1_PORT + LCR, 0x03);	/* 8 bits, no parity, 1 stop */
	outb(COM1_PORT + FCR, 0xc7);	/* FIFOs on, cleared */
	outb(COM1_PORT + MCR, 0x03);	/* DTR, RTS */
}

void serial_putc(char c)
{
	while (!(inb(COM1_PORT + LSR) & LSR_THR_EMPTY))
		;
	outb(COM1_PORT + THR, c);
}

void serial_write(const char *s, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

int serial_getc(void)
{
	if (!(inb(COM1_PORT + LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1_PORT + RBR);
}

void serial_enable_rx_irq(void)
{
	outb(COM1_PORT + MCR, 0x03 | MCR_OUT2);
	outb(COM1_PORT + FCR, 0x07);	/* FIFOs on, cleared, interrupt at 1 byte */
	outb(COM1_PORT + IER, IER_RX_AVAIL);
	(void)inb(COM1_PORT + IIR);	/* clear a stale interrupt identification */
}
