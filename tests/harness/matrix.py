#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""matrix.py - boot the kernel in every QEMU configuration and judge the results.

    python3 tests/harness/matrix.py --build build            # what `make test` runs
    python3 tests/harness/matrix.py --only 64M,4G-iso -j 1   # a subset
    python3 tests/harness/matrix.py --only smp4 --test kmap_local   # one suite, one config
    python3 tests/harness/matrix.py --list                   # the matrix
    python3 tests/harness/matrix.py --selftest               # the harness's own tests
    KTEST_EXTRA_ARGS='kmap_local.guard=1' make test          # extra args for every KTAP boot

Each configuration boots build/kernel.elf (or a GRUB ISO made from it) with
`test=all poweroff`; the kernel runs its KTAP suites and leaves QEMU through
isa-debug-exit. The serial console is read line by line as it arrives: one
progress line per suite, the whole console kept in build/test-logs/<config>.log.

How a boot ends (QEMU's exit status is (v << 1) | 1 for the v the kernel wrote):
    1  v=0  every test passed          5  v=2  the kernel refused to run
    3  v=1  some test failed           7  v=3  panic
    0  a triple fault (-no-reboot): always a failure; so is a timeout.

Counting: one test per (config, KTAP case). A configuration that fails as a
whole adds one failed test "<config>:boot"; an expected refusal is one test
"<config>:refusal", an expected panic one test "<config>:panic"; every
expect_lines entry is one test "<config>:line:<n>".
A suite that says "not ok" with no failing case, or reports a different
number of cases than its plan, adds one failed test "<config>:<suite>"; a
suite skipped as a whole is one skipped test.
Every suite must leave the machine as it found it: the kernel prints its
free pages per zone before and after each suite ("# free pages before
kmap: DMA 3956 Normal 212222 HighMem 524013", kernel/ktest_pages.c), and
each suite with both lines is one test "<config>:<suite>:free-pages",
failed if any zone's count differs.
The last line printed is "N passed, N failed" (", N skipped" when there were
skips); the exit status is 0 only when nothing failed.

The longest configurations start first (the times of the last run are kept
in build/test-logs/durations.json). An ISO boot whose GRUB reports an error
is stopped at once instead of waiting for the timeout.

Adding a configuration: append a dict to CONFIGS. Keys:
    name            short, unique; used for the log file and in test names
    mem             QEMU -m (above 23G the memory-backend options are added)
    smp, cpu        default 2 and "max"
    iso             True: boot through GRUB from a per-config ISO
    extra_args      appended to "test=all poweroff"
    timeout         seconds (default 60)
    expect_lines    regexes (re.search) that some console line must match
    expect_refusal  substring: the kernel must refuse (status 5) saying this
    inject          an injection's name: boot build/kernel-inject.elf with inject=NAME,
                    and expect the run to FAIL; it passes when something caught the
                    bug, and says what ("caught by kmap.case (and kmaptorture, 0.8 s)")
    ktap            False: the boot runs no KTAP suites (torture=...); it is judged
                    on status 1 ("passed"), its expect_lines and its reports
    expect_panic    substring, or list of them: the kernel must panic (status 7)
                    within the timeout with every one on the console (a triple
                    fault, status 0, fails). Such a boot is judged on the panic
                    and expect_lines alone, like a refusal: no KTAP expected.
"""

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402
import reports  # noqa: E402

CONFIGS = [
    dict(name="64M", mem="64M", smp=1, cpu="max"),
    dict(name="512M", mem="512M"),
    dict(name="1G", mem="1G"),
    dict(name="4G-iso", mem="4G", cpu="max", iso=True,
         expect_lines=[r"^896MB LOWMEM available\.$",
                       r"^4224MB HIGHMEM available\.$"]),
    dict(name="8G", mem="8G"),
    dict(name="16G", mem="16G"),
    dict(name="48G", mem="48G", timeout=120),
    # qemu32: PAE and PGE, but no NX and only 32 physical address bits.
    # Linux words a CPU without NX as "Notice: NX (Execute Disable)
    # protection missing in CPU!"; either wording says it is not in use.
    dict(name="qemu32", mem="4G", cpu="qemu32",
         expect_lines=[r"NX \(Execute Disable\) protection(: not active| missing in CPU)"]),
    # SMP sizes (the scheduler and the kmap APIs on 1, 3, 4 and 8 CPUs).
    dict(name="smp1", mem="4G", smp=1),
    dict(name="smp3", mem="2G", smp=3),
    dict(name="smp4", mem="4G", smp=4),
    dict(name="smp8", mem="2G", smp=8, timeout=90),
    # The kmap_local debug modes (guard slots, lowmem through slots) and
    # PREEMPT_RT's kmap_atomic, at one CPU and at four.
    dict(name="debug-smp1", mem="4G", smp=1,
         extra_args="kmap_local.guard=1 kmap_local.force_map=1"),
    dict(name="debug-smp4", mem="4G", smp=4,
         extra_args="kmap_local.guard=1 kmap_local.force_map=1"),
    # Guard slots at 8 CPUs: the last CPU's slots end right below the
    # local APIC's fixmap entry, so an unwind past them shows.
    dict(name="debug-smp8", mem="2G", smp=8, timeout=90,
         extra_args="kmap_local.guard=1 kmap_local.force_map=1"),
    # ... and with every expected report printed whole (the docs quote them).
    dict(name="rt", mem="2G", smp=2, extra_args="kmap_atomic.rt=1 ktest.verbose=1"),
    # Just above the 896 MiB of lowmem: a few hundred highmem pages, fewer
    # than the pkmap pool, so the cases that need a pool's worth skip --
    # and must give back what they took (the free-page census).
    dict(name="897M", mem="897M"),
    dict(name="900M", mem="900M", smp=3),
    # Every highmem page through kmap_local at 4G; a sampled sweep at 48G.
    # (The sweep suite is left out of test=all: it is the slow one.)
    dict(name="sweep-4G", mem="4G", extra_args="test=highmem_sweep"),
    dict(name="sweep-48G", mem="48G", extra_args="test=highmem_sweep", timeout=120),
    # kmaptorture: every API at once with signature checks, ~10 s a boot.
    dict(name="torture-smp2", mem="2G", smp=2, extra_args="test=none torture=kmap,secs=8",
         ktap=False, timeout=60,
         expect_lines=[r"^kmaptorture: End of test: SUCCESS: .* mismatches=0$"]),
    dict(name="torture-smp4", mem="4G", smp=4, extra_args="test=none torture=kmap,secs=10",
         ktap=False, timeout=60,
         expect_lines=[r"^kmaptorture: End of test: SUCCESS: .* mismatches=0$"]),
] + [
    # Injected bugs (kernel/inject.h): each boot must fail, and says what
    # caught it. Each runs the smallest selection that catches it by a
    # named case (test= takes suite.case), and kmaptorture for 2 s where
    # kmaptorture catches it too; the whole suite still catches each one
    # (the catchers of a test=all run are listed in the closing note of
    # issue 8).
    dict(name=f"inject-{inj}", mem=mem, smp=smp, inject=inj, timeout=60,
         extra_args=f"test={suites} torture=kmap,secs={secs}" if secs else f"test={suites}")
    for inj, suites, mem, smp, secs in [
        ("no_wrap_flush", "kmap.no_cpu_reads_stale_page_after_wrap", "2G", 2, 2),
        ("wrap_flush_local", "kmap.no_cpu_reads_stale_page_after_wrap", "2G", 2, 2),
        ("wrap_flush_unlocked", "kmap.wrap_flush_is_done_everywhere_before_kmap_lock_is_free",
         "2G", 2, 0),
        # kmaptorture catches this one too (in about 2 s), and so does
        # concurrent_kmap_on_several_cpus_keeps_pages_apart, but the pool
        # either leaves can hang a CPU (a hash list corrupted under its
        # bucket lock): the boot would then wait for the timeout.
        ("no_kmap_lock", "kmap.kmap_of_a_page_being_mapped_waits_for_kmap_lock", "2G", 2, 0),
        ("no_full_recheck", "kmap.woken_kmap_finds_the_page_mapped_while_it_slept", "2G", 2, 0),
        ("no_kunmap_wakeup", "kmap.kmap_sleeps_while_pool_full", "2G", 2, 0),
        ("switch_out_no_clear",
         "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", "2G", 2, 0),
        ("switch_in_no_restore",
         "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", "2G", 2, 0),
        ("switch_newest_only",
         "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", "2G", 2, 0),
        ("local_no_migrate_disable",
         "kmap_local.local_map_holder_is_preempted_but_not_migrated", "2G", 2, 2),
        ("local_no_preempt_window", "kmap_local.reschedule_inside_a_map_waits_for_its_end",
         "2G", 2, 0),
        ("kunmap_local_no_invlpg", "kmap_local.slot_faults_after_kunmap_local", "2G", 2, 2),
        ("set_pte_low_first", "pgtable.set_pte_stores_high_word_before_low", "2G", 2, 0),
        ("atomic_no_pagefault_disable",
         "kmap_atomic.disables_preemption_and_faults_even_for_lowmem", "2G", 2, 2),
        ("atomic_no_preempt_disable", "kmap_atomic.no_context_switch_inside_the_section",
         "2G", 2, 2),
        ("rt_atomic_no_migrate_disable",
         "kmap_atomic.rt_flavour_is_preemptible_not_migratable kmap_atomic.rt=1", "2G", 2, 0),
        ("migrate_enable_forgets", "sched.migrate_disable_defers_move_but_allows_preemption",
         "2G", 2, 0),
        ("preempt_enable_no_resched",
         "sched.preempt_enable_switches_when_a_reschedule_is_pending", "2G", 2, 0),
        ("tlb_flush_local", "tlb.shootdown_invlpg_reaches_other_cpu", "2G", 2, 2),
        # flush_cr3_reload: caught only on Bochs (tests/harness/bochs.py)
        ("memcpy_page_short", "highmem_helpers", "2G", 2, 0),
    ]
] + [
    dict(name="pentium", mem="64M", cpu="pentium",
         expect_refusal="needs a CPU with PAE"),
    dict(name="tiny", mem="16M", expect_refusal="RAM"),
    dict(name="badopt", mem="64M", extra_args="frobnicate=1",
         expect_refusal="unknown command-line option 'frobnicate=1'"),
    # A kernel stack overflow runs into the unmapped guard page below the
    # stack: a double fault, reported, then a panic -- never a silent
    # triple fault. A thread's stack (highmem-backed at 1G), the boot
    # CPU's idle stack (the boot stack), an AP's idle stack.
    dict(name="overflow", mem="1G", extra_args="crash=stack_overflow", timeout=20,
         expect_panic=["PANIC: double fault", "Kernel panic - not syncing: Machine halted."],
         expect_lines=[r"^BUG: kernel stack overflow: esp [0-9a-f]{8}, task stack is "
                       r"[0-9a-f]{8}-[0-9a-f]{8}$",
                       r"^CPU: \d+ PID: [1-9]\d* Comm: stack_overflow "]),
    dict(name="overflow-boot", mem="64M", extra_args="crash=boot_stack_overflow", timeout=20,
         expect_panic=["PANIC: double fault", "Kernel panic - not syncing: Machine halted."],
         expect_lines=[r"^BUG: kernel stack overflow: esp [0-9a-f]{8}, boot stack is "
                       r"[0-9a-f]{8}-[0-9a-f]{8}$",
                       r"^CPU: 0 PID: 0 Comm: swapper/0 "]),
    dict(name="overflow-ap", mem="1G", smp=3, extra_args="crash=ap_stack_overflow", timeout=20,
         expect_panic=["PANIC: double fault", "Kernel panic - not syncing: Machine halted."],
         expect_lines=[r"^BUG: kernel stack overflow: esp [0-9a-f]{8}, task stack is "
                       r"[0-9a-f]{8}-[0-9a-f]{8}$",
                       r"^CPU: 1 PID: 0 Comm: swapper/1 "]),
]

DEFAULTS = dict(smp=2, cpu="max", iso=False, extra_args="", timeout=60,
                expect_lines=(), expect_refusal=None, expect_panic=None, ktap=True,
                inject=None)
BASE_ARGS = "test=all poweroff"
QEMU = "qemu-system-i386"
QEMU_COMMON = ["-display", "none", "-serial", "stdio", "-monitor", "none",
               "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
BACKEND_ABOVE = 23 << 30        # -m above this needs memory-backend-ram
LOG_CAP = 64 << 20              # stop writing a runaway console log here
TAIL_LINES = 15                 # console lines quoted for a failed boot
QUOTE_WIDTH = 160               # ... each cut to this many characters
# After an "error: ..." GRUB waits for a key that never comes (stdin is
# /dev/null), then gives up on the entry: no reason to wait for the timeout.
GRUB_WAITS = ("Press any key to continue", "Failed to boot both default and fallback entries")
# The free-page census around each suite (kernel/ktest_pages.c).
FREE_PAGES_RE = re.compile(r"^\s*# free pages (before|after) (\S+): ((?:\S+ \d+ ?)+)$")

STATUS_MEANING = {
    0: "triple fault (QEMU exits 0 on a CPU reset under -no-reboot)",
    1: "all tests passed (v=0)",
    3: "some test failed (v=1)",
    5: "the kernel refused to run (v=2)",
    7: "kernel panic (v=3)",
}

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------- configs

def mem_bytes(mem):
    """QEMU's -m syntax: a number with an optional K/M/G/T suffix (M if none)."""
    m = re.fullmatch(r"(\d+)([KMGT]?)B?", str(mem).strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"bad memory size {mem!r}")
    shift = {"K": 10, "": 20, "M": 20, "G": 30, "T": 40}[m.group(2).upper()]
    return int(m.group(1)) << shift


def normalise(cfg):
    """A config dict with every key filled in; unknown keys are an error."""
    unknown = set(cfg) - set(DEFAULTS) - {"name", "mem"}
    if unknown:
        raise ValueError(f"config {cfg.get('name')!r}: unknown key(s) {sorted(unknown)}")
    if "name" not in cfg or "mem" not in cfg:
        raise ValueError(f"config {cfg!r}: 'name' and 'mem' are required")
    out = dict(DEFAULTS)
    out.update(cfg)
    out["expect_lines"] = list(out["expect_lines"])
    if isinstance(out["expect_panic"], str):
        out["expect_panic"] = [out["expect_panic"]]
    if out["expect_panic"] is not None:
        out["expect_panic"] = list(out["expect_panic"])
        if not out["expect_panic"] or not all(isinstance(w, str) and w
                                              for w in out["expect_panic"]):
            raise ValueError(f"config {cfg['name']!r}: expect_panic needs non-empty strings")
        if out["expect_refusal"]:
            raise ValueError(f"config {cfg['name']!r}: expect_refusal and expect_panic "
                             "exclude each other")
    mem_bytes(out["mem"])
    return out


def kernel_args(cfg, extra_env=None, test=None):
    """The kernel command line for a config.

    test (--test / make test TEST=...) replaces the suites a KTAP config
    runs, its own test= included; refusal and panic configs keep theirs.
    """
    args = BASE_ARGS
    extra = cfg["extra_args"]
    if test and not cfg["expect_refusal"] and not cfg["expect_panic"] and cfg["ktap"]:
        args = args.replace("test=all", "test=" + test)
        extra = re.sub(r"(^|\s)test=\S*", "", extra).strip()
    if extra:
        args += " " + extra
    if cfg["inject"]:
        args += " inject=" + cfg["inject"]
    if extra_env and not cfg["expect_refusal"] and not cfg["expect_panic"]:
        args += " " + extra_env
    return args


def kernel_for(cfg, opts):
    """The ELF a config boots: the injection build for inject= configs."""
    if cfg["inject"]:
        return os.path.join(os.path.dirname(opts.kernel), "kernel-inject.elf")
    return opts.kernel


def qemu_command(cfg, qemu, boot):
    """QEMU's argv; boot is ["-kernel", elf, "-append", args] or ["-cdrom", iso, "-boot", "d"]."""
    mem = str(cfg["mem"])
    cmd = [qemu, "-accel", "tcg"] + list(boot)
    cmd += ["-m", mem]
    if mem_bytes(mem) > BACKEND_ABOVE:
        cmd += ["-object", f"memory-backend-ram,id=ram0,size={mem},reserve=off",
                "-machine", "memory-backend=ram0"]
    cmd += ["-smp", str(cfg["smp"]), "-cpu", cfg["cpu"]] + QEMU_COMMON
    return cmd


def estimate(cfg, previous):
    """Seconds a config is expected to take: last run's time, else a guess."""
    if cfg["name"] in previous:
        return previous[cfg["name"]]
    if cfg["expect_refusal"]:
        return 0.5
    if cfg["expect_panic"]:
        return 1.0
    return 1.0 + mem_bytes(cfg["mem"]) / (1 << 30) * 0.5 + (1.5 if cfg["iso"] else 0)


# ---------------------------------------------------------------- console

class Printer:
    """Serialises output from the worker threads; every line is flushed."""

    def __init__(self, out, width):
        self.out = out
        self.width = width
        self.lock = threading.Lock()
        self.closed = False

    def close(self, last):
        """Print a last line; later lines from the workers are dropped."""
        with self.lock:
            self.out.write(last + "\n")
            self.out.flush()
            self.closed = True

    def line(self, text=""):
        with self.lock:
            if self.closed:
                return
            self.out.write(text + "\n")
            self.out.flush()

    def tag(self, name, text):
        self.line(f"[{name.ljust(self.width)}] {text}")


def suite_progress(suite):
    """'memmap ............ 3/4 FAIL (maps_above_4g)' for a finished suite."""
    passed, failed, skipped, failing = ktap.tally(suite)
    total = max(suite.plan or 0, len(suite.children))
    dots = "." * max(3, 24 - len(suite.name))
    head = f"{suite.name} {dots} {passed + skipped}/{total}"
    if suite.skipped and not suite.children:
        return f"{suite.name} {dots} skipped" + (f" ({suite.reason})" if suite.reason else "")
    if suite.failed or failed or (suite.plan is not None and len(suite.results()) != suite.plan):
        why = ", ".join(failing) if failing else (
            "no result line" if suite.missing else
            f"{len(suite.results())} of {suite.plan} cases reported"
            if suite.plan is not None and len(suite.results()) != suite.plan else "suite")
        text = f"{head} FAIL ({why})"
    else:
        text = f"{head} ok"
    if skipped:
        text += f", {skipped} skipped"
    return text


class Console:
    """Everything read from one boot's serial console, kept as it streams."""

    def __init__(self, cfg, on_suite=None):
        self.cfg = cfg
        self.on_suite = on_suite
        self.parser = ktap.KtapParser(on_result=self._result)
        self.line_hits = [None] * len(cfg["expect_lines"])
        self.patterns = [re.compile(p) for p in cfg["expect_lines"]]
        self.refusal_line = None
        self.panic_hits = [None] * len(cfg["expect_panic"] or ())
        self.tail = collections.deque(maxlen=TAIL_LINES)
        self.grub_errors = []
        self.abort = None           # set when waiting for the timeout is pointless
        # A crash configuration's expected panic text covers its report lines.
        self.torture_start = None   # guest seconds of "kmaptorture: N s on ..."
        self.first_mismatch = None  # ... and of its first MISMATCH line
        self.reports = reports.ReportWatcher(
            list(cfg["expect_panic"] or ()) + self.patterns)
        self.free_pages = {}        # suite -> {"before": line, "after": line}

    def _result(self, node, depth):
        if depth == 1 and self.on_suite:
            self.on_suite(node)

    def feed(self, raw):
        line = ktap.clean_line(raw)
        if line.startswith("kmaptorture: "):
            self._torture_time(raw, line)
        if line.strip():
            self.tail.append(line if len(line) <= QUOTE_WIDTH else line[:QUOTE_WIDTH] + "...")
        if self.cfg["iso"] and not self.parser.started:
            if line.startswith("error: ") and len(self.grub_errors) < 5:
                self.grub_errors.append(line)
            self.peek(line)
        for i, pat in enumerate(self.patterns):
            if self.line_hits[i] is None and pat.search(line):
                self.line_hits[i] = line
        m = FREE_PAGES_RE.match(line) if self.parser.started else None
        if m:
            self.free_pages.setdefault(m.group(2), {})[m.group(1)] = line.strip()
        want = self.cfg["expect_refusal"]
        if want and self.refusal_line is None and want in line:
            self.refusal_line = line
        for i, want in enumerate(self.cfg["expect_panic"] or ()):
            if self.panic_hits[i] is None and want in line:
                self.panic_hits[i] = line
        self.parser.feed(line)
        self.reports.feed(line)

    def _torture_time(self, raw, line):
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        m = re.match(r"\s*\[\s*(\d+\.\d+)\]", raw)
        if not m:
            return
        t = float(m.group(1))
        if self.torture_start is None and re.match(r"kmaptorture: \d+ s on ", line):
            self.torture_start = t
        elif self.first_mismatch is None and line.startswith("kmaptorture: MISMATCH"):
            self.first_mismatch = t

    def peek(self, partial):
        """Look at a line not finished yet: GRUB's prompts end without a newline."""
        if isinstance(partial, bytes):
            partial = ktap.clean_line(partial)
        if (self.cfg["iso"] and self.abort is None and not self.parser.started
                and any(w in partial for w in GRUB_WAITS)
                and (self.grub_errors or GRUB_WAITS[1] in partial)):
            self.abort = "GRUB could not boot the kernel: " + (
                " ".join(self.grub_errors) or partial.strip())

    def finish(self):
        self.parser.finish()

    def last_line(self):
        return self.tail[-1] if self.tail else "(no output)"


# ---------------------------------------------------------------- running

class Outcome:
    """How one QEMU run ended."""

    def __init__(self):
        self.status = None          # QEMU's exit status; negative: killed by a signal
        self.timed_out = False
        self.timeout = None         # the limit this run had, in seconds
        self.error = None           # could not even start (no QEMU, ISO failed, ...)
        self.aborted = None         # stopped early: the console showed it was stuck
        self.elapsed = 0.0
        self.stderr = ""
        self.cmd = []
        self.rerun = ""
        self.log_truncated = False


class Live:
    """QEMU processes still running, so an interrupt can kill them all."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs = set()
        self.stopping = False

    def add(self, proc):
        with self.lock:
            if self.stopping:
                kill_group(proc)
            self.procs.add(proc)

    def remove(self, proc):
        with self.lock:
            self.procs.discard(proc)

    def kill_all(self):
        with self.lock:
            self.stopping = True
            for proc in self.procs:
                kill_group(proc)


def kill_group(proc):
    """Kill QEMU and anything it started (it leads its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grub_quote(word):
    if re.fullmatch(r"[A-Za-z0-9_.,=:/+@%-]+", word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def make_iso(elf, args, tmp):
    """A GRUB rescue ISO whose menu entry passes args; returns its path."""
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "boot", "grub"))
    shutil.copyfile(elf, os.path.join(root, "boot", "kernel.elf"))
    with open(os.path.join(REPO, "boot", "grub.cfg")) as f:
        template = f.read()
    if "@ARGS@" not in template:
        raise RuntimeError("boot/grub.cfg has no @ARGS@ placeholder")
    quoted = " ".join(grub_quote(w) for w in args.split())
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write(template.replace("@ARGS@", quoted))
    iso = os.path.join(tmp, "kernel.iso")
    try:
        r = subprocess.run(["grub-mkrescue", "-o", iso, root], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    except FileNotFoundError:
        raise RuntimeError("grub-mkrescue not found (run tools/install-deps.sh)")
    if r.returncode != 0 or not os.path.exists(iso):
        tail = r.stdout.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError("grub-mkrescue failed: " + " | ".join(tail))
    return iso


def run_config(cfg, opts, printer, live):
    """Boot one configuration; returns (Console, Outcome)."""
    name = cfg["name"]
    console = Console(cfg, on_suite=lambda s: printer.tag(name, suite_progress(s)))
    outcome = Outcome()
    args = kernel_args(cfg, opts.extra_args, opts.test)
    timeout = opts.timeout if opts.timeout is not None else cfg["timeout"]
    log_path = os.path.join(opts.log_dir, f"{name}.log")
    tmp = None
    try:
        if cfg["iso"]:
            tmp = tempfile.mkdtemp(prefix=f"kmaplab-{name}-")
            try:
                iso = make_iso(kernel_for(cfg, opts), args, tmp)
            except (OSError, RuntimeError) as e:
                outcome.error = f"could not build the ISO: {e}"
                open(log_path, "wb").close()
                return console, outcome
            boot = ["-cdrom", iso, "-boot", "d"]
            outcome.rerun = (f"make run MEM={cfg['mem']} SMP={cfg['smp']} "
                             f"CPU={cfg['cpu']} ARGS={shlex.quote(args)}")
        else:
            boot = ["-kernel", kernel_for(cfg, opts), "-append", args]
        outcome.timeout = timeout
        outcome.cmd = qemu_command(cfg, opts.qemu, boot)
        if not outcome.rerun:
            outcome.rerun = shlex.join(outcome.cmd)
        boot_once(console, outcome, timeout, log_path, live)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return console, outcome


def boot_once(console, outcome, timeout, log_path, live):
    """Run outcome.cmd under the timeout, streaming its stdout into console."""
    errfile = tempfile.TemporaryFile()
    start = time.monotonic()
    try:
        proc = subprocess.Popen(outcome.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=errfile, start_new_session=True)
    except OSError as e:
        outcome.error = f"could not start {outcome.cmd[0]}: {e}"
        open(log_path, "wb").close()
        errfile.close()
        return
    live.add(proc)
    fired = threading.Event()

    def expire():
        fired.set()
        kill_group(proc)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    written = 0
    pending = b""
    fd = proc.stdout.fileno()
    try:
        with open(log_path, "wb") as log:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                if written < LOG_CAP:
                    log.write(chunk)
                    log.flush()
                    written += len(chunk)
                    if written >= LOG_CAP:
                        log.write(b"\n[test harness: log truncated here]\n")
                        outcome.log_truncated = True
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    console.feed(raw + b"\n")
                if pending:
                    console.peek(pending)
                if console.abort and not outcome.aborted:
                    outcome.aborted = console.abort
                    kill_group(proc)
            if pending:
                console.feed(pending)
        # stdout is closed; QEMU is exiting (or the timer killed it).
        remaining = max(0.1, timeout - (time.monotonic() - start))
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            expire()
            proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            kill_group(proc)
            proc.wait()
        live.remove(proc)
        proc.stdout.close()
    outcome.elapsed = time.monotonic() - start
    outcome.timed_out = fired.is_set()
    outcome.status = proc.returncode
    errfile.seek(0)
    outcome.stderr = errfile.read().decode(errors="replace")
    errfile.close()
    console.finish()


# ---------------------------------------------------------------- judging

class Result:
    """One counted test."""

    def __init__(self, name, outcome, diags=()):
        self.name = name
        self.outcome = outcome      # "pass", "fail" or "skip"
        self.diags = list(diags)

    def __repr__(self):
        return f"<Result {self.name} {self.outcome}>"


def case_results(config, suite):
    """Tests for one suite: its cases, plus one for the suite itself if needed."""
    results = []
    for case in suite.children:
        test = f"{config}:{suite.name}.{case.name}"
        if case.failed:
            diags = [f"# {d}" for d in case.diags]
            for sub in case.children:       # parameterised cases
                if sub.failed:
                    diags += [f"# {sub.name}: {d}" for d in sub.diags]
                    diags.append(f"not ok: {sub.name}")
            results.append(Result(test, "fail", diags))
        elif case.skipped:
            results.append(Result(test, "skip", [case.reason] if case.reason else []))
        else:
            results.append(Result(test, "pass"))

    test = f"{config}:{suite.name}"
    problems = []
    if suite.missing:
        pass                                # the boot test reports a cut-off suite
    elif suite.skipped and not suite.children:
        results.append(Result(test, "skip", [suite.reason] if suite.reason else []))
    else:
        got = len(suite.results())
        if suite.plan is None and suite.children:
            problems.append(f"suite has no plan (1..N) for its {got} results")
        elif suite.plan is not None and got != suite.plan:
            problems.append(f"planned {suite.plan} cases, {got} reported")
        if suite.ok is False and not suite.skipped and not any(c.failed for c in suite.children):
            problems.append("suite reported 'not ok' with no failing case")
            problems += [f"# {d}" for d in suite.diags]
        if problems:
            results.append(Result(test, "fail", problems))
    return results


def free_page_results(config, console):
    """One test per suite with both census lines: every zone's count equal."""
    results = []
    for suite, seen in console.free_pages.items():
        if "before" not in seen or "after" not in seen:
            continue                        # cut off: the boot test reports it
        before, after = (FREE_PAGES_RE.match(seen[w]).group(3) for w in ("before", "after"))
        counts = [dict(zip(text.split()[::2], map(int, text.split()[1::2])))
                  for text in (before, after)]
        test = f"{config}:{suite}:free-pages"
        changed = [f"{zone} {counts[1].get(zone, 0) - n:+d}" for zone, n in counts[0].items()
                   if counts[1].get(zone) != n]
        if not changed and set(counts[0]) == set(counts[1]):
            results.append(Result(test, "pass"))
        else:
            results.append(Result(test, "fail", [
                f"the suite did not leave the free pages as it found them: "
                f"{', '.join(changed) or 'different zones'}",
                seen["before"], seen["after"]]))
    return results


def judge(cfg, console, outcome):
    """Turn one boot into counted tests (an inject= config: one test, inverted)."""
    if cfg["inject"]:
        return judge_injection(cfg, console, outcome)
    return judge_boot(cfg, console, outcome)


def judge_injection(cfg, console, outcome):
    """A boot with a bug put in on purpose passes when something caught it."""
    name = cfg["name"]
    plain = dict(cfg, inject=None)
    results = judge_boot(plain, console, outcome)
    if outcome.error:
        return [Result(f"{name}:caught", "fail", [outcome.error])]
    catchers = [r.name.split(":", 1)[1] for r in results
                if r.outcome == "fail" and r.name.count(":") == 1
                and not r.name.endswith((":boot", ":reports")) and ":line:" not in r.name]
    how = []
    if catchers:
        how.append(", ".join(catchers[:6]) + (f" and {len(catchers) - 6} more"
                                               if len(catchers) > 6 else ""))
    if console.first_mismatch is not None and console.torture_start is not None:
        how.append(f"kmaptorture, {console.first_mismatch - console.torture_start:.1f} s")
    elif any(r.outcome == "fail" for r in results if ":line:" in r.name):
        how.append("kmaptorture's verdict")
    if console.reports.unexpected:
        how.append(f"an unannounced report: {console.reports.unexpected[0][1][:80]}")
    st = outcome.status
    if outcome.timed_out:
        how.append(f"a hang (boot timeout {outcome.timeout:g} s)")
    elif st == 7:
        how.append("a panic")
    elif st == 0:
        how.append("a triple fault")
    if how:
        text = "caught by " + how[0] + "".join(f" (and {h})" for h in how[1:])
        return [Result(f"{name}:caught", "pass", [text])]
    return [Result(f"{name}:caught", "fail",
                   [f"inject={cfg['inject']}: nothing caught it: every case passed"
                    + (" and kmaptorture said SUCCESS" if "torture=" in cfg["extra_args"] else "")]
                   + boot_context(console, outcome))]


def judge_boot(cfg, console, outcome):
    """Turn one boot into counted tests."""
    name = cfg["name"]
    results = []
    st = outcome.status

    def ended():
        if outcome.error:
            return outcome.error
        if outcome.aborted:
            return outcome.aborted + " (QEMU killed)"
        if outcome.timed_out:
            return f"timed out after {outcome.timeout:g} s (QEMU process group killed)"
        if st is not None and st < 0:
            return f"QEMU was killed by signal {-st}"
        return f"QEMU exit status {st}: {STATUS_MEANING.get(st, 'not a status the kernel sends')}"

    if cfg["expect_refusal"]:
        want = cfg["expect_refusal"]
        if (outcome.error is None and outcome.aborted is None and not outcome.timed_out
                and st == 5 and console.refusal_line):
            results.append(Result(f"{name}:refusal", "pass"))
        else:
            diags = [f"expected a refusal (status 5) mentioning {want!r}; got: {ended()}"]
            if st == 5 and not console.refusal_line:
                diags.append(f"status 5, but no console line contains {want!r}")
            diags += boot_context(console, outcome)
            results.append(Result(f"{name}:refusal", "fail", diags))
    elif cfg["expect_panic"]:
        missing = [w for w, hit in zip(cfg["expect_panic"], console.panic_hits) if hit is None]
        if (outcome.error is None and outcome.aborted is None and not outcome.timed_out
                and st == 7 and not missing):
            results.append(Result(f"{name}:panic", "pass"))
        else:
            diags = [f"expected a panic (status 7) printing {cfg['expect_panic']!r}; "
                     f"got: {ended()}"]
            diags += [f"no console line contains {w!r}" for w in missing]
            diags += boot_context(console, outcome)
            results.append(Result(f"{name}:panic", "fail", diags))
    elif not cfg["ktap"]:
        if outcome.error or outcome.aborted or outcome.timed_out or st != 1:
            results.append(Result(f"{name}:boot", "fail",
                                  [ended()] + boot_context(console, outcome)))
        else:
            results.append(Result(f"{name}:boot", "pass"))
    else:
        parser = console.parser
        for suite in parser.suites:
            results += case_results(name, suite)
        reasons = []
        if outcome.error or outcome.aborted or outcome.timed_out or st not in (1, 3):
            reasons.append(ended())
            if st == 5:
                reasons.append(f"refusal: {console.last_line()}")
        if outcome.error is None:
            got = len([s for s in parser.suites if not s.missing])
            if not parser.started:
                reasons.append("no 'KTAP version 1' line on the console")
            elif parser.plan is None:
                reasons.append("no KTAP plan (1..N) on the console")
            elif got < parser.plan:
                reasons.append(f"only {got} of {parser.plan} suites reported")
            elif got > parser.plan:
                reasons.append(f"{got} suites reported, but the plan said {parser.plan}")
            for s in parser.suites:
                if s.missing:
                    reasons.append(f"suite '{s.name}' was cut off after "
                                   f"{len(s.results())} case(s)")
            failures = any(r.outcome == "fail" for r in results)
            if st == 1 and failures:
                reasons.append("the kernel exited with 'all passed' (status 1) "
                               "but KTAP reports failures")
            if st == 3 and not failures and not reasons:
                reasons.append("the kernel exited with 'some test failed' (status 3) "
                               "but every KTAP result passed")
            reasons += [f"KTAP: {p}" for p in parser.problems]
        if reasons:
            results.append(Result(f"{name}:boot", "fail", reasons + boot_context(console, outcome)))
        # After the status checks: the kernel does not judge its own census.
        results += free_page_results(name, console)

    if outcome.error is None:
        unexpected = console.reports.problems()
        if unexpected:
            results.append(Result(f"{name}:reports", "fail", unexpected))

    for i, (pattern, hit) in enumerate(zip(cfg["expect_lines"], console.line_hits), 1):
        test = f"{name}:line:{i}"
        if hit is not None:
            results.append(Result(test, "pass"))
        else:
            results.append(Result(test, "fail", [f"no console line matches /{pattern}/"]))
    return results


def boot_context(console, outcome):
    """The end of the console, QEMU's stderr and how to rerun, for a failed boot."""
    lines = []
    if console.tail:
        lines.append(f"last {len(console.tail)} console lines:")
        lines += ["| " + t for t in console.tail]
    else:
        lines.append("the console stayed empty")
    err = outcome.stderr.strip().splitlines()
    if err:
        lines.append("QEMU stderr:")
        lines += ["| " + e for e in err[-10:]]
    if outcome.log_truncated:
        lines.append(f"the console log was cut at {LOG_CAP >> 20} MB")
    if outcome.rerun:
        lines.append("rerun: " + outcome.rerun)
    return lines


def config_summary(cfg, results, outcome):
    """The one line printed when a configuration is done."""
    n = collections.Counter(r.outcome for r in results)
    failed = [r for r in results if r.outcome == "fail"]
    took = f"{outcome.elapsed:.1f} s"
    if cfg["expect_refusal"]:
        if not failed:
            return f"refused as expected ({took})"
        return f"FAIL ({took}): no refusal: {failed[0].diags[0]}"
    if cfg["expect_panic"]:
        if not failed:
            return f"panicked as expected ({took}): {n['pass']} passed"
        return f"FAIL ({took}): {failed[0].diags[0]}"
    if cfg["inject"]:
        r = results[0]
        return (f"{'ok' if r.outcome == 'pass' else 'FAIL'} ({took}): inject={cfg['inject']}: "
                f"{r.diags[0] if r.diags else ''}")
    counts = f"{n['pass']} passed, {n['fail']} failed" + (
        f", {n['skip']} skipped" if n["skip"] else "")
    boot = [r for r in results if r.name.endswith(":boot") and r.outcome == "fail"]
    if boot:
        return f"FAIL ({took}): {boot[0].diags[0]}; {counts}"
    return f"{'ok' if not failed else 'FAIL'} ({took}, status {outcome.status}): {counts}"


# ---------------------------------------------------------------- main

def run_pool(order, work, jobs, live, printer, what):
    """work(cfg) for each config, jobs at a time; {name: result}, or None
    after Ctrl-C (every emulator killed). Shared with bochs.py."""
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = {c["name"]: pool.submit(work, c) for c in order}
    finished = {}
    try:
        for cfg in order:
            finished[cfg["name"]] = futures[cfg["name"]].result()
    except KeyboardInterrupt:
        live.kill_all()
        pool.shutdown(wait=False, cancel_futures=True)
        printer.close(f"interrupted: {what} processes killed")
        return None
    pool.shutdown()
    return finished


def print_failures(printer, failed, where):
    """The 'Failures:' block: each failed test, its diagnostics, and
    where(cfg) (the log to read, or None)."""
    if not failed:
        return
    printer.line()
    printer.line("Failures:")
    for cfg, r in failed:
        printer.line()
        printer.line(f"FAIL {r.name}")
        for d in r.diags:
            printer.line(f"    {d}")
        path = where(cfg)
        if path:
            printer.line(f"    {path}")
    printer.line()


def run_matrix(configs, opts, out=sys.stdout):
    """Run configs, print progress and the report; returns the exit status."""
    configs = [normalise(c) for c in configs]
    width = max([12] + [len(c["name"]) for c in configs])
    printer = Printer(out, width)
    os.makedirs(opts.log_dir, exist_ok=True)
    times_path = os.path.join(opts.log_dir, "durations.json")
    try:
        with open(times_path) as f:
            previous = json.load(f)
    except (OSError, ValueError):
        previous = {}

    order = sorted(configs, key=lambda c: -estimate(c, previous))
    printer.line(f"test matrix: {len(configs)} configs, {opts.jobs} at a time, "
                 f"kernel {opts.kernel}")
    live = Live()
    finished = {}
    start = time.monotonic()

    def work(cfg):
        try:
            console, outcome = run_config(cfg, opts, printer, live)
            results = judge(cfg, console, outcome)
        except Exception:               # a harness bug: fail this config, go on
            outcome = Outcome()
            outcome.error = "harness error"
            results = [Result(f"{cfg['name']}:boot", "fail",
                              ["harness error:"] + traceback.format_exc().splitlines())]
        printer.tag(cfg["name"], config_summary(cfg, results, outcome))
        return results, outcome

    finished = run_pool(order, work, opts.jobs, live, printer, "QEMU")
    if finished is None:
        return 130
    wall = time.monotonic() - start

    for cfg in configs:
        outcome = finished[cfg["name"]][1]
        if not outcome.error:
            previous[cfg["name"]] = round(outcome.elapsed, 2)
    try:
        with open(times_path, "w") as f:
            json.dump(previous, f, indent=1, sort_keys=True)
    except OSError:
        pass

    full_run = len(configs) == len(CONFIGS) and not opts.test
    host = host_checks(opts, printer, full_run) if opts.host_checks else []
    configs_and_host = configs + ([HOST] if host else [])
    finished[HOST["name"]] = (host, None)
    all_results = [r for c in configs_and_host for r in finished[c["name"]][0]]
    failed = [(c, r) for c in configs_and_host for r in finished[c["name"]][0]
              if r.outcome == "fail"]
    print_failures(printer, failed, lambda cfg: None if cfg is HOST else
                   "log: " + os.path.join(opts.log_dir, cfg["name"] + ".log"))
    n = collections.Counter(r.outcome for r in all_results)
    printer.line(f"wall time {wall:.1f} s for {len(configs)} configs ({opts.jobs} at a time)")
    final = f"{n['pass']} passed, {n['fail']} failed"
    if n["skip"]:
        final += f", {n['skip']} skipped"
    printer.line(final)
    return 0 if n["fail"] == 0 else 1


HOST = dict(name="host")       # the results of the host-side checks


def host_checks(opts, printer, full_run):
    """Checks that run on the host after the boots, counted like the cases:
    a real terminal driving `make run-kernel` (pty_test.py), a scripted
    session at its kmaplab> monitor (monitor_test.py), the gdb commands of
    tools/gdb/kmaplab.py in batch mode (gdb_test.py), and, after a whole
    matrix, the docs checked against the tree and these logs (doccheck.py;
    a partial run lacks the logs its quotes come from)."""
    import pty_test
    import monitor_test
    import gdb_test
    import doccheck
    checks = []
    for name, module in (("pty", pty_test), ("monitor", monitor_test), ("gdb", gdb_test)):
        try:
            checks += module.run_checks(opts.build, opts.log_dir)
        except Exception:
            checks.append((f"{name}.harness_error", False, traceback.format_exc().splitlines()))
    results = []
    if full_run:
        try:
            chk = doccheck.Checker(doccheck.ROOT, opts.log_dir)
            problems = chk.run(doccheck.doc_files(doccheck.ROOT))
            checks.append(("docs.quotes_references_cases_and_figures_hold", not problems,
                           [f"{rel}:{line}: {msg}" for rel, line, msg in problems]))
        except Exception:
            checks.append(("docs.harness_error", False, traceback.format_exc().splitlines()))
    for name, ok, diags in checks:
        results.append(Result(f"host:{name}", "pass" if ok else "fail", diags))
        printer.tag("host", f"{name} {'ok' if ok else 'FAIL'}")
    return results


def list_configs(configs, extra_args="", out=sys.stdout, test=None):
    for c in map(normalise, configs):
        boot = "ISO (GRUB)" if c["iso"] else "-kernel"
        what = (f"expects refusal: {c['expect_refusal']!r}" if c["expect_refusal"]
                else f"expects panic: {c['expect_panic']!r}" if c["expect_panic"]
                else "KTAP")
        extra = f"; lines: {len(c['expect_lines'])}" if c["expect_lines"] else ""
        out.write(f"{c['name']:<13} -m {c['mem']:<5} -smp {c['smp']} -cpu {c['cpu']:<8} "
                  f"{boot:<10} timeout {c['timeout']:>3}s  args '{kernel_args(c, extra_args, test)}'  "
                  f"{what}{extra}\n")


def select(configs, only):
    if not only:
        return list(configs)
    wanted = [n for item in only for n in item.split(",") if n]
    names = [c["name"] for c in configs]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        print(f"matrix.py: unknown config(s) {', '.join(unknown)}; known: {', '.join(names)}",
              file=sys.stderr)
        raise SystemExit(2)
    return [c for c in configs if c["name"] in wanted]


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Boot the kernel in a matrix of QEMU configurations and check its KTAP output.")
    p.add_argument("--build", default="build", help="build directory holding kernel.elf")
    p.add_argument("--only", action="append", metavar="NAME[,NAME]",
                   help="run only these configs")
    p.add_argument("-j", "--jobs", type=int, default=2, help="QEMU processes at a time (2)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds per boot for every config (default: 60 or the config's own)")
    p.add_argument("--test", metavar="SUITE[.CASE][,...]",
                   help="run these suites or cases instead of test=all (the kernel's test= "
                        "syntax; `make test TEST=...`); the kernel names an unknown one")
    p.add_argument("--list", action="store_true", help="print the matrix and exit")
    p.add_argument("--host-checks", action="store_true",
                   help="after the boots, drive `make run-kernel` from a pseudo-terminal "
                        "(Ctrl-A X, Ctrl-A C) and count it with the rest")
    p.add_argument("--qemu", default=QEMU, help=argparse.SUPPRESS)
    p.add_argument("--selftest", action="store_true",
                   help="test the harness itself: canned consoles, a fake QEMU, and real "
                        "QEMU booting a tiny test kernel (the project's kernel is not needed)")
    opts = p.parse_args(argv)
    if opts.jobs < 1:
        p.error("-j must be at least 1")
    if opts.timeout is not None and opts.timeout <= 0:
        p.error("--timeout must be positive")
    opts.kernel = os.path.join(opts.build, "kernel.elf")
    opts.log_dir = os.path.join(opts.build, "test-logs")
    opts.extra_args = os.environ.get("KTEST_EXTRA_ARGS", "").strip()
    if opts.test is not None and not re.fullmatch(r"[A-Za-z0-9_.,]+", opts.test):
        p.error(f"--test {opts.test!r}: suite and case names are letters, digits, '_', "
                "joined by '.' and ','")
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    if opts.selftest:
        import selftest
        return selftest.main()
    configs = select(CONFIGS, opts.only)
    if opts.list:
        list_configs(configs, opts.extra_args, test=opts.test)
        return 0
    if not os.path.isfile(opts.kernel):
        print(f"matrix.py: {opts.kernel} not found (run make first)", file=sys.stderr)
        return 2
    try:
        return run_matrix(configs, opts)
    except BrokenPipeError:
        # Output cut short (`| head`): the runs have been judged; stop quietly.
        sys.stdout = open(os.devnull, "w")
        return 1


if __name__ == "__main__":
    sys.exit(main())
