#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trace.py - turn a trace=kmap console log into a Perfetto file and a picture.

    python3 tools/trace.py console.log --json trace.json --svg trace.svg
    python3 tools/trace.py console.log --check      # counts vs the kernel's counters
    python3 tools/trace.py console.log --svg wrap.svg --window wrap
    python3 tools/trace.py console.log --dump 1     # the first of several dumps
    python3 tools/trace.py --selftest

The traced kernel (build/kernel-trace.elf, booted with trace=kmap) prints
its event buffers at the end of the run between TRACE-BEGIN and TRACE-END
(the format is described at the top of kernel/trace.c). This script:

  - reads them back, checking every line's CRC-32, the line numbers and
    the record counts, so a lost or garbled console line is an error, not
    a silently wrong picture;
  - with --check, compares what the trace saw with the counters the kernel
    printed in the same run (the `kmap:`, `kmap_local:`, `tlb:` and
    `sched:` lines): kmap calls, misses, wraps, global flushes, full-pool
    sleeps, and per CPU the kmap_local maps and unmaps, switch-out saves
    and switch-in restores, flush IPIs sent and received, task switches and
    migrations in. Every one must be equal;
  - writes a Chrome Trace Event JSON file (--json) that ui.perfetto.dev
    and chrome://tracing open: one track per CPU (the task running, IRQs),
    one per task (its kmap_local maps, its kmap()s), a counter track for
    the pkmap pool, flow arrows for flush IPIs and migrations;
  - writes a self-contained SVG (--svg): one lane per CPU with the running
    task, its kmap_local slots as stacked bars and the stacks of tasks
    switched out (saved in their pteval[]) as dashed bars; the pool's
    occupancy below with each wrap and global flush marked (when the pool
    does something in the window); flush IPIs and migrations as arrows
    between lanes. --window picks the moment (wrap, switch, conversion,
    migrate: see choose_window()) and labels what happens in it.

A log may hold several dumps (the run's, then the monitor's `trace dump`):
the last is read unless --dump says which.

Only the Python 3 standard library is used.
"""

import argparse
import html
import json
import os
import re
import sys
import zlib
from collections import defaultdict

# ---- reading the dump ----

TAG_RE = re.compile(r"TRACE-(BEGIN|EVENT|TASK|CPU|DATA|END)\b(.*)$")


class TraceError(Exception):
    pass


class Event:
    __slots__ = ("tsc", "cpu", "name", "irq", "pid", "a", "b", "c")

    def __init__(self, tsc, cpu, name, irq, pid, a, b, c):
        self.tsc, self.cpu, self.name, self.irq = tsc, cpu, name, irq
        self.pid, self.a, self.b, self.c = pid, a, b, c

    def __repr__(self):
        return f"<{self.name} cpu{self.cpu} pid{self.pid} {self.a} {self.b} {self.c}>"


class Trace:
    def __init__(self):
        self.header = {}
        self.event_names = {}       # id -> (name, a, b, c)
        self.tasks = {0: "idle"}    # pid -> name
        self.cpus = []              # CPU numbers in the dump
        self.events = []            # every record, sorted by time
        self.dropped = 0
        self.tsc_khz = 1
        self.tsc_boot = 0

    def ms(self, tsc):
        """Milliseconds since kmain(), the printk clock."""
        return (tsc - self.tsc_boot) / self.tsc_khz

    def task(self, pid):
        return self.tasks.get(pid, f"pid {pid}")

    def count(self, name, cpu=None):
        return sum(1 for e in self.events if e.name == name and (cpu is None or e.cpu == cpu))

    def total(self, name, field, cpu=None):
        return sum(getattr(e, field) for e in self.events
                   if e.name == name and (cpu is None or e.cpu == cpu))


def kv(text):
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def split_dumps(lines):
    """The log's dumps: from each TRACE-BEGIN to the next (or the end).
    A log holds several when the monitor's `trace dump` printed more."""
    dumps = []
    for raw in lines:
        m = TAG_RE.search(raw)
        if m and m.group(1) == "BEGIN":
            dumps.append([])
        if dumps:
            dumps[-1].append(raw)
    return dumps


def parse(lines, which=-1):
    """Read one dump of a console log (by default its last) into a Trace."""
    dumps = split_dumps(lines)
    if not dumps:
        raise TraceError("no TRACE-BEGIN: was the traced kernel booted with trace=kmap?")
    try:
        lines = dumps[which]
    except IndexError:
        raise TraceError(f"no dump {which}: the log holds {len(dumps)}") from None
    t = Trace()
    t.dumps = len(dumps)
    state = "before"
    cpu_hdr = {}
    data = defaultdict(list)        # cpu -> [(seq, fields)]
    all_crc = 0
    nlines = 0
    for raw in lines:
        m = TAG_RE.search(raw.rstrip("\r\n"))
        if not m:
            continue
        tag, rest = m.group(1), m.group(2).strip()
        if tag == "BEGIN":
            if state != "before":
                raise TraceError("a second TRACE-BEGIN")
            t.header = kv(rest)
            t.tsc_khz = int(t.header["tsc_khz"])
            t.tsc_boot = int(t.header["tsc_boot"], 16)
            t.dropped = int(t.header["dropped"])
            state = "in"
            continue
        if state != "in":
            raise TraceError(f"TRACE-{tag} outside TRACE-BEGIN ... TRACE-END")
        if tag == "EVENT":
            w = rest.split()
            t.event_names[int(w[0])] = tuple(w[1:5])
        elif tag == "TASK":
            pid, _, name = rest.partition(" ")
            if int(pid):
                t.tasks[int(pid)] = name
        elif tag == "CPU":
            w = rest.split()
            cpu = int(w[0])
            cpu_hdr[cpu] = kv(rest)
            t.cpus.append(cpu)
        elif tag == "DATA":
            body, star, crc = rest.rpartition(" *")
            text = "TRACE-DATA " + body
            if not star or int(crc, 16) != zlib.crc32(text.encode()):
                raise TraceError(f"bad CRC in line: {text[:60]}...")
            all_crc = zlib.crc32((text + "\n").encode(), all_crc)
            nlines += 1
            w = body.split()
            data[int(w[0])].append((int(w[1], 16), w[2:]))
        elif tag == "END":
            end = kv(rest)
            if int(end["lines"]) != nlines:
                raise TraceError(f"{nlines} TRACE-DATA lines read, the kernel printed {end['lines']}")
            if int(end["crc"], 16) != all_crc:
                raise TraceError("the CRC over all TRACE-DATA lines differs")
            state = "after"
            break
    if state == "before":
        raise TraceError("no TRACE-BEGIN: was the traced kernel booted with trace=kmap?")
    if state != "after":
        raise TraceError("no TRACE-END: the dump was cut short")
    names = {i: v[0] for i, v in t.event_names.items()}
    for cpu in t.cpus:
        tsc = int(cpu_hdr[cpu]["tsc"], 16)
        rows = data.get(cpu, [])
        for i, (seq, _) in enumerate(rows):
            if seq != i:
                raise TraceError(f"CPU {cpu}: line {i} missing (got line {seq})")
        n = 0
        for _, recs in rows:
            for rec in recs:
                dt, eid, pid, a, b, c = (int(x, 16) for x in rec.split(","))
                tsc += dt
                t.events.append(Event(tsc, cpu, names.get(eid & 0xff, f"EV{eid & 0xff}"),
                                      bool(eid & 0x100), pid, a, b, c))
                n += 1
        if n != int(cpu_hdr[cpu]["records"]):
            raise TraceError(f"CPU {cpu}: {n} records read, the kernel wrote {cpu_hdr[cpu]['records']}")
    if len(t.events) != int(t.header["records"]):
        raise TraceError("record count differs from TRACE-BEGIN's")
    t.events.sort(key=lambda e: e.tsc)
    return t


