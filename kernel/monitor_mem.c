/* SPDX-License-Identifier: MIT */
/*
 * monitor_mem.c - the monitor's memory commands: zones and free lists,
 * the pkmap pool, the kmap_local slots, maps made by hand, raw reads and
 * writes, the page-table walk and TLB flushes.
 *
 * Maps the monitor makes are its own and it keeps count of them:
 *   kmap PFN     kmap() in the monitor's thread (init), which may sleep;
 *                kunmap PFN drops only a map the monitor made (dropping
 *                another holder's count would break the pool's invariant)
 *   local PFN    kmap_local_page() in "kmon_local", a thread of the
 *                monitor's that holds its maps while it sleeps, so its
 *                stack can be seen saved off the CPU (slots, tasks);
 *                unlocal undoes the top one, LIFO, and the thread ends
 *                with its last map
 *   atomic PFN   kmap_atomic(), read, kunmap_atomic(), all at once
 * Rules: kmap is refused when the pool has no free or idle slot (it would
 * sleep until a kunmap only this monitor could type); peek and poke go
 * through copy_{from,to}_kernel_nofault, so a bad address is an answer,
 * never an oops; no command here touches the kmap fast paths.
 */
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/sched.h"
#include "kernel/wait.h"
#include "mm/highmem.h"
#include "mm/kmap_stats.h"
#include "mm/kmap_local.h"
#include "mm/page_alloc.h"
#include "mm/memblock.h"
#include "mm/mm_init.h"
#include "mm/extable.h"
#include "mm/fault.h"
#include "arch/x86/tlb.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"

/* ---- helpers ---- */

static const char *const zone_label[MAX_NR_ZONES] = { "DMA", "Normal", "HighMem" };

/* "P RW G NX frame 0x1234000" for a PTE (or a PD/PDPT entry). */
static const char *pte_flags(u64 v, char *buf, size_t size)
{
	static const struct { u64 bit; const char *name; } bits[] = {
		{ _PAGE_PRESENT, "P" }, { _PAGE_RW, "RW" }, { _PAGE_USER, "US" },
		{ _PAGE_PWT, "PWT" }, { _PAGE_PCD, "PCD" }, { _PAGE_ACCESSED, "A" },
		{ _PAGE_DIRTY, "D" }, { _PAGE_PSE, "PS" }, { _PAGE_GLOBAL, "G" },
		{ _PAGE_NX, "NX" },
	};
	int n = 0;

	buf[0] = 0;
	if (!(v & _PAGE_PRESENT)) {
		snprintf(buf, size, "not present");
		return buf;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bits); i++)
		if (v & bits[i].bit)
			n += snprintf(buf + n, size - n, "%s ", bits[i].name);
	snprintf(buf + n, size - n, "frame 0x%llx", (unsigned long long)(v & PTE_PFN_MASK));
	return buf;
}

/* A pfn from argv, or an answer and false. RAM: in the memory map and
 * below max_pfn (the kernel's struct pages end there). */
static bool get_pfn(const char *cmd, const char *arg, unsigned long *pfn)
{
	u64 v;

	if (!mon_parse(arg, &v)) {
		mon_printf("%s: '%s' is not a number\n", cmd, arg);
		return false;
	}
	if (v >= max_pfn || !memblock_is_memory(PFN_PHYS(v))) {
		mon_printf("%s: %s is not a RAM pfn (RAM pfns are below 0x%lx)\n", cmd, arg, max_pfn);
		return false;
	}
	*pfn = (unsigned long)v;
	return true;
}

static bool get_va(const char *cmd, const char *arg, unsigned long *va)
{
	u64 v;

	if (!mon_parse(arg, &v) || v > 0xffffffffULL) {
		mon_printf("%s: '%s' is not a 32-bit address\n", cmd, arg);
		return false;
	}
	*va = (unsigned long)v;
	return true;
}

/* ---- meminfo, zones, free ---- */

static void cmd_meminfo(int argc, char **argv)
{
	show_meminfo();
}

static void cmd_zones(int argc, char **argv)
{
	mon_printf("zone     start pfn   end pfn     present   managed   free      (pages)\n");
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &zones[i];

		if (!populated_zone(z)) {
			mon_printf("%-8s (empty)\n", zone_label[i]);
			continue;
		}
		mon_printf("%-8s 0x%-9lx 0x%-9lx %-9lu %-9lu %-9lu\n", zone_label[i],
			   z->zone_start_pfn, zone_end_pfn(z), z->present_pages,
			   z->managed_pages, READ_ONCE(z->free_pages));
	}
	mon_printf("lowmem ends at pfn 0x%lx (high_memory %08lx); RAM ends at pfn 0x%lx\n",
		   max_low_pfn, high_memory, max_pfn);
}

