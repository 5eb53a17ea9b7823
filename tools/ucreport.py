"""One self-contained HTML page per capture: who talks to whom, for what.

Used by tools/report (one capture) and tools/annotate.py --html (many).
The page holds a map (Graphviz `dot -Tsvg`, inlined), the flags with their
reasons and frame numbers, the hosts table when the plugin prints one, and the
conversations table, sortable by clicking a header (a few lines of inline
script; the page loads nothing from the network).
"""
from __future__ import annotations

import glob
import html
import json
import os
import re
import shutil
import subprocess
import tomllib
import urllib.parse

import ucstats

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CATALOG_DIR = os.path.join(ROOT, "catalog")
# Colours of the map (also used by the page's legend).
FLAG_COLOUR = "#c00000"
NODE_FILL = "#eef3fb"


class ReportError(Exception):
    pass


# --------------------------------------------------------------------------- catalog

def load_catalog(folder: str = CATALOG_DIR) -> dict[str, dict]:
    """Entry id -> what the page shows about the row: document, table, row,
    purpose (English and original), roles. Read from catalog/*.toml."""
    entries: dict[str, dict] = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.toml"))):
        if os.path.basename(path) == "vocabulary.toml":
            continue
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ReportError(f"{path}: cannot read the catalog file: {e}") from e
        doc = data.get("document", {})
        tables = {str(t.get("number")): t for t in data.get("table", [])}
        raw = {e["id"]: e for e in data.get("entry", []) if "id" in e}
        for eid, e in raw.items():
            base = raw.get(e.get("continuation_of", ""), {})
            t = tables.get(str(e.get("table")), {})
            purpose = e.get("purpose", base.get("purpose", ""))
            entries[eid] = {
                "doc_title": doc.get("title", ""), "doc_title_en": doc.get("title_en", doc.get("title", "")),
                "edition": doc.get("edition", ""), "language": doc.get("language", "en"),
                "table": str(e.get("table", "")), "table_title": t.get("title", ""),
                "table_title_en": t.get("title_en", t.get("title", "")), "row": e.get("row", ""),
                "purpose": purpose, "purpose_original": e.get("purpose_original", base.get("purpose_original", purpose)),
                "from": e.get("from", ""), "to": e.get("to", ""),
            }
    return entries


def default_port_reference() -> str:
    build = os.environ.get("CISCOUC_BUILD", os.path.join(ROOT, "build"))
    return os.path.join(build, "docs", "ports")


# --------------------------------------------------------------------------- data

def collect(path: str, prefs: list[str], plugin_dir: str | None, stats_result: dict | None = None,
            language: str = "english") -> dict:
    """Everything the page shows, from tshark: conversations, hosts, flag frames."""
    if language not in ucstats.LANGUAGE_PREF:
        raise ReportError(f"unknown language {language!r} (english or original)")
    if stats_result is None:
        if language != "english":
            prefs = [ucstats.LANGUAGE_PREF[language], *prefs]
        stats_result = ucstats.stats(path, prefs, plugin_dir)
    if stats_result["status"] == "failed":
        raise ReportError(f"{path}: {stats_result['message']}")
    convs = stats_result["conversations"]
    frames = ucstats.flagged_frames(path, ucstats.flag_names(convs), prefs, plugin_dir)
    ucstats.conversation_flags(convs, frames)
    return {"capture": os.path.basename(path), "status": stats_result["status"],
            "message": stats_result["message"], "language": language, "conversations": convs,
            "hosts": stats_result["hosts"]}


# --------------------------------------------------------------------------- map

