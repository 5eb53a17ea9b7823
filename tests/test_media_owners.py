"""RTP before game and fieldbus owners: inside the UDP ranges the guides
document for RTP (16384-32767), Wireshark 4.0 registers other dissectors on
some ports (`tshark -G decodes`: Quake on 26000, Quake III on 27950-27963,
MINT on 24576-24577). A consistent RTP run there is RTP, and is never first
called the owner's protocol (protocol_mismatch raised, then withdrawn); a
payload that is no RTP run stays the owner's, as stock decodes it."""
from __future__ import annotations

import os
import struct
import subprocess

import pytest

import conftest
from captures import pcap as pg
from test_scanner import scanner  # noqa: F401 (the fixture: the built ciscouc-scan)

# (client, client port, server, server port, owner of a port as Wireshark 4.0 registers it)
RTP_CALLS = [
    ("10.20.0.1", 26002, "10.20.0.2", 27960, "quake3"),
    ("10.20.1.1", 26002, "10.20.1.2", 24576, "mint"),
    ("10.20.2.1", 26000, "10.20.2.2", 26002, "quake"),  # the owner's port is the lower one, and sends first
]
# Quake (Wireshark epan/dissectors/packet-quake.c, id Software's net_dgrm.c):
# a control packet is NETFLAG_CTL | length, then CCREQ_CONNECT (0x01), the
# game name "QUAKE" and NET_PROTOCOL_VERSION 3. Its first two bytes, 0x80 0x00,
# read as an RTP version 2 header: repeated, the packets make no RTP run.
QUAKE_CONNECT_BODY = b"\x01QUAKE\x00\x03"
QUAKE_CONNECT = struct.pack(">HH", 0x8000, 4 + len(QUAKE_CONNECT_BODY)) + QUAKE_CONNECT_BODY
# Quake III Arena (packet-quake3.c): a connectionless packet starts with four
# 0xff bytes, then a text command; no RTP version 2 header at all.
QUAKE3_GETSTATUS = b"\xff\xff\xff\xffgetstatus\n"
NEAR_MISSES = [
    ("10.20.3.1", 40000, "10.20.3.2", 26000, "quake", QUAKE_CONNECT),
    ("10.20.4.1", 40001, "10.20.4.2", 27960, "quake3", QUAKE3_GETSTATUS),
]
FLAGS = [f"ciscouc.{f}" for f in conftest.FLAG_NAMES]


@pytest.fixture(scope="module")
def capture(workdir) -> str:
    cap = pg.Capture()
    for i, (a, ap, b, bp, _owner) in enumerate(RTP_CALLS):
        pg.rtp_call(cap, a, ap, b, bp, packets=10, ssrc_a=0x2A000001 + 2 * i, ssrc_b=0x2A000002 + 2 * i)
    for a, ap, b, bp, _owner, payload in NEAR_MISSES:
        for _ in range(4):
            cap.udp(a, ap, b, bp, payload)
    return cap.write(os.path.join(workdir, "media_owners.pcap"))


def _conv_rows(tshark, path: str, extra: list[str]) -> dict[tuple[str, str], dict[str, str]]:
    out = tshark.run(["-r", path, "-q", "-z", "ciscouc,conv", *extra]).stdout
    lines = [l for l in out.splitlines() if "\t" in l]
    header = lines[0].split("\t")
    rows = [dict(zip(header, l.split("\t"))) for l in lines[1:]]
    return {(r["Client"], r["Server"]): r for r in rows}


def _row(rows, a, ap, b, bp):
    for key in ((f"{a}:{ap}", f"{b}:{bp}"), (f"{b}:{bp}", f"{a}:{ap}")):
        if key in rows:
            return rows[key]
    raise AssertionError(f"no conversation {a}:{ap} <-> {b}:{bp} in {sorted(rows)}")


def _flag_frames(tshark, path: str, extra: list[str]) -> list[tuple[str, str]]:
    """(frame, flag) for every ciscouc flag raised as expert info."""
    rows = tshark.fields(path, ["frame.number", *FLAGS], extra=extra, two_pass="-2" in extra, details=None)
    return [(r["frame.number"], f) for r in rows for f in FLAGS if r[f]]


DECODE = {"rtp-decoded": ["-o", "ciscouc.rtp_decode:TRUE"], "rtp-as-data": ["-o", "ciscouc.rtp_decode:FALSE"]}


@pytest.mark.parametrize("decode", sorted(DECODE))
def test_rtp_run_on_a_game_or_fieldbus_port_is_rtp(tshark, capture, decode):
    for passes in ([], ["-2"]):
        rows = _conv_rows(tshark, capture, DECODE[decode] + passes)
        for a, ap, b, bp, owner in RTP_CALLS:
            r = _row(rows, a, ap, b, bp)
            assert r["Detected"] == "RTP", (owner, passes, r)
            assert "protocol_mismatch" not in r["Flags"], (owner, passes, r)


