/* SPDX-License-Identifier: MIT */
/*
 * smp.c - inter-processor interrupts: cross-CPU function calls and the
 * reschedule IPI.
 *
 * Each CPU has a queue of call records (csd) that others append to:
 *
 *   call_queue[2]: head -> csd(from CPU 0) -> csd(from CPU 3) -> NULL
 *
 * A sender appends under the queue's lock (interrupts off) and sends an
 * IPI only if the queue was empty: otherwise an IPI is already on its way
 * and the handler, which takes the whole list at once, will find the new
 * record too. The handler runs each record and clears its LOCK flag; a
 * waiting caller spins on that flag.
 *
 * Where the records live:
 *   wait=1: on the caller's stack, one per target. The caller does not
 *           return before every flag is clear, so the frame outlives them.
 *   wait=0: async_csd[sender][target], reused from call to call; a sender
 *           that finds one still LOCKED (its previous call has not run
 *           yet) waits for it first, with interrupts on.
 * For a waiting caller the flag is cleared after func returns; for an
 * async record before func runs (func and info were copied out), so the
 * sender may reuse it at once.
 */
#include "arch/x86/smp.h"
#include "arch/x86/lapic.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/idt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/tlb.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/printk.h"
#include "kernel/ksyms.h"
#include "kernel/bug.h"

#define CSD_FLAG_LOCK	1u	/* queued or running: do not touch */
#define CSD_FLAG_SYNC	2u	/* a caller waits: unlock after func */

struct call_single_data {
	struct call_single_data *next;
	smp_call_func_t func;
	void *info;
	u32 flags;
};

struct call_queue {
	arch_spinlock_t lock;
	struct call_single_data *head, *tail;
};

static struct call_queue call_queue[NR_CPUS];
static struct call_single_data async_csd[NR_CPUS][NR_CPUS];

DEFINE_PER_CPU(struct ipi_stats, ipi_stats);
const char *const ipi_kind_name[NR_IPI_KINDS] = {
	[IPI_RESCHEDULE] = "RES",
	[IPI_CALL_FUNC] = "CAL",
	[IPI_CALL_FUNC_SINGLE] = "CAS",
};

/* The scheduler replaces this; need_resched was set by the sender. */
__attribute__((weak)) void scheduler_ipi(void)
{
}