def dot_string(s: str) -> str:
    """A DOT double-quoted string (dot escapes it again for SVG)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def shorten(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def host_of(ep: str) -> str:
    return ucstats.split_endpoint(ep)[0]


def host_roles(data: dict) -> dict[str, list[str]]:
    """Address -> role names, from the hosts table, else from the conversations'
    role columns (both absent: no roles)."""
    roles: dict[str, list[str]] = {}

    def add(addr: str, text: str) -> None:
        for r in (x.strip() for x in text.split(",")):
            if r and r not in roles.setdefault(addr, []):
                roles[addr].append(r)

    if data.get("hosts"):
        for h in data["hosts"]:
            add(h.get("address", ""), h.get("roles", ""))
        return roles
    for c in data["conversations"]:
        add(host_of(c["client"]), c.get("client_role", ""))
        add(host_of(c["server"]), c.get("server_role", ""))
    return roles


def edges(data: dict, catalog: dict) -> list[dict]:
    """One edge per documented purpose between two hosts (sender -> listener)."""
    out: dict[tuple, dict] = {}
    for i, c in enumerate(data["conversations"]):
        port = c["listener_port"] if c["listener_port"] not in ("", "0") else ucstats.split_endpoint(c["server"])[1]
        a, b = host_of(c["client"]), host_of(c["server"])
        if c["listener_port"] not in ("", "0") and c["listener_port"] == ucstats.split_endpoint(c["client"])[1] \
                and c["listener_port"] != ucstats.split_endpoint(c["server"])[1]:
            a, b = b, a  # the client's port is the documented listener
        key = (a, b, c["transport"], port, c["entry"] or c["detected"])
        e = out.setdefault(key, {"from": a, "to": b, "transport": c["transport"], "port": port,
                                 "entry": c["entry"], "detected": c["detected"], "purpose": purpose_text(c, catalog, data),
                                 "evidence": set(), "flags": [], "rows": []})
        e["rows"].append(i)
        if c.get("evidence"):
            e["evidence"].add(c["evidence"])
        for f in (x for x in c["flags"].split(",") if x):
            if f not in e["flags"]:
                e["flags"].append(f)
    return list(out.values())


def purpose_text(c: dict, catalog: dict, data: dict) -> str:
    info = catalog.get(c["entry"])
    if info and data.get("language") == "original":
        return info["purpose_original"]
    return re.sub(r"^\(catch-all range\) ", "", c["purpose"]) if c["purpose"] else ""


def evidence_of(e: dict) -> str:
    ev = e["evidence"]
    return "confirmed" if "confirmed" in ev else "possible" if "possible" in ev else ""


def dot_source(data: dict, catalog: dict) -> str:
    roles = host_roles(data)
    es = edges(data, catalog)
    hosts = []
    for ed in es:
        for h in (ed["from"], ed["to"]):
            if h not in hosts:
                hosts.append(h)
    for h in roles:
        if h and h not in hosts:
            hosts.append(h)
    ids = {h: f"h{i}" for i, h in enumerate(hosts)}
    lines = ["digraph uc {",
             '  graph [rankdir=LR, nodesep=0.35, ranksep=1.6, fontname="DejaVu Sans", bgcolor="white", '
             'pad=0.2, outputorder=edgesfirst];',
             f'  node [shape=box, style="rounded,filled", fillcolor="{NODE_FILL}", color="#4a6da7", '
             'fontname="DejaVu Sans", fontsize=11, margin="0.15,0.06"];',
             '  edge [fontname="DejaVu Sans", fontsize=10, color="#555555", arrowsize=0.7];']
    for h in hosts:
        label = h + ("\n" + "\n".join(roles[h]) if roles.get(h) else "")
        lines.append(f"  {ids[h]} [id={dot_string('host-' + ids[h])}, class=\"host\", label={dot_string(label)}, "
                     f"tooltip={dot_string(label)}];")
    for n, ed in enumerate(es):
        what = ed["detected"] or ""
        head = f"{ed['port']}/{ed['transport']}" + (f" {what}" if what else "")
        purpose = shorten(ed["purpose"], 38) if ed["purpose"] else "(undocumented)"
        ev = evidence_of(ed)
        label_lines = [head, purpose] + ([ev] if ev else [])
        attrs = [f"id={dot_string(f'edge-{n}')}", "URL=" + dot_string(f"#conv-{ed['rows'][0] + 1}"),
                 f"tooltip={dot_string(head + ': ' + (ed['purpose'] or 'undocumented'))}"]
        if ed["flags"]:
            label_lines.append("⚑ " + ", ".join(ed["flags"]))
            attrs += [f'color="{FLAG_COLOUR}"', f'fontcolor="{FLAG_COLOUR}"', "penwidth=3", 'class="flagged"']
        else:
            attrs.append('class="documented"' if ed["entry"] else 'class="undocumented"')
        if ev == "possible" or not ed["entry"]:
            attrs.append('style="dashed"')
        attrs.append(f"label={dot_string(chr(10).join(label_lines))}")
        lines.append(f"  {ids[ed['from']]} -> {ids[ed['to']]} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot: str) -> str:
    exe = shutil.which("dot")
    if not exe:
        raise ReportError("Graphviz's dot is not installed (Debian: apt-get install graphviz)")
    p = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise ReportError(f"dot failed: {p.stderr.strip()[:500]}")
    svg = p.stdout
    start = svg.find("<svg")
    if start < 0:
        raise ReportError("dot wrote no SVG")
    svg = svg[start:]
    # Natural size, shrunk to the page width when wider (the viewBox scales it).
    svg = re.sub(r'<svg width="([^"]*)" height="[^"]*"', r'<svg id="map" width="\1" role="img" aria-label="conversation map"',
                 svg, count=1)
    return svg


# --------------------------------------------------------------------------- page

def e(s) -> str:
    return html.escape(str(s), quote=True)


STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:1.2em 2em;color:#222;font-size:14px}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{border:1px solid #d4d4d4;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f0f0f0;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.frame{white-space:nowrap}tr.flagged td{background:#fff0f0}.flag{color:#c00000;font-weight:bold}.muted{color:#666}
.orig{color:#555;font-size:.92em;display:block}code{font-size:.95em}
#map-box{border:1px solid #ccc;padding:6px;overflow:auto}#map{max-width:100%;height:auto}
.legend span{margin-right:1.5em}.swatch{display:inline-block;width:2em;height:0;vertical-align:middle;margin-right:.4em}
#script-errors:empty{display:none}#script-errors{color:#c00000}
"""

