"""The ciscouc plugin through real tshark: contract fields, labels from every
guide, listener decisions, preferences, heuristics and flags.

Cases are built into a few captures and checked with one tshark run each
(two-pass, so every packet shows its conversation's final label).
"""
from __future__ import annotations

import os
import random
import re
import struct
import subprocess

import pytest

from captures import pcap as pg
from conftest import FLAG_NAMES, ROOT

CONTRACT_FIELDS = ["ciscouc.purpose", "ciscouc.entry", "ciscouc.product", "ciscouc.from", "ciscouc.to",
                   "ciscouc.doc", "ciscouc.detected"]
MORE_FIELDS = ["ciscouc.summary", "ciscouc.listener_port", "ciscouc.direction", "ciscouc.purpose_original",
               "ciscouc.edition", "ciscouc.release", "ciscouc.ports", "ciscouc.catch_all", "ciscouc.facts",
               "ciscouc.flags", "ciscouc.heuristic", "ciscouc.use", "ciscouc.ip_proto", "ciscouc.uses_frame"]
EXPERT_FIELDS = [f"ciscouc.{name}" for name in FLAG_NAMES]
FIELDS = ["frame.number", "frame.protocols"] + CONTRACT_FIELDS + MORE_FIELDS


class Cases:
    """A capture whose conversations are named cases; frames map back to cases."""

    def __init__(self):
        self.cap = pg.Capture()
        self.frames: dict[str, list[int]] = {}

    def mark(self, name: str, before: int):
        self.frames.setdefault(name, []).extend(range(before + 1, len(self.cap.packets) + 1))


@pytest.fixture(scope="module")
def labelled(workdir, tshark):
    c = Cases()
    cap = c.cap
    n = len(cap.packets)
    # One row from each guide.
    cap.udp("10.0.1.1", 40001, "10.0.1.2", 3001, b"\x01\x02change")
    c.mark("cucm42_3001_udp", n); n = len(cap.packets)
    cap.tcp_handshake("10.0.2.1", 45000, "10.0.2.2", 61456)
    cap.tcp("10.0.2.1", 45000, "10.0.2.2", 61456, b"<methodCall/>")
    c.mark("tp_61456", n); n = len(cap.packets)
    cap.tcp_handshake("10.0.3.1", 45001, "10.0.3.2", 7400)
    c.mark("imp_7400", n); n = len(cap.packets)
    cap.tcp_handshake("10.0.4.1", 45002, "10.0.4.2", 2551)
    c.mark("ko_2551", n); n = len(cap.packets)
    cap.udp("10.0.5.1", 40002, "10.0.5.2", 6666, b"netdump")
    c.mark("ja_6666_udp", n); n = len(cap.packets)
    # Several purposes on one port; TLS seen in the payload.
    cap.tcp_handshake("10.0.6.1", 45003, "10.0.6.2", 8443)
    cap.tcp("10.0.6.1", 45003, "10.0.6.2", 8443, pg.tls_client_hello())
    c.mark("multi_8443", n); n = len(cap.packets)
    # A client whose ephemeral port equals a documented port (2749 CTI/TLS).
    cap.tcp_handshake("10.0.7.1", 2749, "10.0.7.2", 80)
    cap.tcp("10.0.7.1", 2749, "10.0.7.2", 80, pg.http_get("cucm"))
    c.mark("ephemeral_2749_to_80", n); n = len(cap.packets)
    # Same number, different transports.
    cap.udp("10.0.8.1", 40003, "10.0.8.2", 3000, b"notify")
    c.mark("udp_3000", n); n = len(cap.packets)
    cap.tcp_handshake("10.0.8.1", 45004, "10.0.8.3", 3000)
    c.mark("tcp_3000_plain", n); n = len(cap.packets)
    # No handshake, both ports documented: both labelled.
    cap.tcp("10.0.9.1", 2000, "10.0.9.2", 5060, b"\x00" * 4)
    c.mark("midstream_2000_5060", n); n = len(cap.packets)
    # A catch-all range only.
    cap.tcp_handshake("10.0.10.1", 45005, "10.0.10.2", 40000)
    c.mark("catch_all_40000", n); n = len(cap.packets)
    # SCCP on its documented port.
    cap.tcp_handshake("10.0.11.1", 45006, "10.0.11.2", 2000)
    cap.tcp("10.0.11.1", 45006, "10.0.11.2", 2000, pg.sccp_register())
    c.mark("sccp_2000", n); n = len(cap.packets)
    path = cap.write(os.path.join(workdir, "labelled.pcap"))
    rows = tshark.fields(path, FIELDS)
    by_frame = {int(r["frame.number"]): r for r in rows}
    return {name: [by_frame[f] for f in frames] for name, frames in c.frames.items()}, path


