"""Calls (core/calls.h): ciscouc-scan --calls and tshark -z ciscouc,calls.

- The plugin and the scanner print the same three call tables (one core writer).
- The teaching captures' diagnoses: one-way media, an unanswered INVITE, a SYN
  unanswered on 2000/tcp, NAT; each names the guide row of the flow to allow,
  with the frames; near misses (two-way media, answered calls) get none.
- captures/README.md shows each call capture's tables as the scanner prints them.
- Loss and jitter equal Wireshark's RTP stream analysis (tshark -z rtp,streams)
  for the same stream (source, destination, SSRC).
- Call counts equal what Wireshark's VoIP Calls dialog counts from the same
  taps (see test_call_counts_match_wiresharks_voip_taps).
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT, TEACHING_CAPTURES

SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
CALL_CAPTURES = ["one-way-audio.pcap", "signalling-unanswered.pcap", "sccp-nat.pcap"]
PARITY = CALL_CAPTURES + ["sip-phone-call.pcap", "sccp-phone-call.pcap", "mgcp-gateway.pcap", "h323-gateway.pcap"]
TABLE_TITLES = ("Cisco UC call diagnoses (ciscouc)", "Cisco UC calls (ciscouc)", "Cisco UC call media (ciscouc)")


def call_text(stdout: str) -> str:
    """The three call tables (from the diagnoses' title to the closing rule)."""
    lines = stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(TABLE_TITLES[0])) - 1
    end = max(i for i, l in enumerate(lines) if l.startswith("=" * 80))
    return "\n".join(lines[start:end + 1]) + "\n"


def parse_tables(text: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"(Cisco UC call[^:]*\(ciscouc\)): (\d+)$", lines[i])
        if m:
            titles = lines[i + 1].split("\t")
            rows = [dict(zip(titles, l.split("\t"))) for l in lines[i + 2:i + 2 + int(m[2])]]
            out[m[1]] = rows
            i += 2 + int(m[2])
        else:
            i += 1
    return out


@pytest.fixture(scope="module")
def scan():
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    cache: dict[str, str] = {}

    def run(path: str) -> str:
        if path not in cache:
            p = subprocess.run([SCANNER, "--calls", path], capture_output=True, text=True, timeout=600)
            assert p.returncode == 0, p.stderr
            cache[path] = call_text(p.stdout)
        return cache[path]
    return run


def teaching(name: str) -> str:
    return os.path.join(TEACHING_CAPTURES, name)


@pytest.mark.parametrize("name", PARITY)
def test_plugin_and_scanner_print_the_same_calls(tshark_evidence, scan, name):
    plugin = tshark_evidence.run(["-r", teaching(name), "-q", "-z", "ciscouc,calls"]).stdout
    assert call_text(plugin) == scan(teaching(name))


def test_one_way_audio(scan):
    t = parse_tables(scan(teaching("one-way-audio.pcap")))
    (d,) = t["Cisco UC call diagnoses (ciscouc)"]
    assert d["Diagnosis"] == "one_way_media" and d["Call"] == "1"
    assert d["Frames"] == "1,6"  # the INVITE announcing A's port, the first RTP of the other way
    assert d["Entry"] == "cucm-ja.t6.r17"
    assert "no RTP from 10.10.1.32 to 10.10.1.31:20482" in d["Detail"]
    assert "16384-32767/udp (cucm-ja.t6.r17)" in d["Detail"]
    (c,) = t["Cisco UC calls (ciscouc)"]
    assert (c["Outcome"], c["Caller"], c["Callee"]) == ("answered", "2001 (Alice)", "2002 (Bob)")
    assert "Phone -> 10.10.0.11:5060 Unified CM [cucm-ja.t6.r7]" in c["Signalling"]
    (m,) = t["Cisco UC call media (ciscouc)"]
    assert (m["Packets"], m["Lost"], m["Codec"]) == ("59", "1", "PCMU")


def test_two_way_media_is_no_diagnosis(scan):
    # Near miss: the same kind of call with RTP both ways (and a B2BUA's two legs, joined).
    t = parse_tables(scan(teaching("sip-phone-call.pcap")))
    assert t["Cisco UC call diagnoses (ciscouc)"] == []
    calls = t["Cisco UC calls (ciscouc)"]
    assert [c["Joined"] for c in calls] == ["2", "1"]
    assert all(c["Outcome"] == "answered" and c["Streams"] == "2" for c in calls)


