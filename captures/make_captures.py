"""Build the ciscouc teaching captures (deterministic, classic pcap).

  python3 -m captures.make_captures --out DIR          write every capture into DIR
  python3 -m captures.make_captures --check DIR        regenerate into a temporary folder
                                                       and compare byte for byte with DIR
  python3 -m captures.make_captures --out DIR --check  the same, for DIR
  python3 -m captures.make_captures --out DIR NAME...  only the named captures

Run from the repository root (or with PYTHONPATH set to it).

Exit status: 0 success (or identical), 1 files differ or are missing,
2 usage error. Every packet has a fixed timestamp (from captures.pcap.BASE_TIME,
2026-01-01 00:00:00 UTC), fixed addresses and fixed payloads: no randomness.
See captures/README.md for what each capture teaches.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from scapy.all import BOOTP, DHCP, IP, UDP, Ether  # type: ignore

from captures import pcap as pg
from captures.pcap import Capture


def new_capture() -> Capture:
    """A teaching capture: 1 ms steps on a clock kept in whole microseconds."""
    return Capture(pg.BASE_TIME, 0.001, whole_microseconds=True)


# ---- The lab network (documentation addresses inside 10.10.0.0/16)
CUCM_PUB = "10.10.0.11"      # Unified CM publisher (call processing, TFTP)
CUCM_SUB = "10.10.0.12"      # Unified CM subscriber
IMP = "10.10.0.21"           # IM and Presence publisher
IMP_SUB = "10.10.0.22"       # IM and Presence subscriber
SCCP_PHONE = "10.10.1.21"    # Cisco 7965 running SCCP
SCCP_PHONE_B = "10.10.1.22"  # the phone it calls
SIP_PHONE_A = "10.10.1.31"   # Cisco 8841 running SIP
SIP_PHONE_B = "10.10.1.32"
MGCP_GW = "10.10.2.1"        # ISR gateway controlled by MGCP, PRI backhauled
H323_GW = "10.10.2.2"        # ISR gateway running H.323
GATEKEEPER = "10.10.2.10"
CTS = "10.10.3.10"           # TelePresence CTS codec
CTS_REMOTE = "10.10.3.11"    # the far-end CTS
CTS_MANAGER = "10.10.3.20"
XMPP_CLIENT_1 = "10.10.4.51"
XMPP_CLIENT_2 = "10.10.4.52"
DIRECTORY = "10.10.9.10"     # Active Directory (LDAP)
NMS = "10.10.9.50"           # SNMP management station
PARTNER_XMPP = "198.51.100.20"  # a federated company's XMPP server
IMP_REMOTE = "10.20.0.21"    # IM and Presence publisher of a second cluster (intercluster peer)
XMPP_CLIENT_3 = "10.20.4.53"  # a Jabber client homed on the second cluster
SECURE_SCCP_PHONE = "10.10.1.51"  # Cisco 7965 (SCCP) moved to an encrypted security profile
SECURE_SIP_PHONE = "10.10.1.52"   # Cisco 8841 (SIP) moved to an encrypted security profile
CTI_APP = "10.10.5.30"       # a CTI application server (attendant console, recording...)

RTP_PACKETS = 60  # per direction: 1.2 s of G.711 at 20 ms


def _tftp_config(mac: str) -> bytes:
    """A shortened but well-formed SEP<mac>.cnf.xml (about 700 bytes: two TFTP blocks)."""
    return (f"""<?xml version="1.0" encoding="UTF-8"?>
