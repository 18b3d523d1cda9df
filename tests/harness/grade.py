#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""grade.py - a lab's grade: its suites, booted in its configurations.

    make grade                  in a student's tree (it knows its lab: .lab)
    make grade LAB=2            in the reference tree: the solution's grade

Each lab's grading is labs/grade/labN.py:

    TITLE   = "The pkmap pool"
    CONFIGS = {"smp4": dict(mem="4G", smp=4, args="test=kmap")}
    GRADED  = [("smp4", "kmap.wrap_flushes_once", 3), ...]   # config, case, points
    LINES   = [("torture", r"^kmaptorture: .*SUCCESS", 5, "kmaptorture")]  # optional

Optional too: REPORT(root, build), a function returning lines printed
after the score (lab 6 prints its benchmark figure so), and STUB_EXPECT,
what a fresh `make lab` tree must score ("zero", the default; "full" for
a lab whose tree starts from the reference, as lab 6's challenge does).

A config with bochs=True boots under Bochs instead of QEMU (through
tests/harness/bochs.py, GRUB ISO and all; its "cpu" is then a Bochs
model): for what only an x86 that keeps global TLB entries across a CR3
write can show, which QEMU's TCG cannot.

A graded case earns its points when it passes, none when it fails, is
skipped or never ran (the boot died first): each line says which, and a
failure quotes its first diagnostic. The last line is "Score: N/M";
the exit status is 0 only at full marks. The report is also kept in
BUILD/grade-logs/labN-grade.log, beside the boots' console logs, where
tests/harness/doccheck.py finds the lines a handout quotes.

For the harness (tests/harness/labs_test.py), --expect says what the
grade must be: "full", or "zero" (a stub tree: every graded item fails);
--others CONFIG boots CONFIG's machine with test=all as well and checks
that every case the lab does not grade still passes and the boot ends.
"""

import argparse
import os
import re
import runpy
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import matrix  # noqa: E402
import ktap  # noqa: E402


def load_spec(root, lab):
    path = os.path.join(root, "labs", "grade", f"lab{lab}.py")
    if not os.path.isfile(path):
        labs = sorted(re.sub(r"\D", "", f) for f in os.listdir(os.path.join(root, "labs", "grade"))
                      if re.fullmatch(r"lab\d+\.py", f))
        raise SystemExit(f"grade: there is no lab {lab} (labs: {', '.join(labs)})")
    spec = runpy.run_path(path)
    for key in ("TITLE", "CONFIGS", "GRADED"):
        if key not in spec:
            raise SystemExit(f"grade: {path} has no {key}")
    spec.setdefault("LINES", [])
    for cfg, case, pts in spec["GRADED"]:
        if cfg not in spec["CONFIGS"] or "." not in case or pts <= 0:
            raise SystemExit(f"grade: {path}: bad graded case {(cfg, case, pts)!r}")
    for cfg, _, pts, _ in spec["LINES"]:
        if cfg not in spec["CONFIGS"] or pts <= 0:
            raise SystemExit(f"grade: {path}: bad line check for {cfg!r}")
    return spec


def matrix_config(lab, name, c, spec):
    patterns = [p for cfg, p, _, _ in spec["LINES"] if cfg == name]
    cfg = matrix.normalise(dict(
        name=f"lab{lab}-{name}", mem=c.get("mem", "4G"), smp=c.get("smp", 2),
        cpu=c.get("cpu", "max"), extra_args=c.get("args", ""), ktap=c.get("ktap", True),
        timeout=c.get("timeout", 90), expect_lines=patterns, iso=bool(c.get("bochs"))))
    cfg["bochs"] = bool(c.get("bochs"))
    return cfg


class Opts:
    def __init__(self, build):
        self.kernel = os.path.join(build, "kernel.elf")
        self.qemu = matrix.QEMU
        self.log_dir = os.path.join(build, "grade-logs")
        self.extra_args = ""
        self.test = None
        self.timeout = None
        self.out_dir = os.path.join(build, "grade-bochs")    # Bochs configs only
        self.bochs = None
        self.isolate = None


def boot_bochs(cfg, opts, live):
    """A bochs=True config, through bochs.py; (console, outcome) as for QEMU."""
    import bochs
    if opts.bochs is None:
        opts.bochs = bochs.BOCHS
        opts.isolate = bochs.network_isolation()
    missing = bochs.missing_tools(opts.bochs)
    if missing:
        console, outcome = matrix.Console(cfg), matrix.Outcome()
        outcome.error = (f"Bochs is needed here: {'; '.join(missing)} "
                         f"(Debian: apt-get install {bochs.PACKAGES})")
        console.finish()
        return console, outcome
    os.makedirs(opts.out_dir, exist_ok=True)
    return bochs.boot_bochs(cfg, opts, Quiet(), live)


def boot_all(cfgs, opts, jobs):
    """Boot each matrix config (at most jobs at a time): name -> (console, outcome)."""
    os.makedirs(opts.log_dir, exist_ok=True)
    live = matrix.Live()
    done = {}
    lock = threading.Lock()
    todo = list(cfgs)

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                cfg = todo.pop(0)
            if cfg.get("bochs"):
                res = boot_bochs(cfg, opts, live)
            else:
                res = matrix.run_config(cfg, opts, Quiet(), live)
            with lock:
                done[cfg["name"]] = res

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done


class Quiet:
    """A matrix Printer that prints nothing (the grade lines say it all)."""

    def tag(self, *a, **k):
        pass

    def line(self, *a, **k):
        pass


def find_case(console, name):
    suite_name, case_name = name.split(".", 1)
    for s in console.parser.suites:
        if s.name == suite_name:
            for c in s.children:
                if c.name == case_name:
                    return c
    return None


def first_failure(node):
    """The case's first failure message, "file:line: what" (the case's own
    name in front dropped: the line names it), else its first diagnostic:
    not an "expected:" announcement or a log line."""
    diags = [d.strip() for d in node.diags if d.strip()]
    for d in diags:
        m = re.match(r"^(?:[\w.]+: )?(\S+\.[chS]:\d+: .*)$", d)
        if m:
            return m.group(1)
    return diags[0] if diags else "not ok"


def how_it_ended(cfg, console, outcome):
    """Why the boot did not reach every case, or None if it ended well."""
    results = matrix.judge_boot(dict(cfg, expect_lines=[]), console, outcome)
    for r in results:
        if r.name.endswith(":boot") and r.outcome == "fail":
            return r.diags[0]
    return None


TODO_RE = re.compile(r"^lab \d+: .* is not written yet")


def failure_note(node, case, log_path):
    """What a failed case's line quotes: its first failure message
    (first_failure()), or, when a lab's stub killed it (LAB_TODO), the
    stub's "lab N: f() is not written yet" line, printed just before the
    crash."""
    name = case.split(".", 1)[1]
    note = first_failure(node)
    try:
        with open(log_path, errors="replace") as f:
            log = [ktap.clean_line(x).strip() for x in f]
    except OSError:
        return note
    for i, line in enumerate(log):
        if re.fullmatch(r"not ok \d+ " + re.escape(name), line):
            for prev in reversed(log[:i]):
                if re.match(r"(not )?ok \d+ ", prev):
                    break		# the case before: the stub was not this one's
                if TODO_RE.match(prev):
                    return prev
            break
    return note


def grade(spec, lab, booted, cfgs, log_dir=""):
    """[(label, points earned, points possible, note)] for each graded item."""
    lines = []
    for cfg_name, case, pts in spec["GRADED"]:
        cfg = cfgs[cfg_name]
        console, outcome = booted[cfg["name"]]
        node = find_case(console, case)
        label = f"{case} [{cfg_name}]"
        if node is None or node.missing:
            why = how_it_ended(cfg, console, outcome) or "the case did not run"
            lines.append((label, 0, pts, f"never ran: {why}"))
        elif node.failed:
            lines.append((label, 0, pts,
                          failure_note(node, case, os.path.join(log_dir, cfg["name"] + ".log"))))
        elif node.skipped:
            lines.append((label, 0, pts, f"skipped: {node.reason}"))
        else:
            lines.append((label, pts, pts, ""))
    for cfg_name, pattern, pts, what in spec["LINES"]:
        cfg = cfgs[cfg_name]
        console, outcome = booted[cfg["name"]]
        i = cfg["expect_lines"].index(pattern)
        label = f"{what} [{cfg_name}]"
        if console.line_hits[i] is not None:
            lines.append((label, pts, pts, ""))
        else:
            # the run's own verdict says more than QEMU's exit status
            said = [t.strip() for t in console.tail
                    if re.search(r"End of test|MISMATCH|FAILURE|died", t)]
            why = said[-1] if said else how_it_ended(cfg, console, outcome)
            lines.append((label, 0, pts, why or f"no console line matches /{pattern}/"))
    return lines


def print_grade(lab, spec, lines, out=sys.stdout):
    width = max(len(label) for label, *_ in lines) + 2
    print(f"lab {lab}: {spec['TITLE']}", file=out)
    for label, got, pts, note in lines:
        verdict = "OK  " if got == pts else "FAIL"
        text = f"  {label:.<{width}} {verdict} {got}/{pts}"
        if note:
            text += f"  {note[:130]}"
        print(text, file=out)
    got = sum(g for _, g, _, _ in lines)
    total = sum(p for _, _, p, _ in lines)
    print(f"Score: {got}/{total}", file=out)
    return got, total


def check_others(spec, lab, cfg_name, c, opts):
    """Boot test=all on the config's machine: every ungraded case must pass."""
    graded = {case for _, case, _ in spec["GRADED"]}
    cfg = matrix.normalise(dict(name=f"lab{lab}-others-{cfg_name}", mem=c.get("mem", "4G"),
                                smp=c.get("smp", 2), cpu=c.get("cpu", "max"),
                                extra_args=c.get("others_args", ""), timeout=180))
    console, outcome = boot_all([cfg], opts, 1)[cfg["name"]]
    problems = []
    why = how_it_ended(cfg, console, outcome)
    if why:
        problems.append(f"the test=all boot did not end well: {why}")
    ran = 0
    for s in console.parser.suites:
        for case in s.children:
            name = f"{s.name}.{case.name}"
            ran += 1
            if name not in graded and case.failed:
                diag = next((d for d in case.diags if d.strip()), "not ok")
                problems.append(f"{name} is not graded by lab {lab} but failed: {diag}")
    return ran, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description="Grade one lab.")
    ap.add_argument("--lab", type=int, help="the lab (a student tree's .lab says)")
    ap.add_argument("--build", default="build")
    ap.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--expect", choices=("full", "zero"), help=argparse.SUPPRESS)
    ap.add_argument("--others", metavar="CONFIG", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.lab is None:
        try:
            with open(os.path.join(a.root, ".lab")) as f:
                a.lab = int(f.read().strip())
        except (OSError, ValueError):
            print("grade: which lab? `make grade LAB=n` (a tree from `make lab` knows its own)",
                  file=sys.stderr)
            return 2
    spec = load_spec(a.root, a.lab)
    opts = Opts(a.build)
    if not os.path.isfile(opts.kernel):
        print(f"grade: {opts.kernel} not found (run make first)", file=sys.stderr)
        return 2
    cfgs = {n: matrix_config(a.lab, n, c, spec) for n, c in spec["CONFIGS"].items()}
    booted = boot_all(list(cfgs.values()), opts, a.jobs)
    lines = grade(spec, a.lab, booted, cfgs, opts.log_dir)
    got, total = print_grade(a.lab, spec, lines)
    report = []
    if spec.get("REPORT"):
        report = list(spec["REPORT"](os.path.abspath(a.root), os.path.abspath(a.build)))
        for line in report:
            print(line)
    with open(os.path.join(opts.log_dir, f"lab{a.lab}-grade.log"), "w") as f:
        print_grade(a.lab, spec, lines, out=f)	# for doccheck: labs/ may quote it
        for line in report:
            print(line, file=f)
    status = 0 if got == total else 1
    if a.expect == "full" and got != total:
        print(f"grade: expected full marks, got {got}/{total}")
        status = 1
    elif a.expect == "zero":
        earned = [label for label, g, _, _ in lines if g]
        status = 0
        if earned:
            print(f"grade: the stubs must score 0, but these earned points: {', '.join(earned)}")
            status = 1
    if a.others:
        if a.others not in spec["CONFIGS"]:
            print(f"grade: --others {a.others}: no such config in lab {a.lab}")
            return 2
        ran, problems = check_others(spec, a.lab, a.others, spec["CONFIGS"][a.others], opts)
        for p in problems:
            print(f"grade: {p}")
        if problems:
            status = 1
        else:
            print(f"grade: the test=all boot at {a.others}: {ran} cases, "
                  f"every one lab {a.lab} does not grade passed")
    return status


if __name__ == "__main__":
    sys.exit(main())
