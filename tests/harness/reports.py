# SPDX-License-Identifier: MIT
"""reports.py - find kernel reports that nobody announced.

A passing test run may still print a `WARNING:` from a scheduler path or a
`BUG:` from a background thread; every case can say `ok` while the kernel
is broken. So the harness holds the kernel to a rule: every report line is
either announced by the test that provokes it, or the boot fails.

A test announces a report with a KTAP diagnostic before the misuse:

        # expected: kernel BUG at mm/highmem.c
        kunmap: page f7fd2000 (pfn 0x3ffff) is not kmapped
        kernel BUG at mm/highmem.c:312!
        ok 7 kunmap_of_unmapped_page_is_a_bug

An announcement covers every report line that contains its text, until the
result line (`ok N` / `not ok N`) that ends the case. What counts as a
report line is REPORT_RE below: Linux's own headline words. A line whose
text starts with `#` is a diagnostic, never a report (a failing EXPECT may
quote "BUG:" in its message, and the case fails anyway).

Configurations that crash on purpose (crash=..., an expected panic) list
their report lines in the matrix; `allowed` takes those.
"""

import re

REPORT_RE = re.compile(r"BUG:|WARNING:|Oops|kernel BUG at|general protection fault|"
                       r"scheduling while atomic")
EXPECT_RE = re.compile(r"^\s*# expected: (.+?)\s*$")
RESULT_RE = re.compile(r"^\s*(?:not )?ok \d+\b")


class ReportWatcher:
    """Feed it cleaned console lines; .unexpected lists the unannounced reports.

    allowed: substrings or compiled regexes that cover report lines for the
    whole boot (a crash configuration's expected panic text).
    """

    def __init__(self, allowed=()):
        self.allowed = list(allowed)
        self.active = []            # announcements of the case running now
        self.unexpected = []        # (line number, text) of unannounced reports
        self.announced = 0          # report lines that an announcement covered
        self.lineno = 0

    def _covered(self, text):
        for a in self.active:
            if a in text:
                return True
        for a in self.allowed:
            if (a.search(text) if hasattr(a, "search") else a in text):
                return True
        return False

    def feed(self, line):
        self.lineno += 1
        body = line.strip()
        m = EXPECT_RE.match(line)
        if m:
            self.active.append(m.group(1))
            return
        if RESULT_RE.match(line):
            self.active = []
            return
        if body.startswith("#") or not REPORT_RE.search(body):
            return
        if self._covered(body):
            self.announced += 1
        else:
            self.unexpected.append((self.lineno, body))

    def problems(self, limit=5):
        """Failure diagnostics: the first few unannounced report lines."""
        if not self.unexpected:
            return []
        out = [f"{len(self.unexpected)} report line(s) no test announced "
               f"(a test announces one with '# expected: <text>' before the misuse):"]
        for n, text in self.unexpected[:limit]:
            out.append(f"  console line {n}: {text}")
        if len(self.unexpected) > limit:
            out.append(f"  ... and {len(self.unexpected) - limit} more")
        return out
