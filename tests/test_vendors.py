"""Vendor-true roles (issue 22): a host's vendor from its own words.

A Yealink phone registering to an Asterisk, which answers "Server: Asterisk
PBX", and a call the Asterisk sends on 5080: the Asterisk is a "SIP server"
named Asterisk, never a Unified CM; their conversations carry no Cisco purpose
and no flag. Near misses in the same capture: a Cisco phone registering to a
registrar that names no vendor makes it a Unified CM (a Cisco user agent
registers to it), a user agent that names nothing makes its registrar a SIP
server whose SIP on 5060 stays confirmed by its payload, and a Linphone
registering to a Unified CM that names Cisco is a third-party phone there.
An SCCP device registering with a name that is not SEP<MAC> is what its
device type says (an FXS port's AnalogPhone is a phone); without a type the
table names, a media resource. Plugin and scanner print the same tables (the
same core rules).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess

import pytest

import conftest
from captures import pcap as pg

YEALINK, ASTERISK = "192.0.2.21", "192.0.2.1"
CISCO_PHONE, CUCM = "192.0.2.31", "192.0.2.3"
LINPHONE, CUCM2 = "192.0.2.41", "192.0.2.4"
ANON, REGISTRAR = "192.0.2.51", "192.0.2.5"
FXS, CFB, CUCM3 = "192.0.2.61", "192.0.2.62", "192.0.2.6"
PHONE4, CUCM4 = "192.0.2.71", "192.0.2.7"
LAPTOP, WEB, OTHER = "192.0.2.81", "198.51.100.80", "192.0.2.8"
FAR = "192.0.2.91"
DHCP_SERVER, TFTP1, RENEWING = "192.0.2.100", "192.0.2.101", "192.0.2.102"
SCANNER = os.path.join(os.path.abspath(conftest.BUILD), "scanner", "ciscouc-scan")


def _ucstats():
    spec = importlib.util.spec_from_file_location("ucstats", os.path.join(conftest.ROOT, "tools", "ucstats.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ucstats = _ucstats()


def register(cap: pg.Capture, phone: str, registrar: str, agent: str | None, server: str | None, call_id: str) -> None:
    via = f"Via: SIP/2.0/UDP {phone}:5060;branch=z9hG4bK{call_id}"
    cap.udp(phone, 5060, registrar, 5060, pg.sip_message(
        f"REGISTER sip:{registrar} SIP/2.0",
        [via, f"From: <sip:100@{registrar}>;tag=1", f"To: <sip:100@{registrar}>", f"Call-ID: {call_id}",
         "CSeq: 1 REGISTER", f"Contact: <sip:100@{phone}:5060>", "Max-Forwards: 70", *([f"User-Agent: {agent}"] if agent else [])]))
    cap.udp(registrar, 5060, phone, 5060, pg.sip_message(
        "SIP/2.0 200 OK",
        [via, f"From: <sip:100@{registrar}>;tag=1", f"To: <sip:100@{registrar}>;tag=2", f"Call-ID: {call_id}",
         "CSeq: 1 REGISTER", *([f"Server: {server}"] if server else [])]))


@pytest.fixture(scope="module")
def tables(tshark_evidence, workdir):
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    cap = pg.Capture()
    register(cap, YEALINK, ASTERISK, "Yealink SIP-T46S 66.84.0.15", "Asterisk PBX 1.6.0.6", "y1")
    # SIP on 5080, a port no guide documents for it: unexpected_port between Cisco hosts.
    cap.udp(ASTERISK, 5080, YEALINK, 5080, pg.sip_message(
        f"INVITE sip:100@{YEALINK} SIP/2.0",
        [f"Via: SIP/2.0/UDP {ASTERISK}:5080;branch=z9hG4bKa1", f"From: <sip:200@{ASTERISK}>;tag=3",
         f"To: <sip:100@{YEALINK}>", "Call-ID: a1", "CSeq: 1 INVITE", "User-Agent: Asterisk PBX 1.6.0.6"]))
    register(cap, CISCO_PHONE, CUCM, "Cisco-CP8841/12.5.1", None, "c1")
    register(cap, LINPHONE, CUCM2, "Linphone/3.6.1 (eXosip2/4.1.0)", "Cisco-CUCM12.5", "l1")
    register(cap, ANON, REGISTRAR, None, None, "n1")
    for host, port, name, kind in ((FXS, 51000, "ANC288093711081", 0x754b), (CFB, 51001, "CFB0015F9B71800", 14)):
        cap.tcp_handshake(host, port, CUCM3, 2000)
        cap.tcp(host, port, CUCM3, 2000, pg.sccp_register(name, kind))
    # UC payload on ports documented for other purposes: SIP on 1090/tcp (RMI,
    # Unified CM -> RTMT), a phone's SCCP on 8002/tcp (SDL between Unified CM
    # nodes); near miss: the same phone's SCCP on 2000.
    cap.tcp_handshake(PHONE4, 52000, CUCM4, 1090)
    cap.tcp(PHONE4, 52000, CUCM4, 1090, pg.sip("REGISTER", f"sip:{CUCM4}", PHONE4, 52000, transport="TCP"))
    for port, dport in ((52001, 2000), (52002, 8002)):
        cap.tcp_handshake(PHONE4, port, CUCM4, dport)
        cap.tcp(PHONE4, port, CUCM4, dport, pg.sccp_register("SEP0011AABBCC71"))
    # DHCP: an offer naming a TFTP server (option 150); a phone renewing its
    # lease from its own address with Cisco's option 60; near miss: the same
    # option 60 in a Discover from 0.0.0.0 names no host.
    phone60 = (60, b"Cisco Systems, Inc. IP Phone CP-7970G")
    cap.udp("0.0.0.0", 68, "255.255.255.255", 67, pg.dhcp(1, 1, [phone60]))
    cap.udp(DHCP_SERVER, 67, "255.255.255.255", 68, pg.dhcp(2, 2, [(150, bytes([192, 0, 2, 101]))], yiaddr=RENEWING))
    cap.udp(RENEWING, 68, DHCP_SERVER, 67, pg.dhcp(1, 3, [phone60], ciaddr=RENEWING))
    # The Unified CM tells the phone where to send media: the far end is a media endpoint.
    cap.tcp(CUCM4, 2000, PHONE4, 52001, pg.sccp_start_media_transmission(1, 2, FAR, 20000, 3))
    # Web traffic: a laptop's HTTP to a web server (AXL/SOAP on 80 rides on
    # HTTP: not even possible); the phone's TLS to a host with no role on 8443
    # (possible only: listed apart); to its Unified CM (confirmed).
    cap.tcp_handshake(LAPTOP, 53000, WEB, 80)
    cap.tcp(LAPTOP, 53000, WEB, 80, pg.http_get("www.example.com"))
    for port, server in ((53001, OTHER), (53002, CUCM4)):
        cap.tcp_handshake(PHONE4, port, server, 8443)
        cap.tcp(PHONE4, port, server, 8443, pg.tls_client_hello("uds.example.com"))
    path = cap.write(os.path.join(workdir, "vendors.pcap"))
    plugin = tshark_evidence.run(["-q", "-2", "-r", path, "-z", "ciscouc,conv", "-z", "ciscouc,hosts"]).stdout
    scan = subprocess.run([SCANNER, "--hosts", path], capture_output=True, text=True, check=True).stdout
    return {"plugin": plugin, "scanner": scan}


@pytest.mark.parametrize("engine", ["plugin", "scanner"])
def test_a_host_naming_another_vendor_is_no_unified_cm(tables, engine):
    hosts = {h["address"]: h for h in ucstats.hosts(tables[engine])}
    assert hosts[ASTERISK]["roles"] == "SIP server" and hosts[ASTERISK]["vendor"] == "Asterisk", hosts
    assert hosts[YEALINK]["roles"] == "Phone" and hosts[YEALINK]["vendor"] == "Yealink", hosts
    assert "Asterisk: SIP frame 2" in hosts[ASTERISK]["evidence"]
    # Near misses: a Cisco user agent's registrar is a Unified CM; a vendorless one a SIP server.
    assert hosts[CUCM]["roles"] == "Unified CM" and hosts[CUCM]["vendor"] == "", hosts
    assert hosts[CISCO_PHONE]["vendor"] == "Cisco"
    assert hosts[REGISTRAR]["roles"] == "SIP server" and hosts[REGISTRAR]["vendor"] == "", hosts
    assert hosts[CUCM2]["roles"] == "Unified CM" and hosts[CUCM2]["vendor"] == "Cisco", hosts


@pytest.mark.parametrize("engine", ["plugin", "scanner"])
def test_an_sccp_device_is_what_its_device_type_says(tables, engine):
    hosts = {h["address"]: h for h in ucstats.hosts(tables[engine])}
    assert hosts[FXS]["roles"] == "Phone" and hosts[FXS]["vendor"] == "Cisco", hosts
    # Near miss: type 14 is not in Wireshark's DeviceType table: the name rule stands.
    assert hosts[CFB]["roles"] == "Media resource", hosts
    assert hosts[CUCM3]["roles"] == "Unified CM", hosts
    # DHCP option 150 names a TFTP server; option 60 from a renewing phone names it.
    assert hosts[TFTP1]["roles"] == "TFTP server" and hosts[TFTP1]["evidence"].startswith("TFTP server: DHCP frame")
    assert hosts[RENEWING]["roles"] == "Phone" and hosts[RENEWING]["vendor"] == "Cisco", hosts
    assert "0.0.0.0" not in hosts and DHCP_SERVER not in hosts
    # The far end a StartMediaTransmission names terminates media.
    assert hosts[FAR]["roles"] == "Media endpoint" and hosts[FAR]["evidence"].startswith("Media endpoint: SCCP frame")


@pytest.mark.parametrize("engine", ["plugin", "scanner"])
def test_their_conversations_carry_no_cisco_purpose_and_no_flag(tables, engine):
    rows = {(r["client"].rsplit(":", 1)[0], r["server"]): r for r in ucstats.conversations(tables[engine])}
    reg = rows[(YEALINK, f"{ASTERISK}:5060")]
    assert reg["detected"] == "SIP" and reg["evidence"] != "confirmed" and not reg["entry"] and not reg["flags"], reg
    assert reg["server_role"] == "SIP server (Asterisk)" and reg["client_role"] == "Phone (Yealink)", reg
    assert reg["evidence_detail"] == "an end names another vendor than Cisco: no Cisco purpose", reg
    call = [r for r in rows.values() if r["transport"] == "udp" and ":5080" in r["client"] + r["server"]]
    assert len(call) == 1 and call[0]["detected"] == "SIP" and not call[0]["flags"] and not call[0]["entry"], call
    # Near misses: SIP on 5060 to a Unified CM, to a SIP server that named no
    # vendor, and from a Linphone to a Unified CM that names Cisco, is confirmed.
    for phone, server in ((CISCO_PHONE, CUCM), (ANON, REGISTRAR), (LINPHONE, CUCM2)):
        r = rows[(phone, f"{server}:5060")]
        assert r["evidence"] == "confirmed" and r["entry"] and r["evidence_detail"].startswith("SIP payload"), r


@pytest.mark.parametrize("engine", ["plugin", "scanner"])
def test_uc_payload_on_another_purposes_port_is_unexpected(tables, engine):
    rows = {(r["client"].rsplit(":", 1)[0], r["server"]): r for r in ucstats.conversations(tables[engine])}
    for port, proto in ((1090, "SIP"), (8002, "SCCP")):
        r = rows[(PHONE4, f"{CUCM4}:{port}")]
        assert r["detected"] == proto and "unexpected_port" in r["flags"].split(","), r
    near = rows[(PHONE4, f"{CUCM4}:2000")]
    assert near["detected"] == "SCCP" and "unexpected_port" not in near["flags"] and near["evidence"] == "confirmed", near


@pytest.mark.parametrize("engine", ["plugin", "scanner"])
def test_tables_list_confirmed_purposes_and_possible_ones_apart(tables, engine):
    rows = {(r["client"].rsplit(":", 1)[0], r["server"]): r for r in ucstats.conversations(tables[engine])}
    web = rows[(LAPTOP, f"{WEB}:80")]
    assert not web["entry"] and not web["possible"] and not web["evidence"], web
    possible = rows[(PHONE4, f"{OTHER}:8443")]
    assert possible["evidence"] == "possible" and not possible["entry"] and not possible["purpose"], possible
    assert possible["possible"] and all(e.strip() for e in possible["possible"].split(",")), possible
    confirmed = rows[(PHONE4, f"{CUCM4}:8443")]
    assert confirmed["evidence"] == "confirmed" and confirmed["entry"] and confirmed["entry"] not in confirmed["possible"]


def test_plugin_and_scanner_print_the_same_tables(tables):
    for read in (ucstats.hosts, ucstats.conversations):
        plugin, scan = read(tables["plugin"]), read(tables["scanner"])
        assert plugin == scan
