#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - make sure the host tools kmaplab needs are installed.
#
# Checks every tool the build, `make run` and `make test` use by using it
# (a 32-bit compile and link, `qemu-system-i386 --version`, ...), and installs
# only the missing ones, with apt-get (Debian 12). Prints the single line
# "deps: all present" when there is nothing to do, so it is cheap to call
# before every run: `make run`, `make test` (through `make deps`) and .ci/run
# all do.
#
#   tool                                   Debian package
#   make, gcc, ld/objcopy/objdump/nm, awk  make, gcc, binutils, mawk
#   (the kernel links without libgcc, so no gcc-multilib: gcc -m32
#   -ffreestanding needs only gcc's own headers)
#   qemu-system-i386                       qemu-system-x86
#   grub-mkrescue, BIOS GRUB modules       grub-common, grub-pc-bin
#   xorriso, mformat                       xorriso, mtools
#   python3                                python3
#   bochs-bin, its BIOS and VGA BIOS       bochs, bochsbios, vgabios
#   gdb with Python (make debug, and       gdb
#   make test's tests/harness/gdb_test.py)
#
# Runs apt-get as root, through sudo when not root; with neither, prints the
# command to run and exits 1. Exit status 0 means every required tool is there.

set -u

GRUB_BIOS_DIR=/usr/lib/grub/i386-pc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have() {
	command -v "$1" >/dev/null 2>&1
}

# works CMD...: run a tool the way the build will, quietly. A path that
# exists proves nothing: on an amd64 machine without gcc-multilib,
# `gcc -m32 -print-libgcc-file-name` names the 64-bit libgcc, which exists.
works() {
	"$@" >/dev/null 2>&1
}

# need PACKAGE WHY: remember a package to install and the reason.
need() {
	case " $pkgs " in
	*" $1 "*) return ;;
	esac
	pkgs="$pkgs $1"
	why="$why
    $1: $2"
}

# A 32-bit freestanding compile and link of one small file, as the kernel's.
compiles_i386() {
	printf '#include <stdint.h>\n#include <stdarg.h>\nuint64_t start(uint64_t a) { return a << 3; }\n' \
		>"$tmp/t.c" &&
	gcc -m32 -march=i686 -std=gnu11 -ffreestanding -fno-pic -c "$tmp/t.c" -o "$tmp/t.o" &&
	ld -m elf_i386 -nostdlib -e start -o "$tmp/t.elf" "$tmp/t.o"
}

check() {
	pkgs=""
	why=""
	have make || need make "make is missing (it drives the build)"
	have gcc || need gcc "gcc is missing (it compiles the kernel)"
	for tool in ld objcopy objdump nm; do
		have "$tool" || { need binutils "$tool is missing (links and inspects the kernel)"; break; }
	done
	if have gcc && have ld && ! works compiles_i386; then
		need gcc "gcc -m32 cannot compile and link a freestanding i386 file"
		need binutils "ld -m elf_i386 is needed for the link"
	fi
	works awk 'BEGIN { exit 0 }' || need mawk "awk is missing (tools/gen-ksyms.sh uses it)"
	works qemu-system-i386 --version ||
		need qemu-system-x86 "qemu-system-i386 --version fails (QEMU runs the kernel)"
	if ! works grub-mkrescue --version; then
		need grub-common "grub-mkrescue --version fails (it builds build/kernel.iso)"
		need grub-pc-bin "grub-mkrescue needs the BIOS GRUB modules"
	fi
	[ -f "$GRUB_BIOS_DIR/multiboot.mod" ] ||
		need grub-pc-bin "$GRUB_BIOS_DIR/multiboot.mod is missing (BIOS GRUB modules for the ISO)"
	works xorriso -version || need xorriso "xorriso -version fails (grub-mkrescue writes the ISO with it)"
	works mformat --version || need mtools "mformat --version fails (grub-mkrescue uses mtools)"
	# Bochs, the second x86 (make test-bochs, and CI's short run)
	works bochs-bin --help ||
		need bochs "bochs-bin is missing (make test-bochs runs the ISO under Bochs)"
	[ -f /usr/share/bochs/BIOS-bochs-latest ] || need bochsbios "Bochs's BIOS image is missing"
	[ -f /usr/share/vgabios/vgabios.bin ] || need vgabios "Bochs's VGA BIOS image is missing"
	works python3 -c 'import pty, select, subprocess' ||
		need python3 "python3 is missing (it runs the test matrix and make run)"
	works gdb -nx -batch -ex 'python import gdb' ||
		need gdb "gdb with Python is missing (make debug and make test's gdb checks use it)"
}

check
if [ -z "$pkgs" ]; then
	echo "deps: all present"
	exit 0
fi

install_cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$pkgs"
echo "deps: missing tools; will install:$why"

if ! have apt-get; then
	echo "deps: apt-get not found: install the packages above (Debian names) by hand" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif have sudo; then
	as_root="sudo"
else
	echo "deps: not root and no sudo; as root, run:" >&2
	echo "    apt-get update && $install_cmd" >&2
	exit 1
fi

echo "deps: ${as_root:+sudo }apt-get update"
if ! $as_root apt-get update -q; then
	echo "deps: apt-get update failed" >&2
	exit 1
fi
echo "deps: ${as_root:+sudo }$install_cmd"
# shellcheck disable=SC2086  # $pkgs is a list of words
if ! $as_root env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends $pkgs; then
	echo "deps: apt-get install failed" >&2
	exit 1
fi

check
if [ -n "$pkgs" ]; then
	echo "deps: still missing after installing:$why" >&2
	exit 1
fi
echo "deps: installed; all present"
exit 0
