"""Evidence measurement: how often ciscouc's labels and flags are claims the
capture backs, over every capture in ../shared/captures.

  /usr/bin/python3 -m bench.evidence [--build build] [--captures ../shared/captures] [--tsv OUT.tsv] [--jobs N]

The captures are split by INVENTORY.md's "UC protocols tshark sees" column:
  voip-not-cisco UC signalling whose notes name SIP user agents or servers
                 ("SIP UA/Server: ...") none of which is Cisco's (Cisco, CSCO,
                 TANDBERG): Asterisk, FreeSWITCH, X-Lite, Cirpack...;
  uc-signalling  SIP, SCCP (skinny), MGCP, H.323 (h225/q931/h245) or XMPP is there;
  uc-media       only media (rtp, rtcp, rtpevent, dtls) without visible signalling;
  non-uc         everything else (LDAP, SNMP, TFTP, CDP, TLS, scans...).
Each capture is read twice: by tshark with the plugin (`-q -2 -z ciscouc,conv
-z ciscouc,hosts`,
default preferences) and by a plugin-free tshark (per-packet 5-tuple, payload
length and `rtp.setup-frame`), which gives the ground truth for "has payload"
and "media that signalling set up" without asking ciscouc.

Printed figures (the goals of issues 13 and 22 in brackets):
  non-UC conversations with a confirmed purpose  [<= 0.5%]
  non-UC conversations with a flag               [0]
  payload-less conversations with a flag         [0]
  UC signalling conversations confirmed with a row documenting their protocol,
    or flagged unexpected_port where no row does [>= 99%]
  signalled media (stock sets it up) labelled RTP with evidence [100%]
  (issue 22) hosts with a Cisco role ([roles.*] cisco = true) whose own words
    name another vendor (the hosts table's Vendor column) [0]; in voip-not-cisco
    captures, conversations with a confirmed purpose and with a flag, and hosts
    with a Cisco role. UC signalling between hosts one of which names another
    vendor, the other nothing of Cisco, counts as right when it carries no
    purpose and no flag (no Cisco guide applies to it).
tests/test_real_captures.py asserts the same goals through measure().
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import subprocess
import tomllib
import sys

from bench.run import Env
from tools import ucfacts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The signalling whose payload confirms a documenting row, H.245 included
# (tools/ucfacts.py, from catalog/vocabulary.toml), and the media.
UC_SIGNALLING_PROTOCOLS = ucfacts.confirming_signalling()
MEDIA_PROTOCOLS = ucfacts.MEDIA_DETECTIONS
with open(ucfacts.VOCABULARY, "rb") as _f:
    _VOCABULARY = tomllib.load(_f)
CISCO_ROLES = {r["name"] for r in _VOCABULARY["roles"].values() if r.get("cisco")}
OTHER_VENDORS = {v["name"] for v in _VOCABULARY.get("vendors", {}).values() if not v.get("cisco")}


def role_vendors(cell: str) -> set[str]:
    """The other vendors a conversation table's role cell names: "SIP server (Asterisk)"."""
    m = re.search(r"\(([^)]*)\)$", cell or "")
    return {v.strip() for v in m.group(1).split(",")} & OTHER_VENDORS if m else set()


def cisco_roles(cell: str) -> set[str]:
    return {r.strip() for r in re.sub(r"\s*\([^)]*\)$", "", cell or "").split(",")} & CISCO_ROLES


def inventory(captures: str) -> dict[str, str]:
    """Staged file (relative path) -> group, from INVENTORY.md."""
    return {name: row.group() for name, row in ucfacts.load_inventory(captures).items()}