<device xsi:type="axl:XIPPhone" ctiid="1566023366">
<fullConfig>true</fullConfig>
<deviceProtocol>SCCP</deviceProtocol>
<sshUserId></sshUserId>
<devicePool>
<dateTimeSetting><dateTemplate>D/M/YA</dateTemplate><timeZone>GMT Standard/Daylight Time</timeZone></dateTimeSetting>
<callManagerGroup><members><member priority="0"><callManager>
<ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>5060</sipPort><securedSipPort>5061</securedSipPort></ports>
<processNodeName>{CUCM_PUB}</processNodeName>
</callManager></member></members></callManagerGroup>
</devicePool>
<commonProfile><phonePassword></phonePassword><backgroundImageAccess>true</backgroundImageAccess></commonProfile>
<loadInformation>SCCP45.9-4-2SR3-1S</loadInformation>
<vendorConfig><disableSpeaker>false</disableSpeaker><pcPort>0</pcPort><webAccess>0</webAccess></vendorConfig>
<versionStamp>1767225000-2f0c6a1e-7b7a-4d3e-9b25-{mac.lower()}</versionStamp>
<userLocale><name>English_United_States</name><langCode>en_US</langCode></userLocale>
<networkLocale>United_States</networkLocale>
<deviceSecurityMode>1</deviceSecurityMode>
<dscpForSCCPPhoneConfig>96</dscpForSCCPPhoneConfig>
</device>
""").encode()


def sccp_phone_call() -> Capture:
    """The setup.sh demo: an SCCP phone fetches its configuration by TFTP,
    registers over TCP 2000, goes off hook and talks to another phone."""
    c = new_capture()
    mac = "001E7A3C5D21"
    phone_tftp, cucm_tftp = 49152, 37001
    # 1. TFTP: RRQ to the well-known port 69, the data comes back from an ephemeral port.
    config = _tftp_config(mac)
    c.udp(SCCP_PHONE, phone_tftp, CUCM_PUB, 69, pg.tftp_rrq(f"SEP{mac}.cnf.xml"))
    blocks = [config[i:i + 512] for i in range(0, len(config), 512)]
    if len(blocks[-1]) == 512:
        blocks.append(b"")
    for n, block in enumerate(blocks, 1):
        c.udp(CUCM_PUB, cucm_tftp, SCCP_PHONE, phone_tftp, pg.tftp_data(n, block), gap=0.002)
        c.udp(SCCP_PHONE, phone_tftp, CUCM_PUB, cucm_tftp, pg.tftp_ack(n))

    # 2. SCCP registration on TCP 2000 (cleartext; 2443 is the secure port).
    ph, cm = 51234, 2000
    c.tcp_handshake(SCCP_PHONE, ph, CUCM_PUB, cm)
    c.tcp(SCCP_PHONE, ph, CUCM_PUB, cm, pg.sccp_register(f"SEP{mac}"))
    c.tcp(CUCM_PUB, cm, SCCP_PHONE, ph, pg.sccp_register_ack(30), gap=0.004)
    c.tcp(SCCP_PHONE, ph, CUCM_PUB, cm, pg.sccp(0x0000), gap=0.05)           # KeepAlive
    c.tcp(CUCM_PUB, cm, SCCP_PHONE, ph, pg.sccp(0x0100))                     # KeepAliveAck
    c.tcp_ack(SCCP_PHONE, ph, CUCM_PUB, cm)

    # 3. The call: off hook, Unified CM opens the media channel both ways.
    conf, party, ref = 0x01000001, 0x01000011, 0x01000021
    phone_rtp, far_rtp = 24580, 28672
    c.tcp(SCCP_PHONE, ph, CUCM_PUB, cm, pg.sccp_offhook(1, 0), gap=0.5)
    c.tcp(CUCM_PUB, cm, SCCP_PHONE, ph, pg.sccp_open_receive_channel(conf, party, ref), gap=0.8)
    c.tcp(SCCP_PHONE, ph, CUCM_PUB, cm, pg.sccp_open_receive_channel_ack(SCCP_PHONE, phone_rtp, party, ref))
    c.tcp(CUCM_PUB, cm, SCCP_PHONE, ph,
          pg.sccp_start_media_transmission(conf, party, SCCP_PHONE_B, far_rtp, ref))
    c.tcp_ack(SCCP_PHONE, ph, CUCM_PUB, cm)
    # 4. RTP phone to phone, both ways, on ports in 16384-32767.
    pg.rtp_call(c, SCCP_PHONE, phone_rtp, SCCP_PHONE_B, far_rtp, RTP_PACKETS)
    # 5. Hang up.
    c.tcp(SCCP_PHONE, ph, CUCM_PUB, cm, pg.sccp_onhook(1, ref), gap=0.02)
    c.tcp(CUCM_PUB, cm, SCCP_PHONE, ph, pg.sccp_close_receive_channel(conf, party, ref))
    c.tcp(CUCM_PUB, cm, SCCP_PHONE, ph, pg.sccp_stop_media_transmission(conf, party, ref))
    c.tcp_ack(SCCP_PHONE, ph, CUCM_PUB, cm)
    return c


def _sip_headers(via: str, branch: str, frm: str, to: str, call_id: str, cseq: str, extra=()) -> list[str]:
    return [f"Via: SIP/2.0/UDP {via};branch={branch}", f"From: {frm}", f"To: {to}", f"Call-ID: {call_id}",
            f"CSeq: {cseq}", *extra]


def sip_phone_call() -> Capture:
    """A SIP phone registers (with digest challenge) and calls another SIP
    phone through Unified CM; RTP flows on the ports the SDP offered."""
    c = new_capture()
    a, b, cm = SIP_PHONE_A, SIP_PHONE_B, CUCM_PUB
    ua = "User-Agent: Cisco-CP8841/14.2.1"
    srv = "Server: Cisco-CUCM15.0"
    # A user agent names itself in User-Agent on requests and in Server on responses (RFC 3261 section 20.35).
    ua_resp = "Server: Cisco-CP8841/14.2.1"
    mac = "Contact: <sip:2001@10.10.1.31:5060;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-0c1167a8b301>\""
    reg_id = "0c1167a8-b3010001-4c1a2b3d-7e5f6a71@10.10.1.31"
    frm_a = "<sip:2001@10.10.0.11>;tag=0c1167a8b3010002"
    # 1. REGISTER, 401 with a digest challenge, REGISTER with credentials, 200.
    c.udp(a, 5060, cm, 5060, pg.sip_message("REGISTER sip:10.10.0.11 SIP/2.0", _sip_headers(
        "10.10.1.31:5060", "z9hG4bK1a2b3c01", frm_a, "<sip:2001@10.10.0.11>", reg_id, "101 REGISTER",
        ["Max-Forwards: 70", mac, ua, "Expires: 3600"])))
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 401 Unauthorized", _sip_headers(
        "10.10.1.31:5060", "z9hG4bK1a2b3c01", frm_a, "<sip:2001@10.10.0.11>;tag=811401", reg_id, "101 REGISTER",
        [srv, 'WWW-Authenticate: Digest realm="ccmsipline", nonce="Q2lzY29VQ3RlYWNoaW5nMQ==", algorithm=MD5'])),
        gap=0.003)
    c.udp(a, 5060, cm, 5060, pg.sip_message("REGISTER sip:10.10.0.11 SIP/2.0", _sip_headers(
        "10.10.1.31:5060", "z9hG4bK1a2b3c02", frm_a, "<sip:2001@10.10.0.11>", reg_id, "102 REGISTER",
        ["Max-Forwards: 70", mac, ua, "Expires: 3600",
         'Authorization: Digest username="2001",realm="ccmsipline",uri="sip:10.10.0.11",'
         'response="6629fae49393a05397450978507c4ef1",nonce="Q2lzY29VQ3RlYWNoaW5nMQ==",algorithm=MD5'])),
        gap=0.01)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        "10.10.1.31:5060", "z9hG4bK1a2b3c02", frm_a, "<sip:2001@10.10.0.11>;tag=811402", reg_id, "102 REGISTER",
        [srv, mac + ";expires=3600", "Date: Thu, 01 Jan 2026 00:00:00 GMT"])), gap=0.004)

    # 2. The call 2001 -> 2002 through Unified CM (back-to-back user agent).
    a_rtp, b_rtp = 20480, 26624
    call_a = "0c1167a8-b3010010-11223344-55667788@10.10.1.31"
    call_b = "9a8b7c00-1e61d1a1-2b@10.10.0.11"
    ftag_a = "<sip:2001@10.10.0.11>;tag=0c1167a8b3010011"
    to_a = "<sip:2002@10.10.0.11>"
    to_a_t = to_a + ";tag=1919~a1b2c3d4"
    ftag_b = "\"2001\" <sip:2001@10.10.0.11>;tag=1920~e5f6a7b8"
    to_b = "<sip:2002@10.10.1.32>"
    to_b_t = to_b + ";tag=0c1167a8b3020031"
    sdp_a = pg.sdp(a, a_rtp)
    sdp_b = pg.sdp(b, b_rtp)
    ct_a = "Contact: <sip:2001@10.10.1.31:5060;transport=udp>"
    ct_cm = "Contact: <sip:2001@10.10.0.11:5060;transport=udp>"
    ct_b = "Contact: <sip:2002@10.10.1.32:5060;transport=udp>"
    via_a, via_cm = "10.10.1.31:5060", "10.10.0.11:5060"
    c.udp(a, 5060, cm, 5060, pg.sip_message("INVITE sip:2002@10.10.0.11;user=phone SIP/2.0", _sip_headers(
        via_a, "z9hG4bK2a000001", ftag_a, to_a, call_a, "101 INVITE",
        ["Max-Forwards: 70", ct_a, ua, "Allow: ACK,BYE,CANCEL,INVITE,NOTIFY,OPTIONS,REFER,REGISTER,UPDATE"]),
        sdp_a), gap=2.0)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 100 Trying", _sip_headers(
        via_a, "z9hG4bK2a000001", ftag_a, to_a, call_a, "101 INVITE", [srv])), gap=0.002)
    c.udp(cm, 5060, b, 5060, pg.sip_message("INVITE sip:2002@10.10.1.32:5060 SIP/2.0", _sip_headers(
        via_cm, "z9hG4bK3b000001", ftag_b, to_b, call_b, "101 INVITE",
        ["Max-Forwards: 70", ct_cm, srv, "P-Asserted-Identity: \"2001\" <sip:2001@10.10.0.11>"]),
        sdp_a), gap=0.01)
    c.udp(b, 5060, cm, 5060, pg.sip_message("SIP/2.0 100 Trying", _sip_headers(
        via_cm, "z9hG4bK3b000001", ftag_b, to_b, call_b, "101 INVITE", [ua_resp])), gap=0.003)
    c.udp(b, 5060, cm, 5060, pg.sip_message("SIP/2.0 180 Ringing", _sip_headers(
        via_cm, "z9hG4bK3b000001", ftag_b, to_b_t, call_b, "101 INVITE", [ct_b, ua_resp])), gap=0.02)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 180 Ringing", _sip_headers(
        via_a, "z9hG4bK2a000001", ftag_a, to_a_t, call_a, "101 INVITE", [ct_cm.replace("2001", "2002"), srv])),
        gap=0.004)
    c.udp(b, 5060, cm, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        via_cm, "z9hG4bK3b000001", ftag_b, to_b_t, call_b, "101 INVITE", [ct_b, ua_resp]), sdp_b), gap=1.5)
    c.udp(cm, 5060, b, 5060, pg.sip_message("ACK sip:2002@10.10.1.32:5060 SIP/2.0", _sip_headers(
        via_cm, "z9hG4bK3b000002", ftag_b, to_b_t, call_b, "101 ACK", ["Max-Forwards: 70", srv])), gap=0.003)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        via_a, "z9hG4bK2a000001", ftag_a, to_a_t, call_a, "101 INVITE", [ct_cm.replace("2001", "2002"), srv]),
        sdp_b), gap=0.002)
    c.udp(a, 5060, cm, 5060, pg.sip_message("ACK sip:2002@10.10.0.11:5060 SIP/2.0", _sip_headers(
        via_a, "z9hG4bK2a000002", ftag_a, to_a_t, call_a, "101 ACK", ["Max-Forwards: 70", ua])), gap=0.003)

    # 3. Media, phone to phone, on the SDP ports.
    pg.rtp_call(c, a, a_rtp, b, b_rtp, RTP_PACKETS)

    # 4. Phone A hangs up.
    c.udp(a, 5060, cm, 5060, pg.sip_message("BYE sip:2002@10.10.0.11:5060 SIP/2.0", _sip_headers(
        via_a, "z9hG4bK2a000003", ftag_a, to_a_t, call_a, "102 BYE", ["Max-Forwards: 70", ua])), gap=0.02)
    c.udp(cm, 5060, b, 5060, pg.sip_message("BYE sip:2002@10.10.1.32:5060 SIP/2.0", _sip_headers(
        via_cm, "z9hG4bK3b000003", ftag_b, to_b_t, call_b, "102 BYE", ["Max-Forwards: 70", srv])), gap=0.003)
    c.udp(b, 5060, cm, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        via_cm, "z9hG4bK3b000003", ftag_b, to_b_t, call_b, "102 BYE", [ua_resp])), gap=0.004)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        via_a, "z9hG4bK2a000003", ftag_a, to_a_t, call_a, "102 BYE", [srv])), gap=0.002)
    return c


def _mgcp_sdp(addr: str, port: int) -> str:
    return "\r\n".join(["v=0", f"o=- 4711 0 IN IP4 {addr}", "s=Cisco SDP 0", f"c=IN IP4 {addr}", "t=0 0",
                        f"m=audio {port} RTP/AVP 0 100", "a=rtpmap:100 X-NSE/8000", "a=fmtp:100 192-194", ""])


def mgcp_gateway() -> Capture:
    """An MGCP gateway with a backhauled PRI: MGCP on UDP 2427, the PRI's
    Q.931 backhauled on TCP 2428, then RTP between the gateway and a phone."""
    c = new_capture()
    gw, cm = MGCP_GW, CUCM_PUB
    ep_all = "S0/SU0/DS1-0/*@hq-gw.example.com"
    ep = "S0/SU0/DS1-0/1@hq-gw.example.com"
    # 1. The gateway restarts its endpoints; Unified CM audits it.
    c.udp(gw, 2427, cm, 2427, pg.mgcp("RSIP", 1001, ep_all, "RM: restart\r\n"))
    c.udp(cm, 2427, gw, 2427, pg.mgcp_response(200, 1001, "OK"), gap=0.003)
    c.udp(cm, 2427, gw, 2427, pg.mgcp("AUEP", 5001, ep, "F: A\r\n"), gap=0.05)
    c.udp(gw, 2427, cm, 2427, (
        "200 5001 OK\r\nA: a:PCMU;PCMA;G.729, p:10-20, e:on, s:off, v:4, m:sendonly;recvonly;sendrecv;inactive;"
        "netwloop;netwtest\r\n").encode(), gap=0.004)
    # 2. PRI backhaul: the D channel's Q.931 travels to Unified CM over TCP 2428.
    bh = 50322
    c.tcp_handshake(gw, bh, cm, 2428)
    c.tcp(gw, bh, cm, 2428, _backhaul(1, b"\x00\x01\x7f"))            # link up
    c.tcp(cm, 2428, gw, bh, _backhaul(2, b"\x00\x01\x7f"), gap=0.003)  # ack
    c.tcp(gw, bh, cm, 2428, _backhaul(3, pg.tpkt_q931(pg.Q931_SETUP, 0x0011, False,
                                                      pg.q931_bearer_speech() +
                                                      pg.q931_number(0x6C, "4085550123") +
                                                      pg.q931_number(0x70, "2001"))[4:]), gap=0.2)
    c.tcp(cm, 2428, gw, bh, _backhaul(3, pg.tpkt_q931(pg.Q931_CALL_PROCEEDING, 0x0011, True)[4:]), gap=0.01)
    c.tcp_ack(gw, bh, cm, 2428)
    # 3. Unified CM creates the connection (with the phone's SDP); the gateway answers with its own.
    gw_rtp, phone_rtp = 16584, 24600
    c.udp(cm, 2427, gw, 2427, pg.mgcp("CRCX", 5002, ep,
                                      "C: D000000001c9a8f7\r\nL: p:20, a:PCMU, s:off, t:b8\r\nM: recvonly\r\n"
                                      f"\r\n{_mgcp_sdp(SCCP_PHONE, phone_rtp)}"), gap=0.01)
    c.udp(gw, 2427, cm, 2427, (f"200 5002 OK\r\nI: 3A1F\r\n\r\n{_mgcp_sdp(gw, gw_rtp)}").encode(), gap=0.01)
    c.udp(cm, 2427, gw, 2427, (
        f"MDCX 5003 {ep} MGCP 1.0\r\nC: D000000001c9a8f7\r\nI: 3A1F\r\nL: p:20, a:PCMU, s:off, t:b8\r\n"
        f"M: sendrecv\r\n\r\n{_mgcp_sdp(SCCP_PHONE, phone_rtp)}").encode(), gap=0.5)
    c.udp(gw, 2427, cm, 2427, pg.mgcp_response(200, 5003, "OK"), gap=0.005)
    # 4. Media: gateway <-> phone.
    pg.rtp_call(c, gw, gw_rtp, SCCP_PHONE, phone_rtp, RTP_PACKETS, ssrc_a=0x4D475731, ssrc_b=0x50484F31)
    # 5. A DTMF digit reported by the gateway, then teardown.
    c.udp(gw, 2427, cm, 2427, pg.mgcp("NTFY", 1002, ep, "X: 1\r\nO: D/5\r\n"), gap=0.02)
    c.udp(cm, 2427, gw, 2427, pg.mgcp_response(200, 1002, "OK"), gap=0.003)
    c.udp(cm, 2427, gw, 2427, pg.mgcp("DLCX", 5004, ep, "C: D000000001c9a8f7\r\nI: 3A1F\r\n"), gap=0.1)
    c.udp(gw, 2427, cm, 2427, (
        "250 5004 OK\r\nP: PS=60, OS=9600, PR=60, OR=9600, PL=0, JI=0, LA=0\r\n").encode(), gap=0.005)
    return c


def _backhaul(kind: int, body: bytes) -> bytes:
    """Cisco PRI backhaul framing as a teaching stand-in: a 2-byte big-endian
    length, a 2-byte session/message kind, then the Q.921/Q.931 content."""
    return (len(body) + 4).to_bytes(2, "big") + kind.to_bytes(2, "big") + body


def h323_gateway() -> Capture:
    """An H.323 gateway registers with a gatekeeper (RAS, UDP 1719) and places
    a PSTN call to Unified CM over H.225/Q.931 (TCP 1720), then RTP."""
    c = new_capture()
    gw, gk, cm = H323_GW, GATEKEEPER, CUCM_PUB
    ras_port = 50100
    c.udp(gw, ras_port, gk, 1719, pg.h225_ras_rrq(257, (gw, 1720), (gw, ras_port), "HQ-GW-H323"))
    c.udp(gk, 1719, gw, ras_port, pg.h225_ras_rcf(257, (gk, 1720), "GK-HQ", "6A2B1C4400000001"), gap=0.004)
    conf_id = bytes.fromhex("8f1e2d3c4b5a69788796a5b4c3d2e1f0")
    cref, port = 0x0042, 11000
    c.tcp_handshake(gw, port, cm, 1720)
    c.tcp(gw, port, cm, 1720, pg.tpkt_q931(
        pg.Q931_SETUP, cref, False,
        pg.q931_bearer_speech() + pg.q931_display("PSTN 4085550123") + pg.q931_number(0x6C, "4085550123") +
        pg.q931_number(0x70, "2001"),
        pg.h225_uuie("setup", conf_id, source_csa=(gw, port))), gap=0.5)
    c.tcp(cm, 1720, gw, port, pg.tpkt_q931(pg.Q931_CALL_PROCEEDING, cref, True, b"",
                                           pg.h225_uuie("callProceeding", gateway=False)), gap=0.01)
    c.tcp(cm, 1720, gw, port, pg.tpkt_q931(pg.Q931_ALERTING, cref, True, b"",
                                           pg.h225_uuie("alerting", gateway=False)), gap=0.05)
    c.tcp_ack(gw, port, cm, 1720)
    c.tcp(cm, 1720, gw, port, pg.tpkt_q931(pg.Q931_CONNECT, cref, True, pg.q931_display("2001 Alice"),
                                           pg.h225_uuie("connect", conf_id, gateway=False)), gap=1.2)
    c.tcp_ack(gw, port, cm, 1720)
    pg.rtp_call(c, gw, 16600, SCCP_PHONE, 24620, RTP_PACKETS, ssrc_a=0x48333233, ssrc_b=0x50484F32)
    c.tcp(gw, port, cm, 1720, pg.tpkt_q931(pg.Q931_RELEASE_COMPLETE, cref, False, pg.q931_cause(16),
                                           pg.h225_uuie("releaseComplete")), gap=0.02)
    c.tcp_close(gw, port, cm, 1720)
    return c


def cucm_intracluster() -> Capture:
    """Publisher and subscriber talking to each other: SDL, database,
    RIS, HTTPS between nodes, SFTP/SSH, NTP, plus SNMP from a management station."""
    c = new_capture()
    pub, sub = CUCM_PUB, CUCM_SUB
    # SDL signalling between the CallManager services (TCP 8002).
    c.tcp_handshake(sub, 40112, pub, 8002)
    c.tcp(sub, 40112, pub, 8002, b"\x00\x00\x00\x2c\x00\x02\x00\x01SDLLinkInit\x00cm-sub\x00\x00\x00\x00\x07"
          b"\x00\x00\x00\x02cm-pub\x00\x00\x00\x00\x00\x00")
    c.tcp(pub, 8002, sub, 40112, b"\x00\x00\x00\x1c\x00\x02\x00\x02SDLLinkAccept\x00\x00\x00\x00\x01\x00\x00\x00",
          gap=0.002)
    c.tcp_ack(sub, 40112, pub, 8002)
    # Informix database replication/connection (TCP 1500).
    c.tcp_handshake(sub, 40200, pub, 1500)
    c.tcp(sub, 40200, pub, 1500, b"\x01\x0c\x01\x3csqAYABPQAAHNxbGV4ZWMgY2N" + b"mpubccm1500 -fsqlexec 9.350 "
          b"RDS#N000000 -d ccm1500 -f IEEEI DBPATH=//ol_cm_pub CLIENT_LOCALE=en_US.utf8\x00")
    c.tcp(pub, 1500, sub, 40200, b"\x00\x6a\x02\x3dsqAYABPQAAHNxbGV4ZWMgT0s=\x00IEEEI\x00ol_cm_pub\x00", gap=0.003)
    c.tcp_ack(sub, 40200, pub, 1500)
    # RIS data collector (TCP 2555).
    c.tcp_handshake(sub, 40300, pub, 2555)
    c.tcp(sub, 40300, pub, 2555, b"RISDC\x01\x02\x00GetPerfCounters\x00cm-sub\x00Cisco CallManager\x00")
    c.tcp(pub, 2555, sub, 40300, b"RISDC\x01\x03\x00Result\x00OK\x00CallsActive=1\x00", gap=0.002)
    c.tcp_ack(sub, 40300, pub, 2555)
    # HTTPS between nodes (TCP 8443): a TLS ClientHello.
    c.tcp_handshake(sub, 40400, pub, 8443)
    c.tcp(sub, 40400, pub, 8443, pg.tls_client_hello("cm-pub.example.com"))
    c.tcp_ack(pub, 8443, sub, 40400)
    # SFTP (SSH) from the publisher to the subscriber (TCP 22).
    c.tcp_handshake(pub, 40500, sub, 22)
    c.tcp(sub, 22, pub, 40500, pg.ssh_banner("OpenSSH_8.0"))
    c.tcp(pub, 40500, sub, 22, pg.ssh_banner("OpenSSH_8.0"), gap=0.002)
    c.tcp_ack(sub, 22, pub, 40500)
    # NTP: the subscriber synchronises with the publisher (UDP 123).
    t = pg.BASE_TIME + 1
    c.udp(sub, 123, pub, 123, pg.ntp_packet(3, t), gap=0.1)
    c.udp(pub, 123, sub, 123, pg.ntp_packet(4, t + 0.0004, stratum=3, reference=t - 60), gap=0.001)
    # SNMP: the management station polls the publisher (UDP 161) and receives a trap (UDP 162).
    sys_descr = bytes.fromhex("2b06010201010100")
    c.udp(NMS, 50161, pub, 161, pg.snmp_get("public", 4242, sys_descr), gap=0.1)
    c.udp(pub, 161, NMS, 50161, pg.snmp_get("public", 4242, sys_descr, pg.ber_str(
        "Hardware:VMware, 2 vCPU, OS:Linux, Product:Cisco Unified Communications Manager, Version 15.0.1")),
        gap=0.002)
    c.udp(pub, 50162, NMS, 162, pg.snmp_trap_v2(
        "public", 7, 12345600, bytes.fromhex("2b06010401090901130200010001"),  # ccmCallManagerFailed-style OID
        [(bytes.fromhex("2b06010401090901130100010001"), pg.ber_str("CallManager service restarted"))]), gap=0.3)
    # A SIP trunk between the two nodes: the subscriber's OPTIONS keepalive and
    # the publisher's 200 OK. Unified CM names itself in User-Agent and Server
    # ("Cisco-CUCM<version>"), which shows both hosts to be Unified CMs.
    opt = _sip_headers("10.10.0.12:5060", "z9hG4bK7e01", "<sip:10.10.0.12>;tag=7e0101", "<sip:10.10.0.11>",
                       "7e010000-0001@10.10.0.12", "101 OPTIONS")
    c.udp(sub, 5060, pub, 5060, pg.sip_message("OPTIONS sip:10.10.0.11:5060 SIP/2.0", [
        *opt, "Max-Forwards: 0", "User-Agent: Cisco-CUCM15.0", "Contact: <sip:10.10.0.12:5060>"]), gap=0.2)
    opt[2] = "To: <sip:10.10.0.11>;tag=7e0102"
    c.udp(pub, 5060, sub, 5060, pg.sip_message("SIP/2.0 200 OK", [
        *opt, "Server: Cisco-CUCM15.0", "Allow: INVITE,OPTIONS,INFO,BYE,CANCEL,ACK,PRACK,UPDATE,REFER,SUBSCRIBE,NOTIFY"]),
        gap=0.002)
    return c


def imp_xmpp() -> Capture:
    """IM and Presence: XMPP clients (TCP 5222), federation (TCP 5269), SIP
    from Unified CM (TCP 5060, and 5070 for on-a-call presence), LDAP 389."""
    c = new_capture()
    # XMPP clients (Jabber) open streams to the IM and Presence server.
    for i, client in enumerate((XMPP_CLIENT_1, XMPP_CLIENT_2)):
        port = 52001 + i
        c.tcp_handshake(client, port, IMP, 5222)
        c.tcp(client, port, IMP, 5222, pg.xmpp_stream_header("example.com"))
        c.tcp(IMP, 5222, client, port, pg.xmpp_stream_response("example.com", f"a1b2c3d{i}"), gap=0.002)
        c.tcp(client, port, IMP, 5222, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", gap=0.002)
        c.tcp(IMP, 5222, client, port, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", gap=0.002)
        c.tcp_ack(client, port, IMP, 5222)
    # Server-to-server federation with a partner (TCP 5269).
    c.tcp_handshake(IMP, 43269, PARTNER_XMPP, 5269)
    c.tcp(IMP, 43269, PARTNER_XMPP, 5269, pg.xmpp_server_stream_header("partner.example.net", "example.com"))
    c.tcp(PARTNER_XMPP, 5269, IMP, 43269, pg.xmpp_stream_response("partner.example.net", "s2s-771",
                                                                   "jabber:server"), gap=0.02)
    c.tcp_ack(IMP, 43269, PARTNER_XMPP, 5269)
    # SIP from Unified CM: a presence SUBSCRIBE on the SIP trunk (TCP 5060).
    cm = CUCM_PUB
    hdr = ["Via: SIP/2.0/TCP 10.10.0.11:5060;branch=z9hG4bK5c01", "From: <sip:2001@10.10.0.11>;tag=7001",
           "To: <sip:alice@example.com>", "Call-ID: 5c01@10.10.0.11", "CSeq: 101 SUBSCRIBE", "Max-Forwards: 70",
           "Contact: <sip:2001@10.10.0.11:5060;transport=tcp>", "Event: presence", "Expires: 3600",
           "Accept: application/pidf+xml", "User-Agent: Cisco-CUCM15.0"]
    c.tcp_handshake(cm, 45060, IMP, 5060)
    c.tcp(cm, 45060, IMP, 5060, pg.sip_message("SUBSCRIBE sip:alice@example.com SIP/2.0", hdr))
    ok = ["Via: SIP/2.0/TCP 10.10.0.11:5060;branch=z9hG4bK5c01", "From: <sip:2001@10.10.0.11>;tag=7001",
          "To: <sip:alice@example.com>;tag=imp9001", "Call-ID: 5c01@10.10.0.11", "CSeq: 101 SUBSCRIBE",
          "Contact: <sip:alice@10.10.0.21:5060;transport=tcp>", "Expires: 3600"]
    c.tcp(IMP, 5060, cm, 45060, pg.sip_message("SIP/2.0 202 Accepted", ok), gap=0.004)
    c.tcp_ack(cm, 45060, IMP, 5060)
    # On-a-call presence: Unified CM PUBLISHes the phone's state (TCP 5070).
    pidf = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
            "entity=\"sip:alice@example.com\"><tuple id=\"cisco-phone\"><status><basic>open</basic></status>"
            "<note>On the phone</note></tuple></presence>")
    pub = ["Via: SIP/2.0/TCP 10.10.0.11:5070;branch=z9hG4bK5d01", "From: <sip:alice@example.com>;tag=7101",
           "To: <sip:alice@example.com>", "Call-ID: 5d01@10.10.0.11", "CSeq: 1 PUBLISH", "Max-Forwards: 70",
           "Event: presence", "Expires: 3600", "User-Agent: Cisco-CUCM15.0"]
    c.tcp_handshake(cm, 45070, IMP, 5070)
    c.tcp(cm, 45070, IMP, 5070, pg.sip_message("PUBLISH sip:alice@example.com SIP/2.0", pub, pidf,
                                               "application/pidf+xml"), gap=0.3)
    ok = ["Via: SIP/2.0/TCP 10.10.0.11:5070;branch=z9hG4bK5d01", "From: <sip:alice@example.com>;tag=7101",
          "To: <sip:alice@example.com>;tag=imp9101", "Call-ID: 5d01@10.10.0.11", "CSeq: 1 PUBLISH",
          "SIP-ETag: 7f3a", "Expires: 3600"]
    c.tcp(IMP, 5070, cm, 45070, pg.sip_message("SIP/2.0 200 OK", ok), gap=0.004)
    c.tcp_ack(cm, 45070, IMP, 5070)
    # LDAP user lookup in the corporate directory (TCP 389, cleartext).
    c.tcp_handshake(IMP, 46389, DIRECTORY, 389)
    c.tcp(IMP, 46389, DIRECTORY, 389, pg.ldap_bind_request(1, "cn=impsync,cn=Users,dc=example,dc=com", "Cisco!23"),
          gap=0.2)
    c.tcp(DIRECTORY, 389, IMP, 46389, pg.ldap_result(1, 0x61), gap=0.003)
    c.tcp(IMP, 46389, DIRECTORY, 389, pg.ldap_search_request(
        2, "dc=example,dc=com", "sAMAccountName", "alice", ["mail", "telephoneNumber", "msRTCSIP-PrimaryUserAddress"]),
        gap=0.002)
    c.tcp(DIRECTORY, 389, IMP, 46389, pg.ldap_search_entry(
        2, "CN=Alice Example,OU=Staff,DC=example,DC=com",
        [("mail", "alice@example.com"), ("telephoneNumber", "2001")]), gap=0.003)
    c.tcp(DIRECTORY, 389, IMP, 46389, pg.ldap_result(2, 0x65))
    c.tcp_ack(IMP, 46389, DIRECTORY, 389)
    return c


def _soap(action: str, body: str) -> bytes:
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope "
            "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
            f"<{action} xmlns=\"http://www.cisco.com/cts\">{body}</{action}></soapenv:Body></soapenv:Envelope>").encode()


def telepresence() -> Capture:
    """A CTS codec and CTS-Manager: SOAP over HTTP 8080 and 8081, HTTPS 8444
    and 9501, SIP over TLS 5061 and CAPF 3804 to Unified CM, then a call to a
    far-end CTS set up by SIP through Unified CM, and its media."""
    c = new_capture()
    cm = CUCM_PUB
    # Both codecs register with Unified CM over SIP (UDP 5060, before security
    # is enabled). The codec names itself in User-Agent ("Cisco-TelePresence-..."),
    # Unified CM in Server ("Cisco-CUCM..."): the roles the other rows need.
    for n, (cts, ext, ua) in enumerate(((CTS, "3001", "Cisco-TelePresence-CTS3000/1.10.2"),
                                        (CTS_REMOTE, "3002", "Cisco-TelePresence-CTS1300/1.10.2"))):
        via, call_id = f"{cts}:5060", f"c75{n}0001-0001@{cts}"
        frm, to = f"<sip:{ext}@10.10.0.11>;tag=c75{n}01", f"<sip:{ext}@10.10.0.11>"
        contact = f"Contact: <sip:{ext}@{cts}:5060;transport=udp>"
        c.udp(cts, 5060, cm, 5060, pg.sip_message("REGISTER sip:10.10.0.11 SIP/2.0", _sip_headers(
            via, f"z9hG4bKc75{n}01", frm, to, call_id, "1 REGISTER",
            ["Max-Forwards: 70", contact, f"User-Agent: {ua}", "Expires: 3600"])), gap=0.01 if n else None)
        c.udp(cm, 5060, cts, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
            via, f"z9hG4bKc75{n}01", frm, to + f";tag=8c7{n}", call_id, "1 REGISTER",
            ["Server: Cisco-CUCM15.0", contact + ";expires=3600"])), gap=0.003)
    # CTS -> CTS-Manager, HTTP 8080: meeting schedule and status (XML/SOAP).
    c.tcp_handshake(CTS, 41080, CTS_MANAGER, 8080)
    body = _soap("getMeetingList", "<deviceName>CTS-HQ-3000</deviceName><days>1</days>")
    c.tcp(CTS, 41080, CTS_MANAGER, 8080, pg.http_request("POST", "10.10.3.20:8080", "/ctm/services/CTSService",
                                                          body, extra=['SOAPAction: "getMeetingList"']))
    c.tcp(CTS_MANAGER, 8080, CTS, 41080, pg.http_response(200, "OK", _soap(
        "getMeetingListResponse", "<meeting><id>4711</id><subject>Weekly review</subject></meeting>")), gap=0.02)
    c.tcp_ack(CTS, 41080, CTS_MANAGER, 8080)
    # CTS-Manager -> CTS, HTTP 8081: pushes a schedule update.
    c.tcp_handshake(CTS_MANAGER, 42081, CTS, 8081)
    body = _soap("updateMeeting", "<id>4711</id><start>2026-01-01T09:00:00Z</start>")
    c.tcp(CTS_MANAGER, 42081, CTS, 8081, pg.http_request("POST", "10.10.3.10:8081", "/cts/services/Scheduler",
                                                          body, extra=['SOAPAction: "updateMeeting"']), gap=0.2)
    c.tcp(CTS, 8081, CTS_MANAGER, 42081, pg.http_response(200, "OK", _soap("updateMeetingResponse", "<ok/>")),
          gap=0.02)
    c.tcp_ack(CTS_MANAGER, 42081, CTS, 8081)
    # The secure variants: CTS -> CTS-Manager 8444 and CTS-Manager -> CTS 9501 (TLS).
    c.tcp_handshake(CTS, 41444, CTS_MANAGER, 8444)
    c.tcp(CTS, 41444, CTS_MANAGER, 8444, pg.tls_client_hello("ctsman.example.com"))
    c.tcp_ack(CTS_MANAGER, 8444, CTS, 41444)
    c.tcp_handshake(CTS_MANAGER, 42501, CTS, 9501)
    c.tcp(CTS_MANAGER, 42501, CTS, 9501, pg.tls_client_hello("cts-hq-3000.example.com"))
    c.tcp_ack(CTS, 9501, CTS_MANAGER, 42501)
    # CTS -> Unified CM: SIP over TLS (5061) and CAPF certificate enrolment (3804).
    c.tcp_handshake(CTS, 41061, CUCM_PUB, 5061)
    c.tcp(CTS, 41061, CUCM_PUB, 5061, pg.tls_client_hello("cm-pub.example.com"))
    c.tcp_ack(CUCM_PUB, 5061, CTS, 41061)
    c.tcp_handshake(CTS, 41804, CUCM_PUB, 3804)
    c.tcp(CTS, 41804, CUCM_PUB, 3804, pg.tls_client_hello("cm-pub.example.com"))
    c.tcp_ack(CUCM_PUB, 3804, CTS, 41804)
    # The call CTS -> far-end CTS through Unified CM (back-to-back user agent):
    # the SDP offer and answer set the RTP up in Wireshark.
    ua, ua_far, srv = ("User-Agent: Cisco-TelePresence-CTS3000/1.10.2", "User-Agent: Cisco-TelePresence-CTS1300/1.10.2",
                       "Server: Cisco-CUCM15.0")
    sdp_a, sdp_b = pg.sdp(CTS, 16384), pg.sdp(CTS_REMOTE, 16384)
    leg_a = ("10.10.3.10:5060", "z9hG4bKc7a001", "<sip:3001@10.10.0.11>;tag=c7a001", "<sip:3002@10.10.0.11>",
             "c7a00001-0001@10.10.3.10")
    leg_b = ("10.10.0.11:5060", "z9hG4bKc7b001", "<sip:3001@10.10.0.11>;tag=c7b001", "<sip:3002@10.10.3.11>",
             "c7b00001-0001@10.10.0.11")
    c.udp(CTS, 5060, cm, 5060, pg.sip_message("INVITE sip:3002@10.10.0.11 SIP/2.0", _sip_headers(
        *leg_a, "101 INVITE", ["Max-Forwards: 70", "Contact: <sip:3001@10.10.3.10:5060>", ua]), sdp_a), gap=0.2)
    c.udp(cm, 5060, CTS_REMOTE, 5060, pg.sip_message("INVITE sip:3002@10.10.3.11:5060 SIP/2.0", _sip_headers(
        *leg_b, "101 INVITE", ["Max-Forwards: 70", "Contact: <sip:3001@10.10.0.11:5060>", srv]), sdp_a), gap=0.005)
    b_ok = (leg_b[0], leg_b[1], leg_b[2], leg_b[3] + ";tag=c7b002", leg_b[4])
    a_ok = (leg_a[0], leg_a[1], leg_a[2], leg_a[3] + ";tag=c7a002", leg_a[4])
    c.udp(CTS_REMOTE, 5060, cm, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        *b_ok, "101 INVITE", ["Contact: <sip:3002@10.10.3.11:5060>", ua_far]), sdp_b), gap=0.3)
    c.udp(cm, 5060, CTS_REMOTE, 5060, pg.sip_message("ACK sip:3002@10.10.3.11:5060 SIP/2.0", _sip_headers(
        *b_ok[:1], "z9hG4bKc7b003", *b_ok[2:], "101 ACK", ["Max-Forwards: 70", srv])), gap=0.003)
    c.udp(cm, 5060, CTS, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        *a_ok, "101 INVITE", ["Contact: <sip:3002@10.10.0.11:5060>", srv]), sdp_b), gap=0.002)
    c.udp(CTS, 5060, cm, 5060, pg.sip_message("ACK sip:3002@10.10.0.11:5060 SIP/2.0", _sip_headers(
        *a_ok[:1], "z9hG4bKc7a003", *a_ok[2:], "101 ACK", ["Max-Forwards: 70", ua])), gap=0.003)
    # Media between the CTS and the far-end CTS (audio stream shown).
    pg.rtp_call(c, CTS, 16384, CTS_REMOTE, 16384, RTP_PACKETS, ssrc_a=0x43545331, ssrc_b=0x43545332)
    return c


def _tls_handshake(c: Capture, client: str, cport: int, server: str, sport: int, sni: str, gap=None) -> None:
    """A TCP connection that starts TLS: ClientHello, ServerHello, ACK."""
    c.tcp_handshake(client, cport, server, sport)
    c.tcp(client, cport, server, sport, pg.tls_client_hello(sni), gap=gap)
    c.tcp(server, sport, client, cport, pg.tls_server_hello(), gap=0.002)
    c.tcp_ack(client, cport, server, sport)


def secure_phones() -> Capture:
    """The secure variants: an SCCP phone reads its ITL file by TFTP, registers
    in cleartext (TCP 2000), enrols for a certificate with CAPF (TCP 3804) and
    then connects to SCCPS (TLS on TCP 2443); a SIP phone registers on UDP 5060
    and then connects to SIPS (TLS on TCP 5061)."""
    c = new_capture()
    cm, ph = CUCM_PUB, SECURE_SCCP_PHONE
    mac = "001E7A3C5D51"
    # 1. The Initial Trust List by TFTP (one short block; the content is opaque here).
    c.udp(ph, 49160, cm, 69, pg.tftp_rrq(f"ITLSEP{mac}.tlv"))
    c.udp(cm, 37010, ph, 49160, pg.tftp_data(1, b"\x01\x01\x00\x02\x01\x00" + b"ITL teaching stand-in" + b"\x00" * 40),
          gap=0.002)
    c.udp(ph, 49160, cm, 37010, pg.tftp_ack(1))
    # 2. Cleartext SCCP registration (non-secure device security profile).
    c.tcp_handshake(ph, 51251, cm, 2000)
    c.tcp(ph, 51251, cm, 2000, pg.sccp_register(f"SEP{mac}"))
    c.tcp(cm, 2000, ph, 51251, pg.sccp_register_ack(30), gap=0.004)
    c.tcp_ack(ph, 51251, cm, 2000)
    # 3. CAPF issues the phone a Locally Significant Certificate (TLS on 3804).
    _tls_handshake(c, ph, 51252, cm, 3804, "cm-pub.example.com", gap=0.3)
    # 4. With the encrypted profile, the phone re-registers over TLS on 2443 (SCCPS).
    _tls_handshake(c, ph, 51253, cm, 2443, "cm-pub.example.com", gap=0.3)
    # 5. A SIP phone: cleartext REGISTER on UDP 5060, then TLS on TCP 5061 (SIPS).
    sp = SECURE_SIP_PHONE
    hdr = _sip_headers("10.10.1.52:5060", "z9hG4bK5e0101", "<sip:2052@10.10.0.11>;tag=5e0101", "<sip:2052@10.10.0.11>",
                       "5e010001-0001@10.10.1.52", "101 REGISTER")
    contact = "Contact: <sip:2052@10.10.1.52:5060;transport=udp>"
    c.udp(sp, 5060, cm, 5060, pg.sip_message("REGISTER sip:10.10.0.11 SIP/2.0", [
        *hdr, "Max-Forwards: 70", contact, "User-Agent: Cisco-CP8841/14.2.1", "Expires: 3600"]), gap=0.3)
    hdr[2] = "To: <sip:2052@10.10.0.11>;tag=5e0102"
    c.udp(cm, 5060, sp, 5060, pg.sip_message("SIP/2.0 200 OK", [*hdr, "Server: Cisco-CUCM15.0",
                                                                 contact + ";expires=3600"]), gap=0.003)
    _tls_handshake(c, sp, 51261, cm, 5061, "cm-pub.example.com", gap=0.3)
    return c


def _cti_qbe(kind: int, body: bytes) -> bytes:
    """A teaching stand-in for a CTI QBE message (the protocol is Cisco's own
    and undocumented in public): a 2-byte big-endian message kind, a 2-byte
    length, then the body. (A 4-byte length and 4-byte kind would be taken for
    SMPP by Wireshark's heuristics.)"""
    return kind.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def cti_application() -> Capture:
    """A CTI application server to Unified CM: a phone registers over SCCP
    (which shows 10.10.0.11 to be a Unified CM), then the application opens
    the CTI Manager connection (TCP 2748) and reads the device list over AXL
    (HTTPS on TCP 8443). Nothing in the payload shows the application's host
    to be an application: only the Unified CM end has a role."""
    c = new_capture()
    cm, app = CUCM_PUB, CTI_APP
    c.tcp_handshake(SCCP_PHONE, 51300, cm, 2000)
    c.tcp(SCCP_PHONE, 51300, cm, 2000, pg.sccp_register("SEP001E7A3C5D21"))
    c.tcp(cm, 2000, SCCP_PHONE, 51300, pg.sccp_register_ack(30), gap=0.004)
    c.tcp_ack(SCCP_PHONE, 51300, cm, 2000)
    # The CTI Manager session: provider open, its response, a device query.
    c.tcp_handshake(app, 52748, cm, 2748)
    c.tcp(app, 52748, cm, 2748, _cti_qbe(0x0001, b"ProviderOpenRequest\x00appuser-console\x00JTAPI 15.0\x00"))
    c.tcp(cm, 2748, app, 52748, _cti_qbe(0x0002, b"ProviderOpenResponse\x00\x00\x00\x00\x00"), gap=0.01)
    c.tcp(app, 52748, cm, 2748, _cti_qbe(0x0021, b"DeviceRegisteredQuery\x00SEP001E7A3C5D21\x00"), gap=0.02)
    c.tcp(cm, 2748, app, 52748, _cti_qbe(0x0022, b"DeviceRegistered\x00SEP001E7A3C5D21\x00\x01"), gap=0.005)
    c.tcp_ack(app, 52748, cm, 2748)
    # AXL over HTTPS (TLS on 8443).
    _tls_handshake(c, app, 52443, cm, 8443, "cm-pub.example.com", gap=0.2)
    return c


def imp_intercluster() -> Capture:
    """Two IM and Presence clusters and a federated partner: each cluster's
    Jabber client opens an XMPP stream to its home server (TCP 5222), the two
    clusters' Intercluster Sync Agents talk on TCP 37239 and route SIP over
    mutual TLS (TCP 5062), and the first cluster federates with a partner
    company over XMPP server-to-server (TCP 5269)."""
    c = new_capture()
    for i, (client, server, domain) in enumerate(((XMPP_CLIENT_1, IMP, "example.com"),
                                                  (XMPP_CLIENT_3, IMP_REMOTE, "example.com"))):
        port = 52101 + i
        c.tcp_handshake(client, port, server, 5222)
        c.tcp(client, port, server, 5222, pg.xmpp_stream_header(domain))
        c.tcp(server, 5222, client, port, pg.xmpp_stream_response(domain, f"ic{i}a1b2"), gap=0.002)
        c.tcp_ack(client, port, server, 5222)
    # Intercluster Sync Agent: the peers exchange user and node lists (TCP 37239;
    # a teaching stand-in payload: the command channel's content is not public).
    c.tcp_handshake(IMP, 47239, IMP_REMOTE, 37239)
    c.tcp(IMP, 47239, IMP_REMOTE, 37239, b"ICSA\x01HELLO cup-pub.example.com cluster=A\n")
    c.tcp(IMP_REMOTE, 37239, IMP, 47239, b"ICSA\x01HELLO cup-pub-b.example.com cluster=B\n", gap=0.003)
    c.tcp_ack(IMP, 47239, IMP_REMOTE, 37239)
    # Intercluster SIP routing over mutual TLS (TCP 5062).
    _tls_handshake(c, IMP, 45062, IMP_REMOTE, 5062, "cup-pub-b.example.com", gap=0.1)
    # Federation with a partner company (XMPP server to server, TCP 5269).
    c.tcp_handshake(IMP, 43270, PARTNER_XMPP, 5269)
    c.tcp(IMP, 43270, PARTNER_XMPP, 5269, pg.xmpp_server_stream_header("partner.example.net", "example.com"))
    c.tcp(PARTNER_XMPP, 5269, IMP, 43270, pg.xmpp_stream_response("partner.example.net", "s2s-772",
                                                                   "jabber:server"), gap=0.02)
    c.tcp_ack(IMP, 43270, PARTNER_XMPP, 5269)
    return c


def misbehaviour() -> Capture:
    """One capture in which every ciscouc flag fires at least once."""
    c = new_capture()
    cm = CUCM_PUB
    # unexpected_port: SIP on UDP 6000, from an ephemeral source port.
    c.udp("10.10.1.41", 51060, cm, 6000, pg.sip_message("REGISTER sip:10.10.0.11:6000 SIP/2.0", [
        "Via: SIP/2.0/UDP 10.10.1.41:51060;branch=z9hG4bK6000a", "From: <sip:3001@10.10.0.11>;tag=3001",
        "To: <sip:3001@10.10.0.11>", "Call-ID: 6000a@10.10.1.41", "CSeq: 1 REGISTER", "Max-Forwards: 70",
        "Contact: <sip:3001@10.10.1.41:51060>", "Expires: 3600"]))
    c.udp(cm, 6000, "10.10.1.41", 51060, pg.sip_message("SIP/2.0 200 OK", [
        "Via: SIP/2.0/UDP 10.10.1.41:51060;branch=z9hG4bK6000a", "From: <sip:3001@10.10.0.11>;tag=3001",
        "To: <sip:3001@10.10.0.11>;tag=6000", "Call-ID: 6000a@10.10.1.41", "CSeq: 1 REGISTER",
        "Contact: <sip:3001@10.10.1.41:51060>;expires=3600"]), gap=0.003)
    # unexpected_port: SIP on TCP 6000 (X11's port: the plugin decodes it as SIP first).
    c.tcp_handshake("10.10.1.44", 51061, cm, 6000)
    c.tcp("10.10.1.44", 51061, cm, 6000, pg.sip_message("OPTIONS sip:10.10.0.11:6000;transport=tcp SIP/2.0", [
        "Via: SIP/2.0/TCP 10.10.1.44:51061;branch=z9hG4bK6000b", "From: <sip:3004@10.10.0.11>;tag=3004",
        "To: <sip:10.10.0.11>", "Call-ID: 6000b@10.10.1.44", "CSeq: 1 OPTIONS", "Max-Forwards: 70"]))
    c.tcp(cm, 6000, "10.10.1.44", 51061, pg.sip_message("SIP/2.0 200 OK", [
        "Via: SIP/2.0/TCP 10.10.1.44:51061;branch=z9hG4bK6000b", "From: <sip:3004@10.10.0.11>;tag=3004",
        "To: <sip:10.10.0.11>;tag=6001", "Call-ID: 6000b@10.10.1.44", "CSeq: 1 OPTIONS",
        "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS"]), gap=0.003)
    c.tcp_ack("10.10.1.44", 51061, cm, 6000)
    # unexpected_port: SCCP on TCP 3000.
    c.tcp_handshake("10.10.1.42", 52000, cm, 3000)
    c.tcp("10.10.1.42", 52000, cm, 3000, pg.sccp_register("SEP001E7A3C5D42"))
    c.tcp(cm, 3000, "10.10.1.42", 52000, pg.sccp_register_ack(30), gap=0.004)
    c.tcp_ack("10.10.1.42", 52000, cm, 3000)
    # protocol_mismatch: an HTTP GET on TCP 5060, the SIP port.
    c.tcp_handshake("10.10.5.5", 53000, cm, 5060)
    c.tcp("10.10.5.5", 53000, cm, 5060, pg.http_get("10.10.0.11:5060", "/"))
    c.tcp_ack(cm, 5060, "10.10.5.5", 53000)
    # internal_only: TCP 5049 (IM and Presence SIP proxy, localhost only) between two hosts.
    c.tcp_handshake(IMP_SUB, 54049, IMP, 5049)
    c.tcp(IMP_SUB, 54049, IMP, 5049, pg.sip_message("OPTIONS sip:10.10.0.21:5049;transport=tcp SIP/2.0", [
        "Via: SIP/2.0/TCP 10.10.0.22:54049;branch=z9hG4bK5049", "From: <sip:ping@10.10.0.22>;tag=5049",
        "To: <sip:10.10.0.21:5049>", "Call-ID: 5049@10.10.0.22", "CSeq: 1 OPTIONS", "Max-Forwards: 70"]))
    c.tcp_ack(IMP, 5049, IMP_SUB, 54049)
    # insecure: SCCP in cleartext on TCP 2000 where 2443 (SCCPS) is documented.
    c.tcp_handshake("10.10.1.43", 52443, cm, 2000)
    c.tcp("10.10.1.43", 52443, cm, 2000, pg.sccp_register("SEP001E7A3C5D43"))
    c.tcp(cm, 2000, "10.10.1.43", 52443, pg.sccp_register_ack(30), gap=0.004)
    c.tcp_ack("10.10.1.43", 52443, cm, 2000)
    # not_recommended: a DHCP DISCOVER broadcast to UDP 67 (Unified CM as a DHCP server).
    mac = "00:1e:7a:3c:5d:45"
    discover = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                IP(src="0.0.0.0", dst="255.255.255.255", ttl=64, id=len(c.packets) + 1) /
                UDP(sport=68, dport=67) /
                BOOTP(op=1, chaddr=bytes.fromhex(mac.replace(":", "")) + b"\0" * 10, xid=0x3C5D4501, flags=0x8000) /
                DHCP(options=[("message-type", "discover"), ("client_id", b"\x01" + bytes.fromhex(mac.replace(":", ""))),
                              ("vendor_class_id", b"Cisco Systems, Inc. IP Phone CP-7965G"),
                              ("param_req_list", [1, 3, 6, 15, 42, 66, 150]), "end"]))
    c.add_frame(discover, gap=0.1)
    # The broadcast alone proves nothing about the server. A phone renewing its
    # lease by unicast to 10.10.0.11, which listens for SCCP above, shows a
    # Unified CM acting as a DHCP server: not recommended.
    renew_mac = "00:1e:7a:3c:5d:46"
    request = (Ether(src=renew_mac, dst="00:00:5e:00:53:02") /
               IP(src="10.10.1.46", dst=cm, ttl=64, id=len(c.packets) + 1) /
               UDP(sport=68, dport=67) /
               BOOTP(op=1, ciaddr="10.10.1.46", chaddr=bytes.fromhex(renew_mac.replace(":", "")) + b"\0" * 10,
                     xid=0x3C5D4601) /
               DHCP(options=[("message-type", "request"),
                             ("client_id", b"\x01" + bytes.fromhex(renew_mac.replace(":", ""))),
                             ("vendor_class_id", b"Cisco Systems, Inc. IP Phone CP-7965G"), "end"]))
    c.add_frame(request, gap=0.05)
    # release_mismatch (with -o ciscouc.edition:cucm-current): TCP 1433 (MS SQL), documented only for CallManager 4.2.
    c.tcp_handshake(CUCM_SUB, 55433, cm, 1433)
    c.tcp(CUCM_SUB, 55433, cm, 1433, pg.tds_prelogin())
    c.tcp_ack(cm, 1433, CUCM_SUB, 55433)
    return c