def values(row, field):
    v = row[field]
    return v.split("|") if v else []


def last(rows):
    return rows[-1]


def test_contract_fields_are_registered(tshark):
    out = tshark.run(["-G", "fields"]).stdout
    registered = {line.split("\t")[2] for line in out.splitlines() if line.startswith("F\t")}
    for f in CONTRACT_FIELDS + MORE_FIELDS:
        assert f in registered, f"{f} missing from tshark -G fields"
    # Expert infos are filterable by name.
    ex = tshark.run(["-G", "fields"]).stdout
    for f in EXPERT_FIELDS:
        assert f"\t{f}\t" in ex, f"{f} missing from tshark -G fields"


def test_plugin_is_listed(tshark):
    out = tshark.run(["-G", "plugins"]).stdout
    assert re.search(r"^ciscouc\.so\s+\S+\s+dissector", out, re.M), out


@pytest.mark.parametrize("case,entry,purpose_part", [
    ("cucm42_3001_udp", "cucm42-en.t1.r11", "Database change notification from publisher"),
    ("tp_61456", "telepresence-en.tA-2.r21", "Autostarts the MIDlet phone user interface"),
    ("imp_7400", "imp-en.t22.r4", "XCP Router Master Accept Port"),
    ("ko_2551", "cucm-ko.t1.r9", "active/backup"),
    ("ja_6666_udp", "cucm-ja.t2.r19", "Netdump"),
])
def test_a_row_from_each_guide(labelled, case, entry, purpose_part):
    rows, _ = labelled
    for row in rows[case]:
        entries = values(row, "ciscouc.entry")
        assert entry in entries, (case, entries)
        i = entries.index(entry)
        assert purpose_part in values(row, "ciscouc.purpose")[i]
        assert len(values(row, "ciscouc.doc")) == len(entries)
        assert values(row, "ciscouc.from") and values(row, "ciscouc.to")


def test_korean_row_keeps_its_original_text(labelled):
    row = last(labelled[0]["ko_2551"])
    originals = values(row, "ciscouc.purpose_original")
    assert any(re.search(r"[\uac00-\ud7a3]", o) for o in originals), originals


def test_several_purposes_ordered_by_evidence(labelled):
    row = last(labelled[0]["multi_8443"])
    entries = values(row, "ciscouc.entry")
    products = set(values(row, "ciscouc.product"))
    assert len(entries) >= 8
    assert {"cucm", "imp"} <= products
    assert row["ciscouc.detected"] == "TLS"
    # The first rows document a protocol TLS can carry (HTTPS, AXL, SOAP...).
    assert "secure" not in row["ciscouc.flags"]


def test_ephemeral_client_port_is_not_labelled_as_its_service(labelled):
    for row in labelled[0]["ephemeral_2749_to_80"]:
        assert row["ciscouc.listener_port"] == "80"
        purposes = " ".join(values(row, "ciscouc.purpose"))
        assert "CTI" not in purposes and "JTAPI" not in purposes
        assert "80" in row["ciscouc.ports"]
        assert row["ciscouc.direction"] == "listener from TCP handshake"


