#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gdb_test.py - do the kmaplab gdb commands (tools/gdb/kmaplab.py) tell the truth?

    python3 tests/harness/gdb_test.py --build build

Boots QEMU halted (-S, a gdb stub on a free port, -display none, serial to
a file), runs gdb in batch mode with the script loaded, stops the kernel
at chosen points and runs the commands there. Each command's output is
checked against what the kernel printed itself (the serial log) or, where
the kernel prints nothing, against plain gdb expressions. Two sessions:

  1. test=kmap.two_threads_share_one_address_valid_on_every_cpu demo=kmap
     - stop in kmap_high() on CPU 1 (gdb thread 2), `finish`: the case's
       thread moved itself to CPU 1 to kmap the page (kmap_test.c), so
       `kl-current 1` must name that thread, whose name is the case's (as
       the log's command line and KTAP result name it), and not the
       per-CPU template's "swapper/0" that `p current_task->comm` shows;
     - stop after kmap_demo(): `kl-pkmap` must show the slot, pfn, vaddr
       and PTE the demo printed, `kl-pte` its PTE at the physical address
       the demo printed, `kl-dmesg` the banner and the demo's lines,
       `kl-ps` init running where `kl-current` says.
  2. test=kmap_local.local_map_holder_is_preempted_but_not_migrated
     - stop in holder_fn() just after its kmap_local_page(): `kl-slots`
       must show the map in position 0 of the CPU range the boot log's
       "cpuN : 0x... - 0x..." line gives, `kl-kmap-stack holder` the same
       PTE as gdb's own `p holder->kmap_ctrl.pteval[0]`, `kl-pte` the same
       PTE in the page table, `kl-per-cpu kmap_local_va0 N` the slot;
     - then stop in spin_until(), the rival that only runs on holder's CPU
       once holder is switched out: `kl-kmap-stack holder` must show the
       same PTE saved in pteval[] with the slot empty, and `kl-slots` the
       rival running, no slot holding that PTE, and holder switched out
       with one position saved.

