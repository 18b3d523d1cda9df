/* SPDX-License-Identifier: MIT */
/*
 * ktest_filter_test.c - the test runner's own rules: which cases a test= value
 * selects, and which values it refuses (kernel/ktest.c).
 *
 * The selection cases use suites of their own, never registered (so
 * never run): one ordinary, one explicit-only, and one whose name begins
 * like the first, to check that names match whole. The validity cases
 * use the real suites, quietly (say_why false): a boot that printed
 * "unknown test suite" would look like a typo on the command line.
 */
#include "kernel/ktest.h"

static void noop(struct ktest *t) {}

static const struct ktest_case sel_cases[] = {
	{ "one", noop, 0 }, { "two", noop, 0 }, { NULL, NULL, 0 } };
static const struct ktest_suite sel = { "sel", sel_cases, NULL, false };
static const struct ktest_suite sel_long = { "sel_long", sel_cases, NULL, false };
static const struct ktest_suite sel_explicit = { "selx", sel_cases, NULL, true };

#define ONE	(&sel_cases[0])
#define TWO	(&sel_cases[1])

static void all_selects_every_suite_but_the_explicit_ones(struct ktest *t)
{
	EXPECT_TRUE(t, ktest_filter_selects("all", &sel, NULL));
	EXPECT_TRUE(t, ktest_filter_selects("all", &sel, TWO));
	EXPECT_FALSE(t, ktest_filter_selects("all", &sel_explicit, NULL));
	EXPECT_FALSE(t, ktest_filter_selects("none", &sel, ONE));
}

static void a_suite_name_selects_all_its_cases(struct ktest *t)
{
	EXPECT_TRUE(t, ktest_filter_selects("sel", &sel, ONE));
	EXPECT_TRUE(t, ktest_filter_selects("sel", &sel, TWO));
	EXPECT_TRUE(t, ktest_filter_selects("selx", &sel_explicit, ONE));
	/* whole names only: "sel" is not "sel_long", nor the reverse */
	EXPECT_FALSE(t, ktest_filter_selects("sel", &sel_long, ONE));
	EXPECT_FALSE(t, ktest_filter_selects("sel_long", &sel, ONE));
	EXPECT_FALSE(t, ktest_filter_selects("se", &sel, ONE));
}

static void suite_dot_case_selects_that_case_only(struct ktest *t)
{
	EXPECT_TRUE(t, ktest_filter_selects("sel.two", &sel, NULL));	/* the suite runs */
	EXPECT_TRUE(t, ktest_filter_selects("sel.two", &sel, TWO));
	EXPECT_FALSE(t, ktest_filter_selects("sel.two", &sel, ONE));
	EXPECT_FALSE(t, ktest_filter_selects("sel.tw", &sel, TWO));
	EXPECT_FALSE(t, ktest_filter_selects("sel.two", &sel_long, TWO));
	EXPECT_TRUE(t, ktest_filter_selects("selx.one", &sel_explicit, ONE));
}

static void comma_lists_mix_suites_and_cases(struct ktest *t)
{
	const char *f = "sel_long,sel.one,selx.two";

	EXPECT_TRUE(t, ktest_filter_selects(f, &sel_long, ONE));
	EXPECT_TRUE(t, ktest_filter_selects(f, &sel_long, TWO));
	EXPECT_TRUE(t, ktest_filter_selects(f, &sel, ONE));
	EXPECT_FALSE(t, ktest_filter_selects(f, &sel, TWO));
	EXPECT_FALSE(t, ktest_filter_selects(f, &sel_explicit, ONE));
	EXPECT_TRUE(t, ktest_filter_selects(f, &sel_explicit, TWO));
	EXPECT_TRUE(t, ktest_filter_selects("all,selx", &sel_explicit, ONE));
}

static void unknown_suites_and_cases_are_refused(struct ktest *t)
{
	EXPECT_TRUE(t, ktest_filter_valid("all", false));
	EXPECT_TRUE(t, ktest_filter_valid("none", false));
	EXPECT_TRUE(t, ktest_filter_valid("kmap_local", false));
	EXPECT_TRUE(t, ktest_filter_valid("kmap,ktest_filter.unknown_suites_and_cases_are_refused", false));
	EXPECT_FALSE(t, ktest_filter_valid("kmap_locl", false));
	EXPECT_FALSE(t, ktest_filter_valid("kmap,kmap_locl", false));
	EXPECT_FALSE(t, ktest_filter_valid("kmap.no_such_case", false));
	EXPECT_FALSE(t, ktest_filter_valid("kmap,,kmap_local", false));
	EXPECT_FALSE(t, ktest_filter_valid("kmap.", false));
	EXPECT_FALSE(t, ktest_filter_valid("all,none", false));
}

KTEST_SUITE(ktest_filter,
	KTEST_CASE(all_selects_every_suite_but_the_explicit_ones),
	KTEST_CASE(a_suite_name_selects_all_its_cases),
	KTEST_CASE(suite_dot_case_selects_that_case_only),
	KTEST_CASE(comma_lists_mix_suites_and_cases),
	KTEST_CASE(unknown_suites_and_cases_are_refused));
