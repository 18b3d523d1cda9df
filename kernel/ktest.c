/* SPDX-License-Identifier: MIT */
/*
 * ktest.c - run the registered test suites and print KTAP version 1.
 *
 *   KTAP version 1
 *   1..2
 *       KTAP version 1
 *       # Subtest: paging
 *       1..3
 *       ok 1 maps_page_zero_never
 *       ...
 *   ok 1 paging
 *   # Totals: pass:5 fail:0 skip:1 total:6
 *
 * Suites are found through the .ktest_suites linker section, so adding a
 * test file to tests/kernel/ is all it takes to run it.
 *
 * What runs is chosen by test= on the command line:
 *
 *   test=all                    every suite but the explicit-only ones
 *   test=kmap,kmap_local.LIST   whole suites and single cases, mixed
 *   test=list                   print every suite.case, then power off
 *   test=none                   no tests at all
 *
 * Rules enforced here: a name that matches no suite or case is an error
 * named on the console, and the machine stops with a failure status (a
 * typo must never look like a run of zero passing tests); a value too long
 * for the buffer is reported, never cut short; the plans count only the
 * cases that run. Tests that provoke a report announce it first
 * (ktest_expect()); the announcements end with the case.
 */
#include "kernel/ktest.h"
#include "kernel/ktest_internal.h"
#include "kernel/cmdline.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/sched_internal.h"

extern const struct ktest_suite __start_ktest_suites[], __stop_ktest_suites[];

#define for_each_suite(s) \
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++)

/* Room for a dozen suite.case names; longer is an error, not a cut. */
static char test_filter[512] = "all";

/* One comma-separated word of test=: [w, w + n). */
static bool word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && !strncmp(w, name, n);
}

static const struct ktest_suite *find_suite(const char *w, size_t n)
{
	const struct ktest_suite *s;

	for_each_suite(s)
		if (word_is(w, n, s->name))
			return s;
	return NULL;
}

static const struct ktest_case *find_case(const struct ktest_suite *s,
					  const char *w, size_t n)
{
	for (const struct ktest_case *c = s->cases; c->name; c++)
		if (word_is(w, n, c->name))
			return c;
	return NULL;
}

/* Call fn on each word of the list; stop at the first that returns false. */
static bool for_each_word(const char *list,
			  bool (*fn)(const char *w, size_t n, void *arg), void *arg)
{
	for (;;) {
		const char *e = strchr(list, ',');
		size_t n = e ? (size_t)(e - list) : strlen(list);

		if (!fn(list, n, arg))
			return false;
		if (!e)
			return true;
		list = e + 1;
	}
}

static void print_suite_names(void)
{
	const struct ktest_suite *s;

	for_each_suite(s)
		printk(KERN_CONT "%s%s", s == __start_ktest_suites ? "" : ", ", s->name);
	printk(KERN_CONT "\n");
}

/* Is the word "all", a suite, or suite.case? If not, and *say_why, say
 * so on the console. */
static bool check_word(const char *w, size_t n, void *say_why)
{
	const struct ktest_suite *s;
	const char *dot = NULL;
	bool say = *(bool *)say_why;

	for (size_t i = 0; i < n && !dot; i++)
		if (w[i] == '.')
			dot = w + i;

	if (word_is(w, n, "all"))
		return true;
	if (!n) {
		if (say) {
			printk(KERN_ERR "kmaplab: empty name in test='%s'; suites: ", test_filter);
			print_suite_names();
		}
		return false;
	}
	s = find_suite(w, dot ? (size_t)(dot - w) : n);
	if (!s) {
		if (!say)
			return false;
		printk(KERN_ERR "kmaplab: unknown test suite '%.*s'; suites: ",
		       (int)(dot ? dot - w : (int)n), w);
		print_suite_names();
		return false;
	}
	if (dot && !find_case(s, dot + 1, n - (dot + 1 - w))) {
		if (!say)
			return false;
		printk(KERN_ERR "kmaplab: unknown test case '%.*s' in suite %s; its cases: ",
		       (int)n, w, s->name);
		for (const struct ktest_case *c = s->cases; c->name; c++)
			printk(KERN_CONT "%s%s", c == s->cases ? "" : ", ", c->name);
		printk(KERN_CONT "\n");
		return false;
	}
	return true;
}