static void cmd_free(int argc, char **argv)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "order   ");
	for (int o = 0; o < MAX_ORDER; o++)
		n += snprintf(line + n, sizeof(line) - n, "%7d", o);
	mon_printf("%s\n", line);
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &zones[i];
		unsigned long total = 0;

		if (!populated_zone(z))
			continue;
		n = snprintf(line, sizeof(line), "%-8s", zone_label[i]);
		for (int o = 0; o < MAX_ORDER; o++) {
			unsigned long nr = READ_ONCE(z->free_area[o].nr_free);

			total += nr << o;
			n += snprintf(line + n, sizeof(line) - n, "%7lu", nr);
		}
		mon_printf("%s  = %lu pages free\n", line, total);
	}
	mon_printf("(free blocks of 2^order pages per zone, as /proc/buddyinfo)\n");
}

/* ---- the pkmap pool ---- */

static void cmd_pkmap(int argc, char **argv)
{
	unsigned int cursor = pkmap_cursor();
	int nfree = 0, idle = 0, used = 0;

	if (argc == 2) {
		u64 nr;
		unsigned long va;
		pte_t pte;
		char fl[96];
		int count;

		if (!mon_parse(argv[1], &nr) || nr >= LAST_PKMAP) {
			mon_printf("pkmap: '%s' is not a slot (0..%d)\n", argv[1], LAST_PKMAP - 1);
			return;
		}
		va = PKMAP_ADDR((unsigned long)nr);
		pte = ptep_get(&pkmap_page_table[nr]);
		count = pkmap_slot_count(nr);
		mon_printf("pkmap slot %llu at %08lx: count %d (%s)\n", nr, va, count,
			   count == 0 ? "free" : count == 1 ? "idle: mapped, waits for a flush" :
			   "in use");
		mon_printf("  pte 0x%016llx: %s\n", (unsigned long long)pte_val(pte),
			   pte_flags(pte_val(pte), fl, sizeof(fl)));
		if (pte_present(pte))
			mon_printf("  page: pfn 0x%x, struct page %p, %d user%s\n", pte_pfn(pte),
				   pfn_to_page(pte_pfn(pte)), count > 1 ? count - 1 : 0,
				   count == 2 ? "" : "s");
		return;
	}
	mon_printf("pkmap pool, %d slots at %08lx: . free  i idle (needs a flush)  1-9 users  + 10 or more\n",
		   LAST_PKMAP, PKMAP_BASE);
	for (int row = 0; row < LAST_PKMAP / 64; row++) {
		char line[80];
		int n = snprintf(line, sizeof(line), "%3d ", row * 64);

		for (int i = row * 64; i < row * 64 + 64; i++) {
			int c = pkmap_slot_count(i);
			char ch = c == 0 ? '.' : c == 1 ? 'i' : c - 1 < 10 ? '0' + c - 1 : '+';

			nfree += c == 0;
			idle += c == 1;
			used += c >= 2;
			line[n++] = ch;
		}
		line[n] = 0;
		mon_printf("%s\n", line);
	}
	mon_printf("free %d, idle %d, in use %d; cursor %u; %lu wraps, %lu global flushes, %lu kmap calls\n",
		   nfree, idle, used, cursor, KMAP_STAT(wraps), KMAP_STAT(global_flushes),
		   KMAP_STAT(calls));
}

/* The monitor's own kmap()s: pfn and how many times it mapped it. */
#define MON_KMAPS 32
static struct { unsigned long pfn; int n; } held[MON_KMAPS];

int mon_kmaps_held(void)
{
	int n = 0;

	for (int i = 0; i < MON_KMAPS; i++)
		n += held[i].n;
	return n;
}

/*
 * For "tasks": every pool slot in use, with its users. The pool counts a
 * slot's users, not who they are (kmap() records no owner, as in Linux:
 * keeping one would cost the fast path), so only the monitor's own share
 * can be named; the rest is said to be unknown, not guessed.
 */
#define MON_POOL_LINES 24