def _rtp_one_way(c: Capture, src: str, sport: int, dst: str, dport: int, packets: int, ssrc: int,
                 lost: tuple[int, ...] = ()) -> None:
    """RTP one way only, 20 ms apart with a small deterministic wobble (jitter),
    sequence numbers in `lost` never sent (loss)."""
    for i in range(packets):
        if i in lost:
            continue
        wobble = ((i * 7) % 5 - 2) * 0.0004  # -0.8 .. +0.8 ms
        c.udp(src, sport, dst, dport, pg.rtp(3000 + i, 8000 + 160 * i, ssrc, 0, pg.g711_tone(i, 0), marker=i == 0),
              gap=None if i == 0 else 0.020 + wobble)


def one_way_audio() -> Capture:
    """A SIP phone calls another through Unified CM; the call is answered,
    but RTP flows only from phone A to phone B: B's media never reaches A
    (an ACL between the phone subnets drops it). The calls table names the
    flow the network must allow: Phone -> Phone on A's announced port."""
    c = new_capture()
    a, b, cm = SIP_PHONE_A, SIP_PHONE_B, CUCM_PUB
    ua, srv = "User-Agent: Cisco-CP8841/14.2.1", "Server: Cisco-CUCM15.0"
    a_rtp, b_rtp = 20482, 26626
    call = "1f2e3d4c-00000001-0a0b0c0d@10.10.1.31"
    frm = "\"Alice\" <sip:2001@10.10.0.11>;tag=a100"
    to, to_t = "\"Bob\" <sip:2002@10.10.0.11>", "\"Bob\" <sip:2002@10.10.0.11>;tag=b200"
    via = "10.10.1.31:5060"
    c.udp(a, 5060, cm, 5060, pg.sip_message("INVITE sip:2002@10.10.0.11 SIP/2.0", _sip_headers(
        via, "z9hG4bKow01", frm, to, call, "101 INVITE", ["Max-Forwards: 70", ua]), pg.sdp(a, a_rtp)))
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 100 Trying", _sip_headers(
        via, "z9hG4bKow01", frm, to, call, "101 INVITE", [srv])), gap=0.003)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 180 Ringing", _sip_headers(
        via, "z9hG4bKow01", frm, to_t, call, "101 INVITE", [srv])), gap=0.05)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        via, "z9hG4bKow01", frm, to_t, call, "101 INVITE", [srv]), pg.sdp(b, b_rtp)), gap=1.2)
    c.udp(a, 5060, cm, 5060, pg.sip_message("ACK sip:2002@10.10.0.11 SIP/2.0", _sip_headers(
        via, "z9hG4bKow02", frm, to_t, call, "101 ACK", ["Max-Forwards: 70", ua])), gap=0.003)
    # A's RTP reaches B (one packet lost on the way); B's RTP to A is dropped before the capture point.
    _rtp_one_way(c, a, a_rtp, b, b_rtp, RTP_PACKETS, 0x0A0B0C01, lost=(17,))
    c.udp(a, 5060, cm, 5060, pg.sip_message("BYE sip:2002@10.10.0.11 SIP/2.0", _sip_headers(
        via, "z9hG4bKow03", frm, to_t, call, "102 BYE", ["Max-Forwards: 70", ua])), gap=0.02)
    c.udp(cm, 5060, a, 5060, pg.sip_message("SIP/2.0 200 OK", _sip_headers(
        via, "z9hG4bKow03", frm, to_t, call, "102 BYE", [srv])), gap=0.003)
    return c


