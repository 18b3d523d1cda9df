/* SPDX-License-Identifier: MIT */
/*
 * printk.h - the kernel log.
 *
 * Levels follow Linux: a message starts with KERN_<LEVEL> ("\001" + digit)
 * and reaches the console when its level is below console_loglevel
 * (loglevel= on the command line). Every message also goes to an in-memory
 * ring, so tests can check what a BUG or WARNING report said.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include "kernel/types.h"
#include "kernel/compiler.h"

#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
#define KERN_CONT	KERN_SOH "c"

#define LOGLEVEL_DEFAULT	4	/* a message without a level */
extern int console_loglevel;

__printf(1, 2) int printk(const char *fmt, ...);
int vprintk(const char *fmt, va_list ap);
__printf(3, 4) int snprintf(char *buf, size_t size, const char *fmt, ...);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#define pr_emerg(...)	printk(KERN_EMERG __VA_ARGS__)
#define pr_alert(...)	printk(KERN_ALERT __VA_ARGS__)
#define pr_crit(...)	printk(KERN_CRIT __VA_ARGS__)
#define pr_err(...)	printk(KERN_ERR __VA_ARGS__)
#define pr_warn(...)	printk(KERN_WARNING __VA_ARGS__)
#define pr_notice(...)	printk(KERN_NOTICE __VA_ARGS__)
#define pr_info(...)	printk(KERN_INFO __VA_ARGS__)
#define pr_debug(...)	printk(KERN_DEBUG __VA_ARGS__)
#define pr_cont(...)	printk(KERN_CONT __VA_ARGS__)

/*
 * The log ring. log_mark() returns a position; log_contains(mark, s) says
 * whether s was printed since then (as long as the ring has not wrapped
 * past mark, which it reports as "not found").
 */
u64 log_mark(void);
bool log_contains(u64 mark, const char *s);
/* Copy up to n bytes of the ring from position pos (a log_mark() value,
 * or one below it); 0 if pos is not in the ring any more. Lockless: a
 * line being written meanwhile may come out half. */
size_t log_read(u64 pos, char *buf, size_t n);
/* The same for what reached the console (a report's details may not). */
u64 console_mark(void);
bool console_contains(u64 mark, const char *s);

/* Console output that bypasses the lock: only for a CPU dying in an oops
 * (console_is_busted() is true on that CPU alone). */
void console_emergency(void);
void console_emergency_end(void);
bool console_is_busted(void);
bool console_lock_is_free(void);		/* for tests */

/* The console lock, and the console itself (with the lock held), for
 * kernel/report.c to print lines it held back. */
unsigned long console_lock_irqsave(void);
void console_unlock_irqrestore(unsigned long flags);
void console_write(const char *s, size_t n);

#endif
