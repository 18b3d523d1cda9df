/* SPDX-License-Identifier: MIT */
/*
 * ktest_watchdog_test.c - the test runner's own rules: a case or a thread that
 * does not end in time is reported (state, wait channel, backtrace),
 * parked so that it never runs again, and the run goes on.
 *
 * Each case fails if the mechanism is taken out: no time limit (the case
 * itself would hang, and the runner's own watchdog would report it), no
 * parking (the hung thread runs again when woken), a report without the
 * wait channel or the backtrace.
 */
#include "kernel/ktest.h"
#include "kernel/ktest_internal.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/string.h"
#include "kernel/wait.h"
#include "tests/kernel/helpers.h"

/* A wait queue nobody wakes but the test: a lost wake-up, on purpose. */
static DECLARE_WAIT_QUEUE_HEAD(never_woken);
static volatile bool release_sleeper;

struct lost {
	struct task_struct *task;
	volatile bool woke;
};

static __attribute__((noipa)) int waits_for_a_lost_wakeup(void *arg)
{
	struct lost *l = arg;

	l->task = current;
	wait_event(never_woken, release_sleeper);
	l->woke = true;
	return 0;
}

/* A child that sleeps past its limit: reported with its state, its wait
 * channel and its backtrace, then parked: the wake-up it waited for no
 * longer makes it run. */
static void hung_child_is_reported_and_parked(struct ktest *t)
{
	static struct lost l;	/* static: the parked child keeps pointing at it */
	struct ktest_child r;
	char line[96];

	l = (struct lost){ 0 };
	release_sleeper = false;
	r = ktest_run_child_timeout(waits_for_a_lost_wakeup, &l, -1, "lost-wakeup", 200);
	ASSERT_TRUE(t, r.timed_out);
	ASSERT_PTR_NE(t, l.task, NULL);
	snprintf(line, sizeof(line), "INFO: task lost-wakeup:%d blocked for more than 200 ms.",
		 l.task->pid);
	EXPECT_TRUE(t, log_contains(r.mark, line));
	EXPECT_TRUE(t, log_contains(r.mark, "task:lost-wakeup state:D cpu:"));
	EXPECT_TRUE(t, log_contains(r.mark, " wchan:waits_for_a_lost_wakeup+0x"));
	EXPECT_TRUE(t, log_contains(r.mark, "Call Trace:"));
	EXPECT_TRUE(t, log_contains(r.mark, "waiting in waits_for_a_lost_wakeup+0x"));
	EXPECT_TRUE(t, log_contains(r.mark, ": parked"));
	EXPECT_EQ(t, READ_ONCE(l.task->state), TASK_PARKED);

	/* the wake-up comes late: the parked thread stays where it is */
	release_sleeper = true;
	wake_up(&never_woken);
	EXPECT_FALSE(t, wake_up_process(l.task));
	msleep(20);
	EXPECT_FALSE(t, l.woke);
	EXPECT_EQ(t, READ_ONCE(l.task->state), TASK_PARKED);

	/* let it end, so the suite leaves no pages behind */
	EXPECT_TRUE(t, unpark_task(l.task));
	kthread_join(l.task);
	EXPECT_TRUE(t, l.woke);
}

struct spinner_state {
	struct task_struct *task;
	volatile unsigned long spins;
	volatile bool stop;
};

static __attribute__((noipa)) int spins_preemptibly(void *arg)
{
	struct spinner_state *s = arg;

	s->task = current;
	while (!s->stop)
		s->spins++;
	return 0;
}

/* A thread that spins (preemptibly) on this CPU past its limit: reported
 * where it was preempted, and parked: it gets no more CPU time. */
static void preempted_spinner_is_reported_where_it_spins_and_parked(struct ktest *t)
{
	static struct spinner_state s;
	struct ktest_child r;
	unsigned long spins;
	int cpu;

	s = (struct spinner_state){ 0 };
	migrate_disable();	/* the spinner shares our CPU: we preempt it */
	cpu = smp_processor_id();
	r = ktest_run_child_timeout(spins_preemptibly, &s, cpu, "spinner", 200);
	migrate_enable();
	ASSERT_TRUE(t, r.timed_out);
	ASSERT_PTR_NE(t, s.task, NULL);
	EXPECT_TRUE(t, log_contains(r.mark, "task:spinner state:R cpu:"));
	EXPECT_TRUE(t, log_contains(r.mark, " wchan:spins_preemptibly+0x"));
	/* the backtrace goes through the interrupt frame into the spinner
	 * (a trace entry: " name+off/size" after the timestamp's "] ") */
	EXPECT_TRUE(t, log_contains(r.mark, "]  spins_preemptibly+0x"));
	EXPECT_TRUE(t, log_contains(r.mark, "preempted on CPU"));
	EXPECT_TRUE(t, log_contains(r.mark, ": parked"));
	EXPECT_EQ(t, READ_ONCE(s.task->state), TASK_PARKED);
	spins = s.spins;
	ktest_wait_ticks(cpu, 8);	/* two time slices it would have had */
	EXPECT_EQ(t, s.spins, spins);

	s.stop = true;
	EXPECT_TRUE(t, unpark_task(s.task));
	kthread_join(s.task);
}

/*
 * The case watchdog itself: a case run as the runner runs it, with a
 * limit of its own, that waits forever is reported as failed with its
 * name and what it waits in, and the next case runs normally.
 */
static volatile bool release_case;

static __attribute__((noipa)) void case_that_never_ends(struct ktest *t)
{
	wait_event(never_woken, release_case);
}

static void case_that_passes(struct ktest *t)
{
	EXPECT_EQ(t, 1, 1);
}

static void hung_case_fails_with_a_report_and_the_run_goes_on(struct ktest *t)
{
	static const struct ktest_case cases[] = {
		{ "case_that_never_ends", case_that_never_ends, 300 },
		{ "case_that_passes", case_that_passes, 300 },
	};
	static const struct ktest_suite suite = { "watched", cases, NULL, true };
	struct ktest inner[2];
	struct task_struct *left[2];
	u64 mark = log_mark();

	release_case = false;
	for (int i = 0; i < 2; i++) {
		inner[i] = (struct ktest){ .name = cases[i].name, .status = KTEST_PASS };
		left[i] = ktest_run_case_watched(&suite, &cases[i], &inner[i]);
	}
	EXPECT_EQ(t, inner[0].status, KTEST_FAIL);
	EXPECT_TRUE(t, log_contains(mark, "# case_that_never_ends: timed out after 300 ms"));
	EXPECT_TRUE(t, log_contains(mark, "waiting in case_that_never_ends+0x"));
	EXPECT_TRUE(t, log_contains(mark, ": parked"));
	EXPECT_EQ(t, inner[1].status, KTEST_PASS);
	EXPECT_PTR_EQ(t, left[1], NULL);
	ASSERT_PTR_NE(t, left[0], NULL);
	EXPECT_EQ(t, READ_ONCE(left[0]->state), TASK_PARKED);

	/* let the parked case end: it frees what it was given */
	release_case = true;
	EXPECT_TRUE(t, unpark_task(left[0]));
	kthread_join(left[0]);
}

KTEST_SUITE(ktest_watchdog,
	KTEST_CASE(hung_child_is_reported_and_parked),
	KTEST_CASE(preempted_spinner_is_reported_where_it_spins_and_parked),
	KTEST_CASE(hung_case_fails_with_a_report_and_the_run_goes_on));
