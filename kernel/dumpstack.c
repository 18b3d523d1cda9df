/* SPDX-License-Identifier: MIT */
/*
 * dumpstack.c - the text of an oops: registers, code bytes, call trace,
 * and the serialisation around it (oops_begin / __die / oops_end).
 *
 * A report looks like Linux 6.1's on i386:
 *
 *   Oops: 0002 [#1] SMP
 *   CPU: 0 PID: 0 Comm: swapper/0 Not tainted kmaplab
 *   EIP: kmain+0x1d/0x140
 *   Code: 55 89 e5 ... <c7> 05 00 00 00 00 ...
 *   EAX: ...  EBX: ...  ECX: ...  EDX: ...
 *   ESI: ...  EDI: ...  EBP: ...  ESP: ...
 *   DS: 0010 ES: 0010 FS: 0038 GS: 0000 SS: 0010 EFLAGS: 00010246
 *   CR0: 80010011 CR2: 00000000 CR3: 00123000 CR4: 000000b0
 *   Call Trace:
 *    caller+0x12/0x40
 *    ...
 *   ---[ end trace 0000000000000000 ]---
 *
 * The call trace follows the frame-pointer chain (the kernel is built
 * with -fno-omit-frame-pointer):
 *
 *   bp -> [ saved bp of the caller ][ return address into the caller ]
 *
 * An oops is one report for kernel/report.c: oops_begin() opens it (or
 * joins the BUG report that led to it), its first line is the headline
 * unless a detail came first, and oops_end() closes every report open on
 * the CPU, since the task dies next.
 *
 * Every frame is read with copy_from_kernel_nofault(), and the walk stops
 * at bp == 0 (entry.S clears it), at a misaligned bp, at a frame outside
 * the stack the walk started on, or at a frame that does not move up the
 * stack: a corrupt chain ends the trace instead of faulting inside it.
 */
#include "arch/x86/traps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/report.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "mm/extable.h"

#define MAX_TRACE_DEPTH	64
#define DF_STACK_SIZE	4096	/* gdt.c's double-fault stacks */

extern char boot_stack[], boot_stack_top[];

/* ---- who and what: current task, taint ---- */

__attribute__((weak)) int current_comm_pid(char *comm, size_t size)
{
	snprintf(comm, size, "swapper/%d", smp_processor_id());
	return 0;
}

static unsigned long tainted_mask;

void add_taint(int flag)
{
	__atomic_fetch_or(&tainted_mask, 1UL << flag, __ATOMIC_RELAXED);
}

/* Linux's taint letters, in flag order; 'G' is "not P". */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXTN";

static void print_tainted(char *buf, size_t size)
{
	unsigned long mask = READ_ONCE(tainted_mask);
	size_t n = 0;

	if (!mask) {
		snprintf(buf, size, "Not tainted");
		return;
	}
	n = snprintf(buf, size, "Tainted: ");
	for (size_t i = 0; i < sizeof(taint_letters) - 1 && n + 1 < size; i++)
		buf[n++] = (mask & (1UL << i)) ? taint_letters[i] : (i == 0 ? 'G' : ' ');
	buf[n] = 0;
}

void show_cpu_line(void)
{
	char comm[32], taint[48];
	int pid = current_comm_pid(comm, sizeof(comm));

	print_tainted(taint, sizeof(taint));
	printk("CPU: %d PID: %d Comm: %s %s kmaplab\n",
	       smp_processor_id(), pid, comm, taint);
}

/* ---- stacks ---- */

__attribute__((weak)) bool get_task_stack_info(unsigned long sp, struct stack_info *info)
{
	return false;
}

bool get_stack_info(unsigned long sp, struct stack_info *info)
{
	if (sp >= (unsigned long)boot_stack && sp < (unsigned long)boot_stack_top) {
		info->begin = (unsigned long)boot_stack;
		info->end = (unsigned long)boot_stack_top;
		info->name = "boot";
		return true;
	}
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		unsigned long top = doublefault_tss[cpu].esp0;

		if (top && sp >= top - DF_STACK_SIZE && sp < top) {
			info->begin = top - DF_STACK_SIZE;
			info->end = top;
			info->name = "double-fault";
			return true;
		}
	}
	return get_task_stack_info(sp, info);
}

/* ---- call trace ---- */

static void print_trace_entry(unsigned long addr, bool exact)
{
	char sym[KSYM_NAME_LEN];

	if (exact)
		sprint_symbol(sym, sizeof(sym), addr);
	else
		sprint_backtrace(sym, sizeof(sym), addr);
	printk(" %s\n", sym);
}

/*
 * Is 'a' a return address: a text address just after a call instruction?
 * Checks the call forms gcc emits: e8 rel32 (5 bytes), and ff /2 through a
 * register (2), a disp8 (3) or a disp32 / absolute address (6).
 */
