/* SPDX-License-Identifier: MIT */
/*
 * extable.c - the exception table, nofault copies, and probes.
 *
 * The table lies in .rodata (read-only once paging_init() has run), so it
 * cannot be sorted at boot as Linux does; it holds a few dozen entries and
 * is searched linearly, only when a kernel-mode fault has already
 * happened.
 *
 * Nofault accesses: each load or store is one instruction with its own
 * table entry. Its out-of-line fixup (in .text.fixup, which the linker
 * places inside .text) sets the error to -EFAULT and jumps back past the
 * access, so the copy loop just checks the error.
 */
#include "mm/extable.h"
#include "mm/memlayout.h"
#include "arch/x86/traps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "kernel/setjmp.h"

extern const struct exception_table_entry __start_ex_table[], __stop_ex_table[];

const struct exception_table_entry *search_exception_tables(unsigned long ip)
{
	for (const struct exception_table_entry *e = __start_ex_table;
	     e < __stop_ex_table; e++)
		if (ex_insn_addr(e) == ip)
			return e;
	return NULL;
}

bool fixup_exception(struct pt_regs *regs, int trapnr, unsigned long error_code,
		     unsigned long fault_addr)
{
	const struct exception_table_entry *e = search_exception_tables(regs->ip);

	if (!e)
		return false;
	regs->ip = ex_fixup_addr(e);
	return true;
}

/* ---- nofault accessors: one instruction, one table entry each ---- */

#define NOFAULT_LOAD(insn, reg_constraint, type)			\
static inline long load_nofault_##type(type *dst, const type *src)	\
{									\
	long err = 0;							\
	type v;								\
	__asm__ __volatile__("1:\t" insn " %2, %1\n"			\
			     "2:\n"					\
			     ".pushsection .text.fixup, \"ax\"\n"	\
			     "3:\tmovl %3, %0\n"			\
			     "\txorl %k1, %k1\n"			\
			     "\tjmp 2b\n"				\
			     ".popsection\n"				\
			     _ASM_EXTABLE(1b, 3b)			\
			     : "+r"(err), "=" reg_constraint(v)		\
			     : "m"(*src), "i"(-EFAULT));		\
	*dst = v;							\
	return err;							\
}

#define NOFAULT_STORE(insn, reg_constraint, type)			\
static inline long store_nofault_##type(type *dst, type v)		\
{									\
	long err = 0;							\
	__asm__ __volatile__("1:\t" insn " %2, %1\n"			\
			     "2:\n"					\
			     ".pushsection .text.fixup, \"ax\"\n"	\
			     "3:\tmovl %3, %0\n"			\
			     "\tjmp 2b\n"				\
			     ".popsection\n"				\
			     _ASM_EXTABLE(1b, 3b)			\
			     : "+r"(err), "=m"(*dst)			\
			     : reg_constraint(v), "i"(-EFAULT));	\
	return err;							\
}

NOFAULT_LOAD("movl", "r", u32)
NOFAULT_LOAD("movb", "q", u8)
NOFAULT_STORE("movl", "r", u32)
NOFAULT_STORE("movb", "q", u8)

static bool nofault_allowed(const void *p, size_t size)
{
	unsigned long a = (unsigned long)p;

	return a >= PAGE_OFFSET && a + size >= a;
}

long copy_from_kernel_nofault(void *dst, const void *src, size_t size)
{
	u8 *d = dst;
	const u8 *s = src;

	if (!nofault_allowed(src, size))
		return -ERANGE;
	for (; size >= 4; size -= 4, d += 4, s += 4) {
		u32 v;
		if (load_nofault_u32(&v, (const u32 *)s))
			return -EFAULT;
		__builtin_memcpy(d, &v, 4);
	}
	for (; size; size--, d++, s++)
		if (load_nofault_u8(d, s))
			return -EFAULT;
	return 0;
}

long copy_to_kernel_nofault(void *dst, const void *src, size_t size)
{
	u8 *d = dst;
	const u8 *s = src;

	if (!nofault_allowed(dst, size))
		return -ERANGE;
	for (; size >= 4; size -= 4, d += 4, s += 4) {
		u32 v;
		__builtin_memcpy(&v, s, 4);
		if (store_nofault_u32((u32 *)d, v))
			return -EFAULT;
	}
	for (; size; size--, d++, s++)
		if (store_nofault_u8(d, *s))
			return -EFAULT;
	return 0;
}

/* ---- probes: a per-CPU recovery point for faults with no entry ---- */

struct fault_recovery {
	jmp_buf env;
	struct fault_recovery *prev;	/* probes nest */
};

static DEFINE_PER_CPU(struct fault_recovery *, fault_recovery_point);
static DEFINE_PER_CPU(struct probe_fault, last_probe_fault);

/*
 * Run 'access' under a recovery point; evaluates to 0 or the vector.
 * Interrupts stay off throughout, so a fault in an interrupt handler can
 * never land here, and the task cannot move to another CPU.
 */
#define RUN_PROBE(access) ({						\
	struct fault_recovery __r;					\
	unsigned long __flags = local_irq_save();			\
	int __v;							\
	__r.prev = this_cpu_read(fault_recovery_point);			\
	__v = setjmp(__r.env);						\
	if (__v == 0) {							\
		this_cpu_write(fault_recovery_point, &__r);		\
		access;							\
		this_cpu_write(fault_recovery_point, __r.prev);		\
	}								\
	local_irq_restore(__flags);					\
	__v ? __v - 1 : 0;						\
})

void fault_recovery(int vector, struct pt_regs *regs, unsigned long error_code,
		    unsigned long cr2)
{
	struct fault_recovery *r = this_cpu_read(fault_recovery_point);
	struct probe_fault *f;

	if (!r || user_mode(regs))
		return;
	f = this_cpu_ptr(&last_probe_fault);
	f->vector = vector;
	f->error_code = error_code;
	f->cr2 = cr2;
	f->ip = regs->ip;
	this_cpu_write(fault_recovery_point, r->prev);
	/* The trap frame below the probe's frame is simply abandoned: it
	 * is on the same stack, and nothing else refers to it. */
	longjmp(r->env, vector + 1);
}

struct probe_fault probe_last_fault(void)
{
	return *this_cpu_ptr(&last_probe_fault);
}

int probe_exec(void *addr)
{
	return RUN_PROBE(((void (*)(void))addr)());
}

int probe_read(const void *addr, u32 *val)
{
	return RUN_PROBE(*val = *(const volatile u32 *)addr);
}

int probe_write(void *addr, u32 val)
{
	return RUN_PROBE(*(volatile u32 *)addr = val);
}

int probe_read_byte(const void *addr, u8 *val)
{
	return RUN_PROBE(*val = *(const volatile u8 *)addr);
}

int probe_write_byte(void *addr, u8 val)
{
	return RUN_PROBE(*(volatile u8 *)addr = val);
}