def test_udp_and_tcp_on_the_same_number_differ(labelled):
    rows = labelled[0]
    udp = last(rows["udp_3000"])
    assert "cucm42-en.t1.r10" in values(udp, "ciscouc.entry")
    tcp = last(rows["tcp_3000_plain"])
    assert "cucm42-en.t1.r10" not in values(tcp, "ciscouc.entry")
    # Only the CIME 1024-65535 catch-all documents 3000/tcp.
    assert set(values(tcp, "ciscouc.catch_all")) == {"1"}


def test_midstream_without_handshake_labels_both_ports(labelled):
    row = last(labelled[0]["midstream_2000_5060"])
    assert row["ciscouc.direction"] == "direction unknown: both ports labelled"
    ports = values(row, "ciscouc.ports")
    assert "2000" in ports and "5060" in ports
    assert row["ciscouc.listener_port"] == ""


def test_catch_all_rows_are_shown_as_such(labelled):
    row = last(labelled[0]["catch_all_40000"])
    assert set(values(row, "ciscouc.catch_all")) == {"1"}
    assert "catch-all" in row["ciscouc.summary"]


def test_label_is_per_conversation_and_on_every_packet(labelled):
    rows = labelled[0]["sccp_2000"]
    assert len(rows) == 4  # SYN, SYN-ACK, ACK, Register
    summaries = {r["ciscouc.summary"] for r in rows}
    assert len(summaries) == 1 and summaries.pop().startswith("2000: ")
    assert {r["ciscouc.detected"] for r in rows} == {"SCCP"}


def test_no_uc_traffic_gets_no_labels(workdir, tshark):
    cap = pg.Capture()
    cap.udp("192.0.2.1", 40000, "192.0.2.2", 9, b"discard me")
    cap.tcp_handshake("192.0.2.1", 45000, "192.0.2.2", 1)
    cap.udp("192.0.2.3", 40001, "192.0.2.4", 1, b"x")
    path = cap.write(os.path.join(workdir, "no-uc.pcap"))
    rows = tshark.fields(path, ["frame.number"] + CONTRACT_FIELDS + ["ciscouc.summary", "ciscouc.flags"])
    assert len(rows) == 5
    for r in rows:
        assert all(r[f] == "" for f in CONTRACT_FIELDS + ["ciscouc.summary", "ciscouc.flags"]), r
    assert tshark.run(["-r", path, "-Y", "ciscouc"]).stdout == ""


def test_preferences_change_order_language_and_switch_labels_off(labelled, tshark):
    _, path = labelled
    fields = ["frame.number", "ciscouc.entry", "ciscouc.summary", "_ws.col.Info"]
    pref = tshark.fields(path, fields, ["-Y", "tcp.port == 2000", "-o", "ciscouc.edition:cucm-4.2"])
    assert values(pref[-1], "ciscouc.entry")[0] == "cucm42-en.t5.r3"
    only = tshark.fields(path, fields, ["-Y", "tcp.port == 2000", "-o", "ciscouc.edition:cucm-4.2",
                                        "-o", "ciscouc.only_preferred:TRUE"])
    assert all(e.startswith("cucm42-en.") for e in values(only[-1], "ciscouc.entry"))
    ko = tshark.fields(path, fields, ["-Y", "tcp.port == 2551", "-o", "ciscouc.language:original"])
    assert re.search(r"[\uac00-\ud7a3\u3040-\u30ff]", ko[-1]["ciscouc.summary"]), ko[-1]
    info = tshark.info_column(path, ["-Y", "tcp.port == 2000", "-o", "ciscouc.info_column:TRUE"])
    assert "[UC: 2000: " in info[-1]
    off = tshark.fields(path, fields, ["-o", "ciscouc.labels:FALSE"])
    assert all(r["ciscouc.entry"] == "" for r in off)


