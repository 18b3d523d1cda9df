/* SPDX-License-Identifier: MIT */
/*
 * report.c - what the console shows of a kernel report: an announced one
 * by its headline, any other one whole.
 *
 * A report (a BUG, a WARNING, an oops, "sleeping function called from
 * invalid context", "Bad page state", a page allocation failure...) is
 * printed between report_begin() and report_end() on one CPU. Its first
 * lines are the headline, what went wrong and where; report_details()
 * marks the start of the rest (registers, code bytes, call trace, the end
 * marker). The "cut here" line is a detail wherever it comes.
 *
 * A test that provokes a report announces it first:
 *
 *   ktest_expect(t, "kernel BUG at mm/highmem.c");
 *       [    1.234567]     # expected: kernel BUG at mm/highmem.c
 *
 * The announcement covers every report line that contains its text, from
 * then to the end of the case. With the default ktest.verbose=0:
 *
 *   - a report whose headline is covered shows only its headline lines on
 *     the console; the details go to the log ring alone;
 *   - every other report is printed whole, and so is the rest of a report
 *     as soon as one of its lines names a report ("BUG:", "WARNING:",
 *     "Oops", "kernel BUG at", "general protection fault", "scheduling
 *     while atomic") that no announcement covers.
 *
 * ktest.verbose=1 prints every report whole, as Linux does.
 *
 * Which way a report goes is only known at its first covered headline
 * line, and the "cut here" line (and WARN()'s message) come before it: so
 * until then, the CPU holds its report's console lines back in held[],
 * and prints or drops them once the report is decided.
 *
 * The announcements are global: a report counts as expected whichever CPU
 * prints it (a misuse often runs in a child thread, or an IPI handler).
 *
 * Rules enforced: the log ring gets every line of every report (tests
 * search it with log_contains()); a report nobody announced is never
 * shortened; a panic prints whatever was held back, and everything after.
 */
#include "kernel/report.h"
#include "kernel/cmdline.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "arch/x86/percpu.h"

bool report_verbose;

static bool set_verbose(const char *v)
{
	if (v && !strcmp(v, "1"))
		report_verbose = true;
	else if (v && !strcmp(v, "0"))
		report_verbose = false;
	else
		return false;
	return true;
}
early_param("ktest.verbose", set_verbose);

static bool panicking;

/* ---- the announcements ---- */

#define MAX_EXPECTED	16
#define EXPECTED_LEN	96

static char expected[MAX_EXPECTED][EXPECTED_LEN];
static int nr_expected;
/* A leaf lock, taken with interrupts off (also from inside printk). */
static arch_spinlock_t expect_lock = __ARCH_SPIN_LOCK_UNLOCKED;

bool report_expect(const char *text)
{
	unsigned long flags;
	bool room;

	if (!*text || strlen(text) >= EXPECTED_LEN)
		return false;
	flags = local_irq_save();
	arch_spin_lock(&expect_lock);
	room = nr_expected < MAX_EXPECTED;
	arch_spin_unlock(&expect_lock);
	local_irq_restore(flags);
	if (!room)
		return false;
	/* Printed before it counts: a report it covers never reaches the
	 * console ahead of its announcement. */
	printk(KERN_INFO "    # expected: %s\n", text);
	flags = local_irq_save();
	arch_spin_lock(&expect_lock);
	strlcpy(expected[nr_expected++], text, EXPECTED_LEN);
	arch_spin_unlock(&expect_lock);
	local_irq_restore(flags);
	return true;
}

void report_expect_clear(void)
{
	unsigned long flags = local_irq_save();

	arch_spin_lock(&expect_lock);
	nr_expected = 0;
	arch_spin_unlock(&expect_lock);
	local_irq_restore(flags);
}

/* Does an announcement cover this line? Interrupts are off. An oopsing
 * CPU prints without the console lock; it reads the table without this
 * one too, rather than risk waiting on a lock it may hold itself. */
static bool covered(const char *msg)
{
	bool hit = false, lock = !console_is_busted();

	if (lock)
		arch_spin_lock(&expect_lock);
	for (int i = 0; i < nr_expected && !hit; i++)
		hit = strstr(msg, expected[i]) != NULL;
	if (lock)
		arch_spin_unlock(&expect_lock);
	return hit;
}

/* The words that make a line a report line, for us and for the test
 * harness; a KTAP diagnostic ("# ...") never is one. */
