#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""monitor_test.py - a scripted session at the kmaplab> monitor, typed into a pty.

    python3 tests/harness/monitor_test.py --build build

`make run-kernel` ends at the monitor (kernel/monitor.c). This test boots it
(2 GiB, so there is highmem, and 2 CPUs, so a local map can be made on the
one the monitor does not run on), types into the terminal as a person would
(pty_test.Terminal: receive goes through COM1's IRQ 4, so nothing is typed
before the prompt) and checks each answer:
  1. a highmem page the monitor allocates is kmapped; `pkmap` shows its slot
     with one user; a value poked through the address is peeked back;
     `run` is refused while the slot is held; after kunmap the slot is idle
     ('i') and its PTE still maps the page (kunmap is lazy);
  2. kmon_local maps the page on CPU 1; `slots 1` shows the map saved off
     the CPU (kmon_local sleeps); `pte` of the slot names it and finds it
     not present; `tasks` shows kmon_local's stack; unlocal ends it;
  3. line editing: Ctrl-U, Backspace and Up (history);
  4. the other commands (meminfo, zones, free, slots, atomic, tlbflush,
     cpus, irqs, log, run SUITE.CASE) each answer with their telling line;
  5. bad input, one kind per test: each is answered in exactly one line;
  6. `poweroff` ends the run with `run: PASS` (the `run` of step 4 passed).
