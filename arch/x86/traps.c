/* SPDX-License-Identifier: MIT */
/*
 * traps.c - what the kernel does with each exception vector (0-31).
 *
 * Rules enforced here:
 *  - a kernel-mode fault is either fixed (an __ex_table entry, or a
 *    probe's recovery point) or reported as an oops; it is never ignored
 *    and never retried blindly;
 *  - #UD at a BUG/WARN site is a report, not an invalid opcode: a WARN
 *    resumes after its ud2, a BUG oopses with "invalid opcode";
 *  - a double fault always gets a readable report, from its own task and
 *    stack (see do_double_fault), then the machine stops.
 * The page-fault handler lives in mm/fault.c.
 */
#include "arch/x86/traps.h"
#include "arch/x86/hw_watch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/io.h"
#include "arch/x86/percpu.h"
#include "kernel/bug.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "mm/extable.h"

#define LEN_UD2 2

/* Linux's words for each vector (the first word of an oops header). */
static const char *const trap_names[NR_EXCEPTION_VECTORS] = {
	[X86_TRAP_DE] = "divide error",
	[X86_TRAP_DB] = "debug",
	[X86_TRAP_NMI] = "NMI",
	[X86_TRAP_BP] = "int3",
	[X86_TRAP_OF] = "overflow",
	[X86_TRAP_BR] = "bounds",
	[X86_TRAP_UD] = "invalid opcode",
	[X86_TRAP_NM] = "device not available",
	[X86_TRAP_DF] = "double fault",
	[X86_TRAP_OLD_MF] = "coprocessor segment overrun",
	[X86_TRAP_TS] = "invalid TSS",
	[X86_TRAP_NP] = "segment not present",
	[X86_TRAP_SS] = "stack segment",
	[X86_TRAP_GP] = "general protection fault",
	[X86_TRAP_PF] = "page fault",
	[X86_TRAP_SPURIOUS] = "spurious interrupt bug",
	[X86_TRAP_MF] = "coprocessor error",
	[X86_TRAP_AC] = "alignment check",
	[X86_TRAP_MC] = "machine check",
	[X86_TRAP_XF] = "simd error",
	[X86_TRAP_VE] = "virtualization exception",
	[X86_TRAP_CP] = "control protection fault",
};

const char *trap_name(int vector)
{
	if (vector >= 0 && vector < NR_EXCEPTION_VECTORS && trap_names[vector])
		return trap_names[vector];
	return "reserved exception";
}

/* Faults a probe may catch: the ones a bad access or a bad jump raise. */
static bool probe_may_catch(int vector)
{
	return vector == X86_TRAP_PF || vector == X86_TRAP_GP ||
	       vector == X86_TRAP_SS || vector == X86_TRAP_NP ||
	       vector == X86_TRAP_UD || vector == X86_TRAP_AC;
}

void do_kernel_fault(const char *str, int vector, struct pt_regs *regs,
		     unsigned long error_code, unsigned long fault_addr)
{
	if (fixup_exception(regs, vector, error_code, fault_addr))
		return;
	if (probe_may_catch(vector))
		fault_recovery(vector, regs, error_code, fault_addr);
	die(str, regs, error_code);
}

/* Every exception except #UD, #PF, NMI and #DF ends here. */
static void do_error_trap(struct pt_regs *regs, int vector)
{
	if (user_mode(regs)) {
		/* No user space exists yet: a ring-3 trap is a kernel bug. */
		die(trap_name(vector), regs, regs->orig_ax);
	}
	do_kernel_fault(trap_name(vector), vector, regs, regs->orig_ax, 0);
}

#define DEFINE_ERROR_TRAP(func, vector)			\
void func(struct pt_regs *regs);				\
void func(struct pt_regs *regs) { do_error_trap(regs, vector); }

DEFINE_ERROR_TRAP(exc_divide_error, X86_TRAP_DE)

/* #DB: a data watchpoint (arch/x86/hw_watch.c) is expected and resumes;
 * anything else is reported like the other traps. */
void exc_debug(struct pt_regs *regs);
void exc_debug(struct pt_regs *regs)
{
	if (hw_watch_debug_trap(regs))
		return;
	do_error_trap(regs, X86_TRAP_DB);
}
DEFINE_ERROR_TRAP(exc_int3, X86_TRAP_BP)
DEFINE_ERROR_TRAP(exc_overflow, X86_TRAP_OF)
DEFINE_ERROR_TRAP(exc_bounds, X86_TRAP_BR)
DEFINE_ERROR_TRAP(exc_device_not_available, X86_TRAP_NM)
DEFINE_ERROR_TRAP(exc_double_fault, X86_TRAP_DF)
DEFINE_ERROR_TRAP(exc_coproc_segment_overrun, X86_TRAP_OLD_MF)
DEFINE_ERROR_TRAP(exc_invalid_tss, X86_TRAP_TS)
DEFINE_ERROR_TRAP(exc_segment_not_present, X86_TRAP_NP)
DEFINE_ERROR_TRAP(exc_stack_segment, X86_TRAP_SS)
DEFINE_ERROR_TRAP(exc_general_protection, X86_TRAP_GP)
DEFINE_ERROR_TRAP(exc_coprocessor_error, X86_TRAP_MF)
DEFINE_ERROR_TRAP(exc_alignment_check, X86_TRAP_AC)
DEFINE_ERROR_TRAP(exc_machine_check, X86_TRAP_MC)
DEFINE_ERROR_TRAP(exc_simd_coprocessor_error, X86_TRAP_XF)
DEFINE_ERROR_TRAP(exc_virtualization, X86_TRAP_VE)
DEFINE_ERROR_TRAP(exc_control_protection, X86_TRAP_CP)
DEFINE_ERROR_TRAP(exc_reserved_22, 22)
DEFINE_ERROR_TRAP(exc_reserved_23, 23)
DEFINE_ERROR_TRAP(exc_reserved_24, 24)
DEFINE_ERROR_TRAP(exc_reserved_25, 25)
DEFINE_ERROR_TRAP(exc_reserved_26, 26)
DEFINE_ERROR_TRAP(exc_reserved_27, 27)
DEFINE_ERROR_TRAP(exc_reserved_28, 28)
DEFINE_ERROR_TRAP(exc_reserved_29, 29)
DEFINE_ERROR_TRAP(exc_reserved_30, 30)
DEFINE_ERROR_TRAP(exc_reserved_31, 31)

