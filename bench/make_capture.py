"""Write a large, deterministic, realistic Cisco UC capture for benchmarking.

    /usr/bin/python3 -m bench.make_capture OUT.pcap [--packets N] [--seed S]

(from the repository root, or with PYTHONPATH set to it)

Classic pcap (Ethernet, microsecond timestamps), N packets (default
1,000,000), fixed seed and fixed start time (2026-01-01 00:00:00 UTC), so the
same arguments always give the same bytes. Written with the fast raw writer
(captures/raw.py, struct only, no scapy): a million packets take about ten
seconds.

What is in it (a core switch SPAN port of a small site):

  * ~200 phones (half SCCP in 10.10.1.0/24, half SIP in 10.10.2.0/24), two
    CUCM nodes (10.1.1.10, .11), two MGCP gateways (10.1.2.1, .2) and two
    SIP trunk gateways (10.1.2.3, .4);
  * calls between phones and between phones and gateways, 60 call slots
    running back to back. Each call: G.711 (PCMU, PCMA on some gateways)
    RTP both ways, 20 ms packets, 160-byte payloads, consistent seq/ts/SSRC,
    even UDP ports in 16384-32767, RTCP every 5 s on port+1. Calls in
    progress when the capture starts have no signalling until they hang up
    (their RTP is found by port/heuristics only);
  * SIP over UDP 5060 (INVITE/100/180/200/ACK/BYE/200 with SDP announcing the
    RTP ports, REGISTER refreshes, OPTIONS pings to the trunks);
  * SCCP (Skinny) over TCP 2000: most phones (re)register with a TCP
    handshake (Register/RegisterAck/Capabilities), the rest are mid-stream;
    KeepAlive 0x0000 / KeepAliveAck 0x0100 every 30 s; OffHook, KeypadButton,
    CallState, SetRinger, OpenReceiveChannel(+Ack), StartMediaTransmission,
    Close/Stop, OnHook for calls; TCP ACKs;
  * MGCP on UDP 2427 (CRCX/MDCX/DLCX with SDP, AUEP keep-alives);
  * ~300 desktops: DNS (UDP 53) lookups, HTTP on 80 (and on 8080 through a
    proxy) with handshakes, keep-alive requests, segmented responses, FINs;
    TLS 1.3 on 443 (ClientHello with SNI, ServerHello, encrypted records).

Roughly 75% of the packets are RTP (printed at the end as a check).
Checksums (IP, UDP, TCP) are all correct.
"""
from __future__ import annotations

import argparse
import heapq
import math
import os
import random
import struct
import sys

from captures.g711 import linear_to_ulaw
from captures.raw import (ACK, FIN, PCAP_HEADER, PSH, RECORD_HEADER, SYN, aton, ip_words, tcp_frame,
                          udp_frame, word_sum)

BASE_TIME = 1767225600  # 2026-01-01 00:00:00 UTC
DEFAULT_PACKETS = 1_000_000
DEFAULT_SEED = 20260101
CALL_SLOTS = 60           # concurrent calls (about 48 in media at any time)
WEB_SESSIONS_PER_S = 42.0  # tuned so that ~25% of the packets are not RTP
MSS = 1448

# ---------------------------------------------------------------- hosts

ROUTER_MAC = bytes.fromhex("00000c07ac01")  # HSRP virtual MAC


def mac_of(ip: bytes) -> bytes:
    if ip[0] != 10:
        return ROUTER_MAC
    if ip[1] == 10:
        oui = b"\x00\x1e\x7a"   # Cisco (phones)
    elif ip[1] == 1:
        oui = b"\x00\x50\x56"   # VMware (servers) / gateways below
        if ip[2] == 2:
            oui = b"\x00\x1b\x54"  # Cisco (gateways)
    else:
        oui = b"\x00\x14\x22"   # Dell (desktops)
    return oui + bytes([ip[1], ip[2], ip[3]])


class Host:
    __slots__ = ("ip", "mac", "ipid", "name")

    def __init__(self, ip: str, name: str = "", seed: int = 0):
        self.ip = aton(ip)
        self.mac = mac_of(self.ip)
        self.ipid = seed & 0xFFFF
        self.name = name

    def next_id(self) -> int:
        self.ipid = (self.ipid + 1) & 0xFFFF
        return self.ipid

    @property
    def addr(self) -> str:
        return ".".join(str(x) for x in self.ip)


class TcpConn:
    """One TCP connection; packets are built in the order they are emitted."""

    def __init__(self, rng: random.Random, client: Host, cport: int, server: Host, sport: int, tos: int = 0):
        self.h = (client, server)
        self.p = (cport, sport)
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]
        self.win = (64240, 65160)
        self.tos = tos

    def seg(self, d: int, flags: int, payload: bytes = b"", options: bytes = b"", ack: int | None = None) -> bytes:
        o = 1 - d
        seq = self.seq[d]
        if ack is None:
            ack = self.seq[o] if flags & ACK else 0
        pkt = tcp_frame(self.h[d], self.p[d], self.h[o], self.p[o], seq, ack, flags, payload,
                        self.win[d], options, self.tos)
        self.seq[d] = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return pkt

    def syn(self) -> bytes:
        return self.seg(0, SYN, options=b"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07")

    def synack(self) -> bytes:
        return self.seg(1, SYN | ACK, options=b"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07")

    def data(self, d: int, payload: bytes) -> bytes:
        return self.seg(d, PSH | ACK, payload)

    def ack(self, d: int) -> bytes:
        return self.seg(d, ACK)

    def marked(self, d: int, payload: bytes):
        """Thunks sending payload from side d, and the other side's ACK of exactly that segment."""
        cell = [0]

        def send():
            pkt = self.data(d, payload)
            cell[0] = self.seq[d]
            return pkt
        return send, lambda: self.seg(1 - d, ACK, ack=cell[0])


