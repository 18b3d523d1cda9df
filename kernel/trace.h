/* SPDX-License-Identifier: MIT */
/*
 * trace.h - trace=kmap: an event trace of the pool, the slots, the TLB
 * flushes and the scheduler, dumped at the end of the run (kernel/trace.c).
 *
 * A call site says what happened and three numbers about it:
 *
 *	trace_event(KMAP_MISS, slot, pfn, 0);
 *
 * Each CPU appends to its own buffer, with interrupts off for the few
 * instructions of the append: no lock, no CPU ever writes another's
 * buffer. A record is the TSC, the event, the running task's pid and the
 * three numbers. tools/trace.py turns the dump into a Perfetto/Chrome
 * JSON file and an SVG picture.
 *
 * Tracing exists only in the traced build (build/kernel-trace.elf,
 * compiled with -DCONFIG_KMAP_TRACE), as injections exist only in the
 * injection build (kernel/inject.h). In the kernel everyone runs and
 * benchmarks, trace_event() is an empty statement whose arguments are
 * never evaluated, so the fast paths are the same instructions as
 * without it (make bench, and `gdb -batch -ex 'disassemble kmap_high'`).
 *
 * What it costs in the traced build, counted by bench= under -icount
 * shift=0 (1 CPU): recording, about 57-60 instructions per event (a
 * kmap_local_page()/kunmap_local() pair 98 -> 217, a kmap() hit pair
 * 159 -> 274, the two switch hooks 46 -> 159; a task switch, which also
 * looks up the next task's name, about 85); not recording, 3 to 8 per
 * trace point (the pair 98 -> 111). A full buffer only counts drops,
 * which is cheaper: a bench= run that overflows it measures too little.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include "kernel/types.h"
#include "kernel/compiler.h"

/*
 * X(name, a, b, c): the events, with what their three numbers mean ("-"
 * for unused). The dump prints this table, so the host tool learns the
 * names from the same run it reads.
 */
#define TRACE_EVENTS(X)							\
	X(KMAP_HIT,	slot, pfn, -)		/* kmap(): page already had a slot */	\
	X(KMAP_MISS,	slot, pfn, -)		/* kmap(): a new slot for the page */	\
	X(KUNMAP,	slot, pfn, users)	/* kunmap(): users left after it */	\
	X(POOL_WRAP,	-, -, -)		/* the cursor went 511 -> 0 */		\
	X(FLUSH_START,	-, -, -)		/* the pool's global flush begins */	\
	X(FLUSH_END,	ipis, -, -)		/* ... ends; IPIs it sent */		\
	X(IPI_SEND,	to_cpu, -, -)		/* a TLB-flush IPI to to_cpu */		\
	X(IPI_RECV,	from_cpu, -, -)		/* a TLB-flush IPI answered */		\
	X(POOL_SLEEP,	pfn, -, -)		/* kmap() sleeps: the pool is full */	\
	X(POOL_WOKEN,	pfn, -, -)		/* ... and runs again */		\
	X(POOL_WAKEUP,	slot, -, -)		/* kunmap() wakes the sleepers */	\
	X(LOCAL_MAP,	pos, pfn, -)		/* kmap_local: position pos mapped */	\
	X(LOCAL_UNMAP,	pos, pfn, -)		/* kunmap_local: position pos freed */	\
	X(LOCAL_SAVE,	n, -, -)		/* switch-out took n slots off */	\
	X(LOCAL_RESTORE, n, -, -)		/* switch-in put n slots back */	\
	X(LOCAL_UNWIND,	to_pos, n, -)		/* exit/IRQ cleanup undid n maps */	\
	X(SWITCH,	prev, next, prev_state)	/* a task switch on this CPU */		\
	X(MIGRATE,	pid, from_cpu, to_cpu)	/* a task moved between run queues */	\
	X(IRQ_ENTRY,	vector, -, -)						\
	X(IRQ_EXIT,	vector, -, -)

/* 16384 records (512 KiB) per CPU: a test=kmap,kmap_local run at 4 CPUs
 * records about 3000 on its busiest CPU; an idle CPU, two a timer tick
 * (its interrupt's entry and exit). */
#define TRACE_PER_CPU	16384

enum trace_event_id {
	TR_NONE,
#define __TR_ENUM(n, a, b, c) TR_##n,
	TRACE_EVENTS(__TR_ENUM)
#undef __TR_ENUM
	TR_COUNT
};

struct task_struct;

#ifdef CONFIG_KMAP_TRACE
extern bool trace_recording;
void __trace_event(enum trace_event_id id, u32 a, u32 b, u32 c);
void __trace_task_name(const struct task_struct *p);

/* Recording or not, a call site costs a load and a branch. */
#define trace_active()	unlikely(READ_ONCE(trace_recording))
#define trace_event(id, a, b, c) do {					\
	if (trace_active())						\
		__trace_event(TR_##id, (u32)(a), (u32)(b), (u32)(c));	\
} while (0)
/* The switch also remembers next's name, for the dump's task table. */
#define trace_switch(prev, next) do {					\
	if (trace_active()) {						\
		__trace_task_name(next);				\
		__trace_event(TR_SWITCH, (u32)(prev)->pid, (u32)(next)->pid, \
			      (u32)(prev)->state);			\
	}								\
} while (0)
#else
/* Not even evaluated: no load, no branch, no register kept alive. */
#define trace_active()			0
#define trace_event(id, a, b, c)	do { } while (0)
#define trace_switch(prev, next)	do { } while (0)
#endif

/*
 * Boot and end of run (kernel/main.c): trace_init() once the page
 * allocator is up (or, in the ordinary kernel, say that trace= needs the
 * traced build); trace_stop() before the end-of-run counters are printed,
 * so both describe the same events; trace_dump() prints the buffers if
 * trace=kmap asked for them.
 *
 * The monitor's `trace` command (kernel/monitor_sys.c) uses the rest:
 * trace_start()/trace_stop(); trace_sync() waits until no CPU is still
 * inside an append it began before trace_stop(); trace_clear() (stopped
 * and synced first) empties the buffers; trace_print() dumps them
 * whatever the command line said; trace_records() counts them.
 * In the ordinary kernel trace_built() is false and these do nothing.
 */
void trace_init(void);
void trace_start(void);
void trace_stop(void);
void trace_sync(void);
void trace_clear(void);
void trace_dump(void);
void trace_print(void);
u32 trace_records(int cpu, u32 *dropped);

static inline bool trace_built(void)
{
#ifdef CONFIG_KMAP_TRACE
	return true;
#else
	return false;
#endif
}
static inline bool trace_is_recording(void)
{
	return trace_active();
}

#endif