class Tshark:
    """bench.run's hermetic environment (private HOME, unprivileged as root,
    the plugin folder or an empty one), reading a capture on stdin."""

    def __init__(self, build: str):
        self.env = Env(build)

    def run(self, capture: str, args: list[str], plugin: bool) -> subprocess.CompletedProcess:
        cmd, env = self.env.command(["tshark", "-r", "/dev/stdin", *args],
                                    self.env.plugins if plugin else self.env.empty)
        with open(capture, "rb") as f:
            return subprocess.run(cmd, env=env, stdin=f, capture_output=True, text=True, timeout=900)

    def close(self):
        self.env.cleanup()


def endpoint_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def split_endpoint(text: str) -> tuple[str, str]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), port


def parse_conv(out: str, head: str = "Client\tServer\tTransport") -> list[dict]:
    rows, names = [], None
    for line in out.splitlines():
        if names is None:
            if line.startswith(head):
                names = line.split("\t")
            continue
        if line.startswith("====="):
            break
        cells = line.split("\t")
        if len(cells) == len(names):
            rows.append(dict(zip(names, cells)))
    return rows


def parse_hosts(out: str) -> list[dict]:
    return parse_conv(out, "Address\tRoles")


def stock_facts(out: str) -> tuple[dict[str, int], set[str]]:
    """Per conversation key: payload bytes; and the keys of media stock set up."""
    payload: dict[str, int] = {}
    media: set[str] = set()
    for line in out.splitlines():
        c = line.split("\t")
        if len(c) < 11:
            continue
        src, dst = c[1] or c[0], c[3] or c[2]  # IPv6 inside IPv4 (GTP, 6in4) is the inner one
        tcp = bool(c[4])
        sp, dp = (c[4], c[5]) if tcp else (c[6], c[7])
        if not src or not sp:
            continue
        key = ("tcp" if tcp else "udp") + " " + endpoint_key(f"{src}:{sp}", f"{dst}:{dp}")
        n = int(c[8]) if tcp and c[8].isdigit() else max(0, int(c[9]) - 8) if c[9].isdigit() else 0
        payload[key] = payload.get(key, 0) + n
        if c[10]:
            media.add(key)
    return payload, media


@dataclasses.dataclass
class Figures:
    conversations: dict = dataclasses.field(default_factory=dict)  # group -> count
    confirmed: dict = dataclasses.field(default_factory=dict)      # group -> confirmed purposes
    flagged: dict = dataclasses.field(default_factory=dict)        # group -> conversations with a flag
    payloadless_flagged: int = 0
    payloadless: int = 0
    signalling: int = 0
    signalling_ok: int = 0
    media: int = 0
    media_ok: int = 0
    captures: dict = dataclasses.field(default_factory=dict)       # group -> captures read
    rows: list = dataclasses.field(default_factory=list)           # per-conversation detail
    cisco_purpose: dict = dataclasses.field(default_factory=dict)  # group -> confirmed with a documented row (Entry)
    hosts: dict = dataclasses.field(default_factory=dict)          # group -> hosts in the hosts table
    cisco_role_hosts: dict = dataclasses.field(default_factory=dict)  # group -> hosts with a Cisco role
    vendor_conflicts: list = dataclasses.field(default_factory=list)  # (capture, address, roles, vendor)
    not_cisco: int = 0                                             # UC signalling between non-Cisco hosts, right
    problems: list = dataclasses.field(default_factory=list)       # (what, capture, conversation) that miss a goal

    def pct(self, a: int, b: int) -> float:
        return 100.0 * a / b if b else 100.0


STOCK_FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
                "udp.dstport", "tcp.len", "udp.length", "rtp.setup-frame"]


# The two runs of a capture: (tshark arguments, with the plugin). Neither needs
# -n: the plugin's table and -T fields print addresses and ports as they are.
CONV_ARGS = ["-q", "-2", "-z", "ciscouc,conv", "-z", "ciscouc,hosts"]
STOCK_ARGS = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=l",  # the innermost header (GTP, GRE tunnels)
              *[a for f in STOCK_FIELDS for a in ("-e", f)]]
RUNS = [(CONV_ARGS, True), (STOCK_ARGS, False)]


