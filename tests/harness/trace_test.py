#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trace_test.py - tests of tools/trace.py and of the traced kernel's dump.

    python3 tests/harness/trace_test.py            # the host-only tests
    python3 tests/harness/trace_test.py --boot     # and one real traced run
    python3 tools/trace.py --selftest              # the same as the first

Host-only: a small dump written here in the kernel's format (kernel/trace.c)
is read back; a garbled line, a missing line and a cut-short dump must be
refused; the counts must be compared with the counters printed beside it;
of two dumps in one log (the run's, then the monitor's) the last is read;
the SVG must be XML with one lane per CPU and the JSON must name its tracks.

--boot: build/kernel-trace.elf at 4 CPUs with test=kmap,kmap_local
trace=kmap; every count the trace can give (kmap calls, hits, misses,
wraps, global flushes, sleeps; per CPU kmap_local maps, unmaps, switch-out
saves, switch-in restores, flush IPIs sent and received, task switches,
migrations in) must equal the kernel's own end-of-run counter, the run
must wrap the pool, and the SVG and JSON are checked as above, with the
wrap and switch windows of `make trace-pictures` drawn from the same run.
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import trace as tr  # noqa: E402  (tools/trace.py, not the stdlib's trace)

SVG_NS = "{http://www.w3.org/2000/svg}"

EVENTS = ["KMAP_HIT slot pfn -", "KMAP_MISS slot pfn -", "KUNMAP slot pfn users",
          "POOL_WRAP - - -", "FLUSH_START - - -", "FLUSH_END ipis - -",
          "IPI_SEND to_cpu - -", "IPI_RECV from_cpu - -", "POOL_SLEEP pfn - -",
          "POOL_WOKEN pfn - -", "POOL_WAKEUP slot - -", "LOCAL_MAP pos pfn -",
          "LOCAL_UNMAP pos pfn -", "LOCAL_SAVE n - -", "LOCAL_RESTORE n - -",
          "LOCAL_UNWIND to_pos n -", "SWITCH prev next prev_state",
          "MIGRATE pid from_cpu to_cpu", "IRQ_ENTRY vector - -", "IRQ_EXIT vector - -"]
ID = {e.split()[0]: i + 1 for i, e in enumerate(EVENTS)}


