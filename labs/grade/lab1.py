# SPDX-License-Identifier: MIT
# Lab 1, PAE entries: how tests/harness/grade.py grades it (labs/lab1.md).
TITLE = "PAE entries"
CONFIGS = {
    "smp1": dict(mem="4G", smp=1, args="test=pgtable"),
    "smp4": dict(mem="4G", smp=4, args="test=pgtable"),
}
# (config, suite.case, points): the same cases on one CPU and on four
CASES = [
    ("pgtable.set_pte_stores_high_word_before_low", 3),
    ("pgtable.pte_clear_stores_low_word_first", 3),
    ("pgtable.ptep_get_never_returns_a_torn_entry", 3),
    ("pgtable.lookup_address_descends_to_the_pte", 2),
    ("pgtable.lookup_address_stops_at_huge_or_absent_entries", 2),
    ("pgtable.lookup_address_agrees_with_the_kernel_tables", 2),
]
GRADED = [(cfg, case, pts) for cfg in CONFIGS for case, pts in CASES]
OTHERS = "smp4"
