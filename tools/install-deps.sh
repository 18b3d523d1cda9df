#!/bin/sh
# install-deps.sh - make sure the host tools kmaplab needs are installed.
#
# Checks every tool the build, `make run` and `make test` use, and installs
# only the missing ones, with apt-get (Debian 12). Prints the single line
# "deps: all present" when there is nothing to do, so it is cheap to call
# before every run: `make run`, `make test` (through `make deps`) and .ci/run
# all do.
#
#   tool                                   Debian package
#   make, gcc, ld/objcopy/objdump/nm, awk  make, gcc, binutils, mawk
#   32-bit libgcc (gcc -m32 ...)           gcc-multilib
#   qemu-system-i386                       qemu-system-x86
#   grub-mkrescue, BIOS GRUB modules       grub-common, grub-pc-bin
#   xorriso, mformat                       xorriso, mtools
#   python3                                python3
#   gdb (only `make debug`; a warning)     gdb
#
# Runs apt-get as root, through sudo when not root; with neither, prints the
# command to run and exits 1. Exit status 0 means every required tool is there.

set -u

GRUB_BIOS_DIR=/usr/lib/grub/i386-pc

have() {
	command -v "$1" >/dev/null 2>&1
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

check() {
	pkgs=""
	why=""
	have make || need make "make is missing (it drives the build)"
	have gcc || need gcc "gcc is missing (it compiles the kernel)"
	for tool in ld objcopy objdump nm; do
		have "$tool" || { need binutils "$tool is missing (links and inspects the kernel)"; break; }
	done
	have awk || need mawk "awk is missing (tools/gen-ksyms.sh uses it)"
	libgcc=""
	if have gcc; then
		libgcc=$(gcc -m32 -print-libgcc-file-name 2>/dev/null)
	fi
	if [ -z "$libgcc" ] || [ ! -f "$libgcc" ]; then
		need gcc-multilib "no 32-bit libgcc ('gcc -m32 -print-libgcc-file-name' names no file)"
	fi
	have qemu-system-i386 || need qemu-system-x86 "qemu-system-i386 is missing (it runs the kernel)"
	if ! have grub-mkrescue; then
		need grub-common "grub-mkrescue is missing (it builds build/kernel.iso)"
		need grub-pc-bin "grub-mkrescue needs the BIOS GRUB modules"
	fi
	[ -d "$GRUB_BIOS_DIR" ] ||
		need grub-pc-bin "$GRUB_BIOS_DIR is missing (BIOS GRUB modules for the ISO)"
	have xorriso || need xorriso "xorriso is missing (grub-mkrescue writes the ISO with it)"
	have mformat || need mtools "mformat is missing (grub-mkrescue uses mtools)"
	have python3 || need python3 "python3 is missing (it runs the test matrix)"
}

gdb_note() {
	have gdb || echo "deps: note: gdb is not installed; only 'make debug' needs it (apt-get install gdb)"
}

check
if [ -z "$pkgs" ]; then
	echo "deps: all present"
	gdb_note
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
gdb_note
exit 0