# ---- the kernel's own counters, from the same log ----

KMAP_RE = re.compile(r"kmap: (\d+) calls, (\d+) hits, (\d+) misses; (\d+) pool wraps; (\d+) global flushes"
                     r".*?(\d+) sleeps? on a full pool")
LOCAL_RE = re.compile(r"kmap_local: CPU(\d+): (\d+) maps, (\d+) kunmap_local\(\)s.*?; "
                      r"(\d+) switch-out saves, (\d+) switch-in restores")
TLB_RE = re.compile(r"tlb: CPU(\d+): .*?; (\d+) flush IPIs sent, (\d+) received")
SCHED_RE = re.compile(r"sched: CPU(\d+): (\d+) switches, \d+ preemptions, (\d+) migrations in")


def lines_before_dump(lines, which=-1):
    """The log's lines after the dump before 'which' and up to its
    TRACE-BEGIN: where the end-of-run counters of that dump's run are."""
    begins = [i for i, raw in enumerate(lines)
              if (m := TAG_RE.search(raw)) and m.group(1) == "BEGIN"]
    if not begins:
        return lines
    k = range(len(begins))[which]
    return lines[begins[k - 1] + 1 if k else 0:begins[k]]


def counters(lines):
    c = {}
    for line in lines:
        if m := KMAP_RE.search(line):
            for k, v in zip(("calls", "hits", "misses", "wraps", "flushes", "sleeps"),
                            (m.group(i) for i in (1, 2, 3, 4, 5, 6))):
                c[k] = int(v)
        elif m := LOCAL_RE.search(line):
            cpu = int(m.group(1))
            c[f"cpu{cpu}.local_maps"] = int(m.group(2))
            c[f"cpu{cpu}.local_unmaps"] = int(m.group(3))
            c[f"cpu{cpu}.saves"] = int(m.group(4))
            c[f"cpu{cpu}.restores"] = int(m.group(5))
        elif m := TLB_RE.search(line):
            cpu = int(m.group(1))
            c[f"cpu{cpu}.ipi_sent"] = int(m.group(2))
            c[f"cpu{cpu}.ipi_received"] = int(m.group(3))
        elif m := SCHED_RE.search(line):
            cpu = int(m.group(1))
            c[f"cpu{cpu}.switches"] = int(m.group(2))
            c[f"cpu{cpu}.migrations_in"] = int(m.group(3))
    return c


def compare(t, c):
    """[(what, seen in the trace, counted by the kernel)] for every counter found."""
    rows = []
    seen = {
        "calls": t.count("KMAP_HIT") + t.count("KMAP_MISS"),
        "hits": t.count("KMAP_HIT"),
        "misses": t.count("KMAP_MISS"),
        "wraps": t.count("POOL_WRAP"),
        "flushes": t.count("FLUSH_START"),
        "sleeps": t.count("POOL_SLEEP"),
    }
    for cpu in t.cpus:
        seen[f"cpu{cpu}.local_maps"] = t.count("LOCAL_MAP", cpu)
        seen[f"cpu{cpu}.local_unmaps"] = t.count("LOCAL_UNMAP", cpu)
        seen[f"cpu{cpu}.saves"] = t.total("LOCAL_SAVE", "a", cpu)
        seen[f"cpu{cpu}.restores"] = t.total("LOCAL_RESTORE", "a", cpu)
        seen[f"cpu{cpu}.ipi_sent"] = t.count("IPI_SEND", cpu)
        seen[f"cpu{cpu}.ipi_received"] = t.count("IPI_RECV", cpu)
        seen[f"cpu{cpu}.switches"] = t.count("SWITCH", cpu)
        seen[f"cpu{cpu}.migrations_in"] = sum(1 for e in t.events
                                              if e.name == "MIGRATE" and e.c == cpu)
    for k, v in seen.items():
        if k in c:
            rows.append((k, v, c[k]))
    return rows


# ---- what the events mean over time ----

