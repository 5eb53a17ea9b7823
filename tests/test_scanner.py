"""The native scanner (ciscouc-scan) against the plugin (tshark -q -2 -z ciscouc,conv).

Per conversation (keyed by transport and its two endpoints; a 5-tuple the
plugin splits into several conversations is matched by first-packet time),
both must agree on the listener, the detected protocol, the first documented
entry, the flags and, once the plugin prints them (its header line says so),
the evidence level. Every difference must be explained by an entry of
scanner/known-differences.toml (the test reads it); an unexplained one fails
the test. The agreement rate is printed.

Teaching captures (captures/*.pcap) always run; the shared real captures
(../shared/captures) run when present (the full tier), the plugin's tables
read from the session's runs (tests/corpus.py: the same -2 table as
test_one_pass and the evidence goals), the scanner on a pool of 2.
Also: the scanner's output format, its footer, memory bounds, bad input, and a
bounded run of its libFuzzer target (slow).
"""
from __future__ import annotations

import collections
import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import tempfile
import tomllib

import pytest

import conftest
import corpus
from tools import ucfacts, ucstats  # ucstats: the table parser annotate and the report use
from scapy.all import IP, UDP, Ether, Raw  # type: ignore

ROOT = conftest.ROOT
BUILD = os.path.abspath(conftest.BUILD)
SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
KNOWN = os.path.join(ROOT, "scanner", "known-differences.toml")
TEACHING = os.path.join(ROOT, "captures")
COMPARED = ["listener_port", "detected", "entry", "flags"]
KINDS = {"missing", "extra", "differs", "unreadable"}


@pytest.fixture(scope="module")
def scanner():
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    return SCANNER


# ---- The explained differences.

def load_known(path: str = KNOWN) -> list[dict]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    entries = data.get("difference", [])
    allowed = {"id", "reason", "kind", "captures", "fields", "plugin_detected", "scanner_detected", "plugin",
               "scanner"}
    seen = set()
    for i, e in enumerate(entries):
        where = f"{path}: [[difference]] #{i + 1} ({e.get('id', 'no id')})"
        for k in e:
            if k not in allowed:
                raise AssertionError(f"{where}: unknown key {k!r} (allowed: {', '.join(sorted(allowed))})")
        for k in ("id", "reason", "kind"):
            if not isinstance(e.get(k), str) or not e[k].strip():
                raise AssertionError(f"{where}: {k} must be a non-empty string")
        if e["id"] in seen:
            raise AssertionError(f"{where}: duplicate id")
        seen.add(e["id"])
        if e["kind"] not in KINDS:
            raise AssertionError(f"{where}: kind must be one of {sorted(KINDS)}")
        for f in e.get("fields", []):
            if f not in COMPARED + ["evidence"]:
                raise AssertionError(f"{where}: field {f!r} is not compared ({COMPARED + ['evidence']})")
        if ("plugin" in e or "scanner" in e) and len(e.get("fields", [])) != 1:
            raise AssertionError(f"{where}: plugin/scanner values need exactly one field in fields")
    return entries


def _match(pattern: str | list[str] | None, value: str) -> bool:
    """A glob, or a list of globs any of which matches; None matches anything."""
    if pattern is None:
        return True
    patterns = [pattern] if isinstance(pattern, str) else pattern
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def explain(known: list[dict], kind: str, capture: str, plugin: dict | None, scan: dict | None,
            fields: list[str]) -> dict | None:
    """The first entry explaining this difference, or None."""
    for e in known:
        if e["kind"] != kind:
            continue
        if "captures" in e and not any(fnmatch.fnmatchcase(capture, c) for c in e["captures"]):
            continue
        if plugin is not None and not _match(e.get("plugin_detected"), plugin["detected"]):
            continue
        if scan is not None and not _match(e.get("scanner_detected"), scan["detected"]):
            continue
        if plugin is None and "plugin_detected" in e or scan is None and "scanner_detected" in e:
            continue
        if kind == "differs":
            if "fields" in e and not set(fields) <= set(e["fields"]):
                continue
            if "plugin" in e and not _match(e["plugin"], plugin[e["fields"][0]]):
                continue
            if "scanner" in e and not _match(e["scanner"], scan[e["fields"][0]]):
                continue
        return e
    return None


# ---- Running both sides.

def parse_conv(stdout: str) -> list[dict] | None:
    return ucstats.conversations(stdout)


def table_columns(stdout: str) -> list[str]:
    block = ucstats.parse_blocks(stdout).get(ucstats.CONV_TITLE)
    return block[0] if block else []


def run_scanner(path: str) -> tuple[int, str, str]:
    p = subprocess.run([SCANNER, path], capture_output=True, text=True, errors="replace", timeout=600)
    return p.returncode, p.stdout, p.stderr


def run_plugin(tshark, path: str, runs=None) -> str:
    if runs is not None:
        return runs.run(tshark, path, corpus.CONV).stdout
    p = tshark.run(["-r", path, *corpus.CONV], check=False, timeout=1200)
    return p.stdout


