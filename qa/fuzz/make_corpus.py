"""Write the seed corpora of the ciscouc fuzz targets (qa/fuzz/corpus/<target>/).

The seeds are tiny realistic payloads built with captures/pcap.py (the same
builders the tshark tests use): Skinny, SIP, MGCP, TPKT/Q.931, H.225 RAS,
TLS, XMPP, HTTP and RTP, plus classifier inputs in fuzz_classify's layout.
The files are checked in; rerun this script only to regenerate them:

    /usr/bin/python3 -m qa.fuzz.make_corpus     (from the repository root)
"""
from __future__ import annotations

import os
import shutil
import struct
import tomllib

from captures import pcap as g  # needs python3-scapy, like the tests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def signatures() -> dict[str, bytes]:
    return {
        "sccp-register": g.sccp_register(),
        "sccp-keepalive": g.sccp(0x0000),
        "sccp-start-media": g.sccp_start_media_transmission(1, 2, "192.0.2.10", 16384, 7),
        "sip-register": g.sip("REGISTER", "sip:cucm.example.com", "192.0.2.10", 5060),
        "sip-200": g.sip_response(200, "OK", "192.0.2.10", 5060),
        "mgcp-crcx": g.mgcp("CRCX", 1001, "aaln/1@gw.example.com", "C: A3C47F21456789F0\r\nL: p:10, a:PCMU\r\n"),
        "mgcp-200": g.mgcp_response(200, 1001),
        "tpkt-q931-setup": g.tpkt_q931_setup(),
        "h225-ras-rrq": g.h225_ras_rrq(1, ("192.0.2.1", 1720), ("192.0.2.1", 1719), "GW1"),
        "tls-client-hello": g.tls_client_hello(),
        "xmpp-stream": g.xmpp_stream_header("imp.example.com"),
        "http-get": g.http_get("cucm.example.com", "/ccmadmin"),
        "rtp-pcmu": g.rtp(1000, 160000, 0x1A2B3C01, payload=b"\xff" * 20),
    }


def rtp_runs() -> dict[str, bytes]:
    def run(packets: list[bytes]) -> bytes:
        return b"".join(bytes([len(p)]) + p for p in packets)
    same = [g.rtp(1000 + i, 160000 + 160 * i, 0x1A2B3C01, payload=b"\xd5" * 8) for i in range(6)]
    dtmf = [g.rtp(50 + i, 8000 + 160 * i, 0x11223344, pt=0 if i != 3 else 101, payload=b"\x0a\x0a\x00\xa0")
            for i in range(6)]
    csrc = struct.pack("!BBHII", 0x82, 8, 7, 99, 0xCAFE) + struct.pack("!II", 1, 2) + b"\x55" * 8
    padded = struct.pack("!BBHII", 0xA0, 0, 9, 320, 0xBEEF) + b"\x01\x02\x03" + b"\x00\x00\x03"
    rtcp = struct.pack("!BBHI", 0x80, 200, 6, 0xBEEF) + b"\x00" * 20
    return {
        "rtp-single": g.rtp(1000, 160000, 0x1A2B3C01, payload=b"\xff" * 20),
        "rtp-run-6": run(same),
        "rtp-run-dtmf": run(dtmf),
        "rtp-csrc": csrc,
        "rtp-padding": padded,
        "rtcp-sr": rtcp,
    }


def classify() -> dict[str, bytes]:
    # The layout documented at the top of qa/fuzz/fuzz_classify.cpp. Protocol
    # bytes are vocabulary index + 1 (the generator keeps vocabulary order).
    with open(os.path.join(ROOT, "catalog", "vocabulary.toml"), "rb") as f:
        keys = list(tomllib.load(f)["protocols"].keys())

    def p(key: str) -> int:
        return keys.index(key) + 1

    def seed(t: int, cport: int, sport: int, d: int, detected: int = 0, group: int = 0, bits: int = 0,
             bits2: int = 0, seen: tuple[int, int] = (0, 0), name: bytes = b"") -> bytes:
        return struct.pack("!BHHBBBBBBBHB", t, cport, sport, d, detected, group, bits, bits2, *seen, 0, 0) + name
    return {
        "tcp-2000-handshake": seed(1, 51000, 2000, 0, p("SCCP"), bits2=0x02, name=b"SCCP"),
        "udp-5060-first": seed(2, 5060, 5060, 1, p("SIP"), bits2=0x02, name=b"sip"),
        "tcp-5060-unknown-http": seed(1, 5060, 49152, 3, p("HTTP"), bits=0x02, name=b"SIP"),
        "udp-2427-mgcp": seed(2, 2727, 2427, 1, p("MGCP"), group=1, bits2=0x06, name=b"mgcp"),
        "tcp-8443-pref": seed(1, 40000, 8443, 0, p("TLS"), group=2, bits=0x01, bits2=0x01, name=b"TLS"),
        "udp-rtp-range": seed(2, 16384, 24580, 1, p("RTP"), bits=0x08, seen=(p("RTCP"), 0), name=b"rtp"),
        "tcp-6000-other": seed(1, 6000, 40001, 2, bits=0x10, bits2=0x02, name=b"x11"),
        "tcp-5222-xmpp": seed(1, 33000, 5222, 0, p("XMPP"), group=3, bits=0x05, name=b"XMPP"),
        "udp-ephemeral-leg": seed(2, 50000, 50001, 1, p("TFTP"), bits2=0x02, name=b"tftp"),
        "udp-53-dns-cucm": seed(2, 53, 40000, 1, p("DNS"), bits2=0x06, name=b"dns"),
    }


def main() -> None:
    corpus = os.path.join(HERE, "corpus")
    for target, seeds in (("fuzz_signatures", signatures()), ("fuzz_rtp", rtp_runs()),
                          ("fuzz_classify", classify())):
        d = os.path.join(corpus, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{d}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
