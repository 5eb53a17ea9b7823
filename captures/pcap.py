"""Build small deterministic captures for tests and teaching (scapy).

Every packet gets a fixed timestamp; TCP conversations can start with a real
three-way handshake (so the listener is known) or in mid-stream (so it is
not). Used by captures/make_captures.py (the teaching captures), tests/,
qa/ (fuzz corpus, valgrind check). For volume, see captures/raw.py.
"""
from __future__ import annotations

import os
import struct

from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # type: ignore

from captures.g711 import linear_to_ulaw

BASE_TIME = 1767225600.0  # 2026-01-01 00:00:00 UTC


class Capture:
    """Packets at start + step, + step, ... (or + gap). With whole_microseconds
    the clock is kept as an integer count of microseconds, so timestamps read
    0.373000 rather than 0.372999 after many small gaps (the teaching captures)."""

    def __init__(self, start: float = BASE_TIME, step: float = 0.001, whole_microseconds: bool = False):
        self.packets = []
        self.start = start
        self.t = start
        self.step = step
        self._us = 0 if whole_microseconds else None
        self._seq: dict[tuple, int] = {}

    def _add(self, pkt, gap: float | None = None):
        if self._us is None:
            self.t += self.step if gap is None else gap
            pkt.time = round(self.t, 6)
        else:
            self._us += round((self.step if gap is None else gap) * 1_000_000)
            self.t = self.start + self._us / 1_000_000
            pkt.time = self.t
        self.packets.append(pkt)
        return pkt

    def add_frame(self, pkt, gap=None):
        """Append any scapy frame (a broadcast, a non-TCP/UDP packet) at the next timestamp."""
        return self._add(pkt, gap)

    def tcp_ack(self, src, sport, dst, dport, gap=None):
        """A bare ACK (no payload) acknowledging everything the peer sent so far."""
        return self._tcp(src, sport, dst, dport, "A", b"", gap=gap)

    def tcp_close(self, client, cport, server, sport, gap=None):
        """Orderly close: FIN/ACK from the client, FIN/ACK from the server, last ACK."""
        self._tcp(client, cport, server, sport, "FA", b"", syn=True, gap=gap)
        self._tcp(server, sport, client, cport, "FA", b"", syn=True)
        self._tcp(client, cport, server, sport, "A", b"")

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


def sccp_register(device: str = "SEP001122334455", device_type: int = 0x6f) -> bytes:
    """RegisterMessage 0x0001 (packet-skinny.c handle_RegisterMessage): DeviceName[16],
    reserved, instance, stationIpAddr, deviceType, maxStreams."""
    body = device.encode().ljust(16, b"\0") + struct.pack("<IIIII", 0, 0, 1, device_type, 0) + b"\0" * 8
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


# ---- Additions for the teaching captures (captures/make_captures.py)

def rtp_call(cap: Capture, a: str, aport: int, b: str, bport: int, packets: int = 100,
             ssrc_a: int = 0x1A2B3C01, ssrc_b: int = 0x1A2B3C02, seq_a: int = 1000, seq_b: int = 20000,
             ts_a: int = 160000, ts_b: int = 480000, pt: int = 0) -> None:
    """A two-way G.711 call: `packets` RTP packets each way, 20 ms apart per
    direction, 160-byte payloads, consistent sequence numbers, timestamps
    (+160 per packet) and one SSRC per direction. a -> b goes first."""
    for i in range(packets):
        cap.udp(a, aport, b, bport, rtp(seq_a + i, ts_a + 160 * i, ssrc_a, pt, g711_tone(i, 0), marker=i == 0),
                gap=0.0195 if i else None)
        cap.udp(b, bport, a, aport, rtp(seq_b + i, ts_b + 160 * i, ssrc_b, pt, g711_tone(i, 1), marker=i == 0),
                gap=0.0005)


_ulaw = linear_to_ulaw


