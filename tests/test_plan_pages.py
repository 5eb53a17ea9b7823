"""The firewall plan of every teaching capture, written by the build
(cmake/CiscoucPlans.cmake, target firewall-plans, build/docs/plans/): the test
builds the target from nothing and checks that every teaching capture has its
page, whose rules are tools/plan's output for that capture (its JSON) and
whose nftables ruleset is tools/plan --format nft's, and that nft accepts it.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, ROOT, TEACHING_CAPTURES
from tools import ucplan, ucplandoc

# Version-independent: the build, the tools and the scanner (conftest tiers).
pytestmark = pytest.mark.native

PLAN = os.path.join(ROOT, "tools", "plan")
PAGES = os.path.join(BUILD, "docs", "plans")
CAPTURES = sorted(glob.glob(os.path.join(TEACHING_CAPTURES, "*.pcap")))


@pytest.fixture(scope="module")
def pages():
    """Builds the target from nothing (the folder removed first) and reads every page."""
    if not os.path.isfile(os.path.join(BUILD, "CMakeCache.txt")):
        pytest.fail(f"{BUILD} is not a configured build (cmake -S . -B build, or set CISCOUC_BUILD)")
    shutil.rmtree(PAGES, ignore_errors=True)
    p = subprocess.run(["cmake", "--build", BUILD, "--target", "firewall-plans"], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    out = {}
    for path in glob.glob(os.path.join(PAGES, "*.md")):
        with open(path, encoding="utf-8") as f:
            out[os.path.basename(path)] = f.read()
    return out


def plan_output(capture: str, fmt: str) -> str:
    p = subprocess.run([PLAN, "--format", fmt, capture], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, CISCOUC_BUILD=BUILD))
    assert p.returncode == 0, p.stderr
    return p.stdout


def md_table(text: str, head: list[str]) -> list[dict]:
    """The rows of the Markdown table whose header row is head (cells split on
    unescaped pipes, escapes undone)."""
    lines = text.splitlines()
    start = lines.index("| " + " | ".join(head) + " |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [re.sub(r"\\(.)", r"\1", c).strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        assert len(cells) == len(head), line
        rows.append(dict(zip(head, cells)))
    return rows


def status_of(rule: dict) -> str:
    """The status a reader sees, from tools/plan's JSON fields."""
    if rule["status"] == ucplan.DOCUMENTED:
        return rule["status"]
    n = rule["conversations"]
    if rule["status"] == ucplan.OBSERVED:
        return f"observed ({n} conversation{'s' * (n != 1)}, first {rule['first']})"
    return f"{ucplan.UNDOCUMENTED} ({n}, first {rule['first']}): to review"


def test_teaching_captures_are_the_build_list():
    # The build's list (make_captures.py CAPTURES, read without scapy) is every committed capture.
    assert sorted(ucplandoc.teaching_captures(TEACHING_CAPTURES)) == [os.path.basename(c) for c in CAPTURES]


@pytest.mark.parametrize("capture", CAPTURES, ids=[os.path.basename(c) for c in CAPTURES])
def test_every_teaching_capture_has_its_plan_page(pages, capture):
    name = os.path.basename(capture)
    page = pages.get(ucplandoc.page_name(name))
    assert page is not None, f"no page for {name} in {PAGES}: {sorted(pages)}"
    assert page.startswith(f"# Firewall plan: {name}\n")
    plan = json.loads(plan_output(capture, "json"))
    rows = md_table(page, ucplandoc.RULE_COLUMNS)
    assert [r["id"] for r in rows] == [r["id"] for r in plan["rules"]]
    for row, rule in zip(rows, plan["rules"]):
        assert row["from"] == rule["from_group"] and row["to"] == rule["to_group"], (row, rule)
        assert row["port"] == f"{rule['ports']}/{rule['transport']}"
        assert row["purpose"] == " ".join(rule["purpose"].split())
        assert row["guide rows"] == " ".join(rule["rows"])
        assert row["status"] == status_of(rule)
        for s in rule["secure"] + rule["notes"]:
            assert s in row["notes"], (s, row)
    groups = md_table(page, ["group", "name", "address", "evidence"])
    members = [(g["key"], m["address"]) for g in plan["groups"] for m in g["members"]]
    key = ""
    seen = []
    for g in groups:
        key = g["group"] or key
        seen.append((key, g["address"]))
    assert seen == members
    # The ruleset in the page is tools/plan --format nft's, whole.
    nft = re.search(r"^## nftables \(forward hook\)\n.*?^```\n(.*?)^```$", page, re.S | re.M)
    assert nft, "no nftables block"
    assert nft.group(1) == plan_output(capture, "nft")
    index = pages["index.md"]
    assert f"[{name}]({ucplandoc.page_name(name)})" in index


def test_misbehaviour_page_shows_rules_to_review(pages):
    # The near miss: undocumented flows are drop rules to review, never accepts.
    rows = md_table(pages["misbehaviour.md"], ucplandoc.RULE_COLUMNS)
    review = [r for r in rows if r["status"].startswith(ucplan.UNDOCUMENTED)]
    assert review and all(r["status"].endswith("to review") for r in review)
    assert {r["port"] for r in review} >= {"3000/tcp", "6000/tcp", "6000/udp"}
    sccp = md_table(pages["sccp-phone-call.md"], ucplandoc.RULE_COLUMNS)
    assert not [r for r in sccp if r["status"].startswith(ucplan.UNDOCUMENTED)]


def test_page_rulesets_load_in_nft(pages):
    nft = shutil.which("nft")
    if not nft:
        pytest.skip("nft -c skipped: nftables is not installed (apt-get install nftables)")
    if os.geteuid() != 0:
        pytest.skip("nft -c skipped: it needs root (CAP_NET_ADMIN)")
    for name, page in sorted(pages.items()):
        m = re.search(r"^```\n(#!/usr/sbin/nft -f\n.*?)^```$", page, re.S | re.M)
        if name == "index.md":
            assert m is None
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".nft", delete=False) as f:
            f.write(m.group(1))
        try:
            p = subprocess.run([nft, "-c", "-f", f.name], capture_output=True, text=True, timeout=60)
        finally:
            os.unlink(f.name)
        assert p.returncode == 0, (name, p.stderr)
