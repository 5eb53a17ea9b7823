"""The plugin against real third-party captures (../shared/captures).

Every file in ../shared/captures (INVENTORY.md describes them) is dissected
once with the plugin (two-pass, one row of fields per frame) and once by stock
tshark; the runs are the session's (tests/corpus.py: computed once, in
parallel, biggest files first, from the start of the session), so the
per-file tests only read them. The fast tier reads corpus.SAMPLE only.

1. robustness: no crash, no "Dissector bug", no ciscouc warning, and no frame
   that the plugin turns malformed or error-severity compared with stock;
2. labels where INVENTORY.md says UC signalling is (SIP, SCCP, MGCP, H.225,
   XMPP on their documented ports): ciscouc.purpose present, detected right;
3. no SCCP on UDP anywhere, and ciscouc heuristics claim only protocols
   INVENTORY.md lists for the capture;
4. collision captures (non-UC protocols on UC port numbers, found through the
   INVENTORY.md notes): the ciscouc heuristics leave them alone, and a
   documented UC port carrying another protocol raises protocol_mismatch;
5. random UDP payloads never become RTP;
6. a FLAGS line per capture and a TSV summary, so behaviour changes show in
   the test log.

The captures are read in place and never copied into the repository.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import random
import re
import tomllib
import threading

import pytest

import conftest
import corpus
from tools import ucfacts

CAPTURES = conftest.SHARED_CAPTURES
INVENTORY = ucfacts.inventory_path(CAPTURES)

FLAG_NAMES = conftest.FLAG_NAMES
PI_ERROR = 0x00800000  # _ws.expert.severity of an error (epan/proto.h PI_ERROR)

# Fields of the plugin run, one row per frame (all occurrences joined by '|').
PLUGIN_FIELDS = ["frame.number", "frame.protocols", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
                 "ciscouc.detected", "ciscouc.purpose", "ciscouc.listener_port", "ciscouc.direction", "ciscouc.flags",
                 "ciscouc.heuristic", "ciscouc.possible", "ciscouc.evidence_detail", "_ws.malformed",
                 "_ws.malformed.dissector_bug", "_ws.expert.severity", *[f"ciscouc.{f}" for f in FLAG_NAMES]]
STOCK_FIELDS = ["frame.number", "frame.protocols", "_ws.malformed", "_ws.malformed.dissector_bug",
                "_ws.expert.severity"]

# tshark's complaints about the capture file itself (not about dissection).
FILE_ERROR_RE = re.compile(r"appears to have been cut short|isn't a capture file|appears to be damaged or corrupt|"
                           r"unknown file format|file format .* not supported|can't be read|"
                           r"has a packet larger than|unsupported .*encapsulation", re.I)


FILES = corpus.shared_files()
# One parameter per file, marked corpus outside the fast tier's sample; without
# ../shared/captures one placeholder that the shared_captures fixture skips
# with a clear message.
FILE_PARAMS = corpus.params(FILES)


# ---- INVENTORY.md (tools/ucfacts.py)

InventoryRow = ucfacts.InventoryRow


def load_inventory() -> dict[str, InventoryRow]:
    return ucfacts.load_inventory(CAPTURES)


# ---- The catalog: is a port documented (not as a catch-all range) for a protocol?
#
# Mirrors the plugin's rule (core/catalog.cpp entry_has_protocol): a detected
# protocol matches a row that names it, or a row whose protocol lists the
# detected protocol's first Wireshark name (SIP matches SIPS, TLS matches
# HTTPS, H.225 matches RAS).

_catalog = None
_catalog_lock = threading.Lock()


def _load_catalog():
    global _catalog
    with _catalog_lock:
        if _catalog is None:
            from codegen import catalog as ciscouc_catalog
            _catalog = ciscouc_catalog.load_or_die()
    return _catalog


def compatible(detected: str) -> set[str]:
    protocols = _load_catalog().vocabulary["protocols"]
    names = protocols.get(detected, {}).get("wireshark", [])
    out = {detected}
    if names:
        out |= {k for k, v in protocols.items() if names[0] in v.get("wireshark", [])}
    return out


def _protocol_unknown(ent) -> bool:
    """The row names no protocol Wireshark could show (core/catalog.cpp entry_protocol_unknown)."""
    protocols = _load_catalog().vocabulary["protocols"]
    return not ent.protocol or any(not protocols.get(p, {}).get("wireshark") for p in ent.protocol)


def documented(transport: str, port: int, detected: str | None = None, or_unknown: bool = False) -> bool:
    """A specific (not catch-all) row documents transport/port, for `detected` if
    given (or, with or_unknown, names no protocol the payload could contradict)."""
    want = compatible(detected) if detected else None
    for ent in _load_catalog().entries:
        if ent.facts.get("catch_all"):
            continue
        if want is not None and not want & set(ent.protocol) and not (or_unknown and _protocol_unknown(ent)):
            continue
        for f in ent.flows:
            if transport not in f.transport and "unstated" not in f.transport:
                continue
            if f.dst.contains(port) or (f.src is not None and f.src.contains(port) and f.dst.keyword == "any"):
                return True
    return False


# ---- tshark over every capture (the session's runs, tests/corpus.py)

def _last(value: str) -> str:
    """The innermost occurrence of a field (tunnels: GTP-U, IP-in-IP, ICMP errors)."""
    return value.rsplit("|", 1)[-1] if value else ""


@dataclasses.dataclass
class Frame:
    number: int
    protocols: list[str]
    transport: str  # "tcp", "udp" or "" (innermost)
    sport: int
    dport: int
    detected: str
    purpose: bool
    listener: str
    direction: str
    flags: str
    heuristic: str
    malformed: bool
    bug: bool
    error: bool
    expert: list[str]  # ciscouc flags raised (as expert info) on this frame
    why: str = ""      # ciscouc.possible and ciscouc.evidence_detail: what the evidence says

    def has_port(self, port: int) -> bool:
        return port in (self.sport, self.dport)



def _severities(value: str) -> set[int]:
    return {int(v) for v in value.split("|") if v.isdigit()}


def _frame(r: dict[str, str]) -> Frame:
    protocols = r["frame.protocols"].split(":")
    # The innermost transport is the last of tcp/udp in frame.protocols.
    transport = next((p for p in reversed(protocols) if p in ("tcp", "udp")), "")
    sport = _last(r[f"{transport}.srcport"]) if transport else ""
    dport = _last(r[f"{transport}.dstport"]) if transport else ""
    return Frame(number=int(r["frame.number"]), protocols=protocols, transport=transport,
                 sport=int(sport) if sport.isdigit() else -1, dport=int(dport) if dport.isdigit() else -1,
                 detected=r["ciscouc.detected"], purpose=bool(r["ciscouc.purpose"].strip("|")),
                 listener=r["ciscouc.listener_port"], direction=r["ciscouc.direction"], flags=r["ciscouc.flags"], heuristic=r["ciscouc.heuristic"],
                 malformed=bool(r["_ws.malformed"]), bug=bool(r["_ws.malformed.dissector_bug"]),
                 error=PI_ERROR in _severities(r["_ws.expert.severity"]),
                 expert=[f for f in FLAG_NAMES if r[f"ciscouc.{f}"]],
                 why=r["ciscouc.possible"] + "|" + r["ciscouc.evidence_detail"])


@dataclasses.dataclass
class FileResult:
    rel: str
    plugin_rc: int
    plugin_stderr: str
    plugin_stdout_bug: bool
    stock_rc: int
    stock_stderr: str
    frames: list[Frame]
    stock_malformed: set[int]
    stock_error: set[int]
    stock_bug: set[int]
    stock_count: int

    @property
    def file_error(self) -> str:
        """tshark's complaint about the file itself (first line), or ''."""
        for line in (self.plugin_stderr + "\n" + self.stock_stderr).splitlines():
            if FILE_ERROR_RE.search(line):
                return line.strip()
        return ""

    def flag_counts(self) -> dict[str, int]:
        c = collections.Counter(f for fr in self.frames for f in fr.expert)
        return {f: c.get(f, 0) for f in FLAG_NAMES}


