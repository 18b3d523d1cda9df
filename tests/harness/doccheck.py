#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""doccheck.py - do README.md, docs/*.md and labs/*.md still tell the truth?

    python3 tests/harness/doccheck.py --logs build/test-logs   # after a matrix run
    python3 tests/harness/doccheck.py labs/*.md                # the labs' pages only
    python3 tests/harness/doccheck.py --selftest               # its own tests
    python3 tests/harness/doccheck.py --explain docs/kmap.md   # what it takes for a quote

It reads the docs against the tree and against the console logs of a whole
matrix run (python3 tests/harness/matrix.py --build build), prints one line
per problem as "docs/kmap.md:133: ...", then a summary line. Exit status 0
only when there is no problem (2: no logs to compare with).

The labs' pages (labs/*.md: the handouts, their index, the answers) are
checked like the docs, with more logs to quote: besides the matrix run's,
the logs that grading left next to it in the same build/ folder (see
lab_log_dirs()): build/grade-logs/*.log (the reference tree's grade),
build/labs-test/labN*/build/grade-logs/*.log (the stub trees and wrong
fixtures of tests/harness/labs_test.py), build/labs/labN/build/grade-logs
(trees from `make lab`) and build/labs-test/labs-test.log (what grade.py
printed there: the "  case [config].... FAIL 0/5  why" lines, "Score: N/M").
README.md and docs/ may quote the matrix run only. `make test` checks
README.md and docs/ (matrix.py's host checks); `make test-labs` checks
labs/*.md after grading every lab; with no arguments doccheck checks all.

What it checks:

 1. Console quotes. Each line of a console quote must be a line of some log
    of the run. Both sides are masked first for what changes from run to
    run or build to build: timestamps "[    0.123456]", hex numbers (0x...
    and bare 8/16-digit hex words: addresses, registers), "+0x1f/0x40"
    offsets, the line of a source file in "at mm/highmem.c:271", PIDs
    ("PID: 14", "pid: 14", "comm[14]", "comm/14"), the oops counter "[#2]"
    and the taint flags; runs of blanks count as one. A "..." inside a
    quote stands for any text, and a line that is only "..." elides lines.
    Where console quotes are:
      - fenced blocks tagged ```console: every line;
      - untagged fenced blocks with a "[    0.123456]" timestamp: every line;
      - other untagged fenced blocks: each line that looks printed (it starts
        with a prefix the logs use, such as "kmap_local: ", "BUG: ",
        "WARNING: ", "#PF: ", "# case_name: ", or it is some log line with
        other numbers) - so a diagram may show a real console line;
      - `inline code` in the text, by the same test; an inline quote may be
        a part of a line, a block line must be a whole one.
    Blocks tagged with a language (```c, ```sh, ...) are never quotes.
    A quote that contains a printf conversion (%d, %lu, %08lx, %s...) quotes
    a message the matrix may never print: it must then be (part of) a
    string literal in the sources instead.

 2. References. `file.c:NNN` (or NNN-MMM) must name an existing file and
    lines that exist; when a name follows it (`mm/highmem.c:298 kmap_high`,
    or `kmap_high()`), the line must lie in that function's body, macro or
    definition. `file.c: name()`, "`name()` (`file.c`)" and "`a()`/`b()` in
    `file.c`" must name functions (or macros, variables) that file defines.
    A path in backticks with a "/" (outside build/), any tree path in the
    text (arch/, boot/, kernel/, mm/, tests/, tools/, docs/ with an
    extension) and every relative Markdown link must exist.

 3. Test cases. A backticked snake_case name of four words or more is a
    test case unless the sources define it as something else: it must be a
    KTEST_CASE() (or KTEST_CASE_TIMEOUT()) of tests/kernel/*.c. So must "`suite.case`", the case in
    "`suite` suite `case`", and the suite of "`suite` suite" or `test=suite`.

 4. Figures. Decimal numbers are NOT masked: a quote whose text matches a
    log line but whose numbers differ (a meminfo line, "6 pool wraps") is
    reported with what the run printed.

Markers (HTML comments, invisible on GitHub), put on the line(s) before a
fenced block or a paragraph, or inside a paragraph:
    <!-- varies -->         the numbers in the next block / this paragraph's
                            quotes are an example that varies run to run:
                            only the text is compared
    <!-- log: smp4 -->      its quotes must come from build/test-logs/smp4.log
                            (a comma list allowed); combine as
                            <!-- varies; log: smp4 -->
                            A lab log is named by its path below build/
                            without "build/grade-logs": grade-logs/lab5-smp4
                            (the solution's), labs-test/lab5/lab5-smp4 (the
                            stubs'), labs-test/labs-test; or by its file's
                            name alone (lab5-smp4: either)
"""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---------------------------------------------------------------- masking

TS_RE = re.compile(r"^\s*\[\s*\d+\.\d+\]\s?")
WILD = "\x00"		# what "..." becomes inside a quote


def mask_noise(s):
    """What may differ between two runs or builds, on either side."""
    s = TS_RE.sub("", s)
    # any run of three dots or more is one gap (grade's dot leaders too:
    # several gaps in a row would make the quote's regex backtrack for ever)
    s = re.sub(r"\.{3,}", WILD, s)
    s = re.sub(r"\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+", "+0x?/0x?", s)
    s = re.sub(r"\b([\w./-]+\.(?:c|h|S)):\d+", r"\1:?", s)
    s = re.sub(r"0x[0-9a-fA-F]+", "0x?", s)
    s = re.sub(r"\b(?:(?=[0-9a-f]*[a-f])[0-9a-f]{8}|0[0-9a-f]{7})(?:[0-9a-f]{8})?\b", "?", s)
    s = re.sub(r"\b(PID|pid):\s*\d+", r"\1: ?", s)
    s = re.sub(r"(?<=[\w)-])\[\d+\]", "[?]", s)
    s = re.sub(r"\[#\d+\]", "[#?]", s)
    s = re.sub(r"\b([A-Za-z][\w-]*)/\d+\b", r"\1/?", s)
    s = re.sub(r"(?:Not tainted|Tainted: [A-Z ]*?)\s+kmaplab", "TAINT kmaplab", s)
    return " ".join(s.split())


def mask_numbers(s):
    """The skeleton of an already masked line: decimal numbers too."""
    return re.sub(r"\d+", "#", s)


def quote_regex(q, whole):
    parts = [re.escape(p) for p in re.split(r"\s*" + WILD + r"\s*", q)]
    body = ".*".join(parts)
    body = re.sub(r"(?:\.\*){2,}", ".*", body)
    if whole:
        return re.compile("^" + body + "$")
    # a part of a line: not a part of a word
    return re.compile((r"(?<!\w)" if q[:1].isalnum() else "") + body +
                      (r"(?!\w)" if q[-1:].isalnum() else ""))


# ---------------------------------------------------------------- the logs

class Logs:
    def __init__(self, logdir, lab_dirs=()):
        self.files = {}		# name -> list of (masked, original)
        self.matrix = []	# the names of the matrix run's logs
        if logdir and os.path.isdir(logdir):
            for fn in sorted(os.listdir(logdir)):
                if fn.endswith(".log"):
                    self._read(fn[:-4], os.path.join(logdir, fn))
                    self.matrix.append(fn[:-4])
        for prefix, d in lab_dirs:		# the labs' logs: see lab_log_dirs()
            for fn in sorted(os.listdir(d)):
                if fn.endswith(".log"):
                    self._read(prefix + fn[:-4], os.path.join(d, fn))
        self.prefixes = set()
        self.exact = {}
        self.skel = {}
        for name, lines in self.files.items():
            ex = self.exact.setdefault(name, set())
            sk = self.skel.setdefault(name, set())
            for m, _ in lines:
                ex.add(m)
                sk.add(mask_numbers(m))
                pm = re.match(r"([A-Za-z_#][\w.#()-]*): \S", m)
                if pm:
                    self.prefixes.add(pm.group(1))

    def _read(self, name, path):
        with open(path, errors="replace") as f:
            lines = [l.rstrip("\r\n") for l in f]
        self.files[name] = [(mask_noise(l), TS_RE.sub("", l).strip())
                            for l in lines if l.strip()]

    def named(self, name):
        """The logs a marker's name stands for: that log, or every lab log
        whose own name it is ("lab5-smp4": the reference's and the stubs')."""
        if name in self.files:
            return [name]
        return [n for n in sorted(self.files) if n.endswith("/" + name)]

    def scope(self, names, labs=False):
        if names:
            return names
        return sorted(self.files) if labs else self.matrix

    def closest(self, q, whole, names=None, labs=False):
        """The log line with q's text whose numbers differ least from q's."""
        rx = quote_regex(mask_numbers(q), whole)
        want = re.findall(r"\d+", q.split(WILD)[0])
        best = None
        for name in self.scope(names, labs):
            for m, orig in self.files.get(name, []):
                if rx.search(mask_numbers(m)):
                    got = re.findall(r"\d+", m)
                    score = sum(abs(int(a) - int(b)) / (int(a) + int(b) + 1)
                                for a, b in zip(want, got))
                    if best is None or score < best[0]:
                        best = (score, "`%s` (%s.log)" % (orig, name))
        return best[1] if best else None

    def find(self, q, whole, names=None, numbers=True, labs=False):
        """The original text of a log line matching quote q (masked), or None."""
        if not numbers:
            q = mask_numbers(q)
        for name in self.scope(names, labs):
            if name not in self.files:
                continue
            if whole and WILD not in q:
                pool = self.exact[name] if numbers else self.skel[name]
                if q not in pool:
                    continue
            rx = quote_regex(q, whole)
            for m, orig in self.files[name]:
                if rx.search(m if numbers else mask_numbers(m)):
                    return orig
        return None


def lab_log_dirs(build):
    """The labs' console logs under build/, as (name prefix, folder):
    build/grade-logs (`make grade` in the reference tree: the solution),
    build/labs-test/labN/build/grade-logs (the stub trees that
    tests/harness/labs_test.py grades, and its wrong-fixture trees),
    build/labs/labN/build/grade-logs (trees from `make lab`), and
    build/labs-test itself (labs-test.log: what every grade.py run of
    labs_test.py printed, the "Score: N/M" lines included)."""
    out = []
    if not build or not os.path.isdir(build):
        return out
    g = os.path.join(build, "grade-logs")
    if os.path.isdir(g):
        out.append(("grade-logs/", g))
    for top in ("labs-test", "labs"):
        t = os.path.join(build, top)
        if not os.path.isdir(t):
            continue
        if top == "labs-test":
            out.append(("labs-test/", t))
        for tree in sorted(os.listdir(t)):
            g = os.path.join(t, tree, "build", "grade-logs")
            if os.path.isdir(g):
                out.append(("%s/%s/" % (top, tree), g))
    return out


STARTERS = ("BUG: ", "WARNING: ", "kernel BUG at ", "Oops: ", "#PF: ", "note: ",
            "Kernel panic", "PANIC: ", "------------[ cut here", "invalid opcode: ",
            "---[ end trace", "Call Trace:")
PRINTF_RE = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z)?[diouxXcsp]")


def looks_printed(masked, logs, cases=()):
    """Does this (masked) text look like a console line?"""
    if masked.startswith(STARTERS):
        return True
    km = re.match(r"#\s+(\w+): \S", masked)	# a KTAP diagnostic of a case
    if (km and km.group(1) in cases) or re.match(r"(not )?ok \d+ \w", masked):
        return True
    pm = re.match(r"([A-Za-z_#][\w.#()-]*): \S", masked)
    return bool(pm and pm.group(1) in logs.prefixes)


# ---------------------------------------------------------------- the tree

C_EXT = (".c", ".h", ".S")
IDENT = r"[A-Za-z_]\w*"


class Tree:
    def __init__(self, root):
        self.root = root
        self.files = []
        for d, dirs, files in os.walk(root):
            rel = os.path.relpath(d, root)
            dirs[:] = [x for x in dirs if not (rel == "." and x in (".git", "build"))]
            for fn in files:
                self.files.append(os.path.normpath(os.path.join(rel, fn)))
        self.fileset = set(self.files)
        self._lines = {}
        self._defs = {}
        self.cases = {}			# case -> suite
        self.suites = {}		# suite -> [cases]
        self.test_funcs = set()		# functions defined in tests/kernel
        self.idents = set()		# every identifier in the C/asm/py sources
        self.literals = []		# every C string literal (adjacent ones joined)
        for f in self.files:
            if not f.endswith(C_EXT + (".py",)):
                continue
            text = "\n".join(self.lines(f))
            self.idents.update(re.findall(IDENT, text))
            if f.endswith(C_EXT):
                self._literals(text)
            if f.startswith("tests/kernel/") and f.endswith(".c"):
                for m in re.finditer(r"KTEST_SUITE\w*\(\s*(\w+)\s*,(.*?)\);", text, re.S):
                    cs = re.findall(r"KTEST_CASE(?:_TIMEOUT)?\(\s*(\w+)\s*[,)]", m.group(2))
                    self.suites.setdefault(m.group(1), []).extend(cs)
                    for c in cs:
                        self.cases[c] = m.group(1)
                self.test_funcs.update(self.defs(f))

    def _literals(self, text):
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', text):
            s = "".join(re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0)))
            s = s.replace("\\n", " ").replace('\\"', '"').replace("\\t", " ")
            self.literals.append(" ".join(s.split()))

    def exists(self, rel):
        p = os.path.normpath(rel)
        return p in self.fileset or os.path.isdir(os.path.join(self.root, p))

    def lines(self, rel):
        if rel not in self._lines:
            try:
                with open(os.path.join(self.root, rel), errors="replace") as f:
                    self._lines[rel] = f.read().split("\n")
            except OSError:
                self._lines[rel] = []
        return self._lines[rel]

    def defs(self, rel):
        """name -> (first, last) line numbers (1-based) of what rel defines."""
        if rel in self._defs:
            return self._defs[rel]
        d = {}
        lines = self.lines(rel)
        if rel.endswith(".S"):
            for i, l in enumerate(lines, 1):
                m = re.match(r"(?:SYM_FUNC_START|ENTRY)\((\w+)\)|(\w+):", l)
                if m:
                    d.setdefault(m.group(1) or m.group(2), (i, i))
            self._defs[rel] = d
            return d
        if rel == "Makefile" or rel.endswith("/Makefile"):
            for i, l in enumerate(lines, 1):
                m = re.match(r"([\w./-]+(?:\s+[\w./-]+)*)\s*:(?!=)", l)
                if m and not l.startswith("\t"):
                    end = i
                    while end < len(lines) and lines[end].startswith("\t"):
                        end += 1
                    for t in m.group(1).split():
                        d.setdefault(t, (i, end))
            self._defs[rel] = d
            return d
        i = 0
        n = len(lines)
        while i < n:
            l = lines[i]
            m = re.match(r"#\s*define\s+(\w+)", l)
            if m:
                end = i
                while end < n - 1 and lines[end].rstrip().endswith("\\"):
                    end += 1
                d.setdefault(m.group(1), (i + 1, end + 1))
                i = end + 1
                continue
            if not l or l[0] in " \t#/*}{" or l.startswith("extern "):
                i += 1
                continue
            # a top-level statement: gather it up to ';' or '{' (or '=')
            j, stmt = i, l
            while j < n - 1 and not re.search(r"[;{]|=\s*$|=\s*\{", stmt) and j - i < 8:
                j += 1
                stmt += "\n" + lines[j]
            fm = re.search(r"(\w+)\s*\([^;{]*\)\s*(?:__\w+(?:\([^)]*\))?\s*)*(\{|;)", stmt, re.S)
            if fm and fm.group(2) == "{" and not re.match(r"\s*(?:KTEST_SUITE|DEFINE_\w+)\b", stmt):
                end = self._body_end(lines, j)
                d.setdefault(fm.group(1), (i + 1, end + 1))
                i = end + 1
                continue
            if fm and fm.group(2) == ";" and rel.endswith(".h"):
                d.setdefault(fm.group(1), (i + 1, j + 1))	# a prototype in a header
            for vm in re.finditer(r"DEFINE_\w+\(\s*(?:[^,()]*,\s*)?(\w+)", stmt):
                d.setdefault(vm.group(1), (i + 1, j + 1))
            sm = re.match(r"(?:typedef\s+)?(?:struct|union|enum)\s+(\w+)\s*\{", stmt)
            if sm or "{" in stmt.split("\n")[-1] and "=" in stmt:
                end = self._body_end(lines, j)
            else:
                end = j
            if sm:
                d.setdefault(sm.group(1), (i + 1, end + 1))
            else:
                vm = re.match(r"[^=(;]*?\b(\w+)\s*(?:\[[^\]]*\]\s*)*(?:=|;)", stmt)
                if vm:
                    d.setdefault(vm.group(1), (i + 1, end + 1))
            i = end + 1
        self._defs[rel] = d
        return d

    @staticmethod
    def _body_end(lines, j):
        depth = 0
        seen = False
        for k in range(j, len(lines)):
            code = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|//.*|/\*.*?\*/', "", lines[k])
            depth += code.count("{") - code.count("}")
            seen = seen or "{" in code
            if seen and depth <= 0:
                return k
        return len(lines) - 1

    def resolve(self, path, docdir):
        """A path as the docs write it -> the tree's relative path, or None."""
        for cand in (path, os.path.join(docdir, path)):
            c = os.path.normpath(cand)
            if self.exists(c):
                return c
        if "/" not in path:
            hits = [f for f in self.files if os.path.basename(f) == path]
            if len(hits) == 1:
                return hits[0]
        return None


