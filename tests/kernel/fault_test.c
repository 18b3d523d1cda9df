/* SPDX-License-Identifier: MIT */
/*
 * fault_test.c - the page protections fault the way they should, the
 * #PF handler reports the right error code and address, and the fixup
 * machinery (__ex_table, nofault copies) turns faults into errors.
 *
 * Faults are provoked through probes (mm/extable.h), which catch a #PF
 * that has no __ex_table entry and report its vector, error code and CR2.
 */
#include "mm/kmap_local.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "arch/x86/cpu.h"
#include "arch/x86/traps.h"
#include "mm/extable.h"
#include "mm/fault.h"
#include "mm/memblock.h"
#include "mm/memlayout.h"
#include "mm/pgtable.h"

/* ---- page 0 ---- */

static void null_read_faults_not_present(struct ktest *t)
{
	u32 v;

	ASSERT_EQ(t, probe_read(NULL, &v), X86_TRAP_PF);
	struct probe_fault f = probe_last_fault();
	EXPECT_EQ(t, f.cr2, 0);
	EXPECT_EQ(t, f.error_code & (X86_PF_PROT | X86_PF_WRITE | X86_PF_USER), 0);
}

/* ---- write protection of text and rodata (CR0.WP) ---- */

/* Never called: only its first byte is a write target. */
static __noinline __used void wp_target(void)
{
	barrier();
}

static void text_write_faults_and_leaves_text_intact(struct ktest *t)
{
	u8 *p = (u8 *)wp_target, before = *p;

	ASSERT_EQ(t, probe_write_byte(p, (u8)~before), X86_TRAP_PF);
	struct probe_fault f = probe_last_fault();
	EXPECT_EQ(t, f.cr2, (unsigned long)p);
	EXPECT_EQ(t, f.error_code & (X86_PF_PROT | X86_PF_WRITE | X86_PF_INSTR),
		  X86_PF_PROT | X86_PF_WRITE);
	EXPECT_EQ(t, *p, before);
}

static const u32 rodata_word = 0x600dc0de;

static void rodata_write_faults(struct ktest *t)
{
	ASSERT_EQ(t, probe_write((void *)&rodata_word, 0xbad), X86_TRAP_PF);
	EXPECT_EQ(t, probe_last_fault().error_code & (X86_PF_PROT | X86_PF_WRITE),
		  X86_PF_PROT | X86_PF_WRITE);
	EXPECT_EQ(t, READ_ONCE(rodata_word), 0x600dc0de);
}

/* ---- NX: data and stacks are not executable when NX is active ---- */

static u8 ret_in_data[4] = { 0xc3 };	/* "ret", in .data */

static void check_exec(struct ktest *t, void *code)
{
	int r = probe_exec(code);

	if (!boot_cpu.nx_enabled) {
		/* Without NX every present page is executable: the same
		 * call must simply return. */
		EXPECT_EQ(t, r, 0);
		return;
	}
	ASSERT_EQ(t, r, X86_TRAP_PF);
	struct probe_fault f = probe_last_fault();
	EXPECT_EQ(t, f.cr2, (unsigned long)code);
	EXPECT_EQ(t, f.ip, (unsigned long)code);
	EXPECT_EQ(t, f.error_code & (X86_PF_PROT | X86_PF_INSTR | X86_PF_WRITE),
		  X86_PF_PROT | X86_PF_INSTR);
}

static void exec_from_data_faults_iff_nx(struct ktest *t)
{
	check_exec(t, ret_in_data);
}

static void exec_from_stack_faults_iff_nx(struct ktest *t)
{
	volatile u8 code[4] = { 0xc3 };

	check_exec(t, (void *)code);
}

/* ---- nothing at or above high_memory in the direct map ---- */

static void nothing_mapped_from_high_memory_to_vmalloc(struct ktest *t)
{
	unsigned long bad = 0, first_bad = 0;

	ASSERT_NE(t, high_memory, 0);
	for (unsigned long va = high_memory; va >= high_memory && va < VMALLOC_START;
	     va += PAGE_SIZE) {
		pmd_t pmd = pmd_read(&kernel_pmd[pmd_index(va)]);
		pte_t *pte;

		if ((pmd.pmd & _PAGE_PRESENT) && (pmd.pmd & _PAGE_PSE))
			pte = NULL, bad++;	/* a large page: mapped */
		else if ((pte = lookup_kernel_pte(va)) && pte_present(ptep_get(pte)))
			bad++;
		if (bad && !first_bad)
			first_bad = va;
	}
	if (bad)
		KTEST_LOG(t, "%lu pages mapped, the first at %#lx", bad, first_bad);
	EXPECT_EQ(t, bad, 0);
}

static void high_memory_read_faults(struct ktest *t)
{
	u32 v;

	ASSERT_EQ(t, probe_read((void *)high_memory, &v), X86_TRAP_PF);
	EXPECT_EQ(t, probe_last_fault().cr2, high_memory);
	EXPECT_EQ(t, probe_last_fault().error_code & X86_PF_PROT, 0);
}

/* ---- __ex_table and the nofault copies ---- */

static void copy_from_kernel_nofault_unmapped_is_efault(struct ktest *t)
{
	u32 v = 0x1234;

	EXPECT_EQ(t, copy_from_kernel_nofault(&v, (void *)VMALLOC_START, sizeof(v)), -EFAULT);
	EXPECT_EQ(t, copy_from_kernel_nofault(&v, (void *)high_memory, 1), -EFAULT);
}

