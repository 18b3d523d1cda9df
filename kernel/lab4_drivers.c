/* SPDX-License-Identifier: MIT */
/*
 * lab4_drivers.c - the call sites lab 4 converts (see lab4_drivers.h).
 *
 * Each driver came with kmap() or kmap_atomic(). In the reference tree
 * its LAB(4) region holds the conversion to kmap_local_page(); in a
 * student's tree (`make lab LAB=4`) it holds the original.
 * docs/conversion.md gives the rules: kmap_local_page() only maps (and
 * keeps the task on its CPU); whatever else the section relied on must be
 * asked for by name, around the lines that need it and no more.
 *
 * Below the drivers, the device they talk to: a wait that sleeps, and a
 * worker thread on another CPU. Those are not part of the lab.
 */
#include "kernel/lab4_drivers.h"
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/highmem.h"
#include "mm/demand.h"

void (*lab4_probe_hook)(enum lab4_point point);
unsigned long lab4_atomic_waits;

/* ------------------- (a) a checksum engine -------------------- */

/*
 * The engine sums the payload from a bounce buffer, one per CPU: a buffer
 * per call would be 1 KiB of stack, and a shared one would need a lock.
 */
static DEFINE_PER_CPU(u32 [LAB4_PAYLOAD_WORDS], lab4_bounce);

static u32 lab4_sum_payload(const u32 *w)
{
	u32 sum = 0;

	for (int i = 0; i < LAB4_PAYLOAD_WORDS; i++)
		sum += READ_ONCE(w[i]) * (u32)(2 * i + 1);
	return sum;
}

u32 lab4_checksum_words(const u32 *page_words)
{
	if (page_words[0] != LAB4_MAGIC)
		return 0;
	return page_words[1] + lab4_sum_payload(page_words + LAB4_HDR_WORDS);
}

/* The page's checksum: its header's count plus the payload's sum. */
u32 lab4_page_checksum(struct page *page)
{
	/* LAB(4) begin page_checksum: convert kmap_atomic() to kmap_local_page()
	 * The header is read straight from the mapped page; the payload is
	 * summed in this CPU's bounce buffer. kmap_atomic() kept both from
	 * being preempted: which of the two still needs that, and why?
	 * Keep the two lab4_probe() calls where they are (the grader's eyes).
	 * stub: const u32 *src = kmap_atomic(page);
	 * stub: u32 *buf, sum;
	 * stub:
	 * stub: lab4_probe(LAB4_CSUM_HEADER);
	 * stub: if (src[0] != LAB4_MAGIC) {
	 * stub: 	kunmap_atomic(src);
	 * stub: 	return 0;
	 * stub: }
	 * stub: sum = src[1];
	 * stub: buf = this_cpu_ptr(&lab4_bounce[0]);
	 * stub: memcpy(buf, src + LAB4_HDR_WORDS, sizeof(lab4_bounce));
	 * stub: lab4_probe(LAB4_CSUM_BOUNCE);
	 * stub: sum += lab4_sum_payload(buf);
	 * stub: kunmap_atomic(src);
	 * stub: return sum;
	 */
	const u32 *src = kmap_local_page(page);
	u32 *buf, sum;

	lab4_probe(LAB4_CSUM_HEADER);
	if (src[0] != LAB4_MAGIC) {
		kunmap_local(src);
		return 0;
	}
	sum = src[1];
	/* The buffer is this CPU's: no other task may run here until we are
	 * done with it. The header above needed no such thing. */
	buf = get_cpu_ptr(&lab4_bounce[0]);
	memcpy(buf, src + LAB4_HDR_WORDS, sizeof(lab4_bounce));
	lab4_probe(LAB4_CSUM_BOUNCE);
	sum += lab4_sum_payload(buf);
	put_cpu_ptr(&lab4_bounce[0]);
	kunmap_local(src);
	return sum;
	/* LAB(4) end */
}

/* ------------------- (b) a copy that must not sleep -------------------- */

/*
 * Fill 'page' with a record: the header, then 'len' bytes from 'src', a
 * source that may not be present (the demand region, mm/demand.h, stands
 * for user memory). This is the fast path: it must not wait for a missing
 * source page. It returns the bytes it could NOT copy, and the caller
 * falls back to a slow path that may sleep. The header's count says how
 * many bytes the record holds.
 */