/* Vector 15 is reserved; some old CPUs raised it spuriously (Linux
 * ignores it). Say so once and go on. */
void exc_spurious(struct pt_regs *regs);
void exc_spurious(struct pt_regs *regs)
{
	static bool told;

	if (!told) {
		told = true;
		pr_warn("Ignoring spurious exception vector 15 at %#lx\n", regs->ip);
	}
}

/* #UD: first ask the bug table whether this ud2 is a BUG or WARN site. */
void exc_invalid_op(struct pt_regs *regs);
void exc_invalid_op(struct pt_regs *regs)
{
	if (!user_mode(regs)) {
		switch (report_bug(regs->ip, regs)) {
		case BUG_TRAP_TYPE_WARN:
			regs->ip += LEN_UD2;
			return;
		case BUG_TRAP_TYPE_BUG:
			die("invalid opcode", regs, 0);
		case BUG_TRAP_TYPE_NONE:
			break;
		}
	}
	do_error_trap(regs, X86_TRAP_UD);
}

/*
 * NMI: nothing in this kernel sends one yet (no watchdog, no NMI IPIs), so
 * report it the way Linux reports an NMI nobody claims, and go on. Port
 * 0x61 bits 7/6 are the legacy "memory parity" / "I/O check" reasons.
 */
void exc_nmi(struct pt_regs *regs);
void exc_nmi(struct pt_regs *regs)
{
	u8 reason = inb(0x61);

	pr_emerg("Uhhuh. NMI received for unknown reason %02x on CPU %d.\n",
		 reason, smp_processor_id());
	pr_emerg("Dazed and confused, but trying to continue\n");
}

/*
 * The double fault, running as its own task on its own stack.
 *
 * The task switch saved the interrupted state in this CPU's normal TSS,
 * cpu_tss[cpu]; the SDM calls the saved EIP of a #DF undefined, but on
 * real CPUs and QEMU it is the instruction whose exception could not be
 * delivered. The usual cause is a kernel stack overflow: the first fault
 * (typically #PF on a guard or read-only page below the stack) cannot
 * push its frame on the same stack, and the second fault becomes #DF. So
 * we say whether esp sits at or just below the bottom of a known stack.
 */
static void report_stack_overflow(unsigned long sp, unsigned long cr2)
{
	struct stack_info info;

	if (get_stack_info(sp, &info) && sp - info.begin >= 512) {
		pr_emerg("esp %08lx is inside the %s stack [%08lx-%08lx): not an overflow of it\n",
			 sp, info.name, info.begin, info.end);
		return;
	}
	if (get_stack_info(sp, &info) || get_stack_info(sp + 512, &info) ||
	    get_stack_info(sp + PAGE_SIZE, &info)) {
		pr_emerg("BUG: kernel stack overflow: esp %08lx, %s stack is %08lx-%08lx\n",
			 sp, info.name, info.begin, info.end);
		return;
	}
	if (cr2 + 64 >= sp && cr2 <= sp + 64)
		pr_emerg("BUG: kernel stack overflow? CR2 %08lx is next to esp %08lx (on a stack we cannot name)\n",
			 cr2, sp);
	else
		pr_emerg("esp %08lx is not near the bottom of any known stack\n", sp);
}

void do_double_fault(unsigned long error_code)
{
	unsigned long cr2 = read_cr2();
	int cpu = smp_processor_id();
	struct tss *t = &cpu_tss[cpu];
	struct pt_regs regs = {
		.bx = t->ebx, .cx = t->ecx, .dx = t->edx, .si = t->esi,
		.di = t->edi, .bp = t->ebp, .ax = t->eax,
		.ds = t->ds, .es = t->es, .fs = t->fs, .gs = t->gs,
		.orig_ax = error_code,
		.ip = t->eip, .cs = t->cs, .flags = t->eflags,
		.sp = t->esp, .ss = t->ss,
	};

	report_panic();		/* a report that ends in a panic prints whole */
	oops_begin();
	pr_emerg("PANIC: double fault, error_code: 0x%lx\n", error_code);
	pr_emerg("double fault on CPU %d: interrupted eip %08lx esp %08lx, CR2 %08lx\n",
		 cpu, regs.ip, regs.sp, cr2);
	report_stack_overflow(regs.sp, cr2);
	printk("double fault: %04lx [#1] SMP\n", error_code & 0xffff);
	show_cpu_line();
	__show_regs(&regs, regs.sp);
	show_trace_from(regs.ip, regs.sp, regs.bp);
	print_oops_end_marker();
	panic("Machine halted.");
}