class Model:
    """The state the events describe, as intervals and marks to draw."""

    def __init__(self, t):
        self.t = t
        self.start = t.events[0].tsc if t.events else 0
        self.end = t.events[-1].tsc if t.events else 1
        self.running = defaultdict(list)    # cpu -> [(t0, t1, pid)]
        self.slots = defaultdict(list)      # cpu -> [(t0, t1, pos, pid, pfn)]
        self.saved = defaultdict(list)      # cpu -> [(t0, t1, pid, n)]: off the CPU
        self.pool = []                      # [(tsc, in_use, idle)]
        self.wraps = []                     # [(tsc, cpu)]
        self.flushes = []                   # [(t0, t1, cpu, freed, ipis)]
        self.ipis = []                      # [(t_send, from, t_recv, to)]
        self.migrations = []                # [(tsc, pid, from, to, by_cpu)]
        self.irqs = defaultdict(list)       # cpu -> [(t0, t1, vector)]
        self.sleeps = []                    # [(tsc, cpu, pid, what)]
        self.kmaps = defaultdict(list)      # pid -> [(tsc, cpu, name, slot, pfn)]
        self._build()

    def _build(self):
        t = self.t
        cur = {}                            # cpu -> (since, pid)
        stacks = defaultdict(list)          # pid -> [pfn per position]
        live = defaultdict(dict)            # cpu -> {pos: (since, pid, pfn)}
        count = [0] * 512
        flush_open = {}
        irq_open = defaultdict(list)
        sends = defaultdict(list)           # (from, to) -> [tsc]
        saved_open = {}                     # pid -> (since, cpu, n)

        def pool_point(tsc):
            self.pool.append((tsc, sum(1 for n in count if n >= 2), sum(1 for n in count if n == 1)))

        def slot_off(cpu, pos, tsc):
            if pos in live[cpu]:
                since, pid, pfn = live[cpu].pop(pos)
                self.slots[cpu].append((since, tsc, pos, pid, pfn))

        pool_point(self.start)
        for e in t.events:
            if e.cpu not in cur:
                cur[e.cpu] = (self.start, e.pid)
            n = e.name
            if n == "SWITCH":
                since, pid = cur[e.cpu]
                self.running[e.cpu].append((since, e.tsc, e.a))
                cur[e.cpu] = (e.tsc, e.b)
            elif n == "LOCAL_MAP":
                st = stacks[e.pid]
                del st[e.a:]
                st.append(e.b)
                live[e.cpu][e.a] = (e.tsc, e.pid, e.b)
            elif n == "LOCAL_UNMAP":
                del stacks[e.pid][e.a:]
                slot_off(e.cpu, e.a, e.tsc)
            elif n == "LOCAL_UNWIND":
                del stacks[e.pid][e.a:]
                for pos in [p for p in live[e.cpu] if p >= e.a]:
                    slot_off(e.cpu, pos, e.tsc)
            elif n == "LOCAL_SAVE":
                for pos in list(live[e.cpu]):
                    slot_off(e.cpu, pos, e.tsc)
                if e.a:
                    saved_open[e.pid] = (e.tsc, e.cpu, e.a)
            elif n == "LOCAL_RESTORE":
                if e.pid in saved_open:
                    since, cpu, k = saved_open.pop(e.pid)
                    self.saved[cpu].append((since, e.tsc, e.pid, k))
                for pos, pfn in enumerate(stacks[e.pid]):
                    live[e.cpu][pos] = (e.tsc, e.pid, pfn)
            elif n in ("KMAP_HIT", "KMAP_MISS"):
                slot = e.a % 512
                count[slot] = (count[slot] + 1) if n == "KMAP_HIT" else max(count[slot], 1) + 1
                self.kmaps[e.pid].append((e.tsc, e.cpu, n, e.a, e.b))
                pool_point(e.tsc)
            elif n == "KUNMAP":
                count[e.a % 512] = e.c + 1
                self.kmaps[e.pid].append((e.tsc, e.cpu, n, e.a, e.b))
                pool_point(e.tsc)
            elif n == "POOL_WRAP":
                self.wraps.append((e.tsc, e.cpu))
            elif n == "FLUSH_START":
                freed = sum(1 for x in count if x == 1)
                for i, x in enumerate(count):
                    if x == 1:
                        count[i] = 0
                flush_open[e.cpu] = (e.tsc, freed)
                pool_point(e.tsc)
            elif n == "FLUSH_END":
                t0, freed = flush_open.pop(e.cpu, (e.tsc, 0))
                self.flushes.append((t0, e.tsc, e.cpu, freed, e.a))
            elif n == "IPI_SEND":
                sends[(e.cpu, e.a)].append(e.tsc)
            elif n == "IPI_RECV":
                q = sends[(e.a, e.cpu)]
                ts = q.pop(0) if q else e.tsc
                self.ipis.append((ts, e.a, e.tsc, e.cpu))
            elif n == "MIGRATE":
                self.migrations.append((e.tsc, e.a, e.b, e.c, e.cpu))
            elif n == "IRQ_ENTRY":
                irq_open[e.cpu].append((e.tsc, e.a))
            elif n == "IRQ_EXIT":
                if irq_open[e.cpu]:
                    t0, vec = irq_open[e.cpu].pop()
                    self.irqs[e.cpu].append((t0, e.tsc, vec))
            elif n in ("POOL_SLEEP", "POOL_WOKEN", "POOL_WAKEUP"):
                self.sleeps.append((e.tsc, e.cpu, e.pid, n))
        for cpu, (since, pid) in cur.items():
            self.running[cpu].append((since, self.end, pid))
        for pid, (since, cpu, k) in saved_open.items():
            self.saved[cpu].append((since, self.end, pid, k))
        for cpu in live:
            for pos in list(live[cpu]):
                slot_off(cpu, pos, self.end)
        pool_point(self.end)


# ---- Chrome Trace Event JSON ----

CPU_PROC, TASK_PROC, POOL_PROC = 1, 2, 3