def pair_rows(plugin_rows: list[dict], scan_rows: list[dict]):
    """(plugin row or None, scanner row or None) per conversation."""
    def key(r):
        return (r["transport"], *sorted([r["client"], r["server"]]))
    a, b = collections.defaultdict(list), collections.defaultdict(list)
    for r in plugin_rows:
        a[key(r)].append(r)
    for r in scan_rows:
        b[key(r)].append(r)
    for k in sorted(set(a) | set(b)):
        pa = sorted(a.get(k, []), key=lambda r: float(r["first"] or 0))
        pb = sorted(b.get(k, []), key=lambda r: float(r["first"] or 0))
        for i in range(max(len(pa), len(pb))):
            yield (pa[i] if i < len(pa) else None), (pb[i] if i < len(pb) else None)


def compare_capture(tshark, known: list[dict], path: str, name: str, runs=None) -> dict:
    """Counts and problems of one capture (name: the path the known differences match)."""
    out = {"total": 0, "agree": 0, "explained": collections.Counter(), "unexplained": [], "evidence": False}
    plugin_out = run_plugin(tshark, path, runs)
    plugin_rows = parse_conv(plugin_out) or []
    rc, scan_out, scan_err = run_scanner(path)
    scan_rows = parse_conv(scan_out)
    if scan_rows is None:
        out["total"] = len(plugin_rows)
        e = explain(known, "unreadable", name, None, None, [])
        if e:
            out["explained"][e["id"]] += len(plugin_rows) or 1
        else:
            out["unexplained"].append(f"{name}: the scanner read nothing ({scan_err.strip()[:300]})")
        return out
    if rc not in (0, 2):
        out["unexplained"].append(f"{name}: ciscouc-scan exited {rc}: {scan_err.strip()[:300]}")
    compared = list(COMPARED)
    if "evidence" in table_columns(plugin_out):
        compared.append("evidence")
        out["evidence"] = True
    for p, s in pair_rows(plugin_rows, scan_rows):
        out["total"] += 1
        if p is None or s is None:
            kind, fields = ("extra" if p is None else "missing"), []
        else:
            fields = [f for f in compared if p[f] != s[f]]
            if not fields:
                out["agree"] += 1
                continue
            kind = "differs"
        e = explain(known, kind, name, p, s, fields)
        if e:
            out["explained"][e["id"]] += 1
            continue
        r = p or s
        detail = ", ".join(f"{f}: plugin {p[f]!r} scanner {s[f]!r}" for f in fields) if fields else \
            f"detected {r['detected']!r}"
        out["unexplained"].append(f"{name}: {kind} {r['transport']} {r['client']} -> {r['server']}: {detail}")
    return out


def differential(tshark, runs, folder: str, prefix: str) -> None:
    known = load_known()
    files = ucfacts.capture_files(folder)
    assert files, f"no captures under {folder}"
    # Biggest first, so the pool of 2 ends together.
    files.sort(key=lambda f: -os.path.getsize(f))
    runs.prefetch(tshark, files, [(corpus.CONV, True)])
    total = agree = 0
    explained = collections.Counter()
    problems = []
    evidence = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futs = {pool.submit(compare_capture, tshark, known, f, prefix + os.path.relpath(f, folder), runs): f
                for f in files}
        for fut in concurrent.futures.as_completed(futs):
            r = fut.result()
            total += r["total"]
            agree += r["agree"]
            explained.update(r["explained"])
            problems += r["unexplained"]
            evidence.add(r["evidence"])
    rate = agree / total if total else 1.0
    print(f"\nscanner vs plugin on {len(files)} captures under {folder}: {agree}/{total} conversations agree "
          f"({100 * rate:.2f}%); evidence compared: {'yes' if True in evidence else 'no (the plugin prints no Evidence column)'}")
    for k, n in explained.most_common():
        print(f"  explained {n:5d}  {k}")
    assert not problems, f"{len(problems)} unexplained difference(s) (fix them or list them in {KNOWN}):\n" + \
        "\n".join(sorted(problems)[:80])
    if prefix == "":  # the shared sweep: every entry must still explain something (none names teaching captures)
        stale = [e["id"] for e in known if e["id"] not in explained]
        assert not stale, f"{KNOWN}: entries that explain no difference any more, remove them: {stale}"


def test_known_differences_file_is_well_formed():
    known = load_known()
    assert known, f"{KNOWN} lists no difference"
    for e in known:
        assert len(e["reason"]) > 30, f"{e['id']}: say why, in a sentence"


# The plugin with its default preferences (ciscouc.claims: confirmed), as the
# scanner runs by default.
def test_teaching_captures_agree(tshark_evidence, corpus_runs, scanner):
    differential(tshark_evidence, corpus_runs, TEACHING, "captures/")


def corpus_jobs(item) -> list[tuple[str, str, list[str], bool]]:
    """The runs an item reads (conftest starts them at the start of the session)."""
    folder = {"test_teaching_captures_agree": TEACHING, "test_shared_captures_agree": conftest.SHARED_CAPTURES}
    if item.originalname not in folder or not os.path.isdir(folder[item.originalname]):
        return []
    return [("tshark_evidence", f, corpus.CONV, True) for f in ucfacts.capture_files(folder[item.originalname])]


@pytest.mark.corpus
def test_shared_captures_agree(tshark_evidence, corpus_runs, scanner, shared_captures):
    # The scanner's port table and detection emulate Wireshark 4.0's stock
    # dissectors (Debian 12, the native build), and known-differences.toml
    # explains what differs from them. Later versions add dissectors and
    # heuristics (4.4 calls some of these TCP streams hipercontracer), so the
    # real-capture comparison runs against 4.0 only; the teaching captures are
    # compared on every version.
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    if " 4.0." not in version:
        pytest.skip(f"scanner-vs-plugin on real captures is defined against Wireshark 4.0; this is {version}")
    differential(tshark_evidence, corpus_runs, shared_captures, "")


