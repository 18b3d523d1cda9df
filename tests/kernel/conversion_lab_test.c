/* SPDX-License-Identifier: MIT */
/*
 * conversion_lab_test.c - lab 4's grader: were the drivers of
 * kernel/lab4_drivers.c converted to kmap_local_page(), and converted
 * right?
 *
 * Each case runs one driver, in a thread bound to one CPU, and looks at
 * its section from inside through lab4_probe(): what the preempt count,
 * the page-fault count and the task's kmap_local depth are at that point.
 * Three facts tell the APIs apart there:
 *
 *   kmap()           no local map held (the depth is 0)
 *   kmap_atomic()    a local map, and page faults disabled (RT or not)
 *   kmap_local_page  a local map; page faults and preemption as the
 *                    driver itself asked for them
 *
 * So every case first checks that the section holds local maps and runs
 * with page faults on (the stubs, the original code, fail there), then
 * checks what the conversion must keep working:
 *
 *   (a) the per-CPU bounce buffer stays the driver's: at the probe, a
 *       competing task on the same CPU is woken and the driver spins
 *       until that task has run or 16 ticks have passed. Preemptible,
 *       the driver is switched out within a time slice, the competitor
 *       runs the same driver and refills the buffer, and the checksum
 *       comes out wrong -- every time, not by luck.
 *   (b) a missing source page makes the copy return short, without a
 *       sleep in the fault handler (mm/demand.c counts them);
 *   (c) the walk sleeps holding its map, while a competitor maps its own
 *       page at the same slot, and still reads its records after;
 *   (d) two maps are undone newest first (no LIFO warning);
 *   (e) the worker on another CPU reads the page through a map of its
 *       own, and reads it right.
 *
 * And the "*_stays_preemptible" cases take points from a conversion that
 * disables preemption where nothing needs it: that recreates kmap_atomic()
 * and throws away the point of converting (docs/conversion.md).
 */
#include "kernel/ktest.h"
#include "tests/kernel/helpers.h"
#include "kernel/lab4_drivers.h"
#include "kernel/printk.h"
#include "kernel/wait.h"
#include "kernel/errno.h"
#include "mm/highmem.h"
#include "mm/demand.h"

static const char *const point_name[LAB4_NR_POINTS] = {
	[LAB4_CSUM_HEADER] = "LAB4_CSUM_HEADER",
	[LAB4_CSUM_BOUNCE] = "LAB4_CSUM_BOUNCE",
	[LAB4_FILL_HEADER] = "LAB4_FILL_HEADER",
	[LAB4_FILL_DONE] = "LAB4_FILL_DONE",
	[LAB4_WALK_WAIT] = "LAB4_WALK_WAIT",
	[LAB4_COPY_BOTH] = "LAB4_COPY_BOTH",
	[LAB4_HANDOFF_READ] = "LAB4_HANDOFF_READ",
};

/* What a probe point saw, the last time the driver passed it. */
struct seen {
	bool hit;
	unsigned int preempt;
	bool irqs_off;
	int pagefault;
	int idx;
	int cpu;
	unsigned long addr;	/* the newest local map's slot address */
	bool rival_ran;		/* (a): the competitor ran inside the section */
};
static struct seen seen[LAB4_NR_POINTS];

/* ---- the competitor: a task on the driver's CPU ---- */

struct rival {
	struct task_struct *task;
	struct page *page;
	void (*work)(struct rival *r);
	volatile unsigned long go, done;
	volatile bool stop;
	unsigned long addr;	/* (c): where it mapped its page */
};
static struct rival rival;
static int invite_at = -1;	/* the point where the competitor is let in */
static bool invite_waits;	/* ... and the driver waits for it to run */

#define INVITE_TICKS	16	/* four time slices (kernel/sched.c) */