def g711_tone(packet: int, voice: int = 0) -> bytes:
    """160 mu-law samples (20 ms) of a quiet triangle-wave tone: 500 Hz for
    voice 0, 400 Hz for voice 1. Integer arithmetic only, so byte-identical
    everywhere."""
    period = 16 if voice == 0 else 20
    amp = 4000
    out = bytearray()
    for n in range(packet * 160, packet * 160 + 160):
        ph = n % period
        half = period // 2
        lin = (ph * 2 * amp // half - amp) if ph < half else (amp - (ph - half) * 2 * amp // half)
        out.append(_ulaw(lin))
    return bytes(out)


# ---- DHCP with raw options (RFC 2131 section 2, RFC 2132; option 150: RFC 5859)

def dhcp(op: int, message_type: int, options: list[tuple[int, bytes]], ciaddr: str = "0.0.0.0",
         yiaddr: str = "0.0.0.0", chaddr: bytes = b"\x02\x00\x00\x00\x00\x01") -> bytes:
    """A BOOTP message (op 1 request, 2 reply) with the DHCP magic cookie, option 53
    (message type), the given options and option 255."""
    head = struct.pack("!BBBBIHH", op, 1, 6, 0, 0x1234, 0, 0) + _ip4(ciaddr) + _ip4(yiaddr) + b"\0" * 8
    head += chaddr.ljust(16, b"\0") + b"\0" * 192
    opts = bytes([53, 1, message_type]) + b"".join(bytes([c, len(v)]) + v for c, v in options) + b"\xff"
    return head + b"\x63\x82\x53\x63" + opts


# ---- SIP with any start line, headers and body

def sip_message(start_line: str, headers: list[str], body: str = "",
                content_type: str = "application/sdp") -> bytes:
    """A SIP request or response: start line, headers in order, then
    Content-Type/Content-Length and the body."""
    lines = [start_line, *headers]
    if body:
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body.encode())}", "", body]
    else:
        lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


# ---- Skinny (SCCP) messages, basic header version 0 (Wireshark packet-skinny.c)

def sccp_register_ack(keepalive: int = 30) -> bytes:
    """RegisterAck 0x0081: keepAliveInterval, dateTemplate, secondaryKeepAliveInterval, maxProtocolVer."""
    body = struct.pack("<I", keepalive) + b"D/M/YA" + b"\0\0" + struct.pack("<I", keepalive * 2) + bytes([20, 0, 0, 0])
    return sccp(0x0081, body)


def sccp_offhook(line: int = 1, call_ref: int = 0) -> bytes:
    return sccp(0x0006, struct.pack("<II", line, call_ref))


def sccp_onhook(line: int = 1, call_ref: int = 0) -> bytes:
    return sccp(0x0007, struct.pack("<II", line, call_ref))


def _ip4(addr: str) -> bytes:
    return bytes(int(x) for x in addr.split("."))


def sccp_open_receive_channel(conference: int, party: int, call_ref: int, packet_ms: int = 20,
                              codec: int = 4) -> bytes:
    """OpenReceiveChannel 0x0105 (codec 4 = G.711 mu-law 64k): conferenceId, passThroughPartyId,
    packet size, compressionType, qualifierIn, callReference, no media encryption key,
    streamPassThroughId, associatedStreamId, RFC 2833 payload type 101, dtmfType."""
    body = (struct.pack("<IIII", conference, party, packet_ms, codec) + struct.pack("<II", 0, 0) +
            struct.pack("<I", call_ref) + _SCCP_NO_KEY + struct.pack("<IIII", party, 0, 101, 0))
    return sccp(0x0105, body)


_SCCP_NO_KEY = struct.pack("<IHH", 0, 0, 0) + b"\0" * 32 + struct.pack("<II", 0, 0)  # mediaEncryptionKeyInfo


def sccp_open_receive_channel_ack(addr: str, port: int, party: int, call_ref: int) -> bytes:
    """OpenReceiveChannelAck 0x0022: status OK, the phone's media address and port."""
    return sccp(0x0022, struct.pack("<I", 0) + _ip4(addr) + struct.pack("<III", port, party, call_ref))


def sccp_start_media_transmission(conference: int, party: int, addr: str, port: int, call_ref: int,
                                  packet_ms: int = 20, codec: int = 4) -> bytes:
    """StartMediaTransmission 0x008A: where to send RTP (the far end's address and port),
    qualifierOut (precedence 184 = DSCP EF), no media encryption key."""
    body = (struct.pack("<II", conference, party) + _ip4(addr) + struct.pack("<III", port, packet_ms, codec) +
            struct.pack("<IIHHI", 184, 0, 1, 0, 0) + struct.pack("<I", call_ref) + _SCCP_NO_KEY +
            struct.pack("<IIIII", party, 0, 101, 0, 0))
    return sccp(0x008A, body)


def sccp_call_state(state: int, line: int, call_ref: int) -> bytes:
    """CallState 0x0111: callState (3 RingOut, 5 Connected, 2 OnHook...), lineInstance, callReference,
    privacy, precedence (level, domain) (packet-skinny.c handle_CallStateMessage)."""
    return sccp(0x0111, struct.pack("<IIIIII", state, line, call_ref, 0, 4, 0))


