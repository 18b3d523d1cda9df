#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""linux.py - boot Debian's 686-pae Linux in QEMU with kmapcmp.ko in a busybox initramfs.

    python3 tests/harness/linux.py --status             # are the artefacts there? why not?
    python3 tests/harness/linux.py --module             # build build/linux/module/kmapcmp.ko
    python3 tests/harness/linux.py --boot 'kmapcmp.run=tests' --smp 4   # one boot, console here

The pieces, all under build/linux/ (tests/linux/fetch.sh unpacks the
packages into build/linux/root):

    root/boot/vmlinuz-ABI       the kernel
    module/kmapcmp.ko           tests/linux/kmapcmp.c built against root/usr/src/linux-headers-ABI
    initramfs.cpio              /init (a busybox script), /bin/busybox, /kmapcmp.ko, /dev/console

/init mounts /proc, passes every "kmapcmp.NAME=VALUE" word of the kernel
command line to insmod as NAME=VALUE (a loadable module never sees its
command-line parameters otherwise), then powers off. The module does all
its work in its init function and prints KTAP and BENCH lines in
kmaplab's own formats, so ktap.py and bench.py read both kernels alike.

How Linux is booted (docs/linux-comparison.md says more):

    -cpu LINUX_CPU     an Intel family-6 model with PAE, NX, PGE. TCG's "max"
                       calls itself an AMD K7, and Linux then warns "This
                       combination of AMD processors is not suitable for SMP"
    preempt=full       Debian's kernel is PREEMPT_DYNAMIC, voluntary by default;
                       kmaplab preempts kernel code, so Linux must too
    userpte=nohigh     user page tables in lowmem. Debian builds HIGHPTE; at
                       -m 4G some highmem lies above 4 GiB, and with a page
                       table there /init faults on the same address forever
                       under QEMU 7.2's TCG (the "stall" of issue 11)
    cryptomgr.notests  no crypto self-tests at boot: 3 s of guest time at
                       -m 4G (crypto_algapi_init), minutes on a loaded host
    nokaslr            addresses repeat from boot to boot
    console=ttyS0      the serial console is QEMU's stdout

Used by compare.py and bench.py; run alone, it is a debugging aid.
"""

import argparse
import os
import re
import stat
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINUX_DIR = os.path.join(REPO, "build", "linux")
MODULE_SRC = os.path.join(REPO, "tests", "linux")
MODULE_NAME = "kmapcmp"
QEMU = "qemu-system-i386"
LINUX_CPU = "Westmere,+pae,+nx,+pse36"
BASE_APPEND = "console=ttyS0 nokaslr preempt=full panic=-1 userpte=nohigh cryptomgr.notests"

INIT_SCRIPT = """#!/bin/busybox sh
# /init of kmaplab's Linux comparison initramfs (tests/harness/linux.py)
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev 2>/dev/null
args=""
for w in $($B cat /proc/cmdline); do
    case "$w" in kmapcmp.*=*) args="$args ${w#kmapcmp.}";; esac
done
echo "init: insmod /kmapcmp.ko$args"
$B insmod /kmapcmp.ko $args
echo "init: insmod exit status $?"
$B poweroff -f
"""


class Unavailable(Exception):
    """The Linux artefacts cannot be had here; str() says why."""


def abi():
    try:
        with open(os.path.join(LINUX_DIR, "abi")) as f:
            return f.read().strip()
    except OSError:
        return None


def paths():
    a = abi()
    root = os.path.join(LINUX_DIR, "root")
    return dict(
        vmlinuz=os.path.join(root, "boot", f"vmlinuz-{a}"),
        headers=os.path.join(root, "usr", "src", f"linux-headers-{a}"),
        busybox=os.path.join(root, "bin", "busybox"),
        module_dir=os.path.join(LINUX_DIR, "module"),
        ko=os.path.join(LINUX_DIR, "module", MODULE_NAME + ".ko"),
        initramfs=os.path.join(LINUX_DIR, "initramfs.cpio"),
    )


def fetched():
    """Why Linux cannot be booted, or None when the packages are unpacked."""
    if not os.path.exists(os.path.join(LINUX_DIR, "fetched")):
        return "the Debian packages are not fetched (make linux)"
    p = paths()
    for key in ("vmlinuz", "headers", "busybox"):
        if not os.path.exists(p[key]):
            return f"{p[key]} is missing (rm -rf {LINUX_DIR}; make linux)"
    return None


# ------------------------------------------------------------ the module

def module_sources():
    return sorted(os.path.join(MODULE_SRC, f) for f in os.listdir(MODULE_SRC)
                  if f.endswith((".c", ".h")) or f == "Kbuild")


def build_module(quiet=True):
    """Build kmapcmp.ko against the unpacked headers, when a source is newer.

    Kbuild writes its objects next to the sources, so the sources are
    copied into build/linux/module first (the tree stays clean).
    Returns the seconds the build took (0.0 when it was up to date).
    """
    why = fetched()
    if why:
        raise Unavailable(why)
    p = paths()
    srcs = module_sources()
    ko = p["ko"]
    if os.path.exists(ko) and all(os.path.getmtime(s) <= os.path.getmtime(ko) for s in srcs):
        return 0.0
    os.makedirs(p["module_dir"], exist_ok=True)
    for s in srcs:
        with open(s, "rb") as fi:
            data = fi.read()
        dst = os.path.join(p["module_dir"], os.path.basename(s))
        try:
            with open(dst, "rb") as fo:
                same = fo.read() == data
        except OSError:
            same = False
        if not same:
            with open(dst, "wb") as fo:
                fo.write(data)
    t0 = time.monotonic()
    cmd = ["make", "-C", p["headers"], f"M={p['module_dir']}", "ARCH=x86", "modules"]
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if res.returncode != 0 or not os.path.exists(ko):
        sys.stderr.write(res.stdout + res.stderr)
        raise RuntimeError("kmapcmp.ko did not build: " + " ".join(cmd))
    if not quiet:
        sys.stdout.write(res.stdout)
    os.utime(ko)
    return time.monotonic() - t0


# ------------------------------------------------------------ initramfs

def _cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=1):
    """One "newc" cpio header + name + data, each padded to 4 bytes."""
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0]
    head = b"070701" + b"".join(b"%08X" % v for v in fields)
    out = head + namez
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def build_initramfs():
    """initramfs.cpio with /init, busybox and the module, when any is newer."""
    p = paths()
    out = p["initramfs"]
    inputs = [p["busybox"], p["ko"], os.path.abspath(__file__)]
    if os.path.exists(out) and all(os.path.getmtime(i) <= os.path.getmtime(out) for i in inputs):
        return out
    with open(p["busybox"], "rb") as f:
        busybox = f.read()
    with open(p["ko"], "rb") as f:
        ko = f.read()
    d, r, x = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o644, stat.S_IFREG | 0o755
    entries = [("bin", d, b""), ("dev", d, b""), ("proc", d, b""), ("sys", d, b""),
               ("bin/busybox", x, busybox), ("init", x, INIT_SCRIPT.encode()),
               (MODULE_NAME + ".ko", r, ko)]
    blob = b""
    for i, (name, mode, data) in enumerate(entries, start=1):
        blob += _cpio_entry(name, mode, data, ino=i)
    blob += _cpio_entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1), ino=len(entries) + 1)
    blob += _cpio_entry("TRAILER!!!", 0, ino=0)
    blob += b"\0" * (-len(blob) % 512)
    with open(out + ".part", "wb") as f:
        f.write(blob)
    os.replace(out + ".part", out)
    return out


def prepare():
    """Module and initramfs up to date; returns the module build's seconds."""
    secs = build_module()
    build_initramfs()
    return secs