void mon_show_pool_holdings(void)
{
	int used = 0, users = 0, shown = 0;

	for (int nr = 0; nr < LAST_PKMAP; nr++) {
		int c = pkmap_slot_count(nr);

		if (c >= 2) {
			used++;
			users += c - 1;
		}
	}
	mon_printf("pkmap holdings: %d slot%s in use, %d user%s; the pool counts users, not which tasks they are (kmap() keeps no owner), so only the monitor's own are named\n",
		   used, used == 1 ? "" : "s", users, users == 1 ? "" : "s");
	for (int nr = 0; nr < LAST_PKMAP; nr++) {
		pte_t pte = ptep_get(&pkmap_page_table[nr]);
		int c = pkmap_slot_count(nr), mine = 0;
		unsigned long pfn = pte_pfn(pte);

		if (c < 2)
			continue;
		if (shown++ == MON_POOL_LINES) {
			mon_printf("    ... (pkmap lists every slot)\n");
			break;
		}
		for (int i = 0; i < MON_KMAPS; i++)
			if (held[i].n && held[i].pfn == pfn)
				mine = held[i].n;
		if (mine)
			mon_printf("    slot %3d pfn 0x%lx: %d user%s: init[%d] (the monitor) %d%s\n", nr,
				   pfn, c - 1, c == 2 ? "" : "s", current->pid, mine,
				   c - 1 > mine ? ", the others not recorded" : "");
		else
			mon_printf("    slot %3d pfn 0x%lx: %d user%s, not recorded which\n", nr, pfn,
				   c - 1, c == 2 ? "" : "s");
	}
}

static int held_index(unsigned long pfn, bool make)
{
	int empty = -1;

	for (int i = 0; i < MON_KMAPS; i++) {
		if (held[i].n && held[i].pfn == pfn)
			return i;
		if (!held[i].n && empty < 0)
			empty = i;
	}
	if (make && empty >= 0)
		held[empty].pfn = pfn;
	return make ? empty : -1;
}

static void cmd_kmap(int argc, char **argv)
{
	struct page *page;
	unsigned long pfn, va;
	int slot, room = 0, i;

	if (!get_pfn("kmap", argv[1], &pfn))
		return;
	page = pfn_to_page(pfn);
	if (!PageHighMem(page)) {
		mon_printf("kmap: pfn 0x%lx is lowmem: kmap() returns its direct-map address %p and takes no slot\n",
			   pfn, lowmem_page_address(page));
		return;
	}
	for (i = 0; i < LAST_PKMAP; i++)
		room += pkmap_slot_count(i) <= 1;
	if (!room && !page_address(page)) {
		mon_printf("kmap: refused: all %d pkmap slots are in use, so kmap() would sleep until a kunmap() that only this monitor could type\n",
			   LAST_PKMAP);
		return;
	}
	i = held_index(pfn, true);
	if (i < 0) {
		mon_printf("kmap: refused: the monitor already holds %d maps; kunmap some first\n",
			   MON_KMAPS);
		return;
	}
	va = (unsigned long)kmap(page);
	held[i].n++;
	slot = PKMAP_NR(va);
	mon_printf("kmap: pfn 0x%lx -> %08lx, pkmap slot %d, count %d (%d user%s)\n", pfn, va,
		   slot, pkmap_slot_count(slot), pkmap_slot_count(slot) - 1,
		   pkmap_slot_count(slot) == 2 ? "" : "s");
}

static void cmd_kunmap(int argc, char **argv)
{
	unsigned long pfn, va;
	int i, slot, c;

	if (!get_pfn("kunmap", argv[1], &pfn))
		return;
	i = held_index(pfn, false);
	if (i < 0) {
		mon_printf("kunmap: pfn 0x%lx is not kmapped by the monitor (dropping another holder's count would break the pool)\n",
			   pfn);
		return;
	}
	va = (unsigned long)page_address(pfn_to_page(pfn));
	kunmap(pfn_to_page(pfn));
	held[i].n--;
	slot = PKMAP_NR(va);
	c = pkmap_slot_count(slot);
	mon_printf("kunmap: pfn 0x%lx, pkmap slot %d count now %d (%s)\n", pfn, slot, c,
		   c == 1 ? "idle: still mapped until the next global flush" :
		   c == 0 ? "free" : "still in use");
}

/* ---- kmon_local: a thread that holds kmap_local maps for the monitor ---- */

