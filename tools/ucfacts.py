"""Facts the Python tools, tests, benchmark and QA harnesses share, each defined once.

- Capture files: the names that say "capture" (CAPTURE_SUFFIXES) and the
  formats a file's first bytes name (capture_format), as tools/annotate.py
  finds captures in a folder.
- The UC protocols: which detected protocols are UC signalling, read from
  catalog/vocabulary.toml (`uc = true`, `confirms = true`: the same keys the
  plugin's generated tables are built from), their Wireshark names, and the
  media the evidence counts.
- ../shared/captures/INVENTORY.md: its table of staged files, parsed once
  (load_inventory) for the tests and bench/evidence.py.

Standard library only, and no import of another module of tools/: the tools
import it as `import ucfacts` (they run as scripts from tools/), the tests,
bench and qa as `from tools import ucfacts` (from the repository root).
"""
from __future__ import annotations

import dataclasses
import functools
import gzip
import os
import re
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCABULARY = os.path.join(ROOT, "catalog", "vocabulary.toml")

# ---- Capture files

# Files named like captures: always taken as captures (a damaged one is reported).
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz")
# First four bytes of the capture formats tshark reads most (libpcap's
# savefile.c and the pcapng specification, draft-ietf-opsawg-pcapng, section 4.1).
MAGIC = {
    b"\xd4\xc3\xb2\xa1": "pcap (little-endian)", b"\xa1\xb2\xc3\xd4": "pcap (big-endian)",
    b"\x4d\x3c\xb2\xa1": "pcap, nanosecond (little-endian)", b"\xa1\xb2\x3c\x4d": "pcap, nanosecond (big-endian)",
    b"\x34\xcd\xb2\xa1": "pcap, modified (little-endian)", b"\xa1\xb2\xcd\x34": "pcap, modified (big-endian)",
    b"\x0a\x0d\x0d\x0a": "pcapng",
}
GZIP_MAGIC = b"\x1f\x8b"


def named_like_capture(name: str) -> bool:
    return name.lower().endswith(CAPTURE_SUFFIXES)


def capture_format(path: str) -> str | None:
    """The capture format named by the file's first bytes, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head[:2] == GZIP_MAGIC:
                f.seek(0)
                try:
                    with gzip.GzipFile(fileobj=f) as g:
                        inner = g.read(4)
                except (OSError, EOFError):
                    return None
                return "gzip'd " + MAGIC[inner] if inner in MAGIC else None
    except OSError:
        return None
    return MAGIC.get(head)


def is_capture(path: str) -> bool:
    """A capture by its first bytes, or by its name."""
    return bool(capture_format(path)) or named_like_capture(os.path.basename(path))


def capture_files(folder: str, by_content: bool = False) -> list[str]:
    """Paths of the captures under folder, walked in sorted order: files named
    like captures, or (by_content) also any file whose first bytes name a
    capture format (tel2.dump, rtp_example.raw.gz)."""
    found = []
    for d, dirs, files in os.walk(folder):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(d, f)
            if named_like_capture(f) or (by_content and os.path.isfile(path) and capture_format(path)):
                found.append(path)
    return found


# ---- The UC protocols (catalog/vocabulary.toml [protocols.NAME])

@functools.cache
def _protocols() -> dict[str, dict]:
    with open(VOCABULARY, "rb") as f:
        return tomllib.load(f)["protocols"]


def uc_signalling() -> frozenset[str]:
    """The protocols (ciscouc.detected values) that are Cisco UC signalling
    (`uc = true`): SIP, SCCP, MGCP, H.225, RAS, XMPP. Payload of one of them
    gives a conversation's hosts UC roles."""
    return frozenset(k for k, v in _protocols().items() if v.get("uc"))


def confirming_signalling() -> frozenset[str]:
    """The signalling whose payload confirms a documenting row (`confirms = true`):
    the UC signalling and the separate H.245 channels they open."""
    return frozenset(k for k, v in _protocols().items() if v.get("confirms"))


def call_signalling() -> list[str]:
    """UC call signalling, in the vocabulary's order: the UC signalling but XMPP
    (instant messaging and presence, no calls)."""
    return [k for k, v in _protocols().items() if v.get("uc") and k != "XMPP"]