def measure_one(run, path: str) -> tuple[list[dict], dict[str, int], set[str], str, list[dict]]:
    p = run(path, CONV_ARGS, True)
    rows = parse_conv(p.stdout)
    hosts = parse_hosts(p.stdout)
    s = run(path, STOCK_ARGS, False)
    payload, media = stock_facts(s.stdout)
    return rows, payload, media, p.stderr.strip()[-300:] if p.returncode else "", hosts


def capture_paths(captures: str) -> list[str]:
    """The captures INVENTORY.md lists that are there and named like captures."""
    return [os.path.join(captures, n) for n in sorted(inventory(captures))
            if os.path.isfile(os.path.join(captures, n)) and ucfacts.named_like_capture(n)]


def measure(build: str, captures: str, jobs: int = 2, run=None) -> Figures:
    """run(capture, arguments, plugin) -> CompletedProcess runs tshark (the
    tests pass their session's runs); by default bench.run's hermetic tshark,
    jobs at a time."""
    groups = inventory(captures)
    fig = Figures()
    paths = capture_paths(captures)
    names = [os.path.relpath(p, captures) for p in paths]
    if run is not None:
        results = dict(zip(names, (measure_one(run, p) for p in paths)))
    else:
        ts = Tshark(build)
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
                results = dict(zip(names, pool.map(lambda p: measure_one(ts.run, p), paths)))
        finally:
            ts.close()
    for name, (rows, payload, media, _err, hosts) in results.items():
        group = groups[name]
        fig.captures[group] = fig.captures.get(group, 0) + 1
        for h in hosts:
            fig.hosts[group] = fig.hosts.get(group, 0) + 1
            cisco = {r.strip() for r in h.get("Roles", "").split(",")} & CISCO_ROLES
            if cisco:
                fig.cisco_role_hosts[group] = fig.cisco_role_hosts.get(group, 0) + 1
            others = {v.strip() for v in h.get("Vendor", "").split(",")} & OTHER_VENDORS
            if cisco and others:
                fig.vendor_conflicts.append((name, h["Address"], h["Roles"], h["Vendor"]))
                fig.problems.append(("Cisco role of a host naming another vendor", name,
                                     f"{h['Address']} {h['Roles']} ({h['Vendor']})"))
        for r in rows:
            (ch, cp), (sh, sp) = split_endpoint(r["Client"]), split_endpoint(r["Server"])
            key = r["Transport"] + " " + endpoint_key(f"{ch}:{cp}", f"{sh}:{sp}")
            # A plugin without evidence levels (before issue 13) shows every
            # documented purpose: count those as claims.
            evidence = r.get("Evidence", "confirmed" if r.get("Entry") else "")
            flags = r.get("Flags", "")
            detected = r.get("Detected", "")
            fig.conversations[group] = fig.conversations.get(group, 0) + 1
            if evidence == "confirmed":
                fig.confirmed[group] = fig.confirmed.get(group, 0) + 1
                if r.get("Entry"):
                    fig.cisco_purpose[group] = fig.cisco_purpose.get(group, 0) + 1
            if flags:
                fig.flagged[group] = fig.flagged.get(group, 0) + 1
                if group == "non-uc":
                    fig.problems.append(("non-UC flag", name, f"{key} {detected} {flags}"))
            if payload.get(key, 0) == 0:
                fig.payloadless += 1
                if flags:
                    fig.payloadless_flagged += 1
                    fig.problems.append(("payload-less flag", name, f"{key} {flags}"))
            if detected in UC_SIGNALLING_PROTOCOLS:
                fig.signalling += 1
                ok = (evidence == "confirmed" and r.get("Entry")) or "unexpected_port" in flags
                # An end names another vendor, the other nothing of Cisco: right when unclaimed and unflagged.
                ends = [r.get("Client role", ""), r.get("Server role", "")]
                if not ok and any(role_vendors(e) for e in ends) and not any(cisco_roles(e) for e in ends) \
                        and not r.get("Entry") and not flags:
                    ok = True
                    fig.not_cisco += 1
                fig.signalling_ok += bool(ok)
                if not ok:
                    fig.problems.append(("UC signalling unconfirmed", name, f"{key} {detected} {evidence}"))
            if key in media:
                fig.media += 1
                ok = detected in MEDIA_PROTOCOLS and evidence == "confirmed"
                fig.media_ok += ok
                if not ok:
                    fig.problems.append(("signalled media not confirmed RTP", name, f"{key} {detected} {evidence}"))
            fig.rows.append((name, group, key, detected, evidence, r.get("Evidence detail", ""), flags,
                             r.get("Entry", ""), r.get("Client role", ""), r.get("Server role", "")))
    return fig