# ---- The scanner alone.

def test_output_layout_and_hosts(scanner):
    p = subprocess.run([scanner, "--hosts", os.path.join(TEACHING, "sccp-phone-call.pcap")], capture_output=True,
                       text=True, check=True)
    lines = p.stdout.splitlines()
    assert lines[1].startswith("Cisco UC conversations (ciscouc): ")
    assert lines[2].startswith("Client\tServer\tTransport\tListener\t")
    assert table_columns(p.stdout)[-4:] == ["evidence", "evidence_detail", "client_role", "server_role"]
    rows = parse_conv(p.stdout)
    assert len(rows) == int(lines[1].rsplit(" ", 1)[1])
    sccp = [r for r in rows if r["detected"] == "SCCP"]
    assert sccp and sccp[0]["listener_port"] == "2000" and sccp[0]["server"].endswith(":2000")
    assert sccp[0]["evidence"] == "confirmed" and sccp[0]["client_role"] == "Phone"
    # The call's RTP, set up by Skinny's channel messages, is confirmed media.
    rtp = [r for r in rows if r["detected"] == "RTP"]
    assert rtp and all(r["evidence"] == "confirmed" and "set up by SCCP" in r["evidence_detail"] for r in rtp)
    # The hosts table in the plugin's -z ciscouc,hosts layout.
    assert "Address\tRoles\tVendor\tEvidence\tConversations" in lines
    hosts = ucstats.hosts(p.stdout)
    assert any(h["roles"] == "Phone" and h["conversations"] == str(len(rows)) for h in hosts)
    assert any("Unified CM" in h["roles"] for h in hosts)
    # Unified CM as a listener of its signalling is a host role (label_shows_unified_cm).
    assert "Unified CM" in sccp[0]["server_role"]
    # The footer is a diagnostic: on stderr, never in the table on stdout.
    assert p.stdout.splitlines()[-1].startswith("=====") and "ciscouc-scan: " not in p.stdout
    assert re.search(r"^ciscouc-scan: .*sccp-phone-call\.pcap: \d+ frames, \d+ in \d+ TCP/UDP conversations",
                     p.stderr, re.M)


@pytest.mark.parametrize("name", ["sccp-phone-call.pcap", "mgcp-gateway.pcap", "h323-gateway.pcap", "imp-xmpp.pcap",
                                  "telepresence.pcap", "misbehaviour.pcap", "cucm-intracluster.pcap"])
def test_tables_equal_the_plugins(tshark_evidence, scanner, name):
    """Every column of both tables, hosts included, as the plugin prints them
    (sip-phone-call.pcap differs in one Evidence detail frame: see the top of
    known-differences.toml)."""
    path = os.path.join(TEACHING, name)
    plugin = tshark_evidence.run(["-q", "-2", "-r", path, "-z", "ciscouc,conv", "-z", "ciscouc,hosts"]).stdout
    scan = subprocess.run([scanner, "--hosts", path], capture_output=True, text=True, check=True).stdout
    assert ucstats.parse_blocks(scan) == ucstats.parse_blocks(plugin)
    assert ucstats.conversations(scan), "no conversation"


def _udp_frame(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    return bytes(Ether() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload))


def _write(path: str, packets: list[bytes], linktype: int = 1) -> str:
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, pkt in enumerate(packets):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(pkt), len(pkt)))
            f.write(pkt)
    return path


def test_link_layers_fragments_and_footer(scanner, tmp_path):
    sip = b"OPTIONS sip:a@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nUser-Agent: Cisco-CP8865/14\r\n\r\n"
    udp = _udp_frame("10.0.0.1", "10.0.0.2", 5062, 5060, sip)  # an Ethernet frame
    ip = udp[14:]
    # QinQ: an 802.1ad tag, then an 802.1Q tag, before the EtherType.
    vlan = udp[:12] + b"\x88\xa8\x00\x06\x81\x00\x00\x05" + udp[12:]
    sll = b"\x00\x00\x00\x01\x00\x06" + b"\x00" * 8 + b"\x08\x00" + ip
    frag = bytearray(ip)
    frag[6] = 0x00
    frag[7] = 0x10  # fragment offset 16: not the first fragment
    for linktype, frame in ((1, udp), (1, vlan), (113, sll), (101, ip), (228, ip), (0, b"\x02\x00\x00\x00" + ip)):
        f = _write(str(tmp_path / f"l{linktype}.pcap"), [frame, frame], linktype)
        p = subprocess.run([scanner, f], capture_output=True, text=True, check=True)
        rows = parse_conv(p.stdout)
        assert len(rows) == 1 and rows[0]["detected"] == "SIP" and rows[0]["listener_port"] == "5060", (linktype, p.stdout)
    f = _write(str(tmp_path / "frag.pcap"), [udp[:14] + bytes(frag)], 1)
    p = subprocess.run([scanner, f], capture_output=True, text=True, check=True)
    assert parse_conv(p.stdout) == []
    assert "fragments after the first" in p.stderr and "fragments" not in p.stdout


