"""Golden baselines: what the plugin prints for every teaching capture.

For each captures/<name>.pcap, tests/baseline/ holds
  <name>.conv.txt    tshark -q -2 -r CAP -z ciscouc,conv
  <name>.fields.tsv  tshark -2 -o ciscouc.details:full -T fields -e frame.number -e ciscouc.summary -e ciscouc.evidence ...
                     -e ciscouc.detected -e ciscouc.flags -e ciscouc.entry  (header line first)
  <name>.calls.txt   tshark -q -r CAP -z ciscouc,calls (diagnoses, calls, media streams)
compared byte for byte; a difference fails with a unified diff. After an
intended change of output, regenerate them and review the diff in git
(tests/baseline/README.md):

  CISCOUC_BUILD=$PWD/build /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/test_baseline.py --update-baselines
"""
from __future__ import annotations

import difflib
import glob
import os

import pytest

from conftest import ROOT

BASELINE = os.path.join(ROOT, "tests", "baseline")
CAPTURES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "captures", "*.pcap")))
FIELDS = ["frame.number", "ciscouc.summary", "ciscouc.evidence", "ciscouc.detected", "ciscouc.flags", "ciscouc.entry",
          "ciscouc.client_role", "ciscouc.server_role"]


def normalise(text: str, capture: str) -> str:
    """No absolute paths: tshark reads the capture as /dev/stdin (conftest); name it by its file name."""
    for path in (os.path.join(ROOT, "captures", capture), "/dev/stdin"):
        text = text.replace(path, capture)
    return text


def conv(tshark, capture: str) -> str:
    p = tshark.run(["-q", "-2", "-r", os.path.join(ROOT, "captures", capture), "-z", "ciscouc,conv"])
    return normalise(p.stdout, capture)


def fields(tshark, capture: str) -> str:
    args = ["-r", os.path.join(ROOT, "captures", capture), "-2", "-o", "ciscouc.details:full", "-T", "fields",
            "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "quote=n"]
    for f in FIELDS:
        args += ["-e", f]
    p = tshark.run(args)
    return normalise("\t".join(FIELDS) + "\n" + p.stdout, capture)


def calls(tshark, capture: str) -> str:
    p = tshark.run(["-q", "-r", os.path.join(ROOT, "captures", capture), "-z", "ciscouc,calls"])
    return normalise(p.stdout, capture)


KINDS = {"conv.txt": conv, "fields.tsv": fields, "calls.txt": calls}


def baseline_files() -> set[str]:
    return {os.path.basename(p) for k in KINDS for p in glob.glob(os.path.join(BASELINE, f"*.{k}"))}


def baseline_name(capture: str, kind: str) -> str:
    return f"{capture[:-len('.pcap')]}.{kind}"


def test_every_capture_has_baselines_and_no_stale_ones(request):
    if request.config.getoption("--update-baselines"):
        for name in baseline_files():
            os.remove(os.path.join(BASELINE, name))
        pytest.skip("updating the baselines")
    want = {baseline_name(c, k) for c in CAPTURES for k in KINDS}
    have = baseline_files()
    assert CAPTURES, "no teaching captures in captures/"
    assert not want - have, f"missing baselines {sorted(want - have)}: regenerate them (tests/baseline/README.md)"
    assert not have - want, f"baselines of no capture {sorted(have - want)}: remove them"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("capture", CAPTURES)
def test_baseline(tshark_evidence, request, capture, kind):
    # The plugin's defaults (purposes shown on evidence), as a user sees them.
    actual = KINDS[kind](tshark_evidence, capture)
    name = baseline_name(capture, kind)
    path = os.path.join(BASELINE, name)
    if request.config.getoption("--update-baselines"):
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(actual)
        return
    assert os.path.exists(path), f"{path} is missing: regenerate the baselines (tests/baseline/README.md)"
    with open(path, encoding="utf-8", newline="") as f:
        expected = f.read()
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"tests/baseline/{name}", f"{capture} (this build)"))
        pytest.fail(f"{capture}: output differs from tests/baseline/{name}\n{diff}\n"
                    "If the change is intended, regenerate the baselines (tests/baseline/README.md).",
                    pytrace=False)
