"""A fast raw pcap writer: Ethernet/IPv4/UDP/TCP frames packed with struct
(no scapy), correct checksums, classic pcap records with microsecond
timestamps. For captures where volume matters (bench/make_capture.py writes a
million packets in about ten seconds); the readable scapy builders are in
captures/pcap.py.

Frames take hosts as objects with .ip (4 bytes), .mac (6 bytes) and
.next_id() (the next IPv4 identification).
"""
from __future__ import annotations

import struct
import sys
from array import array

LITTLE = sys.byteorder == "little"

# Classic pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
# magic, version 2.4, thiszone 0, sigfigs 0, snaplen 262144, LINKTYPE_ETHERNET (1).
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
# Per-packet record header: seconds, microseconds, captured length, original length.
RECORD_HEADER = struct.Struct("<IIII")


def record(seconds: int, micros: int, frame: bytes) -> bytes:
    """One pcap record (header and frame)."""
    return RECORD_HEADER.pack(seconds, micros, len(frame), len(frame)) + frame


# ---------------------------------------------------------------- checksums


def _fold(s: int) -> int:
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def word_sum(b: bytes) -> int:
    """Sum of the big-endian 16-bit words of b (not folded)."""
    if len(b) & 1:
        b += b"\0"
    s = sum(array("H", b))
    if LITTLE:  # one's complement sums are byte-order independent (RFC 1071)
        s = _fold(s)
        s = ((s & 0xFF) << 8) | (s >> 8)
    return s


def checksum(s: int) -> int:
    return ~_fold(s) & 0xFFFF


def ip_words(ip: bytes) -> int:
    return (ip[0] << 8 | ip[1]) + (ip[2] << 8 | ip[3])


def aton(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


# ---------------------------------------------------------------- frames

IP_HDR = struct.Struct(">BBHHHBBH4s4s")
UDP_HDR = struct.Struct(">HHHH")
TCP_HDR = struct.Struct(">HHIIBBHHH")


def ip_frame(src: Host, dst: Host, proto: int, l4: bytes, tos: int = 0, ttl: int = 64) -> bytes:
    total = 20 + len(l4)
    hdr = IP_HDR.pack(0x45, tos, total, src.next_id(), 0x4000, ttl, proto, 0, src.ip, dst.ip)
    c = checksum(word_sum(hdr))
    return dst.mac + src.mac + b"\x08\x00" + hdr[:10] + struct.pack(">H", c) + hdr[12:] + l4


def udp_frame(src: Host, sport: int, dst: Host, dport: int, payload: bytes, tos: int = 0) -> bytes:
    ulen = 8 + len(payload)
    pseudo = ip_words(src.ip) + ip_words(dst.ip) + 17 + ulen
    c = checksum(pseudo + sport + dport + ulen + word_sum(payload)) or 0xFFFF
    return ip_frame(src, dst, 17, UDP_HDR.pack(sport, dport, ulen, c) + payload, tos)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_frame(src: Host, sport: int, dst: Host, dport: int, seq: int, ack: int, flags: int,
              payload: bytes = b"", window: int = 64240, options: bytes = b"", tos: int = 0) -> bytes:
    off = (20 + len(options)) // 4
    hdr = TCP_HDR.pack(sport, dport, seq, ack, off << 4, flags, window, 0, 0) + options
    tlen = len(hdr) + len(payload)
    c = checksum(ip_words(src.ip) + ip_words(dst.ip) + 6 + tlen + word_sum(hdr) + word_sum(payload))
    return ip_frame(src, dst, 6, hdr[:16] + struct.pack(">H", c) + hdr[18:] + payload, tos)
