/* SPDX-License-Identifier: MIT */
/*
 * ksyms.c - address to "function+offset/size" and back.
 *
 * The table (from tools/gen-ksyms.sh, second link only):
 *
 *   ksyms_count    N
 *   ksyms_addrs    N ascending addresses
 *   ksyms_names    N offsets into ksyms_strings
 *   ksyms_strings  "name\0name\0..."
 *
 * The symbols are weak: in the first link they are undefined and their
 * addresses read as 0, so every lookup returns NULL and the kernel still
 * links and runs (a first-pass kernel prints raw addresses).
 */
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/string.h"

extern const u32 ksyms_count __attribute__((weak));
extern const u32 ksyms_addrs[] __attribute__((weak));
extern const u32 ksyms_names[] __attribute__((weak));
extern const char ksyms_strings[] __attribute__((weak));
extern char _text[], _etext[];

static u32 nr_syms(void)
{
	/* Volatile: the compiler may not assume a weak object exists. */
	const u32 *volatile count = &ksyms_count;

	return count ? *count : 0;
}

const char *ksym_lookup(unsigned long addr, unsigned long *offset,
			unsigned long *size)
{
	u32 n = nr_syms(), lo = 0, hi;

	if (!n || addr < ksyms_addrs[0] || addr >= (unsigned long)_etext)
		return NULL;
	/* The last symbol <= addr (binary search over [lo, hi)). */
	hi = n;
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;
		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* Aliases share an address: report the first name. */
	while (lo > 0 && ksyms_addrs[lo - 1] == ksyms_addrs[lo])
		lo--;
	unsigned long start = ksyms_addrs[lo], end = (unsigned long)_etext;
	for (u32 i = lo + 1; i < n; i++)
		if (ksyms_addrs[i] > start) {
			end = ksyms_addrs[i];
			break;
		}
	if (offset)
		*offset = addr - start;
	if (size)
		*size = end - start;
	return ksyms_strings + ksyms_names[lo];
}

unsigned long ksym_address(const char *name)
{
	u32 n = nr_syms();

	for (u32 i = 0; i < n; i++)
		if (!strcmp(ksyms_strings + ksyms_names[i], name))
			return ksyms_addrs[i];
	return 0;
}

char *sprint_symbol(char *buf, size_t size, unsigned long addr)
{
	unsigned long off, sz;
	const char *name = ksym_lookup(addr, &off, &sz);

	if (name)
		snprintf(buf, size, "%s+%#lx/%#lx", name, off, sz);
	else
		snprintf(buf, size, "%#lx", addr);
	return buf;
}

char *sprint_backtrace(char *buf, size_t size, unsigned long addr)
{
	unsigned long off, sz;
	const char *name = ksym_lookup(addr - 1, &off, &sz);

	if (name)
		snprintf(buf, size, "%s+%#lx/%#lx", name, off + 1, sz);
	else
		snprintf(buf, size, "%#lx", addr);
	return buf;
}