def sccp_call_info(calling_name: str, calling: str, called_name: str, called: str, line: int, call_ref: int,
                   call_type: int = 2) -> bytes:
    """CallInfo 0x008F: callingPartyName[40], callingParty[24], calledPartyName[40], calledParty[24],
    lineInstance, callReference, callType (1 inbound, 2 outbound) (packet-skinny.c handle_CallInfoMessage)."""
    def field(text: str, size: int) -> bytes:
        return text.encode().ljust(size, b"\0")
    body = (field(calling_name, 40) + field(calling, 24) + field(called_name, 40) + field(called, 24) +
            struct.pack("<III", line, call_ref, call_type) + b"\0" * 76)
    return sccp(0x008F, body)


def sccp_stop_media_transmission(conference: int, party: int, call_ref: int) -> bytes:
    return sccp(0x008B, struct.pack("<IIII", conference, party, call_ref, 0))


def sccp_close_receive_channel(conference: int, party: int, call_ref: int) -> bytes:
    return sccp(0x0106, struct.pack("<IIII", conference, party, call_ref, 0))


# ---- ASN.1 aligned PER, just enough for H.225.0 RAS and call signalling

class PerWriter:
    """Bit writer for ALIGNED PER (ITU-T X.691)."""

    def __init__(self):
        self.bits: list[int] = []

    def bit(self, b: int) -> "PerWriter":
        self.bits.append(1 if b else 0)
        return self

    def uint(self, value: int, width: int) -> "PerWriter":
        for i in range(width - 1, -1, -1):
            self.bits.append((value >> i) & 1)
        return self

    def align(self) -> "PerWriter":
        while len(self.bits) % 8:
            self.bits.append(0)
        return self

    def octets(self, data: bytes) -> "PerWriter":
        self.align()
        for byte in data:
            self.uint(byte, 8)
        return self

    def choice(self, index: int, root_bits: int, extensible: bool = True) -> "PerWriter":
        if extensible:
            self.bit(0)
        return self.uint(index, root_bits)

    def oid(self, contents: bytes) -> "PerWriter":
        """OBJECT IDENTIFIER: octet-aligned length, then the BER contents."""
        return self.octets(bytes([len(contents)]) + contents)

    def int16(self, value: int, lb: int = 0) -> "PerWriter":
        """INTEGER (lb..lb+65535 or narrower but > 256 values): two aligned octets."""
        return self.octets(struct.pack("!H", value - lb))

    def int8(self, value: int) -> "PerWriter":
        """INTEGER (0..255): one aligned octet."""
        return self.octets(bytes([value]))

    def bmp_string(self, text: str, lb: int, ub: int) -> "PerWriter":
        """BMPString (SIZE(lb..ub)): constrained length, then aligned 16-bit characters."""
        rng = ub - lb + 1
        n = len(text) - lb
        if rng == 256:
            self.octets(bytes([n]))
        else:
            self.uint(n, (rng - 1).bit_length())
        return self.octets(text.encode("utf-16-be"))

    def octet_string(self, data: bytes, lb: int, ub: int) -> "PerWriter":
        rng = ub - lb + 1
        n = len(data) - lb
        if rng == 256:
            self.octets(bytes([n]))
        else:
            self.uint(n, (rng - 1).bit_length())
        return self.octets(data)

    def transport_ip(self, addr: str, port: int) -> "PerWriter":
        """TransportAddress ::= CHOICE { ipAddress SEQUENCE { ip OCTET STRING (SIZE(4)), port INTEGER (0..65535) }, ... }"""
        self.choice(0, 3)
        return self.octets(_ip4(addr)).int16(port)

    def data(self) -> bytes:
        self.align()
        return bytes(int("".join(map(str, self.bits[i:i + 8])), 2) for i in range(0, len(self.bits), 8))


H225_PROTOCOL_ID = bytes.fromhex("0008914a0005")  # itu-t(0) recommendation(0) h(8) 2250 version(0) 5
CISCO_VENDOR = (181, 0, 18)  # T.35 country code USA, extension 0, manufacturer Cisco


def _endpoint_type_gateway(w: PerWriter) -> None:
    """EndpointType with only `gateway` present (GatewayInfo with no protocol list)."""
    w.bit(0)                      # extension
    for present in (0, 0, 0, 1, 0, 0):  # nonStandardData vendor gatekeeper gateway mcu terminal
        w.bit(present)
    w.bit(0).bit(0).bit(0)        # GatewayInfo: extension, protocol absent, nonStandardData absent
    w.bit(0).bit(0)               # mc, undefinedNode


