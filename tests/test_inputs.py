"""Every input accounted for (tools/annotate): each path given or found gets
exactly one row per conversation or, when it holds none, exactly one row,
with a status and the message, the same under both engines; the summary
counts each status; the exit status says whether any path was not read whole.
And docs/batch.md's GNU parallel recipe, run as written on the same folder.

Runs annotate as nobody when run as root (root reads a file of mode 000)."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from captures import pcap as pg
from conftest import ROOT

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

ANNOTATE = os.path.join(ROOT, "tools", "annotate")
BUILD = os.path.abspath(os.environ.get("CISCOUC_BUILD") or os.path.join(ROOT, "build"))
SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
# File name -> the status both engines give it.
EXPECTED = {"good.pcap": "ok", "quiet.pcap": "no conversations", "empty.pcap": "empty", "x.pcap": "not a capture",
            "trunc.pcap": "truncated", "trunc.pcapng": "truncated", "secret.pcap": "unreadable",
            "nothere.pcap": "missing"}


def as_user(cmd: list[str], home: str) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", f"HOME={home}",
            f"PATH={os.environ['PATH']}", f"CISCOUC_BUILD={BUILD}", *cmd]


@pytest.fixture(scope="module")
def bad_folder(workdir, tshark):
    """good.pcap, quiet.pcap (ARP only), an empty file, a text file named
    x.pcap, a pcap and a pcapng cut mid-packet, a file nobody may read."""
    folder = os.path.join(workdir, "inputs")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    c = pg.Capture()
    c.tcp_handshake("10.9.0.1", 50000, "10.9.0.2", 2000)
    c.tcp("10.9.0.1", 50000, "10.9.0.2", 2000, pg.sccp_register())
    for i in range(6):
        c.udp("10.9.0.1", 5060, "10.9.0.2", 5060, pg.sip("REGISTER", "sip:10.9.0.2", "10.9.0.1", 5060, cseq=i + 1))
    good = c.write(os.path.join(folder, "good.pcap"))
    from scapy.all import ARP, Ether, wrpcap  # type: ignore
    wrpcap(os.path.join(folder, "quiet.pcap"), [Ether() / ARP(psrc="10.9.9.1", pdst="10.9.9.2")])
    open(os.path.join(folder, "empty.pcap"), "wb").close()
    with open(os.path.join(folder, "x.pcap"), "w") as f:
        f.write("meeting notes, not a capture\n")
    with open(good, "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "trunc.pcap"), "wb") as f:
        f.write(data[:-20])
    ng = os.path.join(workdir, "full.pcapng")
    subprocess.run(["tshark", "-r", good, "-F", "pcapng", "-w", ng], check=True, capture_output=True)
    with open(ng, "rb") as f:
        ngdata = f.read()
    with open(os.path.join(folder, "trunc.pcapng"), "wb") as f:
        f.write(ngdata[:-30])
    shutil.copyfile(good, os.path.join(folder, "secret.pcap"))
    for name in os.listdir(folder):
        os.chmod(os.path.join(folder, name), 0o644)
    os.chmod(os.path.join(folder, "secret.pcap"), 0o000)
    os.chmod(folder, 0o755)
    return folder


def annotate(workdir, tshark, folder, engine: str):
    out = os.path.join(workdir, f"inputs-{engine}")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    os.chmod(out, 0o777)
    args = [sys.executable, ANNOTATE, "--engine", engine, "--quiet", "--jobs", "2", "--csv",
            os.path.join(out, "rows.csv"), "--jsonl", os.path.join(out, "rows.jsonl"), folder,
            os.path.join(folder, "nothere.pcap")]
    if engine == "tshark":
        args[4:4] = ["--plugin-dir", tshark.plugins]
    env = dict(os.environ, CISCOUC_TSHARK_HOME=tshark.home)
    p = subprocess.run(as_user(args, tshark.home), capture_output=True, text=True, env=env, timeout=300)
    assert os.path.exists(os.path.join(out, "rows.csv")), p.stderr
    with open(os.path.join(out, "rows.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "rows.jsonl"), encoding="utf-8") as f:
        jrows = [json.loads(l) for l in f]
    return p, rows, jrows


@pytest.fixture(scope="module")
def both(workdir, tshark, bad_folder):
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"ciscouc-scan is not built ({SCANNER})")
    return {e: annotate(workdir, tshark, bad_folder, e) for e in ("scan", "tshark")}


@pytest.mark.parametrize("engine", ["scan", "tshark"])
def test_every_path_gets_rows_with_its_status(both, engine):
    p, rows, jrows = both[engine]
    assert p.returncode == 1, p.stderr
    assert rows == [{k: str(v) for k, v in r.items()} for r in jrows]
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(os.path.basename(r["capture"]), []).append(r)
    assert set(by_file) == set(EXPECTED)
    for name, status in EXPECTED.items():
        got = by_file[name]
        assert {r["status"] for r in got} == {status}, (name, got[0]["status"], got[0]["message"])
        if status not in ("ok", "truncated"):
            assert len(got) == 1 and got[0]["client"] == "", name  # exactly one row, no conversation
        if status in ("ok", "no conversations"):
            assert got[0]["message"] == ""
        else:
            assert got[0]["message"], name  # the error text
            assert re.search(rf"{re.escape(name)}: {status}: ", p.stderr), (name, p.stderr)
    # A truncated capture keeps the conversations read before the cut.
    assert len(by_file["trunc.pcap"]) == 2 and len(by_file["trunc.pcapng"]) == 2
    assert by_file["secret.pcap"][0]["message"] == "cannot read: Permission denied"
    assert by_file["nothere.pcap"][0]["message"] == "no such file or folder"
    # The summary counts each status.
    summary = [l for l in p.stderr.splitlines() if " path(s): " in l][-1]
    assert ("8 path(s): 1 ok, 1 no conversations, 2 truncated, 1 empty, 1 not a capture, 1 unreadable, "
            "1 missing;") in summary, summary


def test_both_engines_agree(both):
    def statuses(rows):
        return sorted({(os.path.basename(r["capture"]), r["status"]) for r in rows})
    assert statuses(both["scan"][1]) == statuses(both["tshark"][1])


def test_good_inputs_exit_0(workdir, tshark, bad_folder):
    # Near miss: the readable captures alone, one without conversations: exit 0.
    out = os.path.join(workdir, "inputs-good.csv")
    p = subprocess.run([sys.executable, ANNOTATE, "--engine", "scan", "--quiet", "--csv", out,
                        os.path.join(bad_folder, "good.pcap"), os.path.join(bad_folder, "quiet.pcap")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "2 path(s): 1 ok, 1 no conversations;" in p.stderr


def recipe() -> list[str]:
    """docs/batch.md's GNU parallel recipe: its commands, continuations joined."""
    with open(os.path.join(ROOT, "docs", "batch.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Across machines with GNU parallel"):]
    block = re.search(r"\n\n((?:    .*\n)+)", section).group(1)
    lines = [l[4:] for l in block.splitlines()]
    return [c.strip() for c in re.sub(r"\\\n\s*", "", "\n".join(lines)).splitlines() if c.strip()]


