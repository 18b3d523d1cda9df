# SPDX-License-Identifier: MIT
"""doccheck_selftest.py - doccheck.py on a tiny fake tree, fake docs and fake logs.

    python3 tests/harness/doccheck.py --selftest
    python3 tests/harness/doccheck_selftest.py

Every kind of problem doccheck looks for is planted once in a fake doc, next
to correct lines of the same kind; the test checks that each planted problem
is reported on its line, and nothing else is. LabsPages does the same for
a handout in labs/, whose quotes may also come from the labs' grade logs
(and a page of docs/ that quotes one of those is reported).
"""

import io
import os
import re
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import doccheck  # noqa: E402

FOO_C = """\
/* foo.c - a fake source file */
#include "foo.h"

int helper_one(int x)
{
	return x + 1;
}

static int other_thing(void)
{
	printk("foo: %d widgets ready\\n", 3);
	return 0;
}
"""

FOO_TEST_C = """\
static void foo_counts_every_widget(struct ktest *t)
{
}

static void foo_helper_not_a_case_at_all(struct ktest *t)
{
}

static void foo_counts_widgets_slowly(struct ktest *t)
{
}

KTEST_SUITE(foo,
	KTEST_CASE(foo_counts_every_widget),
	KTEST_CASE_TIMEOUT(foo_counts_widgets_slowly, 30));
"""

LOG_A = """\
[    0.001000] MemTotal:        4170356 kB
[    0.002000] kmap: 2057 calls, 5 hits, 6 pool wraps
[    0.003000] WARNING: CPU: 0 PID: 48 at mm/foo.c:11 other_thing+0x35/0x70
[    0.004000] foo: 3 widgets ready
[    0.005000]     # foo_counts_every_widget: 12 of 345 widgets counted
[    0.006000] note: worker[31] exited with preempt_count 1
"""

LOG_SMP4 = """\
[    0.001000] MemTotal:        4170360 kB
"""

