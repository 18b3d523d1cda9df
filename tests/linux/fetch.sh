#!/bin/sh
# SPDX-License-Identifier: MIT
# fetch.sh - put Debian 12's 686-pae Linux (6.1) under build/linux/, for
# `make linux` and `make compare`: nothing is installed, every package is
# downloaded with `apt-get download` and unpacked with `dpkg -x`.
#
#   sh tests/linux/fetch.sh [OUT]          OUT defaults to build/linux
#
# What it fetches (all of one version, that of the image):
#   linux-image-ABI-686-pae:i386     the kernel (boot/vmlinuz-ABI-686-pae)
#   linux-headers-ABI-686-pae:i386   its .config, Module.symvers, generated headers
#   linux-headers-ABI-common         the source headers and the top Makefile
#   linux-kbuild-6.1 (amd64)         fixdep, modpost...: host tools
#   busybox-static:i386              the initramfs's only program
#
# The i386 packages need dpkg to know the i386 architecture. Registering it
# (dpkg --add-architecture i386, then apt-get update) changes the machine's
# apt configuration, so this script does it only with consent: as root
# when LINUX_SETUP=1 or CI=true. Otherwise it says what to run.
#
# Output: OUT/root (the unpacked packages), OUT/abi, OUT/version, and
# OUT/fetched, the stamp: its presence means the tree is complete.
# Exit status: 0 done; 2 the packages cannot be reached or set up here
# (the last line then says why, for "linux comparison skipped: <reason>");
# 1 anything else went wrong.

set -u

OUT=${1:-build/linux}
FLAVOUR=686-pae

say() { echo "linux: $*"; }
unavailable() { say "unavailable: $*"; exit 2; }

is_root() { [ "$(id -u)" = 0 ]; }
consent() { [ "${LINUX_SETUP:-}" = 1 ] || [ "${CI:-}" = true ]; }

if [ -f "$OUT/fetched" ]; then
	say "$(cat "$OUT/fetched") already in $OUT"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
	unavailable "no apt-get/dpkg (needs Debian 12)"

# 1. dpkg must know i386, and apt must have the i386 lists.
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	if is_root && consent; then
		say "registering the i386 architecture (dpkg --add-architecture i386)"
		dpkg --add-architecture i386 || unavailable "dpkg --add-architecture i386 failed"
	else
		say "dpkg does not know the i386 architecture. Run, as root:"
		say "    dpkg --add-architecture i386 && apt-get update"
		say "or let make do it: sudo make linux LINUX_SETUP=1"
		unavailable "the i386 architecture is not registered with dpkg"
	fi
fi

candidate() {	# candidate PKG -> its candidate version, or nothing
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)'
}

if [ -z "$(candidate busybox-static:i386)" ]; then
	if is_root && consent; then
		say "apt-get update (for the i386 package lists)"
		# a list that fails to download (a mirror mid-sync) is not fatal:
		# what matters is whether the packages below resolve
		apt-get update -q >"${TMPDIR:-/tmp}/kmaplab-apt-update.log" 2>&1 ||
			say "apt-get update reported errors (see ${TMPDIR:-/tmp}/kmaplab-apt-update.log)"
	else
		say "apt has no i386 package lists. Run, as root: apt-get update"
		say "or let make do it: sudo make linux LINUX_SETUP=1"
		unavailable "no i386 package lists (apt-get update not run since i386 was added)"
	fi
fi

# 2. Which kernel: the one Debian's linux-image-686-pae points at.
image=$(apt-cache depends "linux-image-$FLAVOUR:i386" 2>/dev/null |
	sed -n "s/^ *Depends: \(linux-image-6\.1\.[0-9]*-[0-9]*-$FLAVOUR\)\(:i386\)\{0,1\}$/\1/p" | head -1)
[ -n "$image" ] || unavailable "apt cannot resolve linux-image-$FLAVOUR:i386 (package lists reachable?)"
abi=${image#linux-image-}
abi=${abi%-$FLAVOUR}
version=$(candidate "$image:i386")
[ -n "$version" ] || unavailable "no candidate version for $image:i386"
[ -n "$(candidate busybox-static:i386)" ] || unavailable "no candidate for busybox-static:i386"

pkgs="$image:i386=$version linux-headers-$abi-$FLAVOUR:i386=$version"
pkgs="$pkgs linux-headers-$abi-common=$version linux-kbuild-6.1=$version busybox-static:i386"
say "fetching Linux $abi ($version): $pkgs"

# 3. Download into OUT/debs and unpack into OUT/root.
rm -rf "$OUT/root" "$OUT/debs.part"
mkdir -p "$OUT/debs.part" "$OUT/root" || exit 1
# apt's _apt user cannot write here; apt then downloads as root (a warning)
(cd "$OUT/debs.part" && apt-get download -q $pkgs) >"$OUT/download.log" 2>&1 || {
	tail -5 "$OUT/download.log"
	unavailable "apt-get download failed (see $OUT/download.log)"
}
rm -rf "$OUT/debs" && mv "$OUT/debs.part" "$OUT/debs" || exit 1
for deb in "$OUT"/debs/*.deb; do
	dpkg -x "$deb" "$OUT/root" || { say "dpkg -x $deb failed"; exit 1; }
done

# 4. Make the headers usable where they are: their Makefile includes the
# common tree by absolute path; scripts/ and tools/ are relative links
# into usr/lib/linux-kbuild-6.1, which are right as unpacked.
hdr="$OUT/root/usr/src/linux-headers-$abi-$FLAVOUR"
common="$(cd "$OUT/root/usr/src/linux-headers-$abi-common" && pwd)" || exit 1
sed -i "s|^include /usr/src/linux-headers-$abi-common/Makefile$|include $common/Makefile|" "$hdr/Makefile"
grep -q "^include $common/Makefile$" "$hdr/Makefile" || { say "cannot repoint $hdr/Makefile"; exit 1; }
[ -x "$hdr/scripts/basic/fixdep" ] || { say "$hdr/scripts/basic/fixdep missing"; exit 1; }
[ -f "$OUT/root/boot/vmlinuz-$abi-$FLAVOUR" ] || { say "no vmlinuz in the image package"; exit 1; }
[ -x "$OUT/root/bin/busybox" ] || { say "no bin/busybox in busybox-static"; exit 1; }

echo "$abi-$FLAVOUR" >"$OUT/abi"
echo "$version" >"$OUT/version"
echo "Linux $abi-$FLAVOUR $version" >"$OUT/fetched"
say "Linux $abi-$FLAVOUR $version unpacked in $OUT/root ($(du -sh "$OUT/root" | cut -f1))"