Each check is one counted test; the last line is "N passed, N failed";
the exit status is 0 only if all passed. Logs (serial and gdb's output)
go to BUILD/test-logs/gdb-*.log.
"""

import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pty_test  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "tools", "gdb", "kmaplab.py")
SESSION_TIMEOUT = 240
MARK = "@@kl-test@@ "

KMAP_CASE = "two_threads_share_one_address_valid_on_every_cpu"
LOCAL_CASE = "local_map_holder_is_preempted_but_not_migrated"
TASK_COMM_LEN = 16


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def source_line(path, text):
    """The line number of the first line of REPO/path containing text."""
    with open(os.path.join(REPO, path)) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise RuntimeError(f"{path} has no line with {text!r}")


def run_session(build, name, args, steps, log_dir):
    """Boot with args, run gdb with steps ([(label, gdb command)]); return
    (serial text, {label: output}, gdb's whole output)."""
    kernel = os.path.join(build, "kernel.elf")
    serial = os.path.join(log_dir, f"gdb-{name}-serial.log")
    if os.path.exists(serial):
        os.unlink(serial)
    port = free_port()
    qemu = subprocess.Popen(
        ["qemu-system-i386", "-accel", "tcg", "-m", "4G", "-smp", "4", "-cpu", "max",
         "-kernel", kernel, "-append", args, "-display", "none",
         "-serial", f"file:{serial}", "-monitor", "none", "-no-reboot",
         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
         "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    argv = ["gdb", "-q", "-nx", "-batch", "-x", SCRIPT, kernel,
            "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for label, command in steps:
        argv += ["-ex", f"echo \\n{MARK}{label}\\n", "-ex", command]
    argv += ["-ex", f"echo \\n{MARK}end\\n", "-ex", "kill"]
    try:
        for _ in range(50):             # QEMU listens a moment after it starts
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        out = subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=SESSION_TIMEOUT)
        text = out.stdout + out.stderr
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)\n"
    finally:
        qemu.kill()
        qemu.wait()
    with open(os.path.join(log_dir, f"gdb-{name}-gdb.log"), "w") as f:
        f.write(text)
    outputs, label = {}, None
    for line in text.splitlines():
        if line.startswith(MARK):
            label = line[len(MARK):]
            outputs[label] = ""
        elif label:
            outputs[label] += line + "\n"
    try:
        with open(serial, errors="replace") as f:
            log = f.read()
    except OSError:
        log = ""
    return log, outputs, text


def check(results, name, ok, diags):
    results.append((name, bool(ok), [] if ok else diags))


def session_kmap(build, log_dir, results):
    case = f"kmap.{KMAP_CASE}"
    steps = [
        ("stop1", "break kmap_high thread 2"),
        ("cont1", "continue"),
        ("finish1", "finish"),
        ("template", "print current_task->comm"),
        ("current1", "kl-current 1"),
        ("ps1", "kl-ps"),
        ("pkmap1", "kl-pkmap"),
        ("stop2", "delete"),
        ("break2", "break kmap_demo"),
        ("cont2", "continue"),
        ("finish2", "finish"),
        ("dmesg", "kl-dmesg"),
        ("pkmap", "kl-pkmap"),
        ("pte", "kl-pte 0xffc00000 + (last_pkmap_nr << 12)"),
        ("current", "kl-current"),
        ("ps", "kl-ps"),
    ]
    log, out, whole = run_session(build, "kmap", f"test={case} demo=kmap", steps, log_dir)
    log_tail = log.splitlines()[-15:]
    if "finish2" not in out or "kmap_demo" not in out.get("cont2", ""):
        check(results, "gdb.session_kmap_reaches_its_stops", False,
              ["gdb never stopped in kmap_demo()"] + whole.splitlines()[-25:] + log_tail)
        return
    check(results, "gdb.session_kmap_reaches_its_stops", True, [])

    # kl-current 1: the case's own thread, which the test moved to CPU 1
    comm = KMAP_CASE[:TASK_COMM_LEN - 1]
    ran = re.search(rf"^\[[ .0-9]+\]\s+ok \d+ {KMAP_CASE}$", log, re.M)
    cmdline = re.search(rf"Command line: .*test={re.escape(case)}", log)
    cur = out.get("current1", "")
    ok = (ran and cmdline and re.search(rf"^CPU 1: {re.escape(comm)}\[\d+\]", cur, re.M)
          and "swapper/0" in out.get("template", ""))
    check(results, "gdb.kl_current_1_names_the_case_thread_not_the_template", ok,
          [f"kl-current 1 printed: {cur.strip()}",
           f"the case's thread is '{comm}' (the log's command line: {bool(cmdline)}, "
           f"its 'ok N {KMAP_CASE}' line: {bool(ran)})",
           f"p current_task->comm printed: {out.get('template', '').strip()}"])
    row = re.search(rf"^\s*(\d+)\s+{re.escape(comm)}\s+1\s+R\s+on 1\s", out.get("ps1", ""), re.M)
    check(results, "gdb.kl_ps_shows_the_case_thread_running_on_cpu_1", row,
          ["kl-ps printed:"] + out.get("ps1", "").splitlines())
    # two users of one page (the sleeping kmap-a and the case): count 3
    check(results, "gdb.kl_pkmap_counts_two_users_of_the_shared_slot",
          re.search(r"^\s*\d+\s+3\s+2 users\s", out.get("pkmap1", ""), re.M),
          ["kl-pkmap printed:"] + out.get("pkmap1", "").splitlines())

    # after kmap_demo(): its slot, page, PTE
    demo = re.search(r"demo: kmap\(pfn (0x[0-9a-f]+)\) = ([0-9a-f]{8}), pkmap slot (\d+)", log)
    pte = re.search(r"demo: its PTE lives at physical (0x[0-9a-f]+) and holds (0x[0-9a-f]+)", log)
    if not (demo and pte):
        check(results, "gdb.demo_kmap_printed_its_mapping", False,
              ["no demo: lines in the serial log"] + log_tail)
        return
    pfn, vaddr, slot = int(demo.group(1), 16), demo.group(2), int(demo.group(3))
    pte_phys, pte_val = int(pte.group(1), 16), int(pte.group(2), 16)
    rows = [r for r in out.get("pkmap", "").splitlines()
            if re.match(rf"^\s*{slot}\s", r)]
    want = re.compile(rf"^\s*{slot}\s+2\s+1 user\s+{vaddr}\s+{pfn:#x}\s+0x[0-9a-f]+\s+{pte_val:#018x}$")
    check(results, "gdb.kl_pkmap_shows_the_slot_the_log_names", rows and want.match(rows[0]),
          [f"the log: slot {slot} at {vaddr} maps pfn {pfn:#x}, PTE {pte_val:#018x}",
           "kl-pkmap printed:"] + out.get("pkmap", "").splitlines()[:6] + rows)

    # kl-pte of the demo's address (the cursor: the demo's kmap took the
    # next free slot), walked to the PTE address and value the demo printed
    walk = out.get("pte", "")
    check(results, "gdb.kl_pte_gives_the_pte_the_kernel_printed",
          re.search(rf"^VA 0x{vaddr}: pkmap slot {slot}$", walk, re.M)
          and re.search(rf"^  PT\[{(int(vaddr, 16) >> 12) & 511} *\]   at {pte_phys:#011x} = "
                        rf"{pte_val:#018x}  P RW A D G", walk, re.M)
          and re.search(rf"-> physical {pfn << 12:#x} \(pfn {pfn:#x}\)", walk),
          [f"the log: the PTE of {vaddr} lives at physical {pte_phys:#x} and holds "
           f"{pte_val:#018x}", "kl-pte printed:"] + walk.splitlines())

    dmesg = out.get("dmesg", "")
    banner = "kmaplab: a 32-bit PAE kernel that maps highmem the Linux way"
    check(results, "gdb.kl_dmesg_holds_the_banner_and_the_demo_lines",
          banner in dmesg and demo.group(0) in dmesg and pte.group(0) in dmesg
          and f"ok 1 {KMAP_CASE}" in dmesg,
          [f"kl-dmesg ({len(dmesg)} bytes) lacks the banner, the case's result or a demo line"]
          + dmesg.splitlines()[-5:])

    cur = re.search(r"^CPU (\d+): init\[1\]", out.get("current", ""), re.M)
    ps_init = cur and re.search(rf"^\s*1\s+init\s+{cur.group(1)}\s+R\s+on {cur.group(1)}\s",
                                out.get("ps", ""), re.M)
    check(results, "gdb.kl_current_and_kl_ps_agree_init_runs_the_demo",
          ps_init and "Run /init as init process" in log,
          ["kl-current printed:"] + out.get("current", "").splitlines()
          + ["kl-ps printed:"] + out.get("ps", "").splitlines())


def session_local(build, log_dir, results):
    line = source_line("tests/kernel/kmap_local_test.c", "h->cpu_mapped = smp_processor_id();")
    steps = [
        ("break", f"break tests/kernel/kmap_local_test.c:{line}"),
        ("cont", "continue"),
        ("cpu", "print $kl_current()->cpu"),
        ("saved", "print/x $kl_current()->kmap_ctrl.pteval[0].pte"),
        ("comm", "print $kl_current()->comm"),
        ("slots", "kl-slots"),
        ("stack", "kl-kmap-stack holder"),
        ("va0", "kl-per-cpu kmap_local_va0 $kl_current()->cpu"),
        ("pte", "kl-pte *$kl_per_cpu_ptr(\"kmap_local_va0\", $kl_current()->cpu)"),
        # the rival starts on holder's CPU only once holder is switched out
        ("delete", "delete"),
        ("break_rival", "break spin_until"),
        ("cont_rival", "continue"),
        ("rival_cpu", "print $kl_current()->cpu"),
        ("rival_comm", "print $kl_current()->comm"),
        ("out_stack", "kl-kmap-stack holder"),
        ("out_slots", "kl-slots $kl_current()->cpu"),
    ]
    log, out, whole = run_session(build, "local", f"test=kmap_local.{LOCAL_CASE}", steps,
                                  log_dir)
    cpu = re.search(r"= (\d+)", out.get("cpu", ""))
    saved = re.search(r"= (0x[0-9a-f]+)", out.get("saved", ""))
    if not (cpu and saved and '"holder' in out.get("comm", "")):
        check(results, "gdb.session_local_stops_after_the_map", False,
              ["gdb did not stop in holder_fn() after its map"] + whole.splitlines()[-25:])
        return
    check(results, "gdb.session_local_stops_after_the_map", True, [])
    cpu, saved = int(cpu.group(1)), int(saved.group(1), 16)

    # the CPU's slot range, as the boot log prints it
    rng = re.search(rf"^\[[ .0-9]+\]\s+cpu{cpu} : 0x([0-9a-f]+) - 0x([0-9a-f]+) ", log, re.M)
    slots = out.get("slots", "")
    va0 = None
    if rng:
        lo, hi = int(rng.group(1), 16), int(rng.group(2), 16)
        va0 = hi - 0x1000
        head = re.search(rf"^CPU {cpu}: \d+ positions at {lo:08x}-{hi - 1:08x}; "
                         rf"running holder\[\d+\], which holds 1 local map$", slots, re.M)
        pos0 = re.search(rf"^  pos  0  {va0:08x}  {saved:#018x} pfn {saved >> 12 & 0xffffffffff:#x} "
                         rf".*  holder\[\d+\] position 0$", slots, re.M)
    check(results, "gdb.kl_slots_shows_the_map_in_the_cpus_logged_range",
          rng and head and pos0,
          [f"the log's cpu{cpu} line: {rng.group(0) if rng else 'missing'}",
           f"holder's pteval[0] (gdb): {saved:#x}", "kl-slots printed:"] + slots.splitlines())

    stack = out.get("stack", "")
    check(results, "gdb.kl_kmap_stack_lists_the_saved_pte",
          re.search(rf"^holder\[\d+\] on CPU {cpu} \(running\): kmap_ctrl.idx 1, 1 local map$",
                    stack, re.M)
          and va0 is not None
          and re.search(rf"^  pteval\[0\]  {va0:08x}  {saved:#018x} .*\[in the slot\]$", stack, re.M),
          [f"holder's pteval[0] (gdb): {saved:#x}", "kl-kmap-stack printed:"] + stack.splitlines())

    check(results, "gdb.kl_per_cpu_reads_the_cpus_own_copy",
          va0 is not None and re.search(rf"= {va0}$", out.get("va0", "").strip()),
          [f"expected kmap_local_va0 of CPU {cpu} = {va0} (from the log's cpu{cpu} line)",
           "kl-per-cpu printed: " + out.get("va0", "").strip()])

    pte = out.get("pte", "")
    check(results, "gdb.kl_pte_of_a_local_slot_gives_the_saved_pte",
          re.search(rf"^  PT\[\d+ *\]   at 0x[0-9a-f]+ = {saved:#018x}  P RW A D G", pte, re.M)
          and re.search(rf"kmap_local slot {cpu * 16}: CPU {cpu} position 0", pte),
          [f"holder's pteval[0] (gdb): {saved:#x}", "kl-pte printed:"] + pte.splitlines())

    # later: the rival runs on holder's CPU, so holder is switched out with
    # its map saved in pteval[] and taken off the CPU's slot
    rcpu = re.search(r"= (\d+)", out.get("rival_cpu", ""))
    if not (rcpu and '"rival' in out.get("rival_comm", "") and int(rcpu.group(1)) == cpu):
        check(results, "gdb.session_local_stops_in_the_rival", False,
              [f"gdb did not stop in spin_until() on CPU {cpu}"] + whole.splitlines()[-25:])
        return
    check(results, "gdb.session_local_stops_in_the_rival", True, [])
    stack = out.get("out_stack", "")
    check(results, "gdb.kl_kmap_stack_shows_the_switched_out_tasks_saved_pte",
          re.search(rf"^holder\[\d+\] on CPU {cpu} \(switched out\): kmap_ctrl.idx 1, 1 local map$",
                    stack, re.M)
          and va0 is not None
          and re.search(rf"^  pteval\[0\]  {va0:08x}  {saved:#018x} .*"
                        rf"\[slot empty \(restored at switch-in\)\]$", stack, re.M),
          [f"holder's pteval[0] at the first stop: {saved:#x}", "kl-kmap-stack printed:"]
          + stack.splitlines())
    slots = out.get("out_slots", "")
    check(results, "gdb.kl_slots_shows_the_saved_map_off_the_cpu",
          re.search(rf"^CPU {cpu}: \d+ positions at [0-9a-f]{{8}}-[0-9a-f]{{8}}; running rival\[\d+\], "
                    r"which holds 0 local maps$", slots, re.M)
          and f"{saved:#018x}" not in slots
          and re.search(rf"^  holder\[(\d+)\] is switched out with 1 position saved "
                        rf"\(kl-kmap-stack \1\)$", slots, re.M),
          [f"holder's PTE {saved:#x} must not be in CPU {cpu}'s slots", "kl-slots printed:"]
          + slots.splitlines())


def run_checks(build, log_dir=None):
    """[(name, ok, diagnostics)] for every check of every session."""
    log_dir = log_dir or os.path.join(build, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    results = []
    session_kmap(build, log_dir, results)
    session_local(build, log_dir, results)
    return results


def main(argv=None):
    return pty_test.check_main(run_checks, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