bool ktest_filter_valid(const char *filter, bool say_why)
{
	return !strcmp(filter, "none") || for_each_word(filter, check_word, &say_why);
}

/* test=list: one "suite.case" a line, so any line can be pasted back. */
static void list_tests(void)
{
	const struct ktest_suite *s;
	int nsuites = 0, ncases = 0;

	printk(KERN_INFO "kmaplab: test suites and their cases (test=SUITE or test=SUITE.CASE, comma-separated):\n");
	for_each_suite(s) {
		nsuites++;
		if (s->explicit_only)
			printk(KERN_INFO "# %s: not part of test=all; runs when named\n", s->name);
		for (const struct ktest_case *c = s->cases; c->name; c++, ncases++)
			printk(KERN_INFO "%s.%s\n", s->name, c->name);
	}
	printk(KERN_INFO "kmaplab: %d suites, %d cases\n", nsuites, ncases);
}

/*
 * test=VALUE. Checked here, while the command line is parsed, so a typo
 * stops the boot at once: the error names the word and what exists, and
 * QEMU exits with the failure status (3) whether or not "poweroff" was
 * given. test=list prints the list and exits with the success status.
 */
static bool set_test_filter(const char *v)
{
	if (!v || !*v)
		return false;
	if (strlen(v) >= sizeof(test_filter)) {
		printk(KERN_ERR "kmaplab: test= is %u characters long; at most %u fit\n",
		       (unsigned)strlen(v), (unsigned)sizeof(test_filter) - 1);
		machine_halt(EXIT_FAIL);
	}
	strlcpy(test_filter, v, sizeof(test_filter));
	if (!strcmp(test_filter, "list")) {
		list_tests();
		machine_halt(EXIT_PASS);
	}
	if (!ktest_filter_valid(test_filter, true))
		machine_halt(EXIT_FAIL);
	return true;
}
early_param("test", set_test_filter);

/* The monitor's "run SUITE[.CASE]": the same runner, another filter. */
int ktest_run_filter(const char *filter)
{
	char saved[sizeof(test_filter)];
	int failed;

	strlcpy(saved, test_filter, sizeof(saved));
	strlcpy(test_filter, filter, sizeof(test_filter));
	failed = ktest_run();
	strlcpy(test_filter, saved, sizeof(test_filter));
	return failed;
}

struct select_query {
	const struct ktest_suite *s;
	const struct ktest_case *c;	/* NULL: any case of s */
	bool hit;
};

static bool match_word(const char *w, size_t n, void *arg)
{
	struct select_query *q = arg;
	size_t sn = strlen(q->s->name);
	bool hit;

	if (word_is(w, n, "all"))
		hit = !q->s->explicit_only;
	else if (n < sn || strncmp(w, q->s->name, sn))
		hit = false;
	else if (n == sn)
		hit = true;				/* the whole suite */
	else
		hit = w[sn] == '.' && (!q->c || word_is(w + sn + 1, n - sn - 1, q->c->name));
	q->hit = hit;
	return !hit;		/* stop at the first word that selects */
}

bool ktest_filter_selects(const char *filter, const struct ktest_suite *s,
			  const struct ktest_case *c)
{
	struct select_query q = { s, c, false };

	if (!strcmp(filter, "none"))
		return false;
	for_each_word(filter, match_word, &q);
	return q.hit;
}

/* Does test= select case c of suite s (any case, if c is NULL)? */
static bool selected(const struct ktest_suite *s, const struct ktest_case *c)
{
	return ktest_filter_selects(test_filter, s, c);
}

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->status = KTEST_FAIL;
	printk(KERN_ERR "    # %s: %s:%d: %s\n", t->name, file, line, msg);
}

#define KTEST_EXIT_BAILED 0x6b74	/* a case thread ended by ASSERT/SKIP */

void ktest_bail(struct ktest *t)
{
	if (scheduler_running && current->pid != 0)
		do_exit(KTEST_EXIT_BAILED);
	longjmp(t->bail, 1);
}