def test_ip_protocol_rows_label_esp(workdir, tshark):
    from scapy.all import IP, Ether, Raw, wrpcap  # type: ignore
    p = Ether() / IP(src="10.1.0.1", dst="10.1.0.2", proto=50) / Raw(struct.pack("!II", 0x1000, 1) + b"\0" * 32)
    p.time = pg.BASE_TIME
    path = os.path.join(workdir, "esp.pcap")
    wrpcap(path, [p])
    os.chmod(path, 0o644)
    row = tshark.fields(path, ["ciscouc.ip_proto", "ciscouc.entry"])[0]
    assert row["ciscouc.ip_proto"] == "50"
    assert "cucm42-en.t7.r1" in values(row, "ciscouc.entry")


def test_conversation_summary_stat(labelled, tshark):
    _, path = labelled
    out = tshark.run(["-q", "-2", "-r", path, "-z", "ciscouc,conv"]).stdout
    lines = [l for l in out.splitlines() if "\t" in l and not l.startswith("Client")]
    assert len(lines) == 12, out
    sccp = [l.split("\t") for l in lines if "\t2000\t" in l and l.split("\t")[2] == "tcp"]
    assert sccp and sccp[0][8] == "SCCP" and "insecure" in sccp[0][9]
    assert sccp[0][1] == "10.0.11.2:2000"


# ---- Heuristics and the stolen ports

@pytest.fixture(scope="module")
def heuristic_capture(workdir, tshark):
    c = Cases()
    cap = c.cap
    n = 0
    cap.tcp_handshake("10.2.0.1", 46000, "10.2.0.2", 3000)
    cap.tcp("10.2.0.1", 46000, "10.2.0.2", 3000, pg.sccp_register())
    cap.tcp("10.2.0.2", 3000, "10.2.0.1", 46000, pg.sccp(0x0081, b"\0" * 12))
    c.mark("sccp_tcp_3000", n); n = len(cap.packets)
    # (2727 would be claimed by the stock MGCP dissector's call-agent port.)
    cap.udp("10.2.1.1", 40010, "10.2.1.2", 3427, pg.mgcp("RSIP", 100, "*@gw.example.com", "RM: restart\r\n"))
    cap.udp("10.2.1.2", 3427, "10.2.1.1", 40010, pg.mgcp_response(200, 100))
    c.mark("mgcp_udp_3427", n); n = len(cap.packets)
    cap.tcp_handshake("10.2.2.1", 46001, "10.2.2.2", 6000)
    cap.tcp("10.2.2.1", 46001, "10.2.2.2", 6000, pg.sip("OPTIONS", "sip:10.2.2.2:6000", "10.2.2.1", 46001, "TCP"))
    c.mark("sip_tcp_6000", n); n = len(cap.packets)
    cap.udp("10.2.3.1", 40000, "10.2.3.2", 6000, pg.sip("OPTIONS", "sip:10.2.3.2:6000", "10.2.3.1", 40000))
    c.mark("sip_udp_6000", n); n = len(cap.packets)
    cap.tcp_handshake("10.2.4.1", 46002, "10.2.4.2", 3804)
    cap.tcp("10.2.4.1", 46002, "10.2.4.2", 3804, pg.tls_client_hello("capf.example.com"))
    c.mark("tls_3804", n); n = len(cap.packets)
    cap.tcp_handshake("10.2.5.1", 46003, "10.2.5.2", 1820)
    cap.tcp("10.2.5.1", 46003, "10.2.5.2", 1820, pg.tpkt_q931_setup())
    c.mark("h225_1820", n); n = len(cap.packets)
    cap.tcp_handshake("10.2.6.1", 46004, "10.2.6.2", 5269)
    cap.tcp("10.2.6.1", 46004, "10.2.6.2", 5269, pg.xmpp_stream_header("example.org"))
    c.mark("xmpp_5269", n); n = len(cap.packets)
    for i in range(12):
        cap.udp("10.2.7.1", 20002, "10.2.7.2", 20004, pg.rtp(1000 + i, 160 * i, 0x11223344), gap=0.02)
    c.mark("rtp_run", n); n = len(cap.packets)
    rnd = random.Random(4)
    for i in range(40):
        cap.udp("10.2.8.1", 20006, "10.2.8.2", 20008, bytes(rnd.randrange(256) for _ in range(172)))
    c.mark("random_udp_in_range", n); n = len(cap.packets)
    cap.tcp_handshake("10.2.9.1", 46005, "10.2.9.2", 5060)
    cap.tcp("10.2.9.1", 46005, "10.2.9.2", 5060, pg.http_get("10.2.9.2"))
    c.mark("http_5060", n); n = len(cap.packets)
    path = cap.write(os.path.join(workdir, "heuristics.pcap"))
    fields = ["frame.number", "frame.protocols", "ciscouc.detected", "ciscouc.heuristic", "ciscouc.flags",
              "ciscouc.listener_port"] + EXPERT_FIELDS
    rows = {int(r["frame.number"]): r for r in tshark.fields(path, fields)}
    return {k: [rows[f] for f in v] for k, v in c.frames.items()}, path


