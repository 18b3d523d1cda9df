# SPDX-License-Identifier: MIT
# Lab 4, conversions: how tests/harness/grade.py grades it (labs/lab4.md).
#
# Every case of the conversion_lab suite (tests/kernel/conversion_lab_test.c)
# first checks that its driver's section holds kmap_local maps with page
# faults on (the original kmap()/kmap_atomic() code fails there), then what
# the conversion must keep: the main machine (smp4) carries most points;
# one CPU, PREEMPT_RT's kmap_atomic and guard slots with every page mapped
# each check again what they change.
TITLE = "Conversions to kmap_local_page()"
CONFIGS = {
    "smp4": dict(mem="4G", smp=4, args="test=conversion_lab"),
    "smp1": dict(mem="4G", smp=1, args="test=conversion_lab"),
    "rt": dict(mem="2G", smp=2, args="test=conversion_lab kmap_atomic.rt=1"),
    "debug-smp4": dict(mem="4G", smp=4,
                       args="test=conversion_lab kmap_local.guard=1 kmap_local.force_map=1"),
}
S = "conversion_lab."
# (config, suite.case, points)
GRADED = [
    ("smp4", S + "checksum_bounce_buffer_stays_ours", 3),
    ("smp4", S + "checksum_header_stays_preemptible", 2),
    ("smp4", S + "fill_record_fails_fast", 3),
    ("smp4", S + "fill_record_stays_preemptible", 2),
    ("smp4", S + "walk_keeps_its_map_across_the_sleep", 2),
    ("smp4", S + "walk_sleeps_preemptibly", 2),
    ("smp4", S + "copy_record_unmaps_newest_first", 3),
    ("smp4", S + "copy_record_stays_preemptible", 1),
    ("smp4", S + "hand_off_worker_maps_the_page", 3),
    # one CPU: the competitor, the worker and the driver share it
    ("smp1", S + "checksum_bounce_buffer_stays_ours", 1),
    ("smp1", S + "walk_keeps_its_map_across_the_sleep", 1),
    ("smp1", S + "hand_off_worker_maps_the_page", 1),
    # PREEMPT_RT: kmap_atomic() itself no longer disables preemption
    ("rt", S + "checksum_bounce_buffer_stays_ours", 2),
    ("rt", S + "fill_record_fails_fast", 1),
    # guard slots, and lowmem pages mapped into slots too
    ("debug-smp4", S + "copy_record_unmaps_newest_first", 2),
    ("debug-smp4", S + "walk_keeps_its_map_across_the_sleep", 1),
]
OTHERS = "smp4"