def test_unanswered_signalling(scan):
    t = parse_tables(scan(teaching("signalling-unanswered.pcap")))
    by_kind = {d["Diagnosis"]: d for d in t["Cisco UC call diagnoses (ciscouc)"]}
    assert set(by_kind) == {"no_answer", "syn_unanswered"}
    assert by_kind["no_answer"]["Frames"] == "1,2,3,4,5" and by_kind["no_answer"]["Entry"] == "cucm-ja.t6.r7"
    assert by_kind["syn_unanswered"]["Frames"] == "6,7,8" and by_kind["syn_unanswered"]["Entry"] == "cucm-ja.t6.r3"
    assert "2000/tcp (cucm-ja.t6.r3)" in by_kind["syn_unanswered"]["Detail"]
    (c,) = t["Cisco UC calls (ciscouc)"]
    assert c["Outcome"] == "unanswered"
    # Near miss: an answered SYN (the SCCP demo's handshake on 2000) raises nothing.
    demo = parse_tables(scan(teaching("sccp-phone-call.pcap")))
    assert demo["Cisco UC call diagnoses (ciscouc)"] == []


def test_nat(scan):
    t = parse_tables(scan(teaching("sccp-nat.pcap")))
    (d,) = t["Cisco UC call diagnoses (ciscouc)"]
    assert d["Diagnosis"] == "nat" and d["Frames"] == "11,14,15"
    assert "203.0.113.5 announced media at 192.168.1.21:24590" in d["Detail"]
    (c,) = t["Cisco UC calls (ciscouc)"]
    assert (c["Protocol"], c["Outcome"], c["Caller"], c["Callee"]) == ("SCCP", "answered", "2051 (Home office)", "2002 (Bob)")
    # Near miss: the SCCP demo announces the phone's own address: no NAT.
    demo = parse_tables(scan(teaching("sccp-phone-call.pcap")))
    assert all(d["Diagnosis"] != "nat" for d in demo["Cisco UC call diagnoses (ciscouc)"])