static void copy_from_kernel_nofault_mapped_copies(struct ktest *t)
{
	static const char src[] = "kmaplab nofault copy";	/* 21 bytes */
	char dst[sizeof(src)] = { 0 };

	EXPECT_EQ(t, copy_from_kernel_nofault(dst, src, sizeof(src)), 0);
	EXPECT_EQ(t, memcmp(dst, src, sizeof(src)), 0);
}

static void copy_from_kernel_nofault_refuses_user_addresses(struct ktest *t)
{
	u32 v;

	EXPECT_EQ(t, copy_from_kernel_nofault(&v, (void *)0x1000, sizeof(v)), -ERANGE);
}

static void copy_from_kernel_nofault_stops_at_unmapped_page(struct ktest *t)
{
	/* The last 2 bytes of lowmem and 2 beyond it: a readable start
	 * does not make the whole range readable. */
	u8 dst[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	const u8 *src = (const u8 *)high_memory - 2;

	EXPECT_EQ(t, copy_from_kernel_nofault(dst, src, sizeof(dst)), -EFAULT);
}

static void copy_to_kernel_nofault_rodata_is_efault(struct ktest *t)
{
	u32 v = 0xbad;

	EXPECT_EQ(t, copy_to_kernel_nofault((void *)&rodata_word, &v, sizeof(v)), -EFAULT);
	EXPECT_EQ(t, READ_ONCE(rodata_word), 0x600dc0de);
}

static void copy_to_kernel_nofault_data_writes(struct ktest *t)
{
	u32 dst = 0, v = 0xfeedface;

	EXPECT_EQ(t, copy_to_kernel_nofault(&dst, &v, sizeof(v)), 0);
	EXPECT_EQ(t, dst, 0xfeedface);
}

static void get_kernel_nofault_reads_or_fails(struct ktest *t)
{
	u32 v = 0;

	EXPECT_EQ(t, get_kernel_nofault(v, &rodata_word), 0);
	EXPECT_EQ(t, v, 0x600dc0de);
	EXPECT_EQ(t, get_kernel_nofault(v, (u32 *)VMALLOC_START), -EFAULT);
}

/* A load registered in __ex_table: 0 if it completed, 1 if the fault
 * resumed at the fixup. */
static __noinline int load_with_fixup(const void *addr)
{
	int at_fixup = 0;

	__asm__ __volatile__("1:\tmovl (%1), %%eax\n"
			     "\tjmp 3f\n"
			     "2:\tmovl $1, %0\n"
			     "3:\n"
			     _ASM_EXTABLE(1b, 2b)
			     : "+r"(at_fixup) : "r"(addr) : "eax", "memory");
	return at_fixup;
}

static void fault_at_registered_insn_resumes_at_fixup(struct ktest *t)
{
	EXPECT_EQ(t, load_with_fixup(&rodata_word), 0);
	EXPECT_EQ(t, load_with_fixup((void *)VMALLOC_START), 1);
}

/* ---- naming addresses in reports ---- */

static void kernel_regions_are_named(struct ktest *t)
{
	char b[96];

	EXPECT_STREQ(t, describe_kernel_address(8, b, sizeof(b)), "page 0 (NULL pointer)");
	EXPECT_STREQ(t, describe_kernel_address((unsigned long)wp_target, b, sizeof(b)), "kernel text");
	EXPECT_STREQ(t, describe_kernel_address((unsigned long)&rodata_word, b, sizeof(b)), "kernel rodata");
	EXPECT_STREQ(t, describe_kernel_address((unsigned long)ret_in_data, b, sizeof(b)), "kernel data");
	EXPECT_STREQ(t, describe_kernel_address(VMALLOC_START + 5, b, sizeof(b)), "vmalloc");
	EXPECT_STREQ(t, describe_kernel_address(PKMAP_ADDR(3) + 1, b, sizeof(b)), "pkmap slot 3");
	EXPECT_STREQ(t, describe_kernel_address(__fix_to_virt(FIX_KMAP_BEGIN + km_max_idx + 2),
						b, sizeof(b)),
		     "fixmap kmap_local slot (CPU 1, idx 2)");
	EXPECT_STREQ(t, describe_kernel_address(__fix_to_virt(FIX_APIC_BASE), b, sizeof(b)),
		     "fixmap device slot (FIX_APIC_BASE)");
	EXPECT_EQ(t, strncmp(describe_kernel_address(high_memory, b, sizeof(b)),
			     "hole between high_memory", 24), 0);
}

KTEST_SUITE(fault,
	KTEST_CASE(null_read_faults_not_present),
	KTEST_CASE(text_write_faults_and_leaves_text_intact),
	KTEST_CASE(rodata_write_faults),
	KTEST_CASE(exec_from_data_faults_iff_nx),
	KTEST_CASE(exec_from_stack_faults_iff_nx),
	KTEST_CASE(nothing_mapped_from_high_memory_to_vmalloc),
	KTEST_CASE(high_memory_read_faults),
	KTEST_CASE(copy_from_kernel_nofault_unmapped_is_efault),
	KTEST_CASE(copy_from_kernel_nofault_mapped_copies),
	KTEST_CASE(copy_from_kernel_nofault_refuses_user_addresses),
	KTEST_CASE(copy_from_kernel_nofault_stops_at_unmapped_page),
	KTEST_CASE(copy_to_kernel_nofault_rodata_is_efault),
	KTEST_CASE(copy_to_kernel_nofault_data_writes),
	KTEST_CASE(get_kernel_nofault_reads_or_fails),
	KTEST_CASE(fault_at_registered_insn_resumes_at_fixup),
	KTEST_CASE(kernel_regions_are_named));
