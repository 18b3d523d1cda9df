/* SPDX-License-Identifier: MIT */
/*
 * monitor_sys.c - the monitor's system commands: tasks, CPUs, interrupt
 * counts, the printk ring, the test runner, torture, bench, the event
 * trace, and leaving.
 *
 * Rules: run, torture and bench are refused while the monitor holds
 * pkmap slots or local maps (a case that fills the pool, or counts free
 * slots, would wait forever or fail for the monitor's sake); log prints
 * the ring's lines behind "# ", so a harness reading the console never
 * takes an old report for a new one.
 */
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/ktest.h"
#include "kernel/bench.h"
#include "kernel/panic.h"
#include "kernel/trace.h"
#include "tests/torture/kmaptorture.h"
#include "mm/kmap_local.h"
#include "arch/x86/smp.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tlb.h"
#include "arch/x86/io.h"

/* ---- tasks ---- */

static const char *state_name(long state)
{
	switch (state) {
	case TASK_RUNNING:		return "R";
	case TASK_INTERRUPTIBLE:	return "S";
	case TASK_UNINTERRUPTIBLE:	return "D";
	case TASK_PARKED:		return "P";
	case TASK_DEAD:			return "X";
	}
	return "?";
}

static void show_task(struct task_struct *p, void *arg)
{
	unsigned int *my_count = arg;
	bool running = cpu_rq(p->cpu)->curr == p;
	char pc[16] = "-";
	char stack[160] = "";
	int n = 0;

	/* the monitor's own count without the task-list lock it holds now */
	if (running)
		snprintf(pc, sizeof(pc), "%#x", p == current ? *my_count :
			 per_cpu(__preempt_count, p->cpu));
	for (int i = 0; i < p->kmap_ctrl.idx && n < (int)sizeof(stack) - 24; i++)
		n += snprintf(stack + n, sizeof(stack) - n, " %d:pfn 0x%x", i,
			      pte_pfn(p->kmap_ctrl.pteval[i]));
	mon_printf("%5d %-15s %3d  %s%s  %-6s %7d %8d   %d%s%s%s\n", p->pid, p->comm, p->cpu,
		   state_name(p->state), running ? "*" : " ", pc, p->migration_disabled,
		   p->pagefault_disabled, p->kmap_ctrl.idx, n ? " [" : "", n ? stack + 1 : "",
		   n ? "]" : "");
}

static void cmd_tasks(int argc, char **argv)
{
	unsigned int my_count = preempt_count();

	mon_printf("  pid comm            cpu  st  preempt migrate pagefault kmap_local [position:page]\n");
	for_each_task(show_task, &my_count);
	mon_printf("(st: R runnable, * on its CPU now, S/D asleep, P parked, X dead; preempt: the CPU's count, for running tasks)\n");
	mon_show_pool_holdings();
}

/* ---- cpus, irqs ---- */

static void cmd_cpus(int argc, char **argv)
{
	int cpu;

	for_each_online_cpu(cpu) {
		struct rq *rq = cpu_rq(cpu);
		struct task_struct *curr = READ_ONCE(rq->curr);

		mon_printf("CPU%d: APIC 0x%x, running %s[%d], %u runnable, %lu switches, %lu ticks, preempt_count %#x\n",
			   cpu, x86_cpu_to_apicid[cpu], curr->comm, curr->pid, rq->nr_running,
			   rq->nr_switches, rq->ticks, per_cpu(__preempt_count, cpu));
	}
}

static void irq_row(const char *name, const char *what, unsigned long (*get)(int))
{
	char line[200];
	int cpu, n = snprintf(line, sizeof(line), "%4s:", name);

	for_each_online_cpu(cpu)
		n += snprintf(line + n, sizeof(line) - n, " %10lu", get(cpu));
	mon_printf("%s   %s\n", line, what);
}

