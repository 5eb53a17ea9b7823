"""The port reference (build/docs/ports/*.md, written by codegen/port_reference.py)
as HTML pages beside batch report pages, so their catalog links work offline
and after the folder moves. Renders the Markdown subset those generated pages
use: headings, paragraphs, pipe tables, `code`, *emphasis*, **strong**, links
to sibling .md pages, <br>. Each table row that cites an entry (`cucm-ja.t6.r3`)
gets that id, so a report links to the row itself (ports/cucm.html#cucm-ja.t6.r3).
"""
from __future__ import annotations

import glob
import html
import os
import re

ENTRY = re.compile(r"`([a-z0-9-]+\.t\d+\.r\d+)`")
STYLE = ("body{font-family:\"DejaVu Sans\",Arial,sans-serif;margin:1.2em 2em;font-size:14px;color:#222}"
         "table{border-collapse:collapse;font-size:12.5px}th,td{border:1px solid #d4d4d4;padding:3px 6px;"
         "vertical-align:top;text-align:left}th{background:#f0f0f0}tr:target td{background:#fff3b0}")


def inline(text: str) -> str:
    """One line of the Markdown subset as HTML (escaped first; <br> kept)."""
    parts = re.split(r"(<br>)", text)
    out = []
    for p in parts:
        if p == "<br>":
            out.append("<br>")
            continue
        s = html.escape(p, quote=True)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"\*([^*]+)\*", r"<em>\1</em>", s)
        s = re.sub(r"\[([^\]]+)\]\(([^)\s]+?)\.md(#[^)]*)?\)", r'<a href="\2.html\3">\1</a>', s)
        out.append(s)
    return "".join(out)


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split(" | ")]


def render(markdown: str) -> str:
    lines = markdown.splitlines()
    title = next((l[2:].strip() for l in lines if l.startswith("# ")), "Port reference")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"]
    i, para = 0, []

    def flush():
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("<!--") or not line.strip():
            flush()
        elif m := re.match(r"^(#{1,6}) (.*)$", line):
            flush()
            n = len(m.group(1))
            out.append(f"<h{n}>{inline(m.group(2))}</h{n}>")
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[i + 1].strip()):
            flush()
            out.append("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells(line)) +
                       "</tr></thead><tbody>")
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                ids = ENTRY.findall(lines[i])
                row_id = f' id="{html.escape(ids[0])}"' if len(ids) == 1 else ""
                out.append(f"<tr{row_id}>" + "".join(f"<td>{inline(c)}</td>" for c in cells(lines[i])) + "</tr>")
                i += 1
            out.append("</tbody></table>")
            continue
        else:
            para.append(line.strip())
        i += 1
    flush()
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_html(src_dir: str, out_dir: str) -> list[str]:
    """Every src_dir/*.md as out_dir/*.html; the pages written."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for md in sorted(glob.glob(os.path.join(src_dir, "*.md"))):
        with open(md, encoding="utf-8") as f:
            text = render(f.read())
        out = os.path.join(out_dir, os.path.splitext(os.path.basename(md))[0] + ".html")
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(out)
    return written