# (doc line, None if it is correct, else what the report must say)
GUIDE = [
    ("# A guide", None),
    ("", None),
    ("```console", None),
    ("[    0.123456] MemTotal:        4170356 kB", None),
    ("...", None),
    ("WARNING: CPU: 0 PID: 7 at mm/foo.c:99 other_thing+0x1/0x2", None),
    ("[    0.2] kmap: 2057 calls, 5 hits, 7 pool wraps", "figures differ"),
    ("WARNING: CPU: 0 PID: 1 at mm/bar.c:1 nothing+0x1/0x2", "console line not in"),
    ("```", None),
    ("", None),
    ("A diagram that shows a real line and a wrong one:", None),
    ("", None),
    ("```", None),
    ("  widget ---> gadget", None),
    ("note: worker[12] exited with preempt_count 1", None),
    ("note: worker[12] exited with preempt_count 2", "figures differ"),
    ("```", None),
    ("", None),
    ("The pool counts it: `kmap: 2057 calls, 5 hits, 6 pool wraps`.", None),
    ("And it says `foo: 4 widgets ready`.", "figures differ"),
    ("Part of a line: `12 of 345 widgets counted`.", None),
    ("Part of a line, wrong: `12 of 346 widgets counted`.", "figures differ"),
    ("`helper_one()` (`mm/foo.c`) and `mm/foo.c: other_thing()`.", None),
    ("See `mm/foo.c:5 helper_one` and mm/foo.c:12 for the rest.", None),
    ("It ends at `mm/foo.c:20`.", "has only 13 lines"),
    ("The add is at mm/foo.c:11 helper_one.", "helper_one is at mm/foo.c:4-7"),
    ("Read `mm/nothere.c:3`.", "no such file"),
    ("Read `mm/foo.c: missing_fn()`.", "mm/foo.c defines no missing_fn()"),
    ("Both `helper_one()`/`missing_two()` in `mm/foo.c`.", "mm/foo.c defines no missing_two()"),
    ("Then `missing_three()` (`mm/foo.c`) runs.", "mm/foo.c defines no missing_three()"),
    ("The rule at Makefile:3: all is fine.", None),
    ("The rule at Makefile:1: test is not.", "test is at Makefile:3-4"),
    ("The header `mm/gone.h` says so.", "no such file or directory"),
    ("So does mm/gone2.h, in plain text.", "no such file or directory"),
    ("Test: `foo_counts_every_widget`, also `foo.foo_counts_every_widget`.", None),
    ("The `foo` suite `foo_counts_every_widget`; `test=foo`.", None),
    ("Test: `foo_counts_no_widget_at_all`.", "no such test case"),
    ("Test: `foo_helper_not_a_case_at_all`.", "no KTEST_CASE"),
    ("Test: `foo_counts_widgets_slowly`, a case with a limit of its own.", None),
    ("Test: `foo.foo_counts_every_gadget`.", "suite foo has no case"),
    ("The `bar` suite.", "no such test suite"),
    ("Boot with `test=foo,nosuch`.", "`nosuch`: no such test suite"),
    ("The message `foo: %d widgets ready` is printed once.", None),
    ("The message `foo: %d gadgets ready` is printed once.", "message format not in"),
    ("A [link](../README.md) and a [broken one](nothere.md).", "no such file or directory"),
    ("", None),
    ("<!-- varies -->", None),
    ("```", None),
    ("    # foo_counts_every_widget: 99 of 1000 widgets counted", None),
    ("```", None),
    ("", None),
    ("<!-- log: smp4 -->", None),
    ("```", None),
    ("MemTotal:        4170360 kB", None),
    ("```", None),
    ("", None),
    ("<!-- log: smp4 -->", None),
    ("```", None),
    ("MemTotal:        4170356 kB", "figures differ"),
    ("```", None),
    ("", None),
    ("<!-- log: smp9 -->", None),
    ("```", None),
    ("MemTotal:        4170356 kB", "names no log of the run: smp9"),
    ("```", None),
    ("", None),
    ("```c", None),
    ("int x = 0;	/* kmap: 1 calls, 5 hits, 6 pool wraps */", None),
    ("```", None),
    ("", None),
    ("Inline, with the numbers an example: <!-- varies --> `kmap: 1 calls, 2 hits, 3 pool wraps`.", None),
    ("", None),
]

README = [
    ("# fake", None),
    ("", None),
    ("`MemTotal:        4170000 kB`", "figures differ"),
    ("", None),
    ("The [guide](docs/guide.md).", None),
]


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def doc_text(lines):
    return "\n".join(l for l, _ in lines) + "\n"


def expected(rel, lines):
    return sorted((rel, i, want) for i, (_, want) in enumerate(lines, 1) if want)


