"""Build small deterministic captures for tests and teaching (scapy).

Every packet gets a fixed timestamp; TCP conversations can start with a real
three-way handshake (so the listener is known) or in mid-stream (so it is
not). Used by tests/ and captures/make_captures.py.
"""
from __future__ import annotations

import os
import struct

from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # type: ignore

BASE_TIME = 1767225600.0  # 2026-01-01 00:00:00 UTC


class Capture:
    def __init__(self, start: float = BASE_TIME, step: float = 0.001):
        self.packets = []
        self.t = start
        self.step = step
        self._seq: dict[tuple, int] = {}

    def _add(self, pkt, gap: float | None = None):
        self.t += self.step if gap is None else gap
        pkt.time = round(self.t, 6)
        self.packets.append(pkt)
        return pkt

    def udp(self, src, sport, dst, dport, payload: bytes = b"", gap=None):
        return self._add(Ether(src="00:00:5e:00:53:01", dst="00:00:5e:00:53:02") /
                         IP(src=src, dst=dst, ttl=64, id=len(self.packets) + 1) /
                         UDP(sport=sport, dport=dport) / Raw(payload), gap)

    def tcp_handshake(self, client, cport, server, sport):
        key = (client, cport, server, sport)
        self._seq[key] = 1000
        self._seq[(server, sport, client, cport)] = 5000
        self._tcp(client, cport, server, sport, "S", b"", syn=True)
        self._tcp(server, sport, client, cport, "SA", b"", syn=True)
        self._tcp(client, cport, server, sport, "A", b"")

    def tcp(self, src, sport, dst, dport, payload: bytes, gap=None):
        """A data segment (the conversation may have no handshake: mid-stream)."""
        return self._tcp(src, sport, dst, dport, "PA", payload, gap=gap)

    def _tcp(self, src, sport, dst, dport, flags, payload, syn=False, gap=None):
        key = (src, sport, dst, dport)
        rkey = (dst, dport, src, sport)
        seq = self._seq.setdefault(key, 1000)
        ack = self._seq.setdefault(rkey, 5000) if "A" in flags else 0
        pkt = (Ether(src="00:00:5e:00:53:01", dst="00:00:5e:00:53:02") /
               IP(src=src, dst=dst, ttl=64, id=len(self.packets) + 1) /
               TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=65535))
        if payload:
            pkt = pkt / Raw(payload)
        self._seq[key] = seq + len(payload) + (1 if syn else 0)
        return self._add(pkt, gap)

    def write(self, path: str) -> str:
        wrpcap(path, self.packets)
        os.chmod(path, 0o644)
        return path


# ---- Realistic payloads

def sccp(message_id: int, body: bytes = b"", version: int = 0) -> bytes:
    """Skinny: little-endian length (message id + body), header version, message id."""
    return struct.pack("<III", 4 + len(body), version, message_id) + body


def sccp_register(device: str = "SEP001122334455") -> bytes:
    body = device.encode().ljust(16, b"\0") + struct.pack("<IIIII", 0, 0, 1, 0x6f, 0) + b"\0" * 8
    return sccp(0x0001, body)


def sip(method: str, uri: str, host: str, port: int, transport: str = "UDP", call_id: str = "1@ciscouc",
        cseq: int = 1, body: str = "", extra: str = "") -> bytes:
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/{transport} {host}:{port};branch=z9hG4bK{cseq}{len(call_id)}",
             "From: <sip:1001@cucm.example.com>;tag=100", "To: <sip:1002@cucm.example.com>",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", "Max-Forwards: 70",
             "User-Agent: Cisco-CP8841/12.5.1"]
    if extra:
        lines.append(extra)
    if body:
        lines += ["Content-Type: application/sdp", f"Content-Length: {len(body)}", "", body]
    else:
        lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def sip_response(code: int, reason: str, host: str, port: int, call_id: str = "1@ciscouc", cseq: int = 1,
                 method: str = "REGISTER", transport: str = "UDP") -> bytes:
    return ("\r\n".join([f"SIP/2.0 {code} {reason}", f"Via: SIP/2.0/{transport} {host}:{port};branch=z9hG4bK{cseq}",
                         "From: <sip:1001@cucm.example.com>;tag=100", "To: <sip:1002@cucm.example.com>;tag=200",
                         f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", "Server: Cisco-CUCM12.5",
                         "Content-Length: 0", "", ""])).encode()


def sdp(addr: str, port: int) -> str:
    return "\r\n".join(["v=0", f"o=CiscoSystemsCCM-SIP 1 1 IN IP4 {addr}", "s=SIP Call", f"c=IN IP4 {addr}", "t=0 0",
                        f"m=audio {port} RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                        "a=ptime:20", ""])


def mgcp(verb: str, tid: int, endpoint: str, params: str = "") -> bytes:
    return f"{verb} {tid} {endpoint} MGCP 1.0\r\n{params}".encode()


def mgcp_response(code: int, tid: int, text: str = "OK") -> bytes:
    return f"{code} {tid} {text}\r\n".encode()


def rtp(seq: int, ts: int, ssrc: int, pt: int = 0, payload: bytes = b"\xff" * 160, marker: bool = False) -> bytes:
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def tpkt_q931_setup(call_ref: int = 0x1234) -> bytes:
    """TPKT + Q.931 SETUP with a bearer capability IE (no H.225 UUIE)."""
    q931 = bytes([0x08, 0x02, (call_ref >> 8) & 0x7F, call_ref & 0xFF, 0x05, 0x04, 0x03, 0x80, 0x90, 0xA2])
    return struct.pack("!BBH", 3, 0, 4 + len(q931)) + q931


def tftp_rrq(filename: str) -> bytes:
    return struct.pack("!H", 1) + filename.encode() + b"\0octet\0"


def tftp_data(block: int, data: bytes) -> bytes:
    return struct.pack("!HH", 3, block) + data


def tftp_ack(block: int) -> bytes:
    return struct.pack("!HH", 4, block)


def xmpp_stream_header(to: str) -> bytes:
    return (f"<?xml version='1.0'?><stream:stream to='{to}' xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>").encode()


def tls_client_hello(server_name: str = "cucm.example.com") -> bytes:
    """A minimal TLS 1.2 ClientHello record with SNI."""
    sni = server_name.encode()
    ext_sni = struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 2) + b"\x00\x2f" + b"\x01\x00" +
            struct.pack("!H", len(ext_sni)) + ext_sni)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def http_get(host: str, path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ciscouc-test\r\n\r\n".encode()