SCRIPT = """
(function(){
  function key(td, kind){
    var v = td.getAttribute('data-key'); if (v === null) v = td.textContent.trim();
    if (kind === 'num'){ var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v.toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads = table.querySelectorAll('thead th');
    heads.forEach(function(th, col){
      th.addEventListener('click', function(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function(h){ h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var kind = th.getAttribute('data-kind') || 'text';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = key(a.cells[col], kind), y = key(b.cells[col], kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
  // report.html#sort=COLUMN opens the page sorted by that column (ascending).
  var m = /^#sort=([a-z_]+)$/.exec(location.hash);
  if (m) { var th = document.getElementById('sort-' + m[1]); if (th) th.click(); }
  document.body.setAttribute('data-ready', '1');
})();
"""

# Records script errors into the page itself (a headless browser's DOM dump shows them).
ERROR_RECORDER = """
window.addEventListener('error', function(ev){
  var p = document.getElementById('script-errors');
  p.textContent += (ev.message || 'error') + ' (' + (ev.filename || '') + ':' + (ev.lineno || 0) + ')\\n';
});
"""


# The conversations table: (id for #sort=, title, sorted as a number).
CONV_COLUMNS = [("n", "#", True), ("client", "Client", False), ("server", "Server", False),
                ("transport", "Transport", False), ("port", "Port", True), ("detected", "Detected", False),
                ("purpose", "Purpose", False), ("entry", "Catalog entry", False),
                ("source", "Document and table", False), ("evidence", "Evidence", False),
                ("possible", "Possible", False), ("roles", "Roles", False),
                ("flags", "Flags", False), ("packets", "Packets", True), ("bytes", "Bytes", True),
                ("other_uses", "Other uses", True)]


def port_link(c: dict, ports_dir: str | None, out_dir: str) -> str | None:
    if not ports_dir or not c["entry"] or not c["product"]:
        return None
    page = os.path.join(ports_dir, c["product"] + ".md")
    if not os.path.exists(page):
        return None
    rel = os.path.relpath(page, out_dir)
    # A text fragment scrolls to the row naming the entry (Chromium, Safari).
    return urllib.parse.quote(rel.replace(os.sep, "/")) + "#:~:text=" + urllib.parse.quote(c["entry"])


