/* SPDX-License-Identifier: MIT */
/*
 * traps_test.c - the IDT dispatches, WARN reports and resumes, the
 * reports are symbolised, and the #UD/#GP paths tell their cases apart.
 *
 * BUG() is not tested here: an oops is fatal until threads can die
 * (oops_end()); the scheduler's tests run it in a child thread.
 */
#include "kernel/ktest.h"
#include "kernel/bug.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/idt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/traps.h"
#include "mm/extable.h"

/* Vectors no device uses (0x80 is Linux's system call gate). */
#define TEST_VECTOR		0x80
#define UNHANDLED_VECTOR	0x81

/* Helpers whose names the reports must show: neither inlined nor cloned
 * (a clone would be named "warn_site.constprop.0"). */
#define __named __attribute__((noipa))

/* ---- WARN ---- */

static int warn_line;

static __named int warn_site(int cond)
{
	int r;

	warn_line = __LINE__ + 1;
	r = WARN_ON(cond);
	barrier();
	return r;
}

static __named int warn_site_caller(int cond)
{
	int r = warn_site(cond);

	barrier();
	return r;
}

static void warn_on_returns_its_condition(struct ktest *t)
{
	ktest_expect(t, "warn_site");
	EXPECT_EQ(t, warn_site(5), 1);
	EXPECT_EQ(t, warn_site(0), 0);
}

static void warn_on_false_prints_nothing(struct ktest *t)
{
	u64 mark = log_mark();

	warn_site(0);
	EXPECT_FALSE(t, log_contains(mark, "WARNING:"));
}

/* The report's first line names CPU, PID, file:line and the function. */
static void warn_report_names_cpu_pid_and_site(struct ktest *t)
{
	char want[160], comm[32];
	u64 mark = log_mark();
	unsigned long flags;
	int cpu, pid;

	ktest_expect(t, "warn_site");
	flags = local_irq_save();	/* stay on this CPU */
	cpu = smp_processor_id();
	pid = current_comm_pid(comm, sizeof(comm));
	warn_site(1);
	local_irq_restore(flags);
	snprintf(want, sizeof(want), "WARNING: CPU: %d PID: %d at tests/kernel/traps_test.c:%d warn_site+0x",
		 cpu, pid, warn_line);
	EXPECT_TRUE(t, log_contains(mark, want));
	EXPECT_TRUE(t, log_contains(mark, "---[ end trace 0000000000000000 ]---"));
}

static void warn_report_has_symbolised_call_trace(struct ktest *t)
{
	u64 mark = log_mark();

	ktest_expect(t, "warn_site");
	warn_site_caller(1);
	EXPECT_TRUE(t, log_contains(mark, "Call Trace:"));
	EXPECT_TRUE(t, log_contains(mark, "  warn_site_caller+0x"));
	EXPECT_TRUE(t, log_contains(mark, "EIP: warn_site+0x"));
}

static void execution_continues_after_warn(struct ktest *t)
{
	volatile int after = 0;

	ktest_expect(t, "warn_site");
	warn_site(1);
	after = 1;
	EXPECT_EQ(t, after, 1);
}

static __named int warn_once_site(int cond)
{
	return WARN_ON_ONCE(cond);
}

static void warn_on_once_reports_once(struct ktest *t)
{
	u64 mark = log_mark();

	ktest_expect(t, "warn_once_site");
	EXPECT_EQ(t, warn_once_site(1), 1);
	EXPECT_TRUE(t, log_contains(mark, "warn_once_site+0x"));
	mark = log_mark();
	EXPECT_EQ(t, warn_once_site(1), 1);	/* still returns the condition */
	EXPECT_FALSE(t, log_contains(mark, "WARNING:"));
}

static void warn_prints_its_message_after_cut_line(struct ktest *t)
{
	u64 mark = log_mark();

	/* the WARNING line names the function the WARN() is in */
	ktest_expect(t, "warn_prints_its_message_after_cut_line");
	EXPECT_TRUE(t, WARN(1, "traps_test: message %d\n", 42));
	EXPECT_TRUE(t, log_contains(mark, "------------[ cut here ]------------"));
	EXPECT_TRUE(t, log_contains(mark, "traps_test: message 42"));
	EXPECT_TRUE(t, log_contains(mark, "WARNING: CPU:"));
}

/* ---- symbols and backtraces ---- */

static __named __used void ksym_target(void)
{
	barrier();
}

static void ksym_lookup_finds_function_and_offset(struct ktest *t)
{
	unsigned long off = 99, size = 0, a = (unsigned long)ksym_target;
	const char *name = ksym_lookup(a, &off, &size);

	ASSERT_PTR_NE(t, name, NULL);
	EXPECT_STREQ(t, name, "ksym_target");
	EXPECT_EQ(t, off, 0);
	name = ksym_lookup(a + 5, &off, &size);
	ASSERT_PTR_NE(t, name, NULL);
	EXPECT_STREQ(t, name, "ksym_target");
	EXPECT_EQ(t, off, 5);
	EXPECT_GT(t, size, 5);
}

