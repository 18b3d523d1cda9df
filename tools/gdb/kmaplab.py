# SPDX-License-Identifier: MIT
# kmaplab.py - gdb commands that know kmaplab's structures.
#
# Loaded by `make debug` (gdb -x tools/gdb/kmaplab.py), or by hand with
# `source tools/gdb/kmaplab.py`. QEMU's gdb stub shows each CPU as a
# thread (CPU n is gdb thread n + 1); every command below reads the
# kernel's memory while all CPUs are stopped:
#
#   kl-dmesg [N]          the printk log ring (its last N lines)
#   kl-ps                 every task: pid, CPU, state, counts, local maps
#   kl-current [CPU]      the task running on CPU (default: the selected one)
#   kl-per-cpu VAR CPU    CPU's copy of a DEFINE_PER_CPU variable
#   kl-pkmap              the kmap() pool: slots in use, the cursor
#   kl-slots [CPU]        kmap_local slots: PTE, page, whose position
#   kl-pte VA             the PAE walk CR3 -> PDPT -> PD -> PT, decoded
#   kl-kmap-stack TASK    a task's saved kmap_local positions (pteval[])
#
# Why the commands are needed: a per-CPU variable such as current_task is
# only a template at its link address (`p current_task` shows the boot
# value, "swapper/0"); CPU n's copy lives __per_cpu_offset[n] bytes
# further (arch/x86/percpu.h). And gdb reads memory by virtual address
# through the stopped CPU's page tables, so page-table entries, which hold
# physical addresses, are read through the direct map (__va(pa) =
# pa + PAGE_OFFSET below 896 MiB) or, above that, through QEMU's monitor
# (`monitor xp`), which reads guest physical memory.

import re
import struct

import gdb

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_OFFSET = 0xC0000000
MAXMEM = 0x38000000                 # lowmem: physical 0 .. 896 MiB
PKMAP_BASE = 0xFFC00000
LAST_PKMAP = 512
FIXADDR_TOP = 0xFFFFF000
FIX_KMAP_BEGIN = 1                  # mm/memlayout.h: after FIX_HOLE
PHYS_MASK = 0x000FFFFFFFFFF000      # frame bits of a PAE entry

TASK_STATES = [(0x0001, "S"), (0x0002, "D"), (0x0040, "P"), (0x0080, "X")]

# PAE entry bits, in the order they are printed.
PTE_BITS = [(0, "P"), (1, "RW"), (2, "US"), (3, "PWT"), (4, "PCD"),
            (5, "A"), (6, "D"), (7, "PS"), (8, "G"), (63, "NX")]


# ---------------------------------------------------------------- memory

def inferior():
    return gdb.selected_inferior()


def read_u32(addr):
    return struct.unpack("<I", bytes(inferior().read_memory(addr, 4)))[0]


def read_u64(addr):
    return struct.unpack("<Q", bytes(inferior().read_memory(addr, 8)))[0]


def read_phys_u64(phys):
    """A 64-bit word of guest physical memory."""
    if phys + 8 <= MAXMEM:
        return read_u64(phys + PAGE_OFFSET)        # through the direct map
    out = gdb.execute(f"monitor xp /gx {phys:#x}", to_string=True)
    m = re.search(r":\s*(0x[0-9a-fA-F]+)", out)
    if not m:
        raise gdb.GdbError(f"cannot read physical {phys:#x}: {out.strip()}")
    return int(m.group(1), 16)


def symbol(name):
    """A global or file-static variable as a gdb.Value."""
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if sym is None:
        raise gdb.GdbError(f"no symbol {name} in the kernel (is kernel.elf loaded?)")
    return sym.value()


def addr_of(value):
    return int(value.address.cast(gdb.lookup_type("unsigned long")))


def as_int(value):
    return int(value.cast(gdb.lookup_type("long long")))


def cstring(chars):
    """A char array (such as task->comm) as a Python string."""
    raw = bytes(inferior().read_memory(addr_of(chars), chars.type.sizeof))
    return raw.split(b"\0", 1)[0].decode(errors="replace")


