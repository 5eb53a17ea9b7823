"""Batch annotation (tools/annotate.py): good captures annotated, bad ones
reported, exit status non-zero, nothing lost."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

import fake_tshark
from captures import pcap as pg
from conftest import ROOT
from tools import ucfacts

# Version-independent (tools/annotate.py): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

ANNOTATE = os.path.join(ROOT, "tools", "annotate.py")


def make_folder(workdir):
    folder = os.path.join(workdir, "batch")
    os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
    a = pg.Capture()
    a.tcp_handshake("10.9.0.1", 50000, "10.9.0.2", 2000)
    a.tcp("10.9.0.1", 50000, "10.9.0.2", 2000, pg.sccp_register())
    a.udp("10.9.0.1", 5060, "10.9.0.2", 5060, pg.sip("REGISTER", "sip:10.9.0.2", "10.9.0.1", 5060))
    a.write(os.path.join(folder, "good-a.pcap"))
    b = pg.Capture()
    b.udp("10.9.1.1", 2427, "10.9.1.2", 2727, pg.mgcp("RSIP", 1, "*@gw", "RM: restart\r\n"))
    b.write(os.path.join(folder, "sub", "good-b.pcap"))
    open(os.path.join(folder, "empty.pcap"), "wb").close()
    with open(os.path.join(folder, "good-a.pcap"), "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "truncated.pcap"), "wb") as f:
        f.write(data[: len(data) - 20])
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a capture, not picked up\n")
    for d, _, files in os.walk(folder):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o644)
    return folder


def test_batch_annotation(workdir, tshark):
    folder = make_folder(workdir)
    out_csv = os.path.join(workdir, "ann.csv")
    out_jsonl = os.path.join(workdir, "ann.jsonl")
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = subprocess.run([sys.executable, ANNOTATE, "--plugin-dir", tshark.plugins, "--jobs", "2", "--verbose",
                        "--csv", out_csv, "--jsonl", out_jsonl, folder, os.path.join(workdir, "missing.pcap")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 1, p.stderr
    err = p.stderr
    assert "empty.pcap: empty: empty file" in err
    assert "truncated.pcap: truncated:" in err and "cut short" in err
    assert "missing.pcap: missing: no such file or folder" in err
    assert "[5/5]" in err  # with --verbose, a line for each of the four captures found and the missing path
    assert "notes.txt: skipped, not a capture" in err
    assert "Running as user" not in err
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out_jsonl) as f:
        jrows = [json.loads(l) for l in f]
    assert len(rows) == len(jrows)
    by_capture = {}
    for r in rows:
        by_capture.setdefault(os.path.basename(r["capture"]), []).append(r)
    assert {r["listener_port"] for r in by_capture["good-a.pcap"]} == {"2000", "5060"}
    assert all(r["status"] == "ok" for r in by_capture["good-a.pcap"])
    sccp = [r for r in by_capture["good-a.pcap"] if r["listener_port"] == "2000"][0]
    assert sccp["detected"] == "SCCP" and sccp["entry"].startswith("cucm") and "insecure" in sccp["flags"]
    assert by_capture["good-b.pcap"][0]["detected"] == "MGCP"
    # The truncated capture keeps what was read before the cut.
    trunc = by_capture["truncated.pcap"]
    assert trunc and all(r["status"] == "truncated" for r in trunc)
    # Every path has rows: the empty file and the missing path one each (tests/test_inputs.py has every case).
    assert [r["status"] for r in by_capture["empty.pcap"]] == ["empty"]
    assert [r["status"] for r in by_capture["missing.pcap"]] == ["missing"]
    assert {json.dumps(r, sort_keys=True) for r in rows} == {json.dumps(r, sort_keys=True) for r in jrows}


# ---------------------------------------------------------------- batch edge cases

def arp_only_pcap(path: str, big_endian: bool = False) -> str:
    """A classic pcap holding one ARP request: a capture with no TCP or UDP
    conversation (the header layout: libpcap's pcap-savefile(5))."""
    import struct
    e = ">" if big_endian else "<"
    arp = (b"\xff" * 6 + b"\x00\x00\x5e\x00\x53\x01" + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01" +
           b"\x00\x00\x5e\x00\x53\x01" + bytes([10, 9, 9, 1]) + b"\x00" * 6 + bytes([10, 9, 9, 2]))
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack(e + "IIII", 1767225600, 0, len(arp), len(arp)) + arp)
    return path


