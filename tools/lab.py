#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""lab.py - make a student's tree for one lab from the reference tree.

    python3 tools/lab.py tree N OUT [--fill FILE] [--force]
    python3 tools/lab.py check            every marker well formed
    python3 tools/lab.py list [N]         the regions, lab by lab

The reference solution stays in the tree. Each region a student writes is
marked by two light comments (C and assembly files alike):

    /* LAB(2) begin map_new_virtual: find a free slot, ...
     * (what to write: any number of lines)
     * stub: LAB_TODO(2, "map_new_virtual()");
     */
    ... the reference code ...
    /* LAB(2) end */

`tree N OUT` copies every file of the tree into OUT and replaces each
LAB(N) region, markers included, with its instructions and its stub:

    /* LAB(2) map_new_virtual: find a free slot, ...
     * (what to write)
     */
    LAB_TODO(2, "map_new_virtual()");

Other labs' regions keep their reference code, so their tests still pass.
The "stub:" lines are the code (a comment in it is written /\\* ... *\\/) that stands in until the student writes
theirs; a region without one is left empty. --fill FILE puts other code
in place of the stubs, region by region, for the harness's fixtures (the
lab 4 wrong conversions):

    === map_new_virtual
    ... code ...

A region the fixture does not name gets its stub, or its reference code
if a line before the first === says "# rest: reference" (a fixture that
gets one region wrong and the others right).

Files under tests/harness/labs/ (the fixtures) and labs/answers.md stay
out of a student's tree. Unchanged files keep their modification time, so
a build directory copied from the reference tree rebuilds only what a lab
changed (tests/harness/labs_test.py does this).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABS = range(1, 7)                       # 6: the challenge
SOURCE_EXT = (".c", ".h", ".S")
BEGIN_RE = re.compile(r"^(\s*)/\* LAB\((\d+)\) begin ([A-Za-z0-9_]+): ?(.*)$")
END_RE = re.compile(r"^\s*/\* LAB\((\d+)\) end \*/\s*$")
STUB_RE = re.compile(r"^\s*\* stub: ?(.*)$")
COMMENT_END_RE = re.compile(r"^\s*\*/\s*$")
# Left out of a student's tree: the answers and the graded fixtures.
PRIVATE = ("labs/answers.md", "tests/harness/labs/")
REST = None                              # read_fill(): keep the others' reference
SKIP_DIRS = {".git", "build", "build-debug", "__pycache__"}


class MarkerError(Exception):
    pass


class Region:
    def __init__(self, path, lab, name, indent, first, begin, end, text, stubs, code=None):
        self.path, self.lab, self.name, self.indent = path, lab, name, indent
        self.code = code                # line index where the reference code starts
        self.first = first              # the marker's title line
        self.begin, self.end = begin, end   # line indexes of the markers
        self.text = text                # instruction lines, without " * "
        self.stubs = stubs              # stub code lines

    def __repr__(self):
        return f"{self.path}:{self.begin + 1}: LAB({self.lab}) {self.name}"


def parse(path, lines):
    """The regions of one file; MarkerError on any malformed marker."""
    regions = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = BEGIN_RE.match(line)
        if not m:
            if END_RE.match(line):
                raise MarkerError(f"{path}:{i + 1}: LAB end without a begin")
            if "LAB(" in line and " begin" in line and "/*" in line:
                raise MarkerError(f"{path}:{i + 1}: malformed LAB begin marker "
                                  "(want '/* LAB(n) begin name: title')")
            i += 1
            continue
        indent, lab, name, first = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        if lab not in LABS:
            raise MarkerError(f"{path}:{i + 1}: LAB({lab}): no such lab (1-6)")
        begin = i
        text, stubs = [], []
        single = first.rstrip().endswith("*/")
        if single:
            first = first.rstrip()[:-2].rstrip()
        i += 1
        while not single:
            if i >= len(lines):
                raise MarkerError(f"{path}:{begin + 1}: LAB({lab}) {name}: comment never ends")
            if COMMENT_END_RE.match(lines[i]):
                break
            sm = STUB_RE.match(lines[i])
            if sm:
                # a comment inside a stub is written /\* ... *\/ in its marker
                stubs.append(sm.group(1).replace("/\\*", "/*").replace("*\\/", "*/"))
            elif stubs:
                raise MarkerError(f"{path}:{i + 1}: LAB({lab}) {name}: "
                                  "stub: lines must come last in the comment")
            else:
                text.append(re.sub(r"^\s*\* ?", "", lines[i]))
            i += 1
        i += 1
        code = i
        while True:
            if i >= len(lines):
                raise MarkerError(f"{path}:{begin + 1}: LAB({lab}) {name}: no end marker")
            if BEGIN_RE.match(lines[i]):
                raise MarkerError(f"{path}:{i + 1}: LAB regions do not nest "
                                  f"(LAB({lab}) {name} is still open)")
            em = END_RE.match(lines[i])
            if em:
                if int(em.group(1)) != lab:
                    raise MarkerError(f"{path}:{i + 1}: LAB({em.group(1)}) end closes "
                                      f"LAB({lab}) {name}")
                break
            i += 1
        regions.append(Region(path, lab, name, indent, first, begin, i, text, stubs, code))
        i += 1
    return regions


