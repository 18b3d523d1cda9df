/* SPDX-License-Identifier: MIT */
/*
 * smp_test.c - the CPUs are really there, really run, and really answer.
 *
 * Each case checks one property of arch/x86/smpboot.c, smp.c or lapic.c:
 * every CPU the firmware lists comes online, each answers a call-function
 * IPI on its own LAPIC, wait=1 waits for the callee to finish, on_each_cpu
 * reaches every CPU, each CPU's LAPIC timer ticks at HZ, and the per-CPU
 * IPI counters count each IPI once. Cases that need a second CPU skip at
 * -smp 1.
 */
#include "kernel/ktest.h"
#include "kernel/div64.h"
#include "kernel/printk.h"
#include "kernel/preempt.h"
#include "kernel/sched.h"
#include "tests/kernel/helpers.h"
#include "arch/x86/smp.h"
#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"

/* Wait up to 'ms' for *flag to become non-zero; interrupts stay on. */
static bool wait_flag(volatile int *flag, u32 ms)
{
	u64 t0 = rdtsc(), limit = (u64)tsc_khz * ms;

	while (!*flag) {
		if (rdtsc() - t0 > limit)
			return false;
		cpu_relax();
	}
	return true;
}

static void all_firmware_cpus_come_online(struct ktest *t)
{
	int expect = min(firmware_cpu_count, NR_CPUS);

	KTEST_LOG(t, "%s lists %d CPUs; %d online", firmware_cpu_source,
		  firmware_cpu_count, num_online_cpus());
	ASSERT_GT(t, firmware_cpu_count, 0);
	EXPECT_EQ(t, num_online_cpus(), expect);
	EXPECT_EQ(t, cpu_online_mask.bits, cpu_present_mask.bits);
	EXPECT_TRUE(t, cpu_online(0));
}

struct where {
	volatile int ran;
	int cpu;
	u32 apicid;
	bool irqs_off;
	bool in_irq;
};

static void record_where(void *arg)
{
	struct where *w = (struct where *)arg + smp_processor_id();

	w->cpu = smp_processor_id();
	w->apicid = read_apic_id();
	w->irqs_off = irqs_disabled();
	w->in_irq = in_hardirq();
	__atomic_fetch_add(&w->ran, 1, __ATOMIC_SEQ_CST);
}

static void every_cpu_answers_call_function(struct ktest *t)
{
	struct where w[NR_CPUS] = { 0 };
	int cpu;

	for_each_online_cpu(cpu) {
		EXPECT_EQ(t, smp_call_function_single(cpu, record_where, w, 1), 0);
		EXPECT_EQ(t, w[cpu].ran, 1);
		EXPECT_EQ(t, w[cpu].cpu, cpu);
		/* the LAPIC register names the physical CPU, not a variable */
		EXPECT_EQ(t, w[cpu].apicid, x86_cpu_to_apicid[cpu]);
		EXPECT_TRUE(t, w[cpu].irqs_off);
	}
}

static void remote_call_runs_in_interrupt(struct ktest *t)
{
	struct where w[NR_CPUS] = { 0 };
	int cpu;

	preempt_disable();
	cpu = ktest_other_cpu(smp_processor_id());
	preempt_enable();
	if (cpu < 0)
		KTEST_SKIP(t, "needs a second CPU (-smp 1)");
	smp_call_function_single(cpu, record_where, w, 1);
	EXPECT_EQ(t, w[cpu].ran, 1);
	EXPECT_TRUE(t, w[cpu].in_irq);
}

struct slow_write {
	volatile int value;
	int cpu;
};

static void slow_write(void *arg)
{
	struct slow_write *s = arg;

	udelay(5000);		/* long enough that a caller not waiting returns first */
	s->cpu = smp_processor_id();
	WRITE_ONCE(s->value, 42);
}

static void wait_waits_for_callee(struct ktest *t)
{
	struct slow_write s = { 0, -1 };
	int cpu;

	preempt_disable();
	cpu = ktest_other_cpu(smp_processor_id());
	preempt_enable();
	if (cpu < 0)
		KTEST_SKIP(t, "needs a second CPU (-smp 1)");
	smp_call_function_single(cpu, slow_write, &s, 1);
	EXPECT_EQ(t, READ_ONCE(s.value), 42);		/* seen on return, not later */
	EXPECT_EQ(t, s.cpu, cpu);
}