static bool is_return_address(unsigned long a)
{
	u8 b[6];

	if (!ksym_lookup(a - 1, NULL, NULL) ||
	    copy_from_kernel_nofault(b, (void *)(a - 6), sizeof(b)))
		return false;
	return b[1] == 0xe8 ||
	       (b[4] == 0xff && (b[5] & 0x38) == 0x10) ||
	       (b[3] == 0xff && (b[4] & 0x38) == 0x10) ||
	       (b[0] == 0xff && (b[1] & 0x38) == 0x10);
}

/*
 * Did the function at 'ip' build its frame yet? gcc's frame prologue is
 * "push %ebp; mov %esp,%ebp" (55 89 e5) at the function's start. A leaf
 * gcc compiled without a frame, a shrink-wrapped fast path, or a fault
 * inside the prologue has none, and then its caller appears in the bp
 * chain only after being skipped.
 */
static bool frame_built(unsigned long ip)
{
	unsigned long off;
	u8 p[3];

	if (!ksym_lookup(ip, &off, NULL) ||
	    copy_from_kernel_nofault(p, (void *)(ip - off), sizeof(p)))
		return true;	/* unknown code: do not guess */
	return p[0] == 0x55 && p[1] == 0x89 && p[2] == 0xe5 && off >= 3;
}

/*
 * For an interrupted function without a frame, its caller's return
 * address lies between the interrupted esp and bp; in an epilogue, after
 * "pop %ebp", it is the word at esp itself. Print candidates found there
 * with "? " as Linux does: they may also be stale values in locals.
 */
#define SCAN_WORDS 16

static void show_unreliable(unsigned long ip, unsigned long sp, unsigned long bp)
{
	unsigned long end = sp + SCAN_WORDS * sizeof(long), caller = 0;

	if (frame_built(ip))
		end = sp + sizeof(long);	/* only the epilogue case */
	else if (bp >= sp && bp < end)
		end = bp;
	/* Not worth repeating: the first return address of the bp chain. */
	if (bp > sp && get_kernel_nofault(caller, (unsigned long *)(bp + 4)))
		caller = 0;
	for (unsigned long p = sp; p < end; p += sizeof(long)) {
		unsigned long w;
		char sym[KSYM_NAME_LEN];

		if (get_kernel_nofault(w, (unsigned long *)p))
			return;
		if (w != caller && is_return_address(w))
			printk(" ? %s\n", sprint_backtrace(sym, sizeof(sym), w));
	}
}

static void walk_frames(unsigned long bp)
{
	struct stack_info info;
	unsigned long frame[2];

	if (!get_stack_info(bp, &info)) {
		/* A stack nobody registered: bound the walk to 64 KiB. */
		info.begin = bp;
		info.end = bp + 0x10000;
		info.name = "unknown";
	}
	for (int depth = 0; depth < MAX_TRACE_DEPTH; depth++) {
		if (!bp || (bp & 3) || bp < info.begin || bp + sizeof(frame) > info.end)
			break;
		if (copy_from_kernel_nofault(frame, (void *)bp, sizeof(frame)))
			break;
		unsigned long next = frame[0], ret = frame[1];

		if (is_trap_return(ret)) {
			/* A trap frame: the handler's argument is the pt_regs
			 * of the code it interrupted. Name the interrupted EIP
			 * exactly (it is not a return address), then look for
			 * a frameless function's caller, and go on along the
			 * interrupted code's frame chain. */
			struct pt_regs *regs;
			unsigned long ip, rbp;

			if (get_kernel_nofault(regs, (struct pt_regs **)(bp + 8)) ||
			    get_kernel_nofault(ip, &regs->ip) ||
			    get_kernel_nofault(rbp, &regs->bp))
				break;
			print_trace_entry(ip, true);
			show_unreliable(ip, (unsigned long)&regs->sp, rbp);
			next = rbp;
		} else {
			print_trace_entry(ret, false);
		}
		if (next && next <= bp)
			break;	/* a chain must climb the stack */
		bp = next;
	}
}

void show_trace_from(unsigned long ip, unsigned long sp, unsigned long bp)
{
	printk("Call Trace:\n");
	if (sp)
		show_unreliable(ip, sp, bp);
	walk_frames(bp);
}

void show_trace(unsigned long bp)
{
	show_trace_from(0, 0, bp);
}

void dump_stack(void)
{
	show_cpu_line();
	show_trace((unsigned long)__builtin_frame_address(0));
}

/* ---- registers ---- */

/* Linux's "Code:" line: 64 bytes around ip, the faulting one in <>. */
#define OPCODE_BUFSIZE		64
#define OPCODE_PROLOGUE		42

