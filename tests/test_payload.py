"""Detection follows the bytes: on UC ports, what the payload really is (TLS,
SSH, cleartext SIP) decides ciscouc.detected, insecure and protocol_mismatch,
whichever stock dissector owns the port."""
from __future__ import annotations

import os

import pytest

from captures import pcap as pg


@pytest.fixture(scope="module")
def secure_ports(workdir, tshark):
    cap = pg.Capture()
    cap.tcp_handshake("10.8.0.1", 48000, "10.8.0.2", 5060)
    cap.tcp("10.8.0.1", 48000, "10.8.0.2", 5060, pg.tls_client_hello("cucm.example.com"))
    cap.tcp_handshake("10.8.1.1", 48001, "10.8.1.2", 2000)
    cap.tcp("10.8.1.2", 2000, "10.8.1.1", 48001, pg.ssh_banner("OpenSSH_9.2"))
    cap.tcp("10.8.1.1", 48001, "10.8.1.2", 2000, pg.ssh_banner("OpenSSH_9.2"))
    cap.tcp_handshake("10.8.2.1", 48002, "10.8.2.2", 5061)
    cap.tcp("10.8.2.1", 48002, "10.8.2.2", 5061, pg.sip("OPTIONS", "sip:10.8.2.2:5061", "10.8.2.1", 48002, "TCP"))
    path = cap.write(os.path.join(workdir, "secure_ports.pcap"))
    rows = tshark.fields(path, ["tcp.stream", "ciscouc.detected", "ciscouc.flags"])
    return {s: rows_of for s, rows_of in ((s, [r for r in rows if r["tcp.stream"] == str(s)]) for s in range(3))}


def _last(rows, field):
    return rows[-1][field]


def test_tls_client_hello_on_5060_is_not_cleartext_sip(secure_ports):
    rows = secure_ports[0]
    assert _last(rows, "ciscouc.detected") == "TLS"
    assert not any("insecure" in r["ciscouc.flags"] for r in rows), rows


def test_ssh_on_2000_is_a_protocol_mismatch_not_cleartext(secure_ports):
    rows = secure_ports[1]
    assert _last(rows, "ciscouc.detected") == "SSH"
    flags = _last(rows, "ciscouc.flags").split(",")
    assert "protocol_mismatch" in flags and "insecure" not in flags, rows


def test_cleartext_sip_on_5061_is_insecure(secure_ports):
    rows = secure_ports[2]
    assert _last(rows, "ciscouc.detected") == "SIP"
    assert "insecure" in _last(rows, "ciscouc.flags").split(","), rows


def test_icmp_error_quoting_sip_creates_no_conversation(workdir, tshark):
    from scapy.all import ICMP, IP, UDP, Ether, Raw  # type: ignore
    cap = pg.Capture()
    invite = pg.sip("INVITE", "sip:100@10.8.5.2", "10.8.5.1", 5060)
    quoted = IP(src="10.8.5.1", dst="10.8.5.2") / UDP(sport=5060, dport=5060) / Raw(invite)
    cap.add_frame(Ether(src="00:00:5e:00:53:02", dst="00:00:5e:00:53:01") /
                  IP(src="10.8.5.2", dst="10.8.5.1") / ICMP(type=3, code=3) / Raw(bytes(quoted)[:28 + 200]))
    path = cap.write(os.path.join(workdir, "icmp_quotes_sip.pcap"))
    row = tshark.fields(path, ["frame.protocols", "ciscouc.detected", "ciscouc.flags", "ciscouc.purpose"])[0]
    assert "icmp" in row["frame.protocols"] and "sip" in row["frame.protocols"], row
    assert row["ciscouc.detected"] == "" and row["ciscouc.flags"] == "", row
    # The frame is ICMP (its IP-protocol rows), never the quoted SIP.
    assert "Internet Control Message Protocol" in row["ciscouc.purpose"], row
    assert "Session Initiation" not in row["ciscouc.purpose"], row
    conv = tshark.run(["-r", path, "-q", "-z", "ciscouc,conv"]).stdout
    assert "5060" not in conv, conv


# The first message of a separate H.245 channel (ITU-T H.245 terminalCapabilitySet,
# as in h323_ss_hold_transfer.pcapng frame 17): TPKT, then the PER-encoded
# message with the protocolIdentifier OID 0.0.8.245.0.7.
H245_TCS = bytes([3, 0, 0, 20, 0x02, 0x70, 0x01, 0x06, 0x00, 0x08, 0x81, 0x75, 0x00, 0x07,
                  0x80, 0x13, 0x80, 0x00, 0x14, 0x00])


