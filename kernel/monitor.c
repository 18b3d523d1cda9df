/* SPDX-License-Identifier: MIT */
/*
 * monitor.c - the kmaplab> prompt on the serial console.
 *
 * "monitor" on the command line (make run and make run-kernel add it)
 * makes init, once the tests are over and "kmaplab: done" is printed,
 * turn into the monitor: it reads a line, runs the command it names, and
 * prompts again, for good.
 *
 * Receive is interrupt-driven, through the IOAPIC (not the 8259 PIC,
 * which stays masked): COM1 raises ISA IRQ 4, IOAPIC input 4 delivers it
 * as SERIAL_VECTOR (0x34) to CPU 0, and serial_interrupt() moves the
 * bytes from the UART's FIFO into a ring and wakes the monitor, which
 * sleeps in wait_event() between keys (no polling).
 *
 *   UART FIFO --IRQ 4--> IOAPIC --0x34--> CPU 0: serial_interrupt()
 *        rx_ring[] --wake_up--> monitor (init, pid 1): edit, run, prompt
 *
 * Line editing: printable characters, Backspace/DEL, Ctrl-U (erase the
 * line), Ctrl-C (drop it), Up/Down (ESC [ A / ESC [ B: the last 16 lines).
 * CR, LF or CR LF ends a line.
 *
 * Rules: a command never panics the machine on bad input; it answers in
 * one line that names itself and the word it did not like. The monitor
 * runs in a thread that may sleep, so kmap() is allowed in it; what would
 * wait forever (a full pool, a test run while the monitor holds slots) is
 * refused with the reason. Output goes to the console under its lock,
 * without printk's time stamp.
 */
#include "kernel/monitor.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/wait.h"
#include "arch/x86/serial.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/percpu.h"

#define COM1_IRQ	4
#define RX_RING		256		/* a power of two */
#define LINE_MAX	128
#define HIST_MAX	16

static bool monitor_wanted;
flag_param("monitor", monitor_wanted);

bool monitor_requested(void)
{
	return monitor_wanted;
}

/* ---- output ---- */

void mon_printf(const char *fmt, ...)
{
	char buf[512];
	unsigned long flags;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	flags = console_lock_irqsave();
	console_write(buf, n);
	console_unlock_irqrestore(flags);
}

/* ---- input: the interrupt fills rx_ring, the monitor empties it ---- */

static char rx_ring[RX_RING];
static unsigned int rx_head, rx_tail;	/* head: IRQ writes; tail: monitor reads */
static DECLARE_WAIT_QUEUE_HEAD(rx_wait);
static DEFINE_PER_CPU(unsigned long, serial_irqs);

unsigned long mon_serial_irqs(int cpu)
{
	return per_cpu(serial_irqs, cpu);
}

static void serial_interrupt(struct pt_regs *regs)
{
	int c;

	this_cpu_inc(serial_irqs);
	while ((c = serial_getc()) >= 0) {
		if (rx_head - READ_ONCE(rx_tail) < RX_RING)	/* full: drop */
			rx_ring[rx_head++ & (RX_RING - 1)] = (char)c;
	}
	lapic_eoi();
	wake_up(&rx_wait);
}

static int mon_getc(void)
{
	int c;

	wait_event(rx_wait, READ_ONCE(rx_head) != rx_tail);
	c = (unsigned char)rx_ring[rx_tail & (RX_RING - 1)];
	WRITE_ONCE(rx_tail, rx_tail + 1);
	return c;
}

/* ---- line editing ---- */

static char history[HIST_MAX][LINE_MAX];
static int hist_len;			/* lines kept */

static void erase(int n)
{
	while (n-- > 0)
		mon_printf("\b \b");
}

/* Replace the line on screen (and in buf) with 's'. */
static int show_line(char *buf, int len, const char *s)
{
	erase(len);
	strlcpy(buf, s, LINE_MAX);
	mon_printf("%s", buf);
	return strlen(buf);
}