static void ksym_lookup_outside_text_is_null(struct ktest *t)
{
	static int not_code;

	EXPECT_PTR_EQ(t, ksym_lookup((unsigned long)&not_code, NULL, NULL), NULL);
	EXPECT_PTR_EQ(t, ksym_lookup(0x1000, NULL, NULL), NULL);
}

static void backtrace_of_unmapped_frame_stops_quietly(struct ktest *t)
{
	u64 mark = log_mark();

	/* A frame pointer into the hole above lowmem: reading it faults,
	 * and the nofault read ends the trace instead of oopsing. */
	show_trace(VMALLOC_START);
	EXPECT_TRUE(t, log_contains(mark, "Call Trace:"));
	EXPECT_FALSE(t, log_contains(mark, "BUG:"));
}

static void backtrace_stops_at_a_frame_that_does_not_climb(struct ktest *t)
{
	/* Two fake frames on our stack; the second points back down. */
	unsigned long frames[4];
	u64 mark = log_mark();

	frames[2] = (unsigned long)&frames[0];		/* points below: stop */
	frames[3] = (unsigned long)ksym_target + 3;
	frames[0] = (unsigned long)&frames[2];
	frames[1] = (unsigned long)warn_site + 3;
	show_trace((unsigned long)&frames[0]);
	EXPECT_TRUE(t, log_contains(mark, " warn_site+0x3/"));
	EXPECT_TRUE(t, log_contains(mark, " ksym_target+0x3/"));
	mark = log_mark();
	frames[2] = (unsigned long)&frames[0];
	frames[3] = (unsigned long)ksym_target + 3;
	show_trace((unsigned long)&frames[2]);
	EXPECT_TRUE(t, log_contains(mark, " ksym_target+0x3/"));
	EXPECT_FALSE(t, log_contains(mark, " warn_site+0x3/"));
}

/* ---- the IDT: interrupts to do_irq, registers in pt_regs ---- */

static volatile int irq_hits;
static struct pt_regs irq_seen;
static volatile bool irq_dump;

static __named void test_irq_handler(struct pt_regs *regs)
{
	if (irq_dump)
		dump_stack();
	irq_seen = *regs;
	irq_seen.sp = kernel_stack_pointer(regs);
	irq_hits++;
}

static unsigned long int_insn_end;	/* the address after "int" */

/*
 * Raise TEST_VECTOR; returns esp as it was at the int instruction.
 *
 * A selector pushed with 32-bit operand size may fill only the low 16
 * bits of its stack slot (recent Intel CPUs and Bochs do that; QEMU's TCG
 * zero-extends). So that such a CPU shows it every time, the slots where
 * the CPU pushes cs and the entry stub pushes fs, es and ds (8, 24, 28
 * and 32 bytes below this esp) are first given a nonzero upper half.
 */
#define STALE_UPPER_HALF	0xc0130000u

static __named unsigned long raise_test_vector(void)
{
	unsigned long sp, end;

	__asm__ __volatile__("movl $1f, %1\n\t"
			     "movl %%esp, %0\n\t"
			     "movl %3, -8(%%esp)\n\t"
			     "movl %3, -24(%%esp)\n\t"
			     "movl %3, -28(%%esp)\n\t"
			     "movl %3, -32(%%esp)\n\t"
			     "int %2\n"
			     "1:"
			     : "=&r"(sp), "=&r"(end)
			     : "i"(TEST_VECTOR), "i"(STALE_UPPER_HALF) : "memory");
	int_insn_end = end;
	return sp;
}

static void interrupt_reaches_registered_handler(struct ktest *t)
{
	irq_hits = 0;
	set_irq_handler(TEST_VECTOR, test_irq_handler);
	raise_test_vector();
	set_irq_handler(TEST_VECTOR, NULL);
	EXPECT_EQ(t, irq_hits, 1);
	EXPECT_EQ(t, irq_vector(&irq_seen), TEST_VECTOR);
}

static void pt_regs_describe_the_interrupted_code(struct ktest *t)
{
	unsigned long sp;

	set_irq_handler(TEST_VECTOR, test_irq_handler);
	sp = raise_test_vector();
	set_irq_handler(TEST_VECTOR, NULL);
	EXPECT_EQ(t, irq_seen.ip, int_insn_end);
	EXPECT_EQ(t, irq_seen.cs, __KERNEL_CS);
	EXPECT_EQ(t, irq_seen.sp, sp);
	EXPECT_EQ(t, irq_seen.fs, __KERNEL_PERCPU);
}

/*
 * The same frame as such a CPU leaves it, built by hand so that every CPU
 * runs the check: each selector slot holds the selector in its low half
 * and whatever the stack had before in its upper half. pt_regs must give
 * back the selector alone.
 */