def _fields_args(tshark, fields: list[str]) -> list[str]:
    args = ["-2", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "quote=n"]
    for f in fields:
        args += ["-e", tshark.field_name(f)]
    return args


def _runs(tshark) -> list[tuple[list[str], bool]]:
    """(arguments, plugin) of the two runs of a capture."""
    # Every documented use on every packet: the assertions below are per frame.
    return [([*_fields_args(tshark, PLUGIN_FIELDS), "-o", "ciscouc.details:full"], True),
            (_fields_args(tshark, STOCK_FIELDS), False)]


def analyse(tshark, runs, rel: str) -> FileResult:
    path = os.path.join(CAPTURES, rel)
    (pa, _), (sa, _) = _runs(tshark)
    p = runs.run(tshark, path, pa, plugin=True)
    s = runs.run(tshark, path, sa, plugin=False)
    frames = [_frame(r) for r in tshark.rows(p.stdout, PLUGIN_FIELDS)]
    stock = tshark.rows(s.stdout, STOCK_FIELDS)
    return FileResult(
        rel=rel, plugin_rc=p.returncode, plugin_stderr=p.stderr,
        plugin_stdout_bug="Dissector bug" in p.stdout, stock_rc=s.returncode, stock_stderr=s.stderr,
        frames=frames,
        stock_malformed={int(r["frame.number"]) for r in stock if r["_ws.malformed"]},
        stock_error={int(r["frame.number"]) for r in stock if PI_ERROR in _severities(r["_ws.expert.severity"])},
        stock_bug={int(r["frame.number"]) for r in stock if r["_ws.malformed.dissector_bug"]},
        stock_count=len(stock))


