#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bochs.py - boot the GRUB ISO under Bochs, a second x86 implementation, and judge the KTAP results.

    python3 tests/harness/bochs.py --build build           # what `make test-bochs` runs
    python3 tests/harness/bochs.py --build build --short   # `make test-bochs-short` (CI)
    python3 tests/harness/bochs.py --list                  # the configurations
    python3 tests/harness/bochs.py --only bochs-smp1-3G    # one of them

QEMU's TCG is one x86 implementation with its own shortcuts (every CR3
write drops global TLB entries; a segment-register push writes all 32
bits). Bochs 2.7 is another: the same kernel, the same `test=all poweroff`
KTAP run, judged by the same code as matrix.py (Console, judge(),
config_summary()), so a case that passes on QEMU and fails here points at
behaviour one emulator hides.

Each configuration gets a directory build/bochs/<config>/ holding what it
booted and what it printed:

    kernel.iso    a GRUB rescue ISO whose menu entry passes the kernel args
    bochsrc       the Bochs configuration (rerun: see "rerun:" in a failure)
    debugger.rc   "c" then "quit": Debian's Bochs is built with its debugger
                  and stops in it before the first instruction otherwise
    console.log   COM1, written by Bochs as the kernel prints
    bochs.log     Bochs's own log; the runner reads it too (below)
    bochs.out     Bochs's stdout and stderr

How a run ends. Bochs has no isa-debug-exit device: the kernel's final
`outb(0xf4, v)` (machine_halt(), after "# Totals:" or a panic or a
refusal) lands on Bochs's "unmapped" device, which logs it when its debug
messages are on ("unmapped: 8-bit write to 00f4 = 01"). The runner watches
bochs.log for that line, turns v into the status QEMU would have exited
with ((v << 1) | 1, as matrix.py expects), waits for the console to go
quiet, and kills Bochs. A triple fault makes Bochs panic and exit
(reset_on_triple_fault=0): status 0, as under QEMU's -no-reboot.

The display. Debian's Bochs has no "nogui" library; "rfb" with
options="timeout=0" runs without waiting for a viewer, but its VNC server
listens on 0.0.0.0:5900-5949 and has no option to bind elsewhere. So Bochs
runs under `unshare --net` (a network namespace of its own with only a
loopback device, which is down): nothing outside can reach the port.
Without the privilege for that, the runner says so and runs Bochs as is.

Memory. `memory: guest=N, host=2048`: Bochs caps its host allocation at
2048 MB and allocates guest blocks as they are touched. Its BIOS does not
remap the PCI hole: guest=4096 shows 3 GiB, and guest=8192 shows 3 GiB
below 4 GiB and 4 GiB above it (0x100000000-0x1ffffffff). Bochs registers one save-state entry
per 128 KiB block with a list insert that is linear in the list's length,
so start-up time grows with the square of the guest size before the first
instruction runs: about 20 CPU seconds for 3 GiB, 50 for 4 GiB, 210 or more
for 8 GiB; so the 4-CPU configuration has 5 GiB, 1 GiB of it above 4 GiB.