enum { LOCAL_MAP = 1, LOCAL_UNMAP };
#define MAX_LOCALS 8

static struct task_struct *local_task;
static int local_cpu = -1;
static DECLARE_WAIT_QUEUE_HEAD(local_wait);
static struct {
	int op;				/* 0: nothing asked */
	unsigned long pfn;
	struct completion *done;
} local_req;
static struct { unsigned long va, pfn; } locals[MAX_LOCALS];
static int nr_locals;

int mon_locals_held(void)
{
	return nr_locals;
}

int mon_local_cpu(void)
{
	return local_task ? local_cpu : -1;
}

static int kmon_local(void *unused)
{
	for (;;) {
		struct completion *done;

		wait_event(local_wait, READ_ONCE(local_req.op) != 0);
		if (local_req.op == LOCAL_MAP) {
			void *va = kmap_local_page(pfn_to_page(local_req.pfn));

			locals[nr_locals].va = (unsigned long)va;
			locals[nr_locals].pfn = local_req.pfn;
			nr_locals++;
		} else {
			kunmap_local((void *)locals[--nr_locals].va);
		}
		done = local_req.done;
		WRITE_ONCE(local_req.op, 0);
		complete(done);
		if (!nr_locals)
			return 0;
	}
}

/* Ask kmon_local for one operation; false if it did not answer in 2 s. */
static bool local_ask(int op, unsigned long pfn)
{
	DECLARE_COMPLETION(done);

	local_req.pfn = pfn;
	local_req.done = &done;
	WRITE_ONCE(local_req.op, op);
	wake_up(&local_wait);
	return wait_for_completion_timeout(&done, 2 * HZ) > 0;
}

static void cmd_local(int argc, char **argv)
{
	unsigned long pfn;
	u64 cpu = 0;
	struct page *page;

	if (!get_pfn("local", argv[1], &pfn))
		return;
	if (argc == 3 && (!mon_parse(argv[2], &cpu) || cpu >= NR_CPUS || !cpu_online(cpu))) {
		mon_printf("local: '%s' is not an online CPU (0..%d)\n", argv[2],
			   num_online_cpus() - 1);
		return;
	}
	if (argc < 3)
		cpu = local_task ? (u64)local_cpu : 0;
	page = pfn_to_page(pfn);
	if (!PageHighMem(page) && !kmap_local_force_map) {
		mon_printf("local: pfn 0x%lx is lowmem: kmap_local_page() returns its direct-map address %p and takes no slot\n",
			   pfn, lowmem_page_address(page));
		return;
	}
	if (local_task && (int)cpu != local_cpu) {
		mon_printf("local: refused: kmon_local holds %d map%s on CPU%d and may not migrate while it does; unlocal first\n",
			   nr_locals, nr_locals == 1 ? "" : "s", local_cpu);
		return;
	}
	if (nr_locals == MAX_LOCALS || nr_locals >= km_max_idx - 1) {
		mon_printf("local: refused: kmon_local already holds %d maps (the monitor keeps it below the %d slots of a CPU)\n",
			   nr_locals, km_max_idx);
		return;
	}
	if (!local_task) {
		local_task = kthread_create_on_cpu(kmon_local, NULL, (int)cpu, "kmon_local");
		if (!local_task) {
			mon_printf("local: no memory for the kmon_local thread\n");
			return;
		}
		local_cpu = (int)cpu;
		wake_up_process(local_task);
	}
	if (!local_ask(LOCAL_MAP, pfn)) {
		mon_printf("local: kmon_local did not answer within 2 s\n");
		return;
	}
	mon_printf("local: kmon_local[%d] on CPU%d: pfn 0x%lx -> %08lx, position %d\n",
		   local_task->pid, local_cpu, pfn, locals[nr_locals - 1].va, nr_locals - 1);
}

static void cmd_unlocal(int argc, char **argv)
{
	unsigned long va, pfn;
	int pid;

	if (!local_task) {
		mon_printf("unlocal: kmon_local holds no maps\n");
		return;
	}
	va = locals[nr_locals - 1].va;
	pfn = locals[nr_locals - 1].pfn;
	pid = local_task->pid;
	if (!local_ask(LOCAL_UNMAP, 0)) {
		mon_printf("unlocal: kmon_local did not answer within 2 s\n");
		return;
	}
	mon_printf("unlocal: kmon_local[%d] on CPU%d unmapped %08lx (pfn 0x%lx); %d left%s\n",
		   pid, local_cpu, va, pfn, nr_locals, nr_locals ? "" : ", so it exits");
	if (!nr_locals) {
		kthread_join(local_task);
		local_task = NULL;
		local_cpu = -1;
	}
}

