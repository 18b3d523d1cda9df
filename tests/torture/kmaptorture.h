/* SPDX-License-Identifier: MIT */
/*
 * kmaptorture.h - torture=kmap: every highmem API at once, on every CPU,
 * with signature checks (tests/torture/kmaptorture.c).
 */
#ifndef TESTS_TORTURE_KMAPTORTURE_H
#define TESTS_TORTURE_KMAPTORTURE_H

#include "kernel/types.h"

bool torture_requested(void);
/* Run for torture=...,secs=N; returns the number of mismatches (0: SUCCESS). */
int torture_run(void);
/* How long the next torture_run() lasts (the monitor's "torture SECS"). */
void torture_set_secs(unsigned int secs);

#endif
