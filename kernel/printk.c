/*
 * printk.c - format a message, stamp it with the time since boot, and send
 * it to COM1 and to the log ring.
 *
 * The stamp is Linux's "[    1.234567] ": seconds and microseconds since
 * kmain(), read from the TSC. Messages from several CPUs are serialised by
 * one lock taken with interrupts off, so a line is never interleaved.
 */
#include "kernel/printk.h"
#include "kernel/div64.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "arch/x86/serial.h"
#include "arch/x86/tsc.h"

int console_loglevel = 7;

#define LOG_RING_SIZE (64 * 1024)	/* a power of two */
static char log_ring[LOG_RING_SIZE];
static u64 log_head;			/* bytes ever written */
static arch_spinlock_t console_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static bool console_busted;
static bool line_open;			/* last message did not end in \n */

static void log_store(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_ring[(log_head + i) & (LOG_RING_SIZE - 1)] = s[i];
	log_head += n;
}

static void emit(const char *s, size_t n, bool to_console)
{
	log_store(s, n);
	if (to_console)
		serial_write(s, n);
}

int vprintk(const char *fmt, va_list ap)
{
	char msg[512], stamp[24];
	int level = LOGLEVEL_DEFAULT, n, sn;
	bool cont = false;
	unsigned long flags;

	if (fmt[0] == KERN_SOH[0] && fmt[1]) {
		if (fmt[1] == 'c')
			cont = true;
		else
			level = fmt[1] - '0';
		fmt += 2;
	}
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;

	u64 ns = ktime_get_ns();
	u32 ns_rem = do_div(ns, 1000000000);	/* ns is now seconds */
	sn = snprintf(stamp, sizeof(stamp), "[%5lu.%06lu] ",
		      (unsigned long)ns, (unsigned long)(ns_rem / 1000));

	flags = local_irq_save();
	if (!console_busted)
		arch_spin_lock(&console_lock);
	bool show = level < console_loglevel;
	if (!cont || !line_open) {
		if (line_open)
			emit("\n", 1, show);
		emit(stamp, sn, show);
	}
	emit(msg, n, show);
	line_open = n > 0 && msg[n - 1] != '\n';
	if (!console_busted)
		arch_spin_unlock(&console_lock);
	local_irq_restore(flags);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void console_emergency(void)
{
	console_busted = true;
}

/* The oops is over and the kernel goes on: serialise lines again. (Other
 * CPUs kept taking the lock meanwhile; only the oopsing CPU skipped it.) */
void console_emergency_end(void)
{
	console_busted = false;
}

u64 log_mark(void)
{
	return READ_ONCE(log_head);
}

bool log_contains(u64 mark, const char *s)
{
	size_t n = strlen(s);
	u64 head = READ_ONCE(log_head);

	if (head - mark > LOG_RING_SIZE)
		return false;
	for (u64 p = mark; p + n <= head; p++) {
		size_t i;
		for (i = 0; i < n; i++)
			if (log_ring[(p + i) & (LOG_RING_SIZE - 1)] != s[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}