unsigned long lab4_fill_record(struct page *page, const void *src, size_t len)
{
	/* LAB(4) begin fill_record: convert kmap_atomic() to kmap_local_page()
	 * The copy must still return short at once when a source page is
	 * missing, and not sleep to fault it in. What made it do that under
	 * kmap_atomic()? Ask for exactly that, around the copy only.
	 * Keep the two lab4_probe() calls where they are.
	 * stub: u32 *dst = kmap_atomic(page);
	 * stub: unsigned long left;
	 * stub:
	 * stub: dst[0] = LAB4_MAGIC;
	 * stub: dst[1] = 0;
	 * stub: lab4_probe(LAB4_FILL_HEADER);
	 * stub: left = copy_from_demand(dst + LAB4_HDR_WORDS, src, len);
	 * stub: dst[1] = len - left;
	 * stub: lab4_probe(LAB4_FILL_DONE);
	 * stub: kunmap_atomic(dst);
	 * stub: return left;
	 */
	u32 *dst = kmap_local_page(page);
	unsigned long left;

	dst[0] = LAB4_MAGIC;
	dst[1] = 0;
	lab4_probe(LAB4_FILL_HEADER);
	/* fail fast on a missing source page, as under kmap_atomic() */
	pagefault_disable();
	left = copy_from_demand(dst + LAB4_HDR_WORDS, src, len);
	pagefault_enable();
	dst[1] = len - left;
	lab4_probe(LAB4_FILL_DONE);
	kunmap_local(dst);
	return left;
	/* LAB(4) end */
}

/* ------------------- (c) a walk that sleeps -------------------- */

/*
 * Sum the records of a page: the header's count says how many. A record
 * with LAB4_REC_WAIT set is not ready yet: wait for the device, then read
 * it (and the rest) from the page.
 */
u32 lab4_walk_records(struct page *page)
{
	/* LAB(4) begin walk_records: convert kmap() to kmap_local_page()
	 * The walk sleeps in the middle (lab4_dev_wait()) and goes on
	 * reading the page after it. Which API can be held across a sleep?
	 * Keep the lab4_probe() call where it is.
	 * stub: const u32 *rec = kmap(page);
	 * stub: u32 sum = 0, n = rec[1];
	 * stub:
	 * stub: for (u32 i = 0; i < n && i < LAB4_PAYLOAD_WORDS; i++) {
	 * stub: 	if (rec[LAB4_HDR_WORDS + i] & LAB4_REC_WAIT) {
	 * stub: 		lab4_probe(LAB4_WALK_WAIT);
	 * stub: 		lab4_dev_wait();
	 * stub: 	}
	 * stub: 	sum += rec[LAB4_HDR_WORDS + i] & ~LAB4_REC_WAIT;
	 * stub: }
	 * stub: kunmap(page);
	 * stub: return sum;
	 */
	const u32 *rec = kmap_local_page(page);
	u32 sum = 0, n = rec[1];

	for (u32 i = 0; i < n && i < LAB4_PAYLOAD_WORDS; i++) {
		if (rec[LAB4_HDR_WORDS + i] & LAB4_REC_WAIT) {
			lab4_probe(LAB4_WALK_WAIT);
			/* a local map may be held across a sleep: the context
			 * switch takes it off the CPU and puts it back */
			lab4_dev_wait();
		}
		sum += rec[LAB4_HDR_WORDS + i] & ~LAB4_REC_WAIT;
	}
	kunmap_local(rec);
	return sum;
	/* LAB(4) end */
}

/* ------------------- (d) two pages at once -------------------- */

/* Copy the record (header and payload) of 'src' into 'dst'. */
void lab4_copy_record(struct page *dst, struct page *src)
{
	/* LAB(4) begin copy_record: convert kmap() to kmap_local_page()
	 * Two pages are mapped at once. kunmap() did not care in which
	 * order they were released; does kunmap_local()?
	 * Keep the lab4_probe() call where it is.
	 * stub: const u32 *from = kmap(src);
	 * stub: u32 *to = kmap(dst);
	 * stub:
	 * stub: memcpy(to, from, LAB4_COPY_WORDS * sizeof(u32));
	 * stub: lab4_probe(LAB4_COPY_BOTH);
	 * stub: kunmap(src);
	 * stub: kunmap(dst);
	 */
	const u32 *from = kmap_local_page(src);
	u32 *to = kmap_local_page(dst);

	memcpy(to, from, LAB4_COPY_WORDS * sizeof(u32));
	lab4_probe(LAB4_COPY_BOTH);
	/* the newest map first */
	kunmap_local(to);
	kunmap_local(from);
	/* LAB(4) end */
}

