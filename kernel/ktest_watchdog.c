/* SPDX-License-Identifier: MIT */
/*
 * ktest_watchdog.c - a time limit for every test case, and bounded waits
 * for the threads that tests start.
 *
 * Once the scheduler runs, each case runs in a thread of its own while the
 * runner waits for that thread to exit -- for at most the case's limit:
 * its KTEST_CASE_TIMEOUT, else ktest.timeout= seconds (default 10: the
 * slowest ordinary case takes under a second at -smp 2 and about three
 * at -smp 8 on a loaded 2-core host under TCG; the memory sweeps, which
 * grow with -m, have limits of their own). A case still running then is
 * reported and the run goes on with the next case:
 *
 *       # sleeps_forever: timed out after 10000 ms
 *   INFO: task sleeps_forever:2 blocked for more than 10000 ms.
 *   task:sleeps_forever state:D cpu:0 wchan:kthread_join+0x1d/0x40
 *   Call Trace:
 *    schedule+0x15/0x30
 *    schedule_timeout+0x135/0x140
 *    wait_for_completion_timeout+0xfe/0x2d0
 *    wait_for_completion+0x1a/0x20
 *    kthread_join+0x1d/0x40
 *    case_thread+0x2d/0x50
 *    kthread_main+0x1b/0x30
 *    ret_from_kthread+0x10/0x13
 *       # sleeps_forever: sleeps_forever[2] state D, asleep on CPU 0, waiting in kthread_join+0x1d/0x40: parked
 *   INFO: task wd-child:3 blocked for more than 10000 ms.
 *   task:wd-child state:D cpu:0 wchan:sleeper+0x5e/0x60
 *   Call Trace:
 *    schedule+0x15/0x30
 *    sleeper+0x5e/0x60
 *    ...
 *       # sleeps_forever: wd-child[3] state D, asleep on CPU 0, waiting in sleeper+0x5e/0x60: parked
 *       not ok 1 sleeps_forever
 *
 * (a preempted spinner: "state R, preempted on CPU 0 at spins+0x2/0x10";
 * a running one: "state R, running on CPU 1", its trace printed by CPU 1.)
 *
 * The report covers the case's thread and every thread started after it
 * that is still alive (its children: nothing else starts threads while
 * tests run). For each: its state as Linux prints it (R running or
 * runnable, S, D), its wait channel (the first function on its stack that
 * is not the scheduler's or the wait code's: where it waits; for a
 * preempted thread, where it was interrupted), and its backtrace -- read
 * from its saved frame if it is switched out, or printed by its own CPU
 * from an IPI if it is running there.
 *
 * Then each is parked (park_task()): taken off the CPUs for good, never
 * woken again. That is what keeps a hung case from corrupting the cases
 * after it: a wake-up that comes late, or the time slice a spinner would
 * get, cannot make it run. Its struct ktest and context are its own (a
 * page of their own, not the runner's), and a parked thread keeps them
 * for good, with its task page and stack: nothing it points at is reused.
 *
 * Rules enforced: no case runs past its limit unreported, and once a case
 * has timed out none of its threads runs again (unless one could not be
 * switched out, which the report says).
 *
 * Limits (the boot timeout stays the last resort):
 *  - a running thread is parked only once it is switched out. One that
 *    spins with preemption or interrupts off, or alone on its CPU, is
 *    left running and keeps that CPU (the report says so); if that CPU is
 *    the runner's, the runner never wakes and only the boot timeout ends
 *    the run.
 *  - whatever a parked thread holds stays held: pkmap slots it kmap()ed
 *    (later kmap() cases find a smaller pool: they fail or time out in
 *    turn, they do not hang the run), pages (the suite's free-page census
 *    fails too), a migrate_disable() pin on itself.
 *  - spinlocks: a switched-out thread holds none (preemption is off while
 *    one is held), so parking never strands a lock.
 */
#include "kernel/ktest_internal.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/wait.h"
#include "arch/x86/smp.h"
#include "arch/x86/traps.h"
#include "mm/extable.h"
#include "mm/page_alloc.h"

