/* SPDX-License-Identifier: MIT */
/*
 * traps.h - the register frame of every interrupt and exception, the
 * exception vectors, and the oops machinery built on them.
 *
 * The common entry stub (trap_entry.S) builds a struct pt_regs on the
 * stack of whatever was running, in Linux i386's order. The CPU pushes
 * the bottom part; the stub pushes the rest:
 *
 *   higher addresses
 *     ss        \  pushed by the CPU only when the trap came from ring 3:
 *     sp        /  a kernel-mode trap stays on the same stack and pushes
 *                  neither (kernel_stack_pointer() gives the old esp)
 *     flags     \
 *     cs         | pushed by the CPU
 *     ip        /
 *     orig_ax      exception: the CPU's error code, or 0 if it pushes none
 *                  interrupt (vector >= 32): ~vector (always negative)
 *     gs .. bx     pushed by the stub             <- struct pt_regs *regs
 *   lower addresses
 */
#ifndef ARCH_X86_TRAPS_H
#define ARCH_X86_TRAPS_H

/* Byte offsets into struct pt_regs, for the assembly. */
#define PT_BX		0
#define PT_CX		4
#define PT_DX		8
#define PT_SI		12
#define PT_DI		16
#define PT_BP		20
#define PT_AX		24
#define PT_DS		28
#define PT_ES		32
#define PT_FS		36
#define PT_GS		40
#define PT_ORIG_AX	44
#define PT_IP		48
#define PT_CS		52
#define PT_FLAGS	56
#define PT_SP		60
#define PT_SS		64

/* Exception vectors (Intel SDM vol. 3, table 6-1). */
#define X86_TRAP_DE	0	/* divide error */
#define X86_TRAP_DB	1	/* debug */
#define X86_TRAP_NMI	2	/* non-maskable interrupt */
#define X86_TRAP_BP	3	/* int3 */
#define X86_TRAP_OF	4	/* overflow */
#define X86_TRAP_BR	5	/* bound range exceeded */
#define X86_TRAP_UD	6	/* invalid opcode */
#define X86_TRAP_NM	7	/* device not available */
#define X86_TRAP_DF	8	/* double fault */
#define X86_TRAP_OLD_MF	9	/* coprocessor segment overrun */
#define X86_TRAP_TS	10	/* invalid TSS */
#define X86_TRAP_NP	11	/* segment not present */
#define X86_TRAP_SS	12	/* stack segment fault */
#define X86_TRAP_GP	13	/* general protection fault */
#define X86_TRAP_PF	14	/* page fault */
#define X86_TRAP_SPURIOUS 15	/* reserved */
#define X86_TRAP_MF	16	/* x87 floating-point error */
#define X86_TRAP_AC	17	/* alignment check */
#define X86_TRAP_MC	18	/* machine check */
#define X86_TRAP_XF	19	/* SIMD floating-point exception */
#define X86_TRAP_VE	20	/* virtualization exception */
#define X86_TRAP_CP	21	/* control protection fault */
#define NR_EXCEPTION_VECTORS 32
#define FIRST_EXTERNAL_VECTOR 32

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define X86_PF_PROT	(1u << 0)	/* 0: page not present, 1: protection */
#define X86_PF_WRITE	(1u << 1)	/* 0: read, 1: write */
#define X86_PF_USER	(1u << 2)	/* 0: supervisor, 1: user mode */
#define X86_PF_RSVD	(1u << 3)	/* a reserved bit was set in an entry */
#define X86_PF_INSTR	(1u << 4)	/* instruction fetch (only with NX) */
#define X86_PF_PK	(1u << 5)	/* protection keys */

#ifndef __ASSEMBLER__
#include "kernel/types.h"
#include "kernel/compiler.h"

/*
 * Each selector has a 32-bit slot, but only its low 16 bits are defined:
 * a segment register pushed with 32-bit operand size (pushl %fs, or cs and
 * ss pushed by the CPU) may be written with a 16-bit store, leaving the
 * upper half as the stack had it (Intel's SDM allows both; recent Intel
 * CPUs and Bochs store 16 bits, QEMU's TCG zero-extends). So the selector
 * is a 16-bit field and the upper half a padding field (__fsh, ...) that
 * nothing reads, as in Linux.
 */
struct pt_regs {
	unsigned long bx, cx, dx, si, di, bp, ax;
	unsigned short ds, __dsh;
	unsigned short es, __esh;
	unsigned short fs, __fsh;
	unsigned short gs, __gsh;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned short cs, __csh;
	unsigned long flags;
	unsigned long sp;		/* sp and ss: only valid if user_mode(regs) */
	unsigned short ss, __ssh;
};