/* ------------------- (e) a page handed to a worker -------------------- */

/* LAB(4) begin hand_off: convert kmap() away, poster and consumer both
 * lab4_hand_off() maps the page and hands the address to the device's
 * worker, a thread on another CPU, which checksums it in
 * lab4_job_consume() while the poster sleeps. Would a kmap_local_page()
 * address mean anything to that thread? Leave no kmap() here: find
 * another place for the mapping. Keep the lab4_probe() call in the
 * consumer, before it reads the page.
 * stub: /\* Runs in the device's worker thread (lab4_dev_submit()). *\/
 * stub: void lab4_job_consume(struct lab4_job *job)
 * stub: {
 * stub: 	lab4_probe(LAB4_HANDOFF_READ);
 * stub: 	job->sum = lab4_checksum_words(job->addr);
 * stub: }
 * stub:
 * stub: /\* The page's checksum, computed by the device's worker. *\/
 * stub: u32 lab4_hand_off(struct page *page)
 * stub: {
 * stub: 	struct lab4_job job = { .page = page };
 * stub:
 * stub: 	job.addr = kmap(page);
 * stub: 	lab4_dev_submit(&job);
 * stub: 	kunmap(page);
 * stub: 	return job.status ? 0 : job.sum;
 * stub: }
 */
/* Runs in the device's worker thread (lab4_dev_submit()). A local map is
 * the mapping task's alone, so the task that reads the page maps it. */
void lab4_job_consume(struct lab4_job *job)
{
	const u32 *words = kmap_local_page(job->page);

	lab4_probe(LAB4_HANDOFF_READ);
	job->sum = lab4_checksum_words(words);
	kunmap_local(words);
}

/* The page's checksum, computed by the device's worker. */
u32 lab4_hand_off(struct page *page)
{
	struct lab4_job job = { .page = page };

	lab4_dev_submit(&job);
	return job.status ? 0 : job.sum;
}
/* LAB(4) end */

/* ------------------- the device (not part of the lab) -------------------- */

/* Sleeping where it is not allowed is reported, and not done: the
 * driver's state (a preempt count, a local map) is left as it was. */
static bool lab4_refuse_atomic_sleep(void)
{
	if (likely(preempt_count() == 0 && !irqs_disabled()))
		return false;
	lab4_atomic_waits++;
	might_sleep();
	return true;
}

#define LAB4_DEV_WAIT_MS	2

void lab4_dev_wait(void)
{
	if (lab4_refuse_atomic_sleep())
		return;
	msleep(LAB4_DEV_WAIT_MS);
}

/* Is p switched out? Its switch happens under its run queue's lock (the
 * kmap_local hooks included), so with the lock held the answer is final. */
static bool lab4_switched_out(struct task_struct *p)
{
	unsigned long flags;
	struct rq *rq = task_rq_lock(p, &flags);
	bool out = rq->curr != p;

	task_rq_unlock(rq, flags);
	return out;
}

/* Like a real device, the worker takes the job later: once the poster
 * sleeps waiting for it. */
static int lab4_worker(void *arg)
{
	struct lab4_job *job = arg;

	while (!lab4_switched_out(job->poster))
		cpu_relax();
	lab4_job_consume(job);
	return 0;
}

/* The next online CPU after 'cpu' (itself at -smp 1). */
static int lab4_next_cpu(int cpu)
{
	int c, first = -1;

	for_each_online_cpu(c) {
		if (first < 0)
			first = c;
		if (c > cpu)
			return c;
	}
	return first;
}

int lab4_dev_last_status;

void lab4_dev_submit(struct lab4_job *job)
{
	struct task_struct *w;
	bool oopsed = false;

	job->poster = current;
	job->status = 0;
	if (lab4_refuse_atomic_sleep()) {
		job->status = -EBUSY;
		goto out;
	}
	job->worker_cpu = lab4_next_cpu(smp_processor_id());
	w = kthread_create_on_cpu(lab4_worker, job, job->worker_cpu, "lab4-worker");
	if (!w) {
		job->status = -ENOMEM;
		goto out;
	}
	wake_up_process(w);
	kthread_join_oopsed(w, &oopsed);
	if (oopsed)
		job->status = -EFAULT;
out:
	lab4_dev_last_status = job->status;
}
