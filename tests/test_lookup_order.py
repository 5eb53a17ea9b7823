"""`tools/catalog lookup` lists a port's rows in the order the plugin does.

Both use one ranking (codegen/ranking.py): the generator sorts each port
segment's members with it, and classify() keeps that order for a conversation
whose payload shows no protocol when no edition is preferred (the default).
Compared here on the teaching captures: for every listener port the plugin
labelled without payload evidence, the ciscouc.entry list of its packets
(-o ciscouc.details:full) equals the ids `tools/catalog lookup PORT/TRANSPORT`
prints, minus rows marked duplicate_of (the generator leaves them out of the
port segments).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from codegen import catalog as cc
from conftest import ROOT

# Version-independent (the catalog's lookup order): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

CATALOG_CLI = os.path.join(ROOT, "tools", "catalog")
CAPTURES = ["cucm-intracluster.pcap", "telepresence.pcap", "imp-xmpp.pcap", "misbehaviour.pcap"]
FIELDS = ["frame.number", "udp.srcport", "tcp.srcport", "ciscouc.listener_port", "ciscouc.detected", "ciscouc.entry"]


def lookup_ids(query: str) -> list[str]:
    p = subprocess.run([sys.executable, CATALOG_CLI, "lookup", query], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    return re.findall(r"^      source: .*\(([^()\s]+)\)$", p.stdout, re.M)


@pytest.fixture(scope="module")
def duplicates() -> set[str]:
    return {e.id for e in cc.load_or_die().entries if e.get("duplicate_of")}


@pytest.fixture(scope="module")
def unevidenced(tshark) -> dict[str, list[str]]:
    """"PORT/transport" -> the plugin's entry order, for listeners labelled without payload evidence."""
    out: dict[str, list[str]] = {}
    for name in CAPTURES:
        for r in tshark.fields(os.path.join(ROOT, "captures", name), FIELDS):
            port = r["ciscouc.listener_port"]
            if not port or port == "0" or r["ciscouc.detected"] or not r["ciscouc.entry"]:
                continue
            transport = "tcp" if r["tcp.srcport"] else "udp"
            order = r["ciscouc.entry"].split("|")
            key = f"{port}/{transport}"
            assert out.setdefault(key, order) == order, (name, r["frame.number"], key)
    return out


def test_some_ports_are_compared(unevidenced):
    assert {"8002/tcp", "1500/tcp", "2555/tcp"} <= set(unevidenced), sorted(unevidenced)


def test_lookup_order_is_the_plugins_order(unevidenced, duplicates):
    for query, plugin_order in sorted(unevidenced.items()):
        cli = [i for i in lookup_ids(query) if i not in duplicates]
        assert cli == plugin_order, f"{query}: tools/catalog lookup {cli} != ciscouc.entry {plugin_order}"