def test_bad_input_is_reported(scanner, tmp_path):
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"not a capture at all" * 10)
    for f in (empty, junk):
        p = subprocess.run([scanner, str(f)], capture_output=True, text=True)
        assert p.returncode == 1 and str(f) in p.stderr
    ok = os.path.join(TEACHING, "sip-phone-call.pcap")
    with open(ok, "rb") as src:
        data = src.read()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2 + 7])
    p = subprocess.run([scanner, str(cut)], capture_output=True, text=True)
    assert p.returncode == 2 and "cut short" in p.stderr and parse_conv(p.stdout)
    p = subprocess.run([scanner, "--edition", "no-such"], capture_output=True, text=True)
    assert p.returncode == 64 and "no-such" in p.stderr


# Formats libpcap cannot read, which the scanner reads itself
# (scanner/capture_file.h), as Wireshark's editcap writes them.
OTHER_FORMATS = ["ngwsniffer_1_1", "ngwsniffer_2_0", "netmon1", "netmon2"]


@pytest.mark.parametrize("fmt", OTHER_FORMATS)
def test_netxray_and_netmon_files_read_as_the_plugin_reads_them(tshark_evidence, scanner, tmp_path, fmt):
    editcap = shutil.which("editcap")
    if not editcap:
        pytest.skip("editcap (Wireshark) is not installed: it writes the NetXray/NetMon files")
    original = os.path.join(TEACHING, "sccp-phone-call.pcap")
    converted = str(tmp_path / f"sccp-phone-call.{fmt}.cap")
    subprocess.run([editcap, "-F", fmt, original, converted], check=True, capture_output=True)
    p = subprocess.run([scanner, "--hosts", converted], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    plugin = tshark_evidence.run(["-q", "-2", "-r", converted, "-z", "ciscouc,conv", "-z", "ciscouc,hosts"]).stdout
    assert ucstats.parse_blocks(p.stdout) == ucstats.parse_blocks(plugin)
    rows = parse_conv(p.stdout)
    assert any(r["detected"] == "SCCP" and r["evidence"] == "confirmed" for r in rows), p.stdout
    if fmt != "netmon1":  # NetMon 1.x keeps milliseconds only
        original_rows = parse_conv(subprocess.run([scanner, original], capture_output=True, text=True).stdout)
        assert rows == original_rows


def test_bad_netxray_and_netmon_files_are_reported(scanner, tmp_path):
    import struct
    editcap = shutil.which("editcap")
    if not editcap:
        pytest.skip("editcap (Wireshark) is not installed: it writes the NetXray/NetMon files")
    original = os.path.join(TEACHING, "sip-phone-call.pcap")
    good = tmp_path / "good.cap"
    subprocess.run([editcap, "-F", "ngwsniffer_1_1", original, str(good)], check=True, capture_output=True)
    data = good.read_bytes()
    # A version NetXray never wrote: the file and the version are named.
    bad = tmp_path / "version.cap"
    bad.write_bytes(data[:4] + b"009.000\0" + data[12:])
    p = subprocess.run([scanner, str(bad)], capture_output=True, text=True)
    assert p.returncode == 1 and str(bad) in p.stderr and 'version "009.000"' in p.stderr, p.stderr
    # Cut inside the third record (1.1 records: a 28-byte header, then the frame).
    off = struct.unpack_from("<I", data, 24)[0]
    for _ in range(2):
        off += 28 + struct.unpack_from("<H", data, off + 10)[0]
    cut = tmp_path / "cut.cap"
    cut.write_bytes(data[:off + 30])
    p = subprocess.run([scanner, str(cut)], capture_output=True, text=True)
    assert p.returncode == 2 and str(cut) in p.stderr, p.stderr
    assert f"cut short after frame 2: NetXray/Sniffer 001.100 file: record 3 at offset {off}" in p.stderr, p.stderr
    assert parse_conv(p.stdout), "the frames before the bad record are reported"
    # Near miss: NetXray's magic off by one byte is no format the scanner knows.
    near = tmp_path / "near.cap"
    near.write_bytes(b"XCQ\0" + data[4:])
    p = subprocess.run([scanner, str(near)], capture_output=True, text=True)
    assert p.returncode == 1 and str(near) in p.stderr and "NetXray" not in p.stderr, p.stderr


def _tcp_stream(client: str, server: str, sport: int, dport: int, segments: list[tuple[bool, bytes]]) -> list[bytes]:
    """Ethernet frames of a TCP connection: handshake, then (from_client, payload) segments, each acknowledged."""
    from scapy.all import TCP  # type: ignore
    seq = {True: 1000, False: 5000}
    c, s = (client, sport), (server, dport)

    def frame(from_client: bool, flags: str, payload: bytes = b"") -> bytes:
        (src, sp), (dst, dp) = (c, s) if from_client else (s, c)
        pkt = Ether() / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[from_client],
                                                   ack=seq[not from_client])
        return bytes(pkt / Raw(payload) if payload else pkt)

    frames = [frame(True, "S")]
    seq[True] += 1
    frames.append(frame(False, "SA"))
    seq[False] += 1
    frames.append(frame(True, "A"))
    for from_client, payload in segments:
        frames.append(frame(from_client, "PA", payload))
        seq[from_client] += len(payload)
        frames.append(frame(not from_client, "A"))
    return frames


def test_segments_held_for_reassembly_and_rejected_payloads(tshark_evidence, scanner, tmp_path):
    """What the stock dissectors do that the scanner emulates (stock.cpp
    kBehaviours: framing.h, Accept): segments held for a PDU the capture never completes show
    no payload; a PDU completed later shows at the completing frame; TLS, TNS
    and UDP SNMP reject what is not theirs; SIP's heuristic takes any method."""
    import struct
    sip = b"YAHOOREF sip:someone@10.0.0.9:443;transport=tcp SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    frames = []
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40001, 5222, [(True, b"\x00\x01WA\x05\x02"), (True, b"\x12\x34")])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40002, 5222, [(True, b"\x00\x01WA\x05\x02"), (True, b"\x00<x/>")])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40003, 88, [(True, struct.pack(">I", 200) + b"\x6a" * 50)])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40004, 389, [(True, b"\x30\x1d\x02\x01\x01\x60" + b"\x00" * 24)])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40005, 5432, [(True, struct.pack(">I", 50) + b"\x00\x03" * 6 + b"x")])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40006, 8333,
                          [(True, b"\xf9\xbe\xb4\xd9version\0\0\0\0\0" + struct.pack("<I", 100) + b"\0" * 100)])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40007, 443, [(True, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40008, 443, [(True, sip)])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40009, 1521, [(True, b"\x00\x32\x00\x00\x00\x00\x01\x00" + b"A" * 20)])
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40011, 88,
                          [(True, struct.pack(">I", 60) + b"\x6a" * 30), (True, b"\x6a" * 30)])
    frames.append(_udp_frame("10.0.0.1", "10.0.0.9", 40010, 161, b"\x30\x1a\x02\x01\x00\x04\x06public" + b"\xa0\x0d" + b"\x00" * 8))
    path = _write(str(tmp_path / "held.pcap"), frames)
    r = compare_capture(tshark_evidence, [], path, "held.pcap")
    assert not r["unexplained"], "\n".join(r["unexplained"])
    assert r["agree"] == r["total"] == 11
    rows = {int(x["client"].rsplit(":", 1)[1]): x for x in parse_conv(run_scanner(path)[1])}
    for port in (40001, 40003, 40004, 40005, 40006):  # held to the end: no payload, no claim
        assert rows[port]["detected"] == "" and rows[port]["evidence"] == "", rows[port]
    # Completed by a later segment: XMPP's last byte '>' (a payload, not the
    # stream header the sniffed port wants as evidence), Kerberos's record.
    assert rows[40002]["detected"] == "" and rows[40002]["evidence"] == "possible", rows[40002]
    assert rows[40011]["detected"] == "kerberos", rows[40011]
    assert rows[40008]["detected"] == "SIP", rows[40008]
    for port in (40007, 40009, 40010):  # rejected: a payload, no protocol
        assert rows[port]["detected"] == "", rows[port]


def test_wireshark_model_is_this_wiresharks(scanner):
    """The scanner's port owners and heuristic list are generated from this
    Wireshark at build time (codegen/wireshark.py): every tcp.port and
    udp.port registration of `tshark -G decodes` is a port owner of the
    scanner and nothing else is; its heuristic list is `tshark -G
    heuristic-decodes`'s tcp and udp lists in the same order. The heuristics
    the scanner has no matcher for are skipped, and listed here."""
    model = subprocess.run([scanner, "--wireshark-model"], capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in model.splitlines()]
    # As the build runs it: no user preferences or personal plugins, the
    # plugins Wireshark installs loaded (not the tests' plugin folder).
    home = tempfile.mkdtemp(prefix="ciscouc-model-")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LC_ALL": "C.UTF-8"}

    def stock(what: str) -> str:
        return subprocess.run([conftest.TSHARK, "-G", what], env=env, capture_output=True, text=True,
                              check=True).stdout
    decodes = stock("decodes")
    stock_ports = {line for line in decodes.splitlines() if line.split("\t")[0] in ("tcp.port", "udp.port")}
    scanner_ports = {"\t".join(r) for r in rows if r[0] in ("tcp.port", "udp.port")}
    assert len(stock_ports) > 500, f"tshark -G decodes lists only {len(stock_ports)} tcp/udp port registrations"
    assert scanner_ports == stock_ports, (f"not in the scanner: {sorted(stock_ports - scanner_ports)[:20]}; "
                                          f"not Wireshark's: {sorted(scanner_ports - stock_ports)[:20]}")
    heur = stock("heuristic-decodes")
    shutil.rmtree(home, ignore_errors=True)
    stock_heur = [tuple(c[:3]) for c in (line.split("\t") for line in heur.splitlines()) if c[0] in ("tcp", "udp")]
    scanner_heur = [tuple(r[:3]) for r in rows if r[0] in ("tcp", "udp")]
    assert scanner_heur == stock_heur
    scanned = {(r[0], r[1]) for r in rows if r[0] in ("tcp", "udp") and r[3] == "scanned"}
    # ciscouc's own UC signatures stand in front of these (SIP, HTTP and TLS
    # are what UC captures meet): each has a matcher, and each is Wireshark's.
    assert {("tcp", "sip"), ("udp", "sip"), ("tcp", "http"), ("tcp", "tls")} <= scanned, scanned
    skipped = sorted({f"{r[0]}/{r[1]}" for r in rows if r[0] in ("tcp", "udp") and r[2] == "T" and r[3] == "skipped"})
    print(f"\nWireshark heuristics enabled by default the scanner has no matcher for ({len(skipped)}): "
          + ", ".join(skipped))
    # Every behaviour rule names a dissector that owns a port of its transport.
    owners = {(line.split("\t")[0][:3], line.split("\t")[2]) for line in stock_ports}
    behaviours = [(r[1], r[2]) for r in rows if r[0] == "behaviour"]
    assert behaviours and not [b for b in behaviours if b not in owners], \
        f"behaviour rules for no port owner: {[b for b in behaviours if b not in owners]}"