The last line printed is "N passed, N failed" (", N skipped" when there
were skips); the exit status is 0 only when nothing failed.
"""

import argparse
import collections
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402

# Keys as in matrix.CONFIGS (checked by matrix.normalise); here "smp" is
# Bochs's processor count and "cpu" a Bochs CPU model (`bochs --help cpu`).
# Every config boots through GRUB. extra_args always carries
# tlb.strict_globals=1: Bochs keeps global TLB entries across a CR3 write,
# as hardware does, so the TLB cases TCG cannot judge run here.
STRICT = "tlb.strict_globals=1"
ABOVE_4G = r"^multiboot: \[mem 0x00000001[0-9a-f]{8}-0x[0-9a-f]{16}\] usable$"

CONFIGS = [
    # One CPU, 3 GiB: all of it below 4 GiB (Bochs's BIOS keeps the PCI
    # hole at 3-4 GiB), 2 GiB of it highmem; kmap_local's debug modes (guard
    # slots, lowmem through slots), which the other configs leave out.
    dict(name="bochs-smp1-3G", mem="3G", smp=1, cpu="corei7_haswell_4770", iso=True,
         extra_args=f"kmap_local.guard=1 kmap_local.force_map=1 {STRICT}", timeout=600,
         expect_lines=[r"^896MB LOWMEM available\.$"]),
    # Four CPUs, 5 GiB: 1 GiB of it above 4 GiB, reached only through PAE
    # (the 3-4 GiB hole is not remapped, so 4 GiB is usable). Not 8 GiB:
    # Bochs's start-up grows with the square of the RAM (a save-state
    # entry per 128 KiB, each registration scanning the list), minutes at 8.
    dict(name="bochs-smp4-5G", mem="5G", smp=4, cpu="corei7_skylake_x", iso=True,
         extra_args=STRICT, timeout=1500,
         expect_lines=[ABOVE_4G, r"^896MB LOWMEM available\.$"]),
]

# The CI configuration (`--short`): two CPUs, the suites where the two
# emulators differ or that need a second CPU, in about a minute.
SHORT_SUITES = "tlb,traps,fault,smp,sched,kmap,kmap_local,kmap_atomic,vmap_stack"
SHORT_CONFIGS = [
    dict(name="bochs-short", mem="1G", smp=2, cpu="corei7_haswell_4770", iso=True,
         extra_args=f"test={SHORT_SUITES} {STRICT}", timeout=300),
    # The one injected bug QEMU cannot see: TCG drops global entries on
    # every CR3 write, so a full flush by CR3 reload looks right there.
    dict(name="bochs-inject-flush_cr3_reload", mem="1G", smp=2, cpu="corei7_haswell_4770",
         iso=True, inject="flush_cr3_reload", extra_args=f"test=tlb,kmap {STRICT}",
         timeout=300),
]

BOCHS = "bochs-bin"
BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGABIOS = "/usr/share/vgabios/vgabios.bin"
PACKAGES = "bochs bochsbios vgabios"
IPS = 50_000_000            # emulated instructions per emulated second
HOST_MB = 2048              # Bochs refuses a host allocation above this
POLL = 0.2                  # seconds between looks at the log files
QUIET = 1.0                 # after the exit write: console silent this long ...
GRACE = 5.0                 # ... or this long at most, then Bochs is stopped

# "00507898021d[UNMAP ] unmapped: 8-bit write to 00f4 = 01"
EXIT_RE = re.compile(r"\[UNMAP\s*\] unmapped: 8-bit write to 00f4 = ([0-9a-f]{2})")
# "...p[CPU0  ] >>PANIC<< exception(): 3rd (13) exception with no resolution"
PANIC_RE = re.compile(r">>PANIC<< (.*)")
TRIPLE_RE = re.compile(r"3rd \(\d+\) exception with no resolution|triple fault", re.I)

BOCHSRC = """\
# Written by tests/harness/bochs.py for the configuration {name}.
# Rerun by hand: {bochs} -q -f {dir}/bochsrc -rc {dir}/debugger.rc
romimage: file={bios}
vgaromimage: file={vgabios}
memory: guest={guest_mb}, host={host_mb}
cpu: model={model}, count={smp}, ips={ips}, reset_on_triple_fault=0
# No "nogui" in Debian's build; rfb without waiting for a viewer (see bochs.py).
display_library: rfb, options="timeout=0"
vga: extension=vbe, update_freq=5
ata0-master: type=cdrom, path={dir}/kernel.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev={dir}/console.log
# Nothing needs sound; the ALSA driver crashes Bochs where there is no card.
speaker: enabled=0
sound: driver=dummy
mouse: enabled=0
log: {dir}/bochs.log
panic: action=fatal
error: action=report
info: action=report
# The unmapped device's debug lines carry the kernel's exit write to 0xf4.
debug: action=ignore, unmapped=report
"""

DEBUGGER_RC = "c\nquit\n"


# ---------------------------------------------------------------- setup

def network_isolation():
    """The command prefix that gives Bochs a network namespace of its own, or []."""
    for prefix in (["unshare", "--net"], ["unshare", "--user", "--map-root-user", "--net"]):
        try:
            r = subprocess.run(prefix + ["true"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return prefix
    return []


def missing_tools(bochs):
    """What is not installed, as readable lines (empty when all is there)."""
    missing = []
    if shutil.which(bochs) is None:
        missing.append(f"{bochs} not found")
    for path in (BIOS, VGABIOS):
        if not os.path.isfile(path):
            missing.append(f"{path} not found")
    if shutil.which("grub-mkrescue") is None:
        missing.append("grub-mkrescue not found")
    return missing


def write_bochsrc(cfg, run_dir, bochs):
    guest_mb = matrix.mem_bytes(cfg["mem"]) >> 20
    text = BOCHSRC.format(name=cfg["name"], bochs=bochs, dir=run_dir, bios=BIOS,
                          vgabios=VGABIOS, guest_mb=guest_mb, host_mb=min(HOST_MB, guest_mb),
                          model=cfg["cpu"], smp=cfg["smp"], ips=IPS)
    path = os.path.join(run_dir, "bochsrc")
    with open(path, "w") as f:
        f.write(text)
    with open(os.path.join(run_dir, "debugger.rc"), "w") as f:
        f.write(DEBUGGER_RC)
    return path


def bochsify(text):
    """matrix.py's messages name QEMU; here the emulator is Bochs."""
    return text.replace("QEMU exit status", "status (from the kernel's write to port 0xf4)") \
               .replace("QEMU", "Bochs")