@pytest.fixture(scope="module")
def h245_channels(workdir, tshark_evidence):
    cap = pg.Capture()
    # 0: the H.245 channel on the ephemeral port an H.225 message announced.
    cap.tcp_handshake("10.8.5.1", 49893, "10.8.5.2", 33787)
    cap.tcp("10.8.5.1", 49893, "10.8.5.2", 33787, H245_TCS)
    # 1: near miss: TPKT framing with another OID (0.0.8.246) is no H.245.
    cap.tcp_handshake("10.8.6.1", 49894, "10.8.6.2", 33788)
    cap.tcp("10.8.6.1", 49894, "10.8.6.2", 33788, H245_TCS[:11] + b"\x76" + H245_TCS[12:])
    path = cap.write(os.path.join(workdir, "h245_channels.pcap"))
    rows = tshark_evidence.fields(path, ["tcp.stream", "frame.protocols", "ciscouc.detected", "ciscouc.flags",
                                          "ciscouc.entry", "ciscouc.evidence"])
    return {s: [r for r in rows if r["tcp.stream"] == str(s)] for s in range(2)}


def test_h245_channel_is_h245_documented_on_ephemeral_ports(h245_channels, tshark_evidence, workdir):
    rows = h245_channels[0]
    stock = tshark_evidence.run(["-r", os.path.join(workdir, "h245_channels.pcap"), "-T", "fields",
                                 "-e", "frame.protocols", "-Y", "tcp.stream == 0 && tcp.len > 0"],
                                plugin=False).stdout.split()
    if stock == ["eth:ethertype:ip:tcp:data"]:
        assert rows[-1]["frame.protocols"].endswith(":tcp:h245:h245"), rows[-1]
    else:
        # A stock heuristic tried before ciscouc's claims it (Wireshark 4.4's
        # HiPerConTracer): the stack stays stock's.
        assert [rows[-1]["frame.protocols"]] == stock, (rows[-1], stock)
    assert _last(rows, "ciscouc.detected") == "H.245"
    assert not any(r["ciscouc.flags"] for r in rows), rows
    # Gateway <-> Unified CM, "Ephemeral / TCP" (CallManager 4.2 table 7 row 12).
    assert "cucm42-en.t7.r12" in _last(rows, "ciscouc.entry").split("|")
    assert _last(rows, "ciscouc.evidence") == "confirmed"


def test_tpkt_with_another_oid_is_not_h245(h245_channels):
    rows = h245_channels[1]
    assert "h245" not in rows[-1]["frame.protocols"], rows[-1]
    assert _last(rows, "ciscouc.detected") != "H.245"


@pytest.fixture(scope="module")
def https_port(workdir, tshark_evidence):
    cap = pg.Capture()
    # 10.8.7.2 registers a phone (SCCP on 2000): a Unified CM.
    cap.tcp_handshake("10.8.7.5", 50000, "10.8.7.2", 2000)
    cap.tcp("10.8.7.5", 50000, "10.8.7.2", 2000, pg.sccp_register())
    # 1: plain HTTP to its 8443, the guides' secure counterpart of HTTP's 8080.
    cap.tcp_handshake("10.8.7.9", 50001, "10.8.7.2", 8443)
    cap.tcp("10.8.7.9", 50001, "10.8.7.2", 8443, pg.http_get("10.8.7.2", "/ccmadmin/"))
    # 2: near miss: TLS there.
    cap.tcp_handshake("10.8.7.9", 50002, "10.8.7.2", 8443)
    cap.tcp("10.8.7.9", 50002, "10.8.7.2", 8443, pg.tls_client_hello("cucm.example.com"))
    # 3: near miss: plain HTTP to 8443 of a host that shows no UC role (any web server).
    cap.tcp_handshake("10.8.8.9", 50003, "10.8.8.2", 8443)
    cap.tcp("10.8.8.9", 50003, "10.8.8.2", 8443, pg.http_get("10.8.8.2", "/"))
    path = cap.write(os.path.join(workdir, "https_port.pcap"))
    rows = tshark_evidence.fields(path, ["tcp.stream", "ciscouc.detected", "ciscouc.flags", "ciscouc.insecure",
                                          "_ws.expert.message"])
    return {s: [r for r in rows if r["tcp.stream"] == str(s)] for s in range(4)}


def test_plain_http_on_8443_of_a_unified_cm_is_insecure(https_port):
    rows = https_port[1]
    assert _last(rows, "ciscouc.detected") == "HTTP"
    assert "insecure" in _last(rows, "ciscouc.flags").split(","), rows
    raised = [r["_ws.expert.message"] for r in rows if r["ciscouc.insecure"]]  # once, with its reason
    assert len(raised) == 1 and "secure counterpart of HTTP on 8080" in raised[0], raised


def test_tls_on_8443_and_http_to_an_ordinary_8443_are_not_flagged(https_port):
    assert not any(r["ciscouc.flags"] for r in https_port[2]), https_port[2]
    assert _last(https_port[3], "ciscouc.detected") == "HTTP"
    assert not any(r["ciscouc.flags"] for r in https_port[3]), https_port[3]