def tree_files(root):
    """The tree's files, relative: git's list in a clone, else a walk."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True,
                             check=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
        if files:
            return [f for f in files if os.path.isfile(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
        for n in sorted(names):
            files.append(os.path.relpath(os.path.join(d, n), root))
    return files


def all_regions(root):
    regions = []
    for rel in tree_files(root):
        if rel.endswith(SOURCE_EXT):
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                regions += parse(rel, f.read().split("\n"))
    names = {}
    for r in regions:
        key = (r.lab, r.name)
        if key in names:
            raise MarkerError(f"{r}: the name is used twice in lab {r.lab} (also {names[key]})")
        names[key] = r
    return regions


def read_fill(path):
    """A fixture: '=== name' headers, each followed by its code. The key
    REST is True if the fixture's header says "# rest: reference"."""
    fill, name = {}, None
    rest = False
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            m = re.match(r"^=== ([A-Za-z0-9_]+)\s*$", line)
            if name is None and re.match(r"^#\s*rest:\s*reference\s*$", line):
                rest = True
            if m:
                name = m.group(1)
                fill[name] = []
            elif name is not None:
                fill[name].append(line)
    for name in fill:
        while fill[name] and not fill[name][-1].strip():
            fill[name].pop()
    fill[REST] = rest
    return fill


def student_lines(lines, regions, lab, fill):
    """The file's lines with lab's regions replaced."""
    out, pos = [], 0
    for r in regions:
        if r.lab != lab:
            continue
        out += lines[pos:r.begin]
        if fill is not None and r.name in fill:
            out += fill.pop(r.name)
        elif fill is not None and fill.get(REST):
            out += lines[r.code:r.end]
        else:
            body = [f"{r.indent}/* LAB({r.lab}) {r.name}: {r.first}".rstrip()]
            body += [f"{r.indent} * {t}".rstrip() for t in r.text]
            body.append(f"{r.indent} */")
            out += body + [f"{r.indent}{s}".rstrip() for s in r.stubs]
        pos = r.end + 1
    return out + lines[pos:]


def make_tree(root, lab, out, fill_path=None, force=False):
    if os.path.exists(out) and os.listdir(out):
        if not force:
            raise SystemExit(f"lab: {out} already exists (your work?); remove it first, "
                             "or choose another LABDIR=")
        shutil.rmtree(out)
    regions = all_regions(root)
    mine = [r for r in regions if r.lab == lab]
    if not mine:
        raise SystemExit(f"lab: no region is marked LAB({lab}); the labs are "
                         f"{sorted({r.lab for r in regions})}")
    fill = read_fill(fill_path) if fill_path else None
    by_file = {}
    for r in mine:
        by_file.setdefault(r.path, []).append(r)
    for rel in tree_files(root):
        if rel.startswith(PRIVATE) or rel in PRIVATE:
            continue
        src, dst = os.path.join(root, rel), os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if rel in by_file:
            with open(src, encoding="utf-8") as f:
                lines = f.read().split("\n")
            with open(dst, "w", encoding="utf-8") as f:
                f.write("\n".join(student_lines(lines, by_file[rel], lab, fill)))
            shutil.copymode(src, dst)
        else:
            shutil.copy2(src, dst)
    if fill:
        fill.pop(REST, None)
    if fill:
        raise SystemExit(f"lab: {fill_path}: no LAB({lab}) region is called "
                         f"{', '.join(sorted(fill))}")
    with open(os.path.join(out, ".lab"), "w") as f:
        f.write(f"{lab}\n")
    return mine


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tree", help="write a student's tree")
    t.add_argument("lab", type=int)
    t.add_argument("out")
    t.add_argument("--fill", help="code for the regions instead of their stubs")
    t.add_argument("--force", action="store_true", help="replace OUT if it exists")
    sub.add_parser("check", help="check every marker")
    ls = sub.add_parser("list", help="list the regions")
    ls.add_argument("lab", type=int, nargs="?")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "tree":
            if a.lab not in LABS:
                raise SystemExit(f"lab: LAB={a.lab}: the labs are 1-5, and 6 the challenge")
            mine = make_tree(ROOT, a.lab, a.out, a.fill, a.force)
            files = sorted({r.path for r in mine})
            print(f"lab {a.lab}: {a.out}: {len(mine)} region(s) to write in {', '.join(files)}")
            print(f"lab {a.lab}: the handout is labs/lab{a.lab}.md; "
                  f"grade with: cd {a.out} && make grade")
        elif a.cmd == "check":
            regions = all_regions(ROOT)
            labs = sorted({r.lab for r in regions})
            print(f"lab: {len(regions)} regions in labs {labs}, all well formed")
        else:
            for r in all_regions(ROOT):
                if a.lab is None or r.lab == a.lab:
                    print(f"{r}: {r.first}")
    except MarkerError as e:
        print(f"lab: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