def dump(per_cpu, tasks, stamp=True):
    """The console lines kernel/trace.c would print for these records:
    per_cpu = {cpu: [(tsc, name, pid, a, b, c), ...]}."""
    pre = "[    1.000000] " if stamp else ""
    n = sum(len(r) for r in per_cpu.values())
    out = [f"{pre}TRACE-BEGIN v1 cpus={len(per_cpu)} tsc_khz=1000 tsc_boot=0 records={n} dropped=0"]
    out += [f"{pre}TRACE-EVENT {i + 1} {e}" for i, e in enumerate(EVENTS)]
    out += [f"{pre}TRACE-TASK {pid} {name}" for pid, name in tasks.items()]
    lines, all_crc = 0, 0
    for cpu, recs in per_cpu.items():
        first = recs[0][0] if recs else 0
        out.append(f"{pre}TRACE-CPU {cpu} records={len(recs)} dropped=0 tsc={first:x}")
        prev = first
        for seq in range((len(recs) + 7) // 8):
            text = f"TRACE-DATA {cpu} {seq:x}"
            for tsc, name, pid, a, b, c in recs[seq * 8:seq * 8 + 8]:
                text += f" {tsc - prev:x},{ID[name]:x},{pid:x},{a:x},{b:x},{c:x}"
                prev = tsc
            all_crc = zlib.crc32((text + "\n").encode(), all_crc)
            out.append(f"{pre}{text} *{zlib.crc32(text.encode()):08x}")
            lines += 1
    out.append(f"{pre}TRACE-END lines={lines} records={n} crc={all_crc:08x}")
    return [line + "\n" for line in out]


def sample():
    """Two CPUs: task 5 kmaps and kmap_locals on CPU 0, is preempted by
    task 6 (its slot saved and restored), the pool wraps and flushes with
    an IPI to CPU 1, and task 6 migrates to CPU 1."""
    cpu0 = [(1000, "SWITCH", 0, 0, 5, 0), (1010, "KMAP_MISS", 5, 1, 0x1234, 0),
            (1020, "LOCAL_MAP", 5, 0, 0x2000, 0), (1030, "IRQ_ENTRY", 5, 0xec, 0, 0),
            (1040, "IRQ_EXIT", 5, 0xec, 0, 0), (1050, "LOCAL_SAVE", 5, 1, 0, 0),
            (1051, "SWITCH", 5, 5, 6, 0), (1060, "KMAP_HIT", 6, 1, 0x1234, 0),
            (1070, "KUNMAP", 6, 1, 0x1234, 1), (1080, "MIGRATE", 6, 6, 0, 1),
            (1081, "SWITCH", 6, 6, 5, 0), (1082, "LOCAL_RESTORE", 5, 1, 0, 0),
            (1090, "LOCAL_UNMAP", 5, 0, 0x2000, 0), (1100, "KUNMAP", 5, 1, 0x1234, 0),
            (1110, "POOL_WRAP", 5, 0, 0, 0), (1111, "FLUSH_START", 5, 0, 0, 0),
            (1112, "IPI_SEND", 5, 1, 0, 0), (1130, "FLUSH_END", 5, 1, 0, 0)]
    cpu1 = [(1085, "SWITCH", 0, 0, 6, 0), (1120, "IPI_RECV", 6, 0, 0, 0)]
    counters = [
        "[    2.0] sched: CPU0: 3 switches, 1 preemptions, 0 migrations in, 1 out (0 by balancing, 0 deferred by migrate_disable), 9 ticks\n",
        "[    2.0] sched: CPU1: 1 switches, 0 preemptions, 1 migrations in, 0 out (0 by balancing, 0 deferred by migrate_disable), 9 ticks\n",
        "[    2.0] kmap: 2 calls, 1 hits, 1 misses; 1 pool wraps; 1 global flushes: 1 at a wrap (the other 0 wraps found no idle slot), 0 by kmap_flush_unused(), sending 1 TLB-flush IPIs; 0 sleeps on a full pool\n",
        "[    2.0] kmap_local: CPU0: 1 maps, 1 kunmap_local()s (an INVLPG each, not in the tlb line), 0 undone at thread or IRQ exit; 1 switch-out saves, 1 switch-in restores\n",
        "[    2.0] kmap_local: CPU1: 0 maps, 0 kunmap_local()s (an INVLPG each, not in the tlb line), 0 undone at thread or IRQ exit; 0 switch-out saves, 0 switch-in restores\n",
        "[    2.0] tlb: CPU0: flush_tlb_*() did 0 INVLPGs and 1 full flushes here; 1 flush IPIs sent, 0 received (all causes)\n",
        "[    2.0] tlb: CPU1: flush_tlb_*() did 0 INVLPGs and 1 full flushes here; 0 flush IPIs sent, 1 received (all causes)\n",
    ]
    return counters + dump({0: cpu0, 1: cpu1}, {5: "kmapper", 6: "rival"})


def check_outputs(t, expect_cpus):
    """The SVG is XML with one lane per CPU; the JSON loads and names its tracks."""
    root = ET.fromstring(tr.to_svg(t, "all"))
    assert root.tag == SVG_NS + "svg", root.tag
    lanes = [r.get("id") for r in root.iter(SVG_NS + "rect") if r.get("class") == "cpu-lane"]
    assert lanes == [f"cpu-lane-{c}" for c in expect_cpus], lanes
    doc = json.loads(json.dumps(tr.to_json(t)))
    names = {e["args"]["name"] for e in doc["traceEvents"]
             if e.get("ph") == "M" and e["name"] in ("thread_name", "process_name")}
    for c in expect_cpus:
        assert f"CPU {c}" in names, names
    assert {"CPUs", "tasks", "pkmap pool"} <= names, names
    for pid in {e.pid for e in t.events if e.pid}:
        assert f"{t.task(pid)} [{pid}]" in names, (pid, names)
    return len(lanes), len(doc["traceEvents"])


def must_fail(lines, why):
    try:
        tr.parse(lines)
    except tr.TraceError as e:
        return str(e)
    raise AssertionError(f"accepted a dump with {why}")


def test_roundtrip():
    lines = sample()
    t = tr.parse(lines)
    assert len(t.events) == 20 and t.cpus == [0, 1], (len(t.events), t.cpus)
    assert [e.name for e in t.events][:2] == ["SWITCH", "KMAP_MISS"]
    assert t.task(5) == "kmapper" and t.task(0) == "idle"
    rows = tr.compare(t, tr.counters(lines))
    assert len(rows) == 6 + 2 * 8, len(rows)
    bad = [r for r in rows if r[1] != r[2]]
    assert not bad, bad


def test_model():
    t = tr.parse(sample())
    m = tr.Model(t)
    assert [(p, cpu) for _, _, p, pid, pfn in m.slots[0] for cpu in [0]] == [(0, 0), (0, 0)]
    assert m.slots[0][0][1] == 1050 and m.slots[0][1][0] == 1082     # saved, then restored
    assert m.ipis == [(1112, 0, 1120, 1)], m.ipis
    assert m.migrations == [(1080, 6, 0, 1, 0)], m.migrations
    assert m.flushes == [(1111, 1130, 0, 1, 1)], m.flushes             # frees slot 1
    assert m.pool[-1][1:] == (0, 0), m.pool[-1]
    assert [(a, b, p) for a, b, p in m.running[0]][:2] == [(1000, 1000, 0), (1000, 1051, 5)]


def test_mismatch_is_reported():
    lines = [line.replace("2 calls, 1 hits", "3 calls, 2 hits") for line in sample()]
    t = tr.parse(lines)
    bad = [r for r in tr.compare(t, tr.counters(lines)) if r[1] != r[2]]
    assert [r[0] for r in bad] == ["calls", "hits"], bad
    assert tr.main_check_ok(t, lines) is False


def test_corruption_refused():
    lines = sample()
    i = next(i for i, line in enumerate(lines) if "TRACE-DATA 0 1" in line)
    garbled = list(lines)
    garbled[i] = garbled[i].replace(",5,", ",7,", 1)
    assert "CRC" in must_fail(garbled, "a garbled line")
    assert "DATA lines read" in must_fail(lines[:i] + lines[i + 1:], "a lost line")
    assert "TRACE-END" in must_fail(lines[:-1], "no end")
    assert "TRACE-BEGIN" in must_fail([line for line in lines if "BEGIN" not in line], "no begin")


def test_two_dumps_the_last_by_default():
    """The monitor's `trace dump` prints a second dump after the run's:
    the last is read unless another is asked for, and --check finds the
    end-of-run counters only before the run's own dump."""
    first = sample()
    second = ["kmaplab> trace dump\n"] + dump(
        {0: [(5000, "KMAP_MISS", 1, 1, 0x77, 0), (5010, "KUNMAP", 1, 1, 0x77, 0)]}, {1: "init"})
    lines = first + second
    t = tr.parse(lines)
    assert t.dumps == 2 and len(t.events) == 2, (t.dumps, len(t.events))
    assert len(tr.parse(lines, 0).events) == 20
    assert not tr.counters(tr.lines_before_dump(lines, -1)), "counters before the monitor's dump"
    assert tr.compare(tr.parse(lines, 0), tr.counters(tr.lines_before_dump(lines, 0)))
    assert "no dump" in must_fail_which(lines, 2)


def must_fail_which(lines, which):
    try:
        tr.parse(lines, which)
    except tr.TraceError as e:
        return str(e)
    raise AssertionError(f"accepted dump {which}")


def test_outputs():
    t = tr.parse(sample())
    check_outputs(t, [0, 1])


def boot_test(kernel):
    argv = ["qemu-system-i386", "-accel", "tcg", "-m", "4G", "-smp", "4", "-cpu", "max",
            "-kernel", kernel, "-append", "test=kmap,kmap_local trace=kmap poweroff",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=300).stdout.decode(errors="replace")
    lines = out.splitlines(keepends=True)
    t = tr.parse(lines)
    assert t.dropped == 0, t.dropped
    rows = tr.compare(t, tr.counters(lines))
    bad = [r for r in rows if r[1] != r[2]]
    assert len(rows) == 6 + 4 * 8, f"{len(rows)} counters found"
    assert not bad, bad
    seen = dict((k, v) for k, v, _ in rows)
    assert seen["wraps"] > 0 and seen["flushes"] > 0, "the run never wrapped the pool"
    lanes, nev = check_outputs(t, [0, 1, 2, 3])
    # the windows of make trace-pictures that this run has: each an SVG
    # with a lane, and a switch window's notes on the CPU it is about
    for window in ("wrap", "switch"):
        root = ET.fromstring(tr.to_svg(t, window))
        assert [r for r in root.iter(SVG_NS + "rect") if r.get("class") == "cpu-lane"], window
    _, _, notes = tr.choose_window(t, tr.Model(t), "switch")
    assert len(notes) == 3 and "switch-out" in notes[0][2], notes
    print(f"  boot: {len(t.events)} events, {len(rows)} counts equal the kernel's, "
          f"{lanes} lanes, {nev} JSON events")


TESTS = [test_roundtrip, test_model, test_mismatch_is_reported, test_corruption_refused,
         test_two_dumps_the_last_by_default, test_outputs]


def main(argv):
    failed = 0
    tests = list(TESTS)
    if "--boot" in argv:
        kernel = os.path.join(REPO, "build", "kernel-trace.elf")
        tests.append(lambda: boot_test(kernel))
        tests[-1].__name__ = "boot_test"
    for test in tests:
        try:
            test()
            print(f"ok {test.__name__}")
        except Exception as e:  # noqa: BLE001 - report every failure, go on
            failed += 1
            print(f"FAIL {test.__name__}: {type(e).__name__}: {e}")
    print(f"trace_test: {len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