static void pt_regs_selectors_ignore_the_upper_half_of_their_slots(struct ktest *t)
{
	u32 frame[sizeof(struct pt_regs) / 4] = { 0 };
	struct pt_regs regs;

	frame[PT_DS / 4] = STALE_UPPER_HALF | __KERNEL_DS;
	frame[PT_ES / 4] = STALE_UPPER_HALF | __KERNEL_DS;
	frame[PT_FS / 4] = STALE_UPPER_HALF | __KERNEL_PERCPU;
	frame[PT_GS / 4] = STALE_UPPER_HALF;
	frame[PT_CS / 4] = STALE_UPPER_HALF | __KERNEL_CS;
	frame[PT_SS / 4] = STALE_UPPER_HALF | __KERNEL_DS;
	frame[PT_FLAGS / 4] = 0x202;
	memcpy(&regs, frame, sizeof(regs));
	EXPECT_EQ(t, regs.ds, __KERNEL_DS);
	EXPECT_EQ(t, regs.es, __KERNEL_DS);
	EXPECT_EQ(t, regs.fs, __KERNEL_PERCPU);
	EXPECT_EQ(t, regs.gs, 0);
	EXPECT_EQ(t, regs.cs, __KERNEL_CS);
	EXPECT_EQ(t, regs.ss, __KERNEL_DS);
	EXPECT_EQ(t, regs.flags, 0x202);
	EXPECT_FALSE(t, user_mode(&regs));
}

static void backtrace_crosses_the_trap_frame(struct ktest *t)
{
	u64 mark = log_mark();

	irq_dump = true;
	set_irq_handler(TEST_VECTOR, test_irq_handler);
	raise_test_vector();
	set_irq_handler(TEST_VECTOR, NULL);
	irq_dump = false;
	/* The interrupted function itself (not only its caller) is named. */
	EXPECT_TRUE(t, log_contains(mark, " test_irq_handler+0x"));
	EXPECT_TRUE(t, log_contains(mark, " raise_test_vector+0x"));
}

static void unexpected_vector_warns_once(struct ktest *t)
{
	u64 mark = log_mark();

	ktest_expect(t, "unexpected_irq");
	__asm__ __volatile__("int %0" : : "i"(UNHANDLED_VECTOR) : "memory");
	EXPECT_TRUE(t, log_contains(mark, "No irq handler for vector"));
	mark = log_mark();
	__asm__ __volatile__("int %0" : : "i"(UNHANDLED_VECTOR) : "memory");
	EXPECT_FALSE(t, log_contains(mark, "No irq handler for vector"));
}

/* ---- #UD and #GP outside BUG/WARN sites ---- */

/* Code probed below: a bare ud2 with no bug-table entry, and a load of a
 * selector far beyond the GDT's limit. */
__asm__(".pushsection .text\n"
	"bare_ud2:\n\tud2\n\tret\n"
	"bad_selector_load:\n\tmovw $0xfff8, %ax\n\tmovw %ax, %gs\n\tret\n"
	".popsection");
extern char bare_ud2[], bad_selector_load[];

static void ud2_without_bug_entry_is_invalid_opcode(struct ktest *t)
{
	EXPECT_PTR_EQ(t, find_bug((unsigned long)bare_ud2), NULL);
	EXPECT_EQ(t, probe_exec(bare_ud2), X86_TRAP_UD);
	EXPECT_EQ(t, probe_last_fault().ip, (unsigned long)bare_ud2);
}

static void bad_selector_raises_gp_with_selector_error_code(struct ktest *t)
{
	EXPECT_EQ(t, probe_exec(bad_selector_load), X86_TRAP_GP);
	EXPECT_EQ(t, probe_last_fault().error_code, 0xfff8);
}

static void exceptions_have_linux_names(struct ktest *t)
{
	EXPECT_STREQ(t, trap_name(X86_TRAP_DE), "divide error");
	EXPECT_STREQ(t, trap_name(X86_TRAP_UD), "invalid opcode");
	EXPECT_STREQ(t, trap_name(X86_TRAP_GP), "general protection fault");
	EXPECT_STREQ(t, trap_name(X86_TRAP_PF), "page fault");
}

KTEST_SUITE(traps,
	KTEST_CASE(warn_on_returns_its_condition),
	KTEST_CASE(warn_on_false_prints_nothing),
	KTEST_CASE(warn_report_names_cpu_pid_and_site),
	KTEST_CASE(warn_report_has_symbolised_call_trace),
	KTEST_CASE(execution_continues_after_warn),
	KTEST_CASE(warn_on_once_reports_once),
	KTEST_CASE(warn_prints_its_message_after_cut_line),
	KTEST_CASE(ksym_lookup_finds_function_and_offset),
	KTEST_CASE(ksym_lookup_outside_text_is_null),
	KTEST_CASE(backtrace_of_unmapped_frame_stops_quietly),
	KTEST_CASE(backtrace_stops_at_a_frame_that_does_not_climb),
	KTEST_CASE(interrupt_reaches_registered_handler),
	KTEST_CASE(pt_regs_describe_the_interrupted_code),
	KTEST_CASE(pt_regs_selectors_ignore_the_upper_half_of_their_slots),
	KTEST_CASE(backtrace_crosses_the_trap_frame),
	KTEST_CASE(unexpected_vector_warns_once),
	KTEST_CASE(ud2_without_bug_entry_is_invalid_opcode),
	KTEST_CASE(bad_selector_raises_gp_with_selector_error_code),
	KTEST_CASE(exceptions_have_linux_names));
