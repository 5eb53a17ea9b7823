"""The benchmark script itself, on a small capture: it runs every
configuration and workload, and prints a budget verdict for each budgeted
ratio. (The numbers of a 3,000-packet run mean nothing; the 1M-packet
results are in README.md.)"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess

import pytest

# Version-independent (the benchmark script): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAKE_CAPTURE = ["/usr/bin/python3", "-m", "bench.make_capture"]  # run from ROOT
RUN = ["/usr/bin/python3", "-m", "bench.run"]


def test_capture_generator_is_deterministic(workdir):
    digests = []
    for i in range(2):
        out = os.path.join(workdir, f"bench-{i}.pcap")
        subprocess.run([*MAKE_CAPTURE, out, "--packets", "3000"],
                       check=True, capture_output=True, cwd=ROOT)
        with open(out, "rb") as f:
            digests.append(hashlib.sha256(f.read()).hexdigest())
    assert digests[0] == digests[1]


def test_bench_prints_every_budgeted_ratio(workdir):
    cap = os.path.join(workdir, "bench-small.pcap")
    subprocess.run([*MAKE_CAPTURE, cap, "--packets", "3000"],
                   check=True, capture_output=True, cwd=ROOT)
    p = subprocess.run([*RUN, "--capture", cap, "--runs", "1",
                        "--no-ndpi"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = p.stdout
    for wl in ("read", "summary", "filter"):
        for pair in ("plugin/disabled", "disabled/stock"):
            m = re.search(rf"^\s+{wl} {pair}\s+([\d.]+) \(<= 1\.05\) (PASS|OVER)\s+([\d.]+) \(<= 1\.05\) (PASS|OVER)",
                          out, re.M)
            assert m, f"no budgeted {wl} {pair} line in:\n{out[-3000:]}"
            assert 0.2 < float(m.group(1)) < 5 and 0.5 < float(m.group(3)) < 2
    for wl, pairs in (("summary", ("plugin/stock", "rtp-decode/disabled", "rtp-decode/stock-rtp")),
                      ("filter", ("plugin/stock", "rtp-decode/disabled", "rtp-decode/stock-rtp")),
                      ("fields", ("plugin/disabled", "disabled/stock", "rtp-decode/stock-rtp", "full/disabled", "port/disabled"))):
        for pair in pairs:
            assert re.search(rf"^\s+{wl} {pair}\s+[\d.]+ \(<= 1\.05\) info", out, re.M), f"{wl} {pair}"
    # The fields workload's output: ciscouc's summaries are bytes the disabled run does not write.
    m = re.search(r"ciscouc \(claims:port\) wrote ([\d.]+) MB more than the disabled run \((\d+) bytes per packet, (\d+) packets\)", out)
    assert m, out[-3000:]
    assert int(m.group(3)) == 3000 and 20 < int(m.group(2)) < 200
    assert re.search(r"ciscouc,conv listed \d+ conversations", out)
    assert ("All budgeted ratios within budget." in out) != ("OVER budget:" in out)


def test_bench_times_the_scanner_side_by_side(workdir):
    cap = os.path.join(workdir, "bench-small.pcap")
    if not os.path.exists(cap):
        subprocess.run([*MAKE_CAPTURE, cap, "--packets", "3000"], check=True, capture_output=True, cwd=ROOT)
    p = subprocess.run([*RUN, "--capture", cap, "--runs", "2", "--scanner-only"], capture_output=True, text=True,
                       timeout=600, cwd=ROOT)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = p.stdout
    assert "== Batch labelling: ciscouc-scan, ndpiReader and tshark -q -z ciscouc,conv, alternating" in out
    assert len(re.findall(r"batch   run [12]/2 ciscouc-scan ", out)) == 2
    m = re.search(r"^\s+ciscouc-scan/tshark\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+wall <= 0\.1x: (met|NOT met)", out, re.M)
    assert m and 0 < float(m.group(1)) < 5, out[-3000:]
    assert re.search(r"ciscouc-scan listed \d+ conversations", out)
    if "ciscouc-scan/ndpiReader: not measured" not in out:
        assert re.search(r"^\s+ciscouc-scan/ndpiReader\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+wall <= 1\.0x, rss <= 1\.0x", out, re.M)