static void read_line(char *buf)
{
	int len = 0, hist_pos = hist_len, esc = 0;
	static bool last_cr;
	int c;

	buf[0] = 0;
	for (;;) {
		c = mon_getc();
		if (esc == 1) {			/* ESC seen */
			esc = c == '[' ? 2 : 0;
			continue;
		}
		if (esc == 2) {			/* ESC [ seen */
			esc = 0;
			if (c == 'A' && hist_pos > 0)
				len = show_line(buf, len, history[--hist_pos]);
			else if (c == 'B' && hist_pos < hist_len)
				len = show_line(buf, len, ++hist_pos < hist_len ?
						history[hist_pos] : "");
			continue;
		}
		if (c == '\n' && last_cr) {	/* the LF of a CR LF */
			last_cr = false;
			continue;
		}
		last_cr = c == '\r';
		switch (c) {
		case '\r':
		case '\n':
			buf[len] = 0;
			mon_printf("\n");
			return;
		case 0x1b:
			esc = 1;
			break;
		case '\b':
		case 0x7f:
			if (len > 0) {
				len--;
				erase(1);
			}
			break;
		case 0x15:			/* Ctrl-U */
			erase(len);
			len = 0;
			break;
		case 0x03:			/* Ctrl-C */
			mon_printf("^C\n");
			buf[0] = 0;
			return;
		default:
			if (c >= ' ' && c < 0x7f && len < LINE_MAX - 1) {
				buf[len++] = (char)c;
				mon_printf("%c", c);
			}
		}
	}
}

static void remember(const char *line)
{
	if (!*line || (hist_len && !strcmp(history[hist_len - 1], line)))
		return;
	if (hist_len == HIST_MAX) {
		memmove(history[0], history[1], sizeof(history[0]) * (HIST_MAX - 1));
		hist_len--;
	}
	strlcpy(history[hist_len++], line, LINE_MAX);
}

/* ---- numbers ---- */

bool mon_parse(const char *s, u64 *out)
{
	unsigned base = 10;
	u64 v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		/* more than 64 bits? (no 64-bit division: we link without libgcc) */
		if (base == 16 ? (v >> 60) != 0 :
		    v > 1844674407370955161ULL || (v == 1844674407370955161ULL && d > 5))
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* ---- commands ---- */

static void cmd_help(int argc, char **argv);

static const struct mon_cmd mon_core_cmds[] = {
	{ "help", "", "this list", 0, 0, cmd_help },
	{ NULL }
};

static const struct mon_cmd *const cmd_tables[] = {
	mon_core_cmds, mon_mem_cmds, mon_sys_cmds,
};

static void cmd_help(int argc, char **argv)
{
	for (unsigned t = 0; t < ARRAY_SIZE(cmd_tables); t++)
		for (const struct mon_cmd *c = cmd_tables[t]; c->name; c++) {
			char head[40];

			snprintf(head, sizeof(head), "%s %s", c->name, c->args);
			mon_printf("  %-26s %s\n", head, c->help);
		}
	mon_printf("  (numbers are decimal or 0x hex; Ctrl-U erases the line, Up/Down recall)\n");
}

static const struct mon_cmd *find_cmd(const char *name)
{
	for (unsigned t = 0; t < ARRAY_SIZE(cmd_tables); t++)
		for (const struct mon_cmd *c = cmd_tables[t]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

/* Split at spaces; false (and the answer printed) if there are too many. */
static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p; ) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		if (argc == MON_MAX_ARGS + 1)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

static void execute(char *line)
{
	char *argv[MON_MAX_ARGS + 1];
	const struct mon_cmd *c;
	int argc = split(line, argv);

	if (argc == 0)
		return;
	if (argc < 0) {
		mon_printf("%s: too many arguments\n", argv[0]);
		return;
	}
	c = find_cmd(argv[0]);
	if (!c) {
		mon_printf("unknown command '%s'; try help\n", argv[0]);
		return;
	}
	if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
		if (c->max_args == 0)
			mon_printf("%s: takes no arguments\n", c->name);
		else
			mon_printf("%s: usage: %s %s\n", c->name, c->name, c->args);
		return;
	}
	c->fn(argc, argv);
}

void monitor_run(void)
{
	static char line[LINE_MAX], copy[LINE_MAX];

	/* what arrived before the handler (typed ahead) is dropped */
	while (serial_getc() >= 0)
		;
	set_irq_handler(SERIAL_VECTOR, serial_interrupt);
	serial_enable_rx_irq();
	if (!ioapic_route_isa_irq(COM1_IRQ, SERIAL_VECTOR, 0))
		pr_err("monitor: no IOAPIC input %d for COM1; the keyboard will not work\n",
		       COM1_IRQ);
	mon_printf("kmaplab monitor: type help for the commands\n");
	for (;;) {
		mon_printf("kmaplab> ");
		read_line(line);
		remember(line);
		strlcpy(copy, line, sizeof(copy));
		execute(copy);
	}
}