# ---------------------------------------------------------------- per-CPU

def online_cpus():
    bits = as_int(symbol("cpu_online_mask")["bits"]) or 1
    return [cpu for cpu in range(32) if bits >> cpu & 1]


def per_cpu_offset(cpu):
    return as_int(symbol("__per_cpu_offset")[cpu]) & 0xFFFFFFFF


def per_cpu(name, cpu):
    """CPU's copy of the per-CPU variable 'name' (a gdb.Value)."""
    var = symbol(name)
    addr = (addr_of(var) + per_cpu_offset(cpu)) & 0xFFFFFFFF
    return gdb.Value(addr).cast(var.type.pointer()).dereference()


def selected_cpu():
    """The CPU of gdb's selected thread (QEMU: thread n+1 is CPU n)."""
    thread = gdb.selected_thread()
    if thread is None:
        raise gdb.GdbError("no CPU selected: is gdb attached to QEMU?")
    return thread.num - 1


def parse_cpu(arg, default):
    arg = arg.strip()
    if not arg:
        return default
    try:
        cpu = int(gdb.parse_and_eval(arg))
    except gdb.error as e:
        raise gdb.GdbError(f"not a CPU number: {arg} ({e})")
    if cpu not in online_cpus():
        raise gdb.GdbError(f"CPU {cpu} is not online (online: {online_cpus()})")
    return cpu


# ---------------------------------------------------------------- tasks

def task_ptr_type():
    return gdb.lookup_type("struct task_struct").pointer()


def all_tasks():
    """Every task on the all-tasks list (kernel/kthread.c), in list order."""
    head = symbol("all_tasks")
    head_addr = addr_of(head)
    offset = next(f.bitpos // 8 for f in gdb.lookup_type("struct task_struct").fields()
                  if f.name == "tasks")
    tasks, node = [], as_int(head["next"]) & 0xFFFFFFFF
    while node != head_addr and len(tasks) < 10000:
        task = gdb.Value(node - offset).cast(task_ptr_type())
        tasks.append(task)
        node = as_int(task["tasks"]["next"]) & 0xFFFFFFFF
    return tasks


def current_of(cpu):
    return per_cpu("current_task", cpu)


def task_name(task):
    return f"{cstring(task['comm'])}[{int(task['pid'])}]"


def task_state(task):
    state = as_int(task["state"])
    if state == 0:
        return "R"
    for bit, letter in TASK_STATES:
        if state & bit:
            return letter
    return "?"


def find_task(arg):
    """A task by pid, by name, or by an expression giving its address."""
    arg = arg.strip()
    if not arg:
        raise gdb.GdbError("which task? give a pid, a name or a task_struct pointer")
    tasks = all_tasks()
    if arg.isdigit():
        found = [t for t in tasks if int(t["pid"]) == int(arg)]
    else:
        found = [t for t in tasks if cstring(t["comm"]) == arg]
    if len(found) > 1:
        raise gdb.GdbError(f"{len(found)} tasks match {arg}: "
                           + ", ".join(f"{task_name(t)} at {as_int(t):#x}" for t in found)
                           + "; give the address")
    if found:
        return found[0]
    try:
        return gdb.parse_and_eval(arg).cast(task_ptr_type())
    except gdb.error:
        raise gdb.GdbError(f"no task {arg} (kl-ps lists them)")


# ---------------------------------------------------------------- PTEs

def pte_flags(val):
    return " ".join(name for bit, name in PTE_BITS if val >> bit & 1)


def pte_text(val):
    if val == 0:
        return "none"
    if not val & 1:
        return f"{val:#018x} (not present)"
    return f"{val:#018x} pfn {(val & PHYS_MASK) >> PAGE_SHIFT:#x} {pte_flags(val)}"


def km_geometry():
    return as_int(symbol("km_max_idx")), as_int(symbol("km_incr"))


