"""A router in network namespaces, to see what an nftables ruleset does to flows.

Three namespaces: A (the senders' side), R (the router, where the ruleset is
loaded) and B (the listeners' side), joined by two veth pairs. Frames are
written into A's veth with the addresses and ports of the capture, R routes
every destination towards B (reverse-path filtering off, so any source is
forwarded), and B's veth shows what came through. The kernel's own nftables
decides; the rule counters (`nft -j list ruleset`) say which rule did.

Used by `tools/plan --check` and by tests/test_plan.py. Needs root (network
namespaces, iproute2 and nft). Namespaces are always deleted on exit.
"""
from __future__ import annotations

import ctypes
import ipaddress
import json
import os
import select
import socket
import struct
import subprocess
import time

from captures import raw

CLONE_NEWNET = 0x40000000       # <sched.h>
ETH_P_ALL = 0x0003              # <linux/if_ether.h>
PACKET_OUTGOING = 4             # <linux/if_packet.h>: the packet type of frames a socket's host sent
MAC = {"va": "02:00:00:00:00:0a", "ra": "02:00:00:00:00:01", "rb": "02:00:00:00:00:02",
       "vb": "02:00:00:00:00:0b"}
NEXT_HOP = ("169.254.2.2", "fd00:2::2")   # B's side of the router's second link
_libc = ctypes.CDLL(None, use_errno=True)


class LabError(Exception):
    pass


def can_run() -> str | None:
    """None when this process can build the lab, else why not."""
    if os.geteuid() != 0:
        return "needs root (network namespaces and nftables)"
    for tool in ("ip", "nft"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin")):
            return f"{tool} is not installed (iproute2, nftables)"
    return None


def _mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


class Lab:
    """with Lab() as lab: lab.load(ruleset) ...; lab.send(frames) -> passed."""

    def __init__(self, tag: str = ""):
        base = f"ucplan{os.getpid()}{tag}"
        self.ns = {"a": base + "a", "r": base + "r", "b": base + "b"}
        self.made: list[str] = []

    def run(self, args: list[str], ns: str | None = None, stdin: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        cmd = (["ip", "netns", "exec", self.ns[ns]] if ns else []) + args
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise LabError(f"{' '.join(args)}: {p.stderr.strip()}")
        return p

    def __enter__(self) -> "Lab":
        try:
            for n in self.ns.values():
                self.run(["ip", "netns", "add", n])
                self.made.append(n)
            a, r, b = self.ns["a"], self.ns["r"], self.ns["b"]
            self.run(["ip", "link", "add", "va", "netns", a, "address", MAC["va"], "type", "veth", "peer", "name",
                      "ra", "netns", r, "address", MAC["ra"]])
            self.run(["ip", "link", "add", "vb", "netns", b, "address", MAC["vb"], "type", "veth", "peer", "name",
                      "rb", "netns", r, "address", MAC["rb"]])
            self.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                      "net.ipv4.conf.default.rp_filter=0", "net.ipv6.conf.all.forwarding=1",
                      "net.ipv6.conf.default.accept_dad=0"], ns="r")
            self.run(["ip", "-batch", "-"], ns="r", stdin="\n".join([
                "link set lo up", "link set ra up", "link set rb up",
                "addr add 169.254.1.1/30 dev ra", "addr add 169.254.2.1/30 dev rb",
                "addr add fd00:1::1/64 dev ra nodad", "addr add fd00:2::1/64 dev rb nodad",
                f"neigh add {NEXT_HOP[0]} lladdr {MAC['vb']} dev rb nud permanent",
                f"neigh add {NEXT_HOP[1]} lladdr {MAC['vb']} dev rb nud permanent",
                f"route add default via {NEXT_HOP[0]} dev rb", f"route add ::/0 via {NEXT_HOP[1]} dev rb",
            ]) + "\n")
            self.run(["sysctl", "-qw", "net.ipv4.conf.ra.rp_filter=0"], ns="r")
            self.run(["ip", "link", "set", "va", "up"], ns="a")
            self.run(["ip", "link", "set", "vb", "up"], ns="b")
            self.tx = self._socket("a", "va")
            self.rx = self._socket("b", "vb")
            self.rx.setblocking(False)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for s in ("tx", "rx"):
            if hasattr(self, s):
                getattr(self, s).close()
                delattr(self, s)
        for n in reversed(self.made):
            subprocess.run(["ip", "netns", "del", n], capture_output=True, timeout=60)
        self.made = []

    def _socket(self, ns: str, ifname: str) -> socket.socket:
        """A raw packet socket on ifname inside namespace ns (opened there by
        setns(2) on this thread, which then returns to its own namespace)."""
        own = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.ns[ns]}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise LabError(f"setns {self.ns[ns]}: {os.strerror(ctypes.get_errno())}")
            try:
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                s.bind((ifname, 0))
                return s
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    raise LabError(f"setns back: {os.strerror(ctypes.get_errno())}")
        finally:
            os.close(own)
            os.close(target)

    def load(self, path: str) -> str | None:
        """Loads a ruleset file into the router; nft's own error text when it does not load."""
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        p = self.run(["nft", "-f", "-"], ns="r", stdin=text, check=False)
        return None if p.returncode == 0 else p.stderr.strip().replace("/dev/stdin", path) or "nft failed"

    def counters(self) -> dict[str, int]:
        """Packets counted by each rule with a comment, by the comment's first word."""
        data = json.loads(self.run(["nft", "-j", "list", "ruleset"], ns="r").stdout)
        out: dict[str, int] = {}
        for item in data.get("nftables", []):
            rule = item.get("rule")
            if not rule or not rule.get("comment"):
                continue
            packets = sum(e["counter"]["packets"] for e in rule.get("expr", []) if isinstance(e, dict) and "counter" in e)
            key = rule["comment"].split()[0].rstrip(":")
            out[key] = out.get(key, 0) + packets
        return out

    def send(self, packets: list[bytes], settle: float = 0.05) -> list[bool]:
        """Writes IP packets (from the IP header on) into A one after another;
        which of them came out on B."""
        seen = set()
        for ip in packets:
            ethertype = b"\x08\x00" if ip[0] >> 4 == 4 else b"\x86\xdd"
            self.tx.send(_mac(MAC["ra"]) + _mac(MAC["va"]) + ethertype + ip)
        deadline = time.monotonic() + settle
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rx], [], [], left)[0]:
                break
            while True:
                try:
                    frame, addr = self.rx.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] != PACKET_OUTGOING and len(frame) > 14:
                    seen.add(flow_key(frame[14:]))
        return [flow_key(p) in seen for p in packets]