def run_annotate(args: list[str], env: dict | None = None, stderr=subprocess.PIPE, timeout: int = 300):
    return subprocess.run([sys.executable, ANNOTATE, *args], stdout=subprocess.PIPE, stderr=stderr, text=True,
                          env=env or os.environ, timeout=timeout)


def read_rows(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_folder_by_magic_duplicates_and_empty_captures(workdir, tshark):
    import gzip
    folder = os.path.join(workdir, "magic")
    os.makedirs(folder, exist_ok=True)
    teaching = os.path.join(ROOT, "captures")
    with open(os.path.join(teaching, "sip-phone-call.pcap"), "rb") as f:
        sip = f.read()
    with open(os.path.join(folder, "tel2.dump"), "wb") as f:
        f.write(sip)
    with open(os.path.join(teaching, "mgcp-gateway.pcap"), "rb") as f, \
            gzip.open(os.path.join(folder, "rotated.pcap1"), "wb") as g:
        g.write(f.read())
    arp_only_pcap(os.path.join(folder, "quiet.trace"), big_endian=True)
    with open(os.path.join(folder, "README"), "w") as f:
        f.write("not a capture\n")
    os.symlink("tel2.dump", os.path.join(folder, "link-to-tel2"))
    for d, _, files in os.walk(folder):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o644)
    out = os.path.join(workdir, "magic.csv")
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = run_annotate(["--plugin-dir", tshark.plugins, "--csv", out, folder, os.path.join(folder, "tel2.dump"),
                      os.path.join(folder, ".", "tel2.dump")], env)
    assert p.returncode == 0, p.stderr
    assert "README" not in p.stderr  # skipped silently without --verbose
    rows = read_rows(out)
    captures = {os.path.basename(r["capture"]) for r in rows}
    # Found by their first bytes, each real file once (the symlink and the
    # repeated paths are the same file as tel2.dump).
    assert captures == {"link-to-tel2", "quiet.trace", "rotated.pcap1"} or \
        captures == {"tel2.dump", "quiet.trace", "rotated.pcap1"}, captures
    quiet = [r for r in rows if r["capture"].endswith("quiet.trace")]
    assert len(quiet) == 1 and quiet[0]["status"] == "no conversations" and quiet[0]["client"] == ""
    assert [r["detected"] for r in rows if r["capture"].endswith("rotated.pcap1")].count("MGCP") >= 1
    sip_rows = [r for r in rows if "tel2" in r["capture"]]
    assert len(sip_rows) == 4 and len({r["capture"] for r in sip_rows}) == 1
    verbose = run_annotate(["--plugin-dir", tshark.plugins, "--verbose", "--csv", out, folder], env)
    assert "README: skipped, not a capture" in verbose.stderr
    assert "the same file as one already listed" in verbose.stderr