def render_html(data: dict, catalog: dict, svg: str, ports_dir: str | None, out_dir: str) -> str:
    convs = data["conversations"]
    original = data.get("language") == "original"
    flagged = [(i, f) for i, c in enumerate(convs) for f in c.get("flag_details", [])]
    flagged_without_frame = [(i, n) for i, c in enumerate(convs) for n in c["flags"].split(",")
                             if n and n not in {f["flag"] for f in c.get("flag_details", [])}]
    hosts_n = len({host_of(c["client"]) for c in convs} | {host_of(c["server"]) for c in convs})
    cap = data["capture"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
           f"<title>Cisco UC report: {e(cap)}</title><style>{STYLE}</style></head><body>",
           '<pre id="script-errors"></pre>', f"<script>{ERROR_RECORDER}</script>",
           f"<h1>Cisco UC report: {e(cap)}</h1>",
           f'<p class="muted" id="summary">{len(convs)} conversation(s) between {hosts_n} host(s), '
           f"{len(flagged) + len(flagged_without_frame)} flag(s). Purposes as Cisco's port-usage guides document "
           f"them{' (in the guide' + chr(39) + 's own language)' if original else ''}. "
           f"Status: {e(data['status'])}{': ' + e(data['message']) if data.get('message') else ''}.</p>"]
    # Flags first.
    out.append('<h2 id="flags">Flags</h2>')
    if flagged or flagged_without_frame:
        out.append(f'<p class="muted">Open a frame in Wireshark with Go → Go to Packet (Ctrl+G), or '
                   f'<code>wireshark -r {e(cap)} -g FRAME</code>.</p>')
        out.append('<table class="sortable" id="flag-table"><thead><tr><th>Flag</th><th>Conversation</th>'
                   '<th data-kind="num">Frame</th><th>Reason</th></tr></thead><tbody>')
        for i, f in flagged:
            c = convs[i]
            out.append(f'<tr class="flagged"><td class="flag">{e(f["flag"])}</td>'
                       f'<td><a href="#conv-{i + 1}">{e(c["client"])} → {e(c["server"])} {e(c["transport"])}</a></td>'
                       f'<td class="frame" data-key="{f["frame"]}" title="wireshark -r {e(cap)} -g {f["frame"]}">frame {f["frame"]}</td>'
                       f'<td>{e(f["reason"])}</td></tr>')
        for i, n in flagged_without_frame:
            c = convs[i]
            out.append(f'<tr class="flagged"><td class="flag">{e(n)}</td>'
                       f'<td><a href="#conv-{i + 1}">{e(c["client"])} → {e(c["server"])} {e(c["transport"])}</a></td>'
                       '<td data-key="">-</td><td class="muted">(no expert info frame found)</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p id="no-flags">No flags: every conversation matches what the guides document.</p>')
    # Map.
    out.append('<h2 id="map-title">Map</h2><p class="legend muted">'
               '<span><span class="swatch" style="border-top:1.5px solid #555"></span>documented purpose '
               '(sender → listener, port/transport, evidence)</span>'
               '<span><span class="swatch" style="border-top:1.5px dashed #555"></span>possible or undocumented</span>'
               f'<span><span class="swatch" style="border-top:3px solid {FLAG_COLOUR}"></span>flagged</span></p>'
               f'<div id="map-box">{svg}</div>')
    # Hosts.
    if data.get("hosts") is not None:
        keys = list(dict.fromkeys(k for h in data["hosts"] for k in h)) or ["address", "roles", "evidence"]
        out.append('<h2 id="hosts">Hosts</h2><table class="sortable" id="host-table"><thead><tr>' +
                   "".join(f"<th>{e(k.replace('_', ' ').capitalize())}</th>" for k in keys) + "</tr></thead><tbody>")
        for h in data["hosts"]:
            out.append("<tr>" + "".join(f"<td>{e(h.get(k, ''))}</td>" for k in keys) + "</tr>")
        if not data["hosts"]:
            out.append(f'<tr><td colspan="{len(keys)}" class="muted">No host shows a Cisco UC role in this '
                       'capture: no payload names a phone, a Unified CM, a gateway...</td></tr>')
        out.append("</tbody></table>")
    # Conversations.
    out.append('<h2 id="conversations">Conversations</h2>'
               '<p class="muted">Click a column title to sort. The catalog entry links to the port reference '
               '(build/docs/ports/).</p>'
               '<table class="sortable" id="conv-table"><thead><tr>' +
               "".join(f'<th id="sort-{k}"{" data-kind=" + chr(34) + "num" + chr(34) if num else ""}>{e(t)}</th>'
                       for k, t, num in CONV_COLUMNS) + "</tr></thead><tbody>")
    for i, c in enumerate(convs):
        info = catalog.get(c["entry"])
        if info and original and info["purpose_original"] != info["purpose"]:
            purpose = (f'<span lang="{e(info["language"])}">{e(info["purpose_original"])}</span>'
                       f'<span class="orig" lang="en">{e(c["purpose"])}</span>')
        else:
            purpose = (e(c["purpose"]) if c["purpose"] else
                       '<span class="muted">(nothing confirms a documented use: see Possible)</span>'
                       if c.get("possible") else '<span class="muted">(no guide documents this port)</span>')
        link = port_link(c, ports_dir, out_dir)
        entry = (f'<a href="{e(link)}">{e(c["entry"])}</a>' if link else e(c["entry"])) if c["entry"] else ""
        if info:
            doc = info["doc_title"] if original else info["doc_title_en"]
            table = info["table_title"] if original else info["table_title_en"]
            source = (f'<span title="{e(doc)}">{e(info["edition"])}</span>, table {e(info["table"])} '
                      f'<span class="muted">“{e(table)}”</span>, row {e(info["row"])}')
        else:
            source = ""
        ev = e(c.get("evidence", "")) + (f'<span class="orig">{e(c["evidence_detail"])}</span>'
                                         if c.get("evidence_detail") else "")
        roles = " → ".join(x for x in (c.get("client_role", ""), c.get("server_role", "")) if x)
        flags = "".join(f'<div class="flag">{e(f["flag"])}</div><div>{e(f["reason"])} '
                        f'<span class="muted">(frame {f["frame"]})</span></div>' for f in c.get("flag_details", []))
        if not flags and c["flags"]:
            flags = f'<div class="flag">{e(c["flags"])}</div>'
        cls = ' class="flagged"' if c["flags"] else ""
        out.append(f'<tr id="conv-{i + 1}"{cls}><td>{i + 1}</td><td>{e(c["client"])}</td><td>{e(c["server"])}</td>'
                   f'<td>{e(c["transport"])}</td><td>{e(c["listener_port"])}</td><td>{e(c["detected"])}</td>'
                   f"<td>{purpose}</td><td>{entry}</td><td>{source}</td><td>{ev}</td>"
                   f'<td>{e(c.get("possible", ""))}</td><td>{e(roles)}</td>'
                   f'<td>{flags}</td><td>{e(c["packets"])}</td><td>{e(c["bytes"])}</td><td>{e(c["other_uses"])}</td></tr>')
    out.append("</tbody></table>")
    if not convs:
        out.append('<p id="no-conversations">No TCP or UDP conversations in this capture.</p>')
    out.append('<p class="muted">Written by ciscouc tools/report from <code>tshark -q -2 -z ciscouc,conv</code>.</p>')
    out.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(out) + "\n"


def write_report(data: dict, out_path: str, ports_dir: str | None = None, catalog: dict | None = None) -> None:
    catalog = load_catalog() if catalog is None else catalog
    ports_dir = default_port_reference() if ports_dir is None else ports_dir
    svg = render_svg(dot_source(data, catalog))
    out_dir = os.path.dirname(os.path.abspath(out_path))
    text = render_html(data, catalog, svg, ports_dir, out_dir)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)


def dump_data(data: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)


def load_data(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as ex:
        raise ReportError(f"{path}: cannot read report data: {ex}") from ex
    for k in ("capture", "conversations"):
        if k not in data:
            raise ReportError(f"{path}: report data lacks {k!r}")
    for c in data["conversations"]:
        for k in ucstats.CONV_KEYS:
            c.setdefault(k, "")
    return data
