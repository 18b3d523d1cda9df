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
 */
#include "kernel/ktest.h"
#include "kernel/ktest_internal.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/sched_internal.h"

extern const struct ktest_suite __start_ktest_suites[], __stop_ktest_suites[];

static char test_filter[128] = "all";

static bool set_test_filter(const char *v)
{
	if (!v || !*v)
		return false;
	strlcpy(test_filter, v, sizeof(test_filter));
	return true;
}
early_param("test", set_test_filter);

static bool suite_selected(const struct ktest_suite *s)
{
	if (!strcmp(test_filter, "all"))
		return !s->explicit_only;
	return name_in_list(test_filter, s->name);
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

struct ktest_child ktest_run_child(int (*fn)(void *), void *arg, int cpu,
				   const char *name)
{
	struct ktest_child res = { .mark = log_mark() };
	struct task_struct *p = kthread_create_on_cpu(fn, arg, cpu, name);

	if (!p) {
		res.exit_code = -12;
		return res;
	}
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

int ktest_run(void)
{
	const struct ktest_suite *s;
	int nsuites = 0, idx = 0, pass = 0, fail = 0, skip = 0;
	static struct ktest t;

	if (!strcmp(test_filter, "none"))
		return 0;
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		if (suite_selected(s))
			nsuites++;

	printk(KERN_INFO "KTAP version 1\n");
	printk(KERN_INFO "1..%d\n", nsuites);
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++) {
		int n = 0, sp = 0, sf = 0, ss = 0;

		if (!suite_selected(s))
			continue;
		for (const struct ktest_case *c = s->cases; c->name; c++)
			n++;
		printk(KERN_INFO "    KTAP version 1\n");
		printk(KERN_INFO "    # Subtest: %s\n", s->name);
		printk(KERN_INFO "    1..%d\n", n);
		ktest_free_pages_census("before", s->name);
		for (int i = 0; i < n; i++) {
			const struct ktest_case *c = &s->cases[i];

			run_case(s, c, &t);
			switch (t.status) {
			case KTEST_PASS:
				printk(KERN_INFO "    ok %d %s\n", i + 1, c->name);
				sp++;
				break;
			case KTEST_SKIPPED:
				printk(KERN_INFO "    ok %d %s # SKIP %s\n", i + 1, c->name, t.skip_reason);
				ss++;
				break;
			default:
				printk(KERN_INFO "    not ok %d %s\n", i + 1, c->name);
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
