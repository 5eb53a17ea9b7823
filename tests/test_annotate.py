"""Batch annotation (tools/annotate.py): good captures annotated, bad ones
reported, exit status non-zero, nothing lost."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from captures import pcap as pg
from conftest import ROOT

ANNOTATE = os.path.join(ROOT, "tools", "annotate.py")


def make_folder(workdir):
    folder = os.path.join(workdir, "batch")
    os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
    a = pg.Capture()
    a.tcp_handshake("10.9.0.1", 50000, "10.9.0.2", 2000)
    a.tcp("10.9.0.1", 50000, "10.9.0.2", 2000, pg.sccp_register())
    a.udp("10.9.0.1", 5060, "10.9.0.2", 5060, pg.sip("REGISTER", "sip:10.9.0.2", "10.9.0.1", 5060))
    a.write(os.path.join(folder, "good-a.pcap"))
    b = pg.Capture()
    b.udp("10.9.1.1", 2427, "10.9.1.2", 2727, pg.mgcp("RSIP", 1, "*@gw", "RM: restart\r\n"))
    b.write(os.path.join(folder, "sub", "good-b.pcap"))
    open(os.path.join(folder, "empty.pcap"), "wb").close()
    with open(os.path.join(folder, "good-a.pcap"), "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "truncated.pcap"), "wb") as f:
        f.write(data[: len(data) - 20])
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a capture, not picked up\n")
    for d, _, files in os.walk(folder):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o644)
    return folder


def test_batch_annotation(workdir, tshark):
    folder = make_folder(workdir)
    out_csv = os.path.join(workdir, "ann.csv")
    out_jsonl = os.path.join(workdir, "ann.jsonl")
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = subprocess.run([sys.executable, ANNOTATE, "--plugin-dir", tshark.plugins, "--jobs", "2",
                        "--csv", out_csv, "--jsonl", out_jsonl, folder, os.path.join(workdir, "missing.pcap")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 1, p.stderr
    err = p.stderr
    assert "empty.pcap: failed: empty file" in err
    assert "truncated.pcap: truncated:" in err and "cut short" in err
    assert "missing.pcap: no such file or folder" in err
    assert "[4/4]" in err  # progress for each of the four captures found
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out_jsonl) as f:
        jrows = [json.loads(l) for l in f]
    assert len(rows) == len(jrows)
    by_capture = {}
    for r in rows:
        by_capture.setdefault(os.path.basename(r["capture"]), []).append(r)
    assert {r["listener_port"] for r in by_capture["good-a.pcap"]} == {"2000", "5060"}
    assert all(r["status"] == "ok" for r in by_capture["good-a.pcap"])
    sccp = [r for r in by_capture["good-a.pcap"] if r["listener_port"] == "2000"][0]
    assert sccp["detected"] == "SCCP" and sccp["entry"].startswith("cucm") and "insecure" in sccp["flags"]
    assert by_capture["good-b.pcap"][0]["detected"] == "MGCP"
    # The truncated capture keeps what was read before the cut.
    trunc = by_capture["truncated.pcap"]
    assert trunc and all(r["status"] == "truncated" for r in trunc)
    assert "empty.pcap" not in by_capture
    assert {json.dumps(r, sort_keys=True) for r in rows} == {json.dumps(r, sort_keys=True) for r in jrows}
