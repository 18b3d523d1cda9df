#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""screenshot.py - draw a trace picture in a real browser, and check it.

    make trace-screenshot            build/trace/trace.svg -> trace.png
    python3 tools/screenshot.py PICTURE.svg OUT.png

The SVG that tools/trace.py writes is meant to need nothing but a browser.
This proves it with one: headless Chromium (Debian: chromium) renders the
file at its own size and saves a PNG, which is then decoded here (zlib,
no imaging library) and checked to be more than a blank page: most of it
background, and ink in every lane's band. Without Chromium it prints one
line saying it skipped, and succeeds: it is an optional check, not part
of make test.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def svg_size(path):
    with open(path, encoding="utf-8") as f:
        head = f.read(4096)
    m = re.search(r"<svg\b[^>]*>", head)
    if not m:
        raise SystemExit(f"screenshot: {path} is not an SVG (no <svg> element)")
    tag = m.group(0)
    w = re.search(r'\bwidth="(\d+(?:\.\d+)?)', tag)
    h = re.search(r'\bheight="(\d+(?:\.\d+)?)', tag)
    if not (w and h):
        raise SystemExit(f"screenshot: {path}: the <svg> element has no width and height")
    return int(float(w.group(1))), int(float(h.group(1)))


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) for an 8-bit RGB(A) PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            if depth != 8 or color not in (2, 6):
                raise ValueError(f"unexpected PNG format (depth {depth}, colour type {color})")
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if width is None:
        raise ValueError("no IHDR chunk")
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        base = y * (stride + 1)
        ftype, line = raw[base], bytearray(raw[base + 1:base + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def check_png(path, want_w, want_h):
    """Problems with the rendered picture: [] when it looks drawn."""
    w, h, rows = read_png(path)
    problems = []
    if (w, h) != (want_w, want_h):
        problems.append(f"the PNG is {w}x{h}, the SVG says {want_w}x{want_h}")
    counts = {}
    for row in rows:
        for px in row:
            counts[px] = counts.get(px, 0) + 1
    background, n = max(counts.items(), key=lambda kv: kv[1])
    if len(counts) < 8:
        problems.append(f"only {len(counts)} colours: the browser drew (almost) nothing")
    if n > 0.995 * w * h:
        problems.append("the picture is blank: 99.5% one colour")
    # ink in each quarter of the height: lanes run down the whole picture
    for q in range(4):
        band = rows[q * h // 4:(q + 1) * h // 4]
        if all(px == background for row in band for px in row):
            problems.append(f"nothing drawn in the {('top', 'second', 'third', 'bottom')[q]} quarter")
    return problems, len(counts)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().split("\n")[2].strip(), file=sys.stderr)
        return 2
    svg, png = argv
    if not os.path.isfile(svg):
        print(f"screenshot: {svg} not found (make trace writes it)", file=sys.stderr)
        return 2
    browser = find_browser()
    if not browser:
        print("screenshot skipped: no Chromium here (Debian: apt-get install chromium)")
        return 0
    w, h = svg_size(svg)
    with tempfile.TemporaryDirectory(prefix="kmaplab-chromium-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--window-size={w},{h}",
               f"--screenshot={os.path.abspath(png)}", "file://" + os.path.abspath(svg)]
        if os.path.exists(png):
            os.remove(png)
        p = subprocess.run(cmd, capture_output=True, timeout=120)
    if not os.path.isfile(png):
        print(f"screenshot: {os.path.basename(browser)} wrote no PNG (status {p.returncode}): "
              + p.stderr.decode(errors="replace").strip().split("\n")[-1])
        return 1
    try:
        problems, colours = check_png(png, w, h)
    except (ValueError, zlib.error) as e:
        print(f"screenshot: {png}: {e}")
        return 1
    for line in problems:
        print(f"screenshot: {png}: {line}")
    if problems:
        return 1
    print(f"screenshot: {png}: {w}x{h}, drawn by {os.path.basename(browser)} ({colours} colours)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