# ---------------------------------------------------------------- running

class Follower:
    """Reads what has been appended to a file since the last call."""

    def __init__(self, path):
        self.path = path
        self.f = None
        self.pending = b""

    def read(self):
        """New bytes (b"" when none, or when the file does not exist yet)."""
        if self.f is None:
            try:
                self.f = open(self.path, "rb")
            except FileNotFoundError:
                return b""
        return self.f.read()

    def lines(self):
        """New complete lines, as text."""
        data = self.pending + self.read()
        *done, self.pending = data.split(b"\n")
        return [d.decode("utf-8", errors="replace") for d in done]

    def close(self):
        if self.f:
            self.f.close()


def boot_bochs(cfg, opts, printer, live):
    """Boot one configuration under Bochs; returns (Console, Outcome)."""
    name = cfg["name"]
    console = matrix.Console(cfg, on_suite=lambda s: printer.tag(name, matrix.suite_progress(s)))
    outcome = matrix.Outcome()
    outcome.cpu_time = None
    outcome.first_output = None     # seconds until the console said anything
    timeout = opts.timeout if opts.timeout is not None else cfg["timeout"]
    outcome.timeout = timeout
    run_dir = os.path.abspath(os.path.join(opts.out_dir, name))
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    console_path = os.path.join(run_dir, "console.log")
    log_path = os.path.join(run_dir, "bochs.log")

    args = matrix.kernel_args(cfg, opts.extra_args)
    try:
        # make_iso() builds in <dir>/root and writes <dir>/kernel.iso.
        matrix.make_iso(matrix.kernel_for(cfg, opts), args, run_dir)
    except (OSError, RuntimeError) as e:
        outcome.error = f"could not build the ISO: {e}"
        return console, outcome
    finally:
        shutil.rmtree(os.path.join(run_dir, "root"), ignore_errors=True)
    rc = write_bochsrc(cfg, run_dir, opts.bochs)
    outcome.cmd = opts.isolate + [opts.bochs, "-q", "-f", rc,
                                  "-rc", os.path.join(run_dir, "debugger.rc")]
    outcome.rerun = shlex.join(outcome.cmd[len(opts.isolate):])
    for path in (console_path, log_path):
        open(path, "wb").close()

    start = time.monotonic()
    out = open(os.path.join(run_dir, "bochs.out"), "wb")
    try:
        proc = subprocess.Popen(outcome.cmd, cwd=run_dir, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as e:
        out.close()
        outcome.error = f"could not start {outcome.cmd[0]}: {e}"
        return console, outcome
    live.add(proc)

    serial = Follower(console_path)
    blog = Follower(log_path)
    exit_value = None           # v from the kernel's outb(0xf4, v)
    exit_seen = None            # when that write was seen
    last_output = time.monotonic()
    panics = []
    pending = b""

    def read_bochs_log(now):
        nonlocal exit_value, exit_seen
        for line in blog.lines():
            m = EXIT_RE.search(line)
            if m and exit_value is None:
                exit_value, exit_seen = int(m.group(1), 16), now
            m = PANIC_RE.search(line)
            if m:
                panics.append(m.group(1).strip())

    try:
        while True:
            chunk = serial.read()
            now = time.monotonic()
            if chunk:
                if outcome.first_output is None:
                    outcome.first_output = now - start
                last_output = now
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    console.feed(raw + b"\n")
                if pending:
                    console.peek(pending)
            read_bochs_log(now)
            if exit_seen is not None and (now - last_output >= QUIET or now - exit_seen >= GRACE):
                break
            if reap(proc, outcome, block=False):
                break
            if console.abort:
                outcome.aborted = console.abort
                break
            if now - start > timeout:
                outcome.timed_out = True
                break
            time.sleep(POLL)
    finally:
        if proc.returncode is None:
            matrix.kill_group(proc)
            reap(proc, outcome, block=True)
        live.remove(proc)
        out.close()
        # Whatever Bochs wrote before it stopped.
        rest = serial.read()
        if rest:
            *lines, pending = (pending + rest).split(b"\n")
            for raw in lines:
                console.feed(raw + b"\n")
        if pending:
            console.feed(pending)
        read_bochs_log(time.monotonic())
        serial.close()
        blog.close()

    outcome.elapsed = time.monotonic() - start
    if exit_value is not None:
        outcome.status = (exit_value << 1) | 1
    elif any(TRIPLE_RE.search(p) for p in panics):
        outcome.status = 0
    elif not outcome.timed_out and not outcome.aborted:
        why = panics[-1] if panics else f"exit status {proc.returncode}"
        outcome.error = f"Bochs stopped before the kernel's exit write: {why}"
    outcome.stderr = bochs_messages(run_dir, panics, whole=exit_value is None)
    console.finish()
    return console, outcome


def reap(proc, outcome, block):
    """True once Bochs has exited; records its status and the CPU time it
    used (worth knowing on a shared host, where wall time says little)."""
    if proc.returncode is not None:
        return True
    pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return False
    proc.returncode = os.waitstatus_to_exitcode(status)
    outcome.cpu_time = usage.ru_utime + usage.ru_stime
    return True


def bochs_messages(run_dir, panics, whole):
    """What Bochs said about a failed run: its panics and, when the kernel
    never reached its exit write, why Bochs stopped (from its own output)."""
    lines = [f"PANIC: {p}" for p in panics]
    if not whole:
        return "\n".join(lines)
    try:
        with open(os.path.join(run_dir, "bochs.out"), errors="replace") as f:
            out = [ln.rstrip() for ln in f]
    except OSError:
        return "\n".join(lines)
    # "Bochs is exiting with the following message:" and the message.
    for i, ln in enumerate(out):
        if ln.startswith("Bochs is exiting"):
            lines += out[i:i + 2]
    if not lines:
        lines = [ln for ln in out[-6:] if ln.strip()]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def run_all(configs, opts, out=sys.stdout):
    configs = [matrix.normalise(c) for c in configs]
    width = max([12] + [len(c["name"]) for c in configs])
    printer = matrix.Printer(out, width)
    os.makedirs(opts.out_dir, exist_ok=True)
    live = matrix.Live()
    iso_note = "" if opts.isolate else (
        "; no network namespace (unshare failed): the rfb display listens on "
        "0.0.0.0:5900-5949 while Bochs runs")
    printer.line(f"bochs: {len(configs)} configs, {opts.jobs} at a time, kernel {opts.kernel}"
                 f"{iso_note}")
    start = time.monotonic()

    def work(cfg):
        printer.tag(cfg["name"], f"booting: {cfg['smp']} CPU(s), {cfg['mem']}, "
                                 f"model {cfg['cpu']}, args '{matrix.kernel_args(cfg, opts.extra_args)}'")
        try:
            console, outcome = boot_bochs(cfg, opts, printer, live)
            results = matrix.judge(cfg, console, outcome)
        except Exception:               # a harness bug: fail this config, go on
            outcome = matrix.Outcome()
            outcome.error = "harness error"
            results = [matrix.Result(f"{cfg['name']}:boot", "fail",
                                     ["harness error:"] + traceback.format_exc().splitlines())]
        for r in results:
            r.diags = [bochsify(d) for d in r.diags]
        summary = bochsify(matrix.config_summary(cfg, results, outcome))
        if getattr(outcome, "first_output", None) is not None:
            summary += f"; console from {outcome.first_output:.1f} s"
        if getattr(outcome, "cpu_time", None) is not None:
            summary += f"; Bochs used {outcome.cpu_time:.1f} s of CPU"
        printer.tag(cfg["name"], summary)
        return results

    # The biggest machine first: it takes longest.
    order = sorted(configs, key=lambda c: -(c["smp"] * matrix.mem_bytes(c["mem"])))
    finished = matrix.run_pool(order, work, opts.jobs, live, printer, "Bochs")
    if finished is None:
        return 130
    wall = time.monotonic() - start

    all_results = [r for c in configs for r in finished[c["name"]]]
    failed = [(c, r) for c in configs for r in finished[c["name"]] if r.outcome == "fail"]
    matrix.print_failures(printer, failed, lambda cfg: "console: " + os.path.join(
        opts.out_dir, cfg["name"], "console.log"))
    n = collections.Counter(r.outcome for r in all_results)
    printer.line(f"wall time {wall:.1f} s for {len(configs)} configs ({opts.jobs} at a time)")
    final = f"{n['pass']} passed, {n['fail']} failed"
    if n["skip"]:
        final += f", {n['skip']} skipped"
    printer.line(final)
    return 0 if n["fail"] == 0 else 1


def list_configs(configs, extra_args, out=sys.stdout):
    for c in map(matrix.normalise, configs):
        out.write(f"{c['name']:<15} {c['smp']} CPU(s) {c['mem']:<4} model {c['cpu']:<22} "
                  f"timeout {c['timeout']:>4}s  args '{matrix.kernel_args(c, extra_args)}'\n")


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Boot the kernel's GRUB ISO under Bochs and check its KTAP output.")
    p.add_argument("--build", default="build", help="build directory holding kernel.elf")
    p.add_argument("--short", action="store_true",
                   help=f"the short CI configuration ({SHORT_CONFIGS[0]['smp']} CPUs, "
                        f"suites {SHORT_SUITES}) instead of the full ones")
    p.add_argument("--only", action="append", metavar="NAME[,NAME]",
                   help="run only these configs (from either set)")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="Bochs processes at a time (2; each uses one host CPU)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds per boot for every config (default: the config's own)")
    p.add_argument("--list", action="store_true", help="print the configurations and exit")
    p.add_argument("--bochs", default=BOCHS, help=f"the Bochs binary ({BOCHS})")
    opts = p.parse_args(argv)
    if opts.jobs < 1:
        p.error("-j must be at least 1")
    if opts.timeout is not None and opts.timeout <= 0:
        p.error("--timeout must be positive")
    opts.kernel = os.path.join(opts.build, "kernel.elf")
    opts.out_dir = os.path.join(opts.build, "bochs")
    opts.extra_args = os.environ.get("KTEST_EXTRA_ARGS", "").strip()
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    if opts.only:
        configs = matrix.select(CONFIGS + SHORT_CONFIGS, opts.only)
    else:
        configs = SHORT_CONFIGS if opts.short else CONFIGS
    if opts.list:
        list_configs(configs, opts.extra_args)
        return 0
    missing = missing_tools(opts.bochs)
    if missing:
        print("bochs.py: " + "; ".join(missing) +
              f" (Debian: apt-get install {PACKAGES})", file=sys.stderr)
        return 2
    if not os.path.isfile(opts.kernel):
        print(f"bochs.py: {opts.kernel} not found (run make first)", file=sys.stderr)
        return 2
    opts.isolate = network_isolation()
    try:
        return run_all(configs, opts)
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")
        return 1


if __name__ == "__main__":
    sys.exit(main())
