#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run.py - boot the kernel once on this terminal, then give an honest verdict.

    python3 tests/harness/run.py --kernel build/kernel.elf --args 'test=kmap poweroff'
    python3 tests/harness/run.py --iso --kernel build/kernel.elf      # through GRUB

This is what `make run` and `make run-kernel` start. The serial console is
this terminal, multiplexed with QEMU's monitor (`-serial mon:stdio`):

    Ctrl-A X    quit QEMU
    Ctrl-A C    switch between the console and QEMU's monitor (info tlb, xp, ...)

Everything QEMU prints is copied to the terminal as it comes, and also read
line by line the way the test matrix reads it (matrix.Console), so the last
line is a verdict that cannot lie:

    run: PASS: 153 passed, 0 failed, 5 skipped (quit by hand after the run ended)
    run: FAIL: QEMU exit status 0: triple fault ...

How the run ended decides what is judged:
  - the kernel powered off (`poweroff`): its exit status and the KTAP results;
  - Ctrl-A X after the kernel said `kmaplab: done`: the KTAP results alone;
  - Ctrl-A X before that: no verdict (exit status 2), the run was cut short;
  - the monitor's `reboot` after `kmaplab: done` (QEMU exits with status 0
    under -no-reboot): judged as Ctrl-A X after the end;
  - QEMU exit status 0 without Ctrl-A X: a triple fault (-no-reboot);
  - QEMU failing to start (no /dev/kvm for ACCEL=kvm, say): a failure, since
    the kernel never printed its banner.
A report line (BUG:, WARNING:, ...) that no test announced fails the run, as
it fails the matrix. Exit status: 0 pass, 1 fail, 2 cut short by hand.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402

QUIT_MARK = b"QEMU: Terminated"         # what QEMU's mux prints on Ctrl-A X
DONE_MARK = "kmaplab: done"             # the kernel's last line when it idles
REBOOT_MARK = "reboot: pulsing the reset line"   # the monitor's reboot (kernel/monitor_sys.c)
BANNER = "kmaplab: a 32-bit PAE kernel"


def expects_ktap(args):
    """Does this command line run KTAP suites? (test=none and bench= do not.)"""
    words = args.split()
    if any(w.split("=")[0] in ("bench", "crash", "torture") for w in words):
        return False
    tests = [w for w in words if w.startswith("test=")]
    return not tests or tests[-1] != "test=none"