def protocols(rows):
    return set(p for r in rows for p in r["frame.protocols"].split(":"))


@pytest.mark.parametrize("case,proto,detected,heuristic", [
    ("sccp_tcp_3000", "skinny", "SCCP", "sccp"),
    ("mgcp_udp_3427", "mgcp", "MGCP", "mgcp-command"),
    ("sip_tcp_6000", "sip", "SIP", "sip-request"),
    ("tls_3804", "tls", "TLS", "tls-handshake"),
    ("h225_1820", "q931", "H.225", "h225-tpkt"),
    ("xmpp_5269", "xmpp", "XMPP", "xmpp-stream"),
    ("rtp_run", "data", "RTP", "rtp-run"),  # labelled RTP, left undecoded by default (ciscouc.rtp_decode)
])
def test_heuristic_recognises_and_hands_to_stock_dissector(heuristic_capture, case, proto, detected, heuristic):
    rows = heuristic_capture[0][case]
    assert proto in protocols(rows), (case, [r["frame.protocols"] for r in rows])
    assert {r["ciscouc.detected"] for r in rows} == {detected}
    assert any(heuristic in r["ciscouc.heuristic"] for r in rows)


def test_recognised_rtp_stays_udp_data_unless_rtp_decode(heuristic_capture, tshark):
    """By default a recognised RTP run is labelled (detected RTP) but shown as
    stock shows it, UDP data; with ciscouc.rtp_decode Wireshark's RTP
    dissector decodes it from the confirming frame on."""
    frames = [int(r["frame.number"]) for r in heuristic_capture[0]["rtp_run"]]
    assert "rtp" not in protocols(heuristic_capture[0]["rtp_run"])
    rows = tshark.fields(heuristic_capture[1], ["frame.number", "frame.protocols", "ciscouc.detected", "rtp.seq"],
                         ["-o", "ciscouc.rtp_decode:TRUE"], two_pass=False)
    by_frame = {int(r["frame.number"]): r for r in rows}
    decoded = [n for n in frames if "rtp" in by_frame[n]["frame.protocols"].split(":")]
    assert decoded and decoded == frames[frames.index(decoded[0]):], decoded
    assert len(decoded) >= len(frames) - 4
    assert [int(by_frame[n]["rtp.seq"]) for n in decoded] == [1000 + frames.index(n) for n in decoded]
    assert all(by_frame[n]["ciscouc.detected"] == "RTP" for n in decoded)


def test_stolen_ports_keep_their_stock_owner_for_other_payloads(heuristic_capture):
    # The SIP on TCP 6000 is SIP, not X11.
    assert "x11" not in protocols(heuristic_capture[0]["sip_tcp_6000"])
    assert "hiqnet" not in protocols(heuristic_capture[0]["tls_3804"])


