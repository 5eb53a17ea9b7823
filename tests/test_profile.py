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


def test_every_flag_paints_its_whole_conversation(profile, tshark):
    """Notes too: ciscouc.flag.NAME is on every packet of the flagged
    conversation, the expert field ciscouc.NAME on the raising frame only."""
    for name, flag, rule in (("sip-phone-call.pcap", "insecure", "ciscouc: insecure variant"),
                             ("sccp-phone-call.pcap", "insecure", "ciscouc: insecure variant"),
                             ("misbehaviour.pcap", "not_recommended", "ciscouc: not recommended")):
        pcap = os.path.join(TEACHING, name)
        c = colours(tshark, pcap)
        raised = frames(tshark, pcap, f"ciscouc.{flag}")
        conv = frames(tshark, pcap, f'ciscouc.flags contains "{flag}"')
        assert raised and raised <= conv, (name, raised, conv)
        if flag == "insecure":  # a call: many packets, one raised the flag
            assert len(conv) > len(raised), (name, raised, conv)
        assert frames(tshark, pcap, f"ciscouc.flag.{flag}") == conv, name
        # Rules come in colour_order: a frame of a conversation that also
        # holds an earlier flag takes the earlier rule.
        earlier = frames(tshark, pcap, "ciscouc.flag.internal_only || ciscouc.flag.protocol_mismatch || "
                                       "ciscouc.flag.unexpected_port") if flag == "not_recommended" else set()
        assert {n for n, r in c.items() if r == rule} == conv - earlier, name
        # Near miss: no frame outside a flagged conversation takes the rule.
        assert not any(r == rule for n, r in c.items() if n not in conv), name


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


def conversation_keys(tshark, pcap: str, extra: list[str]) -> dict[int, tuple]:
    """Frame number -> its TCP/UDP conversation (addresses and ports, unordered)."""
    out = tshark.run(["-2", "-r", pcap, *extra, "-T", "fields", "-E", "separator=\t", "-e", "frame.number",
                      "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport",
                      "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"]).stdout
    keys = {}
    for line in out.splitlines():
        n, s4, d4, s6, d6, ts, td, us, ud = (line.split("\t") + [""] * 9)[:9]
        src, dst = s4 or s6, d4 or d6
        sp, dp, tr = (ts, td, "tcp") if ts else (us, ud, "udp")
        keys[int(n)] = (tr, *sorted([(src, sp), (dst, dp)]))
    return keys


@pytest.mark.parametrize("details", ["conversation", "compact", "full"])
def test_flag_field_on_every_packet_of_a_flagged_conversation(tshark, details):
    """ciscouc.flag.insecure matches every packet of each conversation where
    the expert info ciscouc.insecure was raised, whatever ciscouc.details is,
    and no other packet (sip-phone-call.pcap: 18 packets, 2 raising frames)."""
    pcap = os.path.join(TEACHING, "sip-phone-call.pcap")
    extra = ["-o", f"ciscouc.details:{details}"]
    keys = conversation_keys(tshark, pcap, extra)
    raised = frames(tshark, pcap, "ciscouc.insecure")
    flagged = {keys[n] for n in raised}
    expected = {n for n, k in keys.items() if k in flagged}
    got = {int(n) for n in tshark.run(["-2", "-r", pcap, *extra, "-Y", "ciscouc.flag.insecure", "-T", "fields",
                                       "-e", "frame.number"]).stdout.split()}
    assert len(raised) == 2 and len(expected) == 18
    assert got == expected
    # The flag's field holds no other flag's packets (near miss: the call's
    # conversations hold insecure only).
    assert not frames(tshark, pcap, "ciscouc.flag.unexpected_port || ciscouc.flag.not_recommended")


def test_flag_field_follows_the_flag_preference(tshark):
    """A flag turned off (ciscouc.flag_insecure:FALSE) puts its field nowhere."""
    pcap = os.path.join(TEACHING, "sip-phone-call.pcap")
    out = tshark.run(["-2", "-r", pcap, "-o", "ciscouc.flag_insecure:FALSE", "-Y", "ciscouc.flag.insecure"]).stdout
    assert out == ""


def test_every_vocabulary_flag_has_its_field(tshark):
    """One boolean field per [flags.NAME] of catalog/vocabulary.toml."""
    import install_profile
    types = tshark.field_types()
    for name in install_profile.load_flags():
        assert types.get(install_profile.flag_field(name)) == "FT_BOOLEAN", name


def test_buttons_match_whole_conversations(profile, tshark):
    """Each filter button of the profile is a valid display filter; the flag
    buttons match every packet of the flagged conversations (misbehaviour.pcap)."""
    import install_profile
    pcap = os.path.join(TEACHING, "misbehaviour.pcap")
    for label, expr, _ in install_profile.BUTTONS:
        p = tshark.run(["-2", "-r", pcap, "-Y", expr], check=False)
        assert p.returncode == 0, (label, expr, p.stderr)
    buttons = {label: expr for label, expr, _ in install_profile.BUTTONS}
    for label, flag in (("Unexpected port", "unexpected_port"), ("Internal only", "internal_only"),
                        ("Mismatch", "protocol_mismatch")):
        assert frames(tshark, pcap, buttons[label]) == frames(tshark, pcap, f'ciscouc.flags contains "{flag}"'), label
        assert len(frames(tshark, pcap, buttons[label])) > len(frames(tshark, pcap, f"ciscouc.{flag}")), label
