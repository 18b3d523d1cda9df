/* SPDX-License-Identifier: MIT */
/*
 * extable.h - resuming after a fault: the exception table, the nofault
 * copies built on it, and probes for faults that have no table entry.
 *
 * __ex_table (Linux's mechanism): an instruction that is allowed to fault
 * registers the address to continue at instead. The entry is a pair of
 * offsets, each relative to its own field, so the table needs no
 * relocation and stays 8 bytes an entry:
 *
 *   1: movl (%esi), %eax         <- may fault
 *   2: ...
 *      .pushsection .text.fixup  (out of line)
 *   3: movl $-EFAULT, %edx; jmp 2b
 *      .pushsection __ex_table:  .long 1b - ., 3b - .
 *
 * A kernel-mode #PF or #GP at a registered instruction sets EIP to the
 * fixup and returns; anything else oopses.
 *
 * Probes are for tests that must make an access with no table entry
 * fault on purpose (executing a data page, writing kernel text): see
 * probe_exec() below.
 */
#ifndef MM_EXTABLE_H
#define MM_EXTABLE_H

#include "kernel/types.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"

struct exception_table_entry {
	s32 insn;	/* faulting instruction, relative to &insn */
	s32 fixup;	/* where to resume, relative to &fixup */
};

/* In an asm template: register "from" as an instruction whose fault
 * resumes at "to". */
#define _ASM_EXTABLE(from, to)					\
	".pushsection __ex_table, \"a\"\n"			\
	"\t.balign 4\n"						\
	"\t.long (" #from ") - .\n"				\
	"\t.long (" #to ") - .\n"				\
	".popsection\n"

static inline unsigned long ex_insn_addr(const struct exception_table_entry *e)
{
	return (unsigned long)&e->insn + e->insn;
}

static inline unsigned long ex_fixup_addr(const struct exception_table_entry *e)
{
	return (unsigned long)&e->fixup + e->fixup;
}

/* The entry for 'ip', or NULL. */
const struct exception_table_entry *search_exception_tables(unsigned long ip);

struct pt_regs;
/* If regs->ip has an entry, point regs->ip at its fixup and return true. */
bool fixup_exception(struct pt_regs *regs, int trapnr, unsigned long error_code,
		     unsigned long fault_addr);

/*
 * Read or write kernel memory that may not be mapped. 0 on success,
 * -EFAULT if any byte faulted (then part of dst may have been written),
 * -ERANGE for an address below PAGE_OFFSET (user space: never read
 * through these, as in Linux).
 */
long copy_from_kernel_nofault(void *dst, const void *src, size_t size);
long copy_to_kernel_nofault(void *dst, const void *src, size_t size);

#define get_kernel_nofault(val, ptr) ({					\
	const __typeof__(val) *__gk_ptr = (ptr);			\
	copy_from_kernel_nofault(&(val), __gk_ptr, sizeof(val));	\
})

/*
 * Probes. Each disables interrupts, arms a per-CPU fault recovery point
 * (a setjmp-style snapshot of the probe's own frame), makes the access,
 * and disarms. A kernel-mode #PF, #GP, #SS, #NP, #UD or #AC that no
 * __ex_table entry fixes returns to the probe instead of oopsing; a
 * WARN's #UD is still a WARN. Probes nest.
 *
 * Each returns 0 if the access completed, else the vector that stopped
 * it (X86_TRAP_PF, ...), and probe_last_fault() tells the details.
 */
int probe_exec(void *addr);		/* call addr() as void (*)(void) */
int probe_read(const void *addr, u32 *val);
int probe_write(void *addr, u32 val);
int probe_read_byte(const void *addr, u8 *val);
int probe_write_byte(void *addr, u8 val);

struct probe_fault {
	int vector;
	unsigned long error_code;
	unsigned long cr2;		/* the faulting address, for #PF */
	unsigned long ip;		/* the faulting instruction */
};
/* What stopped the last probe that faulted on this CPU. */
struct probe_fault probe_last_fault(void);

/* Called by the exception handlers before they oops: if a probe is armed
 * on this CPU, record the fault and return to it (does not return). */
void fault_recovery(int vector, struct pt_regs *regs, unsigned long error_code,
		    unsigned long cr2);

#endif
