# SPDX-License-Identifier: MIT
# Lab 5, TLB shootdown: how tests/harness/grade.py grades it (labs/lab5.md).
TITLE = "TLB shootdown"
CONFIGS = {
    "smp4": dict(mem="4G", smp=4, args="test=tlb"),
}
# (config, suite.case, points)
GRADED = [
    ("smp4", "tlb.flush_tlb_all_reaches_every_cpu", 5),
    ("smp4", "tlb.shootdown_invlpg_reaches_other_cpu", 5),
]
OTHERS = "smp4"
