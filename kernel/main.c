/*
 * main.c - kmain(), the boot CPU's path from entry.S to the test run.
 *
 * The order matters: the console first (so anything later can complain),
 * then the command line (so a bad option halts before we touch memory),
 * then the memory map, the real page tables, the page allocator, and the
 * report that says what we found.
 */
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "arch/x86/serial.h"
#include "arch/x86/tsc.h"
#include "arch/x86/cpu.h"
#include "boot/multiboot.h"
#include "kernel/ktest.h"
#include "mm/memblock.h"
#include "mm/pgtable.h"
#include "mm/mm_init.h"
#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/smp.h"

static bool poweroff_wanted;
flag_param("poweroff", poweroff_wanted);

void kmain(u32 magic, u32 mbi_phys)
{
	tsc_boot = rdtsc();
	serial_init();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		printk(KERN_ERR "kmaplab: not started by a multiboot loader (magic %#x); halting.\n", magic);
		machine_halt(EXIT_FATAL);
	}
	struct multiboot_info *mbi = (void *)(mbi_phys + 0xC0000000);
	const char *cmd = (mbi->flags & MULTIBOOT_INFO_CMDLINE) ?
			  (const char *)(mbi->cmdline + 0xC0000000) : "";
	gdt_init_cpu(0);
	idt_init();
	idt_load();
	tsc_init();
	cpu_detect();
	printk(KERN_INFO "kmaplab: a 32-bit PAE kernel that maps highmem the Linux way\n");
	printk(KERN_INFO "Command line: %s\n", cmd);
	parse_cmdline(cmd);
	printk(KERN_INFO "tsc: %u.%03u MHz TSC\n", tsc_khz / 1000, tsc_khz % 1000);
	memblock_setup(mbi_phys);
	cpu_enable_features();
	paging_init();
	setup_per_cpu_areas();
	mem_init();
	smp_init();

	int failed = ktest_run();
	if (poweroff_wanted)
		machine_halt(failed ? EXIT_FAIL : EXIT_PASS);
	for (;;)
		halt();
}
