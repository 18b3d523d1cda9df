#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pty_test.py - drive `make run-kernel` from a real pseudo-terminal, as a person would.

    python3 tests/harness/pty_test.py --build build

The README promises that the console can be left with Ctrl-A X and that
Ctrl-A C reaches QEMU's monitor. Both only work when QEMU multiplexes its
monitor on the serial console (-serial mon:stdio) and puts the terminal in
raw mode, which only happens on a real terminal: so this test gives
`make run-kernel` a pseudo-terminal, not a pipe. It
  1. starts `make run-kernel` with a short suite and no `poweroff`,
  2. waits for the kernel's last line (`kmaplab: done`; the kmaplab> monitor
     that make run-kernel then starts is monitor_test.py's subject),
  3. types Ctrl-A C and, in QEMU's monitor, reads the kmap that `demo=kmap`
     left in place: its PTE by physical address (`xp /gx`) must hold what
     the kernel printed, and the page read through the virtual address
     (`x /16c`) must show the text the kernel wrote there
     (docs/qemu-monitor.md is this session, by hand),
  4. types Ctrl-A X and checks that everything exits within 2 s, with
     status 0 and the run's verdict `run: PASS`.
Each step is one counted test; the last line is "N passed, N failed".
"""

import argparse
import os
import re
import pty
import select
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOT_TIMEOUT = 60
QUIT_LIMIT = 2.0


class Terminal:
    """A child process on the slave side of a pty; we read and type on the master."""

    def __init__(self, argv, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     cwd=REPO, env=env, start_new_session=True)
        os.close(slave)
        self.screen = b""

    def read_until(self, needle, timeout):
        """Read until needle shows up after what was already matched; True if it did."""
        start = len(self.screen)
        end = time.monotonic() + timeout
        while needle not in self.screen[start:]:
            left = end - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:         # EIO: the other side is closed
                return needle in self.screen[start:]
            if not data:
                return needle in self.screen[start:]
            self.screen += data
        return True

    def type(self, data):
        os.write(self.master, data)

    def drain(self, timeout):
        self.read_until(b"\0never\0", timeout)

    def wait(self, timeout):
        """Exit status within timeout, else None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.drain(0.05)
            st = self.proc.poll()
            if st is not None:
                return st
        return None

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.master)


def tail(screen, n=8):
    text = screen.decode(errors="replace").replace("\r", "")
    return ["| " + line for line in text.splitlines()[-n:]]


def save_screen(term, log_dir):
    """Keep the session as build/test-logs/pty.log: the docs quote it."""
    if not log_dir:
        return
    os.makedirs(log_dir, exist_ok=True)
    with open(os.path.join(log_dir, "pty.log"), "wb") as f:
        f.write(term.screen.replace(b"\r", b""))


def run_checks(build, log_dir=None):
    """[(name, ok, diagnostics)] for the pty session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["TERM"] = "xterm"
    argv = ["make", "-s", f"B={build}", "run-kernel", "MEM=1G", "SMP=2", "ARGS=test=meminfo demo=kmap"]
    term = Terminal(argv, env)
    results = []
    try:
        ok = term.read_until(b"kmaplab: done", BOOT_TIMEOUT)
        results.append(("pty.run_reaches_the_end", ok,
                        [] if ok else [f"no 'kmaplab: done' within {BOOT_TIMEOUT} s"]
                        + tail(term.screen)))
        if not ok:
            return results
        term.drain(0.3)
        text = term.screen.decode(errors="replace")
        m = re.search(r"demo: kmap\(pfn 0x[0-9a-f]+\) = ([0-9a-f]{8}), pkmap slot \d+", text)
        n = re.search(r"demo: its PTE lives at physical (0x[0-9a-f]+) and holds (0x[0-9a-f]+)",
                      text)
        diags = []
        term.type(b"\x01c")
        ok = term.read_until(b"(qemu)", 5)
        if not ok:
            diags.append("no (qemu) prompt after Ctrl-A C")
        elif not (m and n):
            ok = False
            diags.append("demo=kmap printed no mapping to look at")
        else:
            term.type(f"xp /gx {n.group(1)}\r".encode())
            want = f": {n.group(2)}".encode()
            ok = term.read_until(want, 5)
            if not ok:
                diags.append(f"xp /gx {n.group(1)} did not show the PTE {n.group(2)}")
            term.type(f"x /16c 0x{m.group(1)}\r".encode())
            if not term.read_until(b"'k' 'm' 'a' 'p' 'l' 'a' 'b'", 5):
                ok = False
                diags.append(f"x /16c 0x{m.group(1)} did not show the text written through "
                             "the kmap")
        results.append(("pty.ctrl_a_c_monitor_sees_the_kmap", ok,
                        diags + ([] if ok else tail(term.screen))))
        term.drain(0.2)
        t0 = time.monotonic()
        term.type(b"\x01x")
        status = term.wait(QUIT_LIMIT)
        took = time.monotonic() - t0
        term.drain(0.2)
        verdict = b"run: PASS" in term.screen
        ok = status == 0 and verdict
        diags = []
        if status is None:
            diags.append(f"still running {QUIT_LIMIT:g} s after Ctrl-A X")
        elif status != 0:
            diags.append(f"make exited with status {status}")
        if not verdict:
            diags.append("no 'run: PASS' verdict on the terminal")
        results.append(("pty.ctrl_a_x_quits_with_success", ok,
                        diags + ([] if ok else tail(term.screen)) +
                        ([f"quit took {took:.2f} s"] if status is not None else [])))
    finally:
        term.kill()
        save_screen(term, log_dir)
    return results


def check_main(run_checks, doc, argv=None):
    """The command line of a host check (this file, monitor_test.py,
    gdb_test.py): run it, print each check, end with "N passed, N failed"."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--build", default="build")
    opts = p.parse_args(argv)
    results = run_checks(opts.build, os.path.join(opts.build, "test-logs"))
    failed = 0
    for name, ok, diags in results:
        print(f"{'ok' if ok else 'FAIL'} {name}")
        for d in diags:
            print(f"    {d}")
        failed += not ok
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv=None):
    return check_main(run_checks, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
