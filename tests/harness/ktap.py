# SPDX-License-Identifier: MIT
"""ktap.py - read KTAP version 1 from a serial console, one line at a time.

The kernel's console mixes three kinds of line:

  [    0.006100] Command line: test=all poweroff      <- log (boot report, BUG splats)
  [    0.120000]     ok 3 zone_bounds # SKIP needs 4G <- KTAP, under a printk timestamp
  \\x1b[H\\x1b[J  Booting `kmaplab'                     <- GRUB, before the kernel runs

clean_line() removes the timestamp, carriage returns and terminal escapes;
KtapParser.feed() then builds a tree of tests from the KTAP lines and
ignores everything else. The tree has one level per indentation step:

  root (the document, indent 0)
    suite  (its own "KTAP version 1", "# Subtest:" and plan, indent 4)
      case (a result line at indent 4; parameterised cases nest deeper)

A node gets its result from the "ok N name" / "not ok N name" line written
at its parent's indentation, after its own lines. The "# " lines at a
given indentation that come before a result line are that result's
diagnostics, as in Linux's KUnit output:

      # maps_above_4g: EXPECT_EQ failed at mm/memblock_test.c:42
      not ok 2 maps_above_4g

Nothing here knows about QEMU; matrix.py decides what the tree means.
"""

import re

# "[    0.123456] " as printed by printk; only the first one on a line.
TIMESTAMP_RE = re.compile(r"^\[\s*\d+\.\d+\] ?")
# CSI sequences (cursor moves, clear screen) and lone ESC x pairs, as GRUB
# writes them to a serial terminal.
ESCAPE_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

VERSION_RE = re.compile(r"^(?:KTAP|TAP) version (\d+)\s*$")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
SUBTEST_RE = re.compile(r"^# Subtest: (.+?)\s*$")
RESULT_RE = re.compile(r"^(ok|not ok) (\d+)(?: (?:- )?([^#]*?))?\s*(?:#\s*(.*?))?\s*$")
DIAG_RE = re.compile(r"^#(?: (.*)|)$")
DIRECTIVE_RE = re.compile(r"^(SKIP|TODO)\b\s*(.*)$", re.IGNORECASE)