def test_port_owners_reject_what_is_not_theirs(tshark_evidence, scanner, tmp_path):
    """The behaviour rules of scanner/stock.cpp (kBehaviours) against
    Wireshark: generated port owners that return 0 on a payload that is not
    theirs (TAPA, SigComp, DNP3, RX, eDonkey, ip.access, TPNCP) leave it
    undecoded or to the heuristics; what is theirs they take; NDPS holds a
    segment shorter than its header."""
    import struct
    dnp3 = bytes.fromhex("056405c001000004e921")  # a link status request, its header CRC right
    frames = [
        _udp_frame("10.0.0.1", "10.0.0.9", 40301, 5000, b"hello world, no TAPA"),       # tapa: rejected
        _udp_frame("10.0.0.1", "10.0.0.9", 40302, 5000, b"\x02\x00\x00\x10" + b"\x00" * 12),  # tapa: a reply
        _udp_frame("10.0.0.1", "10.0.0.9", 40303, 5555, b"OPTIONS sip:a@10.0.0.9 SIP/2.0\r\n\r\n"),  # sigcomp: no, SIP
        _udp_frame("10.0.0.1", "10.0.0.9", 40304, 20000, dnp3[:8] + b"\x00\x00"),       # dnp3: a bad CRC
        _udp_frame("10.0.0.1", "10.0.0.9", 40306, 7000, b"\x00" * 40),                  # rx: type 0
        _udp_frame("10.0.0.1", "10.0.0.9", 40307, 4672, b"\x01\x02\x03\x04"),           # edonkey: no protocol
        _udp_frame("10.0.0.1", "10.0.0.9", 40308, 2424, b"\x00\x10\x00\x00" + b"\x00" * 16),  # tpncp: no database
    ]
    frames += _udp_frame("10.0.0.1", "10.0.0.9", 40305, 20000, dnp3),  # dnp3: taken
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40309, 5000, [(True, b"\x04\xd2\x42" + b"\x00" * 30)])  # gsm_ipa: no
    frames += _tcp_stream("10.0.0.1", "10.0.0.9", 40310, 1026, [(True, b"\x80")])  # ndps: held
    path = _write(str(tmp_path / "owners.pcap"), list(frames))
    r = compare_capture(tshark_evidence, [], path, "owners.pcap")
    assert not r["unexplained"], "\n".join(r["unexplained"])
    assert r["agree"] == r["total"] == 10
    rows = {int(x["client"].rsplit(":", 1)[1]): x for x in parse_conv(run_scanner(path)[1])}
    detected = {port: row["detected"] for port, row in rows.items()}
    assert detected == {40301: "", 40302: "tapa", 40303: "SIP", 40304: "", 40305: "dnp3", 40306: "", 40307: "",
                        40308: "", 40309: "", 40310: ""}, detected


def test_sdp_of_a_sip_message_split_over_tcp_segments(tshark_evidence, scanner, tmp_path):
    """A 200 OK over TCP whose SDP comes in a second segment: Wireshark
    reassembles it by Content-Length and sets the media up; so does the
    scanner (sip_message_length), per direction as the plugin keeps the rows."""
    import struct
    sdp = b"v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n"
    invite = (b"INVITE sip:1000@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40100\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
              b"User-Agent: Cisco-CP8865/14.1\r\nContent-Length: 0\r\n\r\n")
    ok = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 10.0.0.1:40100\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
          b"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n" % len(sdp))
    frames = _tcp_stream("10.0.0.1", "10.0.0.9", 40100, 5060, [(True, invite), (False, ok + sdp[:20]), (False, sdp[20:])])
    for i in range(6):  # RTP version 2, PCMU, to the port the SDP announced
        rtp = struct.pack(">BBHII", 0x80, 0, 100 + i, 160 * i, 0x1234) + b"\xff" * 160
        frames.append(_udp_frame("10.0.0.1", "10.0.0.9", 30000, 20000, rtp))
    path = _write(str(tmp_path / "sip-tcp.pcap"), frames)
    r = compare_capture(tshark_evidence, [], path, "sip-tcp.pcap")
    assert not r["unexplained"], "\n".join(r["unexplained"])
    assert r["agree"] == r["total"] == 2
    rtp_rows = [x for x in parse_conv(run_scanner(path)[1]) if x["transport"] == "udp"]
    assert len(rtp_rows) == 1 and "set up by SIP" in rtp_rows[0]["evidence_detail"], rtp_rows


