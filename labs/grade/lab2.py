# SPDX-License-Identifier: MIT
# Lab 2, the pkmap pool: how tests/harness/grade.py grades it (labs/lab2.md).
#
# The kmap suite (tests/kernel/kmap_test.c) at 1 and 4 CPUs, and a short
# kmaptorture run. Only the cases the stubs make fail are graded: the
# others (lowmem, the shared slot, the lazy hit, the BUG cases) pass with
# the stubs too, and must still pass (OTHERS). At 1 CPU the cases that need
# two skip, so they are graded at 4 only.
TITLE = "The pkmap pool"
CONFIGS = {
    "smp1": dict(mem="4G", smp=1, args="test=kmap"),
    "smp4": dict(mem="4G", smp=4, args="test=kmap"),
    # the stubs' workers die (a full pool) or sleep for good (no wake-up):
    # the verdict line is FAILURE, or never comes and the time limit ends it
    "torture-smp4": dict(mem="4G", smp=4, args="test=none torture=kmap,secs=5",
                         ktap=False, timeout=60),
}
# (config, suite.case, points)
GRADED = [
    ("smp1", "kmap.one_global_flush_per_wrap_with_ipis_to_all", 3),
    ("smp1", "kmap.no_cpu_reads_stale_page_after_wrap", 3),
    ("smp1", "kmap.kmap_sleeps_while_pool_full", 3),
    ("smp4", "kmap.one_global_flush_per_wrap_with_ipis_to_all", 5),
    ("smp4", "kmap.no_cpu_reads_stale_page_after_wrap", 5),
    ("smp4", "kmap.wrap_flush_is_done_everywhere_before_kmap_lock_is_free", 5),
    ("smp4", "kmap.concurrent_kmap_on_several_cpus_keeps_pages_apart", 4),
    ("smp4", "kmap.kmap_of_a_page_being_mapped_waits_for_kmap_lock", 3),
    ("smp4", "kmap.kmap_sleeps_while_pool_full", 4),
    ("smp4", "kmap.woken_kmap_finds_the_page_mapped_while_it_slept", 5),
]
# (config, regex, points, label): a line the console must show
LINES = [
    ("torture-smp4", r"^kmaptorture: End of test: SUCCESS: .* mismatches=0$", 10, "kmaptorture"),
]
OTHERS = "smp4"
