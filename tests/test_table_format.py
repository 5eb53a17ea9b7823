"""`--format table`: the conversation (and hosts) tables aligned for a
terminal, in ciscouc-scan (core/terminal_table.cpp) and tools/annotate
(tools/ucstats.py terminal_table): the same rows as the tab-separated table,
the [tables.*] terminal columns, the last one cut with "…" to fit the width,
and both renderers give the same text."""
from __future__ import annotations

import os
import subprocess

import pytest

import ucstats
from conftest import BUILD, ROOT

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
ANNOTATE = os.path.join(ROOT, "tools", "annotate")
TEACHING = os.path.join(ROOT, "captures")


@pytest.fixture(scope="module")
def scanner():
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    return SCANNER


def scan(args: list[str], width: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    env.pop("COLUMNS", None)
    if width:
        env["COLUMNS"] = str(width)
    return subprocess.run([SCANNER, *args], capture_output=True, text=True, env=env, timeout=120)


def parse_table(text: str, title: str) -> list[list[str]]:
    """The cells of an aligned block: columns start where the titles start."""
    lines = text.splitlines()
    [at] = [i for i, l in enumerate(lines) if l.startswith(title + ": ")]
    n = int(lines[at].rsplit(": ", 1)[1])
    head = lines[at + 1]
    starts = [0] + [i for i in range(2, len(head)) if head[i] != " " and head[i - 2:i] == "  "]
    rows = []
    for line in lines[at + 1:at + 2 + n]:
        # Column starts are in characters; wide characters only occur in the last column.
        rows.append([line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])])
    return rows


def fits(text: str, width: int) -> bool:
    limit = width
    for line in text.splitlines():
        if line.startswith("Client  ") or line.startswith("Address  "):
            limit = max(width, len(line) - len(line.split()[-1]) + 12)
        if ucstats.display_width(line) > limit:
            return False
    return True


@pytest.mark.parametrize("name,width", [("sccp-phone-call.pcap", 200), ("misbehaviour.pcap", 130),
                                        ("telepresence.pcap", 90)])
def test_scanner_table_has_the_tsv_rows(scanner, name, width):
    pcap = os.path.join(TEACHING, name)
    tsv = scan(["--hosts", pcap])
    table = scan(["--hosts", "--format", "table", "--width", str(width), pcap])
    assert tsv.returncode == table.returncode == 0, table.stderr
    assert "=====" not in table.stdout and "\t" not in table.stdout
    for kind, title, rows in (("conversations", ucstats.CONV_TITLE, ucstats.conversations(tsv.stdout)),
                              ("hosts", ucstats.HOSTS_TITLE, ucstats.hosts(tsv.stdout))):
        keys = ucstats._TABLES[kind]["terminal"]
        cells = parse_table(table.stdout, title)
        titles = dict((k, t) for t, k in ucstats._TABLES[kind]["columns"])
        assert cells[0] == [titles[k] for k in keys]
        assert len(cells) - 1 == len(rows) > 0
        for got, row in zip(cells[1:], rows):
            assert got[:-1] == [row[k] for k in keys[:-1]], (got, row)
            last = row[keys[-1]]
            assert got[-1] == last or (got[-1].endswith("…") and last.startswith(got[-1][:-1])), (got, row)
    # Every line fits the width (the last column keeps at least 12 columns
    # where the others leave less), and a purpose was cut to make it fit.
    assert fits(table.stdout, width)
    if width < 150:
        assert "…" in table.stdout


def test_wide_purposes_fit_by_display_width(scanner):
    """The Japanese guide's purposes (two columns a character) fit too."""
    pcap = os.path.join(TEACHING, "sccp-phone-call.pcap")
    out = scan(["--language", "original", "--format", "table", "--width", "130", pcap]).stdout
    lines = out.splitlines()
    assert any(ucstats.display_width(l) > len(l) for l in lines), out  # wide characters present
    assert fits(out, 130), out


@pytest.mark.parametrize("language", ["english", "original"])
def test_annotate_prints_what_the_scanner_prints(scanner, workdir, language):
    """tools/annotate --format table (Python) and ciscouc-scan --format table
    (C++) print the same blocks for the same capture and width."""
    pcap = os.path.join(TEACHING, "sccp-phone-call.pcap")
    env = {**os.environ, "COLUMNS": "104", "CISCOUC_BUILD": BUILD, "LC_ALL": "C.UTF-8"}
    p = subprocess.run([ANNOTATE, "--quiet", "--engine", "scan", "--language", language, "--format", "table", pcap],
                       capture_output=True, text=True, env=env, cwd=workdir, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == f"== {pcap}: ok"
    native = scan(["--hosts", "--language", language, "--format", "table", pcap], width=104)
    assert p.stdout.split("\n", 1)[1] == native.stdout
    # No CSV or JSON Lines file is written unless asked.
    assert not os.path.exists(os.path.join(workdir, "annotations.csv"))


def test_bad_format_and_width_are_usage_errors(scanner):
    pcap = os.path.join(TEACHING, "sccp-phone-call.pcap")
    for args, why in ((["--format", "tabel"], "--format tabel: not tsv or table"),
                      (["--format", "table", "--width", "5"], "--width 5: not a number of columns")):
        p = scan([*args, pcap])
        assert p.returncode == 64 and why in p.stderr and p.stdout == "", (args, p.stderr)
    # The default stays the tab-separated table.
    assert scan([pcap]).stdout.splitlines()[2].count("\t") == len(ucstats.CONV_KEYS) - 1