def signalling_unanswered() -> Capture:
    """Signalling nothing answers: a SIP phone's INVITE to Unified CM,
    retransmitted on timer A (RFC 3261 section 17.1.1.2: 0.5 s, doubling),
    gets no response; an SCCP phone's SYN to TCP 2000 is retransmitted and
    never answered. Each names the documented flow to open."""
    c = new_capture()
    a, cm = SIP_PHONE_A, CUCM_PUB
    call = "77aa88bb-00000001-01020304@10.10.1.31"
    frm, to = "<sip:2001@10.10.0.11>;tag=u100", "<sip:2009@10.10.0.11>"
    invite = pg.sip_message("INVITE sip:2009@10.10.0.11 SIP/2.0", _sip_headers(
        "10.10.1.31:5060", "z9hG4bKun01", frm, to, call, "101 INVITE",
        ["Max-Forwards: 70", "User-Agent: Cisco-CP8841/14.2.1"]), pg.sdp(a, 20484))
    for gap in (None, 0.5, 1.0, 2.0, 4.0):
        c.udp(a, 5060, cm, 5060, invite, gap=gap)
    # SCCP phone: SYN, then retransmissions after 1 s and 2 s (RFC 6298 section 2, 5.5 back-off).
    for gap in (0.1, 1.0, 2.0):
        c._tcp(SCCP_PHONE, 51300, CUCM_PUB, 2000, "S", b"", syn=False, gap=gap)
    return c


