"""A generated site capture of many hosts (default 300), for tests of what
must read at scale (the report's map, batch pages).

Two Unified CM servers (10.10.0.11 also the TFTP server), SCCP phones in
10.20.0.0/24 and 10.20.1.0/24 (TFTP then SCCP registration, 2000/tcp),
SIP phones in 10.30.0.0/24 (REGISTER on 5060/udp, cleartext), MGCP gateways
in 10.40.0.0/24 (2427/udp), and ordinary hosts in 192.168.0.0/16 talking
HTTP, DNS and undocumented high ports among themselves: the non-UC traffic a
real capture is mostly made of. Built with captures/pcap.py (scapy).

    /usr/bin/python3 -m captures.site OUT.pcap [HOSTS]
"""
from __future__ import annotations

import sys

from captures import pcap as pg

CUCM = ("10.10.0.11", "10.10.0.12")


def site(hosts: int = 300) -> pg.Capture:
    """The capture, with `hosts` addresses in all (at least 40)."""
    if hosts < 40:
        raise ValueError("a site needs at least 40 hosts")
    c = pg.Capture(step=0.0005)
    left = hosts - len(CUCM)
    gateways, sip_phones = 5, 30
    other = max(10, left // 5)
    sccp_phones = left - gateways - sip_phones - other
    for i in range(sccp_phones):
        ph = f"10.20.{i // 200}.{10 + i % 200}"
        mac = f"001E7A{i:06X}"
        cm = CUCM[i % 2]
        c.udp(ph, 49152 + i, CUCM[0], 69, pg.tftp_rrq(f"SEP{mac}.cnf.xml"))
        c.tcp_handshake(ph, 50000 + i, cm, 2000)
        c.tcp(ph, 50000 + i, cm, 2000, pg.sccp_register(f"SEP{mac}"))
        c.tcp(cm, 2000, ph, 50000 + i, pg.sccp_register_ack(30))
    for i in range(sip_phones):
        ph = f"10.30.0.{10 + i}"
        call_id = f"reg{i}@{ph}"
        c.udp(ph, 5060, CUCM[0], 5060, pg.sip("REGISTER", "sip:cucm.example.com", ph, 5060, call_id=call_id))
        c.udp(CUCM[0], 5060, ph, 5060, pg.sip_response(200, "OK", ph, 5060, call_id=call_id))
    for i in range(gateways):
        gw = f"10.40.0.{10 + i}"
        c.udp(gw, 2427, CUCM[1], 2427, pg.mgcp("RSIP", 100 + i, f"*@gw{i}.example.com", "RM: restart\r\n"))
        c.udp(CUCM[1], 2427, gw, 2427, pg.mgcp_response(200, 100 + i))
    web, dns = "192.168.50.10", "192.168.50.53"
    for i in range(other - 2):
        h = f"192.168.{i // 100}.{10 + i % 100}"
        c.tcp_handshake(h, 40000 + i, web, 80)
        c.tcp(h, 40000 + i, web, 80, pg.http_get("intranet.example.com", f"/page{i}"))
        c.udp(h, 30000 + i, dns, 53, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00"
                                      b"\x00\x01\x00\x01")
        peer = f"192.168.{(i + 1) % (other - 2) // 100}.{10 + (i + 1) % (other - 2) % 100}"
        c.tcp(h, 41000 + i, peer, 47000 + i, b"\x00" * 32)
    return c


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    site(int(argv[1]) if len(argv) > 1 else 300).write(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