def clean_line(raw):
    """One console line, as text, without timestamp, CRs or escapes.

    raw may be bytes (straight from QEMU's stdout) or str. Indentation
    after the timestamp is kept: it carries the KTAP nesting.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    line = raw.rstrip("\n").replace("\r", "")
    line = ESCAPE_RE.sub("", line)
    line = CONTROL_RE.sub("", line.expandtabs(4) if "\t" in line else line)
    return TIMESTAMP_RE.sub("", line, count=1)


class Node:
    """One test: the document, a suite, a case, or a parameterised case."""

    def __init__(self, indent, name=None):
        self.indent = indent        # indentation of this node's own lines
        self.name = name            # from "# Subtest:" or from the result line
        self.plan = None            # N from "1..N"
        self.children = []          # results at this node's indentation, in order
        self.pending_diags = []     # "# " lines not yet claimed by a result line
        # Filled in by the result line at the parent's indentation.
        self.number = None
        self.ok = None              # True / False; None while unfinished
        self.directive = None       # "SKIP" or "TODO"
        self.reason = ""
        self.diags = []             # diagnostics written just before the result
        self.missing = False        # closed without a result line (cut off)
        self.has_header = False     # saw "KTAP version" or "# Subtest:"

    @property
    def skipped(self):
        return self.directive in ("SKIP", "TODO")

    @property
    def failed(self):
        return self.missing or (self.ok is False and not self.skipped)

    @property
    def fresh(self):
        return not self.children and self.plan is None

    def results(self):
        """Children that have a real result line."""
        return [c for c in self.children if not c.missing]

    def __repr__(self):
        state = "missing" if self.missing else ("ok" if self.ok else "not ok")
        return f"<Node {self.name!r} {state} {self.directive or ''} children={len(self.children)}>"


class KtapParser:
    """Streaming KTAP reader: feed() cleaned lines, finish() at end of output.

    on_result(node, depth) is called as each result line is read; depth 1
    means a suite (a result at the document's own indentation).
    """

    def __init__(self, on_result=None):
        self.root = Node(0)
        self.root.name = "(document)"
        self.version = None
        self.started = False
        self.finished = False
        self.stack = [self.root]
        self.on_result = on_result
        self.problems = []          # structural oddities, for the failure report

    # -- helpers ---------------------------------------------------------

    @property
    def top(self):
        return self.stack[-1]

    def _close_unfinished(self, node, parent):
        """A node that never got its result line: record it as missing.

        A node opened only by stray indented "# " lines, with no header,
        plan or results, was never a test: it is dropped.
        """
        if not node.has_header and node.fresh:
            return
        node.missing = True
        node.ok = False
        node.diags = node.pending_diags + [
            f"no result line for '{node.name or '?'}' (output stopped or moved on "
            f"after {len(node.results())} of its results)"]
        node.pending_diags = []
        parent.children.append(node)

    def _pop_deeper_than(self, indent):
        """Pop nodes nested deeper than indent; return the shallowest popped.

        Deeper ones than that were cut off and are recorded as missing.
        """
        popped = None
        while len(self.stack) > 1 and self.top.indent > indent:
            node = self.stack.pop()
            if popped is not None:
                self._close_unfinished(popped, node)
            popped = node
        return popped

    def _node_for(self, indent):
        """The node that owns a plan or diagnostic line at this indent."""
        if indent > self.top.indent:
            self.stack.append(Node(indent))
        for node in reversed(self.stack):
            if node.indent <= indent:
                return node
        return self.root

    # -- input -----------------------------------------------------------

    def feed(self, line):
        """Read one cleaned line (see clean_line)."""
        if self.finished:
            return
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        body = body.rstrip()

        m = VERSION_RE.match(body)
        if m:
            if not self.started:
                if indent == 0:
                    self.started = True
                    self.version = int(m.group(1))
                return
            if indent == 0:
                self.problems.append("a second 'KTAP version' line at the top level")
                return
            self._open(indent, None)
            return
        if not self.started:
            return              # boot log, GRUB, anything before the document

        m = SUBTEST_RE.match(body)
        if m and indent > 0:
            top = self.top
            if indent > top.indent:
                self._open(indent, m.group(1))
            elif indent == top.indent and top is not self.root and top.name is None and top.fresh:
                top.name = m.group(1)
                top.has_header = True
            else:
                self._node_for(indent).pending_diags.append(body[2:])
            return

        m = PLAN_RE.match(body)
        if m:
            node = self._node_for(indent)
            if node.plan is not None:
                self.problems.append(
                    f"second plan 1..{m.group(1)} for '{node.name}' (had 1..{node.plan})")
            else:
                node.plan = int(m.group(1))
            return

        m = RESULT_RE.match(body)
        if m:
            self._result(indent, m)
            return

        m = DIAG_RE.match(body)
        if m:
            self._node_for(indent).pending_diags.append(m.group(1) or "")
            return
        # Anything else is log.

    def _open(self, indent, name):
        """A subtest header ("KTAP version" or "# Subtest:") at indent > 0."""
        top = self.top
        if indent == top.indent and top is not self.root and top.fresh and not (
                name is not None and top.name is not None):
            # "KTAP version" then "# Subtest:" (or the reverse): one header.
            if name is not None:
                top.name = name
            top.has_header = True
            return
        # A new subtest at an indent that is still open means the open one
        # was cut off before its result line.
        while len(self.stack) > 1 and self.top.indent >= indent:
            node = self.stack.pop()
            self._close_unfinished(node, self.top)
        node = Node(indent, name)
        node.has_header = True
        self.stack.append(node)

    def _result(self, indent, m):
        ok = m.group(1) == "ok"
        number = int(m.group(2))
        name = (m.group(3) or "").strip()
        directive, reason = None, ""
        if m.group(4) is not None:
            d = DIRECTIVE_RE.match(m.group(4))
            if d:
                directive, reason = d.group(1).upper(), d.group(2)
            else:
                reason = m.group(4)

        node = self._pop_deeper_than(indent)
        parent = self._owner(indent)
        if node is None:
            node = Node(indent + 4)
        if name and node.name and node.name != name:
            self.problems.append(
                f"subtest '{node.name}' reported as '{name}' on its result line")
        node.name = name or node.name or f"#{number}"
        node.number = number
        node.ok = ok
        node.directive = directive
        node.reason = reason
        node.diags = parent.pending_diags
        parent.pending_diags = []
        if node.pending_diags:
            # "# " lines inside the subtest after its last child.
            node.diags = node.diags + node.pending_diags
            node.pending_diags = []
        parent.children.append(node)
        if self.on_result:
            depth = self.stack.index(parent) + 1 if parent in self.stack else 1
            self.on_result(node, depth)

    def _owner(self, indent):
        """The open node whose results are written at this indent."""
        if indent > self.top.indent:
            self.stack.append(Node(indent))
        return self.top

    def finish(self):
        """End of output: whatever is still open was cut off."""
        if self.finished:
            return
        while len(self.stack) > 1:
            node = self.stack.pop()
            self._close_unfinished(node, self.top)
        self.finished = True

    # -- views -----------------------------------------------------------

    @property
    def plan(self):
        return self.root.plan

    @property
    def suites(self):
        return self.root.children


def parse_lines(lines):
    """Parse a whole log (raw or cleaned lines) at once; for tests and tools."""
    parser = KtapParser()
    for line in lines:
        parser.feed(clean_line(line))
    parser.finish()
    return parser


def tally(suite):
    """(passed, failed, skipped, failing case names) over a suite's cases."""
    passed = failed = skipped = 0
    failing = []
    for case in suite.children:
        if case.failed:
            failed += 1
            failing.append(case.name)
        elif case.skipped:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, failing