struct gated_write {
	volatile int go, value;
};

/* Writes only after the caller says go (or after 1 s, so that a broken
 * wait=0 that waits shows up as a failure, not a hang). */
static void gated_write(void *arg)
{
	struct gated_write *g = arg;
	u64 t0 = rdtsc();

	while (!READ_ONCE(g->go) && rdtsc() - t0 < (u64)tsc_khz * 1000)
		cpu_relax();
	WRITE_ONCE(g->value, 42);
}

static void nowait_returns_before_callee(struct ktest *t)
{
	static struct gated_write g;	/* outlives the call: it runs later */
	int cpu;

	g.go = g.value = 0;
	preempt_disable();
	cpu = ktest_other_cpu(smp_processor_id());
	preempt_enable();
	if (cpu < 0)
		KTEST_SKIP(t, "needs a second CPU (-smp 1)");
	smp_call_function_single(cpu, gated_write, &g, 0);
	EXPECT_EQ(t, READ_ONCE(g.value), 0);		/* returned; callee not done */
	WRITE_ONCE(g.go, 1);
	EXPECT_TRUE(t, wait_flag(&g.value, 5000));	/* and it does finish */
}

static void on_each_cpu_runs_on_all(struct ktest *t)
{
	struct where w[NR_CPUS] = { 0 };
	int cpu;

	on_each_cpu(record_where, w, 1);
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		EXPECT_EQ(t, w[cpu].ran, cpu_online(cpu) ? 1 : 0);
		if (cpu_online(cpu))
			EXPECT_TRUE(t, w[cpu].irqs_off);	/* the local run too */
	}
}

static void call_function_many_skips_self(struct ktest *t)
{
	struct where w[NR_CPUS] = { 0 };
	int cpu, me;

	preempt_disable();
	me = smp_processor_id();
	smp_call_function_many(&cpu_online_mask, record_where, w, true);
	preempt_enable();
	for_each_online_cpu(cpu)
		EXPECT_EQ(t, w[cpu].ran, cpu == me ? 0 : 1);
}

static void offline_cpu_is_refused(struct ktest *t)
{
	struct where w[NR_CPUS] = { 0 };

	EXPECT_EQ(t, smp_call_function_single(NR_CPUS, record_where, w, 1), -ENXIO);
	EXPECT_EQ(t, smp_call_function_single(-1, record_where, w, 1), -ENXIO);
	if (num_online_cpus() < NR_CPUS)
		EXPECT_EQ(t, smp_call_function_single(NR_CPUS - 1, record_where, w, 1), -ENXIO);
	EXPECT_EQ(t, w[NR_CPUS - 1].ran, 0);
}

/* Every CPU's timer interrupts: each count moves by 3 (bounded wait:
 * under a loaded host a vCPU may not run for a while). */
static void lapic_timer_ticks_on_every_cpu(struct ktest *t)
{
	unsigned long before[NR_CPUS];
	cpumask_t pending = cpu_online_mask;
	u64 t0 = rdtsc();
	int cpu;

	for_each_online_cpu(cpu)
		before[cpu] = READ_ONCE(per_cpu(apic_timer_irqs, cpu));
	while (!cpumask_empty(&pending) && rdtsc() - t0 < (u64)tsc_khz * 5000) {
		for_each_online_cpu(cpu) {
			if (READ_ONCE(per_cpu(apic_timer_irqs, cpu)) - before[cpu] >= 3)
				cpumask_clear_cpu(cpu, &pending);
		}
		cpu_relax();
	}
	for_each_online_cpu(cpu) {
		KTEST_LOG(t, "CPU %d: %lu ticks", cpu,
			  READ_ONCE(per_cpu(apic_timer_irqs, cpu)) - before[cpu]);
		EXPECT_FALSE(t, cpumask_test_cpu(cpu, &pending));
	}
}

/*
 * The tick rate is HZ, checked in two parts that a loaded host cannot
 * blur.
 *
 * 1. The timer is programmed for HZ: periodic mode, divide by 16, and a
 *    period of lapic_timer_khz * 1000 / HZ counts; and its counter really
 *    runs at lapic_timer_khz counts per ms of TSC time. Both clocks are
 *    the host's in QEMU (and the bus and TSC clocks on hardware), so
 *    their ratio holds even while the vCPU is not running. Each window is
 *    shorter than a period, so the counter reloads at most once in it.
 * 2. The interrupts arrive, and never faster than HZ. Counting them is
 *    only a loose check: a vCPU the host does not run loses ticks (QEMU
 *    merges a tick into one still pending), so only "some arrived" and
 *    "not more than HZ allows" are asserted.
 *
 * A timer off by its divider (16x) fails part 1 either way.
 */
