/* SPDX-License-Identifier: MIT */
/*
 * printk.c - format a message, stamp it with the time since boot, and send
 * it to COM1 and to the log ring.
 *
 * The stamp is Linux's "[    1.234567] ": seconds and microseconds since
 * kmain(), read from the TSC. Messages from several CPUs are serialised by
 * one lock taken with interrupts off, so a line is never interleaved.
 *
 * The log ring gets every message. The console gets those under
 * console_loglevel, less the details of reports a test announced
 * (kernel/report.c decides, line by line). A second, smaller ring keeps
 * what really went to the console, so tests can check that too.
 */
#include "kernel/printk.h"
#include "kernel/div64.h"
#include "kernel/spinlock.h"
#include "kernel/report.h"
#include "kernel/string.h"
#include "arch/x86/serial.h"
#include "arch/x86/tsc.h"

int console_loglevel = 7;

#define LOG_RING_SIZE (64 * 1024)	/* a power of two */
static char log_ring[LOG_RING_SIZE];
static u64 log_head;			/* bytes ever written */
#define CONSOLE_RING_SIZE (16 * 1024)	/* a power of two */
static char console_ring[CONSOLE_RING_SIZE];
static u64 console_head;
static arch_spinlock_t console_lock = __ARCH_SPIN_LOCK_UNLOCKED;
/* An oops is being printed, by console_busted_cpu, without the lock. */
static bool console_busted;
static int console_busted_cpu = -1;
static bool line_open;			/* last message did not end in \n */

static void log_store(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_ring[(log_head + i) & (LOG_RING_SIZE - 1)] = s[i];
	log_head += n;
}

void console_write(const char *s, size_t n)
{
	serial_write(s, n);
	for (size_t i = 0; i < n; i++)
		console_ring[(console_head + i) & (CONSOLE_RING_SIZE - 1)] = s[i];
	console_head += n;
}

int vprintk(const char *fmt, va_list ap)
{
	/* out: "\n" if the last message left its line open, the stamp, msg */
	char out[1 + 24 + 512];
	char *stamp = out + 1, *msg = out + 1 + 24;
	int level = LOGLEVEL_DEFAULT, n, sn;
	bool cont = false;
	unsigned long flags;
	size_t start, len;

	if (fmt[0] == KERN_SOH[0] && fmt[1]) {
		if (fmt[1] == 'c')
			cont = true;
		else
			level = fmt[1] - '0';
		fmt += 2;
	}
	n = vsnprintf(msg, 512, fmt, ap);
	if (n >= 512)
		n = 512 - 1;

	u64 ns = ktime_get_ns();
	u32 ns_rem = do_div(ns, 1000000000);	/* ns is now seconds */
	sn = snprintf(stamp, 24, "[%5lu.%06lu] ",
		      (unsigned long)ns, (unsigned long)(ns_rem / 1000));

	flags = console_lock_irqsave();
	/* Put the pieces next to each other, in front of msg. */
	start = msg - out;
	if (!cont || !line_open) {
		start -= sn;
		memmove(out + start, stamp, sn);
		if (line_open)
			out[--start] = '\n';
	}
	len = msg + n - (out + start);
	log_store(out + start, len);
	if (level < console_loglevel &&
	    report_console(msg, out + start, len) == REPORT_WRITE)
		console_write(out + start, len);
	line_open = n > 0 && msg[n - 1] != '\n';
	console_unlock_irqrestore(flags);
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

/*
 * Only the oopsing CPU skips the lock. The test is per CPU, not "is an
 * oops being printed": another CPU that took the lock before the oops
 * began and releases it after must release it, and one that skipped it
 * must not release it -- a global flag read twice could say either, and
 * leave the lock held for good (or its ticket count broken), which hangs
 * every later printk(). That is how two threads dying at once on two
 * CPUs used to stop the machine. Only the oopsing CPU changes its own
 * answer (in oops_begin() and oops_end()), never between a lock and its
 * unlock.
 */
static bool console_busted_here(void)
{
	return READ_ONCE(console_busted) &&
	       READ_ONCE(console_busted_cpu) == smp_processor_id();
}

unsigned long console_lock_irqsave(void)
{
	unsigned long flags = local_irq_save();

	if (!console_busted_here())
		arch_spin_lock(&console_lock);
	return flags;
}

void console_unlock_irqrestore(unsigned long flags)
{
	if (!console_busted_here())
		arch_spin_unlock(&console_lock);
	local_irq_restore(flags);
}

bool console_is_busted(void)
{
	return console_busted_here();
}

/* For tests: nobody holds the console lock, and its ticket count adds up. */
bool console_lock_is_free(void)
{
	return !arch_spin_is_locked(&console_lock);
}

/* From oops_begin(), which holds die_lock: one oopsing CPU at a time. */
void console_emergency(void)
{
	WRITE_ONCE(console_busted_cpu, smp_processor_id());
	WRITE_ONCE(console_busted, true);
}

/* The oops is over and the kernel goes on: serialise lines again. (Other
 * CPUs kept taking the lock meanwhile; only the oopsing CPU skipped it.) */
void console_emergency_end(void)
{
	WRITE_ONCE(console_busted, false);
	WRITE_ONCE(console_busted_cpu, -1);
}

static bool ring_contains(const char *ring, u64 size, u64 head, u64 mark, const char *s)
{
	size_t n = strlen(s);

	if (head - mark > size)
		return false;
	for (u64 p = mark; p + n <= head; p++) {
		size_t i;
		for (i = 0; i < n; i++)
			if (ring[(p + i) & (size - 1)] != s[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}

size_t log_read(u64 pos, char *buf, size_t n)
{
	u64 head = READ_ONCE(log_head);
	size_t i;

	if (pos > head || head - pos > LOG_RING_SIZE)
		return 0;	/* not written yet, or overwritten */
	for (i = 0; i < n && pos + i < head; i++)
		buf[i] = log_ring[(pos + i) & (LOG_RING_SIZE - 1)];
	return i;
}

u64 log_mark(void)
{
	return READ_ONCE(log_head);
}

bool log_contains(u64 mark, const char *s)
{
	return ring_contains(log_ring, LOG_RING_SIZE, READ_ONCE(log_head), mark, s);
}

u64 console_mark(void)
{
	return READ_ONCE(console_head);
}

bool console_contains(u64 mark, const char *s)
{
	return ring_contains(console_ring, CONSOLE_RING_SIZE, READ_ONCE(console_head), mark, s);
}