# ---------------------------------------------------------------- the docs

FENCE_RE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
MARKER_RE = re.compile(r"<!--(.*?)-->")
CODE_LANGS = {"c", "sh", "shell", "bash", "make", "makefile", "python", "py", "gdb",
              "asm", "diff", "text", "ld", "json", "yaml"}
CONSOLE_LANGS = {"console", "log", "serial"}


def parse_marker(text):
    """Directives of the HTML comments in text: (varies, [logs]) or None."""
    varies, logs, found = False, [], False
    for m in MARKER_RE.finditer(text):
        for part in re.split(r"[;]", m.group(1)):
            part = part.strip()
            if part == "varies":
                varies = found = True
            elif re.match(r"log\s*[:=]", part):
                logs += [x.strip() for x in re.split(r"[:=]", part, 1)[1].split(",") if x.strip()]
                found = True
    return (varies, logs) if found else None


class Doc:
    """A Markdown file cut into fenced blocks and paragraphs."""

    def __init__(self, rel, text):
        self.rel = rel
        self.blocks = []	# (info, [(lineno, text)], marker)
        self.paras = []		# (first lineno, text, marker)
        lines = text.split("\n")
        i, pending, para, para_start = 0, None, [], 0

        def flush():
            nonlocal para, pending
            if para:
                t = "\n".join(para)
                own = parse_marker(t)
                if own is not None and not MARKER_RE.sub("", t).strip():
                    pending = own	# a paragraph of only markers: for what follows
                else:
                    self.paras.append((para_start, t, own or pending))
                    pending = None
            para = []

        while i < len(lines):
            l = lines[i]
            fm = FENCE_RE.match(l)
            if fm:
                flush()
                fence = fm.group(2)
                body = []
                i += 1
                while i < len(lines) and not lines[i].strip().startswith(fence):
                    body.append((i + 1, lines[i]))
                    i += 1
                self.blocks.append((fm.group(3).lower(), body, pending))
                pending = None
                i += 1
                continue
            if not l.strip():
                flush()
            else:
                if not para:
                    para_start = i + 1
                para.append(l)
            i += 1
        flush()