def handshake(t: int, conn: TcpConn, rtt: int) -> tuple[list, int]:
    ev = [(t, conn.syn), (t + rtt // 2 + 40, conn.synack), (t + rtt + 60, lambda: conn.ack(0))]
    return ev, t + rtt + 60


# ---------------------------------------------------------------- payloads

ulaw = linear_to_ulaw


def audio_pool(rng: random.Random, alaw: bool) -> tuple[list[bytes], list[int]]:
    """64 frames of 'speech' (modulated tones + noise) and 16 of near-silence."""
    frames = []
    n = 0
    for f in range(80):
        speech = f < 64
        amp = 3000 + 2500 * math.sin(f / 5.0) if speech else 30
        b = bytearray(160)
        for i in range(160):
            x = (amp * (math.sin(2 * math.pi * 310 * n / 8000) + 0.4 * math.sin(2 * math.pi * 1170 * n / 8000))
                 + rng.gauss(0, 60 if speech else 8))
            v = ulaw(int(x))
            b[i] = (v ^ 0xD5 ^ 0xFF) if alaw else v  # A-law-looking bytes for PCMA
            n += 1
        frames.append(bytes(b))
    return frames, [word_sum(fr) for fr in frames]


RTP_PRE = struct.Struct(">I4I")  # pcap record header


def rtp_stream(rng: random.Random, src: Host, sport: int, dst: Host, dport: int, pt: int, pool,
               start: int, end: int, stats: list):
    """G.711 20 ms RTP from start to end (microseconds); yields (t, frame)."""
    frames, sums = pool
    ssrc = rng.getrandbits(32)
    seq = rng.getrandbits(16)
    ts = rng.getrandbits(32)
    ttl = 64 if src.ip[:3] == dst.ip[:3] else 63
    ulen = 8 + 12 + 160
    eth = dst.mac + src.mac + b"\x08\x00"
    pre = eth + bytes([0x45, 0xB8]) + struct.pack(">H", 20 + ulen)
    mid = struct.pack(">HBB", 0x4000, ttl, 17)
    addrs = src.ip + dst.ip + struct.pack(">HHH", sport, dport, ulen)
    ip_base = 0x45B8 + 20 + ulen + 0x4000 + (ttl << 8 | 17) + ip_words(src.ip) + ip_words(dst.ip)
    udp_base = ip_words(src.ip) + ip_words(dst.ip) + 17 + ulen + sport + dport + ulen + ip_words(
        ssrc.to_bytes(4, "big"))
    ssrc_b = ssrc.to_bytes(4, "big")
    pack = struct.Struct(">18sH4sH14sHBBHI4s").pack
    nframes = len(frames)
    talk = rng.randrange(64)
    t = start
    marker = 0x80
    jit = rng.random
    while t < end:
        ipid = src.next_id()
        s = ip_base + ipid
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        k = talk % nframes
        talk += 1
        b1 = marker | pt
        u = udp_base + (0x8000 | b1) + seq + (ts >> 16) + (ts & 0xFFFF) + sums[k]
        u = (u & 0xFFFF) + (u >> 16)
        u = (u & 0xFFFF) + (u >> 16)
        u = (u & 0xFFFF) + (u >> 16)
        uc = ~u & 0xFFFF or 0xFFFF
        yield t + int(jit() * 900), pack(pre, ipid, mid, ~s & 0xFFFF, addrs, uc, 0x80, b1, seq, ts, ssrc_b) + frames[k]
        stats[0] += 1
        marker = 0
        seq = (seq + 1) & 0xFFFF
        ts = (ts + 160) & 0xFFFFFFFF
        t += 20000


def rtcp_stream(rng: random.Random, src: Host, sport: int, dst: Host, dport: int, start: int, end: int, cname: str):
    ssrc = rng.getrandbits(32)
    t = start + rng.randrange(5_000_000)
    sent = 0
    while t < end:
        sent += 250
        ntp = BASE_TIME + 2208988800 + t / 1e6
        sr = struct.pack(">BBHIIIIII", 0x80, 200, 6, ssrc, int(ntp), int((ntp % 1) * 2**32), (t // 125) & 0xFFFFFFFF,
                         sent, sent * 160)
        c = cname.encode()
        item = bytes([1, len(c)]) + c + b"\0"
        item += b"\0" * (-(len(item) + 4) % 4)
        sdes = struct.pack(">BBHI", 0x81, 202, (4 + len(item)) // 4, ssrc) + item
        yield t, udp_frame(src, sport, dst, dport, sr + sdes, tos=0xB8)
        t += 5_000_000 + rng.randrange(-200_000, 200_000)


# ---------------------------------------------------------------- SIP

def sdp_body(owner: str, addr: str, port: int, pt: int, sess: int) -> str:
    enc = "PCMU" if pt == 0 else "PCMA"
    return "\r\n".join([
        "v=0", f"o={owner} {sess} 0 IN IP4 {addr}", "s=SIP Call", f"c=IN IP4 {addr}", "t=0 0",
        f"m=audio {port} RTP/AVP {pt} 101", f"a=rtpmap:{pt} {enc}/8000", "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15", "a=ptime:20", "a=sendrecv", ""])


class Dialog:
    """A SIP dialog over UDP 5060 between a UA (phone or trunk) and CUCM."""

    def __init__(self, rng: random.Random, ua: Host, cucm: Host, ua_is_caller: bool, ua_user: str, peer_user: str,
                 agent: str):
        self.rng = rng
        self.ua, self.cucm = ua, cucm
        self.call_id = f"{rng.getrandbits(64):016x}-{rng.getrandbits(32):08x}@{ua.addr if ua_is_caller else cucm.addr}"
        self.caller_is_ua = ua_is_caller
        self.ua_user, self.peer_user = ua_user, peer_user
        self.tag = {0: f"{rng.getrandbits(40):x}", 1: f"{rng.getrandbits(40):x}"}  # 0 caller, 1 callee
        self.cseq = rng.randrange(100, 200)
        self.agent = agent

    def _aor(self, user: str, host: Host) -> str:
        return f"<sip:{user}@{host.addr}>"

    def request(self, from_ua: bool, method: str, cseq: int, body: str = "", branch: str = "") -> bytes:
        src, dst = (self.ua, self.cucm) if from_ua else (self.cucm, self.ua)
        # From/To follow the dialog roles, whoever sends the request.
        caller = (self.ua_user, self.ua) if self.caller_is_ua else (self.peer_user, self.cucm)
        callee = (self.peer_user, self.cucm) if self.caller_is_ua else (self.ua_user, self.ua)
        sender_is_caller = from_ua == self.caller_is_ua
        fr, to = (caller, callee) if sender_is_caller else (callee, caller)
        ftag, ttag = (self.tag[0], self.tag[1]) if sender_is_caller else (self.tag[1], self.tag[0])
        uri = f"sip:{to[0]}@{dst.addr}:5060"
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {src.addr}:5060;branch=z9hG4bK{branch or '%x' % self.rng.getrandbits(48)}",
                 f"From: {self._aor(fr[0], src)};tag={ftag}",
                 f"To: {self._aor(to[0], dst)}" + ("" if method in ("INVITE", "REGISTER", "OPTIONS")
                                                  else f";tag={ttag}"),
                 f"Call-ID: {self.call_id}", f"CSeq: {cseq} {method}", "Max-Forwards: 70",
                 f"Contact: <sip:{fr[0]}@{src.addr}:5060;transport=udp>",
                 f"{'User-Agent' if from_ua else 'Server'}: {self.agent if from_ua else 'Cisco-CUCM14.0'}"]
        if method == "INVITE":
            lines += ["Allow: ACK,BYE,CANCEL,INVITE,NOTIFY,OPTIONS,REFER,REGISTER,UPDATE,SUBSCRIBE",
                      "Supported: replaces,join,sdp-anat,norefersub,resource-priority,extended-refer,X-cisco-callinfo",
                      "Session-Expires: 1800", "Allow-Events: kpml,dialog"]
        return self._finish(lines, body)

    def response(self, from_ua: bool, code: int, reason: str, method: str, cseq: int, body: str = "",
                 with_to_tag: bool = True) -> bytes:
        src, dst = (self.ua, self.cucm) if from_ua else (self.cucm, self.ua)
        # The request came from the other side.
        req_from_caller = (not from_ua) == self.caller_is_ua
        caller = self.ua_user if self.caller_is_ua else self.peer_user
        callee = self.peer_user if self.caller_is_ua else self.ua_user
        fr, to = (caller, callee) if req_from_caller else (callee, caller)
        ftag, ttag = (self.tag[0], self.tag[1]) if req_from_caller else (self.tag[1], self.tag[0])
        lines = [f"SIP/2.0 {code} {reason}",
                 f"Via: SIP/2.0/UDP {dst.addr}:5060;branch=z9hG4bK{self.rng.getrandbits(48):x}",
                 f"From: <sip:{fr}@{dst.addr}>;tag={ftag}",
                 f"To: <sip:{to}@{src.addr}>" + (f";tag={ttag}" if with_to_tag else ""),
                 f"Call-ID: {self.call_id}", f"CSeq: {cseq} {method}",
                 f"{'User-Agent' if from_ua else 'Server'}: {self.agent if from_ua else 'Cisco-CUCM14.0'}"]
        if code == 200 and method == "INVITE":
            lines.append(f"Contact: <sip:{to}@{src.addr}:5060;transport=udp>")
        return self._finish(lines, body)

    @staticmethod
    def _finish(lines: list[str], body: str) -> bytes:
        if body:
            lines += ["Content-Type: application/sdp", f"Content-Length: {len(body)}", "", body]
        else:
            lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    def pkt(self, from_ua: bool, payload: bytes):
        src, dst = (self.ua, self.cucm) if from_ua else (self.cucm, self.ua)
        return lambda: udp_frame(src, 5060, dst, 5060, payload, tos=0x60)


# ---------------------------------------------------------------- SCCP

def skinny(msg_id: int, body: bytes = b"") -> bytes:
    return struct.pack("<III", 4 + len(body), 0, msg_id) + body


class SccpPhone:
    def __init__(self, rng: random.Random, host: Host, cucm: Host, idx: int, mid_stream: bool):
        self.rng = rng
        self.host, self.cucm = host, cucm
        self.name = f"SEP{host.mac.hex().upper()}"
        self.conn = TcpConn(rng, host, rng.randrange(49152, 65535), cucm, 2000, tos=0x60)
        self.mid_stream = mid_stream
        self.dn = str(1000 + idx)

    def send(self, from_phone: bool, payload: bytes):
        d = 0 if from_phone else 1
        return lambda: self.conn.data(d, payload)

    def ack(self, from_phone: bool):
        d = 0 if from_phone else 1
        return lambda: self.conn.ack(d)

    def msgs(self, t: int, seq: list[tuple[int, bool, bytes]], acker_gap: int = 180) -> list:
        """(offset, from_phone, payload) -> events, each message acked by the other side."""
        ev = []
        for off, from_phone, payload in seq:
            send, ack = self.conn.marked(0 if from_phone else 1, payload)
            ev.append((t + off, send))
            ev.append((t + off + acker_gap + self.rng.randrange(40), ack))
        return ev


def sccp_register_ev(ph: SccpPhone, t: int) -> list:
    ev, t = handshake(t, ph.conn, 600)
    body = ph.name.encode().ljust(16, b"\0") + struct.pack("<II4sII", 0, 1, ph.host.ip, 36670, 5) + \
        struct.pack("<III", 0, 0, 0x85) + b"\0" * 4
    reg_ack = struct.pack("<I6sHII", 30, b"M/D/YA", 0, 30, 20) + b"\0" * 4
    caps = struct.pack("<I", 2) + struct.pack("<III", 4, 40, 0) * 1 + struct.pack("<III", 2, 40, 0)
    ev += ph.msgs(t + 1000, [(0, True, skinny(0x0001, body)), (3000, False, skinny(0x0081, reg_ack)),
                             (3500, False, skinny(0x009B)), (9000, True, skinny(0x0010, caps)),
                             (12000, True, skinny(0x000D)),
                             (15000, False, skinny(0x0094, struct.pack("<9I", 2026, 1, 4, 1, 0, 0, t // 1_000_000 % 60, 0,
                                                                        BASE_TIME + t // 1_000_000)))], 150)
    return ev


def sccp_keepalives(ph: SccpPhone, start: int):
    t = start
    while True:
        yield t, ph.send(True, skinny(0x0000))
        send, ack = ph.conn.marked(1, skinny(0x0100))
        yield t + 900 + ph.rng.randrange(200), send
        yield t + 120_000 + ph.rng.randrange(80_000), ack
        t += 30_000_000 + ph.rng.randrange(-50_000, 50_000)


def cs(state: int, line: int, ref: int) -> bytes:
    return skinny(0x0111, struct.pack("<IIIIII", state, line, ref, 0, 4, 0))


def orc(conf: int, party: int, ref: int, codec: int) -> bytes:
    # Basic layout (Wireshark packet-skinny.c): qualifierIn, callReference, an empty
    # mRxMediaEncryptionKeyInfo (48 bytes), stream ids, RFC 2833 payload type, DTMF type.
    return skinny(0x0105, struct.pack("<7I", conf, party, 20, codec, 0, 0, ref) + b"\0" * 48 +
                  struct.pack("<4I", 0, 0, 101, 0))


def orc_ack(ip: bytes, port: int, party: int, ref: int) -> bytes:
    return skinny(0x0022, struct.pack("<I4sIII", 0, ip, port, party, ref))


def smt(conf: int, party: int, ip: bytes, port: int, codec: int, ref: int) -> bytes:
    return skinny(0x008A, struct.pack("<II4sIIIIIIII", conf, party, ip, port, 20, codec, 0, 0, 0, 0, ref) +
                  b"\0" * 48 + struct.pack("<5I", 0, 0, 101, 0, 0))


def close_stop(conf: int, party: int, ref: int) -> list[bytes]:
    body = struct.pack("<IIII", conf, party, ref, 0)
    return [skinny(0x0106, body), skinny(0x008B, body)]


# ---------------------------------------------------------------- MGCP

class MgcpGw:
    def __init__(self, rng, host: Host, cucm: Host, name: str, pt: int):
        self.rng, self.host, self.cucm, self.name, self.pt = rng, host, cucm, name, pt
        self.tid = rng.randrange(1000, 9000)
        self.next_port = 16384 + 2 * rng.randrange(4000)

    def port(self) -> int:
        p = self.next_port
        self.next_port = 16384 + (p - 16384 + 2) % 16384
        return p

    def command(self, text: str):
        return lambda: udp_frame(self.cucm, 2427, self.host, 2427, text.encode(), tos=0x60)

    def reply(self, text: str):
        return lambda: udp_frame(self.host, 2427, self.cucm, 2427, text.encode(), tos=0x60)

    def new_tid(self) -> int:
        self.tid += 1
        return self.tid


def mgcp_keepalives(gw: MgcpGw, start: int):
    t = start
    while True:
        tid = gw.new_tid()
        yield t, gw.command(f"AUEP {tid} *@{gw.name} MGCP 0.1\r\nF: \r\n")
        yield t + 3000 + gw.rng.randrange(1000), gw.reply(f"200 {tid} \r\n")
        t += 15_000_000


# ---------------------------------------------------------------- calls

class Endpoint:
    """A party to a call: an SCCP phone, a SIP phone, an MGCP or SIP gateway."""

    def __init__(self, kind: str, host: Host, cucm: Host, number: str, pt: int = 0, obj=None, agent: str = ""):
        self.kind, self.host, self.cucm, self.number, self.pt, self.obj = kind, host, cucm, number, pt, obj
        self.agent = agent
        self.busy = False
        self.available_from = 0

    def media_port(self, rng: random.Random) -> int:
        if self.kind == "mgcp" or self.kind == "sipgw":
            return self.obj.port()
        return 16384 + 2 * rng.randrange(8192)


def leg_events(rng: random.Random, ep: Endpoint, caller: bool, me: tuple, peer: tuple, pt: int, ts: dict,
               in_progress: bool, hangs_up: bool) -> list:
    """Signalling between CUCM and one endpoint. me/peer: (number, Host, port) of the media ends."""
    t0, t_alert, t1, t2 = ts["setup"], ts["alert"], ts["answer"], ts["end"]
    ev: list = []
    num, host, port = me
    pnum, phost, pport = peer
    sess = rng.getrandbits(31)
    if ep.kind in ("sip", "sipgw"):
        dlg = Dialog(rng, ep.host, ep.cucm, caller, num, pnum, ep.agent)
        my_sdp = sdp_body("Cisco-SIPUA" if ep.kind == "sip" else "CiscoSystemsSIP-GW-UserAgent",
                          host.addr, port, pt, sess)
        peer_sdp = sdp_body("CiscoSystemsCCM-SIP", phost.addr, pport, pt, sess + 1)
        inv = dlg.cseq
        if not in_progress:
            if caller:
                ev += [(t0, dlg.pkt(True, dlg.request(True, "INVITE", inv, my_sdp))),
                       (t0 + 3000, dlg.pkt(False, dlg.response(False, 100, "Trying", "INVITE", inv, with_to_tag=False))),
                       (t_alert + 5000, dlg.pkt(False, dlg.response(False, 180, "Ringing", "INVITE", inv))),
                       (t1 + 6000, dlg.pkt(False, dlg.response(False, 200, "OK", "INVITE", inv, peer_sdp))),
                       (t1 + 9000, dlg.pkt(True, dlg.request(True, "ACK", inv)))]
            else:
                ev += [(t0 + 8000, dlg.pkt(False, dlg.request(False, "INVITE", inv, peer_sdp))),
                       (t0 + 11000, dlg.pkt(True, dlg.response(True, 100, "Trying", "INVITE", inv, with_to_tag=False))),
                       (t_alert, dlg.pkt(True, dlg.response(True, 180, "Ringing", "INVITE", inv))),
                       (t1, dlg.pkt(True, dlg.response(True, 200, "OK", "INVITE", inv, my_sdp))),
                       (t1 + 3000, dlg.pkt(False, dlg.request(False, "ACK", inv)))]
        bye = inv + 1
        if hangs_up:
            ev += [(t2, dlg.pkt(True, dlg.request(True, "BYE", bye))),
                   (t2 + 4000, dlg.pkt(False, dlg.response(False, 200, "OK", "BYE", bye)))]
        else:
            ev += [(t2 + 8000, dlg.pkt(False, dlg.request(False, "BYE", bye))),
                   (t2 + 13000, dlg.pkt(True, dlg.response(True, 200, "OK", "BYE", bye)))]
    elif ep.kind == "sccp":
        ph: SccpPhone = ep.obj
        line, ref = 1, rng.getrandbits(24)
        conf, party = rng.getrandbits(24), rng.getrandbits(24)
        codec = 4 if pt == 0 else 2  # G711 u-law / A-law
        if not in_progress:
            if caller:
                seq = [(-2_400_000, True, skinny(0x0006, struct.pack("<II", line, ref))),
                       (-2_395_000, False, cs(1, line, ref))]
                for i, d in enumerate(pnum[-4:]):
                    seq.append((-1_600_000 + i * 400_000, True, skinny(0x0003, struct.pack("<III", int(d), line, ref))))
                ev += ph.msgs(t0, seq)
                ev += ph.msgs(t_alert, [(6000, False, cs(12, line, ref)), (9000, False, cs(3, line, ref))])
                ev += ph.msgs(t1, [(5000, False, cs(5, line, ref)), (7000, False, orc(conf, party, ref, codec)),
                                   (12000, True, orc_ack(host.ip, port, party, ref)),
                                   (16000, False, smt(conf, party, phost.ip, pport, codec, ref))])
            else:
                ev += ph.msgs(t0, [(8000, False, cs(4, line, ref)),
                                   (9000, False, skinny(0x0085, struct.pack("<IIII", 2, 1, line, ref)))])
                ev += ph.msgs(t1, [(-4000, True, skinny(0x0006, struct.pack("<II", line, ref))),
                                   (1000, False, skinny(0x0085, struct.pack("<IIII", 1, 1, line, ref))),
                                   (3000, False, cs(5, line, ref)), (5000, False, orc(conf, party, ref, codec)),
                                   (10000, True, orc_ack(host.ip, port, party, ref)),
                                   (14000, False, smt(conf, party, phost.ip, pport, codec, ref))])
        closing = close_stop(conf, party, ref)
        if hangs_up:
            ev += ph.msgs(t2, [(0, True, skinny(0x0007, struct.pack("<II", line, ref))),
                               (4000, False, closing[0]), (5000, False, closing[1]), (7000, False, cs(2, line, ref))])
        else:
            ev += ph.msgs(t2, [(9000, False, closing[0]), (10000, False, closing[1]),
                               (12000, False, cs(2, line, ref))])
    elif ep.kind == "mgcp":
        gw: MgcpGw = ep.obj
        ep_name = f"S0/SU{rng.randrange(2)}/DS1-0/{rng.randrange(1, 24)}@{gw.name}"
        call_id = f"{rng.getrandbits(32):X}"
        conn_id = f"{rng.getrandbits(32):X}"
        enc = "PCMU" if pt == 0 else "PCMA"
        my_sdp = sdp_body("-", host.addr, port, pt, sess)
        peer_sdp = sdp_body("-", phost.addr, pport, pt, sess + 1)
        if not in_progress:
            tid = gw.new_tid()
            ev += [(t0 + 8000, gw.command(f"CRCX {tid} {ep_name} MGCP 0.1\r\nC: {call_id}\r\nX: 1\r\n"
                                          f"L: p:20, a:{enc}, s:off, t:b8\r\nM: recvonly\r\n")),
                   (t0 + 22000, gw.reply(f"200 {tid} OK\r\nI: {conn_id}\r\n\r\n{my_sdp}"))]
            tid = gw.new_tid()
            ev += [(t1 + 2000, gw.command(f"MDCX {tid} {ep_name} MGCP 0.1\r\nC: {call_id}\r\nI: {conn_id}\r\n"
                                          f"X: 1\r\nL: p:20, a:{enc}, s:off, t:b8\r\nM: sendrecv\r\n\r\n{peer_sdp}")),
                   (t1 + 9000, gw.reply(f"200 {tid} OK\r\n"))]
        tid = gw.new_tid()
        ev += [(t2 + 6000, gw.command(f"DLCX {tid} {ep_name} MGCP 0.1\r\nC: {call_id}\r\nI: {conn_id}\r\n")),
               (t2 + 15000, gw.reply(f"250 {tid} OK\r\nP: PS=1390, OS=222400, PR=1388, OR=222080, PL=0, JI=2, "
                                     f"LA=0\r\n"))]
    return ev


class World:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.cucm = [Host("10.1.1.10", "cucm-pub", rng.getrandbits(16)),
                     Host("10.1.1.11", "cucm-sub1", rng.getrandbits(16))]
        self.dns = Host("10.1.1.53", "dns", rng.getrandbits(16))
        self.proxy = Host("10.1.3.80", "proxy", rng.getrandbits(16))
        self.phones: list[Endpoint] = []
        self.sccp: list[SccpPhone] = []
        models = ["Cisco-CP8845/14.2.1", "Cisco-CP8865/14.2.1", "Cisco-CP7841/14.1.1", "Cisco-CP8851/14.2.1"]
        for i in range(100):
            h = Host(f"10.10.1.{10 + i}", seed=rng.getrandbits(16))
            cucm = self.cucm[i % 2]
            ph = SccpPhone(rng, h, cucm, i, mid_stream=rng.random() < 0.3)
            self.sccp.append(ph)
            self.phones.append(Endpoint("sccp", h, cucm, ph.dn, obj=ph))
        for i in range(100):
            h = Host(f"10.10.2.{10 + i}", seed=rng.getrandbits(16))
            self.phones.append(Endpoint("sip", h, self.cucm[i % 2], str(2000 + i), agent=rng.choice(models)))
        self.gateways: list[Endpoint] = []
        self.mgcp: list[MgcpGw] = []
        for i in range(2):
            h = Host(f"10.1.2.{1 + i}", seed=rng.getrandbits(16))
            gw = MgcpGw(rng, h, self.cucm[0], f"vg{i + 1}.corp.example.com", pt=0)
            self.mgcp.append(gw)
            self.gateways.append(Endpoint("mgcp", h, self.cucm[0], "", pt=0, obj=gw))
        for i in range(2):
            h = Host(f"10.1.2.{3 + i}", seed=rng.getrandbits(16))
            gw = MgcpGw(rng, h, self.cucm[1], "", pt=8)  # only its port allocator is used
            self.gateways.append(Endpoint("sipgw", h, self.cucm[1], "", pt=8, obj=gw,
                                          agent="Cisco-SIPGateway/IOS-17.x"))
        self.pools = {0: audio_pool(rng, False), 8: audio_pool(rng, True)}
        self.desktops = [Host(f"10.20.{i // 200}.{10 + i % 200}", seed=rng.getrandbits(16)) for i in range(300)]
        self.rtp_count = [0]

    def pick_phone(self, t: int, exclude=None, kinds=("sccp", "sip")) -> Endpoint | None:
        for _ in range(50):
            ep = self.rng.choice(self.phones)
            if not ep.busy and ep.available_from <= t and ep is not exclude and ep.kind in kinds:
                return ep
        return None


def call_slot(world: World, sched: "Sched", first: bool):
    rng = world.rng
    t = 0
    in_progress = first
    while True:
        # Choose the parties.
        if in_progress:
            a = world.pick_phone(t, kinds=("sip",) if rng.random() < 0.5 else ("sccp",))
            if a and a.kind == "sccp" and not a.obj.mid_stream:
                a = None
        else:
            a = world.pick_phone(t)
        if a is None:
            t += 2_000_000
            in_progress = False
            yield t, None
            continue
        a.busy = True
        if rng.random() < 0.6:
            b = world.pick_phone(t, exclude=a)
            if b is None or (in_progress and b.kind == "sccp" and not b.obj.mid_stream):
                b = rng.choice(world.gateways)
        else:
            b = rng.choice(world.gateways)
        if b.kind in ("sip", "sccp"):
            b.busy = True
        pt = b.pt if b.kind in ("mgcp", "sipgw") else 0
        # Inbound PSTN calls: a SIP trunk calls a phone.
        caller, callee = (b, a) if b.kind == "sipgw" and rng.random() < 0.4 else (a, b)
        cnum = caller.number or f"+1408555{rng.randrange(10000):04d}"
        dnum = callee.number or f"9{rng.randrange(2000000, 9999999)}"
        if in_progress:
            setup = alert = answer = -rng.randrange(1_000_000, 60_000_000)
            media = rng.randrange(20_000)
            end = media + rng.randrange(1_000_000, 90_000_000)
        else:
            setup = t + (2_500_000 if caller.kind == "sccp" else 0)
            alert = setup + 60_000 + rng.randrange(60_000)
            answer = alert + rng.randrange(1_500_000, 9_000_000)
            media = answer + 30_000 + rng.randrange(20_000)
            end = media + min(int(rng.expovariate(1 / 45e6)) + 4_000_000, 300_000_000)
        ts = {"setup": setup, "alert": alert, "answer": answer, "end": end}
        cport, dport = caller.media_port(rng), callee.media_port(rng)
        hang = rng.random() < 0.5
        ev = leg_events(rng, caller, True, (cnum, caller.host, cport), (dnum, callee.host, dport), pt, ts,
                        in_progress, hang)
        ev += leg_events(rng, callee, False, (dnum, callee.host, dport), (cnum, caller.host, cport), pt, ts,
                         in_progress, not hang)
        pool = world.pools[pt]
        for src, sp, dst, dp in ((caller.host, cport, callee.host, dport), (callee.host, dport, caller.host, cport)):
            sched.add(rtp_stream(rng, src, sp, dst, dp, pt, pool, media + rng.randrange(20_000), end,
                                 world.rtp_count))
            sched.add(rtcp_stream(rng, src, sp + 1, dst, dp + 1, media, end,
                                  f"{src.addr}" if src.ip[1] != 10 else f"SEP{src.mac.hex().upper()}@{src.addr}"))
        ev.sort(key=lambda e: e[0])
        for e in ev:
            if e[0] >= t:
                yield e
        t = max(t, ev[-1][0] if ev else end) + 50_000
        for ep in (caller, callee):
            ep.busy = False
        t += rng.randrange(500_000, 8_000_000)
        in_progress = False
        yield t, None


def sip_housekeeping(world: World, start: int):
    """REGISTER refreshes from SIP phones (every 120 s) and OPTIONS pings to trunks (every 30 s)."""
    rng = world.rng
    ev = []
    horizon = 3600_000_000
    for ep in world.phones:
        if ep.kind != "sip":
            continue
        t = start + rng.randrange(120_000_000)
        while t < horizon:
            ev.append((t, "reg", ep))
            t += 120_000_000 + rng.randrange(-500_000, 500_000)
    for ep in world.gateways:
        if ep.kind != "sipgw":
            continue
        t = start + rng.randrange(30_000_000)
        while t < horizon:
            ev.append((t, "opt", ep))
            t += 30_000_000
    ev.sort(key=lambda e: e[0])
    for t, kind, ep in ev:
        if kind == "reg":
            dlg = Dialog(rng, ep.host, ep.cucm, True, ep.number, ep.number, ep.agent)
            body = dlg.request(True, "REGISTER", dlg.cseq).replace(
                b"Max-Forwards: 70", b"Max-Forwards: 70\r\nExpires: 3600")
            yield t, dlg.pkt(True, body)
            yield t + 7000 + rng.randrange(3000), dlg.pkt(False, dlg.response(False, 200, "OK", "REGISTER", dlg.cseq))
        else:
            dlg = Dialog(rng, ep.host, ep.cucm, False, "ping", "ping", ep.agent)
            yield t, dlg.pkt(False, dlg.request(False, "OPTIONS", dlg.cseq))
            yield t + 2000 + rng.randrange(2000), dlg.pkt(True, dlg.response(True, 200, "OK", "OPTIONS", dlg.cseq))


# ---------------------------------------------------------------- web, TLS, DNS

SITES = [
    ("www.example.com", "93.184.216.34"), ("intranet.corp.example.com", "10.1.3.20"),
    ("cdn.example.net", "203.0.113.10"), ("api.example.org", "198.51.100.23"),
    ("login.example.com", "203.0.113.45"), ("news.example.org", "198.51.100.80"),
    ("static.example.net", "203.0.113.77"), ("mail.example.com", "192.0.2.25"),
    ("updates.example.com", "192.0.2.140"), ("docs.example.org", "198.51.100.150"),
    ("video.example.net", "203.0.113.200"), ("crm.example.com", "192.0.2.201"),
]
PATHS = ["/", "/index.html", "/api/v1/items?page=2", "/static/app.js", "/static/site.css", "/news/today",
         "/search?q=cisco+phone", "/images/logo.svg", "/api/v2/status", "/login", "/dashboard"]
CTYPES = ["text/html; charset=utf-8", "text/html; charset=utf-8", "application/json", "text/plain"]
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
HTML = ("<!DOCTYPE html><html><head><title>Example</title><link rel=\"stylesheet\" href=\"/static/site.css\">"
        "</head><body><div class=\"item\"><h2>Quarterly update</h2><p>Lorem ipsum dolor sit amet, consectetur "
        "adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p></div>\n") * 400
JSON_ITEMS = ['{"id":%d,"name":"item %d","status":"ok","tags":["voice","video"],"score":%d.%d}'
              % (i, i, i % 97, i % 10) for i in range(2000)]


def dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_pair(rng: random.Random, client: Host, dns: Host, name: str, addr: str, qtype: int, t: int) -> list:
    qid = rng.getrandbits(16)
    sport = rng.randrange(49152, 65535)
    q = dns_name(name) + struct.pack(">HH", qtype, 1)
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q
    if qtype == 1:
        answers = [b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + aton(addr)]
    else:
        answers = []
    resp = struct.pack(">HHHHHH", qid, 0x8180, 1, len(answers), 0, 0) + q + b"".join(answers)
    return [(t, lambda: udp_frame(client, sport, dns, 53, query)),
            (t + 700 + rng.randrange(4000), lambda: udp_frame(dns, 53, client, sport, resp))]


def segments(data: bytes) -> list[bytes]:
    return [data[i:i + MSS] for i in range(0, len(data), MSS)]


def bulk(conn: TcpConn, d: int, data: bytes, t: int, rtt: int, gap: int = 120) -> tuple[list, int]:
    """Send data from side d in MSS segments; the receiver ACKs every second segment."""
    ev = []
    segs = segments(data)
    for i, s in enumerate(segs):
        send, ack = conn.marked(d, s)
        ev.append((t, send))
        if i % 2 == 1 or i == len(segs) - 1:
            ev.append((t + rtt // 2 + 30, ack))
        t += gap
    return ev, t


def close(conn: TcpConn, t: int, rtt: int) -> list:
    return [(t, lambda: conn.seg(0, FIN | ACK)), (t + rtt // 2 + 50, lambda: conn.seg(1, FIN | ACK)),
            (t + rtt + 100, lambda: conn.ack(0))]


def http_session(rng: random.Random, world: World, t: int) -> list:
    client = rng.choice(world.desktops)
    name, addr = rng.choice(SITES)
    via_proxy = rng.random() < 0.3
    ev = []
    if via_proxy:
        server, port = world.proxy, 8080
    else:
        server, port = Host(addr, seed=rng.getrandbits(16)), 80
        if rng.random() < 0.7:
            ev += dns_pair(rng, client, world.dns, name, addr, 1, t)
            t += 6000
    rtt = rng.randrange(800, 60_000) if not via_proxy else rng.randrange(300, 2000)
    conn = TcpConn(rng, client, rng.randrange(49152, 65535), server, port)
    hs, t = handshake(t, conn, rtt)
    ev += hs
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        path = rng.choice(PATHS)
        target = f"http://{name}{path}" if via_proxy else path
        req = (f"GET {target} HTTP/1.1\r\nHost: {name}\r\nUser-Agent: {UA}\r\nAccept: */*\r\n"
               f"Accept-Encoding: identity\r\nAccept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\n\r\n").encode()
        ev.append((t + 100, lambda req=req: conn.data(0, req)))
        t += rtt + rng.randrange(500, 20_000)
        size = int(rng.lognormvariate(8.5, 1.1)) % 120_000 + 200
        ctype = rng.choice(CTYPES)
        if ctype == "application/json":
            n = min(size // 80 + 1, 2000)
            body = ("[" + ",".join(JSON_ITEMS[:n]) + "]").encode()
        else:
            start = rng.randrange(len(HTML) - size) if size < len(HTML) else 0
            body = HTML[start:start + size].encode()
        head = (f"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: nginx/1.24.0\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"Cache-Control: max-age=600\r\nConnection: keep-alive\r\n\r\n").encode()
        b, t = bulk(conn, 1, head + body, t, rtt)
        ev += b
        t += rtt + rng.randrange(1000, 300_000)
    ev += close(conn, t, rtt)
    return ev


def tls_client_hello(rng: random.Random, name: str) -> bytes:
    sni = name.encode()
    exts = []

    def ext(typ: int, body: bytes):
        exts.append(struct.pack(">HH", typ, len(body)) + body)
    ext(0, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni)
    ext(23, b"")
    ext(65281, b"\0")
    ext(10, struct.pack(">H", 8) + bytes.fromhex("001d00170018001e"))
    ext(11, b"\x01\x00")
    ext(35, b"")
    ext(16, bytes.fromhex("000c02683208687474702f312e31"))
    ext(5, bytes.fromhex("0100000000"))
    ext(13, struct.pack(">H", 16) + bytes.fromhex("04030804040105030805050108060601"))
    ext(51, struct.pack(">HHH", 36, 0x1D, 32) + rng.randbytes(32))
    ext(45, b"\x01\x01")
    ext(43, b"\x04\x03\x04\x03\x03")
    ciphers = bytes.fromhex("130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f0035")
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32) + struct.pack(">H", len(ciphers)) + ciphers
            + b"\x01\x00" + struct.pack(">H", sum(len(e) for e in exts)) + b"".join(exts))
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def tls_server_hello(rng: random.Random, session_id: bytes) -> bytes:
    exts = struct.pack(">HHH", 43, 2, 0x0304) + struct.pack(">HHHH", 51, 36, 0x1D, 32) + rng.randbytes(32)
    body = b"\x03\x03" + rng.randbytes(32) + b"\x20" + session_id + b"\x13\x01\x00" + struct.pack(">H", len(exts)) + exts
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def app_data(rng: random.Random, n: int) -> bytes:
    out = []
    while n > 0:
        k = min(n, 16384)
        out.append(b"\x17\x03\x03" + struct.pack(">H", k + 17) + rng.randbytes(k + 17))
        n -= k
    return b"".join(out)


def tls_session(rng: random.Random, world: World, t: int) -> list:
    client = rng.choice(world.desktops)
    name, addr = rng.choice(SITES)
    server = Host(addr, seed=rng.getrandbits(16))
    ev = []
    if rng.random() < 0.7:
        ev += dns_pair(rng, client, world.dns, name, addr, 1, t)
        if rng.random() < 0.5:
            ev += dns_pair(rng, client, world.dns, name, addr, 28, t + 300)
        t += 6000
    rtt = rng.randrange(800, 80_000)
    conn = TcpConn(rng, client, rng.randrange(49152, 65535), server, 443)
    hs, t = handshake(t, conn, rtt)
    ev += hs
    ch = tls_client_hello(rng, name)
    sid = ch[44:76]
    ev.append((t + 100, lambda: conn.data(0, ch)))
    t += rtt + rng.randrange(1000, 10_000)
    flight = tls_server_hello(rng, sid) + b"\x14\x03\x03\x00\x01\x01" + app_data(rng, rng.randrange(2500, 4500))
    b, t = bulk(conn, 1, flight, t, rtt)
    ev += b
    t += rtt // 2 + 2000
    ev.append((t, lambda: conn.data(0, b"\x14\x03\x03\x00\x01\x01" + app_data(rng, 53))))
    for _ in range(rng.choice((1, 1, 2, 3, 5))):
        t += 300
        req = app_data(rng, rng.randrange(150, 900))
        ev.append((t, lambda req=req: conn.data(0, req)))
        t += rtt + rng.randrange(1000, 40_000)
        size = int(rng.lognormvariate(9.0, 1.2)) % 200_000 + 100
        b, t = bulk(conn, 1, app_data(rng, size), t, rtt)
        ev += b
        t += rtt + rng.randrange(1000, 500_000)
    ev.append((t, lambda: conn.data(0, b"\x17\x03\x03\x00\x13" + rng.randbytes(19))))
    ev += close(conn, t + 200, rtt)
    return ev


def phone_dns(rng: random.Random, world: World, t: int) -> list:
    ph = rng.choice(world.phones)
    name = rng.choice(["cucm-pub.corp.example.com", "cucm-sub1.corp.example.com", "tftp.corp.example.com"])
    return dns_pair(rng, ph.host, world.dns, name, "10.1.1.10", 1, t)


def web_spawner(world: World, sched: "Sched", rate: float):
    rng = world.rng
    t = rng.randrange(20_000)
    while True:
        r = rng.random()
        if r < 0.45:
            ev = tls_session(rng, world, t)
        elif r < 0.93:
            ev = http_session(rng, world, t)
        elif r < 0.98:
            name, addr = rng.choice(SITES)
            ev = dns_pair(rng, rng.choice(world.desktops), world.dns, name, addr, rng.choice((1, 28)), t)
        else:
            ev = phone_dns(rng, world, t)
        ev.sort(key=lambda e: e[0])
        sched.add(iter(ev))
        t += int(rng.expovariate(rate) * 1e6) + 1
        yield t, None


# ---------------------------------------------------------------- scheduler and writer

class Sched:
    """Merges timed packet sources. A source yields (t_us, packet) in time order; the packet is bytes, a
    callable building bytes when it is written (shared TCP state), or None (a timer)."""

    def __init__(self):
        self.heap: list = []
        self.n = 0

    def add(self, gen):
        for t, pkt in gen:
            self.n += 1
            heapq.heappush(self.heap, (t, self.n, pkt, gen))
            return

    def run(self, out, count: int) -> int:
        heap = self.heap
        pop, push = heapq.heappop, heapq.heappush
        rec = RECORD_HEADER.pack
        buf: list[bytes] = []
        written = 0
        last = 0
        while written < count and heap:
            t, _, pkt, gen = pop(heap)
            if pkt is not None:
                if t < last:
                    t = last
                last = t
                if pkt.__class__ is not bytes:
                    pkt = pkt()
                n = len(pkt)
                buf.append(rec(BASE_TIME + t // 1_000_000, t % 1_000_000, n, n))
                buf.append(pkt)
                written += 1
                if len(buf) >= 20000:
                    out.write(b"".join(buf))
                    buf.clear()
            for t2, p2 in gen:
                self.n += 1
                push(heap, (t2, self.n, p2, gen))
                break
        out.write(b"".join(buf))
        return written


def generate(path: str, packets: int = DEFAULT_PACKETS, seed: int = DEFAULT_SEED, quiet: bool = False) -> dict:
    rng = random.Random(seed)
    world = World(rng)
    sched = Sched()
    # SCCP phones: most re-register in the first seconds (handshake), the rest are mid-stream.
    for ph, ep in zip(world.sccp, world.phones):
        if ph.mid_stream:
            sched.add(sccp_keepalives(ph, rng.randrange(30_000_000)))
        else:
            t = rng.randrange(3_000_000)
            ep.available_from = t + 1_000_000
            ev = sccp_register_ev(ph, t)
            ev.sort(key=lambda e: e[0])
            sched.add(iter(ev))
            sched.add(sccp_keepalives(ph, t + 30_000_000 + rng.randrange(1_000_000)))
    for gw in world.mgcp:
        sched.add(mgcp_keepalives(gw, rng.randrange(15_000_000)))
    sched.add(sip_housekeeping(world, 0))
    for i in range(CALL_SLOTS):
        sched.add(call_slot(world, sched, first=True))
    sched.add(web_spawner(world, sched, WEB_SESSIONS_PER_S))
    tmp = path + ".tmp"
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(PCAP_HEADER)
        written = sched.run(f, packets)
    os.replace(tmp, path)
    info = {"packets": written, "rtp": world.rtp_count[0], "bytes": os.path.getsize(path)}
    # rtp_count counts packets produced; a few may be left in the heap at the end.
    info["rtp_share"] = min(1.0, info["rtp"] / max(1, written))
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help="pcap file to write")
    ap.add_argument("--packets", type=int, default=DEFAULT_PACKETS, help="number of packets (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    a = ap.parse_args(argv)
    if a.packets <= 0:
        ap.error("--packets must be positive")
    import time
    t0 = time.monotonic()
    info = generate(a.output, a.packets, a.seed)
    print(f"{a.output}: {info['packets']} packets, {info['bytes'] / 1e6:.1f} MB, "
          f"~{100 * info['rtp_share']:.0f}% RTP, written in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