# ---------------------------------------------------------------- packets

def flow_key(ip: bytes) -> tuple | None:
    """(protocol, source, source port, destination, destination port) of an IP packet."""
    try:
        if ip[0] >> 4 == 4:
            proto, hl = ip[9], (ip[0] & 15) * 4
            src, dst = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
        else:
            proto, hl = ip[6], 40
            src, dst = ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
        sport, dport = struct.unpack(">HH", ip[hl:hl + 4])
        return ({6: "tcp", 17: "udp"}.get(proto, str(proto)), str(src), sport, str(dst), dport)
    except (IndexError, struct.error, ValueError):
        return None


def _ip_payload(linktype: int, frame: bytes) -> bytes | None:
    """The IP packet in a frame of LINKTYPE_ETHERNET (1, with 802.1Q tags),
    RAW (101) or LINUX_SLL (113) (tcpdump.org link-layer header types)."""
    if linktype == 101:
        return frame
    if linktype == 113:
        etype, frame = struct.unpack(">H", frame[14:16])[0], frame[16:]
    elif linktype == 1:
        etype, frame = struct.unpack(">H", frame[12:14])[0], frame[14:]
        while etype in (0x8100, 0x88A8) and len(frame) >= 4:
            etype, frame = struct.unpack(">H", frame[2:4])[0], frame[4:]
    else:
        return None
    return frame if etype in (0x0800, 0x86DD) else None


def first_packets(path: str) -> dict[tuple, tuple[int, bytes]]:
    """The first IP packet of every TCP/UDP flow direction of a classic pcap
    file (pcap-savefile(5)): flow_key -> (its frame index, the packet); {} for
    other formats (then packets are built from the conversation table)."""
    out: dict[tuple, tuple[int, bytes]] = {}
    try:
        with open(path, "rb") as f:
            head = f.read(24)
            if len(head) < 24 or head[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1",
                                                  b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
                return out
            endian = "<" if head[0] in (0xD4, 0x4D) else ">"
            linktype = struct.unpack(endian + "I", head[20:24])[0] & 0x0FFFFFFF
            n = 0
            while True:
                n += 1
                rec = f.read(16)
                if len(rec) < 16:
                    break
                caplen = struct.unpack(endian + "I", rec[8:12])[0]
                frame = f.read(caplen)
                ip = _ip_payload(linktype, frame)
                k = flow_key(ip) if ip else None
                if k and k[0] in ("tcp", "udp"):
                    out.setdefault(k, (n, ip))
    except OSError:
        return {}
    return out


def first_packet(firsts: dict, transport: str, client: str, cport: int, server: str, sport: int,
                 either: bool = False) -> bytes | None:
    """The conversation's first packet from client to server; with either,
    its first packet in whichever direction came first (a TFTP transfer leg
    starts with the server's DATA)."""
    fwd = firsts.get((transport, client, cport, server, sport))
    back = firsts.get((transport, server, sport, client, cport))
    found = [x for x in (fwd, back) if x] if either else [x for x in (fwd or back,) if x]
    return min(found)[1] if found else None


class _Host:
    def __init__(self, addr: str):
        self.ip, self.mac, self._id = raw.aton(addr), b"\0" * 6, 0

    def next_id(self) -> int:
        self._id += 1
        return self._id


def synth(transport: str, src: str, sport: int, dst: str, dport: int) -> bytes | None:
    """A first packet (TCP SYN, or an empty UDP datagram) from src to dst; IPv4 only (None for IPv6)."""
    if ipaddress.ip_address(src).version != 4 or ipaddress.ip_address(dst).version != 4:
        return None
    a, b = _Host(src), _Host(dst)
    if transport == "tcp":
        frame = raw.tcp_frame(a, sport, b, dport, 1, 0, raw.SYN)
    else:
        frame = raw.udp_frame(a, sport, b, dport, b"")
    return frame[14:]


def batches(packets: list[bytes]) -> list[list[int]]:
    """Indexes of packets split so that no batch holds two packets of one
    conversation (either direction): each is judged as the first of its flow,
    not as a reply connection tracking already knows."""
    out: list[tuple[set, list[int]]] = []
    for i, p in enumerate(packets):
        k = flow_key(p)
        conv = (k[0], frozenset(((k[1], k[2]), (k[3], k[4])))) if k else i
        for seen, idx in out:
            if conv not in seen:
                seen.add(conv)
                idx.append(i)
                break
        else:
            out.append(({conv}, [i]))
    return [idx for _, idx in out]