static unsigned long ktest_timeout_s = 10;

static bool set_ktest_timeout(const char *v)
{
	unsigned long s;

	if (!v || !parse_ulong(v, strlen(v), &s) || s == 0 || s > 3600)
		return false;
	ktest_timeout_s = s;
	return true;
}
early_param("ktest.timeout", set_ktest_timeout);

static long ms_to_ticks(unsigned long ms)
{
	return (long)((ms * HZ + 999) / 1000);
}

/* ---- what a thread is doing ---- */

static char task_state_char(const struct task_struct *p)
{
	long state = READ_ONCE(p->state);

	if (state == TASK_RUNNING)
		return 'R';
	if (state & TASK_INTERRUPTIBLE)
		return 'S';
	if (state & TASK_UNINTERRUPTIBLE)
		return 'D';
	if (state & TASK_PARKED)
		return 'P';
	return 'X';
}

static bool task_is_running(const struct task_struct *p)
{
	return READ_ONCE(cpu_rq(READ_ONCE(p->cpu))->curr) == p;
}

/* Functions a sleeper passes through on its way to the switch: the wait
 * channel is the first frame that is none of these. */
static const char *const sched_functions[] = {
	"__schedule", "schedule", "schedule_timeout", "preempt_schedule",
	"preempt_schedule_irq", "irqentry_exit", "yield", "msleep",
	"wait_for_completion_timeout", "wait_for_completion",
};

static bool in_sched_functions(unsigned long ret)
{
	const char *name = ksym_lookup(ret - 1, NULL, NULL);

	if (!name)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(sched_functions); i++)
		if (!strcmp(name, sched_functions[i]))
			return true;
	return false;
}

/*
 * A switched-out task's stack, as __switch_to() left it:
 *
 *   p->sp -> edi, esi, ebx, ebp (__schedule's frame), return into __schedule
 *
 * Walk the frame chain from that ebp to the first return address outside
 * the scheduler; through a trap frame (a preempted task), the interrupted
 * address itself. Every read may fault harmlessly: the task could be
 * woken and running meanwhile.
 */
static unsigned long task_wchan(const struct task_struct *p, unsigned long *bp_out)
{
	unsigned long sp = READ_ONCE(p->sp), bp, frame[2];

	if (get_kernel_nofault(bp, (unsigned long *)(sp + 12)))
		return 0;
	*bp_out = bp;
	for (int depth = 0; depth < 32 && bp && !(bp & 3); depth++) {
		if (copy_from_kernel_nofault(frame, (void *)bp, sizeof(frame)))
			return 0;
		if (is_trap_return(frame[1])) {
			struct pt_regs *regs;
			unsigned long ip;

			if (get_kernel_nofault(regs, (struct pt_regs **)(bp + 8)) ||
			    get_kernel_nofault(ip, &regs->ip))
				return 0;
			return ip;
		}
		if (!in_sched_functions(frame[1]))
			return frame[1];
		if (frame[0] <= bp)
			return 0;
		bp = frame[0];
	}
	return 0;
}

/* A running thread's backtrace comes from its own CPU, in an IPI: the
 * trace goes through the interrupt frame into the code it was running. */
static struct {
	struct task_struct *task;
	volatile bool done;
} remote_dump;

static void dump_if_current(void *info)
{
	if (current == remote_dump.task) {
		printk(KERN_ERR "task:%s is running on CPU %d; its backtrace, from an IPI:\n",
		       current->comm, smp_processor_id());
		dump_stack();
	}
	remote_dump.done = true;
}

/*
 * Print what p is doing in the form of Linux's hung-task report, then a
 * KTAP diagnostic line for the case named 'who', and park p. Returns true
 * if p is parked (or has ended meanwhile).
 */
