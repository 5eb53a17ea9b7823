"""Evidence before claims (issue 13): a label needs evidence from the capture.

An office capture with no Cisco UC host (web, DNS, DHCP, NTP, LDAP, SSH, SMB,
TLS on 5222 as WhatsApp uses it, a SYN scan) gets no confirmed purpose and no
flag. The same conversations next to a phone registering to a Unified CM:
the Unified CM's rows become confirmed, the role-matching row first.
"""
from __future__ import annotations

import os
import struct

import pytest
from scapy.all import BOOTP, DHCP, DNS, DNSQR, IP, NTP, UDP, Ether  # type: ignore

from captures import pcap as pg
from conftest import parse_fields

LAPTOP, LAPTOP2, WEB, DNS_SERVER, DC, FILES = "192.0.2.10", "192.0.2.11", "198.51.100.80", "192.0.2.53", "192.0.2.2", "192.0.2.3"
PHONE, CUCM = "192.0.2.50", "192.0.2.60"

# LDAPv3 simple bindRequest (RFC 4511 section 4.2): messageID 1, version 3, empty name and password.
LDAP_BIND = bytes.fromhex("300c020101600702010304008000")
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"
# SMB2 NEGOTIATE request in a NetBIOS session message ([MS-SMB2] 2.2.1 and 2.2.3).
SMB2_NEGOTIATE = (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b"\0" * 16) +
                  struct.pack("<HHHHI16sIHH", 36, 1, 1, 0, 0, b"\x11" * 16, 0, 0, 0) + struct.pack("<H", 0x0202))
SMB2_NBSS = struct.pack("!I", len(SMB2_NEGOTIATE)) + SMB2_NEGOTIATE