static void show_opcodes(unsigned long ip)
{
	u8 code[OPCODE_BUFSIZE];
	char line[OPCODE_BUFSIZE * 3 + 16];
	unsigned long start = ip - OPCODE_PROLOGUE;
	size_t n = 0;

	if (copy_from_kernel_nofault(code, (void *)start, sizeof(code))) {
		printk("Code: Unable to access opcode bytes at %#lx.\n", start);
		return;
	}
	for (int i = 0; i < OPCODE_BUFSIZE; i++)
		n += snprintf(line + n, sizeof(line) - n,
			      i == OPCODE_PROLOGUE ? "<%02x> " : "%02x ", code[i]);
	if (n)
		line[n - 1] = 0;
	printk("Code: %s\n", line);
}

void __show_regs(struct pt_regs *regs, unsigned long sp)
{
	char sym[KSYM_NAME_LEN];
	u16 ss;

	if (user_mode(regs))
		ss = regs->ss;
	else
		__asm__ __volatile__("movw %%ss, %0" : "=r"(ss));
	printk("EIP: %s\n", sprint_symbol(sym, sizeof(sym), regs->ip));
	show_opcodes(regs->ip);
	printk("EAX: %08lx EBX: %08lx ECX: %08lx EDX: %08lx\n",
	       regs->ax, regs->bx, regs->cx, regs->dx);
	printk("ESI: %08lx EDI: %08lx EBP: %08lx ESP: %08lx\n",
	       regs->si, regs->di, regs->bp, sp);
	printk("DS: %04x ES: %04x FS: %04x GS: %04x SS: %04x EFLAGS: %08lx\n",
	       regs->ds, regs->es, regs->fs, regs->gs, ss, regs->flags);
	printk("CR0: %08x CR2: %08x CR3: %08x CR4: %08x\n",
	       read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

void show_regs(struct pt_regs *regs)
{
	show_cpu_line();
	__show_regs(regs, kernel_stack_pointer(regs));
	if (!user_mode(regs))
		show_trace_from(regs->ip, kernel_stack_pointer(regs), regs->bp);
}

/* ---- oops serialisation ---- */

static arch_spinlock_t die_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static int die_owner = -1;
static int die_nest_count;
static int die_counter;

void print_oops_end_marker(void)
{
	printk("---[ end trace %016llx ]---\n", 0ULL);
}

unsigned long oops_begin(void)
{
	unsigned long flags = local_irq_save();
	int cpu = smp_processor_id();

	/* One oops at a time, but an oops inside an oops on this CPU must
	 * not wait for itself. */
	if (!arch_spin_trylock(&die_lock)) {
		if (READ_ONCE(die_owner) != cpu)
			arch_spin_lock(&die_lock);
	}
	WRITE_ONCE(die_owner, cpu);
	die_nest_count++;
	/* The oops may have hit while the console lock was held; and it
	 * is printed whatever loglevel= said (Linux's console_verbose()). */
	console_emergency();
	if (console_loglevel)
		console_loglevel = 15;
	report_begin();
	return flags;
}

void __die(const char *str, struct pt_regs *regs, unsigned long err)
{
	printk("%s: %04lx [#%d] SMP\n", str, err & 0xffff, ++die_counter);
	report_details();
	if (die_nest_count > 1) {
		/* The report itself faulted: print what is safe and stop. */
		printk(KERN_EMERG "Fixing recursive fault but reboot is needed!\n");
		return;
	}
	show_regs(regs);
}

/*
 * What happens after an oops. THE ONE PLACE THAT DECIDES.
 *
 * Like Linux without panic_on_oops: the thread that oopsed dies (Linux's
 * make_task_dead()) and the rest of the kernel goes on. Only what cannot
 * be killed takes the machine down: an interrupt handler, the idle task,
 * or anything before the scheduler runs.
 */
void oops_end(unsigned long flags, struct pt_regs *regs)
{
	struct task_struct *tsk = current;

	add_taint(TAINT_DIE);
	print_oops_end_marker();
	report_end_all();
	if (--die_nest_count == 0) {
		WRITE_ONCE(die_owner, -1);
		arch_spin_unlock(&die_lock);
		console_emergency_end();
	}
	if (!scheduler_running)
		panic("Fatal exception");
	if (in_interrupt())
		panic("Fatal exception in interrupt");
	if (tsk->pid == 0)
		panic("Attempted to kill the idle task!");
	local_irq_restore(flags);
	tsk->oopsed = true;
	do_exit(11);		/* SIGSEGV, as Linux reports it */
}

void die(const char *str, struct pt_regs *regs, unsigned long err)
{
	unsigned long flags = oops_begin();

	__die(str, regs, err);
	oops_end(flags, regs);
}
