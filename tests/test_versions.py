"""The plugin's own output on every teaching capture, for comparing Wireshark versions.

For each captures/*.pcap: the -z ciscouc,conv table, the -z ciscouc,tree and
-z ciscouc_conv,tree statistics, and a table of every ciscouc field (flags
included) per frame: from -T fields with the full and the compact details,
and from the visible packet tree (-T pdml, what -V and the details pane show)
with the default details, which list uses only where a visible tree or a
field asks for them (from Wireshark 4.2 on, -T fields builds only its -e
fields, not a visible tree). tshark's own formatting differences between
versions (booleans) are normalised by conftest's Tshark.rows; nothing of the
plugin's is.

CISCOUC_VERSIONS_DUMP=DIR writes the outputs to DIR/<capture>/;
CISCOUC_VERSIONS_REFERENCE=DIR compares them with such a dump made by another
Wireshark version and fails on any difference. qa/wireshark-chroot.sh dumps on
the native Wireshark and compares inside the 4.4 and 4.6 chroots.
"""
from __future__ import annotations

import difflib
import os
import re

import pytest

from conftest import ROOT

CAPTURES = os.path.join(ROOT, "captures")
NAMES = sorted(f for f in os.listdir(CAPTURES) if f.endswith(".pcap"))
DUMP = os.environ.get("CISCOUC_VERSIONS_DUMP")
REFERENCE = os.environ.get("CISCOUC_VERSIONS_REFERENCE")


def ciscouc_fields(tshark) -> list[str]:
    return sorted(f for f in tshark.field_types() if f.startswith("ciscouc."))


def stats_tree_counts(out: str) -> str:
    """A stats_tree as node name and count per line. tshark prints more
    columns in later versions (rates, percentages, bursts); the plugin
    decides only the nodes and their counts."""
    lines = []
    for line in out.splitlines():
        m = re.match(r"^(\s*\S.*?)\s{2,}(\d+)(\s|$)", line)
        if m and not line.startswith("="):
            lines.append(f"{m.group(1)}\t{m.group(2)}")
    return "\n".join(lines) + "\n"


def fields_table(tshark, pcap: str, details: str | None, tree: bool = False) -> str:
    names = ["frame.number", *ciscouc_fields(tshark)]
    rows = (tshark.tree_fields if tree else tshark.fields)(pcap, names, details=details)
    return "\n".join(["\t".join(names), *("\t".join(r[n] for n in names) for r in rows)]) + "\n"


def outputs(tshark, pcap: str) -> dict[str, str]:
    conv = tshark.run(["-q", "-2", "-r", pcap, "-z", "ciscouc,conv"]).stdout
    tree = tshark.run(["-q", "-2", "-r", pcap, "-z", "ciscouc,tree"]).stdout
    conv_tree = tshark.run(["-q", "-2", "-r", pcap, "-z", "ciscouc_conv,tree"]).stdout
    return {
        "conv.txt": conv,
        "tree.txt": stats_tree_counts(tree),
        "conv-tree.txt": stats_tree_counts(conv_tree),
        "tree-default.tsv": fields_table(tshark, pcap, None, tree=True),
        "fields-full.tsv": fields_table(tshark, pcap, "full"),
        "fields-compact.tsv": fields_table(tshark, pcap, "compact"),
    }


@pytest.mark.parametrize("name", NAMES)
def test_plugin_output_is_the_reference(tshark, name):
    out = outputs(tshark, os.path.join(CAPTURES, name))
    m = re.search(r"^Cisco UC conversations \(ciscouc\): (\d+)$", out["conv.txt"], re.M)
    assert m and int(m.group(1)) > 0, out["conv.txt"]
    assert "Packets by product and purpose" in out["tree.txt"], out["tree.txt"]
    assert all(out[f].count("\n") > 1 for f in ("tree-default.tsv", "fields-full.tsv", "fields-compact.tsv"))
    if DUMP:
        os.makedirs(os.path.join(DUMP, name), exist_ok=True)
        for f, text in out.items():
            with open(os.path.join(DUMP, name, f), "w", encoding="utf-8") as fh:
                fh.write(text)
    if not REFERENCE:
        return
    diffs = []
    for f, text in out.items():
        ref_path = os.path.join(REFERENCE, name, f)
        assert os.path.exists(ref_path), f"the reference dump has no {name}/{f} ({REFERENCE})"
        with open(ref_path, encoding="utf-8") as fh:
            ref = fh.read()
        if ref != text:
            diffs += difflib.unified_diff(ref.splitlines(), text.splitlines(), f"reference/{name}/{f}",
                                          f"this Wireshark/{name}/{f}", n=1, lineterm="")
    assert not diffs, "ciscouc output differs from the reference Wireshark's:\n" + "\n".join(diffs[:200])