def test_readme_shows_real_call_tables(scan):
    with open(os.path.join(ROOT, "captures", "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for name in CALL_CAPTURES:
        m = re.search(rf"## {re.escape(name)}\n.*?```\n(.*?)```", readme, re.S)
        assert m, f"captures/README.md has no section with the call tables of {name}"
        assert m[1] == scan(teaching(name)), f"captures/README.md: {name}'s tables differ from ciscouc-scan --calls"


# ---- Loss and jitter against Wireshark's RTP stream analysis.

RTP_ROW = re.compile(r"\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-F]+)\s+(.*?)\s+(\d+)\s+(-?\d+) \(.*?\)"
                     r"\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)")


def wireshark_streams(tshark, path: str) -> dict[tuple[str, str, str], tuple[str, int, int, float, float]]:
    out = tshark.run(["-r", path, "-q", "-z", "rtp,streams"], plugin=False).stdout
    streams = {}
    for line in out.splitlines():
        m = RTP_ROW.match(line)
        if m:
            streams[(f"{m[1]}:{m[2]}", f"{m[3]}:{m[4]}", m[5])] = (m[6], int(m[7]), int(m[8]), float(m[9]), float(m[10]))
    return streams


SHARED_RTP = ["ahmedelemamn__Wireshark-Captures/dtmf_relay_asymm.pcapng",
              "ahmedelemamn__Wireshark-Captures/rtp_sip_g711ulaw_20ms.pcapng",
              "ahmedelemamn__Wireshark-Captures/mgcp_fxs_inbound.pcapng",
              "ahmedelemamn__Wireshark-Captures/fax_t38_nse_sip_ogw.pcapng"]


def compare_streams(tshark, scan, path: str) -> int:
    ws = wireshark_streams(tshark, path)
    media = parse_tables(scan(path))["Cisco UC call media (ciscouc)"]
    compared = 0
    for m in media:
        key = (m["Source"], m["Destination"], m["SSRC"])
        assert key in ws, f"{path}: stream {key} is not in Wireshark's RTP streams"
        payload, packets, lost, mean, peak = ws[key]
        assert (int(m["Packets"]), int(m["Lost"])) == (packets, lost), f"{path}: {key}"
        if "," in payload:
            continue  # several payload types in one SSRC (RFC 4733 events): see the module's report
        assert abs(float(m["Max jitter"]) - peak) <= 0.0015 and abs(float(m["Mean jitter"]) - mean) <= 0.0015, \
            f"{path}: {key}: jitter max/mean {m['Max jitter']}/{m['Mean jitter']}, Wireshark {peak}/{mean}"
        compared += 1
    return compared


def test_loss_and_jitter_equal_wiresharks_on_teaching_captures(tshark, scan):
    # one-way-audio: a lost packet and a deterministic 0.4-0.8 ms wobble (non-zero jitter).
    assert compare_streams(tshark, scan, teaching("one-way-audio.pcap")) == 1
    assert compare_streams(tshark, scan, teaching("sip-phone-call.pcap")) == 4


def test_loss_and_jitter_equal_wiresharks_on_shared_captures(tshark, scan, shared_captures):
    compared = 0
    for rel in SHARED_RTP:
        path = os.path.join(shared_captures, rel)
        if os.path.exists(path):
            compared += compare_streams(tshark, scan, path)
    assert compared >= 10


# ---- Call counts against Wireshark's VoIP Calls taps.

COUNT_SAMPLE = ["ahmedelemamn__Wireshark-Captures/dtmf_relay_asymm.pcapng",
                "ahmedelemamn__Wireshark-Captures/dtmf_relay_sip_rfc4733.pcapng",
                "ahmedelemamn__Wireshark-Captures/fax_t38_nse_sip_ogw.pcapng",
                "ahmedelemamn__Wireshark-Captures/rtp_sip_g711ulaw_20ms.pcapng",
                "ahmedelemamn__Wireshark-Captures/fax_h323_passthru_ogw.pcapng",
                "ahmedelemamn__Wireshark-Captures/h323_ss_hold_transfer.pcapng",
                "ahmedelemamn__Wireshark-Captures/h245_signal.pcapng",
                "SIPp__sipp/g711a.pcap"]


def test_call_counts_match_wiresharks_voip_taps(tshark, scan, shared_captures):
    """Wireshark's VoIP Calls dialog (ui/voip_calls.c) has no tshark statistic;
    its calls are counted here from the same dissector fields its taps read:

    - SIP (sip_calls_packet): a call is created by an INVITE request whose
      Call-ID has no call yet (other methods open a call only in the Flow
      Sequence's "all flows" mode): the distinct sip.Call-ID of frames with
      sip.Method == "INVITE".
    - H.323 (q931_calls_packet / h225_calls_packet): a call per H.225 Setup,
      told apart by its connection and Q.931 call reference: the distinct
      (tcp.stream, q931.call_ref) of frames with a Q.931 Setup (message type
      5) carrying H.225.

    SKINNY and MGCP calls are not counted here (the dialog keys them by
    Skinny callId/line and by MGCP endpoint, which the taps fill from
    several messages); their tables are checked on the teaching captures.
    """
    checked = 0
    for rel in COUNT_SAMPLE:
        path = os.path.join(shared_captures, rel)
        if not os.path.exists(path):
            continue
        out = tshark.run(["-r", path, "-Y", 'sip.Method == "INVITE"', "-T", "fields", "-e", "sip.Call-ID"],
                         plugin=False).stdout
        sip = len({x for line in out.split() for x in line.split(",") if x})
        out = tshark.run(["-r", path, "-Y", "q931.message_type == 0x05 && h225", "-T", "fields", "-e", "tcp.stream",
                          "-e", "q931.call_ref"], plugin=False).stdout
        h323 = len({line for line in out.splitlines() if line.strip()})
        calls = parse_tables(scan(path))["Cisco UC calls (ciscouc)"]
        mine = {p: sum(c["Protocol"] == p for c in calls) for p in ("SIP", "H.225")}
        assert mine == {"SIP": sip, "H.225": h323}, f"{rel}: ciscouc {mine}, Wireshark's taps SIP {sip}, H.323 {h323}"
        checked += 1
    assert checked >= 6