static bool csd_trylock(struct call_single_data *csd)
{
	u32 unlocked = 0;

	return __atomic_compare_exchange_n(&csd->flags, &unlocked, CSD_FLAG_LOCK,
					   false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void csd_unlock(struct call_single_data *csd)
{
	__atomic_store_n(&csd->flags, 0, __ATOMIC_RELEASE);
}

/*
 * Spin until the target has run the record. After a second without an
 * answer, say so once (like Linux's CSD lock debugging) and keep waiting:
 * a CPU that never answers is a bug worth a report, not a silent hang.
 */
static void csd_lock_wait(struct call_single_data *csd, int cpu)
{
	u64 start = rdtsc(), limit = (u64)tsc_khz * 1000;
	bool reported = false;

	while (__atomic_load_n(&csd->flags, __ATOMIC_ACQUIRE) & CSD_FLAG_LOCK) {
		if (!reported && rdtsc() - start > limit) {
			char sym[KSYM_NAME_LEN];

			reported = true;
			pr_warn("smp: CPU %d has not run %s (a call-function IPI) after 1 s; still waiting\n",
				cpu, sprint_symbol(sym, sizeof(sym), (unsigned long)csd->func));
		}
		cpu_relax();
	}
}

/* Append csd to cpu's queue (interrupts off); true if an IPI is needed. */
static bool enqueue_csd(int cpu, struct call_single_data *csd)
{
	struct call_queue *q = &call_queue[cpu];
	bool was_empty;

	csd->next = NULL;
	arch_spin_lock(&q->lock);
	was_empty = !q->head;
	if (q->tail)
		q->tail->next = csd;
	else
		q->head = csd;
	q->tail = csd;
	arch_spin_unlock(&q->lock);
	return was_empty;
}

static void send_call_ipi(int cpu, enum ipi_kind kind)
{
	this_cpu_inc(ipi_stats.sent[kind]);
	lapic_send_ipi(x86_cpu_to_apicid[cpu], kind == IPI_CALL_FUNC_SINGLE ?
		       CALL_FUNCTION_SINGLE_VECTOR : CALL_FUNCTION_VECTOR);
}

/* Run everything queued for this CPU. Interrupt context, interrupts off. */
static void flush_call_queue(void)
{
	struct call_queue *q = &call_queue[smp_processor_id()];
	struct call_single_data *csd, *next;

	arch_spin_lock(&q->lock);
	csd = q->head;
	q->head = q->tail = NULL;
	arch_spin_unlock(&q->lock);

	for (; csd; csd = next) {
		smp_call_func_t func = csd->func;
		void *info = csd->info;

		next = csd->next;	/* read before the unlock frees csd */
		if (csd->flags & CSD_FLAG_SYNC) {
			func(info);
			csd_unlock(csd);
		} else {
			csd_unlock(csd);
			func(info);
		}
		this_cpu_inc(ipi_stats.calls_run);
	}
}

static void call_function_interrupt(struct pt_regs *regs)
{
	enum ipi_kind kind = irq_vector(regs) == CALL_FUNCTION_SINGLE_VECTOR ?
			     IPI_CALL_FUNC_SINGLE : IPI_CALL_FUNC;

	lapic_eoi();
	this_cpu_inc(ipi_stats.received[kind]);
	flush_call_queue();
}

static void reschedule_interrupt(struct pt_regs *regs)
{
	lapic_eoi();
	this_cpu_inc(ipi_stats.received[IPI_RESCHEDULE]);
	scheduler_ipi();
}

void smp_ipi_init(void)
{
	set_irq_handler(CALL_FUNCTION_VECTOR, call_function_interrupt);
	set_irq_handler(CALL_FUNCTION_SINGLE_VECTOR, call_function_interrupt);
	set_irq_handler(RESCHEDULE_VECTOR, reschedule_interrupt);
}

/*
 * Waiting for another CPU with interrupts off can deadlock: if that CPU
 * is itself waiting, interrupts off, for an answer from us, neither ever
 * takes the other's IPI. Linux warns about every such call, whether or not
 * the deadlock happens this time; so do we. (Before this CPU is online no
 * one can be waiting for it, so early boot code is exempt, as in Linux.)
 */
static void check_irqs_on(unsigned long caller_flags)
{
	WARN_ON_ONCE(cpu_online(smp_processor_id()) && !(caller_flags & X86_EFLAGS_IF));
}

/*
 * The common path. run_local: also run func here (interrupts off) if
 * this CPU is in 'mask'. 'single' only picks the vector and counter kind.
 */
static void call_function_many(const cpumask_t *mask, smp_call_func_t func,
			       void *info, bool wait, bool run_local, bool single)
{
	struct call_single_data sync_csd[NR_CPUS];
	enum ipi_kind kind = single ? IPI_CALL_FUNC_SINGLE : IPI_CALL_FUNC;
	cpumask_t targets;
	unsigned long flags;
	int this, cpu, busy;

	check_irqs_on(read_eflags());
retry:
	flags = local_irq_save();
	this = smp_processor_id();	/* stable: no preemption with IRQs off */
	targets = cpumask_and(*mask, cpu_online_mask);
	cpumask_clear_cpu(this, &targets);

	/* An async record still in flight from our previous call: wait for
	 * it with interrupts back on, then start over (we may have moved). */
	busy = -1;
	if (!wait) {
		for_each_cpu(cpu, &targets) {
			if (busy < 0 && !csd_trylock(&async_csd[this][cpu]))
				busy = cpu;
		}
		if (busy >= 0) {
			for_each_cpu(cpu, &targets) {
				if (cpu < busy)
					csd_unlock(&async_csd[this][cpu]);
			}
			local_irq_restore(flags);
			csd_lock_wait(&async_csd[this][busy], busy);
			goto retry;
		}
	}

	for_each_cpu(cpu, &targets) {
		struct call_single_data *csd = wait ? &sync_csd[cpu] : &async_csd[this][cpu];

		csd->func = func;
		csd->info = info;
		if (wait)
			csd->flags = CSD_FLAG_LOCK | CSD_FLAG_SYNC;
		if (enqueue_csd(cpu, csd))
			send_call_ipi(cpu, kind);
	}
	if (run_local && cpumask_test_cpu(this, mask))
		func(info);
	local_irq_restore(flags);

	if (wait) {
		for_each_cpu(cpu, &targets)
			csd_lock_wait(&sync_csd[cpu], cpu);
	}
}

int smp_call_function_single(int cpu, smp_call_func_t func, void *info, int wait)
{
	cpumask_t one = cpumask_of(cpu);
	unsigned long flags;

	if (cpu < 0 || cpu >= NR_CPUS || !cpu_online(cpu))
		return -ENXIO;
	flags = local_irq_save();
	if (cpu == smp_processor_id()) {
		check_irqs_on(flags);
		func(info);
		local_irq_restore(flags);
		return 0;
	}
	local_irq_restore(flags);
	/* If we move to 'cpu' in between, it runs here, locally: still right. */
	call_function_many(&one, func, info, wait, true, true);
	return 0;
}

void smp_call_function_many(const cpumask_t *mask, smp_call_func_t func,
			    void *info, bool wait)
{
	call_function_many(mask, func, info, wait, false, false);
}

void smp_call_function(smp_call_func_t func, void *info, int wait)
{
	call_function_many(&cpu_online_mask, func, info, wait, false, false);
}

void on_each_cpu_mask(const cpumask_t *mask, smp_call_func_t func,
		      void *info, bool wait)
{
	call_function_many(mask, func, info, wait, true, false);
}

void on_each_cpu(smp_call_func_t func, void *info, int wait)
{
	call_function_many(&cpu_online_mask, func, info, wait, true, false);
}

void smp_send_reschedule(int cpu)
{
	if (WARN_ON_ONCE(!cpu_online(cpu)))
		return;		/* Linux: "Unexpected reschedule of offline CPU" */
	this_cpu_inc(ipi_stats.sent[IPI_RESCHEDULE]);
	lapic_send_ipi(x86_cpu_to_apicid[cpu], RESCHEDULE_VECTOR);
}

static void show_row(const char *name, const char *what,
		     unsigned long (*get)(int cpu))
{
	char line[160];
	int cpu, n = snprintf(line, sizeof(line), "%4s:", name);

	for_each_online_cpu(cpu)
		n += snprintf(line + n, sizeof(line) - n, " %10lu", get(cpu));
	pr_info("%s   %s\n", line, what);
}

static unsigned long loc_count(int cpu) { return per_cpu(apic_timer_irqs, cpu); }
static unsigned long spu_count(int cpu) { return per_cpu(apic_spurious_irqs, cpu); }
static unsigned long err_count(int cpu) { return per_cpu(apic_error_irqs, cpu); }
static unsigned long res_count(int cpu)
{
	return per_cpu(ipi_stats, cpu).received[IPI_RESCHEDULE];
}
static unsigned long cal_count(int cpu)
{
	return per_cpu(ipi_stats, cpu).received[IPI_CALL_FUNC] +
	       per_cpu(ipi_stats, cpu).received[IPI_CALL_FUNC_SINGLE];
}
static unsigned long tlb_count(int cpu) { return per_cpu(tlb_stats, cpu).ipi_received; }

void arch_show_interrupts(void)
{
	char head[160];
	int cpu, n = snprintf(head, sizeof(head), "     ");

	for_each_online_cpu(cpu)
		n += snprintf(head + n, sizeof(head) - n, "       CPU%d", cpu);
	pr_info("%s\n", head);
	show_row("LOC", "Local timer interrupts", loc_count);
	show_row("SPU", "Spurious interrupts", spu_count);
	show_row("ERR", "APIC error interrupts", err_count);
	show_row("RES", "Rescheduling interrupts", res_count);
	show_row("CAL", "Function call interrupts", cal_count);
	show_row("TLB", "TLB shootdowns", tlb_count);
}