def _endpoint_type_terminal(w: PerWriter) -> None:
    """EndpointType with only `terminal` present (Unified CM answers as a terminal-like endpoint)."""
    w.bit(0)
    for present in (0, 0, 0, 0, 0, 1):
        w.bit(present)
    w.bit(0).bit(0)               # TerminalInfo: extension, nonStandardData absent
    w.bit(0).bit(0)


def h225_ras_rrq(seq: int, call_signal: tuple[str, int], ras: tuple[str, int], alias: str,
                 product: bytes = b"Cisco IOS", version: bytes = b"15.7") -> bytes:
    """RasMessage registrationRequest (H.225.0 RAS RRQ) in aligned PER. The
    protocolIdentifier OID (06 00 08 91 4a 00 05) starts at byte 4."""
    w = PerWriter()
    w.choice(3, 5)                # RasMessage: registrationRequest
    w.bit(0)                      # RegistrationRequest extension
    w.bit(0).bit(1).bit(0)        # nonStandardData, terminalAlias, gatekeeperIdentifier
    w.int16(seq, 1)               # requestSeqNum (1..65535)
    w.oid(H225_PROTOCOL_ID)
    w.bit(0)                      # discoveryComplete
    w.octets(b"\x01").transport_ip(*call_signal)   # callSignalAddress: 1 address
    w.octets(b"\x01").transport_ip(*ras)           # rasAddress: 1 address
    _endpoint_type_gateway(w)     # terminalType
    w.octets(b"\x01")             # terminalAlias: 1 alias
    w.choice(1, 1)                # AliasAddress: h323-ID
    w.bmp_string(alias, 1, 256)
    w.bit(0).bit(1).bit(1)        # VendorIdentifier: extension, productId, versionId
    w.bit(0)                      # H221NonStandard extension
    w.int8(CISCO_VENDOR[0]).int8(CISCO_VENDOR[1]).int16(CISCO_VENDOR[2])
    w.octet_string(product, 1, 256).octet_string(version, 1, 256)
    return w.data()


def h225_ras_rcf(seq: int, call_signal: tuple[str, int], gatekeeper_id: str, endpoint_id: str) -> bytes:
    """RasMessage registrationConfirm (RCF) in aligned PER."""
    w = PerWriter()
    w.choice(4, 5)                # registrationConfirm
    w.bit(0)                      # extension
    w.bit(0).bit(0).bit(1)        # nonStandardData, terminalAlias, gatekeeperIdentifier
    w.int16(seq, 1)
    w.oid(H225_PROTOCOL_ID)
    w.octets(b"\x01").transport_ip(*call_signal)
    w.bmp_string(gatekeeper_id, 1, 128)
    w.bmp_string(endpoint_id, 1, 128)
    return w.data()


def h225_uuie(message: str, conference_id: bytes = b"", source_csa: tuple[str, int] | None = None,
              gateway: bool = True) -> bytes:
    """H323-UserInformation for setup, callProceeding, alerting, connect or releaseComplete."""
    index = {"setup": 0, "callProceeding": 1, "connect": 2, "alerting": 3, "releaseComplete": 5}[message]
    endpoint = _endpoint_type_gateway if gateway else _endpoint_type_terminal
    w = PerWriter()
    w.bit(0).bit(0)               # H323-UserInformation: extension, user-data absent
    w.bit(0).bit(0)               # H323-UU-PDU: extension, nonStandardData absent
    w.choice(index, 3)            # h323-message-body
    w.bit(0)                      # the UUIE's extension bit
    if message == "setup":
        # h245Address sourceAddress destinationAddress destCallSignalAddress destExtraCallInfo
        # destExtraCRV callServices sourceCallSignalAddress remoteExtensionAddress
        for present in (0, 0, 0, 0, 0, 0, 0, 1 if source_csa else 0, 0):
            w.bit(present)
        w.oid(H225_PROTOCOL_ID)
        endpoint(w)               # sourceInfo
        w.bit(0)                  # activeMC
        w.octets(conference_id)   # conferenceID (16 octets)
        w.choice(0, 2)            # conferenceGoal: create
        w.choice(0, 2)            # callType: pointToPoint
        if source_csa:
            w.transport_ip(*source_csa)
    elif message in ("callProceeding", "alerting"):
        w.bit(0)                  # h245Address absent
        w.oid(H225_PROTOCOL_ID)
        endpoint(w)               # destinationInfo
    elif message == "connect":
        w.bit(0)                  # h245Address absent
        w.oid(H225_PROTOCOL_ID)
        endpoint(w)               # destinationInfo
        w.octets(conference_id)
    else:
        w.bit(0)                  # reason absent
        w.oid(H225_PROTOCOL_ID)
    return w.data()