def test_progress_line_only_on_a_terminal(workdir, tshark):
    import pty
    cap = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    out = os.path.join(workdir, "progress.csv")
    quiet = run_annotate(["--plugin-dir", tshark.plugins, "--csv", out, cap], env)
    assert quiet.returncode == 0 and "\r" not in quiet.stderr and "packets/s" not in quiet.stderr
    master, slave = pty.openpty()
    try:
        p = run_annotate(["--plugin-dir", tshark.plugins, "--csv", out, cap, cap.replace("sccp", "sip")], env,
                         stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert p.returncode == 0
    text = seen.decode(errors="replace")
    assert "\rannotate: 1/2 files, " in text and "\rannotate: 2/2 files, " in text and "packets/s" in text


def test_newer_plugin_columns_language_and_root_notice(workdir):
    """Header-driven rows: the evidence and role columns (and any later one)
    reach the CSV and JSON Lines; --language original reaches tshark; tshark's
    root notice is dropped from error lines. A stand-in tshark prints the
    newer plugin's tables."""
    fake = fake_tshark.make(workdir, "fakebin-annotate")
    log = os.path.join(workdir, "fake-tshark.log")
    env = dict(os.environ, PATH=fake + os.pathsep + os.environ["PATH"], FAKE_TSHARK_LOG=log)
    cap = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    out_csv, out_jsonl = os.path.join(workdir, "newer.csv"), os.path.join(workdir, "newer.jsonl")
    p = run_annotate(["--engine", "tshark", "--language", "original", "--csv", out_csv, "--jsonl", out_jsonl, cap],
                     env)
    assert p.returncode == 0, p.stderr
    with open(log) as f:
        assert "-o ciscouc.language:original" in f.read()
    rows = read_rows(out_csv)
    assert len(rows) == 3
    sccp = [r for r in rows if r["listener_port"] == "2000"][0]
    assert (sccp["evidence"], sccp["evidence_detail"], sccp["client_role"], sccp["server_role"]) == \
        ("confirmed", "SCCP payload, frame 4", "Phone", "Unified CM")
    assert sccp["future_column"] == "f2"
    with open(out_jsonl) as f:
        jrows = [json.loads(l) for l in f]
    assert [r["evidence"] for r in jrows] == ["confirmed", "confirmed", "possible"]
    # A failing tshark run as root: its "Running as user" notice is not part of the error.
    with open(os.path.join(fake, "tshark"), "w") as f:
        f.write(f"""#!{sys.executable}
import sys

sys.stderr.write('Running as user "root" and group "root". This could be dangerous.\\n')
sys.stderr.write('tshark: The file "/dev/stdin" appears to be damaged or corrupt.\\n')
sys.exit(2)
""")
    p = run_annotate(["--engine", "tshark", "--csv", out_csv, cap], env)
    assert p.returncode == 1
    line = [l for l in p.stderr.splitlines() if "sccp-phone-call.pcap: failed:" in l]
    assert line and "appears to be damaged" in line[0] and "sccp-phone-call.pcap" in line[0], p.stderr
    assert "Running as user" not in p.stderr


def test_html_pages_for_many_captures(workdir, tshark_evidence):
    tshark = tshark_evidence  # annotate runs the plugin's defaults
    if not shutil.which("dot"):
        pytest.skip("annotate --html skipped: Graphviz's dot is not installed (apt-get install graphviz)")
    src = os.path.join(workdir, "pages-src")
    for sub in ("site1", "site2"):
        os.makedirs(os.path.join(src, sub), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, "captures", "misbehaviour.pcap"), os.path.join(src, sub, "misbehaviour.pcap"))
    shutil.copyfile(os.path.join(ROOT, "captures", "sccp-phone-call.pcap"), os.path.join(src, "site1", "sccp.pcap"))
    open(os.path.join(src, "site2", "empty.pcap"), "wb").close()
    for d, _, files in os.walk(src):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o644)
    pages = os.path.join(workdir, "pages")
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = run_annotate(["--plugin-dir", tshark.plugins, "--csv", os.path.join(workdir, "pages.csv"),
                      "--html", pages, src], env)
    assert p.returncode == 1, p.stderr  # the empty file
    # Pages named by their path under the folder given: two misbehaviour.pcap keep their folders.
    found = sorted(os.path.relpath(os.path.join(d, f), pages) for d, _, fs in os.walk(pages) for f in fs
                   if not d.startswith(os.path.join(pages, "ports")))
    assert found == ["index.html", "site1/misbehaviour.pcap.html", "site1/sccp.pcap.html",
                     "site2/misbehaviour.pcap.html"]
    with open(os.path.join(pages, "site1", "misbehaviour.pcap.html"), encoding="utf-8") as f:
        page = f.read()
    uc_map = page[page.index('<svg id="map"'):page.index("</svg>")]
    assert uc_map.count('class="edge flagged"') == 7
    # The index lists every capture, the empty one too, with status, counts, flags and link.
    with open(os.path.join(pages, "index.html"), encoding="utf-8") as f:
        index = f.read()
    rows = re.findall(r"<tr class=\"status-[^\"]*\">(.*?)</tr>", index)
    assert len(rows) == 4
    mis = [r for r in rows if "site1/misbehaviour.pcap" in r][0]
    assert '<a href="site1/misbehaviour.pcap.html">' in mis and "<td>ok</td><td>9</td>" in mis
    assert "insecure × 1" in mis and "unexpected_port × 3" in mis
    empty = [r for r in rows if "empty.pcap" in r][0]
    assert "<td>empty</td>" in empty and "<a " not in empty and "empty file (0 bytes)" in empty
    # Catalog links go to the row of the port reference rendered beside the pages,
    # relative, so they work offline and after the folder moves.
    moved = os.path.join(workdir, "pages-moved")
    shutil.rmtree(moved, ignore_errors=True)
    shutil.move(pages, moved)
    links = re.findall(r'<a href="(\.\./ports/[a-z]+\.html)#([^"]+)">', page)
    assert links
    for target, entry in links:
        path = os.path.normpath(os.path.join(moved, "site1", target))
        with open(path, encoding="utf-8") as f:
            assert f'<tr id="{entry}">' in f.read(), (target, entry)