class FakeTree(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="doccheck-")
        write(self.root, "mm/foo.c", FOO_C)
        write(self.root, "mm/foo.h", "int helper_one(int x);\n")
        write(self.root, "Makefile", "# fake\n\nall test:\n\techo ok\n")
        write(self.root, "tests/kernel/foo_test.c", FOO_TEST_C)
        write(self.root, "build/test-logs/a.log", LOG_A)
        write(self.root, "build/test-logs/smp4.log", LOG_SMP4)
        write(self.root, "docs/guide.md", doc_text(GUIDE))
        write(self.root, "README.md", doc_text(README))
        self.logs = os.path.join(self.root, "build", "test-logs")

    def tearDown(self):
        shutil.rmtree(self.root)

    def run_main(self, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = doccheck.main(["--root", self.root, "--logs", self.logs] + list(args))
        return rc, out.getvalue().splitlines()

    def test_every_planted_problem_is_reported_on_its_line_and_nothing_else(self):
        problems = doccheck.Checker(self.root, self.logs).run(doccheck.doc_files(self.root))
        want = expected("README.md", README) + expected("docs/guide.md", GUIDE)
        got = sorted(problems)
        for rel, line, text in want:
            hits = [m for r, l, m in got if (r, l) == (rel, line)]
            self.assertTrue(any(text in m for m in hits),
                            "%s:%d: expected a report saying %r, got %r" % (rel, line, text, hits))
        extra = [(r, l, m) for r, l, m in got if (r, l) not in {(a, b) for a, b, _ in want}]
        self.assertEqual(extra, [], "reports on correct lines")

    def test_output_format_and_exit_status(self):
        rc, out = self.run_main()
        self.assertEqual(rc, 1)
        self.assertRegex(out[0], r"^README\.md:3: figures differ")
        self.assertTrue(all(re.match(r"^[\w./-]+\.md:\d+: ", l) for l in out[:-1]))
        self.assertRegex(out[-1], r"^doccheck: \d+ problems in 2 docs")

    def test_a_clean_doc_passes(self):
        write(self.root, "docs/guide.md", doc_text([(l, w) for l, w in GUIDE if not w]))
        write(self.root, "README.md", "# fake\n\n`MemTotal:        4170356 kB`\n")
        rc, out = self.run_main()
        self.assertEqual(out[-1].split(" (")[0], "doccheck: clean in 2 docs")
        self.assertEqual(rc, 0)

    def test_no_logs_is_an_error_of_its_own(self):
        shutil.rmtree(self.logs)
        rc, out = self.run_main()
        self.assertEqual(rc, 2)
        self.assertIn("no *.log", out[0])


# The labs' logs, where lab_log_dirs() finds them under build/.
LAB_REF_LOG = """\
[    0.001000]     ok 1 foo_counts_every_widget
[    0.002000] foo: 3 widgets ready
"""

LAB_STUB_LOG = """\
[    0.001000] lab 9: count_widgets() is not written yet (mm/foo.c:5; the handout is labs/lab9.md)
[    0.002000] kernel BUG at kernel/lab.h:20!
"""

LABS_TEST_LOG = """\
$ python3 tests/harness/grade.py --lab 9 --expect zero
lab 9: Widgets
  foo.foo_counts_every_widget [smp4].... FAIL 0/5  lab 9: count_widgets() is not written yet
Score: 0/5
"""

HANDOUT = [
    ("# Lab 9: widgets", None),
    ("", None),
    ("Write `helper_one()` in `mm/foo.c`; the `foo` suite grades it:", None),
    ("`foo.foo_counts_every_widget`, and never `foo.foo_counts_no_widget`.", "suite foo has no case"),
    ("The grade is in labs/grade/lab9.py and labs/grade/lab8.py.", "no such file or directory"),
    ("Read [the tour](../docs/guide.md) and [lab 8](lab8.md).", "no such file or directory"),
    ("", None),
    ("The stub tree boots, and the case fails:", None),
    ("", None),
    ("```console", None),
    ("lab 9: count_widgets() is not written yet (mm/foo.c:5; the handout is labs/lab9.md)", None),
    ("...", None),
    ("  foo.foo_counts_every_widget [smp4].... FAIL 0/5  lab 9: count_widgets() is not written yet", None),
    ("Score: 0/5", None),
    ("Score: 5/6", "figures differ"),
    ("lab 9: count_widgets() is not written at all", "console line not in any log of the run or of the labs"),
    ("```", None),
    ("", None),
    ("<!-- log: lab9-smp4 -->", None),
    ("```console", None),
    ("    ok 1 foo_counts_every_widget", None),
    ("```", None),
    ("", None),
    ("<!-- log: labs-test/lab9/lab9-smp4 -->", None),
    ("```console", None),
    ("    ok 1 foo_counts_every_widget", "console line not in"),
    ("```", None),
    ("", None),
    ("And the matrix's own lines count too: `foo: 3 widgets ready`.", None),
]

# A page of docs/ may not quote what only the labs' logs printed.
GUIDE_LAB_QUOTE = [
    ("# A guide", None),
    ("", None),
    ("```console", None),
    ("Score: 0/5", "console line not in any log of the run"),
    ("```", None),
]


class LabsPages(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="doccheck-labs-")
        write(self.root, "mm/foo.c", FOO_C)
        write(self.root, "tests/kernel/foo_test.c", FOO_TEST_C)
        write(self.root, "labs/grade/lab9.py", "TITLE = 'Widgets'\n")
        write(self.root, "build/test-logs/a.log", LOG_A)
        write(self.root, "build/grade-logs/lab9-smp4.log", LAB_REF_LOG)
        write(self.root, "build/labs-test/lab9/build/grade-logs/lab9-smp4.log", LAB_STUB_LOG)
        write(self.root, "build/labs-test/labs-test.log", LABS_TEST_LOG)
        write(self.root, "build/labs-test/lab9/tests/harness/fixtures/x.log", "Score: 5/6\n")
        write(self.root, "labs/lab9.md", doc_text(HANDOUT))
        write(self.root, "docs/guide.md", doc_text(GUIDE_LAB_QUOTE))
        self.logs = os.path.join(self.root, "build", "test-logs")

    def tearDown(self):
        shutil.rmtree(self.root)

    def test_the_labs_logs_are_found_and_named(self):
        logs = doccheck.Logs(self.logs, doccheck.lab_log_dirs(os.path.join(self.root, "build")))
        self.assertEqual(logs.matrix, ["a"])
        self.assertEqual(sorted(logs.files), ["a", "grade-logs/lab9-smp4", "labs-test/lab9/lab9-smp4",
                                              "labs-test/labs-test"])
        self.assertEqual(logs.named("lab9-smp4"), ["grade-logs/lab9-smp4", "labs-test/lab9/lab9-smp4"])

    def test_labs_pages_are_checked_with_the_labs_logs_and_docs_without(self):
        self.assertEqual(doccheck.doc_files(self.root), ["docs/guide.md"])
        docs = doccheck.doc_files(self.root, labs=True)
        self.assertEqual(docs, ["docs/guide.md", "labs/lab9.md"])
        problems = doccheck.Checker(self.root, self.logs).run(docs)
        want = expected("labs/lab9.md", HANDOUT) + expected("docs/guide.md", GUIDE_LAB_QUOTE)
        for rel, line, text in want:
            hits = [m for r, l, m in problems if (r, l) == (rel, line)]
            self.assertTrue(any(text in m for m in hits),
                            "%s:%d: expected a report saying %r, got %r" % (rel, line, text, hits))
        extra = [p for p in problems if (p[0], p[1]) not in {(a, b) for a, b, _ in want}]
        self.assertEqual(extra, [], "reports on correct lines")

    def test_main_checks_the_labs_pages_by_default(self):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = doccheck.main(["--root", self.root, "--logs", self.logs])
        lines = out.getvalue().splitlines()
        self.assertEqual(rc, 1)
        self.assertTrue(any(l.startswith("labs/lab9.md:") for l in lines))
        self.assertRegex(lines[-1], r"in 2 docs .*; 1 logs and 3 of the labs\)$")


class Masking(unittest.TestCase):
    def test_run_to_run_noise_is_masked(self):
        a = "[   12.345678] WARNING: CPU: 0 PID: 51 at mm/kmap_local.c:230 kmap_local_exit_check+0x34/0x50"
        b = "WARNING: CPU: 0 PID: 9 at mm/kmap_local.c:999 kmap_local_exit_check+0x1/0x2"
        self.assertEqual(doccheck.mask_noise(a), doccheck.mask_noise(b))
        self.assertEqual(doccheck.mask_noise("CPU: 0 PID: 5 Comm: x Tainted: G    B D W          kmaplab"),
                         doccheck.mask_noise("CPU: 0 PID: 6 Comm: x Not tainted kmaplab"))
        self.assertEqual(doccheck.mask_noise("lock: c0144ab0, .owner: owner/146, [#3]"),
                         doccheck.mask_noise("lock: c0150000, .owner: owner/7, [#1]"))

    def test_decimal_figures_are_not_masked(self):
        self.assertNotEqual(doccheck.mask_noise("LowTotal:         893684 kB"),
                            doccheck.mask_noise("LowTotal:         893688 kB"))
        self.assertNotEqual(doccheck.mask_noise("mem_map: 16252928 struct pages"),
                            doccheck.mask_noise("mem_map: 16252929 struct pages"))


if __name__ == "__main__":
    unittest.main()
