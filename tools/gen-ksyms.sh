#!/bin/sh
# SPDX-License-Identifier: MIT
# gen-ksyms.sh ELF - emit an assembly file holding the kernel's function
# symbols, sorted by address, for the oops backtracer (kernel/ksyms.c).
#
#   ksyms_count:  .long N
#   ksyms_addrs:  .long addr0, addr1, ...          (ascending)
#   ksyms_names:  .long name0_offset, ...           into ksyms_strings
#   ksyms_strings: "kmain\0printk\0..."
set -e
tmp=$(mktemp)
nm -n "$1" | awk '$2 ~ /^[tT]$/ && $3 !~ /^\./ { print $1, $3 }' > "$tmp"
n=$(wc -l < "$tmp")
echo '	.section .ksyms, "a"'
echo '	.align 4'
echo '	.globl ksyms_count, ksyms_addrs, ksyms_names, ksyms_strings, ksyms_end'
echo "ksyms_count: .long $n"
echo 'ksyms_addrs:'
awk '{ print "	.long 0x" $1 }' "$tmp"
echo 'ksyms_names:'
awk 'BEGIN { off = 0 } { print "	.long " off; off += length($2) + 1 }' "$tmp"
echo 'ksyms_strings:'
awk '{ print "	.asciz \"" $2 "\"" }' "$tmp"
echo 'ksyms_end:'
rm -f "$tmp"