# ---------------------------------------------------------------- scale-out with GNU parallel

# A bounded subset of ../shared/captures: the whole set (215 files) takes minutes on two
# cores, so the comparison uses the first captures found (sorted paths),
# at most this many.
PARALLEL_SUBSET = 16


def test_parallel_gives_the_same_rows(workdir, tshark, shared_captures):
    """The scale-out recipe in docs/batch.md: GNU parallel with an sshlogin file
    naming only ':' (this machine) runs one annotate.py per capture; the merged
    rows equal one annotate.py run over the same captures."""
    if not shutil.which("parallel"):
        pytest.skip("GNU parallel is not installed (apt-get install parallel)")
    found = [f for f in ucfacts.capture_files(shared_captures) if os.path.getsize(f) < 2_000_000]
    subset = found[:PARALLEL_SUBSET]
    assert subset
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    single = os.path.join(workdir, "single.jsonl")
    p = run_annotate(["--plugin-dir", tshark.plugins, "--quiet", "--jsonl", single, *subset], env, timeout=600)
    assert p.returncode in (0, 1), p.stderr
    parts = os.path.join(workdir, "parts")
    os.makedirs(parts, exist_ok=True)
    logins = os.path.join(workdir, "sshlogins")
    with open(logins, "w") as f:
        f.write(":\n")
    listing = os.path.join(workdir, "subset.txt")
    with open(listing, "w") as f:
        f.write("\n".join(subset) + "\n")
    q = subprocess.run(["parallel", "--will-cite", "--sshloginfile", logins, "--arg-file", listing,
                        sys.executable, ANNOTATE, "--plugin-dir", tshark.plugins, "--quiet", "--jobs", "1",
                        "--jsonl", os.path.join(parts, "{#}.jsonl"), "{}"],
                       capture_output=True, text=True, env=env, timeout=600)
    # parallel's exit status is the number of jobs that failed (captures tshark cannot read).
    assert q.returncode <= len(subset), q.stderr[-2000:]
    merged = []
    for name in os.listdir(parts):
        with open(os.path.join(parts, name), encoding="utf-8") as f:
            merged += f.read().splitlines()
    with open(single, encoding="utf-8") as f:
        one = f.read().splitlines()
    assert len(one) >= len(subset) - 5  # most captures give rows (failed ones give none)
    assert sorted(merged) == sorted(one)


