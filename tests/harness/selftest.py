# SPDX-License-Identifier: MIT
"""selftest.py - tests for the test harness, no kernel needed.

    python3 tests/harness/matrix.py --selftest
    python3 -m unittest discover -s tests/harness -p selftest.py

The KTAP reader and the judging run on canned consoles in fixtures/; the
runner (streaming, timeouts, process-group kill, exit statuses, logs) runs
against fixtures/fake_qemu.py, which replays a canned console and exits
with a chosen status, or hangs.
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
sys.path.insert(0, HERE)
import ktap  # noqa: E402
import matrix  # noqa: E402


def fixture_lines(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read().splitlines(keepends=True)


def parse(name):
    return ktap.parse_lines(fixture_lines(name))


def cfg(**kw):
    kw.setdefault("name", "t")
    kw.setdefault("mem", "64M")
    return matrix.normalise(kw)


def boot(config, fixture, status=1, timed_out=False, error=None):
    """Judge a canned console (a fixture name or a list of lines) as if QEMU
    had printed it and exited with status."""
    console = matrix.Console(config)
    lines = fixture if isinstance(fixture, list) else fixture_lines(fixture)
    for line in lines:
        console.feed(line)
    console.finish()
    outcome = matrix.Outcome()
    outcome.status = None if timed_out else status
    outcome.timed_out = timed_out
    outcome.error = error
    outcome.elapsed = 60.0 if timed_out else 0.1
    outcome.timeout = 60
    return matrix.judge(config, console, outcome)


def by_outcome(results):
    out = {"pass": [], "fail": [], "skip": []}
    for r in results:
        out[r.outcome].append(r.name)
    return out


def result(results, name):
    [r] = [r for r in results if r.name == name]
    return r


class CleanLine(unittest.TestCase):
    def test_timestamp_and_cr(self):
        self.assertEqual(ktap.clean_line(b"[    0.123456]     ok 1 foo\r\n"), "    ok 1 foo")
        self.assertEqual(ktap.clean_line("[12345.000001] KTAP version 1\n"), "KTAP version 1")

    def test_only_leading_timestamp(self):
        self.assertEqual(ktap.clean_line("[ 0.1] a [ 0.2] b"), "a [ 0.2] b")
        self.assertEqual(ktap.clean_line("x [    0.1] y"), "x [    0.1] y")

    def test_no_timestamp(self):
        self.assertEqual(ktap.clean_line("kmaplab: needs PAE\n"), "kmaplab: needs PAE")

    def test_grub_escapes(self):
        raw = b"\x1b[H\x1b[J\x1b[1;1H  Booting `kmaplab'\n"
        self.assertEqual(ktap.clean_line(raw), "  Booting `kmaplab'")
        self.assertEqual(ktap.clean_line(b"\r[    0.005311] kmaplab: hi\r\n"), "kmaplab: hi")

    def test_bad_utf8(self):
        self.assertEqual(ktap.clean_line(b"ok 1 caf\xe9\n"), "ok 1 caf\ufffd")


class Parser(unittest.TestCase):
    def test_all_pass(self):
        p = parse("ktap_pass.log")
        self.assertTrue(p.started)
        self.assertEqual(p.plan, 3)
        self.assertEqual([s.name for s in p.suites], ["memmap", "empty", "kmap"])
        memmap, empty, kmap = p.suites
        self.assertEqual(memmap.plan, 3)
        self.assertEqual([c.name for c in memmap.children],
                         ["parses_all_entries", "zone_bounds", "holes_reserved"])
        self.assertEqual(memmap.children[1].directive, "SKIP")
        self.assertEqual(memmap.children[1].reason, "needs -m 4G or more")
        self.assertEqual(ktap.tally(memmap), (2, 0, 1, []))
        self.assertEqual((empty.plan, empty.children, empty.ok), (0, [], True))
        self.assertTrue(all(s.ok and not s.missing for s in p.suites))
        self.assertEqual(p.problems, [])

    def test_failure_diagnostics(self):
        p = parse("ktap_fail.log")
        memmap, kmap_local = p.suites
        self.assertFalse(memmap.ok)
        bad = memmap.children[1]
        self.assertEqual((bad.name, bad.ok), ("maps_above_4g", False))
        self.assertEqual(bad.diags, [
            "maps_above_4g: EXPECT_EQ failed at mm/memblock_test.c:42",
            "maps_above_4g: expected max_pfn == 0x140000, got 0x100000"])
        self.assertEqual(memmap.children[2].diags, [])
        # The WARNING splat is log; its announcement is the case's diagnostic.
        self.assertEqual(kmap_local.children[1].diags, ["expected: WARNING: CPU:"])
        self.assertEqual(kmap_local.children[2].diags,
                         ["depth_limit: EXPECT_EQ failed at tests/kernel/kmap_local_test.c:88"])
        self.assertEqual(memmap.diags, ["memmap: pass:2 fail:1 skip:1 total:4"])

    def test_cut_off(self):
        p = parse("ktap_cutoff.log")
        self.assertEqual(p.plan, 3)
        memmap, pkmap = p.suites
        self.assertFalse(memmap.missing)
        self.assertTrue(pkmap.missing)
        self.assertEqual(pkmap.name, "pkmap")
        self.assertEqual([c.name for c in pkmap.results()], ["pool_has_512_entries"])

    def test_suite_cut_off_then_next_suite(self):
        lines = ["KTAP version 1", "1..2",
                 "    KTAP version 1", "    # Subtest: a", "    1..2", "    ok 1 x",
                 "    KTAP version 1", "    # Subtest: b", "    1..1", "    ok 1 y",
                 "ok 2 b"]
        p = ktap.parse_lines(lines)
        self.assertEqual([(s.name, s.missing) for s in p.suites], [("a", True), ("b", False)])

    def test_kunit_nesting(self):
        p = parse("kunit_nested.log")
        example, broken = p.suites
        self.assertEqual([c.name for c in example.children],
                         ["example_simple_test", "example_params_test", "example_todo"])
        params = example.children[1]
        self.assertEqual([c.name for c in params.children],
                         ["example value 3", "example value 2", "example value 1"])
        self.assertEqual(params.children[1].diags, ["example_params_test: EXPECT_TRUE failed"])
        self.assertTrue(params.failed)
        self.assertEqual(example.children[2].directive, "TODO")
        self.assertFalse(example.children[2].failed)
        self.assertEqual((broken.plan, broken.ok), (0, False))
        self.assertIn("broken_init: suite init failed: -ENOMEM", broken.diags)

    def test_stray_indented_diagnostic_is_not_a_suite(self):
        p = ktap.parse_lines(["KTAP version 1", "1..1", "    KTAP version 1",
                              "    # Subtest: a", "    1..1", "    ok 1 x", "ok 1 a",
                              "    # printed by a test after its suite", "# Totals: pass:1"])
        self.assertEqual([(s.name, s.missing) for s in p.suites], [("a", False)])

    def test_text_before_header_is_log(self):
        p = ktap.parse_lines(["ok 1 looks_like_a_result", "1..5", "KTAP version 1", "1..0"])
        self.assertEqual((p.plan, p.suites), (0, []))

    def test_suite_reported_as_it_arrives(self):
        seen = []
        p = ktap.KtapParser(on_result=lambda node, depth: seen.append((node.name, depth)))
        for raw in fixture_lines("ktap_pass.log"):
            line = ktap.clean_line(raw)
            p.feed(line)
            if line == "ok 1 memmap":
                self.assertEqual(seen[-1], ("memmap", 1))
        self.assertEqual([n for n, d in seen if d == 1], ["memmap", "empty", "kmap"])
        self.assertIn(("parses_all_entries", 2), seen)

    def test_progress_line(self):
        p = parse("ktap_fail.log")
        self.assertEqual(matrix.suite_progress(p.suites[0]),
                         "memmap .................. 3/4 FAIL (maps_above_4g), 1 skipped")
        ok = parse("ktap_pass.log")
        self.assertEqual(matrix.suite_progress(ok.suites[2]),
                         "kmap .................... 2/2 ok")
        self.assertEqual(matrix.suite_progress(ok.suites[1]),
                         "empty ................... 0/0 ok")


class Judge(unittest.TestCase):
    def test_all_pass(self):
        r = by_outcome(boot(cfg(), "ktap_pass.log", 1))
        self.assertEqual(len(r["pass"]), 4)
        self.assertEqual(r["skip"], ["t:memmap.zone_bounds"])
        self.assertEqual(r["fail"], [])

    def test_real_console(self):
        # A console captured from the kernel itself (64M, -smp 1).
        r = by_outcome(boot(cfg(smp=1), "kernel_64M.log", 1))
        self.assertEqual((len(r["pass"]), len(r["fail"]), len(r["skip"])), (128, 0, 46))
        # every report on it was announced by the test that provoked it
        self.assertNotIn("t:reports", r["fail"])
        self.assertIn("t:memmap.ram_above_4g_is_present", r["skip"])

    def test_unknown_suite_is_failure(self):
        # test=kmap_locl: the kernel names it and stops with the failure
        # status (3) before any KTAP; never "1..0" and a pass.
        results = boot(cfg(), "unknown_suite.log", 3)
        self.assertEqual(by_outcome(results)["fail"], ["t:boot"])
        diags = "\n".join(result(results, "t:boot").diags)
        self.assertIn("no 'KTAP version 1' line on the console", diags)
        self.assertIn("unknown test suite 'kmap_locl'", diags)
        # ... and the same console with status 1 is still no pass
        self.assertEqual(by_outcome(boot(cfg(), "unknown_suite.log", 1))["fail"], ["t:boot"])

    def test_triple_fault_is_failure(self):
        results = boot(cfg(), "ktap_pass.log", 0)
        self.assertEqual(by_outcome(results)["fail"], ["t:boot"])
        self.assertIn("triple fault", result(results, "t:boot").diags[0])

    def test_failures_with_diagnostics(self):
        results = boot(cfg(), "ktap_fail.log", 3)
        r = by_outcome(results)
        self.assertEqual(r["fail"], ["t:memmap.maps_above_4g", "t:kmap_local.depth_limit"])
        self.assertEqual((len(r["pass"]), len(r["skip"])), (4, 1))
        self.assertEqual(result(results, "t:memmap.maps_above_4g").diags[1],
                         "# maps_above_4g: expected max_pfn == 0x140000, got 0x100000")

    def test_exit_code_must_agree_with_ktap(self):
        r = by_outcome(boot(cfg(), "ktap_fail.log", 1))
        self.assertIn("t:boot", r["fail"])
        r = by_outcome(boot(cfg(), "ktap_pass.log", 3))
        self.assertEqual(r["fail"], ["t:boot"])

    def test_panic_cut_off(self):
        results = boot(cfg(), "ktap_cutoff.log", 7)
        r = by_outcome(results)
        self.assertEqual(r["fail"], ["t:boot", "t:reports"])
        self.assertEqual(r["pass"], ["t:memmap.parses_all_entries", "t:pkmap.pool_has_512_entries"])
        diags = "\n".join(result(results, "t:boot").diags)
        self.assertIn("panic", diags)
        self.assertIn("only 1 of 3 suites reported", diags)
        self.assertIn("suite 'pkmap' was cut off after 1 case(s)", diags)
        self.assertIn("| Kernel panic - not syncing: Fatal exception in interrupt", diags)

    def test_timeout(self):
        results = boot(cfg(), "ktap_pass.log", timed_out=True)
        self.assertIn("timed out", result(results, "t:boot").diags[0])

    def test_no_ktap(self):
        results = boot(cfg(), "no_ktap.log", 1)
        self.assertEqual(by_outcome(results)["fail"], ["t:boot"])
        self.assertIn("no 'KTAP version 1' line", "\n".join(result(results, "t:boot").diags))

    def test_missing_plan(self):
        lines = ["KTAP version 1", "    KTAP version 1", "    # Subtest: a", "    1..1",
                 "    ok 1 x", "ok 1 a"]
        results = boot(cfg(), lines, 1)
        self.assertIn("no KTAP plan", "\n".join(result(results, "t:boot").diags))

    def test_unexpected_refusal(self):
        results = boot(cfg(), "refusal_pae.log", 5)
        diags = "\n".join(result(results, "t:boot").diags)
        self.assertIn("refused", diags)
        self.assertIn("needs a CPU with PAE", diags)

    def test_nested_and_suite_level_failure(self):
        results = boot(cfg(), "kunit_nested.log", 3)
        r = by_outcome(results)
        self.assertEqual(r["pass"], ["t:example.example_simple_test"])
        self.assertEqual(r["skip"], ["t:example.example_todo"])
        self.assertEqual(r["fail"], ["t:example.example_params_test", "t:broken_init"])
        self.assertIn("# example value 2: example_params_test: EXPECT_TRUE failed",
                      result(results, "t:example.example_params_test").diags)
        self.assertIn("# broken_init: suite init failed: -ENOMEM",
                      result(results, "t:broken_init").diags)

    def test_grub_failure_stops_early(self):
        c = cfg(iso=True)
        console = matrix.Console(c)
        for line in fixture_lines("grub_fail.log"):
            console.feed(line)
        self.assertEqual(console.abort, "GRUB could not boot the kernel: error: entry point "
                         "isn't in a segment. error: you need to load the kernel first.")
        self.assertTrue(all(len(t) <= matrix.QUOTE_WIDTH + 3 for t in console.tail))

    def test_expected_refusal(self):
        c = cfg(cpu="pentium", expect_refusal="needs a CPU with PAE")
        self.assertEqual(by_outcome(boot(c, "refusal_pae.log", 5))["pass"], ["t:refusal"])
        self.assertEqual(by_outcome(boot(c, "refusal_pae.log", 1))["fail"], ["t:refusal"])
        self.assertEqual(by_outcome(boot(c, "refusal_pae.log", 7))["fail"], ["t:refusal"])
        self.assertEqual(by_outcome(boot(c, "no_ktap.log", 5))["fail"], ["t:refusal"])
        self.assertEqual(by_outcome(boot(c, "refusal_pae.log", timed_out=True))["fail"],
                         ["t:refusal"])
        # A refusal config is judged on the refusal alone: no KTAP expected.
        self.assertEqual(len(boot(c, "refusal_pae.log", 5)), 1)

    def test_expected_panic(self):
        c = matrix.normalise(dict(next(x for x in matrix.CONFIGS if x["name"] == "overflow"),
                                  name="t"))
        results = boot(c, "panic_stack_overflow.log", 7)
        # judged on the panic and its lines alone: no KTAP expected
        self.assertEqual(by_outcome(results),
                         {"pass": ["t:panic", "t:line:1", "t:line:2"], "fail": [], "skip": []})
        # a triple fault with the same console is a failure, and says so
        results = boot(c, "panic_stack_overflow.log", 0)
        self.assertEqual(by_outcome(results)["fail"], ["t:panic"])
        self.assertIn("triple fault", result(results, "t:panic").diags[0])
        for status in (1, 3, 5):
            self.assertEqual(by_outcome(boot(c, "panic_stack_overflow.log", status))["fail"],
                             ["t:panic"])
        self.assertEqual(by_outcome(boot(c, "panic_stack_overflow.log", timed_out=True))["fail"],
                         ["t:panic"])
        # a panic, but another one: only the missing text is named
        results = boot(cfg(expect_panic=["PANIC: double fault", "Kernel panic - not syncing"]),
                       "ktap_cutoff.log", 7)
        # ... and the page fault's BUG line was announced by nobody
        self.assertEqual(by_outcome(results)["fail"], ["t:panic", "t:reports"])
        diags = result(results, "t:panic").diags
        self.assertIn("no console line contains 'PANIC: double fault'", diags)
        self.assertNotIn("no console line contains 'Kernel panic - not syncing'", diags)
        self.assertEqual(by_outcome(boot(c, "ktap_cutoff.log", 7))["fail"],
                         ["t:panic", "t:reports", "t:line:1", "t:line:2"])

    def test_expect_panic_forms(self):
        self.assertEqual(cfg(expect_panic="oops")["expect_panic"], ["oops"])
        self.assertEqual(cfg(expect_panic=("a", "b"))["expect_panic"], ["a", "b"])
        self.assertIsNone(cfg()["expect_panic"])
        for bad in ([], [""], "", ["a", 3]):
            with self.assertRaises(ValueError):
                cfg(expect_panic=bad)
        with self.assertRaises(ValueError):
            cfg(expect_panic="x", expect_refusal="y")
        # KTEST_EXTRA_ARGS is for KTAP boots only
        self.assertEqual(matrix.kernel_args(cfg(expect_panic="x", extra_args="crash=a"), "z=1"),
                         "test=all poweroff crash=a")

    def test_expect_lines(self):
        c = matrix.normalise(dict(next(x for x in matrix.CONFIGS if x["name"] == "4G-iso"),
                                  name="t"))
        results = boot(c, "grub_iso.log", 1)
        r = by_outcome(results)
        self.assertEqual(r["fail"], [])
        self.assertIn("t:line:1", r["pass"])
        self.assertIn("t:line:2", r["pass"])
        self.assertIn("t:highmem.ram_above_4g_is_highmem", r["pass"])
        results = boot(c, "ktap_pass.log", 1)
        self.assertEqual(by_outcome(results)["fail"], ["t:line:1", "t:line:2"])
        self.assertEqual(result(results, "t:line:1").diags,
                         [r"no console line matches /^896MB LOWMEM available\.$/"])


KTAP_HEAD = ["KTAP version 1\n", "1..1\n", "    KTAP version 1\n", "    # Subtest: sched\n",
             "    1..2\n"]
KTAP_TAIL = ["# sched: pass:2 fail:0 skip:0 total:2\n", "ok 1 sched\n"]
WARN = "WARNING: CPU: 1 PID: 9 at kernel/sched.c:120 pick_next_task+0x5c/0x90\n"


class Reports(unittest.TestCase):
    """Every BUG/WARNING/Oops line must be announced by the test that causes it."""

    def fails(self, lines, status=1):
        return by_outcome(boot(cfg(), KTAP_HEAD + lines + KTAP_TAIL, status))["fail"]

    def test_stray_warning_fails_a_passing_boot(self):
        # Every case says ok, the kernel says all passed: the WARNING still fails it.
        lines = ["    ok 1 a\n", "------------[ cut here ]------------\n", WARN,
                 "    ok 2 b\n"]
        self.assertEqual(self.fails(lines), ["t:reports"])
        r = result(boot(cfg(), KTAP_HEAD + lines + KTAP_TAIL, 1), "t:reports")
        self.assertIn("  console line 8: " + WARN.strip(), r.diags)

    def test_stray_report_before_the_tests_fails(self):
        lines = ["BUG: Bad page state in process swapper/0  pfn:03f80\n"]
        self.assertEqual(by_outcome(boot(cfg(), lines + KTAP_HEAD + ["    ok 1 a\n",
                                          "    ok 2 b\n"] + KTAP_TAIL, 1))["fail"],
                         ["t:reports"])

    def test_each_headline_word_counts(self):
        for text in ("BUG: unable to handle page fault for address: 00001000",
                     "kernel BUG at mm/highmem.c:300!", "Oops: 0002 [#1] SMP",
                     "general protection fault: 0000 [#1]",
                     "BUG: scheduling while atomic: t/3/0x00000002",
                     "WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2"):
            with self.subTest(text=text):
                self.assertEqual(self.fails(["    ok 1 a\n", text + "\n", "    ok 2 b\n"]),
                                 ["t:reports"])

    def test_announced_report_passes(self):
        lines = ["    # expected: WARNING: CPU:\n", "------------[ cut here ]------------\n", WARN,
                 "    ok 1 a\n", "    ok 2 b\n"]
        self.assertEqual(self.fails(lines), [])

    def test_announcement_must_match_the_line(self):
        lines = ["    # expected: kernel BUG at mm/highmem.c\n", WARN, "    ok 1 a\n",
                 "    ok 2 b\n"]
        self.assertEqual(self.fails(lines), ["t:reports"])

    def test_announcement_ends_with_its_case(self):
        lines = ["    # expected: WARNING: CPU:\n", WARN, "    ok 1 a\n", WARN, "    ok 2 b\n"]
        r = result(boot(cfg(), KTAP_HEAD + lines + KTAP_TAIL, 1), "t:reports")
        self.assertEqual(r.diags[0].split(" ")[0], "1")

    def test_diagnostic_lines_are_not_reports(self):
        lines = ['    # a: EXPECT_TRUE failed: log_contains(m, "BUG: foo") is false\n',
                 "    not ok 1 a\n", "    ok 2 b\n"]
        self.assertEqual(self.fails(lines, status=3), ["t:sched.a"])


class NoKtapConfig(unittest.TestCase):
    """torture=...: no KTAP; judged on status 1, its lines and its reports."""

    OK = ["kmaptorture: End of test: SUCCESS: ops=5 kmap=1 mismatches=0\n"]

    def judge(self, lines, status):
        c = matrix.normalise(dict(next(x for x in matrix.CONFIGS if x["name"] == "torture-smp2"),
                                  name="t"))
        return by_outcome(boot(c, lines, status))

    def test_success(self):
        self.assertEqual(self.judge(self.OK, 1), {"pass": ["t:boot", "t:line:1"], "fail": [],
                                                  "skip": []})

    def test_failure_status_or_missing_line_or_report(self):
        self.assertEqual(self.judge(self.OK, 3)["fail"], ["t:boot"])
        self.assertEqual(self.judge(self.OK, 0)["fail"], ["t:boot"])
        bad = ["kmaptorture: End of test: FAILURE: ops=5 mismatches=3\n"]
        self.assertEqual(self.judge(bad, 1)["fail"], ["t:line:1"])
        self.assertEqual(self.judge([WARN] + self.OK, 1)["fail"], ["t:reports"])


class RunVerdict(unittest.TestCase):
    """make run / make run-kernel (run.py): a verdict for one interactive boot."""

    BANNER = ["[    0.005] kmaplab: a 32-bit PAE kernel that maps highmem the Linux way\n"]
    DONE = ["[    2.800] kmaplab: done; the CPUs idle now (QEMU: Ctrl-A X quits)\n"]
    PASSING = KTAP_HEAD + ["    ok 1 a\n", "    ok 2 b\n"] + KTAP_TAIL

    def verdict(self, lines, status, quit=False, args=""):
        import run
        console = run.RunConsole(run.run_config(args))
        for line in lines:
            console.feed(line)
        console.finish()
        return run.verdict(console, status, quit, run.expects_ktap(args))

    def test_poweroff_after_passing_run(self):
        code, line = self.verdict(self.BANNER + self.PASSING, 1)
        self.assertEqual(code, 0, line)

    def test_triple_fault_is_failure_even_after_passing_cases(self):
        code, line = self.verdict(self.BANNER + self.PASSING, 0)
        self.assertEqual(code, 1)
        self.assertIn("triple fault", line)

    def test_no_banner_is_failure(self):
        # -accel kvm that cannot start: QEMU exits 1 (the 'all passed' code)
        code, line = self.verdict([], 1)
        self.assertEqual(code, 1)
        self.assertIn("never printed its banner", line)
        self.assertEqual(self.verdict([], 0)[0], 1)

    def test_quit_by_hand_after_the_end_is_judged_on_the_console(self):
        self.assertEqual(self.verdict(self.BANNER + self.PASSING + self.DONE, 0, quit=True)[0], 0)
        failing = [l.replace("    ok 2 b", "    not ok 2 b") for l in self.PASSING]
        self.assertEqual(self.verdict(self.BANNER + failing + self.DONE, 0, quit=True)[0], 1)

    def test_quit_by_hand_before_the_end_gives_no_verdict(self):
        code, line = self.verdict(self.BANNER + KTAP_HEAD, 0, quit=True)
        self.assertEqual(code, 2)
        self.assertIn("STOPPED", line)

    def test_unannounced_warning_fails_the_run(self):
        lines = self.BANNER + KTAP_HEAD + ["    ok 1 a\n", WARN, "    ok 2 b\n"] + KTAP_TAIL
        self.assertEqual(self.verdict(lines, 1)[0], 1)
        self.assertEqual(self.verdict(self.BANNER + [WARN], 1, args="test=none poweroff")[0], 1)
        self.assertEqual(self.verdict(self.BANNER, 1, args="test=none poweroff")[0], 0)

    def test_panic_and_cut_off_ktap_fail(self):
        self.assertEqual(self.verdict(self.BANNER + KTAP_HEAD + ["    ok 1 a\n"], 7)[0], 1)
        self.assertEqual(self.verdict(self.BANNER + KTAP_HEAD + ["    ok 1 a\n"], 3)[0], 1)

    def test_crash_run_is_judged_on_its_panic(self):
        args = "crash=stack_overflow"
        lines = self.BANNER + [
            "BUG: kernel stack overflow: esp f9800fd0, task stack is f9801000-f9805000\n",
            "Kernel panic - not syncing: Machine halted.\n"]
        self.assertEqual(self.verdict(lines, 7, args=args)[0], 0)
        self.assertEqual(self.verdict(lines, 0, args=args)[0], 1)


class Licence(unittest.TestCase):
    """The tree can be handed out: LICENSE, and an SPDX line atop every source file."""

    SOURCE = re.compile(r"(\.(c|h|S|ld|py|sh)|(^|/)Makefile|(^|/)grub\.cfg|^\.ci/run)$")

    def test_every_source_file_says_its_licence(self):
        repo = os.path.dirname(os.path.dirname(HERE))
        files = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.split()
        self.assertIn("LICENSE", files)
        missing = []
        for f in files:
            if not self.SOURCE.search(f) or (f.startswith("tests/harness/fixtures/")
                                             and not f.endswith((".py", ".S"))):
                continue
            with open(os.path.join(repo, f), errors="replace") as fh:
                head = fh.readline() + fh.readline()
            if "SPDX-License-Identifier: " not in head:
                missing.append(f)
        self.assertEqual(missing, [], "no SPDX line in the first two lines")


class Configs(unittest.TestCase):
    def test_matrix_is_valid(self):
        configs = [matrix.normalise(c) for c in matrix.CONFIGS]
        names = [c["name"] for c in configs]
        self.assertEqual(len(names), len(set(names)))
        for c in configs:
            for pattern in c["expect_lines"]:
                re.compile(pattern)

    def test_memory_backend_above_23g(self):
        def cmd(mem):
            return matrix.qemu_command(cfg(mem=mem), "qemu", ["-kernel", "k"])
        self.assertNotIn("-object", cmd("16G"))
        self.assertNotIn("-object", cmd("23G"))
        c = cmd("48G")
        self.assertEqual(c[c.index("-m") + 1], "48G")
        self.assertEqual(c[c.index("-object") + 1],
                         "memory-backend-ram,id=ram0,size=48G,reserve=off")
        self.assertEqual(c[c.index("-machine") + 1], "memory-backend=ram0")
        self.assertIn("-object", cmd("24G"))
        self.assertIn("-object", cmd("24577M"))

    def test_base_command(self):
        c = matrix.qemu_command(cfg(mem="512M"), "qemu-system-i386",
                                ["-kernel", "build/kernel.elf", "-append", "test=all poweroff"])
        self.assertEqual(c, [
            "qemu-system-i386", "-accel", "tcg", "-kernel", "build/kernel.elf",
            "-append", "test=all poweroff", "-m", "512M", "-smp", "2", "-cpu", "max",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])

    def test_kernel_args(self):
        bad = matrix.normalise(next(x for x in matrix.CONFIGS if x["name"] == "badopt"))
        self.assertEqual(matrix.kernel_args(bad, "kmap_local.guard=1"),
                         "test=all poweroff frobnicate=1")
        self.assertEqual(matrix.kernel_args(cfg(), "kmap_local.guard=1"),
                         "test=all poweroff kmap_local.guard=1")

    def test_unknown_key_rejected(self):
        with self.assertRaises(ValueError):
            matrix.normalise(dict(name="x", mem="1G", memory="2G"))

    def test_longest_first(self):
        configs = [matrix.normalise(c) for c in matrix.CONFIGS]
        order = sorted(configs, key=lambda c: -matrix.estimate(c, {}))
        self.assertEqual(order[0]["name"], "48G")
        self.assertTrue(order[-1]["expect_refusal"])
        order = sorted(configs, key=lambda c: -matrix.estimate(c, {"64M": 500}))
        self.assertEqual(order[0]["name"], "64M")

    def test_select(self):
        self.assertEqual([c["name"] for c in matrix.select(matrix.CONFIGS, ["64M,tiny"])],
                         ["64M", "tiny"])
        with self.assertRaises(SystemExit):
            matrix.select(matrix.CONFIGS, ["nope"])

    @unittest.skipUnless(shutil.which("grub-mkrescue"), "grub-mkrescue not installed")
    def test_make_iso(self):
        tmp = tempfile.mkdtemp()
        try:
            elf = os.path.join(tmp, "k.elf")
            with open(elf, "wb") as f:
                f.write(b"\x7fELF not really")
            iso = matrix.make_iso(elf, "test=all poweroff x='a b'", tmp)
            self.assertTrue(os.path.getsize(iso) > 0)
            with open(os.path.join(tmp, "root", "boot", "grub", "grub.cfg")) as f:
                text = f.read()
            self.assertIn("multiboot /boot/kernel.elf test=all poweroff 'x='\\''a' 'b'\\'''",
                          text)
            self.assertNotIn("@ARGS@", text)
        finally:
            shutil.rmtree(tmp)


class TimedWriter(io.StringIO):
    """Records when each line was printed."""

    def __init__(self):
        super().__init__()
        self.stamps = []

    def write(self, s):
        for line in s.splitlines():
            self.stamps.append((time.monotonic(), line))
        return super().write(s)


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Runner(unittest.TestCase):
    """The whole runner against fake_qemu.py."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.kernel = os.path.join(self.tmp, "kernel.elf")
        open(self.kernel, "wb").close()
        self.opts = argparse.Namespace(
            kernel=self.kernel, log_dir=os.path.join(self.tmp, "test-logs"), jobs=2,
            timeout=None, qemu=os.path.join(FIXTURES, "fake_qemu.py"), extra_args="",
            test=None, host_checks=False)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_matrix(self, configs):
        out = TimedWriter()
        status = matrix.run_matrix(configs, self.opts, out)
        return status, out

    def test_mixed_matrix(self):
        pidfile = os.path.join(self.tmp, "child.pid")
        configs = [
            dict(name="pass", mem="64M", extra_args="fake.log=ktap_pass.log fake.delay=0.03"),
            dict(name="fail", mem="64M", extra_args="fake.log=ktap_fail.log fake.status=3"),
            dict(name="triple", mem="64M", extra_args="fake.log=ktap_pass.log fake.status=0"),
            dict(name="hang", mem="64M", timeout=2,
                 extra_args=f"fake.log=no_ktap.log fake.hang=1 fake.child={pidfile}"),
            dict(name="refuse", mem="64M", expect_refusal="needs a CPU with PAE",
                 extra_args="fake.log=refusal_pae.log fake.status=5"),
        ]
        start = time.monotonic()
        status, out = self.run_matrix(configs)
        took = time.monotonic() - start
        text = out.getvalue()
        lines = text.splitlines()

        self.assertEqual(status, 1)
        # pass: 4 + 1 skip; fail: 4 + 2 failed + 1 skip; triple: 4 + 1 skip + boot;
        # hang: boot; refuse: 1.
        self.assertEqual(lines[-1], "13 passed, 4 failed, 3 skipped")
        self.assertTrue(lines[-2].startswith("wall time "))
        for name in ("FAIL fail:memmap.maps_above_4g", "FAIL fail:kmap_local.depth_limit",
                     "FAIL triple:boot", "FAIL hang:boot"):
            self.assertIn(name, lines)
        self.assertIn("    # maps_above_4g: EXPECT_EQ failed at mm/memblock_test.c:42", lines)
        self.assertIn("    log: " + os.path.join(self.opts.log_dir, "fail.log"), lines)
        self.assertIn("[pass        ] memmap .................. 3/3 ok, 1 skipped", lines)
        self.assertIn("[fail        ] memmap .................. 3/4 FAIL (maps_above_4g), "
                      "1 skipped", lines)
        self.assertTrue(any(l.startswith("[refuse      ] refused as expected") for l in lines))
        self.assertTrue(any(l.startswith("[hang        ] FAIL") and "timed out" in l
                            for l in lines))

        # The hung config was killed at its timeout, with its whole process group.
        self.assertLess(took, 8)
        with open(pidfile) as f:
            child = int(f.read())
        for _ in range(50):
            if not pid_alive(child):
                break
            time.sleep(0.05)
        self.assertFalse(pid_alive(child), "QEMU's child survived the timeout")

        # Logs hold the console exactly as printed.
        with open(os.path.join(self.opts.log_dir, "fail.log"), "rb") as f:
            self.assertEqual(f.read(), b"".join(fixture_lines("ktap_fail.log")))

        # Progress is printed as the console streams, not when QEMU exits.
        stamps = dict((l, t) for t, l in out.stamps)
        memmap = stamps["[pass        ] memmap .................. 3/3 ok, 1 skipped"]
        done = next(t for t, l in out.stamps if l.startswith("[pass        ] ok"))
        self.assertGreater(done - memmap, 0.2)

    def test_all_good_exits_zero(self):
        configs = [dict(name="a", mem="64M", extra_args="fake.log=ktap_pass.log"),
                   dict(name="b", mem="64M", expect_lines=["^kmaplab: all tests passed"],
                        extra_args="fake.log=ktap_pass.log")]
        status, out = self.run_matrix(configs)
        self.assertEqual(status, 0)
        self.assertEqual(out.getvalue().splitlines()[-1], "9 passed, 0 failed, 2 skipped")
        self.assertNotIn("Failures:", out.getvalue())

    def test_lines_cut_anywhere(self):
        configs = [dict(name="a", mem="64M", extra_args="fake.log=ktap_fail.log fake.status=3 "
                        "fake.chunk=7 fake.delay=0.001")]
        status, out = self.run_matrix(configs)
        self.assertEqual(out.getvalue().splitlines()[-1], "4 passed, 2 failed, 1 skipped")
        self.assertIn("    # maps_above_4g: expected max_pfn == 0x140000, got 0x100000",
                      out.getvalue().splitlines())

    def test_parallel(self):
        configs = [dict(name=n, mem="64M", extra_args="fake.log=ktap_pass.log fake.delay=0.04")
                   for n in ("a", "b")]
        start = time.monotonic()
        self.run_matrix(configs)
        one = 0.04 * len(fixture_lines("ktap_pass.log"))
        self.assertLess(time.monotonic() - start, 2 * one)

    @unittest.skipUnless(shutil.which("grub-mkrescue"), "grub-mkrescue not installed")
    def test_grub_failure_is_not_a_timeout(self):
        os.environ["FAKE_QEMU_ARGS"] = "fake.log=grub_fail.log fake.hang=1"
        try:
            start = time.monotonic()
            status, out = self.run_matrix([dict(name="iso", mem="64M", iso=True)])
        finally:
            del os.environ["FAKE_QEMU_ARGS"]
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(status, 1)
        self.assertIn("GRUB could not boot the kernel: error: entry point isn't in a segment.",
                      out.getvalue())
        self.assertNotIn("timed out", out.getvalue())

    def test_qemu_missing(self):
        self.opts.qemu = os.path.join(self.tmp, "no-such-qemu")
        status, out = self.run_matrix([dict(name="a", mem="64M")])
        self.assertEqual(status, 1)
        self.assertIn("could not start", out.getvalue())
        self.assertEqual(out.getvalue().splitlines()[-1], "0 passed, 1 failed")

    def test_global_timeout_overrides(self):
        self.opts.timeout = 1
        start = time.monotonic()
        status, out = self.run_matrix([dict(name="a", mem="64M", timeout=100,
                                            extra_args="fake.hang=1")])
        self.assertLess(time.monotonic() - start, 5)
        self.assertIn("timed out", out.getvalue())


