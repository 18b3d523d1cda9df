/* SPDX-License-Identifier: MIT */
/*
 * string.h - the C string and memory routines the kernel needs.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include "kernel/types.h"

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
size_t strlcpy(char *dst, const char *src, size_t size);

/* Is 'name' one of the comma-separated words of 'list'? */
bool name_in_list(const char *list, const char *name);

/* Parse an unsigned number (0x prefix for hex). Returns false on junk. */
bool parse_ulong(const char *s, size_t len, unsigned long *out);

#endif
