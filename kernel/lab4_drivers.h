/* SPDX-License-Identifier: MIT */
/*
 * lab4_drivers.h - five small "drivers" written against kmap() and
 * kmap_atomic(), for lab 4 (labs/lab4.md) to convert to kmap_local_page().
 *
 * Each one stands for a kind of call site found in Linux's tree, and each
 * relied on something its old API did without saying so:
 *
 *   lab4_page_checksum()  kmap_atomic  its per-CPU bounce buffer was its
 *                                      own only because preemption was off
 *   lab4_fill_record()    kmap_atomic  a missing source page made the copy
 *                                      return short at once (faults off)
 *   lab4_walk_records()   kmap         sleeps in the middle of the walk
 *   lab4_copy_record()    kmap         two maps, undone oldest first
 *   lab4_hand_off()       kmap         the address is read by another
 *                                      thread, on another CPU
 *
 * The drivers call lab4_probe() at fixed points of their sections. In
 * normal use it does nothing; the conversion_lab suite
 * (tests/kernel/conversion_lab_test.c) hooks it to see what the section
 * looks like from inside (preemption, page faults, the task's kmap_local
 * depth) and to bring a competing task onto the CPU at the worst moment.
 */
#ifndef KERNEL_LAB4_DRIVERS_H
#define KERNEL_LAB4_DRIVERS_H

#include "kernel/types.h"
#include "kernel/compiler.h"

struct page;
struct task_struct;

/* A record page starts with a header: the magic word, then a count. */
#define LAB4_MAGIC		0x4c616234u	/* "Lab4" */
#define LAB4_HDR_WORDS		4
#define LAB4_PAYLOAD_WORDS	256		/* checksummed after the header */
#define LAB4_REC_WAIT		0x80000000u	/* walk: wait for the device first */
#define LAB4_COPY_WORDS		(LAB4_HDR_WORDS + LAB4_PAYLOAD_WORDS)

/* The five drivers. */
u32 lab4_page_checksum(struct page *page);
unsigned long lab4_fill_record(struct page *page, const void *src, size_t len);
u32 lab4_walk_records(struct page *page);
void lab4_copy_record(struct page *dst, struct page *src);
u32 lab4_hand_off(struct page *page);

/* The checksum lab4_page_checksum() computes, from the words themselves. */
u32 lab4_checksum_words(const u32 *page_words);

/* ---- the "device" the drivers talk to (not part of the lab) ---- */

/* Wait for the device: sleeps a few milliseconds. Called where sleeping
 * is not allowed, it reports it (might_sleep()), counts it in
 * lab4_atomic_waits and returns at once instead of sleeping. */
void lab4_dev_wait(void);
extern unsigned long lab4_atomic_waits;

/*
 * A job for the device's worker: a thread on another CPU (the same one at
 * -smp 1) that runs the consumer, lab4_job_consume(), once the poster is
 * asleep waiting for it. lab4_dev_submit() returns when the worker is
 * done; status is -EFAULT if the consumer oopsed.
 */
struct lab4_job {
	struct page *page;		/* the page to read, */
	const u32 *addr;		/* ... or an address it is mapped at */
	u32 sum;			/* the consumer's result */
	int status;
	int worker_cpu;
	struct task_struct *poster;
};
void lab4_dev_submit(struct lab4_job *job);
/* The consumer (a lab 4 region); its last job's status. */
void lab4_job_consume(struct lab4_job *job);
extern int lab4_dev_last_status;

/* ---- the probe points ---- */

enum lab4_point {
	LAB4_CSUM_HEADER,	/* page_checksum: reading the header */
	LAB4_CSUM_BOUNCE,	/* ... the payload is in the bounce buffer */
	LAB4_FILL_HEADER,	/* fill_record: header written, before the copy */
	LAB4_FILL_DONE,		/* ... after the copy */
	LAB4_WALK_WAIT,		/* walk_records: about to wait for the device */
	LAB4_COPY_BOTH,		/* copy_record: both pages mapped */
	LAB4_HANDOFF_READ,	/* hand_off: the consumer, about to read */
	LAB4_NR_POINTS
};

extern void (*lab4_probe_hook)(enum lab4_point point);

static inline void lab4_probe(enum lab4_point point)
{
	void (*hook)(enum lab4_point) = READ_ONCE(lab4_probe_hook);

	if (hook)
		hook(point);
}

#endif