def qemu_pids(needle):
    """Pids of live processes whose command line mentions needle."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if needle.encode() in f.read() and pid_alive(int(pid)):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


@unittest.skipUnless(shutil.which(matrix.QEMU) and shutil.which("gcc") and shutil.which("ld"),
                     "needs qemu-system-i386, gcc and ld")
class LiveQemu(unittest.TestCase):
    """The runner against real QEMU, booting fixtures/mini_kernel.S."""

    VARIANTS = {"pass": "-DEXIT=0", "fail": "-DEXIT=1", "hang": "-DHANG", "triple": "-DTRIPLE"}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="matrix-selftest-")
        src = os.path.join(FIXTURES, "mini_kernel.S")
        for name, define in cls.VARIANTS.items():
            d = os.path.join(cls.tmp, name)
            os.makedirs(d)
            obj = os.path.join(d, "k.o")
            subprocess.run(["gcc", "-m32", "-c", "-x", "assembler-with-cpp", define, src,
                            "-o", obj], check=True)
            subprocess.run(["ld", "-m", "elf_i386", "-Ttext", "0x100000", "-e", "_start",
                            "-o", os.path.join(d, "kernel.elf"), obj], check=True,
                           stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_kernel(self, variant, config, timeout=None):
        opts = argparse.Namespace(
            kernel=os.path.join(self.tmp, variant, "kernel.elf"),
            log_dir=os.path.join(self.tmp, variant, "test-logs"), jobs=2,
            timeout=timeout, qemu=matrix.QEMU, extra_args="", test=None,
            host_checks=False)
        out = io.StringIO()
        status = matrix.run_matrix([dict(dict(name="live", mem="32M"), **config)], opts, out)
        return status, out.getvalue().splitlines()

    def test_pass(self):
        status, lines = self.run_kernel("pass", {})
        self.assertEqual((status, lines[-1]), (0, "1 passed, 0 failed"))
        self.assertIn("[live        ] mini .................... 1/1 ok", lines)

    def test_fail(self):
        status, lines = self.run_kernel("fail", {})
        self.assertEqual((status, lines[-1]), (1, "0 passed, 1 failed"))
        self.assertIn("FAIL live:mini.works", lines)
        self.assertIn("    # works: expected 1, got 2", lines)

    def test_triple_fault(self):
        status, lines = self.run_kernel("triple", {})
        self.assertEqual((status, lines[-1]), (1, "0 passed, 1 failed"))
        self.assertIn("FAIL live:boot", lines)
        self.assertTrue(any("QEMU exit status 0: triple fault" in l for l in lines))

    def test_timeout_kills_qemu(self):
        start = time.monotonic()
        status, lines = self.run_kernel("hang", {"timeout": 100}, timeout=1.5)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual((status, lines[-1]), (1, "0 passed, 1 failed"))
        self.assertTrue(any("timed out after 1.5 s" in l for l in lines))
        self.assertEqual(qemu_pids(os.path.join(self.tmp, "hang", "kernel.elf")), [])

    def test_refusal_expected_but_tests_ran(self):
        status, lines = self.run_kernel("pass", {"expect_refusal": "RAM"})
        self.assertEqual((status, lines[-1]), (1, "0 passed, 1 failed"))
        self.assertIn("FAIL live:refusal", lines)

    @unittest.skipUnless(shutil.which("grub-mkrescue"), "grub-mkrescue not installed")
    def test_iso(self):
        status, lines = self.run_kernel("pass", {"iso": True, "expect_lines": ["^ok 1 mini$"]})
        self.assertEqual((status, lines[-1]), (0, "2 passed, 0 failed"))


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    res = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if res.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