def test_http_on_sip_port_is_recognised_without_changing_decoding(heuristic_capture):
    rows = heuristic_capture[0]["http_5060"]
    # Stock Wireshark still decodes it as a SIP continuation; ciscouc says what it is.
    assert "sip" in protocols(rows)
    assert {r["ciscouc.detected"] for r in rows} == {"HTTP"}


def test_random_udp_never_becomes_rtp(heuristic_capture):
    rows = heuristic_capture[0]["random_udp_in_range"]
    assert "rtp" not in protocols(rows)
    assert all(r["ciscouc.heuristic"] == "" for r in rows)


@pytest.mark.parametrize("case,flag,expected", [
    ("sccp_tcp_3000", "unexpected_port", True),
    ("mgcp_udp_3427", "unexpected_port", True),
    ("sip_udp_6000", "unexpected_port", True),
    ("h225_1820", "unexpected_port", True),
    ("xmpp_5269", "unexpected_port", False),
    ("http_5060", "protocol_mismatch", True),
    ("tls_3804", "protocol_mismatch", False),
    ("rtp_run", "unexpected_port", False),
])
def test_flags_fire_and_stay_silent(heuristic_capture, case, flag, expected):
    rows = heuristic_capture[0][case]
    assert any(flag in r["ciscouc.flags"].split(",") for r in rows) is expected, [r["ciscouc.flags"] for r in rows]
    # Raised once per conversation as expert info.
    raised = sum(1 for r in rows if r[f"ciscouc.{flag}"])
    assert raised == (1 if expected else 0)


def test_heuristics_can_be_switched_off(heuristic_capture, tshark):
    _, path = heuristic_capture
    rows = tshark.fields(path, ["frame.protocols"], ["-Y", "tcp.port == 3000",
                                                     "--disable-heuristic", "ciscouc_sccp_tcp"])
    assert rows and all("skinny" not in r["frame.protocols"] for r in rows)
    rows = tshark.fields(path, ["frame.protocols"], ["-Y", "tcp.port == 6000", "-o", "ciscouc.try_uc_first:FALSE"])
    assert all(":sip" not in r["frame.protocols"] for r in rows)


def test_site_allow_list_silences_unexpected_port(heuristic_capture, tshark, workdir):
    _, path = heuristic_capture
    # A UAT file in the (temporary) personal configuration.
    conf = os.path.join(tshark.home, ".config", "wireshark")
    os.makedirs(conf, exist_ok=True)
    uat = os.path.join(conf, "ciscouc_allowed_ports")
    with open(uat, "w") as f:
        f.write('"udp","3427","MGCP","lab gateway"\n')
    for d in (os.path.join(tshark.home, ".config"), conf):
        os.chmod(d, 0o777)
    os.chmod(uat, 0o666)
    try:
        rows = tshark.fields(path, ["ciscouc.flags"], ["-Y", "udp.port == 3427"])
        assert rows and all("unexpected_port" not in r["ciscouc.flags"] for r in rows)
        rows = tshark.fields(path, ["ciscouc.flags"], ["-Y", "tcp.port == 3000"])
        assert any("unexpected_port" in r["ciscouc.flags"] for r in rows)
    finally:
        os.remove(uat)


def test_decode_as_ciscouc_tries_uc_signatures_on_any_port(workdir, tshark):
    cap = pg.Capture()
    cap.tcp_handshake("10.3.0.1", 47000, "10.3.0.2", 80)
    cap.tcp("10.3.0.1", 47000, "10.3.0.2", 80, pg.sccp_register())
    path = cap.write(os.path.join(workdir, "decode-as.pcap"))
    fields = ["frame.protocols", "ciscouc.heuristic", "ciscouc.detected"]
    plain = tshark.fields(path, fields)[-1]
    assert "skinny" not in plain["frame.protocols"]  # stock HTTP holds port 80
    chosen = tshark.fields(path, fields, ["-d", "tcp.port==80,ciscouc"])[-1]
    # The hand-off adds no ciscouc layer: the stack is what stock would show for Skinny.
    assert chosen["frame.protocols"].endswith(":tcp:skinny"), chosen
    assert chosen["ciscouc.heuristic"] == "sccp" and chosen["ciscouc.detected"] == "SCCP"