def test_parallel_recipe_as_written(workdir, tshark, bad_folder):
    if not shutil.which("parallel"):
        pytest.skip("GNU parallel is not installed (apt-get install parallel)")
    cmds = recipe()
    assert cmds[0].startswith("printf '%s\\n' : server2 server3 > sshlogins")
    run_dir = os.path.join(workdir, "recipe")
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    os.chmod(run_dir, 0o777)
    rcs = []
    for cmd in cmds:
        # This machine only; the folder of good and bad files; this checkout's annotate.
        cmd = cmd.replace(" server2 server3", "").replace("/data/captures", bad_folder)
        cmd = cmd.replace("tools/annotate", ANNOTATE)
        p = subprocess.run(as_user(["bash", "-c", cmd], tshark.home), cwd=run_dir, capture_output=True, text=True,
                           timeout=300)
        rcs.append((cmd, p.returncode, p.stderr))
    parallel = [r for r in rcs if r[0].startswith("parallel")][0]
    files = sorted(os.listdir(bad_folder))
    bad = [f for f in files if EXPECTED[f] not in ("ok", "no conversations")]
    # parallel exits with the number of files not read whole.
    assert parallel[1] == len(bad) == 5, parallel[2][-2000:]
    with open(os.path.join(run_dir, "all.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(l) for l in f]
    got = {(os.path.basename(r["capture"]), r["status"]) for r in rows}
    assert got == {(f, EXPECTED[f]) for f in files}