_Static_assert(__builtin_offsetof(struct pt_regs, ds) == PT_DS, "pt_regs");
_Static_assert(__builtin_offsetof(struct pt_regs, fs) == PT_FS, "pt_regs");
_Static_assert(__builtin_offsetof(struct pt_regs, gs) == PT_GS, "pt_regs");
_Static_assert(__builtin_offsetof(struct pt_regs, orig_ax) == PT_ORIG_AX, "pt_regs");
_Static_assert(__builtin_offsetof(struct pt_regs, cs) == PT_CS, "pt_regs");
_Static_assert(__builtin_offsetof(struct pt_regs, flags) == PT_FLAGS, "pt_regs");
_Static_assert(__builtin_offsetof(struct pt_regs, ss) == PT_SS, "pt_regs");
_Static_assert(sizeof(struct pt_regs) == PT_SS + 4, "pt_regs");

static inline bool user_mode(const struct pt_regs *regs)
{
	return (regs->cs & 3) != 0;
}

/* The esp of the interrupted context. A kernel-mode trap pushes no esp:
 * the old stack simply continues where regs->sp would have been. */
static inline unsigned long kernel_stack_pointer(const struct pt_regs *regs)
{
	if (user_mode(regs))
		return regs->sp;
	return (unsigned long)&regs->sp;
}

/* The exception's error code (0 when the CPU pushes none). */
static inline unsigned long trap_error_code(const struct pt_regs *regs)
{
	return regs->orig_ax;
}

/* Linux's name for each exception vector ("page fault", ...). */
const char *trap_name(int vector);

/*
 * Oops handling, as in Linux's die(): oops_begin() serialises CPUs and
 * detects recursion, __die() prints the report, oops_end() decides what
 * happens next. oops_end() is the only place that decides.
 */
unsigned long oops_begin(void);
void __die(const char *str, struct pt_regs *regs, unsigned long err);
__noreturn void oops_end(unsigned long flags, struct pt_regs *regs);
__noreturn void die(const char *str, struct pt_regs *regs, unsigned long err);

/* Register dump (EIP, Code:, EAX.., CRx) and the call trace below it. */
void show_regs(struct pt_regs *regs);
/* The register lines only; 'sp' is the interrupted esp to print. */
void __show_regs(struct pt_regs *regs, unsigned long sp);
/* "Call Trace:" walking the frame-pointer chain from 'bp'. */
void show_trace(unsigned long bp);
/* The same for code interrupted at 'ip' with 'sp': if that function had
 * not built its frame, first list return addresses found between sp and
 * bp as unreliable (" ? func+0x..") entries. */
void show_trace_from(unsigned long ip, unsigned long sp, unsigned long bp);
void dump_stack(void);

/* "---[ end trace 0000000000000000 ]---" */
void print_oops_end_marker(void);

/* "CPU: 0 PID: 0 Comm: swapper/0 Not tainted" */
void show_cpu_line(void);

/*
 * Who is running: the scheduler replaces this weak default, which says
 * "PID 0, swapper/N" (the idle task's name in Linux) for every CPU.
 * Fills 'comm' (size bytes) and returns the pid.
 */
int current_comm_pid(char *comm, size_t size);

/* Taint flags, printed in the CPU line ("Tainted: G        W"). */
#define TAINT_DIE	7	/* 'D': an oops happened */
#define TAINT_WARN	9	/* 'W': a WARNING was printed */
void add_taint(int flag);

/* The bounds of the stack 'sp' lies on, for backtraces and #DF. */
struct stack_info {
	unsigned long begin, end;	/* [begin, end) */
	const char *name;
};
bool get_stack_info(unsigned long sp, struct stack_info *info);
/* The scheduler adds task stacks through this weak hook (default: none). */
bool get_task_stack_info(unsigned long sp, struct stack_info *info);

/* The double-fault task's C half (traps.c). */
void do_double_fault(unsigned long error_code);

/*
 * The exception handlers' common tail for a kernel-mode fault nobody
 * fixed: an __ex_table fixup, then an armed probe (mm/extable.h), then
 * the oops. Returns only if a fixup was applied.
 */
void do_kernel_fault(const char *str, int vector, struct pt_regs *regs,
		     unsigned long error_code, unsigned long fault_addr);

/* The return address of trap handlers (the unwinder recognises it). */
extern char ret_from_handler[];
extern char restore_all[];

/*
 * Is 'ret' a return address into the trap exit path, from the handler
 * call or from the irqentry_exit() call after it? Both calls pass the
 * struct pt_regs pointer as their one argument, so in the callee's frame
 * it sits at bp + 8: the registers of the interrupted code. (A preempted
 * task's stack has the second one: it was switched out in
 * irqentry_exit().)
 */
static inline bool is_trap_return(unsigned long ret)
{
	return ret >= (unsigned long)ret_from_handler && ret < (unsigned long)restore_all;
}

#endif /* !__ASSEMBLER__ */
#endif
