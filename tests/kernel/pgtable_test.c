/* SPDX-License-Identifier: MIT */
/*
 * pgtable_test.c - PAE entries: the order of their two 32-bit stores, a
 * read that never returns half of one value and half of another, the
 * page-table walk, the shape of the kernel's tables, and RAM above 4 GiB
 * through a PTE.
 *
 * The store order of set_pte()/pte_clear() cannot be seen by reading the
 * entry back afterwards. So the tests watch it happen: the CPU's debug
 * registers trap right after each store to either half of the entry
 * (arch/x86/hw_watch.c), and the handler records what a page walker on
 * another CPU could have seen at that instant.
 */
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "mm/pgtable.h"
#include "mm/page_alloc.h"
#include "mm/memblock.h"
#include "mm/highmem.h"
#include "arch/x86/cpu.h"
#include "arch/x86/hw_watch.h"
#include "kernel/string.h"

struct store_event {
	unsigned int hits;	/* bit 0: low word written, bit 1: high word */
	u32 lo, hi;		/* the entry right after that store */
};

static struct {
	volatile u32 *entry;
	int n;
	struct store_event ev[4];
} watch;

static void record_store(unsigned int hits, struct pt_regs *regs, void *arg)
{
	if (watch.n < 4)
		watch.ev[watch.n++] = (struct store_event){ hits, watch.entry[0], watch.entry[1] };
}

static pte_t entry __aligned(8);

/* Run op on 'entry' with both halves watched; returns the events. */
static int watch_stores(void (*op)(pte_t *, pte_t), pte_t val)
{
	preempt_disable();	/* debug registers are per CPU */
	watch.entry = (volatile u32 *)&entry;
	watch.n = 0;
	hw_watch_set_handler(record_store, NULL);
	hw_watch_set(0, &watch.entry[0], 4, HW_WATCH_WRITE);
	hw_watch_set(1, &watch.entry[1], 4, HW_WATCH_WRITE);
	op(&entry, val);
	hw_watch_clear_all();
	preempt_enable();
	return watch.n;
}

static void do_set_pte(pte_t *p, pte_t v) { set_pte(p, v); }
static void do_pte_clear(pte_t *p, pte_t v) { pte_clear(p); }
static void do_set_pte_atomic(pte_t *p, pte_t v) { set_pte_atomic(p, v); }
static void do_get_and_clear(pte_t *p, pte_t v) { ptep_get_and_clear(p); }

/* A value whose high word matters: a frame above 4 GiB, and NX. */
static pte_t high_pte(void)
{
	return __pte(0x123456000ULL | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX);
}

static void set_pte_stores_high_word_before_low(struct ktest *t)
{
	pte_t v = high_pte();

	entry = __pte(0);
	ASSERT_EQ(t, watch_stores(do_set_pte, v), 2);
	/* first the high word, while P (in the low word) is still 0 ... */
	EXPECT_EQ(t, watch.ev[0].hits, 2);
	EXPECT_EQ(t, watch.ev[0].lo, 0);
	EXPECT_EQ(t, watch.ev[0].hi, (u32)(v.pte >> 32));
	/* ... then the low word, which makes the complete entry present */
	EXPECT_EQ(t, watch.ev[1].hits, 1);
	EXPECT_EQ(t, watch.ev[1].lo, (u32)v.pte);
	EXPECT_EQ(t, watch.ev[1].hi, (u32)(v.pte >> 32));
}

static void pte_clear_stores_low_word_first(struct ktest *t)
{
	pte_t v = high_pte();

	entry = v;
	ASSERT_EQ(t, watch_stores(do_pte_clear, __pte(0)), 2);
	EXPECT_EQ(t, watch.ev[0].hits, 1);	/* P dropped first ... */
	EXPECT_EQ(t, watch.ev[0].lo, 0);
	EXPECT_EQ(t, watch.ev[0].hi, (u32)(v.pte >> 32));
	EXPECT_EQ(t, watch.ev[1].hits, 2);	/* ... then the frame's high bits */
	EXPECT_EQ(t, watch.ev[1].hi, 0);
}

static void set_pte_atomic_replaces_in_one_store(struct ktest *t)
{
	pte_t old = __pte(0x42000ULL | _PAGE_PRESENT), v = high_pte();

	entry = old;
	/* a live entry changes in one 8-byte store: one trap, after which
	 * both halves are already new (QEMU reports only one of the two
	 * watchpoints such a store hits) -- no walker can see a mix */
	ASSERT_EQ(t, watch_stores(do_set_pte_atomic, v), 1);
	EXPECT_NE(t, watch.ev[0].hits, 0);
	EXPECT_EQ(t, watch.ev[0].lo, (u32)v.pte);
	EXPECT_EQ(t, watch.ev[0].hi, (u32)(v.pte >> 32));
}

static void get_and_clear_drops_present_bit_first(struct ktest *t)
{
	pte_t v = high_pte();

	entry = v;
	ASSERT_GE(t, watch_stores(do_get_and_clear, __pte(0)), 1);
	EXPECT_EQ(t, watch.ev[0].hits, 1);
	EXPECT_EQ(t, watch.ev[0].lo, 0);
	EXPECT_TRUE(t, pte_none(entry));
}

/*
 * ptep_get() against a writer that strikes between its two loads. A
 * read/write watchpoint on each half of the entry traps right after the
 * reader's first load of either word; the handler then plays another CPU
 * replacing the mapping the way the kernel does (pte_clear(), then
 * set_pte() of a new value, written out here word by word so that the
 * test does not lean on the code it grades) and turns the watchpoints off.
 * Whatever ptep_get() returns must be one of the two values, whole.
 */
static struct {
	int traps;
	pte_t next;
} rewrite;

static void rewrite_entry_once(unsigned int hits, struct pt_regs *regs, void *arg)
{
	volatile u32 *w = (volatile u32 *)&entry;

	hw_watch_clear_all();		/* our own stores must not trap */
	if (rewrite.traps++)
		return;
	w[0] = 0;			/* pte_clear(): P goes first ... */
	w[1] = 0;
	w[1] = (u32)(rewrite.next.pte >> 32);	/* set_pte(): high, then low */
	w[0] = (u32)rewrite.next.pte;
}

static pte_t __noinline read_entry_while_it_changes(pte_t old, pte_t next)
{
	pte_t got;

	entry = old;
	rewrite.traps = 0;
	rewrite.next = next;
	preempt_disable();	/* debug registers are per CPU */
	hw_watch_set_handler(rewrite_entry_once, NULL);
	hw_watch_set(0, &((volatile u32 *)&entry)[0], 4, HW_WATCH_RW);
	hw_watch_set(1, &((volatile u32 *)&entry)[1], 4, HW_WATCH_RW);
	got = ptep_get(&entry);
	hw_watch_clear_all();
	preempt_enable();
	return got;
}

static void ptep_get_never_returns_a_torn_entry(struct ktest *t)
{
	/* different frames above 4 GiB: both words differ between the two */
	pte_t old = __pte(0x123456000ULL | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX);
	pte_t next = __pte(0x2000ab000ULL | _PAGE_PRESENT | _PAGE_RW);
	pte_t got;

	entry = old;
	EXPECT_EQ(t, pte_val(ptep_get(&entry)), pte_val(old));	/* nobody writing */
	got = read_entry_while_it_changes(old, next);
	ASSERT_EQ(t, rewrite.traps, 1);		/* the writer did strike */
	if (pte_val(got) != pte_val(old) && pte_val(got) != pte_val(next)) {
		u32 lo = (u32)pte_val(got), hi = (u32)(pte_val(got) >> 32);

		ktest_fail(t, __FILE__, __LINE__, "ptep_get() returned %#llx: %s",
			   (unsigned long long)pte_val(got),
			   lo == (u32)old.pte && hi == (u32)(next.pte >> 32) ?
			   "old low word, new high word" :
			   lo == (u32)next.pte && hi == (u32)(old.pte >> 32) ?
			   "new low word, old high word" : "neither value");
		KTEST_LOG(t, "the entry held %#llx, then %#llx", (unsigned long long)pte_val(old),
			  (unsigned long long)pte_val(next));
	}
	EXPECT_EQ(t, pte_val(ptep_get(&entry)), pte_val(next));
}

/*
 * lookup_address_in_pgd() on tables of the test's own, never loaded into
 * CR3, so every kind of entry can be laid out where the test wants it:
 *
 *   test_pgd[1] -> test_pmd     (va 0x40000000 .. 0x7fffffff)
 *     [0] empty                 0x40000000: NULL, PG_LEVEL_1G
 *     [1] a 2 MiB page (PS, NX) 0x40200000: &test_pmd[1], PG_LEVEL_2M
 *     [2] not present, not 0    0x40400000: &test_pmd[2], PG_LEVEL_2M
 *     [3] -> test_pt (NX)       0x40600000: &test_pt[i], PG_LEVEL_4K
 *   test_pgd[0], [2], [3] not present: NULL, PG_LEVEL_NONE
 */
static pgd_t test_pgd[PTRS_PER_PGD] __aligned(32);
static pmd_t test_pmd[PTRS_PER_PMD] __page_aligned_bss;
static pte_t test_pt[PTRS_PER_PTE] __page_aligned_bss;

#define TEST_VA(pde, i)	(0x40000000UL + ((unsigned long)(pde) << PMD_SHIFT) + ((i) << PAGE_SHIFT))

static void build_test_tables(void)
{
	memset(test_pgd, 0, sizeof(test_pgd));
	memset(test_pmd, 0, sizeof(test_pmd));
	memset(test_pt, 0, sizeof(test_pt));
	test_pgd[1].pgd = __pa(test_pmd) | _PAGE_PRESENT;
	test_pmd[1].pmd = 0x00400000ULL | _PAGE_PSE | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;
	test_pmd[2].pmd = 0x00abc000ULL;		/* P clear: parked, not empty */
	test_pmd[3].pmd = __pa(test_pt) | _KERNPG_TABLE | _PAGE_NX;
	for (int i = 0; i < PTRS_PER_PTE; i += 2)	/* odd PTEs stay not present */
		test_pt[i].pte = ((0x100000ULL + i) << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW;
}

static const char *const level_name[] = {	/* PG_LEVEL_... */
	[PG_LEVEL_NONE] = "NONE", [PG_LEVEL_4K] = "4K",
	[PG_LEVEL_2M] = "2M", [PG_LEVEL_1G] = "1G",
};

static const char *lname(unsigned int level)
{
	return level < ARRAY_SIZE(level_name) ? level_name[level] : "(not set)";
}

/* One walk and its expected answer; pgd NULL: lookup_address() itself. */
static void expect_walk(struct ktest *t, int line, pgd_t *pgd, unsigned long va,
			const void *want, const char *want_name, unsigned int want_level)
{
	unsigned int level = ~0u;
	pte_t *got = pgd ? lookup_address_in_pgd(pgd, va, &level) : lookup_address(va, &level);

	if (got != want || level != want_level)
		ktest_fail(t, __FILE__, line, "%08lx: got %p at %s, want %s at %s (%p)", va,
			   got, lname(level), want_name, lname(want_level), want);
}

#define EXPECT_WALK(t, pgd, va, want, level) \
	expect_walk(t, __LINE__, pgd, va, want, #want, level)

static void lookup_address_descends_to_the_pte(struct ktest *t)
{
	build_test_tables();
	/* the offset in the page does not matter; present or not, the PTE */
	EXPECT_WALK(t, test_pgd, TEST_VA(3, 0) + 0x123, &test_pt[0], PG_LEVEL_4K);
	EXPECT_WALK(t, test_pgd, TEST_VA(3, 1), &test_pt[1], PG_LEVEL_4K);
	EXPECT_WALK(t, test_pgd, TEST_VA(3, 2) + 0xfff, &test_pt[2], PG_LEVEL_4K);
	EXPECT_WALK(t, test_pgd, TEST_VA(3, 255), &test_pt[255], PG_LEVEL_4K);
	EXPECT_WALK(t, test_pgd, TEST_VA(3, 256), &test_pt[256], PG_LEVEL_4K);
	EXPECT_WALK(t, test_pgd, TEST_VA(3, 511), &test_pt[511], PG_LEVEL_4K);
	/* the last page of the 1 GiB, through the same page table */
	test_pmd[511].pmd = test_pmd[3].pmd;
	EXPECT_WALK(t, test_pgd, 0x7ffff000UL, &test_pt[511], PG_LEVEL_4K);
}

static void lookup_address_stops_at_huge_or_absent_entries(struct ktest *t)
{
	build_test_tables();
	EXPECT_WALK(t, test_pgd, TEST_VA(1, 300), &test_pmd[1], PG_LEVEL_2M);	/* PS */
	EXPECT_WALK(t, test_pgd, TEST_VA(2, 0), &test_pmd[2], PG_LEVEL_2M);	/* parked */
	EXPECT_WALK(t, test_pgd, TEST_VA(0, 7), NULL, PG_LEVEL_1G);		/* empty PDE */
	EXPECT_WALK(t, test_pgd, TEST_VA(4, 0), NULL, PG_LEVEL_1G);
	EXPECT_WALK(t, test_pgd, 0x00000000UL, NULL, PG_LEVEL_NONE);		/* no PDPT entry */
	EXPECT_WALK(t, test_pgd, 0x3ffff000UL, NULL, PG_LEVEL_NONE);
	EXPECT_WALK(t, test_pgd, 0x80000000UL, NULL, PG_LEVEL_NONE);
	EXPECT_WALK(t, test_pgd, 0xc0000000UL, NULL, PG_LEVEL_NONE);
	EXPECT_WALK(t, test_pgd, 0xfffff000UL, NULL, PG_LEVEL_NONE);
}

/* lookup_address() in the kernel's own tables finds the PTEs the kernel
 * itself uses: the direct map, the pkmap and fixmap tables. */
static void lookup_address_agrees_with_the_kernel_tables(struct ktest *t)
{
	extern char _text[];
	static int data_word;
	unsigned long va[] = {
		(unsigned long)_text, (unsigned long)&data_word,
		(unsigned long)__va((max_low_pfn - 1) << PAGE_SHIFT),
		PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP - 1),
		__fix_to_virt(FIX_KMAP_BEGIN), __fix_to_virt(FIX_KMAP_END), FIXADDR_TOP,
	};
	unsigned long hole = VMALLOC_START - PMD_SIZE;	/* the hole below vmalloc */

	for (unsigned i = 0; i < ARRAY_SIZE(va); i++)
		EXPECT_WALK(t, NULL, va[i], lookup_kernel_pte(va[i]), PG_LEVEL_4K);
	EXPECT_WALK(t, NULL, PKMAP_ADDR(5), &pkmap_page_table[5], PG_LEVEL_4K);
	EXPECT_WALK(t, NULL, __fix_to_virt(FIX_SCRATCH), fixmap_pte_base - FIX_SCRATCH,
		    PG_LEVEL_4K);
	EXPECT_WALK(t, NULL, 0x08048000UL, NULL, PG_LEVEL_NONE);	/* user space */
	ASSERT_EQ(t, pmd_read(&kernel_pmd[pmd_index(hole)]).pmd, 0);
	EXPECT_WALK(t, NULL, hole, NULL, PG_LEVEL_1G);
}

/* PDPT entries allow only P, PWT, PCD, AVL and the address: RW, US and NX
 * are reserved there (a #GP on real hardware and KVM; TCG does not check). */
static void pdpt_entries_carry_only_present_and_address(struct ktest *t)
{
	unsigned long pa = __pa(swapper_pg_dir);
	/* QEMU's TCG sets the accessed bit (bit 5) of a PDPT entry it uses,
	 * although the SDM reserves it; the kernel never writes it */
	u64 reserved = ~(PTE_PFN_MASK | _PAGE_PRESENT | _PAGE_PWT | _PAGE_PCD |
			 _PAGE_ACCESSED | 0xe00ULL);

	EXPECT_EQ(t, pa & 31, 0);		/* CR3 holds bits 31:5 */
	EXPECT_EQ(t, read_cr3(), pa);
	for (int i = 0; i < PTRS_PER_PGD; i++) {
		u64 e = swapper_pg_dir[i].pgd;

		EXPECT_EQ(t, e & reserved, 0);
		if (boot_cpu.phys_bits < 52)
			EXPECT_EQ(t, e >> boot_cpu.phys_bits, 0);
	}
	EXPECT_EQ(t, swapper_pg_dir[3].pgd & ~_PAGE_ACCESSED, __pa(kernel_pmd) | _PAGE_PRESENT);
}

/* PAGE_KERNEL as Linux has it: A and D preset (the CPU never writes them
 * back), G with PGE, NX with EFER.NXE; text read-only and executable. */
static void kernel_ptes_have_linux_protections(struct ktest *t)
{
	extern char _text[];
	static int data_word;
	pte_t d = ptep_get(lookup_kernel_pte((unsigned long)&data_word));
	pte_t x = ptep_get(lookup_kernel_pte((unsigned long)_text));
	u64 want = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;

	EXPECT_EQ(t, pte_val(d) & want, want);
	EXPECT_EQ(t, !!(pte_val(d) & _PAGE_GLOBAL), boot_cpu.pge_enabled);
	EXPECT_EQ(t, !!(pte_val(d) & _PAGE_NX), boot_cpu.nx_enabled);
	EXPECT_EQ(t, !!(read_cr4() & X86_CR4_PGE), boot_cpu.pge_enabled);
	EXPECT_FALSE(t, pte_val(x) & _PAGE_RW);
	EXPECT_FALSE(t, pte_val(x) & _PAGE_NX);
	EXPECT_FALSE(t, pte_val(x) & _PAGE_USER);
}

/* The direct map is exactly pa + PAGE_OFFSET, for RAM below max_low_pfn. */
static void direct_map_translates_lowmem_exactly(struct ktest *t)
{
	unsigned long pfns[] = { 0x100, 0x1000, max_low_pfn / 2, max_low_pfn - 1 };

	for (unsigned i = 0; i < ARRAY_SIZE(pfns); i++) {
		unsigned long pfn = pfns[i];
		pte_t *p;

		if (!memblock_is_memory((phys_addr_t)pfn << PAGE_SHIFT))
			continue;
		p = lookup_kernel_pte((unsigned long)__va((phys_addr_t)pfn << PAGE_SHIFT));
		ASSERT_PTR_NE(t, p, NULL);
		EXPECT_TRUE(t, pte_present(ptep_get(p)));
		EXPECT_EQ(t, pte_pfn(ptep_get(p)), pfn);
	}
	EXPECT_FALSE(t, pte_present(ptep_get(lookup_kernel_pte(PAGE_OFFSET))));	/* page 0 */
}

/*
 * RAM above 4 GiB through a temporary PTE (the fixmap's scratch slot):
 * write a pattern, read it back, and check that the page 4 GiB lower --
 * where a 32-bit truncation of the address would land -- did not change.
 */
static void ram_above_4g_is_reached_without_aliasing(struct ktest *t)
{
	struct page *blocks[64], *high = NULL;
	unsigned long va = fix_to_virt(FIX_SCRATCH), pfn, alias;
	u32 before[4], after[4];
	volatile u32 *p = (volatile u32 *)va;
	int n = 0;

	if (max_pfn <= MAX_NONPAE_PFN + 1)
		KTEST_SKIP(t, "no RAM above 4 GiB at this -m (or this CPU cannot address it)");
	/* take 4 MiB blocks of highmem until one lies above 4 GiB */
	while (n < (int)ARRAY_SIZE(blocks)) {
		struct page *b = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, MAX_ORDER - 1);
		if (!b)
			break;
		if (page_to_pfn(b) >= MAX_NONPAE_PFN) {
			high = b;
			break;
		}
		blocks[n++] = b;
	}
	while (n)
		__free_pages(blocks[--n], MAX_ORDER - 1);
	if (!high)
		KTEST_SKIP(t, "could not get a free page above 4 GiB");
	pfn = page_to_pfn(high);
	alias = pfn & (MAX_NONPAE_PFN - 1);
	EXPECT_GE(t, page_to_phys(high), 1ULL << 32);

	preempt_disable();	/* the scratch slot is this CPU's TLB entry */
	__set_fixmap(FIX_SCRATCH, PFN_PHYS(alias), PAGE_KERNEL);
	for (int i = 0; i < 4; i++)
		before[i] = p[i * 256];
	__set_fixmap(FIX_SCRATCH, PFN_PHYS(pfn), PAGE_KERNEL);
	for (int i = 0; i < 4; i++)
		p[i * 256] = 0xa5a50000u ^ (u32)pfn ^ i;
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(t, p[i * 256], 0xa5a50000u ^ (u32)pfn ^ i);
	__set_fixmap(FIX_SCRATCH, PFN_PHYS(alias), PAGE_KERNEL);
	for (int i = 0; i < 4; i++)
		after[i] = p[i * 256];
	clear_fixmap(FIX_SCRATCH);
	preempt_enable();
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(t, after[i], before[i]);
	__free_pages(high, MAX_ORDER - 1);
}

KTEST_SUITE(pgtable,
	KTEST_CASE(set_pte_stores_high_word_before_low),
	KTEST_CASE(pte_clear_stores_low_word_first),
	KTEST_CASE(ptep_get_never_returns_a_torn_entry),
	KTEST_CASE(lookup_address_descends_to_the_pte),
	KTEST_CASE(lookup_address_stops_at_huge_or_absent_entries),
	KTEST_CASE(lookup_address_agrees_with_the_kernel_tables),
	KTEST_CASE(set_pte_atomic_replaces_in_one_store),
	KTEST_CASE(get_and_clear_drops_present_bit_first),
	KTEST_CASE(pdpt_entries_carry_only_present_and_address),
	KTEST_CASE(kernel_ptes_have_linux_protections),
	KTEST_CASE(direct_map_translates_lowmem_exactly),
	KTEST_CASE(ram_above_4g_is_reached_without_aliasing));
