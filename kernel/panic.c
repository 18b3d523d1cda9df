/* SPDX-License-Identifier: MIT */
/*
 * panic.c - the ways the kernel stops.
 *
 * machine_halt() is the clean exit: under QEMU the isa-debug-exit port
 * turns our code into QEMU's exit status; on a machine without that device
 * the write does nothing and we halt with interrupts off. A panic is the
 * unclean exit: something the kernel cannot survive.
 */
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "arch/x86/cpu.h"
#include "arch/x86/io.h"

void machine_halt(int code)
{
	local_irq_disable();
	outb(DEBUG_EXIT_PORT, code);
	for (;;)
		halt();
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	local_irq_disable();
	report_panic();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", buf);
	printk(KERN_EMERG "---[ end Kernel panic - not syncing: %s ]---\n", buf);
	machine_halt(EXIT_PANIC);
}
