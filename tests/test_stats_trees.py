"""The GUI's statistics (Statistics > Cisco UC port usage), read with tshark's
-z NAME,tree: the Hosts tree counts each packet once at its root and once under
each host it involves; the Conversations tree names each conversation with its
evidence and its hosts' roles, as -z ciscouc,conv prints them."""
from __future__ import annotations

import os

import pytest

from conftest import ROOT

TEACHING = os.path.join(ROOT, "captures")


def stats_tree(out: str, title: str) -> list[tuple[str, int]]:
    """(node name with its indent, count) of the tree titled `title`. The name
    column ends where the "Count" title starts (stats_tree's text output)."""
    lines = out.splitlines()
    start = lines.index(f"{title}:")
    count_at = lines[start + 1].index("Count")
    nodes = []
    for line in lines[start + 3:]:
        if line.startswith("-") or line.startswith("="):
            break
        if line.strip():
            nodes.append((line[:count_at].rstrip(), int(line[count_at:].split()[0])))
    return nodes


def table(out: str, title: str) -> list[dict[str, str]]:
    """The rows of the -z ciscouc,conv or -z ciscouc,hosts block titled
    `title` ("TITLE: N", the column titles, N rows)."""
    lines = out.splitlines()
    [at] = [i for i, l in enumerate(lines) if l.startswith(title + ": ")]
    count = int(lines[at].rsplit(": ", 1)[1])
    head = lines[at + 1].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[at + 2:at + 2 + count]]


@pytest.mark.parametrize("name", ["sip-phone-call.pcap", "sccp-phone-call.pcap", "misbehaviour.pcap"])
def test_hosts_tree_counts_each_packet_once(tshark, name):
    pcap = os.path.join(TEACHING, name)
    out = tshark.run(["-q", "-2", "-r", pcap, "-z", "ciscouc_hosts,tree", "-z", "ciscouc,hosts"]).stdout
    nodes = stats_tree(out, "Cisco UC port usage/Hosts")
    hosts = [r["Address"] for r in table(out, "Cisco UC hosts (ciscouc)")]
    frames = tshark.run(["-2", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-e", "ip.src", "-e", "ip.dst"]).stdout
    pairs = [tuple(l.split("\t")) for l in frames.splitlines()]
    expected_root = sum(1 for s, d in pairs if s in hosts or d in hosts)
    root, children = nodes[0], nodes[1:]
    assert root[0].startswith("Hosts (address | roles | evidence)")
    assert root[1] == expected_root <= len(pairs)
    for host in hosts:
        [count] = [c for n, c in children if n.strip().split(" | ")[0] == host]
        assert count == sum(1 for s, d in pairs if host in (s, d)), host
    # Near miss: packets between two role hosts count under both hosts, once at the root.
    both = sum(1 for s, d in pairs if s in hosts and d in hosts and s != d)
    assert both and sum(c for _, c in children) == root[1] + both


def test_hosts_tree_on_138_packets_counts_138(tshark):
    """The issue's figure: sip-phone-call.pcap has 138 packets, all with a
    Phone or Unified CM at one end; the root read 276 (one tick per end)."""
    out = tshark.run(["-q", "-2", "-r", os.path.join(TEACHING, "sip-phone-call.pcap"),
                      "-z", "ciscouc_hosts,tree"]).stdout
    assert stats_tree(out, "Cisco UC port usage/Hosts")[0][1] == 138


@pytest.mark.parametrize("claims", ["port", "confirmed"])
@pytest.mark.parametrize("name", ["sccp-phone-call.pcap", "misbehaviour.pcap", "cti-application.pcap"])
def test_conversations_tree_shows_evidence_and_roles(tshark, name, claims):
    """Every node: transport, client -> listener, purpose [entry], evidence and
    its detail, client role -> listener role, flags; the same facts as the
    -z ciscouc,conv row of that conversation, and its packet count."""
    pcap = os.path.join(TEACHING, name)
    out = tshark.run(["-q", "-2", "-r", pcap, "-o", f"ciscouc.claims:{claims}", "-z", "ciscouc_conv,tree",
                      "-z", "ciscouc,conv"]).stdout
    nodes = stats_tree(out, "Cisco UC port usage/Conversations")
    assert nodes[0][0] == ("Conversations (client -> listener | documented purpose | evidence | "
                           "client role -> listener role | flags)")
    rows = table(out, "Cisco UC conversations (ciscouc)")
    by_ends = {(r["Transport"], r["Client"], r["Server"]): r for r in rows}
    assert len(nodes) - 1 == len(rows)
    for name_, count in nodes[1:]:
        cells = name_.strip().split(" | ")
        transport, ends = cells[0].split(" ", 1)
        client, server = ends.split(" -> ")
        r = by_ends[(transport, client, server)]
        evidence = ": ".join(x for x in (r["Evidence"], r["Evidence detail"]) if x)
        roles = f"{r['Client role'] or '-'} -> {r['Server role'] or '-'}"
        assert cells[2] == (evidence or "-"), (name_, r)
        assert cells[3] == roles, (name_, r)
        assert (cells[4] if len(cells) > 4 else "") == r["Flags"], (name_, r)
        if r["Entry"]:
            assert cells[1].endswith(f"[{r['Entry']}]"), (name_, r)
        assert count == int(r["Packets"]), (name_, r)


def test_one_pass_tree_names_by_the_first_packet_as_readme_says(tshark_evidence):
    """README's limit: without -2 the Conversations tree names the SCCP
    conversation by its SYN (no label yet); with -2 by its final label."""
    pcap = os.path.join(TEACHING, "sccp-phone-call.pcap")

    def sccp_node(two_pass: bool) -> str:
        out = tshark_evidence.run(["-q", *(["-2"] if two_pass else []), "-r", pcap, "-z", "ciscouc_conv,tree"]).stdout
        [name] = [n for n, _ in stats_tree(out, "Cisco UC port usage/Conversations") if ":2000 |" in n]
        return name

    assert "| (no documented purpose) |" in sccp_node(False)
    assert "| Skinny Client Control Protocol (SCCP) [cucm-ja.t6.r3] | confirmed:" in sccp_node(True)