def slot_va(cpu, pos, km_max_idx):
    return FIXADDR_TOP - ((FIX_KMAP_BEGIN + pos + km_max_idx * cpu) << PAGE_SHIFT)


def region_of(va):
    """Which part of kmaplab's address space va lies in (mm/memlayout.h)."""
    km_max_idx, _ = km_geometry()
    if va < PAGE_OFFSET:
        return "user space (unused)"
    if va < PAGE_OFFSET + MAXMEM:
        return f"lowmem: the direct map of physical {va - PAGE_OFFSET:#x}"
    if PKMAP_BASE <= va < PKMAP_BASE + LAST_PKMAP * PAGE_SIZE:
        return f"pkmap slot {(va - PKMAP_BASE) >> PAGE_SHIFT}"
    if va >= FIXADDR_TOP:
        return "fixmap FIX_HOLE (never mapped)"
    index = (FIXADDR_TOP - (va & ~(PAGE_SIZE - 1))) >> PAGE_SHIFT
    slots_per_cpu = 33                              # KM_SLOTS_PER_CPU
    if FIX_KMAP_BEGIN <= index < FIX_KMAP_BEGIN + slots_per_cpu * 8:
        slot = index - FIX_KMAP_BEGIN
        return f"kmap_local slot {slot}: CPU {slot // km_max_idx} position {slot % km_max_idx}"
    if va >= 0xF8800000 and va < 0xFFBFE000:
        return "vmalloc area (kernel stacks, demand region)"
    return "fixmap (devices, scratch, early_memremap)"


# ---------------------------------------------------------------- commands

class Command(gdb.Command):
    """Base: one line of help per command, listed by the banner."""
    summary = ""

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA)


class Dmesg(Command):
    """kl-dmesg [N]: the kernel's log ring (kernel/printk.c), or its last N lines."""
    summary = "the printk log ring (its last N lines)"

    def invoke(self, arg, from_tty):
        ring = symbol("log_ring")
        size = ring.type.sizeof
        head = as_int(symbol("log_head"))
        start = max(0, head - size)
        raw = bytes(inferior().read_memory(addr_of(ring), size))
        cut = head % size                           # oldest byte once wrapped
        data = raw[cut:] + raw[:cut] if start else raw[:head]
        text = data.decode(errors="replace")
        if start:                                   # drop the torn first line
            text = text.split("\n", 1)[-1]
        if arg.strip():
            text = "\n".join(text.splitlines()[-int(arg):])
        gdb.write(text if text.endswith("\n") else text + "\n")


class Ps(Command):
    """kl-ps: every task: pid, name, CPU, state, counts, kmap_local depth.

preempt is the CPU's count, shown for a running task only (a task that is
switched out left it at 1, schedule()'s own). migr and pf are the task's
migrate_disable() and pagefault_disable() depths; local is kmap_ctrl.idx."""
    summary = "tasks with CPU, state, preempt/migrate/pagefault counts"

    def invoke(self, arg, from_tty):
        running = {as_int(current_of(cpu)): cpu for cpu in online_cpus()}
        gdb.write(f"{'PID':>4}  {'COMM':<16} {'CPU':>3}  ST  {'RUN':<7} "
                  f"{'preempt':>7} {'migr':>4} {'pf':>3} {'local':>5}  TASK\n")
        for task in all_tasks():
            addr = as_int(task)
            cpu = int(task["cpu"])
            if addr in running:
                where = f"on {running[addr]}"
                preempt = f"{as_int(per_cpu('__preempt_count', running[addr])):#x}"
            else:
                where, preempt = "-", "-"
            gdb.write(f"{int(task['pid']):>4}  {cstring(task['comm']):<16} {cpu:>3}  "
                      f"{task_state(task):<2}  {where:<7} {preempt:>7} "
                      f"{int(task['migration_disabled']):>4} {int(task['pagefault_disabled']):>3} "
                      f"{int(task['kmap_ctrl']['idx']):>5}  {addr:#010x}\n")