def to_json(t):
    m = Model(t)
    us = lambda tsc: (tsc - t.tsc_boot) * 1000.0 / t.tsc_khz   # noqa: E731
    ev = [
        {"ph": "M", "pid": CPU_PROC, "name": "process_name", "args": {"name": "CPUs"}},
        {"ph": "M", "pid": TASK_PROC, "name": "process_name", "args": {"name": "tasks"}},
        {"ph": "M", "pid": POOL_PROC, "name": "process_name", "args": {"name": "pkmap pool"}},
        {"ph": "M", "pid": CPU_PROC, "name": "process_sort_index", "args": {"sort_index": 0}},
        {"ph": "M", "pid": TASK_PROC, "name": "process_sort_index", "args": {"sort_index": 1}},
    ]
    for cpu in t.cpus:
        ev.append({"ph": "M", "pid": CPU_PROC, "tid": cpu, "name": "thread_name",
                   "args": {"name": f"CPU {cpu}"}})
        ev.append({"ph": "M", "pid": CPU_PROC, "tid": cpu, "name": "thread_sort_index",
                   "args": {"sort_index": cpu}})
    pids = sorted({e.pid for e in t.events if e.pid} | set(m.kmaps))
    for pid in pids:
        ev.append({"ph": "M", "pid": TASK_PROC, "tid": 1000 + pid, "name": "thread_name",
                   "args": {"name": f"{t.task(pid)} [{pid}]"}})

    def slice_(pid, tid, name, t0, t1, cat, args=None):
        d = {"ph": "X", "pid": pid, "tid": tid, "name": name, "cat": cat,
             "ts": us(t0), "dur": max(us(t1) - us(t0), 0.001)}
        if args:
            d["args"] = args
        ev.append(d)

    for cpu, runs in m.running.items():
        for t0, t1, pid in runs:
            if pid:
                slice_(CPU_PROC, cpu, f"{t.task(pid)} [{pid}]", t0, t1, "sched")
                slice_(TASK_PROC, 1000 + pid, f"on CPU {cpu}", t0, t1, "sched")
    for cpu, irqs in m.irqs.items():
        for t0, t1, vec in irqs:
            slice_(CPU_PROC, cpu, f"IRQ {vec:#x}", t0, t1, "irq")
    for cpu, slots in m.slots.items():
        for t0, t1, pos, pid, pfn in slots:
            slice_(TASK_PROC, 1000 + pid, f"kmap_local pos {pos}", t0, t1, "kmap_local",
                   {"pfn": hex(pfn), "cpu": cpu, "position": pos})
    for pid, ks in m.kmaps.items():
        for tsc, cpu, name, slot, pfn in ks:
            ev.append({"ph": "i", "s": "t", "pid": TASK_PROC, "tid": 1000 + pid, "ts": us(tsc),
                       "cat": "kmap", "name": name.lower().replace("_", " "),
                       "args": {"slot": slot, "pfn": hex(pfn), "cpu": cpu}})
    for tsc, in_use, idle in m.pool:
        ev.append({"ph": "C", "pid": POOL_PROC, "name": "pkmap slots", "ts": us(tsc),
                   "args": {"in use": in_use, "idle, awaiting flush": idle}})
    for tsc, cpu in m.wraps:
        ev.append({"ph": "i", "s": "g", "pid": CPU_PROC, "tid": cpu, "ts": us(tsc),
                   "cat": "kmap", "name": "pool wrap"})
    for t0, t1, cpu, freed, ipis in m.flushes:
        slice_(CPU_PROC, cpu, "pkmap global flush", t0, t1, "tlb",
               {"slots freed": freed, "IPIs": ipis})
    for i, (ts, src, tr, dst) in enumerate(m.ipis):
        ev.append({"ph": "s", "id": i + 1, "pid": CPU_PROC, "tid": src, "ts": us(ts),
                   "cat": "ipi", "name": "TLB flush IPI"})
        ev.append({"ph": "f", "bp": "e", "id": i + 1, "pid": CPU_PROC, "tid": dst, "ts": us(tr),
                   "cat": "ipi", "name": "TLB flush IPI"})
        slice_(CPU_PROC, dst, "flush IPI", tr, tr + t.tsc_khz // 1000, "ipi", {"from": src})
    base = len(m.ipis) + 1
    for i, (tsc, pid, src, dst, by) in enumerate(m.migrations):
        name = f"migrate {t.task(pid)} [{pid}]"
        ev.append({"ph": "i", "s": "t", "pid": CPU_PROC, "tid": src, "ts": us(tsc),
                   "cat": "sched", "name": name, "args": {"to": dst, "by CPU": by}})
        ev.append({"ph": "s", "id": base + i, "pid": CPU_PROC, "tid": src, "ts": us(tsc),
                   "cat": "migrate", "name": name})
        ev.append({"ph": "f", "bp": "e", "id": base + i, "pid": CPU_PROC, "tid": dst,
                   "ts": us(tsc) + 0.01, "cat": "migrate", "name": name})
    for tsc, cpu, pid, what in m.sleeps:
        ev.append({"ph": "i", "s": "t", "pid": TASK_PROC, "tid": 1000 + pid, "ts": us(tsc),
                   "cat": "kmap", "name": what.lower().replace("_", " ")})
    return {"traceEvents": ev, "displayTimeUnit": "ms",
            "otherData": {"source": "kmaplab trace=kmap", "cpus": len(t.cpus),
                          "tsc_khz": t.tsc_khz}}


# ---- the SVG ----

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
           "#ff9da7", "#9c755f", "#e15759", "#86bcb6", "#8cd17d", "#d4a6c8"]


def task_color(pid):
    return "#e8e8e8" if pid == 0 else PALETTE[pid % len(PALETTE)]


def esc(s):
    return html.escape(str(s), quote=True)


WINDOWS = ("all", "wrap", "switch", "conversion", "migrate")


def choose_window(t, m, spec):
    """(t0, t1, notes) in TSC for a window spec, notes being labels
    [(tsc, cpu, text)] on what the window is about:
      all         the whole trace
      wrap        around the first wrap that flushed idle slots
      switch      a task switched out holding its deepest kmap_local stack,
                  the other task's stack put back, and the first back again
      conversion  a task preempted inside a kmap_local section, and the
                  next task on that CPU entering the same code (the naive
                  Pattern B conversion of docs/conversion.md)
      migrate     the first migrations between CPUs (up to six)
      A:B         milliseconds since boot"""
    if spec in (None, "all"):
        return m.start, m.end, []
    if spec == "wrap":
        # the first wrap that is followed by a flush on its CPU, from the
        # wrapping task's first kmap() to just after the flush
        flushes = sorted(m.flushes)
        for tsc, cpu in m.wraps:
            f = next((f for f in flushes if f[0] >= tsc and f[2] == cpu), None)
            if not f or f[3] == 0:
                continue
            who = next(e.pid for e in t.events if e.tsc == tsc and e.name == "POOL_WRAP")
            first = next((k[0] for k in m.kmaps.get(who, [])), tsc)
            span = max(f[1] - first, 1)
            return first - span // 25, f[1] + span // 30, []
        raise TraceError("window wrap: no wrap in the trace flushed an idle slot")
    if spec == "switch":
        return switch_window(t, m)
    if spec == "conversion":
        return conversion_window(t, m)
    if spec == "migrate":
        mig = m.migrations[:6]
        if not mig:
            raise TraceError("window migrate: no migration in the trace")
        a, b = mig[0][0], mig[-1][0]
        span = max(b - a, t.tsc_khz * 4)
        return a - span // 12, b + span // 6, []
    if ":" not in spec:
        raise TraceError(f"no window '{spec}': one of {', '.join(WINDOWS)} or A:B in ms")
    a, _, b = spec.partition(":")
    ms = lambda x: int(float(x) * t.tsc_khz + t.tsc_boot)   # noqa: E731
    return ms(a), ms(b), []