static bool report_and_park(const char *who, struct task_struct *p, unsigned long ms)
{
	char wchan[KSYM_NAME_LEN] = "?", state = task_state_char(p);
	bool running = task_is_running(p), parked = false;
	int cpu = READ_ONCE(p->cpu);
	unsigned long bp = 0, at;

	printk(KERN_ERR "INFO: task %s:%d blocked for more than %lu ms.\n", p->comm, p->pid, ms);
	if (running) {
		printk(KERN_ERR "task:%s state:%c cpu:%d (running)\n", p->comm, state, cpu);
		remote_dump.task = p;
		remote_dump.done = false;
		smp_call_function_single(cpu, dump_if_current, NULL, 0);
		for (int i = 0; i < 50 && !remote_dump.done; i++)
			msleep(2);
		if (!remote_dump.done)
			printk(KERN_ERR "task:%s: CPU %d does not answer IPIs (interrupts off?)\n",
			       p->comm, cpu);
		strlcpy(wchan, "(running)", sizeof(wchan));
	} else {
		at = task_wchan(p, &bp);
		if (at)
			sprint_backtrace(wchan, sizeof(wchan), at);
		printk(KERN_ERR "task:%s state:%c cpu:%d wchan:%s\n", p->comm, state, cpu, wchan);
		show_trace(bp);
	}

	/* a running thread gets a few chances to be switched out */
	for (int i = 0; i < 25; i++) {
		if (park_task(p) || (READ_ONCE(p->state) & TASK_DEAD)) {
			parked = true;
			break;
		}
		resched_cpu(READ_ONCE(p->cpu));
		msleep(4);
	}
	printk(KERN_ERR "    # %s: %s[%d] state %c, %s CPU %d%s%s: %s\n", who, p->comm,
	       p->pid, state,
	       running ? "running on" : state == 'R' ? "preempted on" : "asleep on", cpu,
	       running ? "" : state == 'R' ? " at " : ", waiting in ", running ? "" : wchan,
	       (READ_ONCE(p->state) & TASK_DEAD) ? "it ended meanwhile" :
	       parked ? "parked" : "left running (it could not be switched out)");
	return parked;
}

/* Threads started at or after 'first_pid' that are still alive. */
struct hung_set {
	int first_pid, n;
	struct task_struct *task[16];
};

static void collect(struct task_struct *p, void *arg)
{
	struct hung_set *h = arg;

	if (p->pid >= h->first_pid && !(p->state & (TASK_DEAD | TASK_PARKED)) &&
	    h->n < (int)ARRAY_SIZE(h->task))
		h->task[h->n++] = p;
}

/* Report and park p, and with 'children' every thread started after it. */
static void report_hung(const char *who, struct task_struct *p, unsigned long ms,
			bool children)
{
	struct hung_set h = { .first_pid = p->pid };

	if (!children) {
		report_and_park(who, p, ms);
		return;
	}
	for_each_task(collect, &h);
	for (int i = 0; i < h.n; i++)
		report_and_park(who, h.task[i], ms);
}

/* Wait up to 'ms' for p to exit; true if it did (p is then joined). */
static bool join_within(struct task_struct *p, unsigned long ms, bool *oopsed, int *code)
{
	if (!wait_for_completion_timeout(p->exit_done, ms_to_ticks(ms)))
		return false;
	*code = kthread_join_oopsed(p, oopsed);
	return true;
}

/* ---- the case watchdog ---- */

/*
 * Everything a case thread uses from the runner, in a page of its own.
 * Whichever of the two lets go of it second frees it: normally the
 * runner, after the join; the thread, if the runner gave up on it and it
 * ever ends (only unpark_task() lets a parked thread end).
 */
struct case_run {
	const struct ktest_suite *suite;
	const struct ktest_case *tcase;
	struct ktest t;
	int let_go;
};

/* Pages holding a case_run now: a case's own test (meminfo's leak check)
 * must count the page its runner holds. */
static unsigned long case_run_pages;

static struct case_run *case_run_alloc(void)
{
	struct case_run *run = (void *)__get_free_page(GFP_KERNEL);

	if (run)
		__atomic_fetch_add(&case_run_pages, 1, __ATOMIC_RELAXED);
	return run;
}