class Current(Command):
    """kl-current [CPU]: the task running on CPU (default: gdb's selected thread).

Reads CPU's own copy of current_task, not the per-CPU template that
`p current_task` shows."""
    summary = "the task really running on CPU (default: the selected one)"

    def invoke(self, arg, from_tty):
        cpu = parse_cpu(arg, selected_cpu())
        task = current_of(cpu)
        gdb.write(f"CPU {cpu}: {task_name(task)} (struct task_struct *){as_int(task):#x}, "
                  f"state {task_state(task)}, preempt_count "
                  f"{as_int(per_cpu('__preempt_count', cpu)):#x}, "
                  f"kmap_local idx {int(task['kmap_ctrl']['idx'])}\n")


class PerCpu(Command):
    """kl-per-cpu VAR CPU: CPU's copy of the per-CPU variable VAR.

Example: kl-per-cpu runqueues 1, kl-per-cpu kmap_stats 0."""
    summary = "CPU's copy of a DEFINE_PER_CPU variable"

    def invoke(self, arg, from_tty):
        words = arg.split()
        if len(words) != 2:
            raise gdb.GdbError("usage: kl-per-cpu VAR CPU")
        cpu = parse_cpu(words[1], None)
        value = per_cpu(words[0], cpu)
        gdb.write(f"per_cpu({words[0]}, {cpu}) at {addr_of(value):#x} = {value.format_string()}\n")


class Pkmap(Command):
    """kl-pkmap: the kmap() pool (mm/highmem.c): each slot with a count, the cursor.

count 1: mapped but idle, freed by the next wrap's flush; count n >= 2:
n - 1 users. The page column is the page_address() hash node's page,
which must match the PTE's pfn (invariant I1)."""
    summary = "the kmap() pool: slots in use with count, page/pfn, vaddr; the cursor"

    def invoke(self, arg, from_tty):
        counts = symbol("pkmap_count")
        table = addr_of(symbol("pkmap_page_table"))
        nodes = symbol("page_address_maps")
        mem_map = as_int(symbol("mem_map"))
        page_size = gdb.lookup_type("struct page").sizeof
        cursor = as_int(symbol("last_pkmap_nr"))
        rows, users, idle = [], 0, 0
        for nr in range(LAST_PKMAP):
            count = int(counts[nr])
            if count == 0:
                continue
            pte = read_u64(table + 8 * nr)
            pfn = (pte & PHYS_MASK) >> PAGE_SHIFT
            page = as_int(nodes[nr]["page"]) & 0xFFFFFFFF
            users += count > 1
            idle += count == 1
            state = "idle" if count == 1 else f"{count - 1} user{'s' if count > 2 else ''}"
            check = "" if page == mem_map + pfn * page_size else "  (hash node disagrees!)"
            rows.append(f"{nr:>4}  {count:>5}  {state:<8} {PKMAP_BASE + nr * PAGE_SIZE:08x}  "
                        f"{pfn:#9x}  {page:#010x}  {pte:#018x}{check}\n")
        gdb.write(f"pkmap: cursor (last_pkmap_nr) {cursor}; {users} slots in use, "
                  f"{idle} idle awaiting a flush, {LAST_PKMAP - users - idle} free\n")
        if rows:
            gdb.write(f"{'slot':>4}  {'count':>5}  {'state':<8} {'vaddr':<8}  {'pfn':>9}  "
                      f"{'page':<10}  PTE\n")
            gdb.write("".join(rows))