static void lapic_timer_runs_at_hz(struct ktest *t)
{
	const u32 ms = 200, windows = 7;
	unsigned long n, expect = HZ * ms / 1000;
	u32 period = lapic_read(APIC_TMICT), rate[7];
	u64 t0;

	EXPECT_EQ(t, lapic_read(APIC_TDCR) & 0xb, APIC_TDR_DIV_16);
	EXPECT_TRUE(t, lapic_read(APIC_LVTT) & APIC_LVT_TIMER_PERIODIC);
	EXPECT_EQ(t, period, lapic_timer_period);
	EXPECT_EQ(t, lapic_timer_period, lapic_timer_khz * 1000 / HZ);

	/* counts per ms, measured against the TSC over a fifth of a period */
	for (u32 w = 0; w < windows; w++) {
		unsigned long flags = local_irq_save();
		u64 span = div_u64((u64)tsc_khz * 1000, 5 * HZ), t1;
		u32 c0 = lapic_read(APIC_TMCCT), c1, counted;

		t0 = rdtsc();
		while (rdtsc() - t0 < span)
			cpu_relax();
		c1 = lapic_read(APIC_TMCCT);
		t1 = rdtsc();
		local_irq_restore(flags);
		counted = c1 <= c0 ? c0 - c1 : c0 + period - c1;	/* one reload */
		rate[w] = (u32)div64_u64((u64)counted * tsc_khz, t1 - t0);
	}
	/* the median: one window the host preempted between two reads is noise */
	for (u32 i = 1; i < windows; i++)
		for (u32 j = i; j > 0 && rate[j - 1] > rate[j]; j--) {
			u32 x = rate[j];

			rate[j] = rate[j - 1];
			rate[j - 1] = x;
		}
	KTEST_LOG(t, "counter runs at %u counts/ms (median of %u), %u expected",
		  rate[windows / 2], windows, lapic_timer_khz);
	EXPECT_GE(t, rate[windows / 2], lapic_timer_khz - lapic_timer_khz / 10);
	EXPECT_LE(t, rate[windows / 2], lapic_timer_khz + lapic_timer_khz / 10);

	/* the interrupts: some arrive, and never more than HZ allows */
	preempt_disable();
	n = this_cpu_read(apic_timer_irqs);
	t0 = rdtsc();
	while (rdtsc() - t0 < (u64)tsc_khz * ms)
		cpu_relax();
	n = this_cpu_read(apic_timer_irqs) - n;
	preempt_enable();
	KTEST_LOG(t, "%lu ticks in %u ms (HZ=%d: %lu expected)", n, ms, HZ, expect);
	EXPECT_GE(t, n, 1);
	EXPECT_LE(t, n, 2 * expect + 2);
}

static unsigned long sum_ipi(bool sent, enum ipi_kind k)
{
	unsigned long s = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		struct ipi_stats *st = &per_cpu(ipi_stats, cpu);

		s += sent ? READ_ONCE(st->sent[k]) : READ_ONCE(st->received[k]);
	}
	return s;
}