# ---------------------------------------------------------------- the scan engine

SCANNER = os.path.join(os.path.abspath(os.environ.get("CISCOUC_BUILD") or os.path.join(ROOT, "build")), "scanner",
                       "ciscouc-scan")


def test_scan_engine_is_the_default_and_writes_the_same_columns(workdir, tshark_evidence):
    """Without --plugin-dir the built scanner annotates (a tshark that fails is
    never run); its rows have the tshark engine's columns and, on the teaching
    captures, the same listener, detected protocol, entry, flags and evidence."""
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    fake = fake_tshark.make(workdir, "fakebin-scan-engine")
    with open(os.path.join(fake, "tshark"), "w") as f:
        f.write(f"#!{sys.executable}\nimport sys\nsys.stderr.write('tshark must not run\\n')\nsys.exit(2)\n")
    env = dict(os.environ, PATH=fake + os.pathsep + os.environ["PATH"], CISCOUC_BUILD=os.path.dirname(
        os.path.dirname(SCANNER)), CISCOUC_TSHARK_HOME=tshark_evidence.home)
    teaching = os.path.join(ROOT, "captures")
    scan_csv, tshark_csv = os.path.join(workdir, "scan.csv"), os.path.join(workdir, "tshark.csv")
    p = run_annotate(["--quiet", "--csv", scan_csv, teaching], env)
    assert p.returncode == 0, p.stderr
    p = run_annotate(["--engine", "tshark", "--plugin-dir", tshark_evidence.plugins, "--quiet", "--csv", tshark_csv,
                      teaching], dict(os.environ, CISCOUC_TSHARK_HOME=tshark_evidence.home))
    assert p.returncode == 0, p.stderr
    with open(scan_csv, newline="") as f:
        scan_header = next(csv.reader(f))
    with open(tshark_csv, newline="") as f:
        assert next(csv.reader(f)) == scan_header
    key = ("capture", "transport", "client", "server", "first")
    fields = ("listener_port", "detected", "entry", "flags", "evidence", "evidence_detail", "client_role",
              "server_role")
    scan = {tuple(r[k] for k in key): r for r in read_rows(scan_csv)}
    ts = {tuple(r[k] for k in key): r for r in read_rows(tshark_csv)}
    assert scan and set(scan) == set(ts)
    for k, r in ts.items():
        assert {f: scan[k][f] for f in fields[:5]} == {f: r[f] for f in fields[:5]}, k
    assert any(r["evidence"] == "confirmed" and r["client_role"] for r in scan.values())


def test_scan_engine_refuses_what_it_cannot_do(workdir):
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    cap = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    out = os.path.join(workdir, "refused.csv")
    p = run_annotate(["--engine", "scan", "--scanner", SCANNER, "--pref", "ciscouc.try_uc_first:FALSE", "--csv", out, cap])
    assert p.returncode == 2 and "--pref ciscouc.try_uc_first:FALSE: the scan engine implements" in p.stderr
    assert "--engine tshark" in p.stderr
    p = run_annotate(["--engine", "scan", "--scanner", SCANNER, "--html", os.path.join(workdir, "pages-scan"),
                      "--csv", out, cap])
    assert p.returncode == 2 and "--html needs --engine tshark" in p.stderr
    p = run_annotate(["--engine", "scan", "--scanner", os.path.join(workdir, "no-such-scanner"), "--csv", out, cap])
    assert p.returncode == 2 and "ciscouc-scan is not built" in p.stderr
    # The preferences it implements reach it: claims=port keeps every documented use.
    uses = {}
    for mode in ("confirmed", "port"):
        p = run_annotate(["--engine", "scan", "--scanner", SCANNER, "-o", f"ciscouc.claims:{mode}", "--csv", out, cap])
        assert p.returncode == 0, p.stderr
        uses[mode] = sum(int(r["other_uses"]) for r in read_rows(out))
    assert uses["port"] > uses["confirmed"]