static int rival_fn(void *arg)
{
	struct rival *r = arg;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (r->stop)
			break;
		if (r->go != r->done) {
			__set_current_state(TASK_RUNNING);
			r->work(r);
			WRITE_ONCE(r->done, r->done + 1);
			continue;
		}
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void rival_start(struct page *page, void (*work)(struct rival *), int cpu)
{
	rival = (struct rival){ .page = page, .work = work };
	rival.task = kthread_create_on_cpu(rival_fn, &rival, cpu, "lab4-rival");
	wake_up_process(rival.task);
}

static void rival_stop(void)
{
	rival.stop = true;
	wake_up_process(rival.task);
	kthread_join(rival.task);
	rival.task = NULL;
}

/* Let the competitor in; with 'wait', spin until it has run (it can only
 * if this section is preemptible) or INVITE_TICKS ticks have passed. */
static bool invite_rival(bool wait)
{
	unsigned long want = rival.go + 1, t0;
	struct rq *rq = this_rq();	/* the driver is bound to this CPU */

	WRITE_ONCE(rival.go, want);
	wake_up_process(rival.task);
	if (!wait || irqs_disabled())	/* no tick would ever come */
		return false;
	t0 = READ_ONCE(rq->ticks);
	while (READ_ONCE(rival.done) != want && READ_ONCE(rq->ticks) - t0 < INVITE_TICKS)
		cpu_relax();
	return READ_ONCE(rival.done) == want;
}

static void probe_hook(enum lab4_point pt)
{
	struct seen *s = &seen[pt];

	if (rival.task && current == rival.task)
		return;
	s->hit = true;
	s->preempt = preempt_count();
	s->irqs_off = irqs_disabled();
	s->pagefault = current->pagefault_disabled;
	s->idx = current->kmap_ctrl.idx;
	s->cpu = smp_processor_id();
	s->addr = s->idx ? kmap_local_slot_addr(s->cpu, s->idx - 1) : 0;
	if ((int)pt == invite_at)
		s->rival_ran = invite_rival(invite_waits);
}

static void probes_on(int invite, bool wait)
{
	memset(seen, 0, sizeof(seen));
	invite_at = invite;
	invite_waits = wait;
	WRITE_ONCE(lab4_probe_hook, probe_hook);
}

static void probes_off(void)
{
	WRITE_ONCE(lab4_probe_hook, NULL);
	invite_at = -1;
}

/* ---- running a driver in a thread bound to the crowded CPU ---- */

struct call {
	int (*fn)(struct call *c);
	struct page *page[2];
	const void *src;
	size_t len;
	unsigned long ret;
};

static int call_fn(void *arg)
{
	struct call *c = arg;

	return c->fn(c);
}

static struct ktest_child run_driver(struct call *c, int cpu)
{
	return ktest_run_child(call_fn, c, cpu, "lab4-driver");
}

/* ---- the checks ---- */

#define lab_fail(t, ...) ktest_fail(t, __FILE__, __LINE__, __VA_ARGS__)

/*
 * Did the section at 'pt' hold exactly 'maps' local maps, with page
 * faults on? That is kmap_local_page(): kmap() holds none, and
 * kmap_atomic() disables page faults.
 */
static bool check_local(struct ktest *t, const char *fn, enum lab4_point pt, int maps)
{
	const struct seen *s = &seen[pt];

	if (!s->hit) {
		lab_fail(t, "%s() never reached lab4_probe(%s): keep the probe calls", fn,
			 point_name[pt]);
		return false;
	}
	if (s->idx == 0) {
		lab_fail(t, "%s(): no local map held at lab4_probe(%s): still kmap()?", fn,
			 point_name[pt]);
		return false;
	}
	if (s->idx != maps * km_incr) {
		lab_fail(t, "%s(): %d local map(s) held at lab4_probe(%s), expected %d", fn,
			 s->idx / km_incr, point_name[pt], maps);
		return false;
	}
	if (s->pagefault) {
		lab_fail(t, "%s(): page faults off at lab4_probe(%s): still kmap_atomic()?", fn,
			 point_name[pt]);
		return false;
	}
	return true;
}

/* Nothing in the section needs preemption off at 'pt'. */
static bool check_preemptible(struct ktest *t, const char *fn, enum lab4_point pt)
{
	const struct seen *s = &seen[pt];

	if (s->irqs_off) {
		lab_fail(t, "%s(): interrupts off at lab4_probe(%s): nothing there needs that",
			 fn, point_name[pt]);
		return false;
	}
	if (s->preempt) {
		lab_fail(t, "%s(): preemption off at lab4_probe(%s) (count %u): not needed there",
			 fn, point_name[pt], s->preempt);
		return false;
	}
	return true;
}

static bool check_ran(struct ktest *t, const char *fn, struct ktest_child r)
{
	if (r.oopsed || r.exit_code) {
		lab_fail(t, "%s() oopsed (the report is above)", fn);
		return false;
	}
	return true;
}

/* A record page: the header (count = 'count'), payload words from 'seed'. */
static void make_record(struct page *page, u32 seed, u32 count, u32 *words)
{
	words[0] = LAB4_MAGIC;
	words[1] = count;
	words[2] = words[3] = 0;
	for (int i = 0; i < LAB4_PAYLOAD_WORDS; i++)
		words[LAB4_HDR_WORDS + i] = seed * 0x9e3779b9u + (u32)i * 7u;
	memcpy_to_page(page, 0, words, LAB4_COPY_WORDS * sizeof(u32));
}

/* ---------------- (a) lab4_page_checksum() ---------------- */

static int do_checksum(struct call *c)
{
	c->ret = lab4_page_checksum(c->page[0]);
	return 0;
}

static void rival_checksums(struct rival *r)
{
	lab4_page_checksum(r->page);
}

static void checksum_bounce_buffer_stays_ours(struct ktest *t)
{
	struct page *pages[2];
	u32 words[LAB4_COPY_WORDS];
	int cpu = ktest_last_cpu();
	struct call c = { .fn = do_checksum };
	struct ktest_child r;
	u32 want;

	ktest_highpages(t, pages, 2);
	make_record(pages[0], 1, 11, words);
	want = lab4_checksum_words(words);
	make_record(pages[1], 2, 22, words);
	c.page[0] = pages[0];
	rival_start(pages[1], rival_checksums, cpu);
	probes_on(LAB4_CSUM_BOUNCE, true);
	r = run_driver(&c, cpu);
	probes_off();
	rival_stop();
	if (check_ran(t, "lab4_page_checksum", r) &&
	    check_local(t, "lab4_page_checksum", LAB4_CSUM_BOUNCE, 1) &&
	    c.ret != want)
		lab_fail(t, "lab4_page_checksum() = %#lx, expected %#x: %s", c.ret, want,
			 seen[LAB4_CSUM_BOUNCE].rival_ran ?
			 "preempted: this CPU's buffer was refilled" :
			 "wrong sum");
	KTEST_LOG(t, "checksum %#lx (expected %#x); the competitor %s inside the section",
		  c.ret, want, seen[LAB4_CSUM_BOUNCE].rival_ran ? "ran" : "did not run");
	__free_page(pages[0]);
	__free_page(pages[1]);
}

static void checksum_header_stays_preemptible(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	u32 words[LAB4_COPY_WORDS];
	struct call c = { .fn = do_checksum, .page = { page } };
	struct ktest_child r;

	make_record(page, 3, 33, words);
	probes_on(-1, false);
	r = run_driver(&c, ktest_last_cpu());
	probes_off();
	if (check_ran(t, "lab4_page_checksum", r) &&
	    check_local(t, "lab4_page_checksum", LAB4_CSUM_HEADER, 1))
		check_preemptible(t, "lab4_page_checksum", LAB4_CSUM_HEADER);
	EXPECT_EQ(t, c.ret, lab4_checksum_words(words));
	__free_page(page);
}

/* ---------------- (b) lab4_fill_record() ---------------- */

#define FILL_BYTES	64

static int do_fill(struct call *c)
{
	c->ret = lab4_fill_record(c->page[0], c->src, c->len);
	return 0;
}

/* Fill from the demand region with every source page missing. */
static struct ktest_child run_fill(struct call *c, unsigned long *sleeps)
{
	struct ktest_child r;
	unsigned long s0;

	demand_reset();
	s0 = demand_stats.sleeps;
	probes_on(-1, false);
	r = run_driver(c, ktest_last_cpu());
	probes_off();
	*sleeps = demand_stats.sleeps - s0;
	return r;
}

/* One call of lab4_fill_record() from the demand region into page: true
 * when it ran and held its local map at both probes (else the case has
 * already failed, saying why). */
static bool fill_once(struct ktest *t, struct call *c, struct page *page,
		      unsigned long *sleeps)
{
	struct ktest_child r;

	*c = (struct call){ .fn = do_fill, .page = { page },
			    .src = (const void *)DEMAND_START, .len = FILL_BYTES };
	r = run_fill(c, sleeps);
	return check_ran(t, "lab4_fill_record", r) &&
	       check_local(t, "lab4_fill_record", LAB4_FILL_HEADER, 1) &&
	       check_local(t, "lab4_fill_record", LAB4_FILL_DONE, 1);
}

static void fill_record_fails_fast(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	struct call c;
	unsigned long sleeps;

	if (fill_once(t, &c, page, &sleeps) && (c.ret != FILL_BYTES || sleeps))
		lab_fail(t, "lab4_fill_record() left %lu of %d bytes, the fault handler slept %lu "
			 "time(s): it must fail fast", c.ret, FILL_BYTES, sleeps);
	KTEST_LOG(t, "copy left %lu of %d bytes; the fault handler slept %lu time(s)",
		  c.ret, FILL_BYTES, sleeps);
	demand_reset();
	__free_page(page);
}

static void fill_record_stays_preemptible(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	struct call c;
	unsigned long sleeps;

	if (fill_once(t, &c, page, &sleeps) &&
	    check_preemptible(t, "lab4_fill_record", LAB4_FILL_HEADER))
		check_preemptible(t, "lab4_fill_record", LAB4_FILL_DONE);
	demand_reset();
	__free_page(page);
}

/* ---------------- (c) lab4_walk_records() ---------------- */

#define WALK_RECORDS	8

static int do_walk(struct call *c)
{
	c->ret = lab4_walk_records(c->page[0]);
	return 0;
}

/* While the walker sleeps: map our own page, at the walker's position. */
static void rival_maps(struct rival *r)
{
	u32 *p = kmap_local_page(r->page);

	r->addr = (unsigned long)p;
	p[LAB4_HDR_WORDS + 2] ^= 0x5a5a5a5a;
	kunmap_local(p);
}

static void walk_setup(struct ktest *t, struct page **pages, u32 *want)
{
	u32 words[LAB4_HDR_WORDS + WALK_RECORDS] = { LAB4_MAGIC, WALK_RECORDS };

	ktest_highpages(t, pages, 2);
	*want = 0;
	for (int i = 0; i < WALK_RECORDS; i++) {
		words[LAB4_HDR_WORDS + i] = 100 + i;
		*want += 100 + i;
	}
	words[LAB4_HDR_WORDS + 3] |= LAB4_REC_WAIT;
	memcpy_to_page(pages[0], 0, words, sizeof(words));
	memset_page(pages[1], 0, 0xee, PAGE_SIZE);
}

static struct ktest_child walk_run(struct ktest *t, struct page **pages,
				   struct call *c, unsigned long *atomic_waits)
{
	int cpu = ktest_last_cpu();
	unsigned long w0 = lab4_atomic_waits;
	struct ktest_child r;

	/* the report a wait inside an atomic section makes */
	ktest_expect(t, "sleeping function called from invalid context at kernel/lab4_drivers.c");
	c->fn = do_walk;
	c->page[0] = pages[0];
	rival_start(pages[1], rival_maps, cpu);
	probes_on(LAB4_WALK_WAIT, false);
	r = run_driver(c, cpu);
	probes_off();
	rival_stop();
	*atomic_waits = lab4_atomic_waits - w0;
	return r;
}

static void walk_keeps_its_map_across_the_sleep(struct ktest *t)
{
	struct page *pages[2];
	struct call c = { 0 };
	unsigned long waits;
	struct ktest_child r;
	u32 want;

	walk_setup(t, pages, &want);
	r = walk_run(t, pages, &c, &waits);
	if (check_ran(t, "lab4_walk_records", r) &&
	    check_local(t, "lab4_walk_records", LAB4_WALK_WAIT, 1) &&
	    c.ret != want)
		lab_fail(t, "lab4_walk_records() = %lu, expected %u", c.ret, want);
	KTEST_LOG(t, "sum %lu (expected %u); the walker's map at %#lx, the competitor's at %#lx",
		  c.ret, want, seen[LAB4_WALK_WAIT].addr, rival.addr);
	__free_page(pages[0]);
	__free_page(pages[1]);
}

static void walk_sleeps_preemptibly(struct ktest *t)
{
	struct page *pages[2];
	struct call c = { 0 };
	unsigned long waits;
	struct ktest_child r;
	u32 want;

	walk_setup(t, pages, &want);
	r = walk_run(t, pages, &c, &waits);
	if (check_ran(t, "lab4_walk_records", r) &&
	    check_local(t, "lab4_walk_records", LAB4_WALK_WAIT, 1)) {
		if (waits)
			lab_fail(t, "lab4_walk_records() waited for the device in an atomic "
				 "section (the report is above)");
		else
			check_preemptible(t, "lab4_walk_records", LAB4_WALK_WAIT);
	}
	__free_page(pages[0]);
	__free_page(pages[1]);
}

/* ---------------- (d) lab4_copy_record() ---------------- */

static int do_copy(struct call *c)
{
	lab4_copy_record(c->page[0], c->page[1]);
	return 0;
}

static struct ktest_child copy_run(struct ktest *t, struct page **pages, u32 *words)
{
	struct call c = { .fn = do_copy };
	struct ktest_child r;

	ktest_highpages(t, pages, 2);
	make_record(pages[1], 4, 44, words);
	memzero_page(pages[0], 0, PAGE_SIZE);
	c.page[0] = pages[0];
	c.page[1] = pages[1];
	ktest_expect(t, "kunmap_local_lifo_violation");
	probes_on(-1, false);
	r = run_driver(&c, ktest_last_cpu());
	probes_off();
	return r;
}

static void copy_record_unmaps_newest_first(struct ktest *t)
{
	struct page *pages[2];
	u32 words[LAB4_COPY_WORDS], got[LAB4_COPY_WORDS];
	struct ktest_child r = copy_run(t, pages, words);

	if (check_ran(t, "lab4_copy_record", r) &&
	    check_local(t, "lab4_copy_record", LAB4_COPY_BOTH, 2)) {
		if (log_contains(r.mark, "unmap out of LIFO order"))
			lab_fail(t, "lab4_copy_record(): kunmap_local() out of LIFO order "
				 "(the warning is above)");
		memcpy_from_page(got, pages[0], 0, sizeof(got));
		if (memcmp(got, words, sizeof(got)))
			lab_fail(t, "lab4_copy_record(): the copy differs from the source");
	}
	__free_page(pages[0]);
	__free_page(pages[1]);
}

static void copy_record_stays_preemptible(struct ktest *t)
{
	struct page *pages[2];
	u32 words[LAB4_COPY_WORDS];
	struct ktest_child r = copy_run(t, pages, words);

	if (check_ran(t, "lab4_copy_record", r) &&
	    check_local(t, "lab4_copy_record", LAB4_COPY_BOTH, 2))
		check_preemptible(t, "lab4_copy_record", LAB4_COPY_BOTH);
	__free_page(pages[0]);
	__free_page(pages[1]);
}

/* ---------------- (e) lab4_hand_off() ---------------- */

static int do_hand_off(struct call *c)
{
	c->ret = lab4_hand_off(c->page[0]);
	return 0;
}

static void hand_off_worker_maps_the_page(struct ktest *t)
{
	struct page *page = ktest_highpage(t);
	u32 words[LAB4_COPY_WORDS];
	struct call c = { .fn = do_hand_off, .page = { page } };
	struct ktest_child r;
	u32 want;

	make_record(page, 5, 55, words);
	want = lab4_checksum_words(words);
	/* the worker's oops if it reads an address that means nothing there */
	ktest_expect(t, "unable to handle page fault");
	ktest_expect(t, "Oops");
	probes_on(-1, false);
	r = run_driver(&c, ktest_last_cpu());
	probes_off();
	if (!check_ran(t, "lab4_hand_off", r))
		goto out;
	if (lab4_dev_last_status == -EFAULT) {
		lab_fail(t, "the worker oopsed reading the page: the address it was handed "
			 "means nothing in its task");
		goto out;
	}
	if (!check_local(t, "lab4_job_consume", LAB4_HANDOFF_READ, 1))
		goto out;
	if (c.ret != want)
		lab_fail(t, "lab4_hand_off() = %#lx, expected %#x", c.ret, want);
	KTEST_LOG(t, "the worker read the page on CPU %d", seen[LAB4_HANDOFF_READ].cpu);
out:
	__free_page(page);
}

KTEST_SUITE(conversion_lab,
	KTEST_CASE(checksum_bounce_buffer_stays_ours),
	KTEST_CASE(checksum_header_stays_preemptible),
	KTEST_CASE(fill_record_fails_fast),
	KTEST_CASE(fill_record_stays_preemptible),
	KTEST_CASE(walk_keeps_its_map_across_the_sleep),
	KTEST_CASE(walk_sleeps_preemptibly),
	KTEST_CASE(copy_record_unmaps_newest_first),
	KTEST_CASE(copy_record_stays_preemptible),
	KTEST_CASE(hand_off_worker_maps_the_page));