SCCP_NAT_PHONE = "192.168.1.21"   # an SCCP phone in a home office, behind a NAT router
NAT_PUBLIC = "203.0.113.5"        # the router's public address, seen at the data centre


def sccp_nat() -> Capture:
    """An SCCP phone behind NAT: its signalling reaches Unified CM from the
    router's address, but it announces its private address in
    OpenReceiveChannelAck; the far phone sends RTP to the private address
    (which the data centre cannot reach) while the phone's own RTP arrives
    from the router's address: one-way audio caused by NAT."""
    c = new_capture()
    ph, cm = 40001, 2000
    c.tcp_handshake(NAT_PUBLIC, ph, CUCM_PUB, cm)
    c.tcp(NAT_PUBLIC, ph, CUCM_PUB, cm, pg.sccp_register("SEP001E7A3C5D99"))
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_register_ack(30), gap=0.004)
    conf, party, ref = 0x02000001, 0x02000011, 0x02000021
    phone_rtp, far_rtp = 24590, 28680
    c.tcp(NAT_PUBLIC, ph, CUCM_PUB, cm, pg.sccp_offhook(1, 0), gap=0.5)
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_call_info("Home office", "2051", "Bob", "2002", 1, ref), gap=0.6)
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_call_state(3, 1, ref))  # RingOut
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_call_state(5, 1, ref), gap=1.0)  # Connected
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_open_receive_channel(conf, party, ref))
    c.tcp(NAT_PUBLIC, ph, CUCM_PUB, cm, pg.sccp_open_receive_channel_ack(SCCP_NAT_PHONE, phone_rtp, party, ref))
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_start_media_transmission(conf, party, SCCP_PHONE_B, far_rtp, ref))
    c.tcp_ack(NAT_PUBLIC, ph, CUCM_PUB, cm)
    # The phone's RTP leaves the NAT router from its public address; the far
    # phone answers to the private address the signalling announced.
    for i in range(RTP_PACKETS):
        c.udp(NAT_PUBLIC, phone_rtp, SCCP_PHONE_B, far_rtp,
              pg.rtp(500 + i, 16000 + 160 * i, 0x0D0E0F01, 0, pg.g711_tone(i, 0), marker=i == 0),
              gap=0.0195 if i else None)
        c.udp(SCCP_PHONE_B, far_rtp, SCCP_NAT_PHONE, phone_rtp,
              pg.rtp(900 + i, 32000 + 160 * i, 0x0D0E0F02, 0, pg.g711_tone(i, 1), marker=i == 0), gap=0.0005)
    c.tcp(NAT_PUBLIC, ph, CUCM_PUB, cm, pg.sccp_onhook(1, ref), gap=0.02)
    c.tcp(CUCM_PUB, cm, NAT_PUBLIC, ph, pg.sccp_call_state(2, 1, ref))  # OnHook
    c.tcp_ack(NAT_PUBLIC, ph, CUCM_PUB, cm)
    return c