# ------------------------------------------------------------ booting

def qemu_cmd(append, smp=1, mem="4G", icount=False, cpu=LINUX_CPU):
    p = paths()
    cmd = [QEMU, "-accel", "tcg"]
    if icount:
        cmd += ["-icount", "shift=0"]
    cmd += ["-kernel", p["vmlinuz"], "-initrd", p["initramfs"],
            "-append", f"{BASE_APPEND} {append}".strip(),
            "-m", mem, "-smp", str(smp), "-cpu", cpu,
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    return cmd


class Boot:
    """What one boot gave: status (QEMU's exit status, 0 after poweroff;
    None after a timeout), lines, the host seconds at which each line
    arrived, the seconds the boot took, and stopped (stop_at matched)."""

    def __init__(self, status, lines, arrivals, secs, stopped):
        self.status, self.lines, self.arrivals = status, lines, arrivals
        self.secs, self.stopped = secs, stopped


def boot(append, log_path, smp=1, mem="4G", icount=False, timeout=240, echo=False,
         cpu=LINUX_CPU, stop_at=None):
    """One Linux boot (see Boot). stop_at: a regex; QEMU is killed as soon
    as a console line matches it (for timing the boot up to that line)."""
    cmd = qemu_cmd(append, smp=smp, mem=mem, icount=icount, cpu=cpu)
    stop_re = re.compile(stop_at) if stop_at else None
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timed_out, stopped = [], False

    def expire():
        timed_out.append(True)
        proc.kill()

    timer = threading.Timer(timeout, expire)
    timer.start()
    lines, arrivals = [], []
    try:
        for raw in proc.stdout:
            arrivals.append(time.monotonic() - t0)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if echo:
                print(line, flush=True)
            if stop_re and stop_re.search(line):
                stopped = True
                proc.kill()
                break
        status = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    secs = time.monotonic() - t0
    if log_path:
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        with open(log_path, "w") as f:
            f.write("# " + " ".join(cmd) + "\n")
            f.write("\n".join(lines) + "\n")
            why = " (timeout)" if timed_out else " (stopped at the line wanted)" if stopped else ""
            f.write(f"# exit status {status}{why}, {secs:.1f} s\n")
    return Boot(None if timed_out else status, lines, arrivals, secs, stopped)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--status", action="store_true")
    ap.add_argument("--module", action="store_true")
    ap.add_argument("--boot", metavar="APPEND")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--mem", default="4G")
    ap.add_argument("--cpu", default=LINUX_CPU)
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--timeout", type=float, default=240)
    opts = ap.parse_args()
    why = fetched()
    if opts.status:
        print(why or f"Linux {abi()} ready in {LINUX_DIR}")
        return 1 if why else 0
    if why:
        print("linux: " + why, file=sys.stderr)
        return 2
    secs = prepare()
    if opts.module:
        print(f"linux: {paths()['ko']} ({secs:.1f} s to build)" if secs else
              f"linux: {paths()['ko']} up to date")
    if opts.boot is not None:
        log = os.path.join(LINUX_DIR, "logs", "manual.log")
        b = boot(opts.boot, log, smp=opts.smp, mem=opts.mem, icount=opts.icount,
                 timeout=opts.timeout, echo=True, cpu=opts.cpu)
        print(f"linux: exit status {b.status}, {b.secs:.1f} s, log in {log}")
        return 0 if b.status == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