static void case_run_free(struct case_run *run)
{
	__atomic_fetch_sub(&case_run_pages, 1, __ATOMIC_RELAXED);
	free_page((unsigned long)run);
}

unsigned long ktest_case_pages(void)
{
	return READ_ONCE(case_run_pages);
}


static bool let_go_of(struct case_run *run)
{
	return __atomic_exchange_n(&run->let_go, 1, __ATOMIC_ACQ_REL);
}

static void case_thread_done(struct ktest *t)
{
	struct case_run *run = container_of(t, struct case_run, t);

	if (let_go_of(run))
		case_run_free(run);
}

static int case_thread(void *arg)
{
	struct case_run *run = arg;

	if (run->suite->init && !run->suite->init(&run->t))
		ktest_skip(&run->t, "suite init declined");
	run->tcase->run(&run->t);
	case_thread_done(&run->t);
	return 0;
}

struct task_struct *ktest_run_case_watched(const struct ktest_suite *s,
					   const struct ktest_case *c, struct ktest *t)
{
	struct case_run *run = case_run_alloc();
	unsigned long limit_ms = c->timeout_ms ? c->timeout_ms : ktest_timeout_s * 1000;
	struct task_struct *p;
	bool oopsed = false;
	int code;

	BUILD_BUG_ON(sizeof(*run) > PAGE_SIZE);
	if (!run || !(p = kthread_create(case_thread, run, c->name))) {
		printk(KERN_ERR "    # %s: no memory for the case's thread\n", c->name);
		if (run)
			case_run_free(run);
		t->status = KTEST_FAIL;
		return NULL;
	}
	run->suite = s;
	run->tcase = c;
	run->t = *t;
	run->let_go = 0;
	wake_up_process(p);
	if (join_within(p, limit_ms, &oopsed, &code)) {
		*t = run->t;
		case_run_free(run);
		if (oopsed) {
			printk(KERN_ERR "    # %s: the case crashed (oops)\n", c->name);
			t->status = KTEST_FAIL;
		}
		return NULL;
	}
	printk(KERN_ERR "    # %s: timed out after %lu ms\n", c->name, limit_ms);
	report_hung(c->name, p, limit_ms, true);
	t->status = KTEST_FAIL;
	if (let_go_of(run) || (READ_ONCE(p->state) & TASK_DEAD)) {
		/* it got to the end of its case just now: only its exit is left */
		kthread_join(p);
		case_run_free(run);
		return NULL;
	}
	/* The thread keeps run (and its task page, never joined): parked,
	 * it never gets to use them; if something unparks it, it frees run
	 * when its case returns (not if it ends by ASSERT or oops). */
	return p;
}

/* ---- bounded waits for tests ---- */

/* The case a thread runs for: its full name, not the 15 letters of comm. */
static const char *current_case_name(void)
{
	struct task_struct *p = current;

	if (p->threadfn == case_thread)
		return ((struct case_run *)p->data)->tcase->name;
	return p->comm;
}

struct ktest_child ktest_run_child_timeout(int (*fn)(void *), void *arg, int cpu,
					   const char *name, unsigned int ms)
{
	struct ktest_child res = { .mark = log_mark() };
	struct task_struct *p = kthread_create_on_cpu(fn, arg, cpu, name);

	if (!p) {
		res.exit_code = -ENOMEM;
		return res;
	}
	wake_up_process(p);
	if (!join_within(p, ms, &res.oopsed, &res.exit_code)) {
		res.timed_out = true;
		res.exit_code = -ETIMEDOUT;
		report_hung(current_case_name(), p, ms, false);
	}
	return res;
}

bool ktest_join_timeout(struct ktest *t, struct task_struct *p, unsigned int ms)
{
	bool oopsed;
	int code;

	if (join_within(p, ms, &oopsed, &code))
		return true;
	ktest_fail(t, __FILE__, __LINE__, "thread %s[%d] did not end within %u ms",
		   p->comm, p->pid, ms);
	report_hung(t->name, p, ms, false);
	return false;
}