static void count_call(void *arg)
{
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static void ipi_counters_count_each_ipi(struct ktest *t)
{
	unsigned long s0, r0, res0;
	int calls = 0, expect = 0, cpu, target_res0;
	const int rounds = 10;

	preempt_disable();
	cpu = ktest_other_cpu(smp_processor_id());
	s0 = sum_ipi(true, IPI_CALL_FUNC_SINGLE);
	r0 = sum_ipi(false, IPI_CALL_FUNC_SINGLE);
	for (int i = 0; i < rounds; i++) {
		int c;

		for_each_online_cpu(c) {
			smp_call_function_single(c, count_call, &calls, 1);
			if (c != smp_processor_id())
				expect++;	/* the local call sends nothing */
		}
	}
	EXPECT_EQ(t, calls, rounds * num_online_cpus());
	EXPECT_EQ(t, sum_ipi(true, IPI_CALL_FUNC_SINGLE) - s0, expect);
	EXPECT_EQ(t, sum_ipi(false, IPI_CALL_FUNC_SINGLE) - r0, expect);

	if (cpu >= 0) {
		res0 = this_cpu_read(ipi_stats.sent[IPI_RESCHEDULE]);
		target_res0 = per_cpu(ipi_stats, cpu).received[IPI_RESCHEDULE];
		smp_send_reschedule(cpu);
		EXPECT_EQ(t, this_cpu_read(ipi_stats.sent[IPI_RESCHEDULE]) - res0, 1);
		{
			u64 t0 = rdtsc();

			while (READ_ONCE(per_cpu(ipi_stats, cpu).received[IPI_RESCHEDULE]) == (unsigned long)target_res0 &&
			       rdtsc() - t0 < (u64)tsc_khz * 5000)
				cpu_relax();
		}
		EXPECT_GE(t, per_cpu(ipi_stats, cpu).received[IPI_RESCHEDULE] - target_res0, 1);
	}
	preempt_enable();
}

static void nop_call(void *arg)
{
}

/* Also the IPI round-trip benchmark: 1000 synchronous calls, none lost. */
static void thousand_round_trips_all_complete(struct ktest *t)
{
	int calls = 0, cpu;
	u64 t0, cycles;

	preempt_disable();
	cpu = ktest_other_cpu(smp_processor_id());
	if (cpu < 0) {
		preempt_enable();
		KTEST_SKIP(t, "needs a second CPU (-smp 1)");
	}
	smp_call_function_single(cpu, nop_call, NULL, 1);	/* warm up */
	t0 = rdtsc();
	for (int i = 0; i < 1000; i++)
		smp_call_function_single(cpu, count_call, &calls, 1);
	cycles = div_u64(rdtsc() - t0, 1000);
	preempt_enable();
	KTEST_LOG(t, "IPI round trip CPU %d -> CPU %d (wait=1): %llu cycles, %llu ns",
		  smp_processor_id(), cpu, (unsigned long long)cycles,
		  (unsigned long long)div_u64(cycles * 1000000, tsc_khz));
	EXPECT_EQ(t, calls, 1000);
}

static void waiting_with_irqs_off_warns(struct ktest *t)
{
	u64 mark = log_mark();
	unsigned long flags;
	int calls = 0;

	ktest_expect(t, "check_irqs_on");
	flags = local_irq_save();
	/* The target is not waiting for us, so this particular call ends;
	 * the rule is what is checked (it would deadlock against a CPU
	 * doing the same to us). */
	smp_call_function_single(0, count_call, &calls, 1);
	on_each_cpu(count_call, &calls, 1);
	local_irq_restore(flags);
	EXPECT_TRUE(t, log_contains(mark, "WARNING:"));
	EXPECT_TRUE(t, log_contains(mark, "arch/x86/smp.c"));
	EXPECT_EQ(t, calls, 1 + num_online_cpus());
}

/* The /proc/interrupts-style report has a column per online CPU and
 * shows what the counters say. */
static void interrupt_report_shows_every_cpu(struct ktest *t)
{
	char want[32];
	u64 mark = log_mark();
	int cpu;

	arch_show_interrupts();
	for_each_online_cpu(cpu) {
		snprintf(want, sizeof(want), "CPU%d", cpu);
		EXPECT_TRUE(t, log_contains(mark, want));
	}
	EXPECT_TRUE(t, log_contains(mark, " LOC:"));
	EXPECT_TRUE(t, log_contains(mark, " TLB:"));
}

KTEST_SUITE(smp,
	KTEST_CASE(all_firmware_cpus_come_online),
	KTEST_CASE(every_cpu_answers_call_function),
	KTEST_CASE(remote_call_runs_in_interrupt),
	KTEST_CASE(wait_waits_for_callee),
	KTEST_CASE(nowait_returns_before_callee),
	KTEST_CASE(on_each_cpu_runs_on_all),
	KTEST_CASE(call_function_many_skips_self),
	KTEST_CASE(offline_cpu_is_refused),
	KTEST_CASE(lapic_timer_ticks_on_every_cpu),
	KTEST_CASE(lapic_timer_runs_at_hz),
	KTEST_CASE(ipi_counters_count_each_ipi),
	KTEST_CASE(thousand_round_trips_all_complete),
	KTEST_CASE(waiting_with_irqs_off_warns),
	KTEST_CASE(interrupt_report_shows_every_cpu));