def office(cap: pg.Capture) -> None:
    """Ordinary office traffic between hosts that are no Cisco UC device."""
    for port, payload in ((443, pg.tls_client_hello("www.example.com")), (8443, pg.tls_client_hello("intranet")),
                          (80, pg.http_get("www.example.com")), (8080, pg.http_get("proxy.example.com")),
                          (5222, pg.tls_client_hello("e1.whatsapp.net")), (389, LDAP_BIND), (22, SSH_BANNER),
                          (445, SMB2_NBSS)):
        server = DC if port == 389 else FILES if port in (22, 445) else WEB
        sport = 40000 + port % 10000
        cap.tcp_handshake(LAPTOP, sport, server, port)
        cap.tcp(LAPTOP, sport, server, port, payload)
        cap.tcp(server, port, LAPTOP, sport, b"\x17\x03\x03\x00\x10" + b"\x00" * 16 if port in (443, 8443, 5222)
                else b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" if port in (80, 8080) else b"\x00" * 24)
    cap.add_frame(Ether() / IP(src=LAPTOP, dst=DNS_SERVER) / UDP(sport=53001, dport=53) /
                  DNS(rd=1, qd=DNSQR(qname="www.example.com")))
    cap.add_frame(Ether() / IP(src=LAPTOP, dst=DNS_SERVER) / UDP(sport=123, dport=123) / NTP(version=4))
    cap.add_frame(Ether(src="02:00:00:00:00:10", dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
                  UDP(sport=68, dport=67) / BOOTP(chaddr=b"\x02\x00\x00\x00\x00\x10", xid=0x1234) /
                  DHCP(options=[("message-type", "discover"), "end"]))
    # A SYN scan of UC ports: no payload, so no label and no flag.
    for port in (2000, 5060, 2748, 1720, 8443, 3804, 6000):
        cap._tcp(LAPTOP2, 61000, WEB, port, "S", b"", syn=True)


def phone_and_cucm(cap: pg.Capture) -> None:
    """A phone registering to a Unified CM over SCCP, fetching its configuration
    by TFTP and asking the Unified CM's UDS over HTTPS; the Unified CM resolving
    a name."""
    cap.tcp_handshake(PHONE, 51000, CUCM, 2000)
    cap.tcp(PHONE, 51000, CUCM, 2000, pg.sccp_register("SEP0011AABBCC01"))
    cap.tcp(CUCM, 2000, PHONE, 51000, pg.sccp_register_ack())
    cap.udp(PHONE, 50069, CUCM, 69, pg.tftp_rrq("SEP0011AABBCC01.cnf.xml"))
    cap.tcp_handshake(PHONE, 51443, CUCM, 8443)
    cap.tcp(PHONE, 51443, CUCM, 8443, pg.tls_client_hello("cucm.example.com"))
    cap.tcp(CUCM, 8443, PHONE, 51443, b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00")
    cap.add_frame(Ether() / IP(src=CUCM, dst=DNS_SERVER) / UDP(sport=53002, dport=53) /
                  DNS(rd=1, qd=DNSQR(qname="ldap.example.com")))
    # The phone's HTTPS to a web server that showed no role: possible only.
    cap.tcp_handshake(PHONE, 51444, WEB, 8443)
    cap.tcp(PHONE, 51444, WEB, 8443, pg.tls_client_hello("intranet"))


@pytest.fixture(scope="module")
def captures(workdir):
    out = {}
    for name, parts in (("office", (office,)), ("office-with-phone", (office, phone_and_cucm))):
        cap = pg.Capture()
        for part in parts:
            part(cap)
        out[name] = cap.write(os.path.join(workdir, f"evidence-{name}.pcap"))
    return out


def conv_rows(tshark, path: str) -> list[dict]:
    lines = tshark.run(["-q", "-2", "-r", path, "-z", "ciscouc,conv"]).stdout.splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith("Client\tServer"))
    names = lines[head].split("\t")
    rows = []
    for line in lines[head + 1:]:
        if line.startswith("====="):
            break
        rows.append(dict(zip(names, line.split("\t"))))
    return rows


def test_office_capture_claims_nothing(tshark_evidence, captures):
    rows = conv_rows(tshark_evidence, captures["office"])
    assert len(rows) >= 15, rows
    assert [r for r in rows if r["Evidence"] == "confirmed"] == []
    assert [r for r in rows if r["Flags"]] == []
    assert all(not r["Client role"] and not r["Server role"] for r in rows)
    fields = ["frame.number", "ciscouc.summary", "ciscouc.flags", "ciscouc.evidence"]
    packets = parse_fields(tshark_evidence.run(
        ["-r", captures["office"], "-2", "-T", "fields", "-E", "separator=\t", *sum((["-e", f] for f in fields), [])]
    ).stdout, fields)
    assert packets and all(not p["ciscouc.summary"] and not p["ciscouc.flags"] for p in packets)
    assert all(p["ciscouc.evidence"] != "confirmed" for p in packets)


def test_port_mode_still_lists_every_documented_use(tshark_evidence, captures):
    rows = tshark_evidence.run(["-q", "-2", "-r", captures["office"], "-o", "ciscouc.claims:port",
                                "-z", "ciscouc,conv"]).stdout
    # HTTPS on 443 between a laptop and a web server is documented for UDS by the guides.
    assert "cucm-ja.t2.r23" in rows or "Used for Cisco User Data Services" in rows


def test_a_phone_and_its_unified_cm_confirm_their_rows(tshark_evidence, captures):
    rows = conv_rows(tshark_evidence, captures["office-with-phone"])
    by_port = {(r["Transport"], r["Server"].rsplit(":", 1)[1], r["Client"].rsplit(":", 1)[0]): r for r in rows
               if not r["Server"].startswith(WEB + ":")}
    sccp = by_port[("tcp", "2000", PHONE)]
    assert sccp["Evidence"] == "confirmed" and sccp["Detected"] == "SCCP"
    assert sccp["Client role"] == "Phone" and "Unified CM" in sccp["Server role"]
    https = by_port[("tcp", "8443", PHONE)]
    assert https["Evidence"] == "confirmed", https
    assert https["Evidence detail"].startswith("roles: Endpoint") or https["Evidence detail"].startswith("roles: Phone"), https
    tftp = by_port[("udp", "69", PHONE)]
    assert tftp["Evidence"] == "confirmed", tftp
    dns = by_port[("udp", "53", CUCM)]
    assert dns["Evidence"] == "confirmed" and dns["Evidence detail"].startswith("roles: Unified CM"), dns
    # The laptop's traffic next to them still claims nothing.
    laptop = [r for r in rows if r["Client"].startswith(LAPTOP + ":") or r["Client"].startswith(LAPTOP2 + ":")]
    assert laptop and all(r["Evidence"] != "confirmed" and not r["Flags"] for r in laptop)


def test_hosts_table_names_roles_and_their_first_frames(tshark_evidence, captures):
    out = tshark_evidence.run(["-q", "-2", "-r", captures["office-with-phone"], "-z", "ciscouc,hosts"]).stdout
    lines = out.splitlines()
    head = lines.index("Address\tRoles\tVendor\tEvidence\tConversations")
    hosts = {l.split("\t")[0]: l.split("\t") for l in lines[head + 1:] if "\t" in l}
    assert set(hosts) == {PHONE, CUCM}, hosts
    assert hosts[PHONE][1] == "Phone" and hosts[PHONE][3].startswith("Phone: SCCP frame ")
    # SCCP is Cisco's own protocol: both ends name Cisco.
    assert hosts[PHONE][2] == hosts[CUCM][2] == "Cisco"
    assert hosts[CUCM][1] == "Unified CM, TFTP server"
    assert "TFTP server: TFTP frame" in hosts[CUCM][3]


def test_role_fields_on_every_packet_of_a_conversation_with_roles(tshark_evidence, captures):
    fields = ["frame.number", "tcp.dstport", "ciscouc.client_role", "ciscouc.server_role"]
    packets = parse_fields(tshark_evidence.run(
        ["-r", captures["office-with-phone"], "-2", "-Y", f"ip.addr == {PHONE} && tcp.port == 2000", "-T", "fields", "-E", "separator=\t",
         *sum((["-e", f] for f in fields), [])]).stdout, fields)
    assert len(packets) >= 5
    assert all(p["ciscouc.client_role"] == "Phone" and p["ciscouc.server_role"] == "Unified CM, TFTP server"
               for p in packets), packets


def test_possible_uses_are_worded_as_possible_in_the_details(tshark_evidence, captures):
    out = tshark_evidence.run(["-r", captures["office-with-phone"], "-2", "-V", "-Y",
                               f"ip.src == {PHONE} && ip.dst == {WEB} && tcp.dstport == 8443 && tcp.len > 0"]).stdout
    assert "Cisco UC port usage: possible: " in out
    assert "the hosts' roles (Phone) do not show it" in out
    # Near miss: TLS on 8443 between two hosts that showed no role is not even
    # possible: a Cisco meaning riding on TLS needs a UC host (issue 22).
    out = tshark_evidence.run(["-r", captures["office"], "-2", "-V", "-Y", "tcp.dstport == 8443 && tcp.len > 0"]).stdout
    assert "Transmission Control Protocol" in out and "Cisco UC port usage: possible: " not in out
