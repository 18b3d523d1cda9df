# SPDX-License-Identifier: MIT
# Lab 6, the challenge: how tests/harness/grade.py grades it (labs/lab6.md).
#
# There are no points for speed. The grade is what a faster hit path must
# not break: every kmap case at 4 CPUs and kmaptorture; then REPORT boots
# the kmap benchmark under -icount and prints the leaderboard line
# (tests/harness/bench.py: challenge()). A fresh tree is the reference
# itself (the one LAB(6) marker, in mm/highmem.h, keeps its code), so it
# scores full marks before any change: STUB_EXPECT.
import os
import sys

TITLE = "the challenge: a cheaper kmap hit"
CONFIGS = {
    "smp4": dict(mem="4G", smp=4, args="test=kmap"),
    "torture": dict(mem="4G", smp=4, args="test=none torture=kmap,secs=10", ktap=False,
                    timeout=60),
}
KMAP_CASES = [
    "kmap_of_lowmem_page_uses_no_slot",
    "two_threads_share_one_address_valid_on_every_cpu",
    "kmap_hit_reuses_slot_without_pte_write",
    "one_global_flush_per_wrap_with_ipis_to_all",
    "no_cpu_reads_stale_page_after_wrap",
    "wrap_flush_is_done_everywhere_before_kmap_lock_is_free",
    "concurrent_kmap_on_several_cpus_keeps_pages_apart",
    "kmap_of_a_page_being_mapped_waits_for_kmap_lock",
    "kmap_sleeps_while_pool_full",
    "woken_kmap_finds_the_page_mapped_while_it_slept",
    "kmap_flush_unused_drops_idle_slots",
    "kunmap_of_unmapped_page_is_a_bug",
    "one_kunmap_too_many_is_a_bug_and_the_pool_survives",
    "kmap_from_atomic_context_splats",
    "kunmap_from_irq_context_splats",
]
# (config, suite.case, points): one each; a broken hit path fails several
GRADED = [("smp4", f"kmap.{c}", 1) for c in KMAP_CASES]
LINES = [("torture", r"^kmaptorture: End of test: SUCCESS: .* mismatches=0$", 5, "kmaptorture")]
OTHERS = "smp4"
STUB_EXPECT = "full"


def REPORT(root, build):
    """The figure: kmaplab's hit beside Linux 6.1's, the line to paste."""
    sys.path.insert(0, os.path.join(root, "tests", "harness"))
    import bench
    log_dir = os.path.join(build, "bench-logs")
    os.makedirs(log_dir, exist_ok=True)
    line, _, _, error = bench.challenge(os.path.join(build, "kernel.elf"), log_dir, root=root)
    return ([f"bench: the kmap benchmark boot failed: {error}"] if error else []) + [line]
