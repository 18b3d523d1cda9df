/* SPDX-License-Identifier: MIT */
/*
 * report_test.c - what the console shows of a kernel report: the
 * headline of one a test announced, all of any other; and the log ring
 * keeps every line either way (kernel/report.c).
 *
 * The reports here are made with report_begin()/report_details()/
 * report_end() directly, with headlines that name no report word: the
 * harness fails a boot on an unannounced "BUG:" or "WARNING:" line, so
 * the "nobody announced it" cases must not print one. Only the announced
 * WARN is a real one. The cases about the short form turn ktest.verbose
 * off while they run, so they hold in a boot with ktest.verbose=1 too.
 */
#include "kernel/ktest.h"
#include "kernel/bug.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/sched.h"
#include "tests/kernel/helpers.h"
#include "arch/x86/smp.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"

/* A WARN whose report names this function (no clone, no inlining). */
static __attribute__((noipa)) int report_test_warn(int cond)
{
	return WARN(cond, "report_test: the message of an announced WARN\n");
}

/* A report without any report word: headline, then one detail line. */
static void plain_report(const char *headline)
{
	report_begin();
	printk(CUT_HERE);
	pr_err("report_test: %s\n", headline);
	report_details();
	pr_err("report_test: the detail of '%s'\n", headline);
	report_end();
}

static void announced_warning_prints_its_headline_only(struct ktest *t)
{
	u64 cmark = console_mark(), lmark = log_mark();
	bool was = report_verbose;

	ktest_expect(t, "report_test_warn");
	report_verbose = false;
	EXPECT_TRUE(t, report_test_warn(1));
	report_verbose = was;
	EXPECT_TRUE(t, console_contains(cmark, "    # expected: report_test_warn\n"));
	/* the headline: WARN()'s message and the WARNING line */
	EXPECT_TRUE(t, console_contains(cmark, "report_test: the message of an announced WARN\n"));
	EXPECT_TRUE(t, console_contains(cmark, "WARNING: CPU: "));
	EXPECT_TRUE(t, console_contains(cmark, " report_test_warn+0x"));
	/* not the rest */
	EXPECT_FALSE(t, console_contains(cmark, "cut here"));
	EXPECT_FALSE(t, console_contains(cmark, "EIP: "));
	EXPECT_FALSE(t, console_contains(cmark, "Call Trace:"));
	EXPECT_FALSE(t, console_contains(cmark, "---[ end trace"));
	/* which the log ring has, for log_contains() */
	EXPECT_TRUE(t, log_contains(lmark, CUT_HERE));
	EXPECT_TRUE(t, log_contains(lmark, "EIP: report_test_warn+0x"));
	EXPECT_TRUE(t, log_contains(lmark, "Call Trace:"));
	EXPECT_TRUE(t, log_contains(lmark, "---[ end trace"));
}

static void announced_report_prints_its_headline_only(struct ktest *t)
{
	u64 cmark = console_mark(), lmark = log_mark();
	bool was = report_verbose;

	ktest_expect(t, "report_test: announced");
	report_verbose = false;
	plain_report("announced");
	report_verbose = was;
	EXPECT_TRUE(t, console_contains(cmark, "report_test: announced\n"));
	EXPECT_FALSE(t, console_contains(cmark, "cut here"));
	EXPECT_FALSE(t, console_contains(cmark, "the detail of 'announced'"));
	EXPECT_TRUE(t, log_contains(lmark, "the detail of 'announced'"));
}

static void unannounced_report_prints_whole(struct ktest *t)
{
	u64 cmark = console_mark();

	ktest_expect(t, "report_test: some other headline");
	plain_report("nobody announced this");
	/* the cut line was held back until the report was decided */
	EXPECT_TRUE(t, console_contains(cmark, CUT_HERE));
	EXPECT_TRUE(t, console_contains(cmark, "report_test: nobody announced this\n"));
	EXPECT_TRUE(t, console_contains(cmark, "the detail of 'nobody announced this'"));
}

/* A report without a detail part is decided at its end: still whole. */
static void unannounced_report_without_details_prints_whole(struct ktest *t)
{
	u64 cmark = console_mark();

	report_begin();
	printk(CUT_HERE);
	pr_err("report_test: a report that is all headline\n");
	report_end();
	EXPECT_TRUE(t, console_contains(cmark, CUT_HERE));
	EXPECT_TRUE(t, console_contains(cmark, "report_test: a report that is all headline\n"));
}

static void verbose_prints_announced_reports_whole(struct ktest *t)
{
	bool was = report_verbose;
	u64 cmark = console_mark();

	ktest_expect(t, "report_test: announced");
	report_verbose = true;
	plain_report("announced, verbose");
	report_verbose = was;
	EXPECT_TRUE(t, console_contains(cmark, CUT_HERE));
	EXPECT_TRUE(t, console_contains(cmark, "the detail of 'announced, verbose'"));
}

static void cleared_announcements_cover_nothing(struct ktest *t)
{
	u64 cmark = console_mark();

	ktest_expect(t, "report_test: announced");
	report_expect_clear();		/* what the end of a case does */
	plain_report("announced, then cleared");
	EXPECT_TRUE(t, console_contains(cmark, "the detail of 'announced, then cleared'"));
}

static void report_from_cpu(void *unused)
{
	plain_report("announced, from an IPI");
}

/* Announcements are global: a report printed by another CPU (here in
 * an interrupt handler) is covered too. */