def test_conversation_stats_tree_for_the_gui(labelled, tshark):
    """Statistics > Cisco UC port usage > Conversations (also -z ciscouc_conv,tree)."""
    _, path = labelled
    out = tshark.run(["-q", "-2", "-r", path, "-z", "ciscouc_conv,tree"]).stdout
    assert "Cisco UC port usage/Conversations" in out
    rows = [l for l in out.splitlines() if l.startswith(" tcp ") or l.startswith(" udp ")]
    assert len(rows) == 12, out
    sccp = [l for l in rows if "-> 10.0.11.2:2000 |" in l]
    assert sccp and "Skinny Client Control Protocol (SCCP)" in sccp[0] and "| insecure" in sccp[0]
    # The first number after the name is the packet count: SYN, SYN-ACK, ACK, Register.
    counts = re.findall(r"\|\s*insecure\s+(\d+)", sccp[0])
    assert counts == ["4"], sccp[0]
    summary = tshark.run(["-q", "-2", "-r", path, "-z", "ciscouc,tree"]).stdout
    assert "Cisco UC port usage/Summary" in summary and "Conversations by flag" in summary


def test_ras_recognised_off_its_port(workdir, tshark):
    """H.225 RAS on UDP 1819 (not 1719): the ciscouc_ras_udp heuristic hands it to h225."""
    cap = pg.Capture()
    cap.udp("10.4.0.1", 41719, "10.4.0.2", 1819,
            pg.h225_ras_rrq(7, ("10.4.0.1", 1720), ("10.4.0.1", 41719), "gw-ras"))
    path = cap.write(os.path.join(workdir, "ras-off-port.pcap"))
    row = tshark.fields(path, ["frame.protocols", "ciscouc.heuristic", "ciscouc.detected", "ciscouc.flags"])[0]
    assert row["frame.protocols"].endswith(":udp:h225"), row
    assert row["ciscouc.heuristic"] == "h225-ras" and row["ciscouc.detected"] == "RAS"
    assert "unexpected_port" in row["ciscouc.flags"].split(",")


# ---- How much of the documented uses goes into a visible tree (ciscouc.details)

TEACHING = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "captures")
DETAIL_FIELDS = ["frame.number", "ip.proto", "ciscouc.listener_port", "ciscouc.summary", "ciscouc.entry",
                 "ciscouc.uses_frame", "ciscouc.flags"]


@pytest.mark.parametrize("name", ["telepresence.pcap", "sccp-phone-call.pcap", "misbehaviour.pcap"])
def test_default_details_list_uses_where_the_label_was_decided(tshark, name):
    """The default (conversation) lists every use on the frames that decided a
    label; every other labelled packet keeps its summary and links to the
    frame that lists exactly the uses the full setting puts on the packet."""
    pcap = os.path.join(TEACHING, name)
    extra = ["-o", "ciscouc.edition:cucm-current"] if name == "misbehaviour.pcap" else []
    conv = {int(r["frame.number"]): r for r in tshark.tree_fields(pcap, DETAIL_FIELDS, extra, two_pass=False,
                                                                  details=None)}
    full = {int(r["frame.number"]): r for r in tshark.tree_fields(pcap, DETAIL_FIELDS, extra, two_pass=False)}
    assert conv.keys() == full.keys()
    linked = listed = 0
    for n, r in conv.items():
        f = full[n]
        assert r["ciscouc.summary"] == f["ciscouc.summary"], n
        assert r["ciscouc.flags"] == f["ciscouc.flags"], n
        if r["ciscouc.entry"]:
            listed += 1
            assert r["ciscouc.entry"] == f["ciscouc.entry"] and not r["ciscouc.uses_frame"], n
        elif f["ciscouc.entry"]:
            linked += 1
            target = int(r["ciscouc.uses_frame"])
            assert target <= n, f"frame {n} links forward to {target} in one pass"
            assert conv[target]["ciscouc.entry"] == f["ciscouc.entry"], f"frame {n} -> {target}"
        else:
            assert not r["ciscouc.uses_frame"], n
    assert listed and linked > listed, (listed, linked)