class Results:
    """Each capture's FileResult, read from the session's runs once."""

    def __init__(self, tshark, runs):
        self.tshark, self.runs = tshark, runs
        self.done: dict[str, FileResult] = {}

    def get(self, rel: str) -> FileResult:
        if rel not in self.done:
            self.done[rel] = analyse(self.tshark, self.runs, rel)
        return self.done[rel]


@pytest.fixture(scope="session")
def results(tshark, corpus_runs, shared_captures):
    return Results(tshark, corpus_runs)


def corpus_jobs(item) -> list[tuple[str, str, list[str], bool]]:
    """The runs an item reads (conftest starts them at the start of the session)."""
    if "results" in item.fixturenames:
        rel = getattr(item, "callspec", None) and item.callspec.params.get("rel")
        files = [rel] if rel else FILES
        tshark = conftest.session_tshark("tshark")
        return [("tshark", os.path.join(CAPTURES, f), args, plugin)
                for f in files if f in FILES for args, plugin in _runs(tshark)]
    if item.originalname == "test_evidence_goals" and os.path.isdir(CAPTURES):
        from bench import evidence
        return [("tshark_evidence", path, args, plugin)
                for path in evidence.capture_paths(CAPTURES) for args, plugin in evidence.RUNS]
    return []


@pytest.fixture(scope="session")
def inventory(shared_captures):
    if not os.path.isfile(INVENTORY):
        pytest.skip(f"{INVENTORY} is absent")
    return load_inventory()


def _inventory_or_empty() -> dict[str, InventoryRow]:
    try:
        return load_inventory() if os.path.isfile(INVENTORY) else {}
    except (OSError, KeyError, ValueError):
        return {}


INV = _inventory_or_empty()


# ---- Known plugin problems, pinned to the exact frames where they show.
#
# A test that observes exactly these frames is marked xfail with the reason;
# different frames fail; a known problem that no longer shows fails too, so
# the entry gets removed when the plugin is fixed.

# Fixed and removed: SIP over TCP reassembly through the sniffing port handler
# (pinfo->can_desegment is now restored), WhatsApp on 5222 taken for XMPP (XMPP
# on its ports now needs payload evidence), HTTP on tcp/5060 as the client's
# source port (the listener decides: see test_collision_protocol_mismatch).
KNOWN: dict[tuple[str, str], tuple[frozenset, str]] = {}


def expect_known(kind: str, rel: str, observed: set[int], detail: str):
    """Pass when nothing is observed; xfail when exactly the known frames are; fail otherwise."""
    known = KNOWN.get((kind, rel))
    if not observed:
        if known:
            pytest.fail(f"known problem no longer seen in {rel} - remove KNOWN[{(kind, rel)!r}]: {known[1]}")
        return
    if known and set(known[0]) == observed:
        pytest.xfail(f"{rel}: {known[1]}")
    frames = sorted(observed)
    pytest.fail(f"{rel}: {detail}: {len(frames)} frame(s) {frames[:30]}{' ...' if len(frames) > 30 else ''}"
                + (f" (known problem expects frames {sorted(known[0])[:30]})" if known else ""))


# ---- 1. Robustness over every capture