static void report_on_another_cpu_is_covered(struct ktest *t)
{
	int cpu = ktest_other_cpu(smp_processor_id());
	u64 cmark = console_mark(), lmark = log_mark();
	bool was = report_verbose;

	if (cpu < 0)
		KTEST_SKIP(t, "needs a second CPU");
	ktest_expect(t, "report_test: announced");
	report_verbose = false;
	smp_call_function_single(cpu, report_from_cpu, NULL, 1);
	report_verbose = was;
	EXPECT_TRUE(t, console_contains(cmark, "report_test: announced, from an IPI\n"));
	EXPECT_FALSE(t, console_contains(cmark, "the detail of 'announced, from an IPI'"));
	EXPECT_TRUE(t, log_contains(lmark, "the detail of 'announced, from an IPI'"));
}

static void report_words_are_the_harness_six(struct ktest *t)
{
	EXPECT_TRUE(t, report_line_names_a_report("BUG: Bad page state"));
	EXPECT_TRUE(t, report_line_names_a_report("WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1"));
	EXPECT_TRUE(t, report_line_names_a_report("Oops: 0002 [#1] SMP"));
	EXPECT_TRUE(t, report_line_names_a_report("kernel BUG at mm/highmem.c:1!"));
	EXPECT_TRUE(t, report_line_names_a_report("general protection fault: 0000 [#1] SMP"));
	EXPECT_TRUE(t, report_line_names_a_report("note: scheduling while atomic"));
	EXPECT_FALSE(t, report_line_names_a_report("invalid opcode: 0000 [#1] SMP"));
	EXPECT_FALSE(t, report_line_names_a_report("    # expected: BUG: Bad page state"));
}

/*
 * While a CPU prints an oops it skips the console lock (it may have died
 * holding it); every other CPU goes on taking it. So a printk() on another
 * CPU may straddle the start or the end of an oops, and must release the
 * lock exactly when it took it: two threads dying at once on two CPUs used
 * to leave it held for good (the next printk() anywhere then spun forever
 * with interrupts off). Both orders are forced here, the oops's start and
 * end being console_emergency() and console_emergency_end(), as
 * oops_begin() and oops_end() call them:
 *
 *   1. another CPU takes the lock; the oops begins; it releases the lock;
 *   2. the oops begins; another CPU takes the lock; the oops ends; it
 *      releases the lock;
 *
 * and after each the lock must be free, and the console work.
 */
struct straddle {
	volatile int step;
	bool late;			/* someone did not reach a step in time */
};

/* Spin (interrupts may be off) until s->step == want, for at most 2 s. */
static bool step_reached(struct straddle *s, int want)
{
	u64 t0 = rdtsc(), limit = (u64)tsc_khz * 2000;

	while (READ_ONCE(s->step) != want) {
		if (rdtsc() - t0 > limit) {
			s->late = true;
			return false;
		}
		cpu_relax();
	}
	return true;
}

/* The other CPU: a printk()'s lock and unlock, around the oops's edges. */
static int console_user_fn(void *arg)
{
	struct straddle *s = arg;
	unsigned long flags;

	if (!step_reached(s, 1))
		return 0;
	flags = console_lock_irqsave();		/* 1: before the oops begins */
	s->step = 2;
	step_reached(s, 3);
	console_unlock_irqrestore(flags);	/* ... released during it */
	s->step = 4;
	if (!step_reached(s, 5))
		return 0;
	flags = console_lock_irqsave();		/* 2: taken during the oops */
	s->step = 6;
	step_reached(s, 7);
	console_unlock_irqrestore(flags);	/* ... released after it */
	s->step = 8;
	return 0;
}

static void console_lock_survives_an_oops_starting_or_ending_mid_printk(struct ktest *t)
{
	int me, other;
	struct straddle s = { 0, false };
	struct task_struct *p;
	bool free1, free2;

	preempt_disable();		/* the "oopsing" CPU stays this one */
	me = smp_processor_id();
	other = ktest_other_cpu(me);
	preempt_enable();
	if (other < 0)
		KTEST_SKIP(t, "needs two CPUs");
	ASSERT_EQ(t, set_cpus_allowed(current, cpumask_of(me)), 0);
	p = kthread_create_on_cpu(console_user_fn, &s, other, "console-user");
	wake_up_process(p);

	/* no printk() from here to the checks: the lock may be held */
	preempt_disable();
	s.step = 1;
	if (step_reached(&s, 2)) {
		console_emergency();		/* the oops begins here */
		s.step = 3;
		step_reached(&s, 4);
		console_emergency_end();
	}
	free1 = console_lock_is_free();
	if (!s.late) {
		console_emergency();
		s.step = 5;
		step_reached(&s, 6);
		console_emergency_end();	/* the oops ends here */
		s.step = 7;
		step_reached(&s, 8);
	}
	free2 = console_lock_is_free();
	preempt_enable();

	ASSERT_TRUE(t, ktest_join_timeout(t, p, 3000));
	EXPECT_FALSE(t, s.late);
	EXPECT_TRUE(t, free1);		/* released after the oops began */
	EXPECT_TRUE(t, free2);		/* taken during it, released after */
	pr_info("report_test: the console still works\n");
}

KTEST_SUITE(report,
	KTEST_CASE(announced_warning_prints_its_headline_only),
	KTEST_CASE(announced_report_prints_its_headline_only),
	KTEST_CASE(unannounced_report_prints_whole),
	KTEST_CASE(unannounced_report_without_details_prints_whole),
	KTEST_CASE(verbose_prints_announced_reports_whole),
	KTEST_CASE(cleared_announcements_cover_nothing),
	KTEST_CASE(report_on_another_cpu_is_covered),
	KTEST_CASE(report_words_are_the_harness_six),
	KTEST_CASE(console_lock_survives_an_oops_starting_or_ending_mid_printk));