def test_filters_on_use_fields_match_every_packet_whatever_the_details(tshark):
    """A display filter primes the per-use fields, so they are on every
    packet of the conversation with every details setting."""
    pcap = os.path.join(TEACHING, "telepresence.pcap")
    counts = {}
    for details in ("conversation", "compact", "full"):
        out = tshark.run(["-r", pcap, "-o", f"ciscouc.details:{details}", "-Y",
                          'ciscouc.entry == "telepresence-en.tA-2.r20"', "-T", "fields", "-e", "frame.number"]).stdout
        counts[details] = out.split()
    udp = tshark.run(["-r", pcap, "-Y", "udp.port == 16384", "-T", "fields", "-e", "frame.number"]).stdout.split()
    assert counts["conversation"] == counts["compact"] == counts["full"] == udp
    assert len(udp) > 100


def test_compact_details_keep_purpose_and_entry_on_every_packet(tshark):
    pcap = os.path.join(TEACHING, "telepresence.pcap")
    rows = tshark.fields(pcap, ["udp.port", "ciscouc.entry", "ciscouc.purpose", "ciscouc.doc", "ciscouc.uses_frame"],
                         ["-Y", "udp.port == 16384"], details="compact")
    assert rows and all(r["ciscouc.entry"] and r["ciscouc.purpose"] for r in rows)
    assert not any(r["ciscouc.doc"] or r["ciscouc.uses_frame"] for r in rows)


def test_recognised_rtp_is_set_up_once_per_stream(tshark):
    """ciscouc sets a recognised stream up as SDP and Skinny do
    (rtp_add_address): RTP shows it as its setup, from the frame that
    confirmed the run. (h323-gateway.pcap: no H.245 sets its media up;
    telepresence.pcap's RTP is set up by SDP.)"""
    pcap = os.path.join(TEACHING, "h323-gateway.pcap")
    rows = tshark.fields(pcap, ["frame.number", "rtp.setup-method", "rtp.setup-frame", "ciscouc.heuristic"],
                         ["-Y", "rtp && udp.port == 24620", "-o", "ciscouc.rtp_decode:TRUE"], two_pass=False)
    assert len(rows) > 100
    confirmed = [r for r in rows if r["ciscouc.heuristic"] == "rtp-run"]
    assert confirmed
    first = confirmed[0]["frame.number"]
    assert {(r["rtp.setup-method"], r["rtp.setup-frame"]) for r in rows} == {("ciscouc", first)}


def test_cisco_uc_profile_decodes_recognised_rtp(heuristic_capture, tshark):
    """The "Cisco UC" profile turns ciscouc.rtp_decode on: tshark -C reads it
    without complaint and the recognised run is decoded as RTP."""
    dest = os.path.join(tshark.home, ".config", "wireshark", "profiles")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "install_profile.py"), "--dest", dest],
                   check=True, capture_output=True)
    with open(os.path.join(dest, "Cisco UC", "preferences")) as f:
        assert "ciscouc.rtp_decode: TRUE" in f.read().splitlines()
    p = tshark.run(["-C", "Cisco UC", "-r", heuristic_capture[1], "-T", "fields", "-e", "frame.number",
                    "-e", "frame.protocols"])
    assert "pref" not in p.stderr.lower(), p.stderr
    protos = dict(line.split("\t") for line in p.stdout.splitlines())
    frames = [r["frame.number"] for r in heuristic_capture[0]["rtp_run"]]
    assert sum("rtp" in protos[n].split(":") for n in frames) >= len(frames) - 4
