/* SPDX-License-Identifier: MIT */
/*
 * kthread.c - creating kernel threads, and their end.
 *
 * A new thread gets a task_struct, a 16 KiB stack in the stack area, with
 * an unmapped guard page below it (mm/vmap_stack.h: an overflow is a
 * reported double fault, not silent corruption), and a first stack frame
 * laid out as if it had called __switch_to() itself, so the first switch
 * to it "returns" into ret_from_kthread:
 *
 *   stack top ->  +----------------------+
 *                 | ret_from_kthread     |  __switch_to's 'ret' goes here
 *                 | ebp = 0              |
 *                 | ebx, esi, edi = 0    |
 *   p->sp ------> +----------------------+
 *
 * Like Linux's kthread_create(), a new thread does not run until
 * wake_up_process() (kthread_run() does both).
 *
 * Rules enforced at exit: a thread must leave with no preemption,
 * migration or page-fault disabling in force and no kmap_local mappings;
 * each leftover is reported and undone, so one broken thread does not
 * break the CPU it ran on.
 */
#include "kernel/sched.h"
#include "kernel/sched_internal.h"
#include "kernel/wait.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/panic.h"
#include "mm/page_alloc.h"
#include "mm/kmap_local.h"
#include "mm/vmap_stack.h"

struct kthread {
	struct task_struct task;
	struct completion exited;	/* completed once it is off the CPU */
};

static LIST_HEAD(all_tasks);
static DEFINE_SPINLOCK(tasks_lock);
static int next_pid = 1;

extern void ret_from_kthread(void);

void task_list_add(struct task_struct *p)
{
	unsigned long flags;

	spin_lock_irqsave(&tasks_lock, flags);
	list_add_tail(&p->tasks, &all_tasks);
	spin_unlock_irqrestore(&tasks_lock, flags);
}

struct task_struct *kthread_create_on_cpu(int (*fn)(void *), void *data,
					  int cpu, const char *name)
{
	struct kthread *k = (void *)__get_free_pages(GFP_KERNEL, 0);
	struct task_struct *p;
	unsigned long *sp;

	BUILD_BUG_ON(sizeof(struct kthread) > PAGE_SIZE);
	if (!k)
		return NULL;
	memset(k, 0, sizeof(*k));
	p = &k->task;
	p->stack = vmap_stack_alloc();
	if (!p->stack) {
		free_pages((unsigned long)k, 0);
		return NULL;
	}
	init_completion(&k->exited);
	p->exit_done = &k->exited;
	p->threadfn = fn;
	p->data = data;
	p->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
	strlcpy(p->comm, name, sizeof(p->comm));
	p->state = TASK_UNINTERRUPTIBLE;	/* until wake_up_process() */
	p->migrate_to = -1;
	INIT_LIST_HEAD(&p->run_list);
	if (cpu >= 0) {
		p->cpu = cpu;
		p->cpus_allowed = cpumask_of(cpu);
	} else {
		p->cpu = smp_processor_id();
		p->cpus_allowed = CPU_MASK_ALL;
	}

	sp = (unsigned long *)((char *)p->stack + THREAD_SIZE);
	*--sp = (unsigned long)ret_from_kthread;
	*--sp = 0;	/* ebp */
	*--sp = 0;	/* ebx */
	*--sp = 0;	/* esi */
	*--sp = 0;	/* edi */
	p->sp = (unsigned long)sp;

	task_list_add(p);
	return p;
}

struct task_struct *kthread_create(int (*fn)(void *), void *data, const char *name)
{
	return kthread_create_on_cpu(fn, data, -1, name);
}

struct task_struct *kthread_run(int (*fn)(void *), void *data, const char *name)
{
	struct task_struct *p = kthread_create(fn, data, name);

	if (p)
		wake_up_process(p);
	return p;
}

/* Only before the thread first runs. */
void kthread_bind(struct task_struct *p, int cpu)
{
	p->cpu = cpu;
	p->cpus_allowed = cpumask_of(cpu);
}

/* The body of every kernel thread, entered from ret_from_kthread. */
void __noreturn kthread_main(void)
{
	struct task_struct *p = current;

	do_exit(p->threadfn(p->data));
}

void do_exit(int code)
{
	struct task_struct *p = current;

	if (p->pid == 0)
		panic("Attempted to kill the idle task!");
	if (irqs_disabled())
		local_irq_enable();
	if (unlikely(p->kmap_ctrl.idx))
		kmap_local_exit_check(p);
	/*
	 * Counts a thread left unbalanced, usually because an oops cut its
	 * section short. Say what each means, then reset it: the CPU (for
	 * the preempt count) and the task's exit path need them at 0.
	 */
	if (preempt_count()) {
		int pc = (int)preempt_count();

		if (pc > 0)
			printk(KERN_ERR "note: %s[%d] exited with preempt_count %d: %d preempt_disable() never undone; reset to 0\n",
			       p->comm, p->pid, pc, pc);
		else
			printk(KERN_ERR "note: %s[%d] exited with preempt_count %d: %d preempt_enable() more than preempt_disable() (after a report of sleeping in atomic context the count is reset to 1, so the section's own enable overshoots); reset to 0\n",
			       p->comm, p->pid, pc, -pc);
		this_cpu_write(__preempt_count, 0);
	}
	if (p->migration_disabled) {
		printk(KERN_ERR "note: %s[%d] exited with migration disabled (%d): %d migrate_disable() never matched by migrate_enable() (a kmap_local_page() cut short by an oops leaves one); cleared\n",
		       p->comm, p->pid, p->migration_disabled, p->migration_disabled);
		p->migration_disabled = 0;
	}
	if (p->pagefault_disabled) {
		printk(KERN_ERR "note: %s[%d] exited with page faults disabled (%d)\n",
		       p->comm, p->pid, p->pagefault_disabled);
		p->pagefault_disabled = 0;
	}
	p->exit_code = code;
	/*
	 * Interrupts stay off from here to the switch: a tick that preempted
	 * us between "dead" and schedule() would switch away with the state
	 * already TASK_DEAD, and the next task would free this stack and
	 * task while we are still queued to run on them.
	 */
	local_irq_disable();
	__atomic_exchange_n(&p->state, TASK_DEAD, __ATOMIC_SEQ_CST);
	schedule();
	panic("a dead task was scheduled");
}

/*
 * Called by the task that ran next, once the dead one is off the CPU
 * (preemption off, interrupts on: a stack that does not fit the cache is
 * flushed from every CPU's TLB before its pages are freed).
 */
void task_dead(struct task_struct *p)
{
	unsigned long flags;

	spin_lock_irqsave(&tasks_lock, flags);
	list_del_init(&p->tasks);
	spin_unlock_irqrestore(&tasks_lock, flags);
	vmap_stack_free(p->stack);
	p->stack = NULL;
	complete_all(p->exit_done);
}

int kthread_join_oopsed(struct task_struct *p, bool *oopsed)
{
	int code;

	wait_for_completion(p->exit_done);
	code = p->exit_code;
	if (oopsed)
		*oopsed = p->oopsed;
	free_pages((unsigned long)container_of(p, struct kthread, task), 0);
	return code;
}

int kthread_join(struct task_struct *p)
{
	return kthread_join_oopsed(p, NULL);
}

/* Call fn for every live task, under tasks_lock (fn must not sleep). */
void for_each_task(void (*fn)(struct task_struct *, void *), void *arg)
{
	struct task_struct *p;
	unsigned long flags;

	spin_lock_irqsave(&tasks_lock, flags);
	list_for_each_entry(p, &all_tasks, tasks)
		fn(p, arg);
	spin_unlock_irqrestore(&tasks_lock, flags);
}
