# SPDX-License-Identifier: MIT
# Lab 3, kmap_local: how tests/harness/grade.py grades it (labs/lab3.md).
TITLE = "kmap_local"
# The kmap_local suite plain and with the debug modes (guard slots, lowmem
# through slots), at one CPU and at four. One conversion case rides along
# at four CPUs: its two tasks share a CPU while holding local maps, which
# only works once the switch hooks do.
DEBUG = "kmap_local.guard=1 kmap_local.force_map=1"
PATTERN_B = "conversion.pattern_b_naive_conversion_corrupts_the_buffer"
CONFIGS = {
    "smp1": dict(mem="4G", smp=1, args="test=kmap_local"),
    "debug-smp1": dict(mem="4G", smp=1, args=f"test=kmap_local {DEBUG}"),
    "smp4": dict(mem="4G", smp=4, args=f"test=kmap_local,{PATTERN_B}"),
    "debug-smp4": dict(mem="4G", smp=4, args=f"test=kmap_local {DEBUG}"),
}
# (config, suite.case, points). Each region of the lab and what catches it:
#   kmap_local_idx_push          nesting_beyond_the_limit_is_a_bug (no guards)
#   kmap_local_cpu_base          each_cpu_maps_in_slots_of_its_own (4 CPUs)
#   kmap_local_calc_idx          nesting_beyond_the_limit_is_a_bug (4 CPUs)
#   kunmap_local_lifo            out_of_order_unmap_reports_both_addresses
#   kmap_local_sched_out/_in     same_address..., switch_hooks..., reschedule...
#   ..._guarded                  the same three, with guard slots
# (kmap_local_idx_pop's stub lacks only the underflow check, which
# kunmap_local() makes before calling it: no case can see it.)
GRADED = [
    ("smp1", "kmap_local.same_address_maps_each_tasks_own_page", 2),
    ("smp1", "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", 3),
    ("smp1", "kmap_local.reschedule_inside_a_map_waits_for_its_end", 2),
    ("smp1", "kmap_local.nesting_beyond_the_limit_is_a_bug", 2),
    ("smp1", "kmap_local.out_of_order_unmap_reports_both_addresses", 3),
    ("debug-smp1", "kmap_local.same_address_maps_each_tasks_own_page", 2),
    ("debug-smp1", "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", 3),
    ("debug-smp1", "kmap_local.reschedule_inside_a_map_waits_for_its_end", 2),
    ("debug-smp1", "kmap_local.out_of_order_unmap_reports_both_addresses", 2),
    ("smp4", "kmap_local.each_cpu_maps_in_slots_of_its_own", 4),
    ("smp4", "kmap_local.same_address_maps_each_tasks_own_page", 2),
    ("smp4", "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", 3),
    ("smp4", "kmap_local.reschedule_inside_a_map_waits_for_its_end", 2),
    ("smp4", "kmap_local.nesting_beyond_the_limit_is_a_bug", 3),
    ("smp4", "kmap_local.out_of_order_unmap_reports_both_addresses", 2),
    ("smp4", PATTERN_B, 2),
    ("debug-smp4", "kmap_local.each_cpu_maps_in_slots_of_its_own", 3),
    ("debug-smp4", "kmap_local.same_address_maps_each_tasks_own_page", 2),
    ("debug-smp4", "kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top", 3),
    ("debug-smp4", "kmap_local.reschedule_inside_a_map_waits_for_its_end", 2),
    ("debug-smp4", "kmap_local.out_of_order_unmap_reports_both_addresses", 1),
]
OTHERS = "smp4"