def _q931_ie(ie: int, value: bytes) -> bytes:
    return bytes([ie, len(value)]) + value


def tpkt_q931(message_type: int, call_ref: int, from_destination: bool, ies: bytes = b"",
              uuie: bytes = b"") -> bytes:
    """TPKT + Q.931 with the given IEs and, if given, an H.225 user-user IE (0x7E, 16-bit length, protocol 5)."""
    q931 = bytes([0x08, 0x02, ((call_ref >> 8) & 0x7F) | (0x80 if from_destination else 0), call_ref & 0xFF,
                  message_type]) + ies
    if uuie:
        q931 += b"\x7e" + struct.pack("!H", len(uuie) + 1) + b"\x05" + uuie
    return struct.pack("!BBH", 3, 0, 4 + len(q931)) + q931


Q931_SETUP, Q931_CALL_PROCEEDING, Q931_ALERTING, Q931_CONNECT, Q931_RELEASE_COMPLETE = 0x05, 0x02, 0x01, 0x07, 0x5A


def q931_bearer_speech() -> bytes:
    """Bearer capability: speech, circuit mode 64 kbit/s, G.711 mu-law."""
    return _q931_ie(0x04, b"\x80\x90\xa2")


def q931_display(text: str) -> bytes:
    return _q931_ie(0x28, text.encode())


def q931_number(ie: int, digits: str) -> bytes:
    """Calling (0x6C) or called (0x70) party number, unknown type/ISDN plan."""
    if ie == 0x6C:
        return _q931_ie(ie, b"\x00\x80" + digits.encode())
    return _q931_ie(ie, b"\x80" + digits.encode())


def q931_cause(value: int = 16) -> bytes:
    """Cause IE: location private network serving the local user, normal call clearing by default."""
    return _q931_ie(0x08, bytes([0x81, 0x80 | value]))


# ---- Other application payloads

def xmpp_server_stream_header(to: str, frm: str) -> bytes:
    """Server-to-server (S2S, RFC 6120) stream header: jabber:server namespace."""
    return (f"<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
            f"xmlns:db='jabber:server:dialback' from='{frm}' to='{to}' version='1.0'>").encode()


def xmpp_stream_response(frm: str, stream_id: str, namespace: str = "jabber:client") -> bytes:
    return (f"<?xml version='1.0'?><stream:stream xmlns='{namespace}' xmlns:stream='http://etherx.jabber.org/streams' "
            f"id='{stream_id}' from='{frm}' version='1.0'><stream:features>"
            "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>").encode()