@pytest.mark.parametrize("rel", FILE_PARAMS)
def test_no_crash_no_dissector_bug(results, rel):
    r = results.get(rel)
    assert r.plugin_rc >= 0, f"tshark with the plugin was killed by signal {-r.plugin_rc} on {rel}\n" \
                             f"{r.plugin_stderr[-2000:]}"
    assert "Dissector bug" not in r.plugin_stderr and not r.plugin_stdout_bug, r.plugin_stderr[-2000:]
    bugs = {f.number for f in r.frames if f.bug}
    assert not bugs, f"dissector bug in frames {sorted(bugs)[:20]} (stock: {sorted(r.stock_bug)[:20]})"
    ciscouc_lines = [l for l in r.plugin_stderr.splitlines() if "ciscouc" in l.lower()]
    assert not ciscouc_lines, "ciscouc warnings/errors:\n" + "\n".join(ciscouc_lines[:20])
    new_lines = set(r.plugin_stderr.splitlines()) - set(r.stock_stderr.splitlines())
    assert not new_lines, "stderr lines only with the plugin:\n" + "\n".join(sorted(new_lines)[:20])
    if r.plugin_rc != 0 or r.stock_rc != 0:
        # Only complaints about the file itself are acceptable, and stock must agree.
        assert r.plugin_rc == r.stock_rc, f"exit {r.plugin_rc} with the plugin, {r.stock_rc} without"
        assert r.file_error, f"tshark exit {r.plugin_rc} without a file error:\n{r.plugin_stderr[-2000:]}"
        print(f"FILE-ERROR {rel}: {r.file_error}")
    assert len(r.frames) == r.stock_count, f"{len(r.frames)} frames with the plugin, {r.stock_count} without"


@pytest.mark.parametrize("rel", FILE_PARAMS)
def test_no_new_malformed_or_error(results, rel):
    r = results.get(rel)
    malformed = {f.number for f in r.frames if f.malformed} - r.stock_malformed
    errors = {f.number for f in r.frames if f.error} - r.stock_error
    expect_known("new_malformed", rel, malformed | errors,
                 f"frames malformed or with error-severity expert info only with the plugin "
                 f"(malformed {sorted(malformed)[:20]}, errors {sorted(errors)[:20]})")


# ---- 2. Labels where INVENTORY.md says UC signalling is

# Inventory protocol -> ciscouc.detected (h225 on UDP is RAS): sip, skinny, mgcp, h225, xmpp.
UC_SIGNALLING = ucfacts.wireshark_uc_signalling()
TLS_LAYERS = ("tls", "ssl", "dtls")


def _negative(row: InventoryRow) -> bool:
    return bool(re.match(r"(NEGATIVE|EDGE)\b", row.note))


def _label_rows() -> list[str]:
    return sorted(f for f, row in INV.items()
                  if not _negative(row) and any(p in UC_SIGNALLING for p, _, _ in row.signalling()))


def _other_vendor(why: str) -> bool:
    """Does the plugin say an end names another vendor than Cisco (issue 22: no
    Cisco purpose and no Cisco guide's flag between such hosts)?"""
    return "names another vendor than Cisco" in why


@pytest.mark.parametrize("rel", corpus.params(_label_rows()))
def test_uc_signalling_labelled(results, inventory, rel):
    """Frames of the UC signalling INVENTORY.md lists carry the right
    ciscouc.detected and a documented purpose; where no row documents the
    listener port for the protocol, unexpected_port (or protocol_mismatch when
    the port is documented for something else) says so instead."""
    r = results.get(rel)
    problems = []
    checked = 0
    for proto, transport, port in inventory[rel].signalling():
        if proto not in UC_SIGNALLING:
            continue
        detected = "RAS" if (proto, transport) == ("h225", "udp") else UC_SIGNALLING[proto]
        frames = [f for f in r.frames if f.transport == transport and f.has_port(port) and proto in f.protocols
                  and not {"icmp", "icmpv6"} & set(f.protocols)]  # ICMP errors only quote the header
        if not frames:
            problems.append(f"{proto} {transport}/{port}: INVENTORY.md lists it, no such frame with the plugin")
            continue
        for f in frames:
            checked += 1
            in_tls = any(l in f.protocols[:f.protocols.index(proto)] for l in TLS_LAYERS)
            allowed = {detected, "TLS"} if in_tls else {detected}
            key = "TLS" if in_tls else detected
            where = f"frame {f.number} ({proto} {transport} {f.sport}->{f.dport}, listener {f.listener or '?'})"
            if f.detected not in allowed:
                problems.append(f"{where}: ciscouc.detected={f.detected!r}, expected {' or '.join(sorted(allowed))}")
            # The plugin compares both ends when the listener is inferred or unknown.
            one_end = f.listener and not re.search(r"inferred|unknown", f.direction)
            listeners = [int(f.listener)] if one_end else [f.sport, f.dport]
            flags = f.flags.split(",")
            if any(documented(transport, p, key) for p in listeners):
                if not f.purpose:
                    problems.append(f"{where}: no ciscouc.purpose although the guides document {key} there")
                if "unexpected_port" in flags:
                    problems.append(f"{where}: unexpected_port on a port documented for {key}")
            elif any(documented(transport, p, key, or_unknown=True) for p in listeners):
                # A specific row that names no protocol explains the port: labelled, no flag due.
                if not f.purpose:
                    problems.append(f"{where}: no ciscouc.purpose although a specific row documents the port")
            elif not in_tls and not {"unexpected_port", "protocol_mismatch"} & set(flags) \
                    and not _other_vendor(f.why):
                # (A host that names another vendor than Cisco: no Cisco guide's flag, issue 22.)
                problems.append(f"{where}: {detected} on a listener port no row explains, "
                                f"without unexpected_port or protocol_mismatch")
    assert checked, f"{rel}: no UC signalling frame checked"
    assert not problems, f"{rel}: {len(problems)} problem(s):\n" + "\n".join(problems[:40])


# ---- 3. No SCCP on UDP anywhere

@pytest.mark.parametrize("rel", FILE_PARAMS)
def test_no_sccp_on_udp(results, rel):
    r = results.get(rel)
    bad = [f.number for f in r.frames
           if (f.transport == "udp" and f.detected == "SCCP") or ("udp" in f.protocols and "skinny" in f.protocols)]
    assert not bad, f"{rel}: SCCP on UDP in frames {bad[:30]}"


# ---- Heuristics claim only what INVENTORY.md says the capture holds

# ciscouc.heuristic value -> words of INVENTORY.md (UC protocols, other protocols, note) that justify it.
HEURISTIC_EVIDENCE = {
    "sccp": ("skinny", "sccp"), "mgcp-command": ("mgcp",), "mgcp-response": ("mgcp",),
    "sip-request": ("sip",), "sip-response": ("sip",), "sip-on-sip-port": ("sip",),
    "h225-tpkt": ("h225", "q931", "h.323"), "h245-tpkt": ("h225", "h245", "h.323"), "h225-ras": ("h225", "ras"), "xmpp-stream": ("xmpp",),
    "tls-handshake": ("tls",), "http-request": ("http",), "http-response": ("http",),
    "rtp-run": ("rtp", "rtcp", "t38", "media"),
}


@pytest.mark.parametrize("rel", FILE_PARAMS)
def test_heuristics_claim_only_listed_protocols(results, inventory, rel):
    r = results.get(rel)
    row = inventory.get(rel)
    text = " ".join([row.uc_protocols, row.other_protocols, row.note]).lower() if row else ""
    bad = collections.defaultdict(list)
    for f in r.frames:
        for h in filter(None, f.heuristic.split("|")):
            words = HEURISTIC_EVIDENCE.get(h)
            if words is None or not any(re.search(rf"\b{re.escape(w)}", text) for w in words):
                bad[h].append(f.number)
    assert not bad, f"{rel}: ciscouc heuristics claim traffic INVENTORY.md does not list: " + \
        "; ".join(f"{h} frames {v[:20]}" for h, v in bad.items())


# ---- 4. Collision captures: non-UC protocols on UC port numbers

UC_DETECTIONS = ucfacts.uc_signalling()  # SIP, SCCP, MGCP, XMPP, H.225, RAS


def _collision_rows() -> list[str]:
    return sorted(f for f, row in INV.items()
                  if _negative(row) or re.search(r"\bnot (SIP|XMPP|SCCP|MGCP)\b|\bnon-XMPP\b", row.note))


def _uc_ports_present(row: InventoryRow) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"\b(tcp|udp)/(\d+)\(\d+\)", row.uc_ports_present)]


@pytest.mark.parametrize("rel", corpus.params(_collision_rows()))
def test_collision_not_claimed(results, inventory, rel):
    """No ciscouc heuristic and no UC detection in captures of non-UC protocols."""
    r = results.get(rel)
    claimed = {f.number for f in r.frames if f.heuristic}
    uc = {f.number for f in r.frames if f.detected in UC_DETECTIONS}
    detail = (f"ciscouc.heuristic on {sorted(claimed)[:10]}; UC detected "
              f"{sorted(collections.Counter(f.detected for f in r.frames if f.number in uc).items())}")
    expect_known("collision_claimed", rel, claimed | uc, f"non-UC capture claimed as UC ({detail})")


@pytest.mark.parametrize("rel", corpus.params(_collision_rows()))
def test_collision_protocol_mismatch(results, inventory, rel):
    """A UC port number that INVENTORY.md says carries another protocol raises
    protocol_mismatch wherever the plugin recognised that protocol and the UC
    port is the listener (or the listener is unknown). Where a handshake shows
    the UC number is only the client's source port (http_on_sip_port.pcap:
    HTTP from 5060 to 8888; EDGE rows), no flag is due: the listener decides."""
    row = inventory[rel]
    r = results.get(rel)
    missing, checked = set(), 0
    for transport, port in _uc_ports_present(row):
        if not documented(transport, port):
            continue
        for f in r.frames:
            if f.transport != transport or not f.has_port(port) or not f.detected:
                continue
            if documented(transport, port, f.detected):
                continue  # what the port is for, or a carrier of it (TLS where SIPS is documented)
            if f.detected in UC_DETECTIONS:
                continue  # claimed as UC: test_collision_not_claimed reports it
            listener_is_port = f.listener == str(port) or not f.listener
            if not listener_is_port:
                continue
            checked += 1
            if "protocol_mismatch" not in f.flags.split(","):
                missing.add(f.number)
    print(f"COLLISION {rel}: {checked} frame(s) of foreign protocols on UC ports checked")
    expect_known("collision_mismatch", rel, missing,
                 "documented UC port carrying another recognised protocol without protocol_mismatch")


# ---- 5. Random UDP payloads never become RTP

def _random_udp_capture(path: str) -> tuple[str, set[int], set[int]]:
    """~2000 UDP packets of random payload in 50 conversations, half on ports in
    the documented media range 16384-32767, half outside, half of the payloads
    starting like RTP version 2; plus one real RTP stream (the positive control).
    Returns the path, the frame numbers of random packets and those of real RTP."""
    from captures import pcap as pg
    rng = random.Random(0x5EED2026)
    cap = pg.Capture()
    random_frames: set[int] = set()
    for conv in range(50):
        inside = conv % 2 == 0
        if inside:
            a, b = rng.randrange(16384, 32768), rng.randrange(16384, 32768)
        else:
            a, b = (rng.choice([rng.randrange(1024, 16384), rng.randrange(32768, 65536)]) for _ in range(2))
        src, dst = f"10.66.{conv}.1", f"10.66.{conv}.2"
        for i in range(40):
            payload = bytearray(rng.randbytes(rng.randrange(12, 200)))
            if i % 2 == 0:
                payload[0] = 0x80  # RTP version 2, no padding, extension or CSRC; the rest stays random
            fwd = rng.random() < 0.5
            cap.udp(src if fwd else dst, a if fwd else b, dst if fwd else src, b if fwd else a, bytes(payload))
            random_frames.add(len(cap.packets))
    rtp_frames: set[int] = set()
    ssrc = 0x1A2B3C4D
    for i in range(30):
        cap.udp("10.67.0.1", 20000, "10.67.0.2", 20002, pg.rtp(1000 + i, 160 * i, ssrc, pt=0), gap=0.02)
        rtp_frames.add(len(cap.packets))
    return cap.write(path), random_frames, rtp_frames