def test_sip_cut_by_the_snap_length_shows_no_role(tshark_evidence, scanner, tmp_path):
    """Wireshark's SIP dissector adds no header fields from a datagram the snap
    length cut, so neither side gives its sender the role its User-Agent shows;
    the same message whole does."""
    import struct
    invite = (b"INVITE sip:1000@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060\r\nCall-ID: c2\r\nCSeq: 1 INVITE\r\n"
              b"User-Agent: Cisco-SIPGateway/IOS-15.2.4.M10\r\nContent-Length: 0\r\n\r\n")
    frame = _udp_frame("10.0.0.1", "10.0.0.9", 5060, 5060, invite)
    for cut, roles in ((40, ""), (0, "Gateway")):
        path = tmp_path / f"cut{cut}.pcap"
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            data = frame[:len(frame) - cut]
            f.write(struct.pack("<IIII", 1000, 0, len(data), len(frame)) + data)
        r = compare_capture(tshark_evidence, [], str(path), path.name)
        assert not r["unexplained"] and r["agree"] == r["total"] == 1, r
        p = subprocess.run([scanner, "--hosts", str(path)], capture_output=True, text=True, check=True)
        assert {h["address"]: h["roles"] for h in ucstats.hosts(p.stdout)}.get("10.0.0.1", "") == roles, p.stdout


def test_pcapng_with_interfaces_of_several_link_types(tshark_evidence, scanner, tmp_path):
    """libpcap stops at a pcapng interface whose link type is not the first
    one's; the scanner then reads the file with its own pcapng reader and
    lists what the plugin lists."""
    import struct

    def block(kind: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    sip = b"OPTIONS sip:a@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nUser-Agent: Cisco-CP8865/14\r\n\r\n"
    eth = _udp_frame("10.0.0.1", "10.0.0.2", 5062, 5060, sip)
    sll = b"\x00\x00\x00\x01\x00\x06" + b"\x00" * 8 + b"\x08\x00" + _udp_frame("10.0.0.3", "10.0.0.2", 5064, 5060, sip)[14:]
    data = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    data += block(1, struct.pack("<HHI", 1, 0, 65535)) + block(1, struct.pack("<HHI", 113, 0, 65535))
    for i, (itf, pkt) in enumerate(((0, eth), (1, sll), (0, eth))):
        data += block(6, struct.pack("<IIIII", itf, 0, 1000000 * (i + 1), len(pkt), len(pkt)) + pkt)
    path = tmp_path / "two-links.pcapng"
    path.write_bytes(data)
    p = subprocess.run([scanner, str(path)], capture_output=True, text=True)
    assert p.returncode == 0 and "cut short" not in p.stderr, p.stderr
    assert len(parse_conv(p.stdout)) == 2 and "3 frames" in p.stderr, p.stderr
    r = compare_capture(tshark_evidence, [], str(path), path.name)
    assert not r["unexplained"] and r["agree"] == r["total"] == 2, r
    # Cut inside its last block: the frames before it, and the block named.
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[:-10])
    p = subprocess.run([scanner, str(cut)], capture_output=True, text=True)
    assert p.returncode == 2 and "cut short after frame 2: pcapng file: the block at offset" in p.stderr, p.stderr


def test_dtls_heuristic_takes_records_that_fill_the_datagram(tshark_evidence, scanner, tmp_path):
    import struct
    record = lambda version, body, claimed=None: (struct.pack(">BHHIHH", 23, version, 1, 0, 12, claimed or len(body))
                                                  + body)
    frames = [
        _udp_frame("10.0.0.1", "10.0.0.9", 40201, 443, record(0x0100, b"\x11" * 40)),  # OpenSSL's DTLS 1.0
        _udp_frame("10.0.0.1", "10.0.0.9", 40202, 443, record(0xfefd, b"\x22" * 20) + record(0xfefd, b"\x33" * 9)),
        _udp_frame("10.0.0.1", "10.0.0.9", 40203, 443, record(0xfefd, b"\x44" * 40, claimed=30)),  # does not fill it
    ]
    path = _write(str(tmp_path / "dtls.pcap"), frames)
    r = compare_capture(tshark_evidence, [], path, "dtls.pcap")
    assert not r["unexplained"] and r["agree"] == r["total"] == 3, r
    detected = {int(x["client"].rsplit(":", 1)[1]): x["detected"] for x in parse_conv(run_scanner(path)[1])}
    assert detected == {40201: "dtls", 40202: "dtls", 40203: ""}, detected