def wireshark_uc_signalling() -> dict[str, str]:
    """Wireshark protocol name (frame.protocols, io,phs, INVENTORY.md) -> the UC
    signalling it is, by each protocol's first Wireshark name: sip -> SIP,
    skinny -> SCCP, mgcp -> MGCP, h225 -> H.225 (RAS over UDP shares it), xmpp -> XMPP."""
    out: dict[str, str] = {}
    for k, v in _protocols().items():
        if v.get("uc") and v.get("wireshark"):
            out.setdefault(v["wireshark"][0], k)
    return out


def wireshark_signalling_names() -> frozenset[str]:
    """Every Wireshark protocol name of the confirming signalling (h225 and q931
    for H.225, h245 for H.245...): INVENTORY.md lists a capture's signalling by these."""
    return frozenset(n for k, v in _protocols().items() if v.get("confirms") for n in v.get("wireshark", []))


# Media: what INVENTORY.md lists as media without signalling (Wireshark names),
# and the ciscouc.detected values of media that signalling set up (T.38 fax
# relay runs on the media ports SDP negotiated).
WIRESHARK_MEDIA_NAMES = frozenset({"rtp", "rtcp", "rtpevent", "dtls"})
MEDIA_DETECTIONS = frozenset({"RTP", "RTCP", "t38"})


# ---- ../shared/captures/INVENTORY.md

INVENTORY_NAME = "INVENTORY.md"
# Cisco's own words in a SIP user agent or server name (Cisco, CSCO, and TANDBERG's products).
CISCO_WORDS = re.compile(r"\b(cisco|csco|tandberg)", re.I)


@dataclasses.dataclass
class InventoryRow:
    file: str
    uc_protocols: str
    other_protocols: str
    ports: str
    uc_ports_present: str
    note: str

    def signalling(self) -> list[tuple[str, str, int]]:
        """(protocol, transport, port) from the "Ports carrying them" column, e.g.
        ("sip", "udp", 5060) from "sip udp/5060 udp/5061; rtp udp 8266..27156 (...)"."""
        out = []
        for part in self.ports.split(";"):
            words = part.split()
            if not words:
                continue
            for m in re.finditer(r"\b(tcp|udp)/(\d+)\b", part):
                out.append((words[0].lower(), m.group(1), int(m.group(2))))
        return out

    def group(self) -> str:
        """uc-signalling (SIP, SCCP, MGCP, H.323 or XMPP seen), uc-media (only
        media), or non-uc, by the "UC protocols tshark sees" column; signalling
        whose note names SIP user agents or servers ("SIP UA/Server: ...") none
        of which is Cisco's is voip-not-cisco (Asterisk, FreeSWITCH, X-Lite...)."""
        def named(names) -> bool:
            return bool(re.search(r"\b(" + "|".join(sorted(names)) + r")\b", self.uc_protocols))
        if named(wireshark_signalling_names()):
            m = re.search(r"SIP UA/Server: ([^|]*)", self.note)
            agents = [a.strip() for a in m.group(1).split(";") if a.strip()] if m else []
            if agents and not any(CISCO_WORDS.search(a) for a in agents):
                return "voip-not-cisco"
            return "uc-signalling"
        return "uc-media" if named(WIRESHARK_MEDIA_NAMES) else "non-uc"


def inventory_path(captures: str) -> str:
    return os.path.join(captures, INVENTORY_NAME)


def load_inventory(captures: str) -> dict[str, InventoryRow]:
    """Staged file (path relative to captures) -> its row of INVENTORY.md."""
    rows: dict[str, InventoryRow] = {}
    with open(inventory_path(captures), encoding="utf-8") as fh:
        header = None
        for line in fh:
            if not line.startswith("|"):
                header = None if not line.strip() else header
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells and cells[0] == "#":
                header = cells
                continue
            if header is None or len(cells) != len(header) or not cells[0].isdigit():
                continue
            row = dict(zip(header, cells))
            name = row["Staged file"].strip("`")
            rows[name] = InventoryRow(name, row["UC protocols tshark sees (io,phs frames)"],
                                      row["Other app protocols"], row["Ports carrying them"],
                                      row["UC port numbers present (pkts)"], row["Note"])
    return rows