class Slots(Command):
    """kl-slots [CPU]: each CPU's kmap_local slots (mm/kmap_local.h).

Lists every position whose PTE is set, with the task whose position it
is (the running task's kmap_ctrl.pteval[] must hold the same PTE), and
the tasks of that CPU that are switched out with positions saved (their
slots are empty until they run again)."""
    summary = "each CPU's kmap_local slots: PTE, page, whose position"

    def invoke(self, arg, from_tty):
        cpus = [parse_cpu(arg, None)] if arg.strip() else online_cpus()
        km_max_idx, km_incr = km_geometry()
        tasks = all_tasks()
        for cpu in cpus:
            cur = current_of(cpu)
            pte0 = as_int(per_cpu("kmap_local_pte0", cpu)) & 0xFFFFFFFF
            va0 = as_int(per_cpu("kmap_local_va0", cpu)) & 0xFFFFFFFF
            idx = int(cur["kmap_ctrl"]["idx"])
            gdb.write(f"CPU {cpu}: {km_max_idx} positions at {va0 - (km_max_idx - 1) * PAGE_SIZE:08x}"
                      f"-{va0 + PAGE_SIZE - 1:08x}; running {task_name(cur)}, "
                      f"which holds {idx // km_incr} local map{'' if idx // km_incr == 1 else 's'}\n")
            for pos in range(km_max_idx):
                pte = read_u64(pte0 - 8 * pos)
                if pte == 0:
                    continue
                saved = int(cur["kmap_ctrl"]["pteval"][pos]["pte"]) if pos < idx else None
                if saved == pte:
                    owner = f"{task_name(cur)} position {pos}"
                elif saved == 0:
                    owner = (f"{task_name(cur)} position {pos}, not yet in pteval[] "
                             f"(stopped inside the map)")
                elif saved is None:
                    owner = f"nobody: beyond {task_name(cur)}'s idx {idx} (stale?)"
                else:
                    owner = f"{task_name(cur)} position {pos} saved {saved:#x}: MISMATCH"
                gdb.write(f"  pos {pos:>2}  {va0 - pos * PAGE_SIZE:08x}  {pte_text(pte)}  {owner}\n")
            for task in tasks:
                n = int(task["kmap_ctrl"]["idx"])
                if n and int(task["cpu"]) == cpu and as_int(task) != as_int(cur):
                    gdb.write(f"  {task_name(task)} is switched out with {n // km_incr} position"
                              f"{'' if n // km_incr == 1 else 's'} saved (kl-kmap-stack {int(task['pid'])})\n")


class Pte(Command):
    """kl-pte VA: walk CR3 -> PDPT -> PD -> PT for VA and decode every entry.

The tables are read by physical address (through the direct map, or
QEMU's `monitor xp` above 896 MiB), starting from the selected CPU's CR3."""
    summary = "the PAE walk PDPT -> PD -> PT of VA, each entry decoded"

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: kl-pte VA")
        va = int(gdb.parse_and_eval(arg).cast(gdb.lookup_type("unsigned long"))) & 0xFFFFFFFF
        cr3 = int(gdb.parse_and_eval("$cr3").cast(gdb.lookup_type("unsigned long"))) & 0xFFFFFFFF
        gdb.write(f"VA {va:#010x}: {region_of(va)}\n")
        pdpt = cr3 & ~0x1F
        gdb.write(f"CR3 {cr3:#010x} (CPU {selected_cpu()}): PDPT at physical {pdpt:#x}\n")

        i = va >> 30
        addr = pdpt + 8 * i
        e = read_phys_u64(addr)
        gdb.write(f"  PDPT[{i}]   at {addr:#011x} = {e:#018x}  {self.decode(e, pdpt=True)}\n")
        if not e & 1:
            return gdb.write("  not present: VA is unmapped\n")

        i = va >> 21 & 511
        addr = (e & PHYS_MASK) + 8 * i
        e = read_phys_u64(addr)
        gdb.write(f"  PD[{i:<3}]   at {addr:#011x} = {e:#018x}  {self.decode(e)}\n")
        if not e & 1:
            return gdb.write("  not present: VA is unmapped\n")
        if e & 0x80:
            phys = (e & PHYS_MASK & ~0x1FFFFF) + (va & 0x1FFFFF)
            return gdb.write(f"  2 MiB page: VA {va:#010x} -> physical {phys:#x}\n")

        i = va >> 12 & 511
        addr = (e & PHYS_MASK) + 8 * i
        e = read_phys_u64(addr)
        gdb.write(f"  PT[{i:<3}]   at {addr:#011x} = {e:#018x}  {self.decode(e)}\n")
        if not e & 1:
            return gdb.write("  not present: VA is unmapped\n")
        phys = (e & PHYS_MASK) + (va & 0xFFF)
        gdb.write(f"  4 KiB page: VA {va:#010x} -> physical {phys:#x} (pfn {phys >> PAGE_SHIFT:#x})\n")

    @staticmethod
    def decode(e, pdpt=False):
        if not e & 1:
            return "not present"
        bits = [(0, "P"), (3, "PWT"), (4, "PCD")] if pdpt else PTE_BITS
        flags = " ".join(name for bit, name in bits if e >> bit & 1)
        return f"{flags}  frame {e & PHYS_MASK:#x}"


