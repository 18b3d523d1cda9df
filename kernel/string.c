/* SPDX-License-Identifier: MIT */
/*
 * string.c - memory and string routines.
 *
 * memset/memcpy use "rep stos/movs": gcc emits calls to them for struct
 * copies and large initialisers, and on x86 the string instructions are the
 * short, fast way to move bytes.
 */
#include "kernel/string.h"

void *memset(void *s, int c, size_t n)
{
	void *d = s;
	__asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n >> 2, rest = n & 3;
	__asm__ __volatile__("rep movsl\n\t"
			     "mov %3, %%ecx\n\t"
			     "rep movsb"
			     : "+D"(d), "+S"(src), "+c"(words)
			     : "r"(rest)
			     : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}

char *strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return (char *)hay;
	return n ? NULL : (char *)hay;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

bool parse_ulong(const char *s, size_t len, unsigned long *out)
{
	unsigned long v = 0, base = 10;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		char c = s[i];
		unsigned long d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* Is 'name' one of the comma-separated words of 'list'? */
bool name_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list) {
		const char *e = strchr(list, ',');
		size_t len = e ? (size_t)(e - list) : strlen(list);

		if (len == n && !strncmp(list, name, n))
			return true;
		if (!e)
			break;
		list = e + 1;
	}
	return false;
}
