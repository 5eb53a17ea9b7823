"""The capture report (tools/report) checked in a real browser.

Headless Chromium (Debian package chromium) loads each page, a screenshot is
taken, and the DOM after the page's script ran is checked: the map's host and
edge counts against the conversation table, the flagged edges of
misbehaviour.pcap, sorting, the original-language text, escaping, and no
script errors (window errors are recorded into the page, console errors read
from Chromium's log). Skips with a clear message where chromium or Graphviz's
dot is not installed. Screenshots are kept as <build>/report-shots/report-NAME.png.
"""
from __future__ import annotations

import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import fake_tshark
from conftest import BUILD, ROOT

# Version-independent (the HTML report): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

REPORT = os.path.join(ROOT, "tools", "report")
TEACHING = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")))
SHOTS = os.path.join(BUILD, "report-shots")


@pytest.fixture(scope="module")
def tshark(tshark_evidence):
    """The report shows what the plugin shows by default (purposes on
    evidence): compare it with the same tshark."""
    return tshark_evidence


@pytest.fixture(scope="module")
def dot():
    if not shutil.which("dot"):
        pytest.skip("report tests skipped: Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.fixture(scope="module")
def chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("browser check skipped: chromium is not installed (apt-get install chromium)")
    return exe


def browse(chromium: str, url: str, screenshot: str | None = None) -> tuple[str, str]:
    """(DOM after the page's scripts ran, Chromium's log on stderr)."""
    profile = tempfile.mkdtemp(prefix="ciscouc-chromium-")
    try:
        cmd = [chromium, "--headless", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1280,1400"]
        if os.geteuid() == 0:
            cmd.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
        what = [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
        p = subprocess.run([*cmd, *what, url], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout, p.stderr


def console_errors(log: str) -> list[str]:
    return [l for l in log.splitlines() if ":CONSOLE" in l]


def run_report(tshark, capture: str, out: str, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = subprocess.run([sys.executable, REPORT, capture, "-o", out, "--plugin-dir", tshark.plugins, *extra],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


def conv_table(tshark, capture: str) -> tuple[list[dict], bool]:
    """The conversation rows as tshark prints them (read by header), and whether
    the plugin printed a hosts table."""
    out = tshark.run(["-q", "-2", "-r", capture, "-z", "ciscouc,conv"]).stdout.splitlines()
    i = next(n for n, l in enumerate(out) if l.startswith("Cisco UC conversations"))
    head = out[i + 1].split("\t")
    rows = [dict(zip(head, l.split("\t"))) for l in out[i + 2:] if not l.startswith("=====")]
    hosts = tshark.run(["-q", "-2", "-r", capture, "-z", "ciscouc,hosts"], check=False).returncode == 0
    return rows, hosts


def host(ep: str) -> str:
    return ep.rpartition(":")[0].strip("[]")


def svg_nodes(dom: str) -> list[str]:
    return re.findall(r'<g id="host-h\d+" class="node host">.*?</g>', dom, re.S)


def svg_edges(dom: str) -> list[str]:
    return re.findall(r'<g id="edge-\d+" class="edge[^"]*">.*?</g>\s*</g>|<g id="edge-\d+" class="edge[^"]*">.*?</g>',
                      dom, re.S)


def edge_classes(dom: str) -> list[str]:
    return re.findall(r'<g id="edge-\d+" class="edge ?([^"]*)"', dom)


def directed(r: dict) -> tuple[str, str]:
    """(sender, listener) of a conversation row: the client, unless the
    documented listener port is the client's port only."""
    cport, sport = r["Client"].rsplit(":", 1)[1], r["Server"].rsplit(":", 1)[1]
    if r["Listener"] not in ("", "0") and r["Listener"] == cport != sport:
        return host(r["Server"]), host(r["Client"])
    return host(r["Client"]), host(r["Server"])


def is_uc(r: dict, rows: list[dict]) -> bool:
    """What the map shows before the switch: flagged, or documented with the
    evidence confirmed or a Cisco UC role at either end (tools/ucreport.is_uc)."""
    roles = {host(x["Client"]) for x in rows if x["Client role"]} | {host(x["Server"]) for x in rows if x["Server role"]}
    return bool(r["Flags"]) or bool(r["Entry"]) and (r["Evidence"] == "confirmed" or host(r["Client"]) in roles
                                                     or host(r["Server"]) in roles)


def check_page(dom: str, log: str) -> None:
    assert 'data-ready="1"' in dom, "the page's script did not run to its end"
    errors = re.search(r'<pre id="script-errors">(.*?)</pre>', dom, re.S)
    assert errors and errors.group(1) == "", errors.group(1) if errors else "no error recorder"
    assert not console_errors(log), console_errors(log)


@pytest.mark.parametrize("capture", TEACHING, ids=[os.path.basename(c) for c in TEACHING])
def test_teaching_capture_report(dot, chromium, tshark, workdir, capture):
    name = os.path.splitext(os.path.basename(capture))[0]
    out = os.path.join(workdir, f"report-{name}.html")
    run_report(tshark, capture, out)
    dom, log = browse(chromium, "file://" + out)
    check_page(dom, log)
    rows, has_hosts = conv_table(tshark, capture)
    assert rows
    # The UC part of the map (shown first): hosts are nodes (a role of more
    # than 8 hosts would be one node per subnet: none here). One edge per purpose between two nodes,
    # sender -> listener (media both ways between the same ports is two edges),
    # the count on it: every UC conversation is on exactly one edge.
    uc = [r for r in rows if is_uc(r, rows)]
    hosts = {host(r["Client"]) for r in uc} | {host(r["Server"]) for r in uc}
    uc_map = dom[dom.index('<svg id="map"'):dom.index("</svg>", dom.index('<svg id="map"'))]
    nodes = svg_nodes(uc_map)
    groups = re.findall(r'<g id="group-h\d+" class="node group">.*?</g>', uc_map, re.S)
    text = html.unescape(re.sub(r"<[^>]+>|[,():]", " ", uc_map)).split()
    assert all(h in text for h in hosts), sorted(hosts)
    labels = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", g)).split()) for g in svg_edges(uc_map)]
    assert sum(int(m.group(1)) if (m := re.search(r"× (\d+)", l)) else 1 for l in labels) == len(uc)
    assert not groups and len(nodes) == len(hosts), (len(nodes), sorted(hosts))
    purposes = {(directed(r), r["Transport"], r["Entry"] or r["Detected"] or r["Listener"]) for r in uc}
    assert len(edge_classes(uc_map)) == len(purposes)
    flagged_purposes = {(directed(r), r["Transport"], r["Entry"] or r["Detected"] or r["Listener"])
                        for r in rows if r["Flags"]}
    assert edge_classes(uc_map).count("flagged") == len(flagged_purposes)
    # The rest is behind the switch: the full map has every host.
    other = len(rows) - len(uc)
    assert ('id="show-other"' in dom) == bool(other) and ('id="map-all"' in dom) == bool(other)
    if other:
        all_map = dom[dom.index('<svg id="map-all"'):]
        every = {host(r["Client"]) for r in rows} | {host(r["Server"]) for r in rows}
        text = html.unescape(re.sub(r"<[^>]+>|[,():]", " ", all_map)).split()
        assert all(h in text for h in every)
        assert len(re.findall(r'<g id="all-other-\d+" class="edge other">', all_map)) >= 1
    assert not re.search(r"<title>h\d|h\d+&#45;&gt;h\d", dom)  # no internal ids in tooltips
    # Every conversation is a table row; the hosts table is there when the plugin prints one.
    assert len(re.findall(r'<tr id="conv-\d+"', dom)) == len(rows)
    assert ('id="host-table"' in dom) == has_hosts
    os.makedirs(SHOTS, exist_ok=True)
    shot = os.path.join(SHOTS, f"report-{name}.png")
    browse(chromium, "file://" + out, screenshot=shot)
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_misbehaviour_flags_and_map(dot, chromium, tshark, workdir):
    capture = os.path.join(ROOT, "captures", "misbehaviour.pcap")
    out = os.path.join(workdir, "report-misbehaviour-flags.html")
    run_report(tshark, capture, out)
    dom, log = browse(chromium, "file://" + out)
    check_page(dom, log)
    # Flags come first, before the map and the conversations.
    assert dom.index('id="flags"') < dom.index('id="map-title"') < dom.index('id="conversations"')
    # The frame that raised each flag, as tshark's expert info field shows it.
    rows, _ = conv_table(tshark, capture)
    expected = set()
    for flag in {f for r in rows for f in r["Flags"].split(",") if f}:
        for line in tshark.run(["-2", "-r", capture, "-Y", f"ciscouc.{flag}", "-T", "fields",
                                "-e", "frame.number"]).stdout.split():
            expected.add((flag, int(line)))
    table = dom[dom.index('id="flag-table"'):dom.index("</table>", dom.index('id="flag-table"'))]
    shown = set()
    for group in re.findall(r'<tr class="flagged flag-group">.*?</tr>', table, re.S):
        flag = re.search(r'<td class="flag">([a-z_]+)</td>', group).group(1)
        shown |= {(flag, int(n)) for n in re.findall(r'<span class="frame"[^>]*>frame (\d+)</span>', group)}
    assert shown == expected and len(expected) == 7
    assert "localhost-only" in table and "5049/tcp" in table  # the internal_only reason
    # The flagged edges stand out: red, thick, named by their flag.
    flagged = [g for g in svg_edges(dom) if 'class="edge flagged"' in g]
    assert len(flagged) == 7
    internal = [g for g in flagged if "internal_only" in g]
    assert len(internal) == 1 and "5049/tcp" in internal[0]
    assert 'stroke="#c00000"' in internal[0] and 'stroke-width="3"' in internal[0]
    documented = [g for g in svg_edges(dom) if 'class="edge documented"' in g]
    assert all('stroke="#c00000"' not in g for g in documented)
    # MSSQL from a host that showed no role to the Unified CM's database port
    # (row Unified CM (DB) -> Unified CM (DB)) is only possible: a host with no
    # role is not a Unified CM (issue 22): it shows no purpose, so the map that
    # opens (the UC part) does not draw it; it is other traffic, behind the switch.
    assert not [g for g in svg_edges(dom) if "1433/tcp" in g]
    assert "1433" in dom[dom.index('<svg id="map-all"'):]


def test_sorting_by_a_column(dot, chromium, tshark, workdir):
    capture = os.path.join(ROOT, "captures", "misbehaviour.pcap")
    out = os.path.join(workdir, "report-sort.html")
    run_report(tshark, capture, out)
    dom, log = browse(chromium, "file://" + out + "#sort=packets")
    check_page(dom, log)
    body = dom[dom.index('id="conv-table"'):]
    packets = [int(p) for p in re.findall(r'<tr id="conv-\d+"[^>]*>(?:<td>.*?</td>){12}<td>(\d+)</td>', body, re.S)]
    assert len(packets) == 9 and packets == sorted(packets) and packets != [int(r["Packets"]) for r in
                                                                          conv_table(tshark, capture)[0]]


def test_original_language(dot, chromium, tshark, workdir):
    capture = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    english, original = os.path.join(workdir, "report-en.html"), os.path.join(workdir, "report-orig.html")
    run_report(tshark, capture, english)
    run_report(tshark, capture, original, "--language", "original")
    dom, log = browse(chromium, "file://" + original)
    check_page(dom, log)
    # cucm-ja.t6.r3: the Japanese cell as printed (OCR damage kept), and its document's own title.
    assert "Skinnny Client Control Protocol（SCCP）" in dom
    assert "Cisco Unified Communications Manager の TCP および UDP ポートの使用" in dom
    with open(english, encoding="utf-8") as f:
        text = f.read()
    assert "Skinnny" not in text and "ポート" not in text
    assert "Cisco Unified Communications Manager TCP and UDP Port Usage (Japanese edition)" in text


def test_catalog_links_work_after_the_page_moves(dot, tshark, tmp_path):
    """The single page's catalog links go to the port reference rendered as HTML
    in ports/ beside it (tools/ucports.py, as annotate --html does), relative:
    the folder moved whole, every link still opens its catalog row."""
    capture = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    (tmp_path / "site").mkdir()
    run_report(tshark, capture, str(tmp_path / "site" / "sccp.html"))
    shutil.move(tmp_path / "site", tmp_path / "moved")
    with open(tmp_path / "moved" / "sccp.html", encoding="utf-8") as f:
        page = f.read()
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"#][^"]*)"', page)]
    links = re.findall(r'<a href="(ports/[a-z]+\.html)#([^"]+)">', page)
    assert links and len(links) == len(hrefs), hrefs  # every outside link is one of these: no .md, no build/
    for target, entry in links:
        with open(tmp_path / "moved" / target, encoding="utf-8") as f:
            assert f'<tr id="{entry}">' in f.read(), (target, entry)
    # Near miss: no reference to render: the page says so on stderr and links nothing.
    empty = tmp_path / "no-reference"
    empty.mkdir()
    (tmp_path / "bare").mkdir()
    p = run_report(tshark, capture, str(tmp_path / "bare" / "sccp.html"), "--port-reference", str(empty))
    assert f"report: {empty}: no port reference" in p.stderr and p.stdout == ""
    assert sorted(os.listdir(tmp_path / "bare")) == ["sccp.html"]
    with open(tmp_path / "bare" / "sccp.html", encoding="utf-8") as f:
        assert not re.findall(r'href="[^"#]', f.read())
    # Near miss: a folder that does not exist is named, and nothing is written.
    p = subprocess.run([sys.executable, REPORT, capture, "-o", str(tmp_path / "typo" / "sccp.html")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and f"report: {tmp_path / 'typo'}: no such folder" in p.stderr
    assert not os.path.exists(tmp_path / "typo")


def hostile_data() -> dict:
    bad = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">&amp;"\''
    conv = {"client": "10.0.0.1:5000", "server": "10.0.0.2:5060", "transport": "udp", "listener_port": "5060",
            "packets": "3", "bytes": "300", "first": "0", "last": "1", "detected": "SIP" + bad,
            "flags": "unexpected_port", "product": "cucm", "entry": "x" + bad, "purpose": "P" + bad,
            "other_uses": "0", "evidence": "possible", "evidence_detail": bad, "client_role": "Phone" + bad,
            "server_role": bad,
            "flag_details": [{"flag": "unexpected_port", "frame": 2, "reason": "R" + bad}]}
    return {"capture": "c" + bad + ".pcap", "status": "ok", "message": "", "language": "english",
            "conversations": [conv], "hosts": [{"address": "10.0.0.2", "roles": "Unified CM" + bad,
                                                "evidence": bad, "conversations": "1"}]}


def test_everything_is_escaped(dot, chromium, workdir):
    data = os.path.join(workdir, "hostile.json")
    with open(data, "w", encoding="utf-8") as f:
        json.dump(hostile_data(), f)
    out = os.path.join(workdir, "report-hostile.html")
    p = subprocess.run([sys.executable, REPORT, "--data", data, "-o", out], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    with open(out, encoding="utf-8") as f:
        text = f.read()
    assert "<script>document" not in text and "<img" not in text
    dom, log = browse(chromium, "file://" + out)
    check_page(dom, log)
    # Had the injected markup run, it would have replaced the title.
    assert re.search(r"<title>(.*?)</title>", dom, re.S).group(1).startswith("Cisco UC report: c&lt;script&gt;")
    assert "<img" not in dom
    # The text is shown as text, on the map and in the tables.
    assert dom.count("&lt;script&gt;document.title=") >= 8
    assert 'id="host-table"' in dom and "Unified CM&lt;script&gt;" in dom


def test_hosts_table_and_evidence_from_a_newer_plugin(dot, chromium, workdir):
    """A plugin that prints evidence, roles and a hosts table (simulated by a
    stand-in tshark): roles label the map's nodes, possible evidence is dashed."""
    fake = fake_tshark.make(workdir)
    capture = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    out = os.path.join(workdir, "report-newer.html")
    env = dict(os.environ, PATH=fake + os.pathsep + os.environ["PATH"])
    p = subprocess.run([sys.executable, REPORT, capture, "-o", out], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    dom, log = browse(chromium, "file://" + out)
    check_page(dom, log)
    assert 'id="host-table"' in dom and "Unified CM: SCCP frame 4; TFTP server: TFTP frame 1" in dom
    nodes = svg_nodes(dom)
    assert len(nodes) == 3
    cucm = [n for n in nodes if "10.10.0.11" in n][0]
    assert "Unified CM" in cucm and "TFTP server" in cucm
    edges = svg_edges(dom)
    assert len(edges) == 3
    possible = [g for g in edges if "possible" in g]
    assert len(possible) == 1 and 'stroke-dasharray' in possible[0]
    assert "SCCP payload, frame 4" in dom and "Phone → Unified CM" in dom


PLAN = os.path.join(ROOT, "tools", "plan")


def plan_table(dom: str) -> list[dict]:
    """The firewall plan section's rows, by the cells' classes."""
    body = dom[dom.index('id="plan-table"'):]
    body = body[:body.index("</table>")]
    rows = []
    for tr in re.findall(r'<tr id="plan-[^"]*"[^>]*>.*?</tr>', body, re.S):
        cells = dict(re.findall(r'<td class="([a-z-]+)"[^>]*>(.*?)</td>', tr, re.S))
        notes = re.findall(r'<span class="orig">(.*?)</span>', cells["purpose"], re.S)
        cells["purpose"] = re.sub(r'<span class="orig">.*?</span>', "", cells["purpose"], flags=re.S)
        rows.append({**{k: html.unescape(v) for k, v in cells.items()}, "notes": [html.unescape(n) for n in notes],
                     "flagged": 'class="flagged"' in tr.split(">", 1)[0]})
    return rows


@pytest.mark.parametrize("name", ["sccp-phone-call.pcap", "misbehaviour.pcap"])
def test_firewall_plan_section(dot, chromium, tshark, workdir, name):
    """The report's firewall plan: tools/plan's rules for the same tables
    (tools/plan --engine tshark with the same plugin), row for row: from, to,
    port, purpose with its secure variant and notes, guide rows, status; the
    rules to review (misbehaviour.pcap) marked, none in a clean capture."""
    capture = os.path.join(ROOT, "captures", name)
    out = os.path.join(workdir, f"report-plan-{name}.html")
    run_report(tshark, capture, out)
    dom, log = browse(chromium, "file://" + out)
    check_page(dom, log)
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = subprocess.run([sys.executable, PLAN, "--engine", "tshark", "--plugin-dir", tshark.plugins, "--format", "json",
                        capture], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    rules = json.loads(p.stdout)["rules"]
    rows = plan_table(dom)
    assert len(rows) == len(rules) > 3
    for row, rule in zip(rows, rules):
        n = rule["conversations"]
        status = {"observed": f"observed ({n} conversation{'s' * (n != 1)}, first {rule['first']})",
                  "observed, not documented": f"observed, not documented ({n}, first {rule['first']}): to review"}
        assert (row["id"], row["from"], row["to"], row["port"], row["purpose"], row["guide-rows"], row["status"]) == \
            (rule["id"], rule["from"], rule["to"], f"{rule['ports']}/{rule['transport']}", rule["purpose"],
             " ".join(rule["rows"]), status.get(rule["status"], rule["status"])), (row, rule)
        assert all(any(x in note for note in row["notes"]) for x in rule["secure"] + rule["notes"]), (row, rule)
        assert row["flagged"] == (rule["action"] == "drop")
    review = [r for r in rows if r["flagged"]]
    if name == "misbehaviour.pcap":
        assert {r["port"] for r in review} >= {"3000/tcp", "6000/tcp", "6000/udp"}
    else:
        assert not review and any(r["status"].startswith("observed (") for r in rows)


def test_firewall_plan_section_names_bad_data(dot, workdir):
    """Data the plan cannot read (a listener port that is no number): the page
    is written and its plan section says which conversation, instead of failing."""
    data = hostile_data()
    data["conversations"][0]["listener_port"] = "50x"
    path = os.path.join(workdir, "bad-port.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)
    out = os.path.join(workdir, "report-bad-port.html")
    p = subprocess.run([sys.executable, REPORT, "--data", path, "-o", out], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(out, encoding="utf-8") as f:
        text = f.read()
    err = re.search(r'<p id="plan-error"[^>]*>(.*?)</p>', text, re.S)
    assert err and "conversation 1 (10.0.0.1:5000 -&gt; 10.0.0.2:5060): listener port &#x27;50x&#x27; is not a number" \
        in err.group(1), err
    assert 'id="plan-table"' not in text


@pytest.fixture(scope="module")
def site_page(dot, chromium, tshark, workdir):
    """A generated site of 300 hosts (captures/site.py): 200 SCCP phones, 30 SIP
    phones, gateways, two Unified CM, and 60 hosts of ordinary traffic."""
    from captures import site
    capture = site.site(300).write(os.path.join(workdir, "site300.pcap"))
    out = os.path.join(workdir, "report-site300.html")
    run_report(tshark, capture, out)
    rows, _ = conv_table(tshark, capture)
    return out, rows


def browse_at(chromium: str, url: str, width: int, height: int) -> str:
    profile = tempfile.mkdtemp(prefix="ciscouc-chromium-")
    try:
        cmd = [chromium, "--headless", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--window-size={width},{height}", "--dump-dom", url]
        if os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def natural_px(svg_tag: str) -> tuple[float, float]:
    """The map's own size (dot's points at 96 px per inch), before any scaling."""
    w = float(re.search(r'width="([\d.]+)pt"', svg_tag).group(1))
    h = float(re.search(r'data-height="([\d.]+)pt"', svg_tag).group(1))
    return w * 4 / 3, h * 4 / 3


def test_map_of_300_hosts_fits_one_screen(site_page, chromium):
    out, rows = site_page
    hosts = {host(r["Client"]) for r in rows} | {host(r["Server"]) for r in rows}
    assert len(hosts) == 300
    dom = browse_at(chromium, "file://" + out, 1400, 1000)
    assert 'data-ready="1"' in dom and re.search(r'<pre id="script-errors"></pre>', dom)
    # The page opens on the UC part, at its natural size (not shrunk to fit),
    # within one 1,400 x 1,000 screen; the other traffic is behind the switch.
    w, h = (int(x) for x in re.search(r'data-map-size="(\d+)x(\d+)"', dom).groups())
    nw, nh = natural_px(re.search(r'<svg id="map"[^>]*>', dom).group(0))
    assert w <= 1400 - 60 and h <= 1000 and abs(w - nw) < 2, (w, h, nw, nh)
    assert re.search(r'<div id="map-all-box" class="map-box" hidden="">', dom)
    uc_map = dom[dom.index('<svg id="map"'):dom.index("</svg>", dom.index('<svg id="map"'))]
    # Roles grouped: 200 SCCP phones in 10.20.0.0/24 are one node, with a count.
    groups = re.findall(r'<g id="group-h\d+" class="node group">.*?</g>', uc_map, re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", g)) for g in groups)
    assert "Phone × 200 10.20.0.0/24" in " ".join(text.split())
    # One edge per node pair and purpose, the count on it; every UC
    # conversation is on exactly one edge.
    labels = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", g)).split()) for g in svg_edges(uc_map)]
    counts = [int(m.group(1)) if (m := re.search(r"× (\d+)", l)) else 1 for l in labels]
    uc = [r for r in rows if is_uc(r, rows)]
    assert sum(counts) == len(uc) and len(labels) < 15, labels
    assert any("2000/tcp SCCP × 100 Skinny Client Control Protocol (SCCP)" in l for l in labels), labels
    # No non-UC host on the UC map: the 60 hosts of ordinary traffic.
    assert "192.168." not in uc_map
    # Tooltips name hosts and groups, never dot's node names.
    assert not re.search(r"<title>h\d|h\d+&#45;&gt;h\d", dom)
    assert re.search(r"<title>200 hosts in 10\.20\.0\.0/24 \(Phone\): 10\.20\.0\.10, ", uc_map)


def test_switch_shows_the_other_traffic(site_page, chromium):
    out, rows = site_page
    dom = browse_at(chromium, "file://" + out + "#other", 1400, 1000)
    assert re.search(r'<div id="map-box" class="map-box" hidden="">', dom)
    all_map = dom[dom.index('<svg id="map-all"'):]
    other = [g for g in re.findall(r'<g id="all-other-\d+" class="edge other">.*?</g>\s*</g>', all_map, re.S)]
    n = sum(int(re.search(r"other traffic × (\d+)", html.unescape(g)).group(1)) for g in other)
    assert n == sum(1 for r in rows if not is_uc(r, rows)) and 0 < len(other) <= 4
    assert "192.168.0.0/24" in all_map and 'data-map-size="' in dom


def test_flags_grouped(site_page, chromium):
    out, rows = site_page
    dom = browse_at(chromium, "file://" + out, 1400, 1000)
    table = dom[dom.index('id="flag-table"'):dom.index("</table>", dom.index('id="flag-table"'))]
    groups = re.findall(r'<tr class="flagged flag-group">.*?</tr>', table, re.S)
    flagged = sum(len([f for f in r["Flags"].split(",") if f]) for r in rows)
    counts = [int(re.search(r'<td class="count" data-key="(\d+)">', g).group(1)) for g in groups]
    # 234 flagged conversations (cleartext SCCP of 204 phones, SIP of 30) in
    # three rows; each lists its conversations, in a <details> the reader opens.
    assert flagged == 234 and sum(counts) == flagged and len(groups) <= 6, counts
    for g, n in zip(groups, counts):
        assert "<details>" in g and len(re.findall(r'<li><a href="#conv-\d+">', g)) == n
        assert "→" in re.findall(r"<td>(.*?)</td>", g)[-1] or True
    big = [g for g, n in zip(groups, counts) if n >= 100][0]
    assert re.search(r"<td>Phone → Unified CM[^<]*</td>", big)
    assert re.search(r'<td class="frame" data-key="\d+">frame \d+, frame \d+, frame \d+, frame \d+, frame \d+ …</td>', big)


def test_possible_uses_have_their_own_column(tshark_evidence, workdir):
    """Issue 22: the conversations table lists possible uses apart: the SQL from
    a host that showed no role to the Unified CM's database port is only
    possible, so its Possible cell names the row and its purpose cell is empty."""
    capture = os.path.join(ROOT, "captures", "misbehaviour.pcap")
    out = os.path.join(workdir, "report-possible.html")
    run_report(tshark_evidence, capture, out)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    assert "<th" in page and ">Possible<" in page
    row = next(r for r in re.findall(r'<tr id="conv-\d+".*?</tr>', page, re.S) if "10.10.0.12:55433" in r)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert "cucm42-en.t1.r6" in cells[10] and "see Possible" in cells[6] and cells[7] == "", cells
    # Near miss: a confirmed conversation's Possible cell does not repeat its own row.
    sccp = next(r for r in re.findall(r'<tr id="conv-\d+".*?</tr>', page, re.S) if "10.10.1.43:52443" in r)
    cells = re.findall(r"<td>(.*?)</td>", sccp, re.S)
    assert "cucm-ja.t6.r3" in cells[7] and "cucm-ja.t6.r3" not in cells[10], cells