class KmapStack(Command):
    """kl-kmap-stack TASK: a task's kmap_local positions (kmap_ctrl.pteval[]).

TASK is a pid, a name (comm) or a task_struct pointer expression. Shows
the slot address each position has on the task's CPU, and whether the
slot now holds that PTE (it does only while the task runs there)."""
    summary = "a task's saved kmap_local positions (pteval[])"

    def invoke(self, arg, from_tty):
        task = find_task(arg)
        km_max_idx, km_incr = km_geometry()
        cpu = int(task["cpu"])
        idx = int(task["kmap_ctrl"]["idx"])
        on_cpu = as_int(current_of(cpu)) == as_int(task)
        pte0 = as_int(per_cpu("kmap_local_pte0", cpu)) & 0xFFFFFFFF
        gdb.write(f"{task_name(task)} on CPU {cpu} ({'running' if on_cpu else 'switched out'}): "
                  f"kmap_ctrl.idx {idx}, {idx // km_incr} local map{'' if idx // km_incr == 1 else 's'}\n")
        for pos in range(idx):
            saved = int(task["kmap_ctrl"]["pteval"][pos]["pte"])
            slot = read_u64(pte0 - 8 * pos)
            where = ("in the slot" if slot == saved else
                     "slot empty (restored at switch-in)" if slot == 0 else
                     f"slot holds {slot:#x}")
            gdb.write(f"  pteval[{pos}]  {slot_va(cpu, pos, km_max_idx):08x}  {pte_text(saved)}"
                      f"  [{where if saved else 'guard'}]\n")


COMMANDS = [("kl-dmesg", Dmesg), ("kl-ps", Ps), ("kl-current", Current),
            ("kl-per-cpu", PerCpu), ("kl-pkmap", Pkmap), ("kl-slots", Slots),
            ("kl-pte", Pte), ("kl-kmap-stack", KmapStack)]

for _name, _cls in COMMANDS:
    _cls(_name)

if not getattr(gdb, "_kmaplab_banner_done", False):
    gdb._kmaplab_banner_done = True
    gdb.write("kmaplab gdb commands (help kl-NAME for details):\n")
    for _name, _cls in COMMANDS:
        usage = _cls.__doc__.split(":", 1)[0]
        gdb.write(f"  {usage:<22} {_cls.summary}\n")


# ---------------------------------------------------------------- functions

class CurrentFunction(gdb.Function):
    """$kl_current([CPU]): the task_struct pointer running on CPU (default:
the selected thread's), for expressions and watchpoints, e.g.
    watch -l $kl_current()->kmap_ctrl.pteval[0]"""

    def __init__(self):
        super().__init__("kl_current")

    def invoke(self, cpu=None):
        return current_of(selected_cpu() if cpu is None else int(cpu)).cast(task_ptr_type())


class PerCpuFunction(gdb.Function):
    """$kl_per_cpu_ptr("VAR", CPU): the address of CPU's copy of VAR, e.g.
    p *$kl_per_cpu_ptr("kmap_local_pte0", 1)"""

    def __init__(self):
        super().__init__("kl_per_cpu_ptr")

    def invoke(self, name, cpu):
        return per_cpu(name.string(), int(cpu)).address


CurrentFunction()
PerCpuFunction()