def cpu_events(t, cpu):
    return [e for e in t.events if e.cpu == cpu]


def switch_out(ev, i):
    """The SWITCH away from ev[i]'s task that ev[i] (a LOCAL_SAVE, traced
    after the switch's own record, in prepare_task_switch()) belongs to."""
    return next((x for x in reversed(ev[:i]) if x.name == "SWITCH"), None)


def switch_window(t, m):
    """The deepest switch-out save followed by a restore for the next task:
    from the saving task's slice start to just after it is back."""
    best = None
    for cpu in t.cpus:
        ev = cpu_events(t, cpu)
        for i, e in enumerate(ev):
            if e.name != "LOCAL_SAVE" or e.a < 2:
                continue
            sw = switch_out(ev, i)
            if not sw or sw.a != e.pid:
                continue
            nxt = sw.b
            upto = next((k for k in range(i + 1, len(ev)) if ev[k].name == "SWITCH"), len(ev))
            rest = next((x for x in ev[i:upto] if x.name == "LOCAL_RESTORE" and x.pid == nxt
                         and x.a >= 2), None)
            back = next((x for x in ev[i + 1:] if x.name == "LOCAL_RESTORE" and x.pid == e.pid), None)
            if not rest or not back or (best and best[0] >= e.a):
                continue
            since = max((x.tsc for x in ev[:i] if x.name == "SWITCH" and x.b == e.pid
                         and x.tsc < sw.tsc), default=e.tsc)
            best = (e.a, cpu, e, rest, back, since)
    if not best:
        raise TraceError("window switch: no task was switched out holding 2 or more local maps")
    n, cpu, save, rest, back, since = best
    span = back.tsc - since
    name = lambda pid: f"{t.task(pid)}[{pid}]"   # noqa: E731
    notes = [(save.tsc, cpu, f"switch-out: {name(save.pid)}'s {save.a} slots cleared, kept in its pteval[]"),
             (rest.tsc, cpu, f"switch-in: {name(rest.pid)}'s {rest.a} put back"),
             (back.tsc, cpu, f"{name(back.pid)} back: its {back.a} restored")]
    return since - span // 20, back.tsc + span // 5, notes


def conversion_window(t, m):
    """A task preempted holding a local map, the next task on that CPU
    mapping in its place, and the first finishing its section afterwards."""
    for cpu in t.cpus:
        ev = cpu_events(t, cpu)
        for i, e in enumerate(ev):
            if e.name != "LOCAL_SAVE" or e.a < 1:
                continue
            a = e.pid
            sw = switch_out(ev, i)
            if not sw or sw.a != a or sw.b == a or t.task(sw.b) != t.task(a):
                continue
            b = sw.b
            start = max((x for x in ev[:i] if x.name == "LOCAL_MAP" and x.pid == a),
                        key=lambda x: x.tsc, default=None)
            bmap = next((x for x in ev[i:] if x.name == "LOCAL_MAP" and x.pid == b), None)
            back = next((x for x in ev[i:] if x.name == "LOCAL_RESTORE" and x.pid == a), None)
            done = back and next((x for x in ev if x.tsc > back.tsc and x.name == "LOCAL_UNMAP"
                                  and x.pid == a), None)
            if not (start and bmap and done):
                continue
            name = lambda pid: f"{t.task(pid)}[{pid}]"   # noqa: E731
            notes = [(start.tsc, cpu, f"{name(a)} maps its page, copies it into the per-CPU buffer"),
                     (e.tsc, cpu, f"{name(a)} preempted mid-checksum, its map saved"),
                     (bmap.tsc, cpu, f"{name(b)} maps its page, copies it into the same buffer"),
                     (done.tsc, cpu, f"{name(a)} resumes, ends its checksum over {name(b)}'s data")]
            span = done.tsc - start.tsc
            return start.tsc - span // 12, done.tsc + span // 12, notes
    raise TraceError("window conversion: no task was preempted inside a local map "
                     "and followed by a task of its name")