@pytest.mark.parametrize("decode", sorted(DECODE))
def test_one_pass_and_two_passes_raise_the_same_flags_on_the_same_frames(tshark, capture, decode):
    one = _conv_rows(tshark, capture, DECODE[decode])
    two = _conv_rows(tshark, capture, DECODE[decode] + ["-2"])
    if decode == "rtp-decoded":
        # Wireshark's RTP dissector keeps a conversation per direction from
        # the stream's setup on (rtp_add_address), and on the second pass it
        # also decodes the packets before the setup frame: the same rows,
        # counting packets differently (so does RTP that heur_rtp finds on
        # ports nothing owns). Everything ciscouc decides must agree.
        counts = ("Packets", "Bytes", "First", "Last")
        one, two = ({k: {f: v for f, v in r.items() if f not in counts} for k, r in t.items()} for t in (one, two))
    assert one == two
    one_flags = _flag_frames(tshark, capture, DECODE[decode])
    assert one_flags == _flag_frames(tshark, capture, DECODE[decode] + ["-2"])
    # No conversation of an RTP call is flagged at all: no flag raised on the
    # owner's decode and withdrawn when the run confirms.
    rtp_frames = {str(n) for n in range(1, 20 * len(RTP_CALLS) + 1)}
    assert not [ff for ff in one_flags if ff[0] in rtp_frames], one_flags


def test_payload_that_is_no_rtp_run_stays_the_owners(tshark, capture):
    rows = _conv_rows(tshark, capture, ["-2"])
    first = 20 * len(RTP_CALLS) + 1
    frames = tshark.fields(capture, ["frame.number", "frame.protocols"])[first - 1:]
    for i, (a, ap, b, bp, owner, _payload) in enumerate(NEAR_MISSES):
        r = _row(rows, a, ap, b, bp)
        assert r["Detected"] == owner, r
        # The guides document RTP on the port: the owner's protocol is a mismatch.
        assert "protocol_mismatch" in r["Flags"].split(","), r
        for f in frames[4 * i:4 * i + 4]:
            assert f["frame.protocols"].split(":")[4] == owner, f


def test_disabled_ciscouc_leaves_game_ports_to_their_stock_owners(tshark, capture):
    args = ["-r", capture, "-T", "fields", "-e", "frame.protocols"]
    stock = tshark.run(args, plugin=False).stdout.splitlines()
    disabled = tshark.run([*args, "--disable-protocol", "ciscouc"]).stdout.splitlines()
    assert disabled == stock
    # Enabled, the near misses keep stock's stack too.
    enabled = tshark.run(args).stdout.splitlines()
    first = 20 * len(RTP_CALLS)
    assert enabled[first:] == stock[first:]
    assert all(":quake" in s or ":mint" in s for s in stock[:first]), stock[:first]


def test_scanner_follows_the_same_rule(tshark, scanner, capture):
    """ciscouc-scan emulates the port owners: its table equals the plugin's."""
    plugin = tshark.run(["-r", capture, "-q", "-2", "-z", "ciscouc,conv"]).stdout
    scan = subprocess.run([scanner, "--claims", "port", capture], capture_output=True, text=True, check=True).stdout
    footer = "ciscouc-scan: "  # the scanner's last line: frames and conversations read
    assert [l for l in scan.splitlines() if not l.startswith(footer)] == plugin.splitlines()


def test_uc_signalling_on_a_game_port_is_uc(tshark_evidence, scanner, workdir):  # noqa: F811
    """SIP and MGCP over UDP on Quake's 26000 (inside the RTP range): the strict
    UC signatures run before the owner; a Quake packet there stays Quake."""
    cap = pg.Capture()
    cap.udp("10.21.0.1", 40010, "10.21.0.2", 26000, pg.sip("OPTIONS", "sip:10.21.0.2:26000", "10.21.0.1", 40010))
    cap.udp("10.21.1.1", 40011, "10.21.1.2", 26000, pg.mgcp("RSIP", 7, "*@gw.example.com", "RM: restart"))
    cap.udp("10.21.2.1", 40012, "10.21.2.2", 26000, QUAKE_CONNECT)
    path = cap.write(os.path.join(workdir, "signalling_on_26000.pcap"))
    rows = tshark_evidence.fields(path, ["frame.protocols", "ciscouc.detected"])
    assert rows[0]["frame.protocols"].endswith(":udp:sip") and rows[0]["ciscouc.detected"] == "SIP", rows[0]
    assert rows[1]["frame.protocols"].endswith(":udp:mgcp") and rows[1]["ciscouc.detected"] == "MGCP", rows[1]
    stock = tshark_evidence.run(["-r", path, "-T", "fields", "-e", "frame.protocols"], plugin=False).stdout.split()
    assert all(":udp:quake" in p for p in stock), stock  # stock gives all three to Quake
    assert rows[2]["frame.protocols"] == stock[2] and rows[2]["ciscouc.detected"] != "SIP", rows[2]
    disabled = tshark_evidence.fields(path, ["frame.protocols"], ["--disable-protocol", "ciscouc"])
    assert [r["frame.protocols"] for r in disabled] == stock
    plugin = _conv_rows(tshark_evidence, path, ["-2"])
    scan = subprocess.run([scanner, path], capture_output=True, text=True, check=True).stdout
    lines = [l for l in scan.splitlines() if "\t" in l]
    head = lines[0].split("\t")
    scanned = {(r["Client"], r["Server"]): r for r in (dict(zip(head, l.split("\t"))) for l in lines[1:])}
    assert {k: (v["Listener"], v["Detected"], v["Flags"]) for k, v in plugin.items()} == \
        {k: (v["Listener"], v["Detected"], v["Flags"]) for k, v in scanned.items()}
