/* SPDX-License-Identifier: MIT */
/*
 * vsprintf.c - printf-style formatting for printk and the tests.
 *
 * Supports %d %i %u %x %X %o %p %s %c %%, the flags '-', '0', ' ', '+',
 * '#', a width and precision (or '*'), and the length modifiers h, hh, l,
 * ll, z. %llx matters here: physical addresses are 64-bit.
 */
#include "kernel/printk.h"
#include "kernel/div64.h"
#include "kernel/string.h"

struct outbuf {
	char *buf;
	size_t size, len;
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct outbuf *o, u64 v, bool neg, unsigned base,
		    bool upper, int width, int prec, bool left, char pad,
		    char sign, bool alt)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, total;

	if (v == 0 && prec != 0)
		tmp[n++] = '0';
	while (v) {
		tmp[n++] = digits[do_div(v, base)];
	}
	if (prec < n)
		prec = n;
	total = prec;
	if (neg || sign)
		total++;
	if (alt && base == 16)
		total += 2;
	if (!left && pad == ' ')
		for (; width > total; width--)
			put(o, ' ');
	if (neg)
		put(o, '-');
	else if (sign)
		put(o, sign);
	if (alt && base == 16) {
		put(o, '0');
		put(o, upper ? 'X' : 'x');
	}
	if (!left && pad == '0')
		for (; width > total; width--)
			put(o, '0');
	for (int i = n; i < prec; i++)
		put(o, '0');
	while (n)
		put(o, tmp[--n]);
	if (left)
		for (; width > total; width--)
			put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool left = false, alt = false;
		char pad = ' ', sign = 0;
		int width = 0, prec = -1, lng = 0;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (;;) {
			char f = *++fmt;
			if (f == '-')
				left = true;
			else if (f == '0')
				pad = '0';
			else if (f == '+')
				sign = '+';
			else if (f == ' ')
				sign = sign ? sign : ' ';
			else if (f == '#')
				alt = true;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		while (*fmt == 'l' || *fmt == 'h' || *fmt == 'z') {
			if (*fmt == 'l')
				lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 v = lng >= 2 ? va_arg(ap, s64) : va_arg(ap, long);
			put_num(&o, v < 0 ? -(u64)v : (u64)v, v < 0, 10, false,
				width, prec, left, pad, sign, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			u64 v = lng >= 2 ? va_arg(ap, u64) : va_arg(ap, unsigned long);
			unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			put_num(&o, v, false, base, *fmt == 'X', width, prec,
				left, pad, 0, alt);
			break;
		}
		case 'p':
			put_num(&o, (unsigned long)va_arg(ap, void *), false, 16,
				false, 8, -1, false, '0', 0, false);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n;

			if (!s)
				s = "(null)";
			n = prec >= 0 ? (int)strnlen(s, prec) : (int)strlen(s);
			if (!left)
				for (; width > n; width--)
					put(&o, ' ');
			for (int i = 0; i < n; i++)
				put(&o, s[i]);
			for (; width > n; width--)
				put(&o, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
