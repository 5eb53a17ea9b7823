"""One self-contained HTML page per capture: who talks to whom, for what.

Used by tools/report (one capture) and tools/annotate.py --html (many).
The page holds a map (Graphviz `dot -Tsvg`, inlined), the flags with their
reasons and frame numbers, the hosts table when the plugin prints one, and the
conversations table, sortable by clicking a header (a few lines of inline
script; the page loads nothing from the network), and the firewall plan's
rules computed from the same tables (tools/ucplan.py, run as tools/plan runs it).
"""
from __future__ import annotations

import glob
import html
import ipaddress
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
    edition = next((p.partition(":")[2].strip() for p in prefs if p.partition(":")[0].strip() == "ciscouc.edition"),
                   "")
    return {"capture": os.path.basename(path), "status": stats_result["status"],
            "message": stats_result["message"], "language": language, "conversations": convs,
            "hosts": stats_result["hosts"], "edition": edition}


# --------------------------------------------------------------------------- firewall plan

def plan_rules(data: dict) -> dict:
    """The firewall plan of the report's own tables (tools/ucplan.py through
    tools/ucplandoc.py report-rules, run as a module from the repository root
    as tools/plan runs): {"rules": [...], "groups": [...]}, or {"error": why}."""
    ask = {k: data.get(k) for k in ("capture", "conversations", "hosts", "edition")}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    try:
        p = subprocess.run(["/usr/bin/python3", "-m", "tools.ucplandoc", "report-rules"], input=json.dumps(ask),
                           capture_output=True, text=True, env=env, timeout=300)
        return json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr.strip()[-500:] or "no output"}
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as ex:
        return {"error": str(ex)}


PLAN_COLUMNS = [("id", "Rule"), ("from", "From"), ("to", "To"), ("port", "Port"), ("purpose", "Purpose"),
                ("guide rows", "Guide rows"), ("status", "Status")]


def plan_section(plan: dict | None, cap: str) -> list[str]:
    """The firewall plan's rules (tools/plan's readable table): from, to, port,
    purpose (with the secure variant and notes), guide rows and status."""
    out = ['<h2 id="plan">Firewall plan</h2>',
           '<p class="muted">The rules this capture needs, role to role, from the sender to the listener\'s port '
           "(replies ride on connection tracking), as <code>tools/plan --engine tshark " + e(cap) + "</code> prints them: "
           "<i>observed</i>, <i>documented, not observed</i> (the guides document it for the roles present), or "
           "<i>observed, not documented</i> (a drop rule to review). <code>tools/plan --format nft|ios|asa|…</code> "
           "writes the ruleset.</p>"]
    if plan is None:
        return []
    if plan.get("error"):
        return out + [f'<p id="plan-error" class="flag">The firewall plan could not be computed: {e(plan["error"])}</p>']
    if not plan.get("rules"):
        return out + ['<p id="no-plan" class="muted">No rule: no conversation a router forwards, and no role.</p>']
    names = {g["key"]: g for g in plan.get("groups", [])}
    out.append('<table class="sortable" id="plan-table"><thead><tr>' +
               "".join(f"<th>{e(t)}</th>" for _, t in PLAN_COLUMNS) + "</tr></thead><tbody>")
    for r in plan["rules"]:
        cells = r["cells"]
        row = []
        for k, _ in PLAN_COLUMNS:
            if k in ("from", "to"):
                g = names.get(r[k + "_group"], {})
                row.append(f'<td class="{k}" title="{e(", ".join(g.get("members", [])))}">{e(r[k])}</td>')
            elif k == "purpose":
                notes = "".join(f'<span class="orig">{e(n)}</span>' for n in r.get("note_lines", []))
                row.append(f'<td class="purpose">{e(cells[k])}{notes}</td>')
            else:
                row.append(f'<td class="{k.replace(" ", "-")}">{e(cells[k])}</td>')
        cls = ' class="flagged"' if r["action"] == "drop" else ""
        out.append(f'<tr id="plan-{e(r["id"])}"{cls}>' + "".join(row) + "</tr>")
    out.append("</tbody></table>")
    return out


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


def oriented(c: dict) -> tuple[str, str, str]:
    """(sender, listener, listener port) of a conversation: the client, unless
    the documented listener port is the client's port only."""
    cport, sport = ucstats.split_endpoint(c["client"])[1], ucstats.split_endpoint(c["server"])[1]
    port = c["listener_port"] if c["listener_port"] not in ("", "0") else sport
    a, b = host_of(c["client"]), host_of(c["server"])
    if c["listener_port"] not in ("", "0") and c["listener_port"] == cport != sport:
        a, b = b, a
    return a, b, port


