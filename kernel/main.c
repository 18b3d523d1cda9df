/* SPDX-License-Identifier: MIT */
/*
 * main.c - kmain(), the boot CPU's path from entry.S to the test run.
 *
 * The order matters:
 *   1. the console, so anything later can complain;
 *   2. our own GDT and IDT, so a fault is reported, never a triple fault;
 *   3. the command line, so a bad option halts before we touch memory;
 *   4. the memory map, the real page tables, per-CPU areas, the scheduler's
 *      boot task, the page allocator and the memory report;
 *   5. the pkmap pool, the kmap_local slots, the demand-filled region;
 *   6. the other CPUs, each with its LAPIC timer ticking; then the
 *      virtual memory layout, whose kmap slot lines are per online CPU;
 *   7. "init" (pid 1) runs the tests while this context becomes CPU 0's
 *      idle task, and ends with the counters and the memory report (with
 *      trace=kmap, the trace stops before the counters and is dumped
 *      last, so both describe the same events); with "monitor" on the
 *      command line it then becomes the kmaplab> prompt (kernel/monitor.c)
 *      for good.
 */
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/ktest.h"
#include "kernel/bench.h"
#include "kernel/sched.h"
#include "kernel/crash_demo.h"
#include "kernel/demo.h"
#include "kernel/monitor.h"
#include "kernel/inject.h"
#include "kernel/trace.h"
#include "tests/torture/kmaptorture.h"
#include "arch/x86/serial.h"
#include "arch/x86/tsc.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/smp.h"
#include "boot/multiboot.h"
#include "mm/memblock.h"
#include "mm/pgtable.h"
#include "mm/mm_init.h"
#include "mm/kmap_local.h"
#include "mm/kmap_stats.h"
#include "mm/demand.h"
#include "mm/vmap_stack.h"

static bool poweroff_wanted;
flag_param("poweroff", poweroff_wanted);

void kmap_report(void);

/* pid 1: what the machine is for once it is up. */
static int kernel_init(void *unused)
{
	int failed;

	printk(KERN_INFO "Run /init as init process: the in-kernel test runner\n");
	crash_demo();
	if (bench_requested()) {
		failed = bench_run();
	} else {
		failed = ktest_run();	/* test=none for torture alone */
		if (torture_requested())
			failed += torture_run();
	}
	trace_stop();
	sched_print_stats();
	kmap_report();
	show_meminfo();
	show_meminfo_drop();
	kmap_demo();
	trace_dump();
	if (poweroff_wanted)
		machine_halt(failed ? EXIT_FAIL : EXIT_PASS);
	if (monitor_requested()) {
		printk(KERN_INFO "kmaplab: done; the monitor has the console now (QEMU: Ctrl-A X quits)\n");
		monitor_run();
	}
	printk(KERN_INFO "kmaplab: done; the CPUs idle now (QEMU: Ctrl-A X quits)\n");
	return 0;
}

void kmain(u32 magic, u32 mbi_phys)
{
	tsc_boot = rdtsc();
	serial_init();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		printk(KERN_ERR "kmaplab: not started by a multiboot loader (magic %#x); halting.\n", magic);
		machine_halt(EXIT_FATAL);
	}
	struct multiboot_info *mbi = __va(mbi_phys);
	const char *cmd = (mbi->flags & MULTIBOOT_INFO_CMDLINE) ? __va(mbi->cmdline) : "";

	gdt_init_cpu(0);
	idt_init();
	idt_load();
	tsc_init();
	cpu_detect();
	printk(KERN_INFO "kmaplab: a 32-bit PAE kernel that maps highmem the Linux way\n");
	printk(KERN_INFO "Command line: %s\n", cmd);
	parse_cmdline(cmd);
	inject_announce();
	printk(KERN_INFO "tsc: %u.%03u MHz TSC\n", tsc_khz / 1000, tsc_khz % 1000);
	memblock_setup(mbi_phys);
	cpu_enable_features();
	paging_init();
	setup_per_cpu_areas();
	trace_init();		/* its buffers are per CPU */
	sched_init();
	mem_init();
	kmap_init();
	kmap_local_init();
	demand_init();
	vmap_stack_init();
	smp_init();
	print_vm_layout();	/* its kmap slot lines are for online CPUs */

	if (!kthread_run(kernel_init, NULL, "init"))
		panic("no memory for the init thread");
	cpu_startup_entry();
}