static unsigned long loc(int cpu) { return per_cpu(apic_timer_irqs, cpu); }
static unsigned long spu(int cpu) { return per_cpu(apic_spurious_irqs, cpu); }
static unsigned long err(int cpu) { return per_cpu(apic_error_irqs, cpu); }
static unsigned long res(int cpu) { return per_cpu(ipi_stats, cpu).received[IPI_RESCHEDULE]; }
static unsigned long cal(int cpu)
{
	return per_cpu(ipi_stats, cpu).received[IPI_CALL_FUNC] +
	       per_cpu(ipi_stats, cpu).received[IPI_CALL_FUNC_SINGLE];
}
static unsigned long tlb(int cpu) { return per_cpu(tlb_stats, cpu).ipi_received; }

static void cmd_irqs(int argc, char **argv)
{
	char head[200];
	int cpu, n = snprintf(head, sizeof(head), "     ");

	for_each_online_cpu(cpu)
		n += snprintf(head + n, sizeof(head) - n, "       CPU%d", cpu);
	mon_printf("%s\n", head);
	irq_row("COM", "COM1 receive: ISA IRQ 4, IOAPIC input 4, vector 0x34", mon_serial_irqs);
	irq_row("LOC", "Local timer interrupts", loc);
	irq_row("SPU", "Spurious interrupts", spu);
	irq_row("ERR", "APIC error interrupts", err);
	irq_row("RES", "Rescheduling interrupts", res);
	irq_row("CAL", "Function call interrupts", cal);
	irq_row("TLB", "TLB shootdowns (of the CAL ones)", tlb);
}

/* ---- log ---- */

static void cmd_log(int argc, char **argv)
{
	static char buf[16384];
	u64 want = 20, head = log_mark(), from;
	size_t n, start = 0, i;
	u64 lines = 0;

	if (argc == 2 && (!mon_parse(argv[1], &want) || want == 0 || want > 200)) {
		mon_printf("log: '%s' is not a line count (1..200)\n", argv[1]);
		return;
	}
	from = head > sizeof(buf) ? head - sizeof(buf) : 0;
	n = log_read(from, buf, sizeof(buf));
	if (from)		/* the first line is cut: start after it */
		while (start < n && buf[start++] != '\n')
			;
	for (i = n; i-- > start; )
		if (buf[i] == '\n' && i != n - 1 && ++lines == want) {
			start = i + 1;
			break;
		}
	while (start < n) {
		size_t end = start;

		while (end < n && buf[end] != '\n')
			end++;
		mon_printf("# %.*s\n", (int)(end - start), buf + start);
		start = end + 1;
	}
}

/* ---- run, torture, bench ---- */

static bool refuse_if_holding(const char *cmd)
{
	int k = mon_kmaps_held(), l = mon_locals_held();

	if (!k && !l)
		return false;
	mon_printf("%s: refused: the monitor holds %d kmap%s and %d local map%s; kunmap/unlocal them first (a case that fills the pool would wait for them forever)\n",
		   cmd, k, k == 1 ? "" : "s", l, l == 1 ? "" : "s");
	return true;
}

static void cmd_run(int argc, char **argv)
{
	int failed;

	if (!strcmp(argv[1], "none") || !ktest_filter_valid(argv[1], false)) {
		mon_printf("run: no suite or case '%s' (test=list at boot lists them)\n", argv[1]);
		return;
	}
	if (refuse_if_holding("run"))
		return;
	failed = ktest_run_filter(argv[1]);
	mon_printf("run: %s: %d case%s failed\n", argv[1], failed, failed == 1 ? "" : "s");
}

static void cmd_torture(int argc, char **argv)
{
	u64 secs;
	int bad;

	if (!mon_parse(argv[1], &secs) || secs < 1 || secs > 3600) {
		mon_printf("torture: '%s' is not a number of seconds (1..3600)\n", argv[1]);
		return;
	}
	if (refuse_if_holding("torture"))
		return;
	torture_set_secs((unsigned int)secs);
	bad = torture_run();
	mon_printf("torture: %d mismatch%s\n", bad, bad == 1 ? "" : "es");
}