def report(fig: Figures) -> str:
    nu = "non-uc"
    lines = [
        "captures: " + ", ".join(f"{g} {n}" for g, n in sorted(fig.captures.items())),
        f"non-UC conversations with a confirmed purpose: {fig.confirmed.get(nu, 0)} of {fig.conversations.get(nu, 0)}"
        f" ({fig.pct(fig.confirmed.get(nu, 0), fig.conversations.get(nu, 0)):.1f}%; goal <= 0.5%)",
        f"non-UC conversations with a flag: {fig.flagged.get(nu, 0)} (goal 0)",
        f"payload-less conversations with a flag: {fig.payloadless_flagged} of {fig.payloadless} (goal 0)",
        f"UC signalling conversations confirmed or rightly flagged unexpected_port: {fig.signalling_ok} of "
        f"{fig.signalling} ({fig.pct(fig.signalling_ok, fig.signalling):.1f}%; goal >= 99%)",
        f"signalled media labelled RTP with evidence: {fig.media_ok} of {fig.media} "
        f"({fig.pct(fig.media_ok, fig.media):.1f}%; goal 100%)",
    ]
    lines[4] += f" [{fig.not_cisco} of them between hosts naming another vendor, unclaimed and unflagged]"
    nc = "voip-not-cisco"
    lines += [
        f"hosts with a Cisco role whose own words name another vendor: {len(fig.vendor_conflicts)} (goal 0)",
        f"VoIP, not Cisco ({fig.captures.get(nc, 0)} captures): {fig.conversations.get(nc, 0)} conversations, "
        f"{fig.cisco_purpose.get(nc, 0)} with a confirmed Cisco purpose (a documented row), "
        f"{fig.flagged.get(nc, 0)} flagged; "
        f"{fig.cisco_role_hosts.get(nc, 0)} of {fig.hosts.get(nc, 0)} hosts with a Cisco role",
    ]
    for g in sorted(fig.conversations):
        lines.append(f"  {g}: {fig.conversations[g]} conversations, {fig.confirmed.get(g, 0)} confirmed, "
                     f"{fig.flagged.get(g, 0)} flagged; {fig.hosts.get(g, 0)} hosts, "
                     f"{fig.cisco_role_hosts.get(g, 0)} with a Cisco role")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--captures", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "captures")))
    ap.add_argument("--tsv", help="write one row per conversation here")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    if not os.path.isfile(ucfacts.inventory_path(a.captures)):
        print(f"evidence: {a.captures}/INVENTORY.md not found (is ../shared/captures there?)", file=sys.stderr)
        return 2
    fig = measure(a.build, a.captures, a.jobs)
    print(report(fig))
    for what, cap, conv in fig.problems[:40]:
        print(f"  miss: {what}: {cap}: {conv}")
    if a.tsv:
        with open(a.tsv, "w", encoding="utf-8") as f:
            f.write("capture\tgroup\tconversation\tdetected\tevidence\tevidence_detail\tflags\tentry\tclient_role\tserver_role\n")
            for r in fig.rows:
                f.write("\t".join(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
