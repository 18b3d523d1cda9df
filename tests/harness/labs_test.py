#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""labs_test.py - every lab is gradable, and its stubs are harmless.

    make test-labs              (run by .ci/run after make test)
    python3 tests/harness/labs_test.py [--lab N ...]

For each lab: write the student's tree (tools/lab.py), build it, and grade
it: every graded item must score 0, and a test=all boot of the lab's
machine must end with every other case passing (a stub kills only the
thread that calls it); a lab whose spec sets STUB_EXPECT = "full" (lab
6, the challenge: its tree starts from the reference) must score full
marks there instead. Then grade the reference tree: full marks. For
lab 4, each wrong conversion in tests/harness/labs/lab4/ is filled into a
tree and must lose points, on the graded cases its header names.

A student tree's build starts from a copy of the reference build, so only
the files a lab changed are compiled again (tools/lab.py keeps the other
files' times). Ends with "N passed, N failed".
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "labs")
OBJ_DIRS = ("kernel", "arch", "mm", "boot", "tests")


def run(cmd, cwd=ROOT, log=None):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    if log:
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n{out}\n")
    return p.returncode, out, time.monotonic() - t0


def labs_in_tree():
    return sorted(int(m.group(1)) for f in glob.glob(os.path.join(ROOT, "labs/grade/lab*.py"))
                  if (m := re.search(r"lab(\d+)\.py$", f)))


def make_student_tree(lab, build, out, fill=None):
    """Write and build a student tree; returns (ok, message)."""
    cmd = [sys.executable, "tools/lab.py", "tree", str(lab), out, "--force"]
    if fill:
        cmd += ["--fill", fill]
    st, text, _ = run(cmd)
    if st:
        return False, f"tools/lab.py tree failed: {text.strip()}"
    tb = os.path.join(out, "build")
    for d in OBJ_DIRS:
        src = os.path.join(build, d)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(tb, d), dirs_exist_ok=True)
    st, text, secs = run(["make", "-j2", "build/kernel.elf"], cwd=out)
    if st:
        return False, "the tree does not build:\n" + "\n".join(text.strip().split("\n")[-15:])
    return True, f"built in {secs:.0f} s"


def grade(root, build, lab, *extra):
    cmd = [sys.executable, os.path.join(root, "tests/harness/grade.py"), "--root", root,
           "--build", build, "--lab", str(lab)] + list(extra)
    return run(cmd)


def fixture_catchers(path):
    """The '# caught-by: suite.case' lines at the top of a fixture."""
    with open(path) as f:
        return [m.group(1) for line in f if (m := re.match(r"#\s*caught-by:\s*(\S+)", line))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--lab", type=int, action="append")
    a = ap.parse_args(argv)
    build = os.path.abspath(a.build)
    work = os.path.join(build, "labs-test")
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, "labs-test.log")
    open(log, "w").close()
    passed, failed = 0, 0

    def result(name, ok, text=""):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {text}" if text and ok else ""))
        if not ok:
            for line in text.rstrip().split("\n"):
                print(f"    {line}")
        passed += ok
        failed += not ok
        sys.stdout.flush()

    for lab in a.lab or labs_in_tree():
        spec = {}
        exec(open(os.path.join(ROOT, f"labs/grade/lab{lab}.py")).read(), spec)
        others = spec.get("OTHERS", next(iter(spec["CONFIGS"])))
        out = os.path.join(work, f"lab{lab}")
        ok, msg = make_student_tree(lab, build, out)
        result(f"lab{lab}:tree", ok, msg)
        if ok:
            # a lab whose tree keeps the reference (lab 6) says so: full
            expect = spec.get("STUB_EXPECT", "zero")
            st, text, secs = grade(out, os.path.join(out, "build"), lab,
                                   "--expect", expect, "--others", others)
            score = re.search(r"^Score: .*$", text, re.M)
            result(f"lab{lab}:stubs-score-{expect}-and-harmless", st == 0,
                   f"{score.group(0) if score else ''}, {secs:.0f} s" if st == 0 else text)
        st, text, secs = grade(ROOT, build, lab, "--expect", "full")
        score = re.search(r"^Score: .*$", text, re.M)
        result(f"lab{lab}:solution-full-marks", st == 0,
               f"{score.group(0) if score else ''}, {secs:.0f} s" if st == 0 else text)
        for fix in sorted(glob.glob(os.path.join(FIXTURES, f"lab{lab}", "*.fill"))):
            name = os.path.basename(fix)[:-5]
            out = os.path.join(work, f"lab{lab}-{name}")
            ok, msg = make_student_tree(lab, build, out, fill=fix)
            if not ok:
                result(f"lab{lab}:wrong:{name}", False, msg)
                continue
            st, text, secs = grade(out, os.path.join(out, "build"), lab)
            lost = [ln.strip() for ln in text.split("\n") if " FAIL " in ln]
            missing = [c for c in fixture_catchers(fix)
                       if not any(ln.startswith(c + " ") for ln in lost)]
            ok = st != 0 and lost and not missing
            detail = "; ".join(lost[:3])
            if missing:
                detail = f"expected to lose points on {', '.join(missing)}\n" + text
            elif not lost:
                detail = "graded full marks\n" + text
            result(f"lab{lab}:wrong:{name}", ok, detail)
    print(f"{passed} passed, {failed} failed")
    print(f"(logs: {log}; trees in {work})")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