void ktest_skip(struct ktest *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
	va_end(ap);
	if (t->status != KTEST_FAIL)
		t->status = KTEST_SKIPPED;
	ktest_bail(t);
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_INFO "    # %s: %s\n", t->name, msg);
}

void ktest_expect(struct ktest *t, const char *text)
{
	if (!report_expect(text))
		ktest_fail(t, __FILE__, __LINE__,
			   "could not announce \"%s\" (empty, too long, or too many in one case)",
			   text);
}

struct ktest_child ktest_run_child(int (*fn)(void *), void *arg, int cpu,
				   const char *name)
{
	struct ktest_child res = { .mark = log_mark() };
	struct task_struct *p = kthread_create_on_cpu(fn, arg, cpu, name);

	if (!p) {
		res.exit_code = -12;
		return res;
	}
	res.pid = p->pid;
	wake_up_process(p);
	res.oopsed = false;
	res.exit_code = kthread_join_oopsed(p, &res.oopsed);
	return res;
}

static void run_case(const struct ktest_suite *s, const struct ktest_case *c,
		     struct ktest *t)
{
	memset(t, 0, sizeof(*t));
	t->name = c->name;
	t->status = KTEST_PASS;
	if (scheduler_running && current->pid != 0) {
		ktest_run_case_watched(s, c, t);	/* in a thread, time-limited */
		return;
	}
	if (setjmp(t->bail) == 0) {
		if (s->init && !s->init(t))
			ktest_skip(t, "suite init declined");
		c->run(t);
	}
}

/*
 * Say once, before the first case, how expected reports are shown: a test
 * that provokes a BUG or a WARNING announces it ("# expected: ..."), and
 * the console then shows only the report's headline (kernel/report.c).
 */
static void print_report_hint(void)
{
	if (report_verbose)
		printk(KERN_INFO "# expected reports print in full (ktest.verbose=1)\n");
	else
		printk(KERN_INFO "# expected reports show their first line; ktest.verbose=1 prints them whole\n");
}

int ktest_run(void)
{
	const struct ktest_suite *s;
	int nsuites = 0, idx = 0, pass = 0, fail = 0, skip = 0;
	static struct ktest t;

	if (!strcmp(test_filter, "none"))
		return 0;
	for_each_suite(s)
		if (selected(s, NULL))
			nsuites++;

	printk(KERN_INFO "KTAP version 1\n");
	printk(KERN_INFO "1..%d\n", nsuites);
	print_report_hint();
	for_each_suite(s) {
		int n = 0, num = 0, sp = 0, sf = 0, ss = 0;

		if (!selected(s, NULL))
			continue;
		for (const struct ktest_case *c = s->cases; c->name; c++)
			if (selected(s, c))
				n++;
		printk(KERN_INFO "    KTAP version 1\n");
		printk(KERN_INFO "    # Subtest: %s\n", s->name);
		printk(KERN_INFO "    1..%d\n", n);
		ktest_free_pages_census("before", s->name);
		for (const struct ktest_case *c = s->cases; c->name; c++) {
			if (!selected(s, c))
				continue;
			num++;
			run_case(s, c, &t);
			/* the case is over: so are its announcements */
			report_expect_clear();
			switch (t.status) {
			case KTEST_PASS:
				printk(KERN_INFO "    ok %d %s\n", num, c->name);
				sp++;
				break;
			case KTEST_SKIPPED:
				printk(KERN_INFO "    ok %d %s # SKIP %s\n", num, c->name, t.skip_reason);
				ss++;
				break;
			default:
				printk(KERN_INFO "    not ok %d %s\n", num, c->name);
				sf++;
			}
		}
		ktest_free_pages_census("after", s->name);
		printk(KERN_INFO "# %s: pass:%d fail:%d skip:%d total:%d\n", s->name, sp, sf, ss, n);
		printk(KERN_INFO "%s %d %s\n", sf ? "not ok" : "ok", ++idx, s->name);
		pass += sp;
		fail += sf;
		skip += ss;
	}
	printk(KERN_INFO "# Totals: pass:%d fail:%d skip:%d total:%d\n", pass, fail, skip,
	       pass + fail + skip);
	return fail;
}