def to_svg(t, window=None, title=None, cpus=None):
    """The picture. cpus: the lanes to draw (default: every CPU, or for a
    window about one CPU's tasks, that CPU's)."""
    m = Model(t)
    w0, w1, notes = choose_window(t, m, window)
    if cpus is None:
        cpus = sorted({c for _, c, _ in notes}) if notes else list(t.cpus)
    lanes = [c for c in t.cpus if c in cpus]
    if not lanes:
        raise TraceError(f"no CPU {cpus} in the trace (it has {t.cpus})")
    W, left, right = 1400, 150, 30
    lane_gap, top = 14, 110
    span = max(w1 - w0, 1)

    def inside(t0, t1):
        return t1 >= w0 and t0 <= w1

    # room for the kmap_local rows only if some local map is in the window
    has_local = any(inside(s[0], s[1]) for c in lanes for s in m.slots.get(c, []) + m.saved.get(c, []))
    lane_h = 108 if has_local else 46

    # the pool's panel only when the pool does something in the window
    show_pool = (any(inside(k[0], k[0]) for ks in m.kmaps.values() for k in ks)
                 or any(inside(f[0], f[1]) for f in m.flushes)
                 or any(inside(w[0], w[0]) for w in m.wraps))
    pool_h = 170 if show_pool else 0
    note_rows = min(len(notes), 3)
    note_h = 8 + 14 * note_rows if notes else 0     # rows of labels above each lane
    plot_w = W - left - right
    ncpu = len(lanes)
    lane_y = {cpu: top + note_h + i * (note_h + lane_h + lane_gap) for i, cpu in enumerate(lanes)}
    pool_top = top + ncpu * (note_h + lane_h + lane_gap) + (40 if show_pool else 0)
    legend_rows = 4 if show_pool else 2
    H = pool_top + pool_h + 60 + 22 * legend_rows

    def x(tsc):
        return left + (min(max(tsc, w0), w1) - w0) * plot_w / span

    out = []
    add = out.append
    add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">')
    add('<defs>'
        '<marker id="ipi" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d62728"/></marker>'
        '<marker id="mig" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6a3d9a"/></marker>'
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde0dd"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#f4a6a0" stroke-width="3"/></pattern>'
        '</defs>')
    add(f'<rect width="{W}" height="{H}" fill="white"/>')
    heading = title or "kmaplab trace=kmap"
    size = 20 if len(heading) <= 100 else max(12, 2000 // len(heading))   # fit 1400 px
    add(f'<text x="20" y="30" font-size="{size}" font-weight="bold">{esc(heading)}</text>')
    shown = (f"{ncpu} CPUs" if ncpu == len(t.cpus) else
             "CPU " + ", ".join(map(str, lanes)) + f" of {len(t.cpus)} CPUs")
    sub = (f"{shown}, {t.ms(w0):.3f} ms to {t.ms(w1):.3f} ms after boot; "
           f"{len(t.events)} events in the whole trace")
    add(f'<text x="20" y="52" font-size="13" fill="#444">{esc(sub)}</text>')

    # time axis
    axis_y = top - 18
    add(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#888"/>')
    ms_span = t.ms(w1) - t.ms(w0)
    step = 10 ** len(str(int(ms_span * 1000 / 8))) / 1000 if ms_span > 0 else 1
    for mult in (1, 2, 5, 10):
        if ms_span / (step * mult / 10) <= 12:
            step = step * mult / 10
            break
    tick = (int(t.ms(w0) / step) + 1) * step
    while tick < t.ms(w1):
        tx = left + (tick - t.ms(w0)) * plot_w / ms_span
        add(f'<line x1="{tx:.1f}" y1="{axis_y - 4}" x2="{tx:.1f}" y2="{pool_top + pool_h}" stroke="#eee"/>')
        add(f'<text x="{tx:.1f}" y="{axis_y - 8}" text-anchor="middle" fill="#555">{tick:.{max(0, -int(f"{step:e}".split("e")[1]))}f} ms</text>')
        tick += step

    # global flushes: a band across every lane and the pool
    for f0, f1, cpu, freed, ipis in m.flushes:
        if not inside(f0, f1):
            continue
        fx0, fx1 = x(f0), x(f1)
        add(f'<rect x="{fx0:.1f}" y="{top - 6}" width="{max(fx1 - fx0, 2):.1f}" '
            f'height="{pool_top + pool_h - top + 6}" fill="url(#hatch)" opacity="0.8">'
            f'<title>global flush from CPU {cpu}: {freed} slots freed, {ipis} IPIs</title></rect>')

    late = []       # labels drawn over the pool's area, at the end
    shown = [f for f in m.flushes if inside(f[0], f[1])]
    for i, (f0, f1, cpu, freed, ipis) in enumerate(shown if len(shown) <= 6 else []):
        right = x(f1) > left + plot_w * 0.7
        late.append(f'<text x="{(x(f0) - 4 if right else x(f1) + 4):.1f}" y="{pool_top + 34 + 15 * (i % 4)}" '
                    f'fill="#c0392b" font-size="12" text-anchor="{"end" if right else "start"}">'
                    f'global flush (CPU {cpu}): {freed} idle slots freed, {ipis} IPIs</text>')

    # CPU lanes
    slot_h = 9
    for cpu in lanes:
        y = lane_y[cpu]
        add(f'<rect class="cpu-lane" id="cpu-lane-{cpu}" x="{left}" y="{y}" width="{plot_w}" '
            f'height="{lane_h}" fill="#fafafa" stroke="#ccc"/>')
        add(f'<text x="{left - 12}" y="{y + 22}" text-anchor="end" font-size="15" font-weight="bold">CPU {cpu}</text>')
        add(f'<text x="{left - 12}" y="{y + 40}" text-anchor="end" font-size="10" fill="#666">running task</text>')
        if has_local:
            add(f'<text x="{left - 12}" y="{y + 52}" text-anchor="end" font-size="10" fill="#666">saved off the CPU</text>')
            add(f'<text x="{left - 12}" y="{y + 84}" text-anchor="end" font-size="10" fill="#666">kmap_local slots</text>')
        # kmap_local stacks of tasks switched out, kept in their pteval[]
        for t0, t1, pid, n in m.saved.get(cpu, []):
            if not inside(t0, t1):
                continue
            bx0, bx1 = x(t0), x(t1)
            add(f'<rect x="{bx0:.1f}" y="{y + 43}" width="{max(bx1 - bx0, 1):.1f}" height="11" '
                f'fill="{task_color(pid)}" fill-opacity="0.35" stroke="{task_color(pid)}" '
                f'stroke-dasharray="3,2"><title>{esc(t.task(pid))} [{pid}] switched out: {n} '
                f'kmap_local position{"" if n == 1 else "s"} saved in its pteval[], '
                f'{t.ms(t0):.3f}-{t.ms(t1):.3f} ms</title></rect>')
            label = f"{t.task(pid)}[{pid}]: {n} saved"
            if bx1 - bx0 > 6.5 * len(label) + 6:
                add(f'<text x="{bx0 + 4:.1f}" y="{y + 52}" font-size="10" fill="#333">{esc(label)}</text>')
        # running task
        for t0, t1, pid in m.running.get(cpu, []):
            if not inside(t0, t1) or pid == 0:
                continue
            rx0, rx1 = x(t0), x(t1)
            add(f'<rect x="{rx0:.1f}" y="{y + 4}" width="{max(rx1 - rx0, 0.8):.1f}" height="28" '
                f'fill="{task_color(pid)}" stroke="white" stroke-width="0.5">'
                f'<title>{esc(t.task(pid))} [{pid}] on CPU {cpu}: {t.ms(t0):.3f}-{t.ms(t1):.3f} ms</title></rect>')
            label = f"{t.task(pid)}[{pid}]"
            if rx1 - rx0 > 7 * len(label) + 6:
                add(f'<text x="{rx0 + 4:.1f}" y="{y + 23}" fill="white" font-weight="bold">{esc(label)}</text>')
        # IRQs: small ticks along the lane's top edge
        for t0, t1, vec in m.irqs.get(cpu, []):
            if inside(t0, t1):
                add(f'<rect x="{x(t0):.1f}" y="{y + 34}" width="{max(x(t1) - x(t0), 1):.1f}" height="5" '
                    f'fill="#999"><title>IRQ vector {vec:#x}</title></rect>')
        # kmap_local slots, stacked by position (0 at the bottom)
        for t0, t1, pos, pid, pfn in m.slots.get(cpu, []):
            if not inside(t0, t1):
                continue
            sy = y + lane_h - 6 - (pos + 1) * slot_h
            if sy < y + 56:
                continue
            add(f'<rect x="{x(t0):.1f}" y="{sy}" width="{max(x(t1) - x(t0), 1.2):.1f}" height="{slot_h - 1}" '
                f'fill="{task_color(pid)}" stroke="#333" stroke-width="0.4">'
                f'<title>{esc(t.task(pid))} [{pid}]: position {pos} maps pfn {pfn:#x}, '
                f'{t.ms(t0):.3f}-{t.ms(t1):.3f} ms</title></rect>')

    # wraps: a marker at the top of the wrapping CPU's lane and on the pool
    for tsc, cpu in m.wraps:
        if inside(tsc, tsc) and cpu in lane_y:
            wx = x(tsc)
            y = lane_y[cpu]
            add(f'<line x1="{wx:.1f}" y1="{y}" x2="{wx:.1f}" y2="{pool_top + pool_h}" stroke="#1f77b4" '
                f'stroke-width="1.5" stroke-dasharray="5,3"/>')
            late.append(f'<text x="{wx - 3:.1f}" y="{pool_top + 16}" fill="#1f77b4" font-weight="bold" '
                        f'text-anchor="end">wrap (CPU {cpu})</text>')

    # pool sleeps and wake-ups
    for tsc, cpu, pid, what in m.sleeps:
        if inside(tsc, tsc) and cpu in lane_y:
            sx, y = x(tsc), lane_y[cpu]
            sym = {"POOL_SLEEP": "zz", "POOL_WOKEN": "awake", "POOL_WAKEUP": "wake"}[what]
            add(f'<text x="{sx:.1f}" y="{y + lane_h - 2}" font-size="11" fill="#8c564b" '
                f'font-weight="bold">{sym}</text>')

    # flush IPIs: arrows from the sender's lane to the receiver's
    for ts, src, tr, dst in m.ipis:
        if not inside(ts, tr) or src not in lane_y or dst not in lane_y:
            continue
        y0 = lane_y[src] + lane_h / 2
        y1 = lane_y[dst] + (12 if lane_y[dst] > lane_y[src] else lane_h - 12)
        add(f'<line x1="{x(ts):.1f}" y1="{y0:.1f}" x2="{x(tr):.1f}" y2="{y1:.1f}" stroke="#d62728" '
            f'stroke-width="1.6" marker-end="url(#ipi)"><title>TLB-flush IPI CPU {src} -> CPU {dst}</title></line>')

    # migrations
    for tsc, pid, src, dst, by in m.migrations:
        if not inside(tsc, tsc) or src not in lane_y or dst not in lane_y:
            continue
        mx = x(tsc)
        y0 = lane_y[src] + lane_h / 2
        y1 = lane_y[dst] + lane_h / 2
        add(f'<path d="M{mx:.1f},{y0:.1f} C{mx + 40:.1f},{y0:.1f} {mx + 40:.1f},{y1:.1f} {mx + 4:.1f},{y1:.1f}" '
            f'fill="none" stroke="#6a3d9a" stroke-width="2" marker-end="url(#mig)">'
            f'<title>{esc(t.task(pid))} [{pid}] moves CPU {src} -> CPU {dst}</title></path>')
        add(f'<text x="{mx + 42:.1f}" y="{(y0 + y1) / 2:.1f}" fill="#6a3d9a" font-size="11">'
            f'{esc(t.task(pid))}[{pid}]</text>')

    # the pool: slots in use and idle slots awaiting a flush, out of 512
    if show_pool:
        py = pool_top
        add(f'<rect x="{left}" y="{py}" width="{plot_w}" height="{pool_h}" fill="#fafafa" stroke="#ccc"/>')
        add(f'<text x="{left - 12}" y="{py + 22}" text-anchor="end" font-size="15" font-weight="bold">pkmap pool</text>')
        add(f'<text x="{left - 12}" y="{py + 40}" text-anchor="end" font-size="10" fill="#666">slots of 512</text>')
        for v in (0, 128, 256, 384, 512):
            gy = py + pool_h - v * pool_h / 512
            add(f'<line x1="{left}" y1="{gy:.1f}" x2="{left + plot_w}" y2="{gy:.1f}" stroke="#e4e4e4"/>')
            add(f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end" font-size="10" fill="#666">{v}</text>')
        pts = [p for p in m.pool if w0 <= p[0] <= w1]
        before = [p for p in m.pool if p[0] < w0]
        if before:
            pts.insert(0, (w0,) + before[-1][1:])
        if pts:
            pts.append((w1,) + pts[-1][1:])

        def area(get, base):
            d, prev = [], None
            for tsc, in_use, idle in pts:
                v = get(in_use, idle)
                if prev is not None:
                    d.append(f"L{x(tsc):.1f},{py + pool_h - prev * pool_h / 512:.1f}")
                d.append(f"L{x(tsc):.1f},{py + pool_h - v * pool_h / 512:.1f}")
                prev = v
            back = []
            prevb = None
            for tsc, in_use, idle in reversed(pts):
                v = base(in_use, idle)
                if prevb is not None:
                    back.append(f"L{x(tsc):.1f},{py + pool_h - prevb * pool_h / 512:.1f}")
                back.append(f"L{x(tsc):.1f},{py + pool_h - v * pool_h / 512:.1f}")
                prevb = v
            return "M" + (d[0][1:] if d else "0,0") + " " + " ".join(d[1:] + back) + " Z"

        if pts:
            add(f'<path d="{area(lambda u, i: u + i, lambda u, i: u)}" fill="#fdae6b" stroke="#e6550d" stroke-width="0.6"/>')
            add(f'<path d="{area(lambda u, i: u, lambda u, i: 0)}" fill="#6baed6" stroke="#2171b5" stroke-width="0.6"/>')

    out.extend(late)

    # notes: what the window is about, labelled above the lane they concern
    for i, (tsc, cpu, text) in enumerate(sorted(notes)):
        if not inside(tsc, tsc) or cpu not in lane_y:
            continue
        nx, y = x(tsc), lane_y[cpu]
        ty = y - note_h + 12 + 14 * (i % note_rows)
        right_side = nx > left + plot_w * 0.6
        add(f'<line x1="{nx:.1f}" y1="{ty + 3}" x2="{nx:.1f}" y2="{y + lane_h}" stroke="#222" '
            f'stroke-width="1" stroke-dasharray="2,2"/>')
        add(f'<text x="{nx + (-4 if right_side else 4):.1f}" y="{ty}" font-size="12" fill="#222" '
            f'text-anchor="{"end" if right_side else "start"}">{esc(text)}</text>')

    # legend
    ly = pool_top + pool_h + 40
    pool_items = [
        ("rect", "#6baed6", "pkmap slots in use (count >= 2)"),
        ("rect", "#fdae6b", "idle pkmap slots: kunmapped, still in some TLB until the next global flush (count 1)"),
        ("hatch", None, "global flush of the pool (every CPU's TLB; hover for slots freed)"),
        ("dash", "#1f77b4", "pool cursor wraps 511 -> 0 (a flush follows if any slot is idle)"),
        ("arrow", "#d62728", "TLB-flush IPI, sender -> receiver"),
    ]
    items = (pool_items if show_pool else []) + [
        ("arrow", "#6a3d9a", "task migration between CPUs"),
        ("slot", "#888", "kmap_local slot held (stacked by position, in the task's colour); grey ticks: IRQs"),
        ("saved", "#888", "a switched-out task's kmap_local positions, saved in its pteval[] until switch-in"),
    ]
    for i, (kind, color, text) in enumerate(items):
        cx = left + (i % 2) * 620
        cy = ly + (i // 2) * 22
        if kind == "rect":
            add(f'<rect x="{cx}" y="{cy - 10}" width="22" height="12" fill="{color}"/>')
        elif kind == "hatch":
            add(f'<rect x="{cx}" y="{cy - 10}" width="22" height="12" fill="url(#hatch)" stroke="#f4a6a0"/>')
        elif kind == "dash":
            add(f'<line x1="{cx + 11}" y1="{cy - 12}" x2="{cx + 11}" y2="{cy + 3}" stroke="{color}" stroke-width="1.5" stroke-dasharray="4,2"/>')
        elif kind == "arrow":
            mk = "ipi" if color == "#d62728" else "mig"
            add(f'<line x1="{cx}" y1="{cy - 4}" x2="{cx + 22}" y2="{cy - 4}" stroke="{color}" stroke-width="2" marker-end="url(#{mk})"/>')
        elif kind == "saved":
            add(f'<rect x="{cx}" y="{cy - 10}" width="22" height="10" fill="#4e79a7" fill-opacity="0.35" stroke="#4e79a7" stroke-dasharray="3,2"/>')
        else:
            add(f'<rect x="{cx}" y="{cy - 10}" width="22" height="8" fill="#4e79a7" stroke="#333" stroke-width="0.4"/>')
        add(f'<text x="{cx + 30}" y="{cy}" font-size="12">{esc(text)}</text>')
    add("</svg>")
    return "\n".join(out) + "\n"


# ---- the command line ----

def main_check_ok(t, lines):
    """Would --check pass on this log? (quietly)"""
    import io
    return check_report(t, counters(lines), io.StringIO())


def check_report(t, c, out=sys.stdout):
    rows = compare(t, c)
    bad = [r for r in rows if r[1] != r[2]]
    if t.dropped:
        print(f"trace: {t.dropped} records dropped (a buffer filled): counts cannot be compared", file=out)
        return False
    if not rows:
        print("trace: no end-of-run counters in the log to compare with", file=out)
        return False
    for k, seen, counted in rows:
        mark = "ok  " if seen == counted else "DIFF"
        print(f"  {mark} {k:24} trace {seen:6}  kernel {counted:6}", file=out)
    print(f"trace: {len(rows) - len(bad)} of {len(rows)} counts equal the kernel's counters", file=out)
    return not bad


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("log", nargs="?", help="console log of a trace=kmap run")
    p.add_argument("--json", help="write the Chrome Trace Event / Perfetto JSON here")
    p.add_argument("--svg", help="write the SVG picture here")
    p.add_argument("--window", default="all",
                   help="the SVG's time range: all, wrap (around the first wrap that flushed), "
                        "switch (a kmap_local stack saved and restored), conversion (a task "
                        "preempted inside a local map section, another entering it), migrate "
                        "(the first migrations), or A:B in ms")
    p.add_argument("--title", help="the SVG's heading")
    p.add_argument("--cpus", help="the SVG's lanes, e.g. 0,2 (default: every CPU, or the CPU "
                                  "a switch or conversion window is about)")
    p.add_argument("--dump", type=int, default=0,
                   help="which dump of the log to read, 1 for the first (default: the last; the "
                        "monitor's `trace dump` adds one after the end of the run's)")
    p.add_argument("--check", action="store_true",
                   help="compare event counts with the kernel's end-of-run counters (exit 1 if any differ)")
    p.add_argument("--selftest", action="store_true", help="run this tool's own tests")
    a = p.parse_args(argv)
    if a.selftest:
        return selftest()
    if not a.log:
        p.error("a console log is needed")
    with open(a.log, errors="replace") as f:
        lines = f.readlines()
    which = a.dump - 1 if a.dump > 0 else -1
    try:
        t = parse(lines, which)
    except TraceError as e:
        print(f"trace: {a.log}: {e}", file=sys.stderr)
        return 1
    ok = True
    nth = f"dump {which + 1 if which >= 0 else t.dumps} of {t.dumps}: " if t.dumps > 1 else ""
    print(f"trace: {nth}{len(t.events)} events from {len(t.cpus)} CPUs, {len(t.tasks) - 1} tasks named")
    if a.check:
        ok = check_report(t, counters(lines_before_dump(lines, which)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(to_json(t), f)
        print(f"trace: wrote {a.json} (open it in ui.perfetto.dev or chrome://tracing)")
    if a.svg:
        try:
            svg = to_svg(t, a.window, a.title,
                         [int(c) for c in a.cpus.split(",")] if a.cpus else None)
        except TraceError as e:
            print(f"trace: {a.log}: {e}", file=sys.stderr)
            return 1
        with open(a.svg, "w") as f:
            f.write(svg)
        print(f"trace: wrote {a.svg}")
    return 0 if ok else 1


def selftest():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "harness"))
    import trace_test
    return trace_test.main([])


if __name__ == "__main__":
    sys.exit(main())