Then a second session on the traced kernel (build/kernel-trace.elf, booted
by `make run-kernel ARGS='test=none trace=kmap'`):
  7. `trace clear`, `trace on`, two kmap()s and two kunmap()s of one page,
     a local map on CPU 1 and its unlocal, `trace off`, `trace dump`; on the
     host tools/trace.py reads the dump (the last of the log's two) and its
     events must be exactly what was typed: one miss and one hit of that
     pfn, two kunmaps, a local map and unmap at position 0 on CPU 1 by
     kmon_local, as many kmap calls as `pkmap`'s counter rose by, nothing
     dropped; `trace clear` while recording and a bad word are refused.
Each step is one counted test; the sessions are kept as
build/test-logs/monitor.log and monitor-trace.log (the docs quote them).
Last line: "N passed, N failed".
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools"))
import pty_test  # noqa: E402
from pty_test import Terminal, tail  # noqa: E402
import trace as tr  # noqa: E402  (tools/trace.py)

BOOT_TIMEOUT = 90
PROMPT = b"kmaplab> "

# The other commands: (what to type, a regex one of its lines must match)
OTHER_COMMANDS = [
    ("help", r"^  pkmap \[N\]\s+the 512 pool slots"),
    ("meminfo", r"HighTotal: +\d+ kB$"),
    ("zones", r"^HighMem +0x[0-9a-f]+ +0x[0-9a-f]+ +\d+"),
    ("free", r"^HighMem( +\d+){11}  = \d+ pages free$"),
    ("pkmap 0", r"^pkmap slot 0 at ffc00000: count 0 \(free\)$"),
    ("slots", r"^CPU1: \d+ slots from [0-9a-f]{8} down; running "),
    ("atomic 0x100", r"^atomic: pfn 0x100 -> c0100000 on CPU0, pte 0x[0-9a-f]{16}; first bytes "),
    ("tlbflush 0xffc00000", r"^tlbflush: INVLPG ffc00000 on every online CPU \(1 IPIs\)$"),
    ("tlbflush", r"^tlbflush: the whole TLB, globals included, on every online CPU \(1 IPIs\)$"),
    ("cpus", r"^CPU1: APIC 0x[0-9a-f]+, running "),
    ("irqs", r"^ COM: +[1-9]\d* +0   COM1 receive: ISA IRQ 4, IOAPIC input 4, vector 0x34$"),
    ("log 3", r"^# \[ *\d+\.\d+\] "),
    ("run kmap_atomic.fault_inside_goes_to_fixup", r"^run: kmap_atomic.fault_inside_goes_to_fixup: 0 cases failed$"),
    ("trace on", r"^trace: this kernel is built without tracing; boot the traced one "
                 r"\(build/kernel-trace\.elf\): make run ARGS='test=none trace=kmap'$"),
]

# (what to type, regex its single line must match)
BAD_INPUT = [
    ("kmpa", r"^unknown command 'kmpa'; try help$"),
    ("kmap 0x999999999", r"^kmap: 0x999999999 is not a RAM pfn"),
    ("kmap banana", r"^kmap: 'banana' is not a number$"),
    ("kmap", r"^kmap: usage: kmap PFN$"),
    ("kunmap 0x100", r"^kunmap: pfn 0x100 is not kmapped by the monitor"),
    ("pkmap 512", r"^pkmap: '512' is not a slot \(0\.\.511\)$"),
    ("slots 9", r"^slots: '9' is not an online CPU"),
    ("local 0x100", r"^local: pfn 0x100 is lowmem: .* takes no slot$"),
    ("unlocal", r"^unlocal: kmon_local holds no maps$"),
    ("peek 0x1000", r"^peek: 00001000 is below PAGE_OFFSET"),
    ("peek 0xffdf4000", r"^peek: ffdf4000 faulted \(pkmap slot 500\); nothing read$"),
    ("peek 0xc0000000 999", r"^peek: '999' is not a length"),
    ("poke 0xc0000000 zz", r"^poke: 'zz' is not a 32-bit value$"),
    ("poke 0x10 1", r"^poke: 00000010 is below PAGE_OFFSET"),
    ("pte 0x123456789", r"^pte: '0x123456789' is not a 32-bit address$"),
    ("tlbflush xyz", r"^tlbflush: 'xyz' is not a 32-bit address$"),
    ("run nosuch", r"^run: no suite or case 'nosuch'"),
    ("torture 0", r"^torture: '0' is not a number of seconds"),
    ("bench nope", r"^bench: no case 'nope'"),
    ("help me", r"^help: takes no arguments$"),
    ("log -5", r"^log: '-5' is not a line count"),
    ("alloc medium", r"^alloc: 'medium' is neither high nor low$"),
    ("release 0x100", r"^release: pfn 0x100 was not allocated by the monitor$"),
    ("kmap 1 2 3 4 5 6", r"^kmap: too many arguments$"),
]


class Session:
    """Type a line, collect what the monitor answered up to the next prompt."""

    def __init__(self, term):
        self.term = term

    def ask(self, typed, timeout=20):
        start = len(self.term.screen)
        self.term.type(typed if isinstance(typed, bytes) else typed.encode() + b"\r")
        if not self.term.read_until(PROMPT, timeout):
            return None
        out = self.term.screen[start:].decode(errors="replace").replace("\r", "")
        lines = out.split("\n")
        # the first line is the echo of what was typed, the last the new prompt
        return [ln for ln in lines[1:-1]]


def run_checks(build, log_dir=None, mem="2G", smp=2):
    return (plain_session(build, log_dir, mem, smp) +
            trace_session(build, log_dir, mem, smp))


def start(build, mem, smp, args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["TERM"] = "xterm"
    argv = ["make", "-s", f"B={build}", "run-kernel", f"MEM={mem}", f"SMP={smp}",
            f"ARGS={args}"]
    return Terminal(argv, env)


def save(term, log_dir, name):
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        with open(os.path.join(log_dir, name), "wb") as f:
            f.write(term.screen.replace(b"\r", b""))


def plain_session(build, log_dir, mem, smp):
    term = start(build, mem, smp, "test=none")
    s = Session(term)
    results = []

    def check(name, ok, diags):
        results.append((f"monitor.{name}", bool(ok), [] if ok else diags + tail(term.screen)))
        return ok

    def answer(cmd, pattern, name=None):
        """Ask; the answer must have a line matching pattern. The match, or None."""
        out = s.ask(cmd)
        if out is None:
            return None, [f"no prompt after '{cmd}'"]
        for ln in out:
            m = re.search(pattern, ln)
            if m:
                return m, out
        return None, [f"'{cmd}' answered {out!r}, nothing matches /{pattern}/"]

    try:
        ok = term.read_until(PROMPT, BOOT_TIMEOUT)
        if not check("prompt_after_done", ok and b"kmaplab: done" in term.screen,
                     [f"no 'kmaplab: done' then '{PROMPT.decode()}' within {BOOT_TIMEOUT} s"]):
            return results

        # 1. kmap, pkmap, poke/peek, refusal, kunmap
        diags = []
        m, out = answer("alloc high", r"^alloc: pfn (0x[0-9a-f]+) \(HighMem\)$")
        pfn = m and m.group(1)
        m2 = None
        if pfn:
            m2, out = answer(f"kmap {pfn}", r"^kmap: pfn (0x[0-9a-f]+) -> ([0-9a-f]{8}), "
                             r"pkmap slot (\d+), count 2 \(1 user\)$")
        if not m2:
            diags += out
        check("kmap_a_highmem_page", m2, diags)
        if not m2:
            return results
        va, slot = m2.group(2), int(m2.group(3))

        def grid_char(out, slot):
            row = slot // 64 * 64
            for ln in out:
                g = re.match(r"^\s*(\d+) ([.i0-9+]{64})$", ln)
                if g and int(g.group(1)) == row:
                    return g.group(2)[slot % 64]
            return None

        out = s.ask("pkmap") or []
        c = grid_char(out, slot)
        check("pkmap_shows_the_slot_in_use", c == "1" and
              any(re.search(r"in use [1-9]\d*; cursor \d+", ln) for ln in out),
              [f"slot {slot} shows {c!r}, not '1'", *out])

        m, out = answer(f"poke 0x{va} 0x706d616b",
                        rf"^poke: {va} <- 0x706d616b \(was 0x[0-9a-f]{{8}}\)$")
        m2, out2 = answer(f"peek 0x{va} 8", rf"^{va}: 6b 61 6d 70 .*\|kamp")
        check("poke_then_peek_through_the_kmap", m and m2, out + out2)

        out = s.ask("tasks") or []
        ok = (any(re.search(r"^pkmap holdings: 1 slot in use, 1 user; the pool counts users, "
                            r"not which tasks", ln) for ln in out) and
              any(re.search(rf"^\s+slot +{slot} pfn {pfn}: 1 user: init\[1\] \(the monitor\) 1$", ln)
                  for ln in out))
        check("tasks_lists_the_pool_holdings", ok, out)

        m, out = answer("run kmap", r"^run: refused: the monitor holds 1 kmap and 0 local maps")
        check("run_refused_while_a_slot_is_held", m, out)

        m, out = answer(f"kunmap {pfn}", rf"^kunmap: pfn {pfn}, pkmap slot {slot} count now 1 "
                        r"\(idle: still mapped until the next global flush\)$")
        out2 = s.ask("pkmap") or []
        c = grid_char(out2, slot)
        check("kunmap_drops_the_count_to_idle", m and c == "i",
              out + [f"slot {slot} shows {c!r}, not 'i'"])

        frame = f"frame 0x{int(pfn, 16):x}000"
        m, out = answer(f"pte 0x{va}", rf"^\s*PTE\[{slot}\]\s+= 0x[0-9a-f]{{16}}: P RW .*{frame}$")
        check("pte_of_an_idle_slot_still_maps_the_page", m, out)

        # 2. a local map on CPU 1, seen saved off the CPU
        m, out = answer(f"local {pfn} 1", rf"^local: kmon_local\[(\d+)\] on CPU1: pfn {pfn} -> "
                        r"([0-9a-f]{8}), position 0$")
        check("local_map_on_cpu1", m, out)
        if m:
            pid, lva = m.group(1), m.group(2)
            m, out = answer("slots 1", rf"saved off the CPU: kmon_local\[{pid}\] position 0 "
                            rf"va {lva} pte 0x[0-9a-f]{{16}} pfn {pfn}$")
            check("slots_show_the_map_saved_off_cpu1", m, out)
            out = s.ask(f"pte 0x{lva}") or []
            ok = (any(re.search(rf"^pte {lva}: fixmap kmap_local slot \(CPU 1, idx 0\)", ln)
                      for ln in out) and
                  any(re.search(r"^\s*PTE\[\d+\]\s+= 0x0{16}: not present$", ln) for ln in out))
            check("pte_of_the_local_slot_is_cleared_while_its_task_sleeps", ok, out)
            m, out = answer("tasks", rf"^\s*{pid} kmon_local\s+1\s+D\s.*\s1 \[0:pfn {pfn}\]$")
            check("tasks_show_kmon_local_stack", m, out)
            m, out = answer("unlocal", rf"^unlocal: kmon_local\[{pid}\] on CPU1 unmapped {lva} "
                            rf"\(pfn {pfn}\); 0 left, so it exits$")
            check("unlocal_ends_kmon_local", m, out)
        m, out = answer(f"release {pfn}", rf"^release: pfn {pfn} is free again$")
        check("release_the_page", m, out)

        # 3. line editing: Ctrl-U drops the line, Backspace a character, Up recalls
        m, out = answer(b"garbage\x15pkmap 13\x7f2\r", r"^pkmap slot 12 at ffc0c000: ")
        m2, out2 = answer(b"\x1b[A\r", r"^pkmap slot 12 at ffc0c000: ")
        check("ctrl_u_backspace_and_history", m and m2, out + out2)

        # 4. the other commands answer
        diags = []
        for cmd, pattern in OTHER_COMMANDS:
            m, out = answer(cmd, pattern)
            if not m:
                diags += out
        check(f"other_{len(OTHER_COMMANDS)}_commands_answer", not diags, diags)

        # 5. bad input: exactly one line each
        diags = []
        for cmd, pattern in BAD_INPUT:
            out = s.ask(cmd)
            if out is None:
                diags.append(f"'{cmd}': no prompt came back")
                break
            lines = [ln for ln in out if ln.strip()]
            if len(lines) != 1 or not re.search(pattern, lines[0]):
                diags.append(f"'{cmd}' answered {lines!r}; want one line like /{pattern}/")
        check(f"bad_input_{len(BAD_INPUT)}_kinds_one_line_each", not diags, diags)

        # 6. poweroff
        term.type(b"poweroff\r")
        status = term.wait(10)
        term.drain(0.3)
        ok = status == 0 and b"run: PASS" in term.screen
        check("poweroff_ends_with_pass", ok,
              [f"make exited with {status}" if status is not None else "still running"])
    finally:
        term.kill()
        save(term, log_dir, "monitor.log")
    return results


def trace_session(build, log_dir, mem, smp):
    """The traced kernel: record a few typed maps and read them back on the host."""
    term = start(build, mem, smp, "test=none trace=kmap")
    s = Session(term)
    results = []

    def check(name, ok, diags):
        results.append((f"monitor.trace.{name}", bool(ok), [] if ok else diags + tail(term.screen)))
        return ok

    def answer(cmd, pattern):
        out = s.ask(cmd, timeout=60)
        if out is None:
            return None, [f"no prompt after '{cmd}'"]
        for ln in out:
            m = re.search(pattern, ln)
            if m:
                return m, out
        return None, [f"'{cmd}' answered {out!r}, nothing matches /{pattern}/"]

    def kmap_calls():
        m, out = answer("pkmap", r" (\d+) kmap calls$")
        return int(m.group(1)) if m else None

    try:
        ok = term.read_until(PROMPT, BOOT_TIMEOUT)
        if not check("prompt_after_the_boot_dump", ok and b"TRACE-END" in term.screen
                     and b"kmaplab: done" in term.screen,
                     [f"no TRACE-END, 'kmaplab: done' and '{PROMPT.decode()}' within {BOOT_TIMEOUT} s"]):
            return results

        m, out = answer("trace clear", r"^trace clear: stopped; 0 records \(CPU0 0, CPU1 0; "
                        r"16384 per CPU fit\), 0 dropped$")
        check("clear_empties_the_buffers", m, out)

        m, out = answer("alloc high", r"^alloc: pfn (0x[0-9a-f]+) \(HighMem\)$")
        if not check("alloc_a_highmem_page", m, out):
            return results
        pfn = m.group(1)
        calls0 = kmap_calls()
        m, out = answer("trace on", r"^trace on: recording; ")
        check("on_records", m, out)
        typed = [(f"kmap {pfn}", r"^kmap: pfn .* count 2 \(1 user\)$"),
                 (f"kmap {pfn}", r"^kmap: pfn .* count 3 \(2 users\)$"),
                 (f"kunmap {pfn}", r"^kunmap: pfn .* count now 2 \(still in use\)$"),
                 (f"kunmap {pfn}", r"^kunmap: pfn .* count now 1 \(idle: "),
                 (f"local {pfn} 1", r"^local: kmon_local\[(\d+)\] on CPU1: .* position 0$"),
                 ("unlocal", r"^unlocal: kmon_local\[\d+\] on CPU1 unmapped .* 0 left, so it exits$"),
                 ("trace clear", r"^trace clear: refused: recording; trace off first"),
                 ("trace off", r"^trace off: stopped; [1-9]\d* records \(CPU0 \d+, CPU1 \d+; "
                               r"16384 per CPU fit\), 0 dropped$"),
                 ("trace bogus", r"^trace: 'bogus' is not on, off, dump or clear$")]
        diags, local_pid = [], None
        for cmd, pattern in typed:
            m, out = answer(cmd, pattern)
            if not m:
                diags += out
            elif cmd.startswith("local"):
                local_pid = int(m.group(1))
        check("maps_typed_while_recording_and_trace_off", not diags, diags)
        calls1 = kmap_calls()

        start_dump = len(term.screen)
        m, out = answer("trace dump", r"^trace dump: the dump is for tools/trace.py")
        dumped = m and b"TRACE-END" in term.screen[start_dump:]
        check("dump_is_printed", dumped, out[-5:] if out else [])
        if not dumped:
            return results

        lines = term.screen.replace(b"\r", b"").decode(errors="replace").splitlines(keepends=True)
        diags = []
        try:
            t = tr.parse(lines)
            p = int(pfn, 16)
            ev = [(e.name, e.cpu, e.pid, e.a, e.b) for e in t.events
                  if e.name.startswith(("KMAP_", "KUNMAP", "LOCAL_MAP", "LOCAL_UNMAP", "POOL_"))]
            want = [("KMAP_MISS", 0, 1, None, p), ("KMAP_HIT", 0, 1, None, p),
                    ("KUNMAP", 0, 1, None, p), ("KUNMAP", 0, 1, None, p),
                    ("LOCAL_MAP", 1, local_pid, 0, p), ("LOCAL_UNMAP", 1, local_pid, 0, p)]
            got = [(n, c, pid, None if n.startswith(("KMAP", "KUNMAP")) else a, b)
                   for n, c, pid, a, b in ev]
            if got != want:
                diags.append(f"the trace's kmap events {got} are not what was typed {want}")
            if t.dumps != 2:
                diags.append(f"{t.dumps} dumps in the log, not 2 (the boot's and the monitor's)")
            if t.dropped:
                diags.append(f"{t.dropped} records dropped")
            if calls0 is None or calls1 is None or calls1 - calls0 != t.count("KMAP_HIT") + t.count("KMAP_MISS"):
                diags.append(f"pkmap's kmap calls went {calls0} -> {calls1}; the trace has "
                             f"{t.count('KMAP_HIT') + t.count('KMAP_MISS')}")
            if t.count("LOCAL_SAVE", 1) < 1 or t.task(local_pid) != "kmon_local":
                diags.append("no LOCAL_SAVE on CPU 1 (kmon_local sleeps holding its map), "
                             f"or pid {local_pid} is not named kmon_local: {t.task(local_pid)}")
        except tr.TraceError as e:
            diags.append(f"tools/trace.py could not read the dump: {e}")
        check("host_reads_exactly_the_typed_maps", not diags, diags)

        if log_dir:
            save(term, log_dir, "monitor-trace.log")
            svg = os.path.join(log_dir, "monitor-trace.svg")
            cp = subprocess.run([sys.executable, os.path.join(REPO, "tools", "trace.py"),
                                 os.path.join(log_dir, "monitor-trace.log"), "--svg", svg],
                                capture_output=True, text=True)
            check("trace_py_draws_it", cp.returncode == 0 and "dump 2 of 2: " in cp.stdout
                  and os.path.exists(svg), [cp.stdout, cp.stderr])

        term.type(b"poweroff\r")
        status = term.wait(10)
        term.drain(0.3)
        check("poweroff_ends_with_pass", status == 0 and b"run: PASS" in term.screen,
              [f"make exited with {status}" if status is not None else "still running"])
    finally:
        term.kill()
        save(term, log_dir, "monitor-trace.log")
    return results


def main(argv=None):
    return pty_test.check_main(run_checks, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
