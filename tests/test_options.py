"""One option vocabulary: -o/--output names the output, --pref NAME:VALUE a
Wireshark preference (tools/report, tools/annotate, tools/plan); the old
annotate -o PREF:VALUE still works, with a deprecation message."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

REPORT = os.path.join(ROOT, "tools", "report")
ANNOTATE = os.path.join(ROOT, "tools", "annotate")
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
