"""One option vocabulary (tools/ucoptions.py): -o/--output names the output,
given once, and --pref NAME:VALUE a Wireshark preference, in tools/report,
tools/annotate, tools/plan, tools/fleet and tools/catalog (ciscouc-scan's own
options are in tests/test_table_format.py); diagnostics go to stderr, a usage
error exits 2 naming the argument and writes nothing. The old annotate
-o PREF:VALUE still works, with a deprecation message."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

REPORT = os.path.join(ROOT, "tools", "report")
ANNOTATE = os.path.join(ROOT, "tools", "annotate")
PLAN = os.path.join(ROOT, "tools", "plan")
CATALOG = os.path.join(ROOT, "tools", "catalog")
FLEET = os.path.join(ROOT, "tools", "fleet")
SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
CAPTURE = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")


def test_report_output_given_twice_is_an_error(tmp_path):
    p = subprocess.run([sys.executable, REPORT, CAPTURE, "-o", "x.html", "-o", "ciscouc.edition:cucm-current"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 2 and "--pref ciscouc.edition:cucm-current" in p.stderr, p.stderr
    assert os.listdir(tmp_path) == []  # no page written, least of all one named after the preference
    p = subprocess.run([sys.executable, REPORT, CAPTURE, "-o", "a.html", "--output", "b.html"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 2 and "given twice (a.html, b.html)" in p.stderr and os.listdir(tmp_path) == []


def test_report_help_names_pref():
    p = subprocess.run([sys.executable, REPORT, "--help"], capture_output=True, text=True, timeout=60)
    assert "--pref NAME:VALUE" in p.stdout and "-o PREF" not in p.stdout


def scan_rows(tmp_path, *prefs: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, ANNOTATE, "--engine", "scan", "--quiet", "--jsonl",
                           str(tmp_path / "rows.jsonl"), *prefs, CAPTURE], capture_output=True, text=True, timeout=120)


def test_annotate_pref_and_the_old_form(tmp_path):
    p = scan_rows(tmp_path, "--pref", "ciscouc.language:original")
    assert p.returncode == 0 and "deprecated" not in p.stderr, p.stderr
    new = (tmp_path / "rows.jsonl").read_text()
    assert any("Skinnny" in json.loads(l)["purpose"] for l in new.splitlines())  # the Japanese guide's own text
    p = scan_rows(tmp_path, "-o", "ciscouc.language:original")
    assert p.returncode == 0 and "-o ciscouc.language:original is deprecated" in p.stderr
    assert "use --pref ciscouc.language:original" in p.stderr
    assert (tmp_path / "rows.jsonl").read_text() == new
    # A preference the scan engine does not implement is named with --pref.
    p = scan_rows(tmp_path, "--pref", "tcp.desegment_tcp_streams:FALSE")
    assert p.returncode == 2 and "--pref tcp.desegment_tcp_streams:FALSE: the scan engine implements" in p.stderr


def run(tool: str, *args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, tool, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def usage_error(p: subprocess.CompletedProcess, *named: str) -> None:
    """Exit 2, the bad argument named on stderr, nothing on stdout."""
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    for text in named:
        assert text in p.stderr, p.stderr


@pytest.fixture(scope="module")
def scanner():
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build, or set CISCOUC_BUILD)")
    return SCANNER


def test_a_pref_not_shaped_name_value_is_refused(tmp_path):
    p = run(REPORT, CAPTURE, "--pref", "edition", cwd=tmp_path)
    usage_error(p, "--pref", "'edition' is not NAME:VALUE")
    p = run(ANNOTATE, "--engine", "scan", "--jsonl", "rows.jsonl", "-o", "cucm-current", CAPTURE, cwd=tmp_path)
    usage_error(p, "-o", "'cucm-current' is not NAME:VALUE")
    assert os.listdir(tmp_path) == []


def test_plan_output_and_pref(tmp_path, scanner):
    env_args = ("--engine", "scan", "--scanner", scanner)
    to_stdout = run(PLAN, *env_args, "--format", "csv", "--pref", "ciscouc.edition:cucm-current", CAPTURE,
                    cwd=tmp_path)
    assert to_stdout.returncode == 0 and to_stdout.stdout.startswith("id,from,to,"), to_stdout.stderr
    for spelling in ("-o", "--output"):
        p = run(PLAN, *env_args, "--format", "csv", "--pref", "ciscouc.edition:cucm-current",
                spelling, "plan.csv", CAPTURE, cwd=tmp_path)
        assert p.returncode == 0 and p.stdout == "", p.stderr  # the plan in the file, nothing on stdout
        assert (tmp_path / "plan.csv").read_text() == to_stdout.stdout
        (tmp_path / "plan.csv").unlink()
    # The edition chosen by --pref is the one planned: another edition, another plan.
    other = run(PLAN, *env_args, "--format", "csv", "--pref", "ciscouc.edition:cucm-4.2", CAPTURE, cwd=tmp_path)
    assert other.returncode == 0 and other.stdout != to_stdout.stdout, other.stderr
    # An edition the scanner does not know: its own error line, not its usage text, nor "truncated".
    p = run(PLAN, *env_args, "--pref", "ciscouc.edition:cucm-ja", "-o", "p.txt", CAPTURE, cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == "" and "--edition cucm-ja: no such edition group" in p.stderr
    assert "usage:" not in p.stderr and "truncated" not in p.stderr, p.stderr
    # Near misses: a preference given as -o, -o twice, a preference the scanner lacks.
    usage_error(run(PLAN, *env_args, "-o", "ciscouc.edition:cucm-current", CAPTURE, cwd=tmp_path),
                "-o ciscouc.edition:cucm-current", "--pref ciscouc.edition:cucm-current")
    usage_error(run(PLAN, *env_args, "-o", "a.txt", "--output", "b.txt", CAPTURE, cwd=tmp_path),
                "given twice (a.txt, b.txt)")
    usage_error(run(PLAN, *env_args, "--pref", "tcp.desegment_tcp_streams:FALSE", "-o", "p.txt", CAPTURE,
                    cwd=tmp_path), "--pref tcp.desegment_tcp_streams:FALSE: the scan engine implements")
    assert os.listdir(tmp_path) == []


def test_catalog_output(tmp_path):
    to_stdout = run(CATALOG, "lookup", "5060/udp", cwd=tmp_path)
    assert to_stdout.returncode == 0 and "5060/udp:" in to_stdout.stdout
    for spelling in ("-o", "--output"):
        p = run(CATALOG, "lookup", "5060/udp", spelling, "look.txt", cwd=tmp_path)
        assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
        assert (tmp_path / "look.txt").read_text() == to_stdout.stdout
    p = run(CATALOG, "conflicts", "--markdown", "-o", "conflicts.md", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == ""
    assert (tmp_path / "conflicts.md").read_text() == run(CATALOG, "conflicts", "--markdown", cwd=tmp_path).stdout
    # "Not documented" is a result (status 1), written like one.
    p = run(CATALOG, "lookup", "--proto", "254", "-o", "none.txt", cwd=tmp_path)
    assert p.returncode == 1 and (tmp_path / "none.txt").read_text() == "IP protocol 254: not documented by any guide\n"
    before = sorted(os.listdir(tmp_path))
    # Near misses: -o twice, a bad port: exit 2, the argument named, nothing written.
    usage_error(run(CATALOG, "lookup", "5060", "-o", "a.txt", "-o", "b.txt", cwd=tmp_path), "given twice (a.txt, b.txt)")
    p = run(CATALOG, "lookup", "99999", "-o", "c.txt", cwd=tmp_path)
    usage_error(p, "'99999' is not a port number")
    usage_error(run(CATALOG, "lookup", "5060", "--pref", "ciscouc.edition:cucm-current", cwd=tmp_path),
                "unrecognized arguments: --pref")  # the catalog takes no preferences
    assert sorted(os.listdir(tmp_path)) == before


def test_fleet_output(tmp_path, scanner):
    p = subprocess.run([sys.executable, ANNOTATE, "--engine", "scan", "--scanner", scanner, "--quiet",
                        "--db", "r.sqlite", CAPTURE], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    to_stdout = run(FLEET, "--db", "r.sqlite", "--format", "csv", "--table", "captures", cwd=tmp_path)
    assert to_stdout.returncode == 0 and "sccp-phone-call.pcap" in to_stdout.stdout, to_stdout.stderr
    p = run(FLEET, "--db", "r.sqlite", "--format", "csv", "--table", "captures", "--output", "c.csv", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "" and "fleet: wrote c.csv" in p.stderr
    assert (tmp_path / "c.csv").read_text() == to_stdout.stdout
    p = run(FLEET, "--db", "r.sqlite", "-o", "page.html", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "" and "sccp-phone-call.pcap" in (tmp_path / "page.html").read_text()
    before = sorted(os.listdir(tmp_path))
    usage_error(run(FLEET, "--db", "r.sqlite", "-o", "a.html", "-o", "b.html", cwd=tmp_path),
                "given twice (a.html, b.html)")
    usage_error(run(FLEET, "--db", "r.sqlite", "--pref", "ciscouc.edition:cucm-current", cwd=tmp_path),
                "unrecognized arguments: --pref")  # the store holds results; no preference applies
    assert sorted(os.listdir(tmp_path)) == before