bool report_line_names_a_report(const char *msg)
{
	static const char *const words[] = {
		"BUG:", "WARNING:", "Oops", "kernel BUG at",
		"general protection fault", "scheduling while atomic",
	};
	const char *p = msg;

	while (*p == ' ')
		p++;
	if (*p == '#')
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(msg, words[i]))
			return true;
	return false;
}

/* ---- this CPU's report ---- */

enum verdict {
	UNDECIDED,	/* no covered headline line yet: hold the console lines */
	SHORT,		/* announced: headline lines only */
	WHOLE,		/* not announced (or verbose, or panicking): everything */
};

#define HELD_SIZE	1024

struct held_line {
	u16 len;
	bool detail;
};

struct report_state {
	int depth;		/* nested report_begin()s */
	bool details;		/* past report_details() */
	enum verdict verdict;
	unsigned int held_len;
	char held[HELD_SIZE];	/* struct held_line + its bytes, repeated */
};

/* Indexed by CPU; used with preemption or interrupts off. */
static struct report_state states[NR_CPUS];

static struct report_state *this_state(void)
{
	return &states[smp_processor_id()];
}

/* Console lock held. Print what was held (all of it, or the headline
 * lines only) and forget it. */
static void flush_held(struct report_state *st, bool all)
{
	for (unsigned int p = 0; p < st->held_len;) {
		struct held_line h;

		memcpy(&h, st->held + p, sizeof(h));
		p += sizeof(h);
		if (all || !h.detail)
			console_write(st->held + p, h.len);
		p += h.len;
	}
	st->held_len = 0;
}

static bool hold(struct report_state *st, const char *out, size_t n, bool detail)
{
	struct held_line h = { (u16)n, detail };

	if (st->held_len + sizeof(h) + n > HELD_SIZE)
		return false;
	memcpy(st->held + st->held_len, &h, sizeof(h));
	memcpy(st->held + st->held_len + sizeof(h), out, n);
	st->held_len += sizeof(h) + n;
	return true;
}

/* Console lock held: from here on this report prints whole. */
static void go_whole(struct report_state *st)
{
	flush_held(st, true);
	st->verdict = WHOLE;
}

enum report_out report_console(const char *msg, const char *out, size_t n)
{
	struct report_state *st = this_state();
	bool detail;

	if (!st->depth || st->verdict == WHOLE)
		return REPORT_WRITE;
	if (panicking) {
		go_whole(st);
		return REPORT_WRITE;
	}
	detail = st->details || !strcmp(msg, CUT_HERE);
	if (report_line_names_a_report(msg) && !covered(msg)) {
		go_whole(st);
		return REPORT_WRITE;
	}
	if (st->verdict == SHORT)
		return detail ? REPORT_DROP : REPORT_WRITE;
	/* UNDECIDED */
	if (!detail && covered(msg)) {
		flush_held(st, false);
		st->verdict = SHORT;
		return REPORT_WRITE;
	}
	if (hold(st, out, n, detail))
		return REPORT_HELD;
	go_whole(st);
	return REPORT_WRITE;
}

/*
 * The state changes below are made with interrupts off: printk() from an
 * interrupt handler on this CPU reads the same state, and must never see
 * a report open (depth > 0) with the last report's verdict.
 */
void report_begin(void)
{
	struct report_state *st;
	unsigned long flags;

	preempt_disable();
	flags = local_irq_save();
	st = this_state();
	if (!st->depth) {	/* else a report inside a report: one report */
		st->details = false;
		st->held_len = 0;
		st->verdict = report_verbose || panicking ? WHOLE : UNDECIDED;
	}
	st->depth++;
	local_irq_restore(flags);
}

/* An undecided report has no covered headline: print it whole. */
static void decide_whole(struct report_state *st)
{
	unsigned long flags;

	if (st->verdict != UNDECIDED)
		return;
	flags = console_lock_irqsave();
	go_whole(st);
	console_unlock_irqrestore(flags);
}

void report_details(void)
{
	struct report_state *st = this_state();
	unsigned long flags = local_irq_save();

	if (st->depth) {
		st->details = true;
		decide_whole(st);
	}
	local_irq_restore(flags);
}

void report_end(void)
{
	struct report_state *st = this_state();
	unsigned long flags = local_irq_save();
	bool open = st->depth > 0;

	if (open && --st->depth == 0)
		decide_whole(st);
	local_irq_restore(flags);
	if (open)
		preempt_enable_no_resched();
}

void report_end_all(void)
{
	while (this_state()->depth)
		report_end();
}

void report_panic(void)
{
	unsigned long flags;

	panicking = true;
	flags = console_lock_irqsave();
	flush_held(this_state(), true);
	console_unlock_irqrestore(flags);
}