def test_allow_list_and_flag_switches_agree_with_the_plugins(tshark_evidence, scanner, tmp_path):
    """The site allow-list and the per-flag switches are core Settings both
    engines take: the plugin's UAT file and ciscouc.flag_NAME preference,
    ciscouc-scan's --allow FILE (the same file) and --flag NAME=off."""
    path = os.path.join(TEACHING, "misbehaviour.pcap")
    conf = os.path.join(tshark_evidence.home, ".config", "wireshark")
    os.makedirs(conf, exist_ok=True)
    for d in (os.path.join(tshark_evidence.home, ".config"), conf):
        os.chmod(d, 0o777)
    uat = os.path.join(conf, "ciscouc_allowed_ports")
    allow = str(tmp_path / "allow")
    record = '# this site runs SCCP on 3000 on purpose\n"tcp","3000","SCCP","lab"\n'
    for f in (uat, allow):
        with open(f, "w") as fh:
            fh.write(record)
        os.chmod(f, 0o666)

    def flags(rows):
        return {(r["server"], r["transport"]): r["flags"] for r in rows}

    try:
        # The UAT file stays in place: the second case adds the flag switch to the allow-list.
        for plugin_args, base_args, scan_args, gone in (
                ([], [], ["--allow", allow], ("10.10.0.11:3000", "tcp", "unexpected_port")),
                (["-o", "ciscouc.flag_insecure:FALSE"], ["--allow", allow], ["--allow", allow, "--flag", "insecure=off"],
                 ("10.10.0.11:2000", "tcp", "insecure"))):
            plugin = flags(parse_conv(tshark_evidence.run(["-q", "-2", "-r", path, "-z", "ciscouc,conv", *plugin_args]).stdout))
            p = subprocess.run([SCANNER, *scan_args, path], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            scan = flags(parse_conv(p.stdout))
            assert plugin == scan
            assert gone[2] not in scan[gone[:2]]
            base = flags(parse_conv(subprocess.run([SCANNER, *base_args, path], capture_output=True, text=True,
                                                   timeout=60).stdout))
            assert gone[2] in base[gone[:2]]  # the switch, not the capture, silenced it
            assert {k: v for k, v in base.items() if k != gone[:2]} == {k: v for k, v in scan.items() if k != gone[:2]}
    finally:
        os.remove(uat)
    # Bad input: the file and line, and the reason; an unknown flag names the known ones.
    with open(allow, "w") as fh:
        fh.write('"tcp","3000","SCCP","lab"\n"tcp","70000","SIP",""\n')
    p = subprocess.run([SCANNER, "--allow", allow, path], capture_output=True, text=True, timeout=60)
    assert p.returncode == 64 and f"{allow}:2: Ports '70000' must be N or N-M" in p.stderr, p.stderr
    p = subprocess.run([SCANNER, "--flag", "insecur=off", path], capture_output=True, text=True, timeout=60)
    assert p.returncode == 64 and "unexpected_port" in p.stderr and "insecure" in p.stderr, p.stderr


def test_conversation_cap_is_counted(scanner, tmp_path):
    frames = [_udp_frame("10.0.0.1", "10.0.0.2", 40000 + i, 53, b"\x00" * 12) for i in range(50)]
    f = _write(str(tmp_path / "many.pcap"), frames)
    p = subprocess.run([scanner, "--max-conversations", "10", f], capture_output=True, text=True, check=True)
    assert len(parse_conv(p.stdout)) == 10
    assert "dropped 40 packets of conversations beyond the cap of 10" in p.stderr


def test_annotate_scan_engine_matches_columns(scanner, tmp_path):
    out = tmp_path / "a.jsonl"
    csv_out = tmp_path / "a.csv"
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "annotate"), "--engine", "scan",
                        "--scanner", scanner, "--jobs", "2", "--quiet", "--jsonl", str(out), "--csv", str(csv_out),
                        TEACHING], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    import csv
    import json
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    # message: why a capture is not ok (empty here); sha256: the file's content hash
    columns = ["capture", "status", "message", "sha256", *ucstats.CONV_KEYS]
    assert rows and all(list(r) == columns for r in rows)
    with open(csv_out, newline="") as f:
        assert next(csv.reader(f)) == columns
    assert {r["status"] for r in rows} == {"ok"}
    assert any(r["evidence"] == "confirmed" for r in rows)


# ---- The fuzz target, bounded.

@pytest.mark.slow
def test_scanner_fuzzer_bounded(tmp_path):
    import test_robustness
    why = test_robustness._libfuzzer_available()
    if why:
        pytest.skip(f"libFuzzer target skipped: {why}")
    build = BUILD + "-fuzz"
    for cmd in (["cmake", "-S", ROOT, "-B", build, "-DCMAKE_CXX_COMPILER=clang++", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                 "-DCISCOUC_FUZZ=ON", "-DCISCOUC_TESTS=OFF"],
                ["cmake", "--build", build, "--target", "fuzz_scan", "-j2"]):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    # Seeds: the first frames of each teaching capture, as the target reads them.
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for f in ucfacts.capture_files(TEACHING):
        frames = _frames(f)[:24]
        blob = bytes([0]) + b"".join(len(x).to_bytes(2, "big") + x for x in frames)
        (seeds / os.path.basename(f)).write_bytes(blob)
    # And NetXray/NetMon/pcapng files (selector 0xf0 and up) as editcap writes them.
    editcap = shutil.which("editcap")
    for fmt in (OTHER_FORMATS + ["pcapng"]) if editcap else []:
        out = tmp_path / f"seed.{fmt}"
        subprocess.run([editcap, "-F", fmt, "-r", os.path.join(TEACHING, "sip-phone-call.pcap"), str(out), "1-12"],
                       check=True, capture_output=True)
        (seeds / f"file-{fmt}").write_bytes(bytes([0xf0]) + out.read_bytes())
    art = tmp_path / "artifacts"
    art.mkdir()
    p = subprocess.run([os.path.join(build, "fuzz", "fuzz_scan"), "-max_total_time=20", "-rss_limit_mb=4096",
                        f"-artifact_prefix={art}/", str(seeds)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    assert "Done" in p.stderr


def _frames(path: str) -> list[bytes]:
    import struct
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, f"{path}: not a little-endian microsecond pcap"
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames
