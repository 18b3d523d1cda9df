# SPDX-License-Identifier: MIT
# Lab 5, TLB shootdown: how tests/harness/grade.py grades it (labs/lab5.md).
#
# smp4: the tlb suite, and the kmap and vmap_stack cases that only hold
# when a flush reaches every CPU (a pool wrap, a freed stack).
# bochs: what QEMU cannot show. TCG drops every TLB entry, global ones too,
# on any CR3 write, so a full flush by CR3 reload passes under QEMU; Bochs
# keeps global entries across a CR3 write as hardware does
# (tlb.strict_globals=1 tells the tlb suite so). About 50 s, beside smp4.
TITLE = "TLB shootdown"
CONFIGS = {
    "smp4": dict(mem="4G", smp=4, args="test=tlb,kmap,vmap_stack"),
    "bochs": dict(bochs=True, mem="1G", smp=2, cpu="corei7_haswell_4770",
                  args="test=tlb,kmap tlb.strict_globals=1", timeout=300),
}
# (config, suite.case, points)
GRADED = [
    # flush_on_each_cpu: every CPU, and the initiator waits for all
    ("smp4", "tlb.flush_tlb_all_reaches_every_cpu", 4),
    ("smp4", "tlb.shootdown_invlpg_reaches_other_cpu", 5),
    ("smp4", "tlb.shootdown_answered_while_spinning_on_lock", 4),
    # do_flush_range: one INVLPG per page, the last page included
    ("smp4", "tlb.shootdown_invlpg_covers_every_page_of_range", 4),
    # flush_ceiling: above 33 pages one full flush, at 33 still INVLPGs
    ("smp4", "tlb.shootdown_range_at_ceiling_is_still_invlpg", 3),
    ("smp4", "tlb.shootdown_full_flush_drops_global_entry", 5),
    # the pool's wrap and the stack cache depend on the shootdown
    ("smp4", "kmap.one_global_flush_per_wrap_with_ipis_to_all", 3),
    ("smp4", "kmap.no_cpu_reads_stale_page_after_wrap", 4),
    ("smp4", "kmap.wrap_flush_is_done_everywhere_before_kmap_lock_is_free", 4),
    ("smp4", "kmap.concurrent_kmap_on_several_cpus_keeps_pages_apart", 3),
    ("smp4", "vmap_stack.released_stack_faults_on_every_cpu", 3),
    # flush_global_entries: only an x86 that keeps global entries tells
    ("bochs", "tlb.shootdown_full_flush_drops_global_entry", 5),
    ("bochs", "kmap.no_cpu_reads_stale_page_after_wrap", 3),
]
OTHERS = "smp4"