def http_request(method: str, host: str, path: str, body: bytes = b"", content_type: str = "text/xml; charset=utf-8",
                 extra: list[str] | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "User-Agent: ciscouc-teaching"]
    head += extra or []
    if body:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def http_response(code: int, reason: str, body: bytes = b"", content_type: str = "text/xml; charset=utf-8") -> bytes:
    head = [f"HTTP/1.1 {code} {reason}", "Server: Apache-Coyote/1.1", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _ber(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + length + content


def _ber_int(value: int, tag: int = 0x02) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return _ber(tag, raw)


def ber_str(text: str | bytes, tag: int = 0x04) -> bytes:
    return _ber(tag, text.encode() if isinstance(text, str) else text)


def ldap_bind_request(msg_id: int, dn: str, password: str) -> bytes:
    """LDAPv3 simple bindRequest (RFC 4511)."""
    op = _ber(0x60, _ber_int(3) + ber_str(dn) + ber_str(password, 0x80))
    return _ber(0x30, _ber_int(msg_id) + op)


def ldap_result(msg_id: int, app_tag: int, code: int = 0) -> bytes:
    """An LDAPResult-shaped response (bindResponse 0x61, searchResDone 0x65)."""
    op = _ber(app_tag, _ber(0x0A, bytes([code])) + ber_str("") + ber_str(""))
    return _ber(0x30, _ber_int(msg_id) + op)


def ldap_search_request(msg_id: int, base: str, attr: str, value: str, attributes: list[str]) -> bytes:
    """searchRequest: wholeSubtree, equalityMatch (attr=value), the listed attributes."""
    flt = _ber(0xA3, ber_str(attr) + ber_str(value))
    attrs = _ber(0x30, b"".join(ber_str(a) for a in attributes))
    op = _ber(0x63, ber_str(base) + _ber(0x0A, b"\x02") + _ber(0x0A, b"\x00") + _ber_int(0) + _ber_int(0) +
              _ber(0x01, b"\x00") + flt + attrs)
    return _ber(0x30, _ber_int(msg_id) + op)


def ldap_search_entry(msg_id: int, dn: str, attributes: list[tuple[str, str]]) -> bytes:
    """searchResEntry with one value per attribute."""
    attrs = b"".join(_ber(0x30, ber_str(k) + _ber(0x31, ber_str(v))) for k, v in attributes)
    op = _ber(0x64, ber_str(dn) + _ber(0x30, attrs))
    return _ber(0x30, _ber_int(msg_id) + op)


def ntp_packet(mode: int, transmit: float, stratum: int = 0, reference: float = 0.0) -> bytes:
    """NTPv4 packet (RFC 5905): mode 3 client or 4 server, timestamps from Unix seconds."""
    def ts(t: float) -> bytes:
        if not t:
            return b"\0" * 8
        secs = int(t) + 2208988800
        frac = int(round((t - int(t)) * 1000000)) * 4294967296 // 1000000
        return struct.pack("!II", secs, frac)
    li_vn_mode = (0 << 6) | (4 << 3) | mode
    ref_id = b"LOCL" if stratum == 1 else b"\0\0\0\0"
    return (struct.pack("!BBbb", li_vn_mode, stratum, 6, -20 if stratum else 0) + struct.pack("!II", 0, 0x10) +
            ref_id + ts(reference) + ts(0) + ts(0 if mode == 3 else transmit - 0.0002) + ts(transmit))


def snmp_get(community: str, request_id: int, oid: bytes, response_value: bytes | None = None) -> bytes:
    """SNMPv2c GetRequest (or, with response_value, the GetResponse) for one OID (BER contents given)."""
    value = response_value if response_value is not None else b"\x05\x00"
    varbind = _ber(0x30, _ber(0x06, oid) + value)
    pdu = _ber(0xA2 if response_value is not None else 0xA0,
               _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _ber(0x30, varbind))
    return _ber(0x30, _ber_int(1) + ber_str(community) + pdu)


def snmp_trap_v2(community: str, request_id: int, uptime: int, trap_oid: bytes,
                 varbinds: list[tuple[bytes, bytes]]) -> bytes:
    """SNMPv2c SNMPv2-Trap PDU: sysUpTime.0, snmpTrapOID.0, then the given (OID, BER value) pairs."""
    vbs = _ber(0x30, _ber(0x06, bytes.fromhex("2b06010201010300")) + _ber_int(uptime, 0x43))
    vbs += _ber(0x30, _ber(0x06, bytes.fromhex("2b060106030101040100")) + _ber(0x06, trap_oid))
    for oid, val in varbinds:
        vbs += _ber(0x30, _ber(0x06, oid) + val)
    pdu = _ber(0xA7, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _ber(0x30, vbs))
    return _ber(0x30, _ber_int(1) + ber_str(community) + pdu)


def ssh_banner(software: str) -> bytes:
    return f"SSH-2.0-{software}\r\n".encode()


def tds_prelogin() -> bytes:
    """MS-TDS PRELOGIN (packet type 0x12): VERSION, ENCRYPTION, INSTOPT, THREADID, MARS options."""
    options = [(0x00, b"\x0f\x00\x07\xd0\x00\x00"), (0x01, b"\x02"), (0x02, b"\x00"), (0x03, b"\x00\x00\x0f\xa0"),
               (0x04, b"\x00")]
    offset = 5 * len(options) + 1
    table, data = b"", b""
    for token, value in options:
        table += struct.pack("!BHH", token, offset + len(data), len(value))
        data += value
    payload = table + b"\xff" + data
    return struct.pack("!BBHHBB", 0x12, 0x01, 8 + len(payload), 0, 0, 0) + payload


def tls_server_hello() -> bytes:
    """A minimal TLS 1.2 ServerHello record (RFC 5246 section 7.4.1.3) choosing
    TLS_RSA_WITH_AES_128_CBC_SHA (0x002f), the suite tls_client_hello offers."""
    body = b"\x03\x03" + bytes(range(32, 64)) + b"\x00" + b"\x00\x2f" + b"\x00"
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs
