/* SPDX-License-Identifier: MIT */
/*
 * ktest.h - the in-kernel test framework (in the spirit of Linux's KUnit).
 *
 * A suite is a list of cases; each case checks one property:
 *
 *   static void maps_page_zero_never(struct ktest *t)
 *   {
 *           EXPECT_FALSE(t, pte_present(*lookup_kernel_pte(0xC0000000)));
 *   }
 *   KTEST_SUITE(paging, KTEST_CASE(maps_page_zero_never));
 *
 * EXPECT_* records a failure (file:line and both values) and goes on;
 * ASSERT_* records it and ends the case. KTEST_SKIP ends it as skipped.
 * Results are printed as KTAP version 1 on the console.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "kernel/setjmp.h"

enum ktest_status { KTEST_PASS, KTEST_FAIL, KTEST_SKIPPED };

struct ktest {
	const char *name;		/* the running case */
	enum ktest_status status;
	char skip_reason[96];
	jmp_buf bail;			/* where ASSERT/SKIP return to */
	void *priv;			/* free for the suite's init */
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
	/* the watchdog's limit; 0: the default, ktest.timeout= (ktest_watchdog.c) */
	unsigned int timeout_ms;
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	/* optional: runs before each case; returns false to skip the suite */
	bool (*init)(struct ktest *t);
	/* long suites: run only when test= names them, not for test=all */
	bool explicit_only;
};