static void cmd_bench(int argc, char **argv)
{
	if (!bench_select(argv[1])) {
		mon_printf("bench: no case '%s' (calib kmap_local kmap_atomic kmap kmap_wrap sched_hooks ctxsw scale memmap)\n",
			   argv[1]);
		return;
	}
	if (refuse_if_holding("bench"))
		return;
	bench_run();
}

/* ---- trace: the event trace of kernel/trace.c, by hand ---- */

static void trace_status(const char *cmd)
{
	u32 records = 0, dropped = 0;
	char per_cpu[160];
	int cpu, n = 0;

	per_cpu[0] = 0;
	for_each_online_cpu(cpu) {
		u32 d, r = trace_records(cpu, &d);

		records += r;
		dropped += d;
		n += snprintf(per_cpu + n, sizeof(per_cpu) - n, "%sCPU%d %u", n ? ", " : "", cpu, r);
	}
	mon_printf("%s: %s; %u records (%s; %d per CPU fit), %u dropped\n", cmd,
		   trace_is_recording() ? "recording" : "stopped", records, per_cpu,
		   TRACE_PER_CPU, dropped);
}

static void cmd_trace(int argc, char **argv)
{
	const char *what = argc == 2 ? argv[1] : "";

	if (!trace_built()) {
		mon_printf("trace: this kernel is built without tracing; boot the traced one (build/kernel-trace.elf): make run ARGS='test=none trace=kmap'\n");
		return;
	}
	if (!*what) {
		trace_status("trace");
	} else if (!strcmp(what, "on")) {
		trace_start();
		trace_status("trace on");
	} else if (!strcmp(what, "off")) {
		trace_stop();
		trace_sync();
		trace_status("trace off");
	} else if (!strcmp(what, "clear")) {
		if (trace_is_recording()) {
			mon_printf("trace clear: refused: recording; trace off first (a CPU may be in the middle of an append)\n");
			return;
		}
		trace_clear();
		trace_status("trace clear");
	} else if (!strcmp(what, "dump")) {
		bool was = trace_is_recording();

		trace_stop();
		trace_sync();
		mon_printf("trace dump: %sthe dump is for tools/trace.py: save the console to a file, run python3 tools/trace.py FILE --svg trace.svg\n",
			   was ? "recording stopped; " : "");
		trace_print();
	} else {
		mon_printf("trace: '%s' is not on, off, dump or clear\n", what);
	}
}

/* ---- leaving ---- */

static void cmd_reboot(int argc, char **argv)
{
	mon_printf("reboot: pulsing the reset line (under make run's -no-reboot, QEMU exits)\n");
	local_irq_disable();
	outb(0x64, 0xfe);		/* the 8042's "pulse output line 0": CPU reset */
	for (;;)
		halt();
}

static void cmd_poweroff(int argc, char **argv)
{
	mon_printf("poweroff: bye\n");
	machine_halt(EXIT_PASS);
}

const struct mon_cmd mon_sys_cmds[] = {
	{ "tasks", "", "every task: CPU, state, counts, kmap_local stack", 0, 0, cmd_tasks },
	{ "cpus", "", "each online CPU: APIC ID, what runs, counts", 0, 0, cmd_cpus },
	{ "irqs", "", "interrupts taken, per CPU", 0, 0, cmd_irqs },
	{ "log", "[N]", "the last N lines of the printk ring (default 20)", 0, 1, cmd_log },
	{ "run", "SUITE[.CASE]", "run test cases, as test= does", 1, 1, cmd_run },
	{ "torture", "SECS", "kmaptorture for SECS seconds", 1, 1, cmd_torture },
	{ "bench", "NAME", "one benchmark case (or all)", 1, 1, cmd_bench },
	{ "trace", "[on|off|dump|clear]", "the event trace (traced kernel): start, stop, print, empty", 0, 1, cmd_trace },
	{ "reboot", "", "reset the machine", 0, 0, cmd_reboot },
	{ "poweroff", "", "leave QEMU with the success status", 0, 0, cmd_poweroff },
	{ NULL }
};
