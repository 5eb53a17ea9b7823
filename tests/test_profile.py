"""The "Cisco UC" profile (tools/install_profile.py) as Wireshark reads it:
which colouring rule paints which frame (tshark -C "Cisco UC" --color applies
the profile's colorfilters and names the rule in frame.coloring_rule.name), and
column widths written in the key format Wireshark 4.0's recent file reader
matches. tests/test_gui.py checks the same in the real GUI's pixels."""
from __future__ import annotations

import os
import struct
import subprocess

import pytest

from conftest import ROOT

TEACHING = os.path.join(ROOT, "captures")
INSTALL = os.path.join(ROOT, "tools", "install_profile.py")
DOCUMENTED = "ciscouc: documented UC conversation"


@pytest.fixture(scope="module")
def profile(tshark):
    dest = os.path.join(tshark.home, ".config", "wireshark", "profiles")
    subprocess.run(["/usr/bin/python3", INSTALL, "--dest", dest], check=True, capture_output=True)
    for d, _, files in os.walk(tshark.home):
        os.chmod(d, 0o777)
        for f in files:
            os.chmod(os.path.join(d, f), 0o666)
    return os.path.join(dest, "Cisco UC")


def colours(tshark, pcap: str) -> dict[int, str]:
    out = tshark.run(["-C", "Cisco UC", "--color", "-2", "-r", pcap, "-T", "fields", "-e", "frame.number",
                      "-e", "frame.coloring_rule.name"]).stdout
    return {int(n): rule for n, _, rule in (l.partition("\t") for l in out.splitlines())}


def frames(tshark, pcap: str, filt: str) -> set[int]:
    out = tshark.run(["-2", "-r", pcap, "-Y", filt, "-T", "fields", "-e", "frame.number"]).stdout
    return {int(n) for n in out.split()}


def test_warnings_paint_the_whole_conversation(profile, tshark):
    pcap = os.path.join(TEACHING, "misbehaviour.pcap")
    c = colours(tshark, pcap)
    # Every frame of the 5049/tcp conversation, not only the one that raised the flag.
    internal = frames(tshark, pcap, "tcp.port == 5049")
    assert len(internal) == 5 and len(frames(tshark, pcap, "ciscouc.internal_only")) == 1
    assert {c[n] for n in internal} == {"ciscouc: internal-only port between hosts"}
    assert {c[n] for n in frames(tshark, pcap, "tcp.port == 5060")} == {"ciscouc: protocol mismatch"}
    assert {c[n] for n in frames(tshark, pcap, "tcp.port == 6000 || udp.port == 6000 || tcp.port == 3000")} == \
        {"ciscouc: unexpected port"}


def test_notes_paint_only_the_flagged_frame(profile, tshark):
    for name, flag, rule in (("sip-phone-call.pcap", "insecure", "ciscouc: insecure variant"),
                             ("sccp-phone-call.pcap", "insecure", "ciscouc: insecure variant"),
                             ("misbehaviour.pcap", "not_recommended", "ciscouc: not recommended")):
        pcap = os.path.join(TEACHING, name)
        c = colours(tshark, pcap)
        raised = frames(tshark, pcap, f"ciscouc.{flag}")
        conv = frames(tshark, pcap, f'ciscouc.flags contains "{flag}"')
        assert raised, name
        if flag == "insecure":  # a call: many packets, one raised the flag
            assert len(conv) > len(raised), (name, raised, conv)
        assert {n for n, r in c.items() if r == rule} == raised, name
        # The rest of a flagged cleartext call is documented, not a flag.
        assert {c[n] for n in conv - raised} <= {DOCUMENTED}, name


def catch_all_capture(path: str) -> str:
    """Two UDP datagrams to 40000/udp, a port only catch-all ranges document
    (8000-48200 of the ASR/ISR platforms), carrying no UC protocol. Layouts:
    pcap-savefile(5), RFC 791 (IPv4), RFC 768 (UDP); checksums left zero."""
    def frame(src, dst, sport, dport, payload):
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst)) + udp
        return b"\x00\x00\x5e\x00\x53\x02\x00\x00\x5e\x00\x53\x01\x08\x00" + ip
    a, b = [10, 10, 1, 50], [10, 10, 0, 11]
    pkts = [frame(a, b, 50000, 40000, b"hello catch-all"), frame(b, a, 40000, 50000, b"reply")]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", 1767225600, i * 1000, len(p), len(p)) + p)
    os.chmod(path, 0o644)
    return path


def test_catch_all_rule_only_for_catch_all_conversations(profile, tshark, workdir):
    pcap = catch_all_capture(os.path.join(workdir, "catch-all.pcap"))
    assert set(colours(tshark, pcap).values()) == {"ciscouc: catch-all range only"}
    # Fully documented SIP on 5060 and SCCP on 2000 (a few of whose other uses
    # are catch-all ranges) are not "catch-all range only".
    for name in ("sip-phone-call.pcap", "sccp-phone-call.pcap", "mgcp-gateway.pcap", "telepresence.pcap"):
        assert "ciscouc: catch-all range only" not in colours(tshark, os.path.join(TEACHING, name)).values(), name


def test_column_widths_use_the_key_wireshark_reads(profile):
    """ui/recent.c (4.0) keys a custom column's width by "%Cus:" and its fields
    only; a key with the occurrence and display parts never matches."""
    with open(os.path.join(profile, "preferences")) as f:
        prefs = f.read()
    with open(os.path.join(profile, "recent")) as f:
        recent = f.read()
    line = [l for l in recent.splitlines() if l.startswith("column.width:")][0]
    items = [x.strip() for x in line.split(":", 1)[1].split(",")]
    widths = dict(zip(items[0::2], (int(w) for w in items[1::2])))
    assert widths["%Cus:ciscouc.summary"] >= 400
    formats = [x.strip().strip('"') for x in prefs.split("gui.column.format:", 1)[1].splitlines()[0].split(",")][1::2]
    keys = ["%Cus:" + f.split(":")[1] if f.startswith("%Cus:") else f for f in formats]
    assert list(widths) == keys