SPAN_RE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
PATH_TOKEN = r"(?:[\w.-]+/)*[\w.-]+\.(?:c|h|S|py|sh|ld|md|cfg)|(?:[\w.-]+/)*Makefile"
REF_RE = re.compile(r"(?<![\w/.-])(" + PATH_TOKEN + r"):(\d+)(?:-(\d+))?")
TREE_PATH_RE = re.compile(r"(?<![\w/.-])((?:arch|boot|kernel|mm|tests|tools|docs|labs|\.ci)/"
                          r"[\w/.-]*\.(?:c|h|S|py|sh|ld|md|cfg|json))\b")
CASE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+){3,}$")


class Checker:
    def __init__(self, root, logdir, lab_dirs=None):
        self.root = root
        self.tree = Tree(root)
        if lab_dirs is None:
            lab_dirs = lab_log_dirs(os.path.dirname(os.path.abspath(logdir)) if logdir else None)
        self.logs = Logs(logdir, lab_dirs)
        self.in_labs = False	# checking a page of labs/: the labs' logs count too
        self.problems = []
        self.counts = {"quotes": 0, "refs": 0, "cases": 0}
        self.explain = None

    def problem(self, doc, line, msg):
        self.problems.append((doc.rel, line, msg))

    # ---- rule 1 and 4: console quotes and their figures

    def check_quote(self, doc, line, text, whole, marker):
        varies, names = marker if marker else (False, [])
        raw = " ".join(TS_RE.sub("", text).split())
        self.counts["quotes"] += 1
        if PRINTF_RE.search(raw):
            q = raw.replace("...", WILD)
            rx = quote_regex(q, False)
            if not any(rx.search(lit) for lit in self.tree.literals):
                self.problem(doc, line, "message format not in any string of the sources: `%s`" % raw)
            return
        missing = [n for n in names if not self.logs.named(n)]
        if missing:
            self.problem(doc, line, "marker names no log of the run: %s" % ", ".join(missing))
            return
        where = ("%s.log" % ", ".join(names)) if names else \
            "any log of the run" + (" or of the labs" if self.in_labs else "")
        names = [x for n in names for x in self.logs.named(n)]
        q = mask_noise(text)
        if self.explain:
            print("%s:%d: %s quote%s: %s" % (doc.rel, line, "line" if whole else "inline",
                                             " (varies)" if varies else "", q.replace(WILD, "...")))
        if self.logs.find(q, whole, names, numbers=not varies, labs=self.in_labs):
            return
        other = None if varies else self.logs.closest(q, whole, names, labs=self.in_labs)
        if other:
            self.problem(doc, line, "figures differ from the run: doc `%s`, run printed %s"
                         " (mark it <!-- varies --> if it is only an example)" % (raw, other))
        else:
            self.problem(doc, line, "console line not in %s: `%s`" % (where, raw))

    # ---- rule 2: references

    def check_ref(self, doc, line, path, a, b, after):
        self.counts["refs"] += 1
        docdir = os.path.dirname(doc.rel)
        rel = self.tree.resolve(path, docdir)
        if not rel:
            self.problem(doc, line, "`%s:%s`: no such file" % (path, a))
            return
        n = len(self.tree.lines(rel))
        if n and self.tree.lines(rel)[-1] == "":
            n -= 1
        a = int(a)
        b = int(b) if b else a
        if not (1 <= a <= b <= n):
            self.problem(doc, line, "`%s:%s`: %s has only %d lines" % (path, a if a == b else "%d-%d" % (a, b), rel, n))
            return
        name_re = r"[A-Za-z_][\w.-]*\w" if os.path.basename(rel) == "Makefile" else IDENT
        m = re.match(r"[\s`(*:]*(?:in\s+`?)?(" + name_re + r")(\(\))?", after)
        if not m or rel.endswith(".md"):
            return
        name, call = m.group(1), m.group(2)
        defs = self.tree.defs(rel)
        if name in defs:
            lo, hi = defs[name]
            if not (lo <= a and b <= hi):
                self.problem(doc, line, "`%s:%s %s`: %s is at %s:%d-%d" %
                             (path, a if a == b else "%d-%d" % (a, b), name, name, rel, lo, hi))
        elif call or "_" in name:
            self.problem(doc, line, "`%s:%s %s`: %s defines no %s" % (path, a, name, rel, name))

    def check_defined(self, doc, line, path, name):
        self.counts["refs"] += 1
        rel = self.tree.resolve(path, os.path.dirname(doc.rel))
        if not rel:
            self.problem(doc, line, "`%s`: no such file" % path)
        elif name not in self.tree.defs(rel):
            self.problem(doc, line, "%s defines no %s()" % (rel, name))

    def check_path(self, doc, line, path):
        self.counts["refs"] += 1
        if not self.tree.resolve(path, os.path.dirname(doc.rel)):
            self.problem(doc, line, "`%s`: no such file or directory" % path)

    def scan_refs(self, doc, lineno, text):
        """file:NNN references and tree paths in text that is not a quote."""
        for m in REF_RE.finditer(text):
            self.check_ref(doc, lineno + text.count("\n", 0, m.start()), m.group(1),
                           m.group(2), m.group(3), text[m.end():m.end() + 60])
        for m in TREE_PATH_RE.finditer(text):
            if not re.match(r":\d", text[m.end():m.end() + 2]):	# else a reference, above
                self.check_path(doc, lineno + text.count("\n", 0, m.start()), m.group(1))

    # ---- rule 3: test cases

    def check_case_span(self, doc, line, s):
        t = self.tree
        m = re.match(r"^(\w+)\.(\w+)$", s)
        if m and CASE_RE.match(m.group(2)):
            self.counts["cases"] += 1
            if m.group(1) not in t.suites:
                self.problem(doc, line, "`%s`: no test suite %s" % (s, m.group(1)))
            elif m.group(2) not in t.suites[m.group(1)]:
                self.problem(doc, line, "`%s`: suite %s has no case %s" % (s, m.group(1), m.group(2)))
            return
        if not CASE_RE.match(s):
            return
        self.counts["cases"] += 1
        if s in t.cases:
            return
        if s in t.test_funcs:
            self.problem(doc, line, "`%s` is a function in tests/kernel but no KTEST_CASE" % s)
        elif s not in t.idents:
            self.problem(doc, line, "`%s`: no such test case (KTEST_CASE in tests/kernel/*.c)" % s)

    def check_suite(self, doc, line, suite, case=None):
        self.counts["cases"] += 1
        if suite not in self.tree.suites:
            self.problem(doc, line, "`%s`: no such test suite" % suite)
        elif case and case not in self.tree.suites[suite]:
            self.problem(doc, line, "suite %s has no case %s" % (suite, case))

    # ---- a paragraph

    def check_para(self, doc, start, text, marker):
        spans = []
        for m in SPAN_RE.finditer(text):
            spans.append((m, start + text.count("\n", 0, m.start()), " ".join(m.group(1).split())))
        plain = SPAN_RE.sub(lambda m: "`" + " " * (len(m.group(0)) - 2) + "`"
                            if self.is_quote(m.group(1)) else m.group(0), text)
        self.scan_refs(doc, start, MARKER_RE.sub("", plain))
        for m in re.finditer(r"\[[^\]]*\]\(([^)\s]+)\)", text):
            target = m.group(1).split("#")[0]
            if target and not re.match(r"[a-z]+:", target):
                self.check_path(doc, start + text.count("\n", 0, m.start()), target)
        for idx, (m, line, s) in enumerate(spans):
            if self.is_quote(m.group(1)):
                self.check_quote(doc, line, s, False, marker)
                continue
            self.check_span(doc, line, s, text, m, spans, idx)

    def is_quote(self, span):
        s = " ".join(span.split())
        if PRINTF_RE.search(s) and " " in s and not re.match(r"\w+\(", s):
            return True
        masked = mask_noise(s)
        if " " not in masked:
            return False
        if looks_printed(masked, self.logs, self.tree.cases):
            return True
        # part of a printed line, with other numbers perhaps
        return len(masked) >= 20 and masked.count(" ") >= 2 and \
            self.logs.find(masked, False, numbers=False, labs=self.in_labs) is not None

    def check_span(self, doc, line, s, text, m, spans, idx):
        tree = self.tree
        after = text[m.end():m.end() + 80]
        # `path: name()` / `path:NNN name` / `path` then the functions chained to it
        pm = re.match(r"^(" + PATH_TOKEN + r")(?::(\d+)(?:-(\d+))?)?(?::\s*|\s+)(" + IDENT + r")(\(\))?$", s)
        if pm:
            if pm.group(2):
                pass	# scan_refs checked the line against the name
            elif tree.resolve(pm.group(1), os.path.dirname(doc.rel)) is None:
                self.check_path(doc, line, pm.group(1))
                return
            else:
                self.check_defined(doc, line, pm.group(1), pm.group(4))
            for j in range(idx + 1, len(spans)):	# `path: a()`/`b()`, `c()`
                gap = text[spans[j - 1][0].end():spans[j][0].start()]
                fm = re.match(r"^(" + IDENT + r")\(\)$", spans[j][2])
                if not fm or not re.match(r"^\s*(?:/|,|and|or)\s*$", gap):
                    break
                if not pm.group(2):
                    self.check_defined(doc, spans[j][1], pm.group(1), fm.group(1))
            return
        if re.match(r"^[\w.-]*(?:/[\w.-]*)+$", s) and not s.startswith(("build/", "/")) and \
                (re.search(r"\.\w+$", s) or self.tree.exists(s.split("/")[0])):
            self.check_path(doc, line, s)
            return
        if re.match(r"^[\w-]+\.md$", s):
            self.check_path(doc, line, s)
            return
        fm = re.match(r"^(" + IDENT + r")\(\)$", s)
        if fm:
            # "`name()` (`path`)" and "`a()`/`b()` in `path`"
            chain = [(line, fm.group(1))]
            j = idx
            while j + 1 < len(spans):
                gap = text[spans[j][0].end():spans[j + 1][0].start()]
                nxt = re.match(r"^(" + IDENT + r")\(\)$", spans[j + 1][2])
                if nxt and re.match(r"^\s*(?:/|,)\s*$", gap):
                    chain.append((spans[j + 1][1], nxt.group(1)))
                    j += 1
                    continue
                if re.match(r"^\s*(?:\(\s*|\s+in\s+)$", gap) and \
                        re.match("^" + PATH_TOKEN + "$", spans[j + 1][2]):
                    if idx == 0 or not re.match(r"^\s*(?:/|,)\s*$",
                                                text[spans[idx - 1][0].end():m.start()]):
                        for ln, name in chain:
                            self.check_defined(doc, ln, spans[j + 1][2], name)
                break
            return
        tm = re.match(r"^test=([\w.,]+)", s)
        if tm:
            for part in tm.group(1).split(","):
                if part in ("all", "none", "list") or not part.islower():	# SUITE: a placeholder
                    continue
                suite, _, case = part.partition(".")
                self.check_suite(doc, line, suite, case or None)
            return
        if re.match(r"^\s*suite\b", after) and re.match(r"^\w+$", s):
            nxt = spans[idx + 1] if idx + 1 < len(spans) else None
            case = None
            if nxt and re.match(r"^\s*suite\s*$", text[m.end():nxt[0].start()]):
                case = nxt[2] if CASE_RE.match(nxt[2]) else None
            self.check_suite(doc, line, s, case)
            return
        self.check_case_span(doc, line, s)

    # ---- a fenced block

    def check_block(self, doc, info, body, marker):
        if info in CODE_LANGS:
            for ln, l in body:
                for m in REF_RE.finditer(l):
                    if not looks_printed(mask_noise(l), self.logs, self.tree.cases):
                        self.check_ref(doc, ln, m.group(1), m.group(2), m.group(3), l[m.end():])
            return
        console = info in CONSOLE_LANGS or any(TS_RE.match(l) for _, l in body)
        for ln, l in body:
            if not l.strip() or l.strip() in ("...", "…"):
                continue
            masked = mask_noise(l)
            if console or looks_printed(masked, self.logs, self.tree.cases) or \
                    (len(masked) >= 12 and " " in masked and
                     self.logs.find(masked, True, numbers=False, labs=self.in_labs)):
                self.check_quote(doc, ln, l, True, marker)
            else:
                self.scan_refs(doc, ln, l)

    def run(self, docs):
        for rel in docs:
            with open(os.path.join(self.root, rel), errors="replace") as f:
                doc = Doc(rel, f.read())
            self.in_labs = rel.startswith("labs/")
            for info, body, marker in doc.blocks:
                self.check_block(doc, info, body, marker)
            for start, text, marker in doc.paras:
                self.check_para(doc, start, text, marker)
        self.problems = sorted(set(self.problems), key=lambda p: (p[0], p[1], p[2]))
        return self.problems


