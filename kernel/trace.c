/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the event trace behind trace=kmap (see kernel/trace.h).
 *
 *   trace=kmap     record every event from boot to the end of the run,
 *                  then print the buffers on the console
 *
 * Each CPU has its own buffer of TRACE_PER_CPU records. Only that CPU
 * writes it, with interrupts off across the append (an interrupt handler
 * traces too, and would otherwise take the same record), so no lock is
 * needed and no CPU waits for another. A full buffer stops recording on
 * that CPU and counts what it dropped: the dump says so, and the host tool
 * then refuses to compare its counts with the kernel's counters.
 *
 * The dump (trace_dump) is text, framed and checksummed, so a line lost
 * or garbled on the serial console is noticed:
 *
 *   TRACE-BEGIN v1 cpus=4 tsc_khz=2995200 tsc_boot=1a2b3c records=5012 dropped=0
 *   TRACE-EVENT 2 KMAP_MISS slot pfn -          one line per event type
 *   TRACE-TASK 7 kmap_wrap                      pid and name of each task seen
 *   TRACE-CPU 1 records=812 dropped=0 tsc=1a2b3c  then that CPU's lines:
 *   TRACE-DATA 1 0 dt,id,pid,a,b,c dt,id,... *crc
 *   TRACE-END lines=640 records=5012 crc=89abcdef
 *
 * In a TRACE-DATA line (CPU, line number, up to 8 records) every number
 * is hex; dt is the TSC advance since the CPU's previous record (the
 * first one's since the TRACE-CPU tsc), id is the event number, plus 0x100
 * when recorded in an interrupt handler. *crc is the CRC-32 (zlib's) of
 * the line from "TRACE-DATA" up to the space before '*'; the END line's
 * crc is the CRC-32 of all DATA lines, each with its '\n'.
 *
 * The ordinary kernel has none of this: trace= only says where to find it.
 */
#include "kernel/trace.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/cpumask.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"

static bool trace_asked;

static bool set_trace(const char *v)
{
	if (v && !strcmp(v, "kmap")) {
		trace_asked = true;
		return true;
	}
	printk(KERN_ERR "kmaplab: trace=%s: the one trace is trace=kmap\n", v ? v : "");
	return false;
}
early_param("trace", set_trace);

#ifdef CONFIG_KMAP_TRACE

/* 32 bytes. The CPU is the buffer's; the task is the one running. */
struct trace_rec {
	u64 tsc;
	u16 id;
	u16 flags;		/* TRF_IRQ */
	u32 pid;
	u32 a, b, c;
	u32 pad;
};
#define TRF_IRQ		1

/* TRACE_PER_CPU (trace.h) records of 32 bytes per CPU. */
static struct trace_rec trace_buf[NR_CPUS][TRACE_PER_CPU];

struct trace_cpu {
	struct trace_rec *buf;
	u32 head;		/* records written */
	u32 dropped;		/* records lost to a full buffer */
};
static DEFINE_PER_CPU(struct trace_cpu, trace_cpu);

bool trace_recording;

/* pid -> name, for the tasks that were switched to. A task is switched
 * in by one CPU at a time, so its entry has one writer at a time. */
#define TRACE_NAMES	1024
static struct {
	u32 pid;
	bool used;
	char comm[16];
} trace_names[TRACE_NAMES];

static const struct {
	const char *name, *a, *b, *c;
} trace_event_table[TR_COUNT] = {
	[TR_NONE] = { "NONE", "-", "-", "-" },
#define __TR_ROW(n, a, b, c) [TR_##n] = { #n, #a, #b, #c },
	TRACE_EVENTS(__TR_ROW)
#undef __TR_ROW
};

void __trace_event(enum trace_event_id id, u32 a, u32 b, u32 c)
{
	unsigned long flags = local_irq_save();
	struct trace_cpu *tc = this_cpu_ptr(&trace_cpu);
	struct trace_rec *r;

	if (unlikely(tc->head >= TRACE_PER_CPU)) {
		tc->dropped++;
		local_irq_restore(flags);
		return;
	}
	r = &tc->buf[tc->head++];
	r->tsc = rdtsc();
	r->id = (u16)id;
	r->flags = in_hardirq() ? TRF_IRQ : 0;
	r->pid = (u32)current->pid;
	r->a = a;
	r->b = b;
	r->c = c;
	local_irq_restore(flags);
}

void __trace_task_name(const struct task_struct *p)
{
	u32 pid = (u32)p->pid;
	typeof(trace_names[0]) *n = &trace_names[pid % TRACE_NAMES];

	if (n->used && n->pid == pid)
		return;
	n->pid = pid;
	strlcpy(n->comm, p->comm, sizeof(n->comm));
	n->used = true;
}

void trace_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(trace_cpu, cpu).buf = trace_buf[cpu];
	if (!trace_asked)
		return;
	printk(KERN_INFO "trace: recording kmap, kmap_local, TLB, scheduler and IRQ events, %d per CPU (the dump comes at the end of the run)\n",
	       TRACE_PER_CPU);
	trace_start();
}