CAPTURES = {
    "sccp-phone-call.pcap": sccp_phone_call,
    "sip-phone-call.pcap": sip_phone_call,
    "mgcp-gateway.pcap": mgcp_gateway,
    "h323-gateway.pcap": h323_gateway,
    "cucm-intracluster.pcap": cucm_intracluster,
    "imp-xmpp.pcap": imp_xmpp,
    "telepresence.pcap": telepresence,
    "secure-phones.pcap": secure_phones,
    "cti-application.pcap": cti_application,
    "imp-intercluster.pcap": imp_intercluster,
    "misbehaviour.pcap": misbehaviour,
    "one-way-audio.pcap": one_way_audio,
    "signalling-unanswered.pcap": signalling_unanswered,
    "sccp-nat.pcap": sccp_nat,
}


def write_all(out: str, names: list[str]) -> list[str]:
    os.makedirs(out, exist_ok=True)
    written = []
    for name in names:
        path = os.path.join(out, name)
        CAPTURES[name]().write(path)
        written.append(path)
    return written


def check(directory: str, names: list[str]) -> int:
    tmp = tempfile.mkdtemp(prefix="ciscouc-captures-")
    try:
        write_all(tmp, names)
        bad = []
        for name in names:
            mine = os.path.join(directory, name)
            fresh = os.path.join(tmp, name)
            if not os.path.exists(mine):
                bad.append(f"{name}: missing from {directory}")
                continue
            with open(mine, "rb") as a, open(fresh, "rb") as b:
                if a.read() != b.read():
                    bad.append(f"{name}: differs from a fresh build")
        for line in bad:
            print(line)
        if not bad:
            print(f"{len(names)} capture(s) in {directory} are identical to a fresh build")
        return 1 if bad else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the ciscouc teaching captures.")
    p.add_argument("--out", metavar="DIR", help="write the captures into DIR")
    p.add_argument("--check", metavar="DIR", nargs="?", const="", default=None,
                   help="compare DIR (or --out DIR) with a fresh build; exit 1 when they differ")
    p.add_argument("names", nargs="*", help="capture file names (default: all)")
    a = p.parse_args(argv)
    names = a.names or list(CAPTURES)
    unknown = [n for n in names if n not in CAPTURES]
    if unknown:
        p.error(f"unknown capture(s): {', '.join(unknown)} (known: {', '.join(CAPTURES)})")
    if a.check is not None:
        directory = a.check or a.out
        if not directory:
            p.error("--check needs a folder: --check DIR, or --out DIR --check")
        return check(directory, names)
    if not a.out:
        p.error("nothing to do: give --out DIR or --check DIR")
    for path in write_all(a.out, names):
        print(f"{path}: {os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