def doc_files(root, labs=False):
    """README.md and docs/*.md; with labs, labs/*.md too (the handouts, their
    index and the answers), whose quotes may also come from the labs' logs."""
    out = ["README.md"] if os.path.exists(os.path.join(root, "README.md")) else []
    for sub in ("docs",) + (("labs",) if labs else ()):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            out += [sub + "/" + f for f in sorted(os.listdir(d)) if f.endswith(".md")]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description="Check the docs against the tree and a matrix run.")
    p.add_argument("--logs", default=None, help="the run's logs (default: build/test-logs)")
    p.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    p.add_argument("--explain", nargs="*", metavar="DOC",
                   help="also print every quote found (in these docs, or all) as compared")
    p.add_argument("--selftest", action="store_true", help="run doccheck's own tests")
    p.add_argument("docs", nargs="*", help="docs to check (default: README.md docs/*.md labs/*.md)")
    opts = p.parse_args(argv)
    if opts.selftest:
        import unittest
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import doccheck_selftest
        r = unittest.TextTestRunner(verbosity=1).run(
            unittest.defaultTestLoader.loadTestsFromModule(doccheck_selftest))
        return 0 if r.wasSuccessful() else 1
    logdir = opts.logs or os.path.join(opts.root, "build", "test-logs")
    chk = Checker(opts.root, logdir)
    if not chk.logs.matrix:
        print("doccheck: no *.log in %s: run python3 tests/harness/matrix.py --build build first"
              % logdir)
        return 2
    docs = opts.docs or doc_files(opts.root, labs=True)
    if opts.explain is not None:
        chk.explain = True
        if opts.explain:
            docs = opts.explain
    problems = chk.run(docs)
    for rel, line, msg in problems:
        print("%s:%d: %s" % (rel, line, msg))
    c = chk.counts
    print("doccheck: %s in %d docs (%d console quotes, %d source references, "
          "%d test-case names; %d logs%s)" %
          ("%d problem%s" % (len(problems), "" if len(problems) == 1 else "s") if problems
           else "clean", len(docs), c["quotes"], c["refs"], c["cases"], len(chk.logs.matrix),
           "" if len(chk.logs.files) == len(chk.logs.matrix) else
           " and %d of the labs" % (len(chk.logs.files) - len(chk.logs.matrix))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