void trace_start(void)
{
	WRITE_ONCE(trace_recording, true);
}

void trace_stop(void)
{
	WRITE_ONCE(trace_recording, false);
}

static void trace_nop(void *unused)
{
}

/*
 * An append runs with interrupts off on its CPU, so once every CPU has
 * taken an IPI, every append that saw trace_recording still true before
 * trace_stop() is finished. (Only for a thread that may sleep: the
 * monitor. The end of the run needs none, its CPUs are idle.)
 */
void trace_sync(void)
{
	on_each_cpu(trace_nop, NULL, 1);
}

u32 trace_records(int cpu, u32 *dropped)
{
	struct trace_cpu *tc = per_cpu_ptr(&trace_cpu, cpu);

	*dropped = READ_ONCE(tc->dropped);
	return READ_ONCE(tc->head);
}

/* Stopped and synced first: a CPU may still be in the middle of an append. */
void trace_clear(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		per_cpu(trace_cpu, cpu).head = 0;
		per_cpu(trace_cpu, cpu).dropped = 0;
	}
}

/* CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320). */
static u32 crc32_update(u32 crc, const char *s, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= (u8)*s++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

#define RECS_PER_LINE	8

void trace_dump(void)
{
	if (trace_asked)
		trace_print();
}

void trace_print(void)
{
	u32 records = 0, dropped = 0, lines = 0, all_crc = 0;
	int cpu, ncpus = 0;
	char line[400];

	trace_stop();
	for_each_possible_cpu(cpu) {
		struct trace_cpu *tc = per_cpu_ptr(&trace_cpu, cpu);

		if (!cpu_online(cpu) && !tc->head)
			continue;
		ncpus++;
		records += tc->head;
		dropped += tc->dropped;
	}
	printk(KERN_INFO "TRACE-BEGIN v1 cpus=%d tsc_khz=%u tsc_boot=%llx records=%u dropped=%u\n",
	       ncpus, tsc_khz, (unsigned long long)tsc_boot, records, dropped);
	for (int id = 1; id < TR_COUNT; id++)
		printk(KERN_INFO "TRACE-EVENT %d %s %s %s %s\n", id, trace_event_table[id].name,
		       trace_event_table[id].a, trace_event_table[id].b, trace_event_table[id].c);
	for (int i = 0; i < TRACE_NAMES; i++)
		if (trace_names[i].used)
			printk(KERN_INFO "TRACE-TASK %u %s\n", trace_names[i].pid, trace_names[i].comm);
	for_each_possible_cpu(cpu) {
		struct trace_cpu *tc = per_cpu_ptr(&trace_cpu, cpu);
		u64 prev = tc->head ? tc->buf[0].tsc : 0;

		if (!cpu_online(cpu) && !tc->head)
			continue;
		printk(KERN_INFO "TRACE-CPU %d records=%u dropped=%u tsc=%llx\n",
		       cpu, tc->head, tc->dropped, (unsigned long long)prev);
		for (u32 i = 0, seq = 0; i < tc->head; seq++) {
			size_t n = snprintf(line, sizeof(line), "TRACE-DATA %d %x", cpu, seq);
			u32 crc;

			for (int k = 0; k < RECS_PER_LINE && i < tc->head; k++, i++) {
				const struct trace_rec *r = &tc->buf[i];

				n += snprintf(line + n, sizeof(line) - n, " %llx,%x,%x,%x,%x,%x",
					      (unsigned long long)(r->tsc - prev),
					      r->id | (r->flags & TRF_IRQ ? 0x100 : 0),
					      r->pid, r->a, r->b, r->c);
				prev = r->tsc;
			}
			crc = crc32_update(0, line, n);
			line[n++] = '\n';
			all_crc = crc32_update(all_crc, line, n);
			line[n - 1] = '\0';
			printk(KERN_INFO "%s *%08x\n", line, crc);
			lines++;
		}
	}
	printk(KERN_INFO "TRACE-END lines=%u records=%u crc=%08x\n", lines, records, all_crc);
}

#else /* !CONFIG_KMAP_TRACE */

void trace_init(void)
{
	if (!trace_asked)
		return;
	printk(KERN_ERR "kmaplab: trace= needs the traced build: boot build/kernel-trace.elf (make trace does; so do make run and make run-kernel when ARGS has trace=); halting.\n");
	machine_halt(EXIT_FATAL);
}

void trace_start(void) { }
void trace_stop(void) { }
void trace_sync(void) { }
void trace_clear(void) { }
void trace_dump(void) { }
void trace_print(void) { }
u32 trace_records(int cpu, u32 *dropped) { *dropped = 0; return 0; }

#endif