#define KTEST_CASE(fn) { #fn, fn, 0 }
/* A case known to run long (sweeps over all memory): its own limit. */
#define KTEST_CASE_TIMEOUT(fn, seconds) { #fn, fn, (seconds) * 1000 }
#define __KTEST_SUITE(sname, initfn, expl, ...)				\
	static const struct ktest_case __ktest_cases_##sname[] = {	\
		__VA_ARGS__, { NULL, NULL, 0 } };			\
	static const struct ktest_suite __ktest_suite_##sname		\
	__used __section(".ktest_suites") __aligned(4) =		\
		{ #sname, __ktest_cases_##sname, initfn, expl }
#define KTEST_SUITE_INIT(sname, initfn, ...) __KTEST_SUITE(sname, initfn, false, __VA_ARGS__)
#define KTEST_SUITE(sname, ...) __KTEST_SUITE(sname, NULL, false, __VA_ARGS__)
#define KTEST_SUITE_EXPLICIT(sname, ...) __KTEST_SUITE(sname, NULL, true, __VA_ARGS__)

__printf(4, 5) void ktest_fail(struct ktest *t, const char *file, int line,
			       const char *fmt, ...);
__noreturn void ktest_bail(struct ktest *t);
__noreturn __printf(2, 3) void ktest_skip(struct ktest *t, const char *fmt, ...);
__printf(2, 3) void ktest_log(struct ktest *t, const char *fmt, ...);

/*
 * Announce a report the case is about to provoke, before provoking it:
 *
 *   ktest_expect(t, "kernel BUG at mm/highmem.c");
 *
 * prints the KTAP diagnostic "    # expected: kernel BUG at mm/highmem.c".
 * From then to the end of the case, every report line (one naming "BUG:",
 * "WARNING:", "Oops", "kernel BUG at", "general protection fault" or
 * "scheduling while atomic") that contains the text is expected: the
 * console shows such a report by its headline only (the whole report
 * stays in the log ring for log_contains()), and the test harness does
 * not count it against the run. A report with two such lines (a "BUG:"
 * line, then "kernel BUG at") needs both covered. Any report line no
 * announcement covers fails the run in the harness.
 */
void ktest_expect(struct ktest *t, const char *text);

#define KTEST_SKIP(t, ...)	ktest_skip(t, __VA_ARGS__)
#define KTEST_LOG(t, ...)	ktest_log(t, __VA_ARGS__)

#define __KTEST_CMP(t, bail, a, op, b, kind) do {			\
	u64 __a = (u64)(a), __b = (u64)(b);				\
	if (!(__a op __b)) {						\
		ktest_fail(t, __FILE__, __LINE__,			\
			   kind " failed: %s " #op " %s\n"		\
			   "    # %s: left 0x%llx (%lld), right 0x%llx (%lld)", \
			   #a, #b, (t)->name, __a, (long long)__a, __b, (long long)__b); \
		if (bail)						\
			ktest_bail(t);					\
	}								\
} while (0)

#define __KTEST_BOOL(t, bail, c, want, kind) do {			\
	if ((bool)(c) != (bool)(want)) {						\
		ktest_fail(t, __FILE__, __LINE__, kind " failed: %s is %s", \
			   #c, (want) ? "false" : "true");		\
		if (bail)						\
			ktest_bail(t);					\
	}								\
} while (0)

#define EXPECT_EQ(t, a, b)	__KTEST_CMP(t, 0, a, ==, b, "EXPECT_EQ")
#define EXPECT_NE(t, a, b)	__KTEST_CMP(t, 0, a, !=, b, "EXPECT_NE")
#define EXPECT_LT(t, a, b)	__KTEST_CMP(t, 0, a, <, b, "EXPECT_LT")
#define EXPECT_LE(t, a, b)	__KTEST_CMP(t, 0, a, <=, b, "EXPECT_LE")
#define EXPECT_GT(t, a, b)	__KTEST_CMP(t, 0, a, >, b, "EXPECT_GT")
#define EXPECT_GE(t, a, b)	__KTEST_CMP(t, 0, a, >=, b, "EXPECT_GE")
#define EXPECT_TRUE(t, c)	__KTEST_BOOL(t, 0, c, true, "EXPECT_TRUE")
#define EXPECT_FALSE(t, c)	__KTEST_BOOL(t, 0, c, false, "EXPECT_FALSE")
#define EXPECT_PTR_EQ(t, a, b)	EXPECT_EQ(t, (uintptr_t)(a), (uintptr_t)(b))
#define EXPECT_PTR_NE(t, a, b)	EXPECT_NE(t, (uintptr_t)(a), (uintptr_t)(b))
#define ASSERT_EQ(t, a, b)	__KTEST_CMP(t, 1, a, ==, b, "ASSERT_EQ")
#define ASSERT_NE(t, a, b)	__KTEST_CMP(t, 1, a, !=, b, "ASSERT_NE")
#define ASSERT_LT(t, a, b)	__KTEST_CMP(t, 1, a, <, b, "ASSERT_LT")
#define ASSERT_LE(t, a, b)	__KTEST_CMP(t, 1, a, <=, b, "ASSERT_LE")
#define ASSERT_GT(t, a, b)	__KTEST_CMP(t, 1, a, >, b, "ASSERT_GT")
#define ASSERT_GE(t, a, b)	__KTEST_CMP(t, 1, a, >=, b, "ASSERT_GE")
#define ASSERT_TRUE(t, c)	__KTEST_BOOL(t, 1, c, true, "ASSERT_TRUE")
#define ASSERT_FALSE(t, c)	__KTEST_BOOL(t, 1, c, false, "ASSERT_FALSE")
#define ASSERT_PTR_EQ(t, a, b)	ASSERT_EQ(t, (uintptr_t)(a), (uintptr_t)(b))
#define ASSERT_PTR_NE(t, a, b)	ASSERT_NE(t, (uintptr_t)(a), (uintptr_t)(b))
#define EXPECT_STREQ(t, a, b) do {					\
	const char *__sa = (a), *__sb = (b);				\
	if (strcmp(__sa, __sb))						\
		ktest_fail(t, __FILE__, __LINE__,			\
			   "EXPECT_STREQ failed: %s == %s (\"%s\" vs \"%s\")", \
			   #a, #b, __sa, __sb);				\
} while (0)

/*
 * Run fn(arg) in a child kernel thread (on 'cpu', or anywhere if -1), wait
 * for it to end, and say how: misuse tests run the misuse there, so the
 * oops kills the child and not the test. 'mark' lets the caller search
 * what the child printed with log_contains(res.mark, "BUG: ...").
 */
struct ktest_child {
	int exit_code;
	bool oopsed;
	bool timed_out;		/* ktest_run_child_timeout(): reported, parked */
	u64 mark;
	int pid;		/* the child's, to look for "comm[pid]" */
};
struct ktest_child ktest_run_child(int (*fn)(void *), void *arg, int cpu,
				   const char *name);

/*
 * The test= rules, for ktest.c and its own tests:
 *   ktest_filter_valid()    every word is "all", a suite or suite.case
 *                           (or the whole value is "none"); say_why prints
 *                           "kmaplab: unknown test suite '...'; suites: ..."
 *   ktest_filter_selects()  does the value select case c of suite s
 *                           (any case of s, if c is NULL)?
 */
bool ktest_filter_valid(const char *filter, bool say_why);
bool ktest_filter_selects(const char *filter, const struct ktest_suite *s,
			  const struct ktest_case *c);

/*
 * Bounded waits (kernel/ktest_watchdog.c). A thread that has not ended
 * after 'ms' is reported as the case watchdog reports a hung case (its
 * state, wait channel and backtrace) and parked (park_task()): it never
 * runs again, so it cannot touch what the test goes on to do; whatever it
 * holds stays held. ktest_join_timeout() also fails the case, naming the
 * thread; both return/say whether the thread ended in time.
 */
struct ktest_child ktest_run_child_timeout(int (*fn)(void *), void *arg, int cpu,
					   const char *name, unsigned int ms);
struct task_struct;
bool ktest_join_timeout(struct ktest *t, struct task_struct *p, unsigned int ms);

/* Pages the runner holds for cases now running (or parked): each case's
 * context lives in a page of its own (kernel/ktest_watchdog.c). */
unsigned long ktest_case_pages(void);

/* Run the suites named by test= (all, none, or a comma list). Returns the
 * number of failed cases. Once the scheduler runs, each case runs in a
 * kernel thread of its own (as KUnit does), so an ASSERT or an oops ends
 * only that case, and under a time limit (ktest_watchdog.c), so a hang
 * does too. */
int ktest_run(void);
/* The same with another test= value (checked by the caller with
 * ktest_filter_valid()); test= itself is left as it was. */
int ktest_run_filter(const char *filter);

#endif