def is_uc(c: dict, roles: dict[str, list[str]]) -> bool:
    """A conversation the map shows by default: flagged, or documented by a guide
    row with the evidence confirmed or a host of a Cisco UC role at either end.
    The rest (undocumented ports, and documented ports between hosts that show
    nothing of Cisco UC: HTTP between two PCs) is "other traffic"."""
    if c["flags"]:
        return True
    if not c["entry"]:
        return False
    return c.get("evidence") == "confirmed" or bool(roles.get(host_of(c["client"]))) \
        or bool(roles.get(host_of(c["server"])))


def subnet_of(addr: str, level: int = 0) -> str:
    """The host's network, as text: level 0 a /24 (IPv6: /64), 1 a /16 (/48),
    2 a /8 (/32), 3 any address; not an IP address: the address itself."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr
    bits = (24, 16, 8, 0)[level] if ip.version == 4 else (64, 48, 32, 0)[level]
    return str(ipaddress.ip_network(f"{addr}/{bits}", strict=False))


# A role with more hosts than this is drawn as one node per subnet.
COLLAPSE = 8
NO_ROLE = "no Cisco UC role"
# A role's hosts in more /24s than this are grouped by /16 (then /8).
MAX_SUBNETS = 8


def groups_of(hosts: list[str], roles: dict[str, list[str]]) -> dict[str, dict]:
    """Host -> its map unit: {"node": node key, "role": role label, "subnet": ...}.
    Hosts are grouped by role (all their roles), then by subnet; when a role has
    more than COLLAPSE hosts, each of its subnets is one node ("Phone × 200")."""
    by_role: dict[str, list[str]] = {}
    for h in hosts:
        by_role.setdefault(", ".join(roles.get(h, [])) or NO_ROLE, []).append(h)
    members: dict[tuple, list[str]] = {}
    per_role = {role: len(hs) for role, hs in by_role.items()}
    for role, hs in by_role.items():
        # Hosts spread over many subnets are grouped by wider ones (/16, /8).
        level = next(lv for lv in range(4) if lv == 3 or len({subnet_of(h, lv) for h in hs}) <= MAX_SUBNETS)
        for h in hs:
            members.setdefault((role, subnet_of(h, level)), []).append(h)
    out = {}
    for (role, subnet), hs in members.items():
        collapsed = per_role[role] > COLLAPSE
        for h in hs:
            out[h] = {"node": ("group", role, subnet) if collapsed else ("host", h), "role": role, "subnet": subnet}
    return out


def map_model(data: dict, catalog: dict, other: bool) -> dict:
    """What one map draws: nodes (hosts or groups), clusters (role, then subnet),
    UC edges (one per node pair and purpose, with a count) and, with other=True,
    one "other traffic" edge per cluster pair."""
    roles = host_roles(data)
    convs = data["conversations"]
    uc = [is_uc(c, roles) for c in convs]
    hosts: list[str] = []
    for c, u in zip(convs, uc):
        if u or other:
            for h in oriented(c)[:2]:
                if h not in hosts:
                    hosts.append(h)
    if other:
        hosts += [h for h in roles if h and h not in hosts]
    unit = groups_of(hosts, roles)
    nodes: dict[tuple, dict] = {}
    for h in hosts:
        u = unit[h]
        n = nodes.setdefault(u["node"], {"key": u["node"], "role": u["role"], "subnet": u["subnet"], "hosts": []})
        n["hosts"].append(h)
    uc_edges: dict[tuple, dict] = {}
    other_edges: dict[tuple, dict] = {}
    for i, (c, u) in enumerate(zip(convs, uc)):
        a, b, port = oriented(c)
        if u:
            what = c["entry"] or c["detected"] or port
            key = (unit[a]["node"], unit[b]["node"], c["transport"], what)
            ed = uc_edges.setdefault(key, {"from": unit[a]["node"], "to": unit[b]["node"], "transport": c["transport"],
                                           "ports": [], "entry": c["entry"], "detected": c["detected"],
                                           "purpose": purpose_text(c, catalog, data), "evidence": set(),
                                           "flags": [], "rows": []})
            ed["rows"].append(i)
            if port not in ed["ports"]:
                ed["ports"].append(port)
            if c.get("evidence"):
                ed["evidence"].add(c["evidence"])
            for f in (x for x in c["flags"].split(",") if x):
                if f not in ed["flags"]:
                    ed["flags"].append(f)
        elif other:
            ca, cb = cluster_of(unit[a]), cluster_of(unit[b])
            ed = other_edges.setdefault((ca, cb), {"from": unit[a]["node"], "to": unit[b]["node"], "from_cluster": ca,
                                                   "to_cluster": cb, "rows": [], "ports": {}})
            ed["rows"].append(i)
            pt = f"{port}/{c['transport']}" + (f" {c['detected']}" if c["detected"] else "")
            ed["ports"][pt] = ed["ports"].get(pt, 0) + 1
    return {"nodes": list(nodes.values()), "uc_edges": list(uc_edges.values()),
            "other_edges": list(other_edges.values()), "uc_count": sum(uc), "other_count": len(convs) - sum(uc)}


def cluster_of(u: dict) -> tuple[str, str]:
    return (u["role"], u["subnet"])


def port_span(ports: list[str]) -> str:
    nums = sorted(int(p) for p in ports if p.isdigit())
    if len(ports) == 1 or len(nums) != len(ports):
        return ",".join(ports[:3]) + ("…" if len(ports) > 3 else "")
    return f"{nums[0]}–{nums[-1]}"


def purpose_text(c: dict, catalog: dict, data: dict) -> str:
    info = catalog.get(c["entry"])
    if info and data.get("language") == "original":
        return info["purpose_original"]
    return re.sub(r"^\(catch-all range\) ", "", c["purpose"]) if c["purpose"] else ""


def evidence_of(e: dict) -> str:
    ev = e["evidence"]
    return "confirmed" if "confirmed" in ev else "possible" if "possible" in ev else ""


def node_label(n: dict) -> tuple[str, str]:
    """(label, tooltip) of a map node: a host (address, roles) or a group."""
    role = "" if n["role"] == NO_ROLE else n["role"]
    if n["key"][0] == "host":
        h = n["hosts"][0]
        label = h + ("\n" + "\n".join(role.split(", ")) if role else "")
        return label, h + (f" ({role})" if role else " (no Cisco UC role shown)")
    k = len(n["hosts"])
    if k == 1:
        h = n["hosts"][0]
        return (f"{role}\n{h}" if role else h), f"{h} ({role or 'no Cisco UC role shown'}), drawn as its group"
    shown = ", ".join(n["hosts"][:12]) + (f", … ({k - 12} more)" if k > 12 else "")
    label = f"{role or 'hosts'} × {k}\n{n['subnet']}"
    return label, f"{k} hosts in {n['subnet']} ({role or 'no Cisco UC role shown'}): {shown}"


def dot_source(data: dict, catalog: dict, other: bool = False, prefix: str = "") -> str:
    """The map as Graphviz DOT: the UC part (other=False), or everything with one
    "other traffic" edge per cluster pair (other=True). prefix makes the SVG ids
    of a second map on the same page distinct."""
    m = map_model(data, catalog, other)
    ids = {n["key"]: f"h{i}" for i, n in enumerate(m["nodes"])}
    lines = ["digraph uc {",
             '  graph [rankdir=LR, nodesep=0.3, ranksep=1.2, fontname="DejaVu Sans", bgcolor="white", '
             'pad=0.2, outputorder=edgesfirst, compound=true, newrank=true];',
             f'  node [shape=box, style="rounded,filled", fillcolor="{NODE_FILL}", color="#4a6da7", '
             'fontname="DejaVu Sans", fontsize=11, margin="0.15,0.06"];',
             '  edge [fontname="DejaVu Sans", fontsize=10, color="#555555", arrowsize=0.7];']
    # Clusters: one per role, holding one per subnet when the role spans several.
    by_role: dict[str, dict[str, list[dict]]] = {}
    for n in m["nodes"]:
        by_role.setdefault(n["role"], {}).setdefault(n["subnet"], []).append(n)
    cluster_name: dict[tuple, str] = {}
    for r, (role, subnets) in enumerate(sorted(by_role.items(), key=lambda x: (x[0] == NO_ROLE, x[0]))):
        nested = len(subnets) > 1
        title = role if nested else f"{role} · {next(iter(subnets))}"
        lines.append(f"  subgraph cluster_r{r} {{ label={dot_string(title)}; labeljust=l; fontsize=11; "
                     f'style="rounded"; color="#b8c4d6"; fontcolor="#4a6da7";')
        for s, (subnet, ns) in enumerate(sorted(subnets.items())):
            name = f"cluster_r{r}s{s}" if nested else f"cluster_r{r}"
            cluster_name[(role, subnet)] = name
            if nested:
                lines.append(f"    subgraph {name} {{ label={dot_string(subnet)}; style=\"rounded,dashed\"; "
                             'color="#c8d0dc";')
            for n in ns:
                label, tip = node_label(n)
                kind = "host" if n["key"][0] == "host" else "group"
                lines.append(f"    {ids[n['key']]} [id={dot_string(prefix + kind + '-' + ids[n['key']])}, "
                             f'class="{kind}", label={dot_string(label)}, tooltip={dot_string(tip)}'
                             + (", peripheries=2" if len(n["hosts"]) > 1 else "") + "];")
            if nested:
                lines.append("    }")
        lines.append("  }")
    names = {n["key"]: (n["hosts"][0] if n["key"][0] == "host" else
                        f"{len(n['hosts'])} {n['role'] if n['role'] != NO_ROLE else 'hosts'} in {n['subnet']}")
             for n in m["nodes"]}
    for k, ed in enumerate(m["uc_edges"]):
        what = ed["detected"] or ""
        ports = port_span(ed["ports"])
        head = f"{ports}/{ed['transport']}" + (f" {what}" if what else "")
        purpose = shorten(ed["purpose"], 38) if ed["purpose"] else "(undocumented)"
        ev = evidence_of(ed)
        count = len(ed["rows"])
        # Solid or dashed says the evidence (legend); the count joins the first line.
        label_lines = [head + (f" × {count}" if count > 1 else ""), purpose]
        tip = (f"{names[ed['from']]} → {names[ed['to']]}, {head}: {ed['purpose'] or 'no guide documents this port'}"
               + (f" ({ev} evidence)" if ev else "") + f"; {count} conversation(s)"
               + (f"; flags: {', '.join(ed['flags'])}" if ed["flags"] else ""))
        attrs = [f"id={dot_string(f'{prefix}edge-{k}')}", "URL=" + dot_string(f"#conv-{ed['rows'][0] + 1}"),
                 f"tooltip={dot_string(tip)}", f"penwidth={min(1 + count ** 0.5 / 3, 3):.2f}"]
        if ed["flags"]:
            label_lines.append("⚑ " + ", ".join(ed["flags"]))
            attrs += [f'color="{FLAG_COLOUR}"', f'fontcolor="{FLAG_COLOUR}"', "penwidth=3", 'class="flagged"']
        else:
            attrs.append('class="documented"' if ed["entry"] else 'class="undocumented"')
        if ev == "possible" or not ed["entry"]:
            attrs.append('style="dashed"')
        attrs.append(f"label={dot_string(chr(10).join(label_lines))}")
        lines.append(f"  {ids[ed['from']]} -> {ids[ed['to']]} [{', '.join(attrs)}];")
    for k, ed in enumerate(m["other_edges"]):
        count = len(ed["rows"])
        top = sorted(ed["ports"].items(), key=lambda x: (-x[1], x[0]))
        ports = ", ".join(f"{p} × {n}" for p, n in top[:6]) + (f", … ({len(top) - 6} more)" if len(top) > 6 else "")
        fc, tc = ed["from_cluster"], ed["to_cluster"]
        tip = (f"other traffic, {fc[0]} {fc[1]} → {tc[0]} {tc[1]}: {count} conversation(s) "
               f"(undocumented, or documented ports with no Cisco UC host or evidence): {ports}")
        attrs = [f"id={dot_string(f'{prefix}other-{k}')}", 'class="other"', 'style="dotted"', 'color="#9a9a9a"',
                 'fontcolor="#777777"', "URL=" + dot_string(f"#conv-{ed['rows'][0] + 1}"), f"tooltip={dot_string(tip)}",
                 f"label={dot_string(f'other traffic × {count}')}"]
        if fc != tc:
            attrs += [f"ltail={cluster_name[fc]}", f"lhead={cluster_name[tc]}"]
        lines.append(f"  {ids[ed['from']]} -> {ids[ed['to']]} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot: str, svg_id: str = "map") -> str:
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
    svg = re.sub(r'<svg width="([^"]*)" height="([^"]*)"',
                 rf'<svg id="{svg_id}" class="map" width="\1" data-height="\2" role="img" aria-label="conversation map"',
                 svg, count=1)
    # dot titles each node and edge by its DOT name (h0, h0->h1); a browser
    # shows the innermost title on hover, so each takes its readable tooltip.
    svg = re.sub(r'<title>[^<]*</title>(\s*<g id="[^"]*">\s*<a [^>]*?xlink:title="([^"]*)")', r'<title>\2</title>\1',
                 svg)
    svg = re.sub(r'<title>(uc|h\d+|h\d+&#45;&gt;h\d+|cluster_r\d+(?:s\d+)?)</title>', '<title></title>', svg)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
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
details summary{cursor:pointer}ul.flag-convs{margin:.3em 0;padding-left:1.2em}
.orig{color:#555;font-size:.92em;display:block}code{font-size:.95em}
.map-box{border:1px solid #ccc;padding:6px;overflow:auto}svg.map{max-width:100%;height:auto}
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
  // The map opens on the UC part; the switch shows every conversation.
  var sw = document.getElementById('show-other');
  function showMap(){
    var all = sw && sw.checked;
    var uc = document.getElementById('map-box'); if (!uc) return;
    uc.hidden = !!all;
    var box = document.getElementById('map-all-box'); if (box) box.hidden = !all;
    var shown = document.getElementById(all ? 'map-all' : 'map');
    if (shown){ var r = shown.getBoundingClientRect();
      document.body.setAttribute('data-map-size', Math.round(r.width) + 'x' + Math.round(r.height)); }
  }
  if (sw){ sw.addEventListener('change', showMap); if (/(^#|&)other(&|$)/.test(location.hash)) sw.checked = true; }
  showMap();
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


MAP_LEGEND = (
    '<p class="legend muted">'
    '<span><span class="swatch" style="border-top:1.5px solid #555"></span>documented purpose, confirmed '
    '(sender → listener, port/transport, × conversations)</span>'
    '<span><span class="swatch" style="border-top:1.5px dashed #555"></span>possible, or no guide documents it</span>'
    f'<span><span class="swatch" style="border-top:3px solid {FLAG_COLOUR}"></span>flagged</span>'
    '<span><span class="swatch" style="border-top:1.5px dotted #999"></span>other traffic (with the switch)</span>'
    '<span>boxes: hosts grouped by role, then subnet; a double box (“Phone × 200”) is every host of that role '
    'in one subnet</span></p>')


# The conversations table: (id for #sort=, title, sorted as a number).
CONV_COLUMNS = [("n", "#", True), ("client", "Client", False), ("server", "Server", False),
                ("transport", "Transport", False), ("port", "Port", True), ("detected", "Detected", False),
                ("purpose", "Purpose", False), ("entry", "Catalog entry", False),
                ("source", "Document and table", False), ("evidence", "Evidence", False),
                ("possible", "Possible", False), ("roles", "Roles", False),
                ("flags", "Flags", False), ("packets", "Packets", True), ("bytes", "Bytes", True),
                ("other_uses", "Other uses", True)]


def port_link(c: dict, ports_dir: str | None, out_dir: str) -> str | None:
    """The port reference row of the conversation's entry: ports/PRODUCT.html#ENTRY
    where the reference is rendered as HTML (tools/ucports.py, beside batch
    pages), else the Markdown page with a text fragment (Chromium, Safari)."""
    if not ports_dir or not c["entry"] or not c["product"]:
        return None
    for ext in (".html", ".md"):
        page = os.path.join(ports_dir, c["product"] + ext)
        if os.path.exists(page):
            rel = urllib.parse.quote(os.path.relpath(page, out_dir).replace(os.sep, "/"))
            return rel + ("#" + urllib.parse.quote(c["entry"]) if ext == ".html"
                          else "#:~:text=" + urllib.parse.quote(c["entry"]))
    return None


FIRST_FRAMES = 5  # frames named in a flag group's row (all are in its list)


def flag_groups(convs: list[dict]) -> list[dict]:
    """The flags, one group per flag, reason and role pair (client role → server
    role), in the order first seen: {"flag", "reason", "roles", "items":
    [(conversation index, frame or None)]}."""
    groups: dict[tuple, dict] = {}
    for i, c in enumerate(convs):
        roles = " → ".join(x or "?" for x in (c.get("client_role", ""), c.get("server_role", ""))) \
            if c.get("client_role") or c.get("server_role") else ""
        details = c.get("flag_details", [])
        for f in details:
            g = groups.setdefault((f["flag"], f["reason"], roles), {"flag": f["flag"], "reason": f["reason"],
                                                                   "roles": roles, "items": []})
            g["items"].append((i, f["frame"]))
        for n in c["flags"].split(","):
            if n and n not in {f["flag"] for f in details}:
                g = groups.setdefault((n, "", roles), {"flag": n, "reason": "", "roles": roles, "items": []})
                g["items"].append((i, None))
    return list(groups.values())


def render_html(data: dict, catalog: dict, svg: str, ports_dir: str | None, out_dir: str, svg_all: str = "",
                plan: dict | None = None) -> str:
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
        out.append(f'<p class="muted">One row per flag, reason and role pair; open a row for its conversations. '
                   f'Open a frame in Wireshark with Go → Go to Packet (Ctrl+G), or '
                   f'<code>wireshark -r {e(cap)} -g FRAME</code>.</p>')
        out.append('<table class="sortable" id="flag-table"><thead><tr><th>Flag</th><th>Reason</th><th>Roles</th>'
                   '<th data-kind="num">Conversations</th><th data-kind="num">First frames</th></tr></thead><tbody>')
        for g in flag_groups(convs):
            frames = sorted(f for _, f in g["items"] if f is not None)
            first = ", ".join(f"frame {n}" for n in frames[:FIRST_FRAMES]) + (" …" if len(frames) > FIRST_FRAMES else "")
            items = "".join(f'<li><a href="#conv-{i + 1}">{e(convs[i]["client"])} → {e(convs[i]["server"])} '
                            f'{e(convs[i]["transport"])}</a>'
                            + (f' <span class="frame" title="wireshark -r {e(cap)} -g {f}">frame {f}</span>'
                               if f is not None else ' <span class="muted">(no expert info frame found)</span>')
                            + "</li>" for i, f in g["items"])
            out.append(f'<tr class="flagged flag-group"><td class="flag">{e(g["flag"])}</td>'
                       f'<td><details><summary>{e(g["reason"]) if g["reason"] else "<span class=muted>(no expert info frame found)</span>"}'
                       f'</summary><ul class="flag-convs">{items}</ul></details></td><td>{e(g["roles"])}</td>'
                       f'<td class="count" data-key="{len(g["items"])}">{len(g["items"])}</td>'
                       f'<td class="frame" data-key="{frames[0] if frames else ""}">{e(first) if first else "-"}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p id="no-flags">No flags: every conversation matches what the guides document.</p>')
    # Map: the UC part, and a switch that shows every conversation.
    out.append('<h2 id="map-title">Map</h2>' + MAP_LEGEND)
    n_other = sum(1 for c in convs if not is_uc(c, host_roles(data)))
    if n_other:
        out.append(f'<p><label><input type="checkbox" id="show-other"> show the other traffic too ({n_other} '
                   "conversation(s): undocumented ports, or documented ports between hosts that show nothing of "
                   "Cisco UC), one dotted edge per group pair</label></p>")
    if svg:
        out.append(f'<div id="map-box" class="map-box">{svg}</div>')
    else:
        out.append('<div id="map-box" class="map-box"><p id="no-uc" class="muted">No Cisco UC conversation: '
                   "no flag, and no documented purpose with a Cisco UC host or confirmed evidence."
                   + (" Tick the switch above to see the other traffic." if n_other else "") + "</p></div>")
    if n_other:
        out.append(f'<div id="map-all-box" class="map-box" hidden>{svg_all}</div>')
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
               '<p class="muted">Click a column title to sort. The catalog entry links to its row in the port '
               'reference.</p>'
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
    out += plan_section(plan, cap)
    out.append('<p class="muted">Written by ciscouc tools/report from <code>tshark -q -2 -z ciscouc,conv</code>.</p>')
    out.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(out) + "\n"


def write_report(data: dict, out_path: str, ports_dir: str | None = None, catalog: dict | None = None) -> None:
    catalog = load_catalog() if catalog is None else catalog
    ports_dir = default_port_reference() if ports_dir is None else ports_dir
    m = map_model(data, catalog, other=False)
    svg = render_svg(dot_source(data, catalog)) if m["uc_edges"] else ""
    svg_all = render_svg(dot_source(data, catalog, other=True, prefix="all-"), "map-all") if m["other_count"] else ""
    out_dir = os.path.dirname(os.path.abspath(out_path))
    text = render_html(data, catalog, svg, ports_dir, out_dir, svg_all, plan_rules(data))
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