def qemu_argv(opts, boot):
    argv = [opts.qemu, "-accel", opts.accel] + boot + ["-m", opts.mem]
    if matrix.mem_bytes(opts.mem) > matrix.BACKEND_ABOVE:
        argv += ["-object", f"memory-backend-ram,id=ram0,size={opts.mem},reserve=off",
                 "-machine", "memory-backend=ram0"]
    argv += ["-smp", str(opts.smp), "-cpu", opts.cpu, "-display", "none",
             "-serial", "mon:stdio", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    return argv + opts.qemu_extra


def run_config(args):
    """A matrix-style config for one run: what its console must show."""
    cfg = dict(name="run", mem="0")
    if any(w.startswith("crash=") for w in args.split()):
        # crash= asks for a stack overflow: its report and the panic are the point.
        cfg["expect_panic"] = ["Kernel panic - not syncing"]
        cfg["expect_lines"] = [r"^BUG: kernel stack overflow"]
    if any(w.startswith("torture=") for w in args.split()):
        cfg["expect_lines"] = [r"^kmaptorture: End of test: SUCCESS: "]
    return matrix.normalise(cfg)


def verdict(console, status, quit_by_hand, ktap_expected):
    """(exit status, one line) for a finished run."""
    done = console.saw_done
    if status is None or status < 0:
        return 1, "FAIL: QEMU was killed"
    if quit_by_hand:
        if not done:
            return 2, ("STOPPED: quit by hand before the kernel said it was done; "
                       "no verdict")
        # The kernel finished and idled: judge the console as if it had
        # powered off with the status its results call for.
        failed = any(s.failed or any(c.failed for c in s.children)
                     for s in console.parser.suites)
        status = 3 if failed else 1
        how = "quit by hand after the run ended"
    else:
        how = "the kernel powered off" if status in (1, 3, 5, 7) else "QEMU exited"
    if not console.saw_banner:
        if status == 0:
            return 1, ("FAIL: the CPU reset (a triple fault, QEMU exit status 0 under "
                       "-no-reboot) before the kernel printed its banner")
        return 1, (f"FAIL: the kernel never printed its banner (QEMU exit status {status}; "
                   "QEMU's own message, if any, is above)")
    cfg = console.cfg
    if not ktap_expected and not cfg["expect_panic"]:
        if status != 1:
            return 1, f"FAIL: {matrix.STATUS_MEANING.get(status, f'QEMU exit status {status}')}"
        problems = console.reports.problems()
        if problems:
            return 1, "FAIL: " + problems[0] + " " + problems[1].strip()
        missing = [p for p, hit in zip(cfg["expect_lines"], console.line_hits) if hit is None]
        if missing:
            return 1, f"FAIL: no console line matches /{missing[0]}/"
        return 0, f"PASS: no tests asked for; {how}"
    outcome = matrix.Outcome()
    outcome.status = status
    results = matrix.judge(cfg, console, outcome)
    failed = [r for r in results if r.outcome == "fail"]
    n = {k: sum(r.outcome == k for r in results) for k in ("pass", "fail", "skip")}
    counts = f"{n['pass']} passed, {n['fail']} failed" + (
        f", {n['skip']} skipped" if n["skip"] else "")
    if failed:
        first = failed[0]
        why = first.diags[0] if first.diags else ""
        return 1, f"FAIL: {counts}; first: {first.name} {why}".rstrip()
    return 0, f"PASS: {counts} ({how})"


class RunConsole(matrix.Console):
    """matrix.Console that also notices the banner and the kernel's last line."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.saw_banner = False
        self.saw_done = False
        self.saw_reboot = False

    def feed(self, raw):
        line = matrix.ktap.clean_line(raw)
        if BANNER in line:
            self.saw_banner = True
        if line.startswith(DONE_MARK):
            self.saw_done = True
        if self.saw_done and line.startswith(REBOOT_MARK):
            self.saw_reboot = True
        super().feed(raw)


def main(argv=None):
    p = argparse.ArgumentParser(description="Boot kmaplab once on this terminal and judge it.")
    p.add_argument("--kernel", default="build/kernel.elf")
    p.add_argument("--iso", action="store_true", help="boot through GRUB (an ISO made "
                   "from --kernel, with --args in its menu entry)")
    p.add_argument("--args", default="", help="kernel command line")
    p.add_argument("--mem", default="4G")
    p.add_argument("--smp", default="4")
    p.add_argument("--cpu", default="max")
    p.add_argument("--accel", default="tcg")
    p.add_argument("--qemu", default=matrix.QEMU)
    p.add_argument("qemu_extra", nargs="*", help="more QEMU arguments, after --")
    opts = p.parse_args(argv)
    try:
        matrix.mem_bytes(opts.mem)
    except ValueError:
        p.error(f"MEM={opts.mem!r} is not a QEMU memory size (e.g. 4G, 900M)")
    if not re.fullmatch(r"[1-9]\d*", str(opts.smp)):
        p.error(f"SMP={opts.smp!r} is not a CPU count")
    if not os.path.isfile(opts.kernel):
        p.error(f"{opts.kernel} not found (run make first)")

    tmp = tempfile.TemporaryDirectory(prefix="kmaplab-run-")
    if opts.iso:
        try:
            iso = matrix.make_iso(opts.kernel, opts.args, tmp.name)
        except RuntimeError as e:
            print(f"run: {e}", file=sys.stderr)
            return 1
        boot = ["-cdrom", iso, "-boot", "d"]
    else:
        boot = ["-kernel", opts.kernel] + (["-append", opts.args] if opts.args else [])
    argv = qemu_argv(opts, boot)
    print(f"QEMU: -m {opts.mem} -smp {opts.smp} -cpu {opts.cpu} -accel {opts.accel}"
          f"{' (GRUB ISO)' if opts.iso else ''}  "
          f"[Ctrl-A X quits, Ctrl-A C toggles QEMU's monitor]", flush=True)

    console = RunConsole(run_config(opts.args))
    quit_by_hand = False
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, bufsize=0)
    except FileNotFoundError:
        print(f"run: {opts.qemu} not found: run `make deps` (tools/install-deps.sh)",
              file=sys.stderr)
        return 1
    out = sys.stdout.buffer
    pending = b""
    try:
        while True:
            chunk = proc.stdout.read1(65536) if hasattr(proc.stdout, "read1") else \
                os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            if QUIT_MARK in pending[-32:] + chunk:
                quit_by_hand = True
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                console.feed(raw + b"\n")
        if pending:
            console.feed(pending)
        status = proc.wait()
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
        print("\nrun: interrupted", flush=True)
        return 2
    console.finish()
    if status == 0 and console.saw_reboot:
        quit_by_hand = True     # a reset asked for at the monitor, not a triple fault
    code, line = verdict(console, status, quit_by_hand, expects_ktap(opts.args))
    print(f"\r\nrun: {line}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
