/* SPDX-License-Identifier: MIT */
/*
 * bug.h - BUG() and the WARN() family, the Linux x86 way.
 *
 * Each BUG or WARN site compiles to one "ud2" instruction plus an entry in
 * the __bug_table section (in .rodata) that maps the ud2's address to the
 * source file, line and flags:
 *
 *   code:    ... 1: ud2 ...                 (2 bytes, raises #UD)
 *   table:   struct bug_entry { 1b - ., "file.c" - ., line, flags }
 *
 * The #UD handler looks the faulting address up in the table. A BUG
 * prints "kernel BUG at file:line!" and oopses. A WARN prints a
 * "WARNING: CPU: n PID: p at file:line func+off/size" report with the
 * registers and a call trace, then resumes after the ud2. The condition is
 * computed in C before the ud2, so WARN_ON(c) returns c like Linux's.
 *
 * The table is read-only, so the "only once" state of WARN_ON_ONCE lives
 * in a static flag at each site instead of in the entry.
 */
#ifndef KERNEL_BUG_H
#define KERNEL_BUG_H

#include "kernel/types.h"
#include "kernel/compiler.h"

#define BUGFLAG_WARNING		(1 << 0)
#define BUGFLAG_ONCE		(1 << 1)
#define BUGFLAG_NO_CUT_HERE	(1 << 2)	/* WARN(c, fmt) printed it */

struct bug_entry {
	s32 bug_addr_disp;	/* the ud2, relative to this field */
	s32 file_disp;		/* the file name, relative to this field */
	u16 line;
	u16 flags;
};

#define __BUG_FLAGS(flags)						\
	__asm__ __volatile__("1:\tud2\n"				\
		".pushsection __bug_table, \"a\"\n"			\
		"\t.balign 4\n"						\
		"\t.long 1b - .\n"					\
		"\t.long %c0 - .\n"					\
		"\t.word %c1\n"						\
		"\t.word %c2\n"						\
		".popsection"						\
		: : "i"(__FILE__), "i"(__LINE__), "i"(flags))

#define BUG() do {							\
	__BUG_FLAGS(0);							\
	__builtin_unreachable();					\
} while (0)

#define BUG_ON(condition) do {						\
	if (unlikely(condition))					\
		BUG();							\
} while (0)

#define __WARN_FLAGS(flags)	__BUG_FLAGS(BUGFLAG_WARNING | (flags))

/* Prints the cut line and the message of WARN(c, fmt, ...). */
__printf(1, 2) void __warn_printk(const char *fmt, ...);

#define WARN_ON(condition) ({						\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		__WARN_FLAGS(0);					\
	unlikely(__ret_warn_on);					\
})

#define WARN(condition, ...) ({						\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on)) {					\
		__warn_printk(__VA_ARGS__);				\
		__WARN_FLAGS(BUGFLAG_NO_CUT_HERE);			\
	}								\
	unlikely(__ret_warn_on);					\
})

#define WARN_ON_ONCE(condition) ({					\
	static bool __warned;						\
	int __ret_warn_once = !!(condition);				\
	if (unlikely(__ret_warn_once && !READ_ONCE(__warned))) {	\
		WRITE_ONCE(__warned, true);				\
		__WARN_FLAGS(BUGFLAG_ONCE);				\
	}								\
	unlikely(__ret_warn_once);					\
})

#define WARN_ONCE(condition, ...) ({					\
	static bool __warned;						\
	int __ret_warn_once = !!(condition);				\
	if (unlikely(__ret_warn_once && !READ_ONCE(__warned))) {	\
		WRITE_ONCE(__warned, true);				\
		__warn_printk(__VA_ARGS__);				\
		__WARN_FLAGS(BUGFLAG_ONCE | BUGFLAG_NO_CUT_HERE);	\
	}								\
	unlikely(__ret_warn_once);					\
})

/* What report_bug() found at a #UD address. */
enum bug_trap_type {
	BUG_TRAP_TYPE_NONE,	/* not a BUG/WARN site: a real invalid opcode */
	BUG_TRAP_TYPE_WARN,	/* reported; resume after the ud2 */
	BUG_TRAP_TYPE_BUG,	/* "kernel BUG at" printed; oops follows */
};

struct pt_regs;
const struct bug_entry *find_bug(unsigned long ip);
enum bug_trap_type report_bug(unsigned long ip, struct pt_regs *regs);

#endif