def test_random_udp_payloads_are_never_rtp(tshark, workdir):
    pcap, random_frames, rtp_frames = _random_udp_capture(os.path.join(workdir, "random_udp.pcap"))
    assert len(random_frames) == 2000
    # With ciscouc.rtp_decode, what the heuristic recognises is decoded as RTP.
    rows = tshark.fields(pcap, ["frame.number", "frame.protocols", "ciscouc.heuristic", "ciscouc.purpose",
                                "ciscouc.detected"], ["-o", "ciscouc.rtp_decode:TRUE"])
    by_frame = {int(r["frame.number"]): r for r in rows}
    assert set(by_frame) == random_frames | rtp_frames
    rtp = sorted(n for n in random_frames if "rtp" in by_frame[n]["frame.protocols"].split(":")
                 or by_frame[n]["ciscouc.detected"] == "RTP")
    claimed = sorted(n for n in random_frames if by_frame[n]["ciscouc.heuristic"])
    assert not rtp, f"random payloads decoded as RTP: frames {rtp[:30]}"
    assert not claimed, f"random payloads claimed by a ciscouc heuristic: frames {claimed[:30]}"
    # The checks above are not vacuous: the plugin labels the media range and
    # its RTP heuristic does find the real stream in the same capture.
    assert any(by_frame[n]["ciscouc.purpose"] for n in random_frames), "the plugin labelled nothing"
    found = sorted(n for n in rtp_frames if "rtp" in by_frame[n]["frame.protocols"].split(":"))
    assert len(found) >= len(rtp_frames) - 5, f"the real RTP stream was not found (rtp in frames {found})"
    # The frame that completes the run says what recognised it (in one pass:
    # with -2, Wireshark hands the whole conversation to RTP, the decision of
    # the first pass). The stream's ports, 20000 and 20002, are inside the
    # documented RTP range, 20000 owned by stock DNP3: RTP comes first there.
    one = tshark.fields(pcap, ["frame.number", "ciscouc.heuristic"], ["-o", "ciscouc.rtp_decode:TRUE"],
                        two_pass=False)
    assert [r["frame.number"] for r in one if r["ciscouc.heuristic"] == "rtp-run"] == \
        [str(sorted(rtp_frames)[3])]  # the 4th packet (core/rtp.h kRtpRunNeeded)


# ---- 6. Flag counts per capture, in the log and as a TSV

@pytest.mark.corpus
def test_flag_counts_log(results, tmp_path_factory, capsys):
    """One FLAGS line per capture (stable format) and a TSV summary, so that a
    change in the plugin's behaviour shows in the test log."""
    path = tmp_path_factory.getbasetemp() / "real_captures_flags.tsv"
    cols = ["file", "frames", "labelled", *FLAG_NAMES, "heuristic", "malformed", "malformed_stock", "file_error"]
    lines, rows = [], []
    for rel in FILES:
        r = results.get(rel)
        counts = r.flag_counts()
        labelled = sum(1 for f in r.frames if f.purpose)
        heur = sum(1 for f in r.frames if f.heuristic)
        malformed = sum(1 for f in r.frames if f.malformed)
        rows.append([rel, len(r.frames), labelled, *[counts[f] for f in FLAG_NAMES], heur, malformed,
                     len(r.stock_malformed), r.file_error])
        lines.append(f"FLAGS {rel} " + " ".join(f"{f}={counts[f]}" for f in FLAG_NAMES) +
                     f" frames={len(r.frames)} labelled={labelled}" +
                     (f" file_error={r.file_error!r}" if r.file_error else ""))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\t".join(cols) + "\n")
        for row in rows:
            fh.write("\t".join(str(c).replace("\t", " ") for c in row) + "\n")
    with capsys.disabled():
        print()
        for line in lines:
            print(line)
        print(f"FLAGS-TSV {path}")
    assert len(rows) == len(FILES)


@pytest.mark.corpus
def test_evidence_goals(tshark_evidence, corpus_runs, shared_captures):
    """Issues 13 and 22's goals over every capture in ../shared/captures, as
    bench/evidence.py measures them (its report is printed)."""
    from bench import evidence

    def run(path, args, plugin):
        return corpus_runs.run(tshark_evidence, path, args, plugin)
    fig = evidence.measure(conftest.BUILD, shared_captures, run=run)
    print(evidence.report(fig))
    nu = "non-uc"
    assert fig.captures.get(nu, 0) >= 30 and fig.captures.get("uc-signalling", 0) >= 100, fig.captures
    misses = "\n".join(f"{w}: {c}: {v}" for w, c, v in fig.problems[:30])
    assert fig.confirmed.get(nu, 0) <= 0.005 * fig.conversations[nu], misses
    assert fig.flagged.get(nu, 0) == 0, misses
    assert fig.payloadless_flagged == 0, misses
    assert fig.signalling_ok >= 0.99 * fig.signalling, misses
    assert fig.media_ok == fig.media, misses
    # Issue 22: no Cisco role for a host that names another vendor in its own words.
    assert not fig.vendor_conflicts, fig.vendor_conflicts