static void cmd_atomic(int argc, char **argv)
{
	unsigned long pfn, va;
	u8 bytes[8];
	pte_t pte = __pte(0);
	int cpu;

	if (!get_pfn("atomic", argv[1], &pfn))
		return;
	va = (unsigned long)kmap_atomic(pfn_to_page(pfn));
	cpu = smp_processor_id();
	if (lookup_kernel_pte(va))
		pte = ptep_get(lookup_kernel_pte(va));
	memcpy(bytes, (void *)va, sizeof(bytes));
	kunmap_atomic((void *)va);
	mon_printf("atomic: pfn 0x%lx -> %08lx on CPU%d, pte 0x%016llx; first bytes %02x %02x %02x %02x %02x %02x %02x %02x; unmapped\n",
		   pfn, va, cpu, (unsigned long long)pte_val(pte), bytes[0], bytes[1], bytes[2],
		   bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
}

/* ---- slots ---- */

struct slot_walk {
	int cpu;
	int found;
};

static void show_saved(struct task_struct *p, void *arg)
{
	struct slot_walk *w = arg;

	if (p->cpu != w->cpu || !p->kmap_ctrl.idx || cpu_rq(w->cpu)->curr == p)
		return;
	for (int i = 0; i < p->kmap_ctrl.idx; i++) {
		pte_t pte = p->kmap_ctrl.pteval[i];

		mon_printf("    saved off the CPU: %s[%d] position %d va %08lx pte 0x%016llx pfn 0x%x\n",
			   p->comm, p->pid, i, kmap_local_slot_addr(w->cpu, i),
			   (unsigned long long)pte_val(pte), pte_pfn(pte));
	}
	w->found++;
}

static void show_slots(int cpu)
{
	struct task_struct *curr = READ_ONCE(cpu_rq(cpu)->curr);
	struct slot_walk w = { cpu, 0 };
	int live = 0;

	mon_printf("CPU%d: %d slots from %08lx down; running %s[%d], kmap_local depth %d\n", cpu,
		   km_max_idx, kmap_local_slot_addr(cpu, 0), curr->comm, curr->pid,
		   curr->kmap_ctrl.idx);
	for (int i = 0; i < km_max_idx; i++) {
		unsigned long va = kmap_local_slot_addr(cpu, i);
		pte_t *ptep = lookup_kernel_pte(va);
		pte_t pte = ptep ? ptep_get(ptep) : __pte(0);

		if (pte_none(pte))
			continue;
		live++;
		mon_printf("    slot %d va %08lx pte 0x%016llx pfn 0x%x%s\n", i, va,
			   (unsigned long long)pte_val(pte), pte_pfn(pte),
			   i < curr->kmap_ctrl.idx ? " (the running task's)" : "");
	}
	if (!live)
		mon_printf("    no slot mapped on the CPU\n");
	for_each_task(show_saved, &w);
}

static void cmd_slots(int argc, char **argv)
{
	u64 cpu;
	int c;

	if (argc == 2) {
		if (!mon_parse(argv[1], &cpu) || cpu >= NR_CPUS || !cpu_online(cpu)) {
			mon_printf("slots: '%s' is not an online CPU (0..%d)\n", argv[1],
				   num_online_cpus() - 1);
			return;
		}
		show_slots((int)cpu);
		return;
	}
	for_each_online_cpu(c)
		show_slots(c);
}

/* ---- peek, poke ---- */

static void say_fault(const char *cmd, unsigned long va, long err)
{
	char where[96];

	if (err == -ERANGE) {
		mon_printf("%s: %08lx is below PAGE_OFFSET (user space): the monitor reads and writes kernel addresses only\n",
			   cmd, va);
		return;
	}
	describe_kernel_address(va, where, sizeof(where));
	mon_printf("%s: %08lx faulted (%s); nothing %s\n", cmd, va, where,
		   cmd[1] == 'e' ? "read" : "written");
}

static void cmd_peek(int argc, char **argv)
{
	unsigned long va;
	u64 n = 16;
	u8 buf[256];
	long err;

	if (!get_va("peek", argv[1], &va))
		return;
	if (argc == 3 && (!mon_parse(argv[2], &n) || n == 0 || n > sizeof(buf))) {
		mon_printf("peek: '%s' is not a length (1..%u)\n", argv[2], (unsigned)sizeof(buf));
		return;
	}
	if (va + n - 1 < va) {
		mon_printf("peek: %08lx + %llu wraps past 4 GiB\n", va, n);
		return;
	}
	err = copy_from_kernel_nofault(buf, (void *)va, n);
	if (err) {
		say_fault("peek", va, err);
		return;
	}
	for (u64 off = 0; off < n; off += 16) {
		char line[100];
		int len = snprintf(line, sizeof(line), "%08lx:", va + (unsigned long)off);

		for (u64 i = off; i < off + 16; i++)
			len += i < n ? snprintf(line + len, sizeof(line) - len, " %02x", buf[i]) :
				       snprintf(line + len, sizeof(line) - len, "   ");
		len += snprintf(line + len, sizeof(line) - len, "  |");
		for (u64 i = off; i < off + 16 && i < n; i++)
			line[len++] = buf[i] >= ' ' && buf[i] < 0x7f ? buf[i] : '.';
		line[len] = 0;
		mon_printf("%s|\n", line);
	}
}

static void cmd_poke(int argc, char **argv)
{
	unsigned long va;
	u64 v;
	u32 val, old;
	long err;

	if (!get_va("poke", argv[1], &va))
		return;
	if (!mon_parse(argv[2], &v) || v > 0xffffffffULL) {
		mon_printf("poke: '%s' is not a 32-bit value\n", argv[2]);
		return;
	}
	val = (u32)v;
	err = copy_from_kernel_nofault(&old, (void *)va, sizeof(old));
	if (!err)
		err = copy_to_kernel_nofault((void *)va, &val, sizeof(val));
	if (err) {
		say_fault("poke", va, err);
		return;
	}
	mon_printf("poke: %08lx <- 0x%08x (was 0x%08x)\n", va, val, old);
}

/* ---- pte, tlbflush ---- */

static void cmd_pte(int argc, char **argv)
{
	unsigned long va;
	u64 e, table;
	char fl[96], where[96];
	u32 cr3 = read_cr3();

	if (!get_va("pte", argv[1], &va))
		return;
	describe_kernel_address(va, where, sizeof(where));
	mon_printf("pte %08lx: %s; CR3 = 0x%08x\n", va, where, cr3);
	table = cr3 & ~0x1fULL;
	e = ((u64 *)__va(table))[va >> 30];
	mon_printf("  PDPTE[%lu] = 0x%016llx: %s\n", va >> 30, e, pte_flags(e, fl, sizeof(fl)));
	if (!(e & _PAGE_PRESENT))
		return;
	table = e & PTE_PFN_MASK;
	if (table >= PFN_PHYS(max_low_pfn)) {
		mon_printf("  the page directory is not in lowmem: not walked\n");
		return;
	}
	e = ((u64 *)__va(table))[pmd_index(va)];
	mon_printf("  PDE[%lu] = 0x%016llx: %s\n", pmd_index(va), e, pte_flags(e, fl, sizeof(fl)));
	if (!(e & _PAGE_PRESENT))
		return;
	if (e & _PAGE_PSE) {
		mon_printf("  a 2 MiB page: physical 0x%llx\n",
			   (e & PTE_PFN_MASK & ~0x1fffffULL) + (va & 0x1fffff));
		return;
	}
	table = e & PTE_PFN_MASK;
	if (table >= PFN_PHYS(max_low_pfn)) {
		mon_printf("  the page table is not in lowmem: not walked\n");
		return;
	}
	e = ((u64 *)__va(table))[pte_index(va)];
	mon_printf("  PTE[%lu] = 0x%016llx: %s\n", pte_index(va), e, pte_flags(e, fl, sizeof(fl)));
	if (e & _PAGE_PRESENT)
		mon_printf("  -> physical 0x%llx (pfn 0x%llx)\n", (e & PTE_PFN_MASK) + (va & 0xfff),
			   (e & PTE_PFN_MASK) >> PAGE_SHIFT);
}

static void cmd_tlbflush(int argc, char **argv)
{
	unsigned long va, ipis = tlb_flush_ipis_sent();

	if (argc == 2) {
		if (!get_va("tlbflush", argv[1], &va))
			return;
		va &= PAGE_MASK;
		flush_tlb_kernel_range(va, va + PAGE_SIZE);
		mon_printf("tlbflush: INVLPG %08lx on every online CPU (%lu IPIs)\n", va,
			   tlb_flush_ipis_sent() - ipis);
		return;
	}
	flush_tlb_all();
	mon_printf("tlbflush: the whole TLB, globals included, on every online CPU (%lu IPIs)\n",
		   tlb_flush_ipis_sent() - ipis);
}

/* ---- pages of the monitor's own ---- */

#define MON_PAGES 16
static unsigned long own_pages[MON_PAGES];

static void cmd_alloc(int argc, char **argv)
{
	bool high = argc == 1 || !strcmp(argv[1], "high");
	struct page *page;
	int i;

	if (argc == 2 && !high && strcmp(argv[1], "low")) {
		mon_printf("alloc: '%s' is neither high nor low\n", argv[1]);
		return;
	}
	for (i = 0; i < MON_PAGES && own_pages[i]; i++)
		;
	if (i == MON_PAGES) {
		mon_printf("alloc: refused: the monitor already holds %d pages; release some\n",
			   MON_PAGES);
		return;
	}
	page = alloc_page(high ? GFP_HIGHUSER : GFP_KERNEL);
	if (!page) {
		mon_printf("alloc: no free page\n");
		return;
	}
	own_pages[i] = page_to_pfn(page);
	mon_printf("alloc: pfn 0x%lx (%s)\n", own_pages[i],
		   zone_label[pfn_zone_idx(own_pages[i])]);
}

static void cmd_release(int argc, char **argv)
{
	unsigned long pfn;

	if (!get_pfn("release", argv[1], &pfn))
		return;
	for (int i = 0; i < MON_PAGES; i++)
		if (own_pages[i] == pfn) {
			if (held_index(pfn, false) >= 0) {
				mon_printf("release: refused: pfn 0x%lx is still kmapped by the monitor\n",
					   pfn);
				return;
			}
			for (int j = 0; j < nr_locals; j++)
				if (locals[j].pfn == pfn) {
					mon_printf("release: refused: pfn 0x%lx is still mapped by kmon_local\n",
						   pfn);
					return;
				}
			__free_page(pfn_to_page(pfn));
			own_pages[i] = 0;
			mon_printf("release: pfn 0x%lx is free again\n", pfn);
			return;
		}
	mon_printf("release: pfn 0x%lx was not allocated by the monitor\n", pfn);
}

const struct mon_cmd mon_mem_cmds[] = {
	{ "meminfo", "", "memory totals (/proc/meminfo)", 0, 0, cmd_meminfo },
	{ "zones", "", "the zones: pfn ranges, present, managed, free", 0, 0, cmd_zones },
	{ "free", "", "the buddy free lists per zone and order", 0, 0, cmd_free },
	{ "pkmap", "[N]", "the 512 pool slots as a grid; N: slot N's PTE and page", 0, 1, cmd_pkmap },
	{ "slots", "[CPU]", "kmap_local slots of each CPU, and stacks saved off it", 0, 1, cmd_slots },
	{ "alloc", "[high|low]", "allocate a page for the monitor (default high)", 0, 1, cmd_alloc },
	{ "release", "PFN", "free a page alloc gave", 1, 1, cmd_release },
	{ "kmap", "PFN", "kmap() the page in the monitor's thread", 1, 1, cmd_kmap },
	{ "kunmap", "PFN", "kunmap() a page the monitor kmapped", 1, 1, cmd_kunmap },
	{ "local", "PFN [CPU]", "kmon_local (on CPU) maps the page with kmap_local_page()", 1, 2, cmd_local },
	{ "unlocal", "", "kmon_local undoes its newest local map", 0, 0, cmd_unlocal },
	{ "atomic", "PFN", "kmap_atomic(), read 8 bytes, kunmap_atomic()", 1, 1, cmd_atomic },
	{ "peek", "VA [N]", "read N bytes (default 16, at most 256), fault-safe", 1, 2, cmd_peek },
	{ "poke", "VA VAL", "write a 32-bit value, fault-safe", 2, 2, cmd_poke },
	{ "pte", "VA", "walk PDPT -> PD -> PT for VA, entries decoded", 1, 1, cmd_pte },
	{ "tlbflush", "[VA]", "flush VA (or everything) from every CPU's TLB", 0, 1, cmd_tlbflush },
	{ NULL }
};
