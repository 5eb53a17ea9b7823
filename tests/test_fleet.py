"""The fleet page (tools/fleet) over a store tools/annotate filled: checked in headless
Chromium (screenshot, DOM after the page's script ran) against figures counted here
from annotate's JSON Lines and ciscouc-scan's own hosts tables; the CSV carries the
page's figures; README's batch example is real output."""
from __future__ import annotations

import collections
import csv
import html
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import storelib
from conftest import BUILD, ROOT
from test_report import browse, check_page, chromium  # noqa: F401 (the chromium fixture)

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

sites = pytest.fixture(scope="module")(storelib.sites)


@pytest.fixture(scope="module")
def fleet_store(sites):
    d = tempfile.mkdtemp(prefix="ciscouc-fleet-")
    url, jsonl = os.path.join(d, "results.sqlite"), os.path.join(d, "rows.jsonl")
    p = storelib.annotate("--db", url, "--jsonl", jsonl, sites)
    assert p.returncode == 1, p.stderr  # the empty capture
    yield d, url, storelib.read_jsonl(jsonl)
    shutil.rmtree(d, ignore_errors=True)


def dom_table(dom: str, name: str) -> list[list[str]]:
    m = re.search(rf'<table class="sortable" id="{name}-table">(.*?)</table>', dom, re.S)
    assert m, f"no {name} table"
    body = m.group(1).split("<tbody>", 1)[1]
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def flag_list(r: dict) -> list[str]:
    return [f for f in r["flags"].split(",") if f]


def test_fleet_page_in_chromium(chromium, sites, fleet_store):  # noqa: F811
    d, url, rows = fleet_store
    page = os.path.join(d, "fleet.html")
    p = storelib.run([storelib.FLEET, "--db", url, "-o", page])
    assert p.returncode == 0 and "fleet: wrote" in p.stderr, p.stderr
    with open(page, encoding="utf-8") as f:
        text = f.read()
    assert not re.search(r'(src|href)="(https?:)?//', text)  # offline: nothing from the network
    dom, log = browse(chromium, "file://" + page)
    check_page(dom, log)
    # Every capture with its status: those annotate wrote rows for, and the empty one.
    caps = {r[1]: r[2] for r in dom_table(dom, "captures")}
    expected = {r["capture"]: r["status"] for r in rows}
    assert caps == {**expected, os.path.join(sites, "site-b", "empty.pcap"): "empty"}
    # Flags by kind, and by folder (site), as counted from the rows.
    kinds = collections.Counter(f for r in rows for f in flag_list(r))
    assert {r[0]: int(r[1]) for r in dom_table(dom, "flags")} == kinds
    per_site = collections.Counter((os.path.dirname(r["capture"]), f) for r in rows for f in flag_list(r))
    assert {(r[0], r[1]): int(r[2]) for r in dom_table(dom, "sites")} == per_site
    assert {s for s, _ in per_site} == {os.path.join(sites, s) for s in storelib.SITES}
    # Hosts by role across captures, from each capture's own hosts table.
    seen = collections.Counter()
    for c in expected:
        for address, roles, *_ in storelib.scanner_hosts(c):
            for role in roles.split(","):
                seen[(role.strip(), address)] += 1
    assert {(r[0], r[1]): int(r[2]) for r in dom_table(dom, "roles")} == seen
    assert seen[("Unified CM", "10.10.0.11")] >= 6  # the same address in many captures
    # The worst conversations: most flags first.
    worst = dom_table(dom, "worst")
    assert int(worst[0][-1]) == max(len(flag_list(r)) for r in rows)
    assert [int(r[-1]) for r in worst] == sorted((int(r[-1]) for r in worst), reverse=True)
    assert len(worst) == sum(1 for r in rows if r["flags"])
    shots = os.path.join(BUILD, "report-shots")
    os.makedirs(shots, exist_ok=True)
    shot = os.path.join(shots, "fleet.png")
    browse(chromium, "file://" + page, screenshot=shot)
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_fleet_csv_has_the_page_figures(chromium, fleet_store):  # noqa: F811
    d, url, _ = fleet_store
    page, folder = os.path.join(d, "fleet-csv.html"), os.path.join(d, "csv")
    assert storelib.run([storelib.FLEET, "--db", url, "-o", page]).returncode == 0
    p = storelib.run([storelib.FLEET, "--db", url, "--format", "csv", "-o", folder])
    assert p.returncode == 0, p.stderr
    dom, log = browse(chromium, "file://" + page)
    check_page(dom, log)
    names = sorted(os.listdir(folder))
    assert names == ["captures.csv", "flags.csv", "roles.csv", "sites.csv", "worst.csv"]
    for name in names:
        with open(os.path.join(folder, name), newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
        assert table[1:] == dom_table(dom, name[:-4]), name
    one = storelib.run([storelib.FLEET, "--db", url, "--format", "csv", "--table", "flags"])
    with open(os.path.join(folder, "flags.csv"), encoding="utf-8") as f:
        assert one.stdout == f.read()


def test_fleet_on_a_missing_store(tmp_path):
    p = storelib.run([storelib.FLEET, "--db", str(tmp_path / "none.sqlite"), "-o", str(tmp_path / "f.html")])
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "none.sqlite: no such store" in p.stderr
    assert not os.path.exists(tmp_path / "none.sqlite")


def readme_example() -> list[tuple[str, list[str]]]:
    """(command, output lines) of the example between README's fleet-example markers."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"<!-- fleet-example -->\s*```\n(.*?)```", text, re.S)
    assert block, "README.md has no fleet example"
    out: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return out


def test_readme_batch_example_is_real_output(tmp_path):
    """Runs README's example, command by command, in a folder holding tools/ and captures/."""
    for name in ("tools", "captures"):
        os.symlink(os.path.join(ROOT, name), tmp_path / name)
    example = readme_example()
    assert len(example) >= 3
    for command, expected in example:
        p = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=storelib.env(), capture_output=True, text=True,
                           timeout=120)
        assert (p.stdout + p.stderr).splitlines() == expected, command
