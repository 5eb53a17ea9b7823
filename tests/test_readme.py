"""Docs that show output, compared with the output: README's conversation
example (its command is run and its output compared line for line), README's
packet-details excerpt (each shown line, "..." standing for left-out text, is a
line of the real `tshark -V` tree, in order), INSTALL's "Checking it loaded"
commands, and what `tools/annotate --help` claims (the statuses, pcapng whose
interfaces mix link types)."""
from __future__ import annotations

import os
import re
import struct
import subprocess

import pytest

import ucstats
from captures import pcap as pg
from conftest import BUILD, ROOT

# README shows Wireshark 4.0's output (the native suite checks it).
pytestmark = pytest.mark.native

TEACHING = os.path.join(ROOT, "captures")


def marked_block(doc: str, marker: str) -> list[str]:
    """The lines of the fenced block after <!-- marker --> in doc."""
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        text = f.read()
    m = re.search(rf"<!-- {re.escape(marker)} -->\n```\n(.*?)\n```", text, re.S)
    assert m, f"{doc} has no {marker} block"
    return m.group(1).split("\n")


def test_readme_conversation_example_is_real_output():
    lines = marked_block("README.md", "conversation-example")
    assert lines[0].startswith("$ build/scanner/ciscouc-scan ")
    args = lines[0][2:].split()
    args[0] = os.path.join(BUILD, "scanner", "ciscouc-scan")
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    env.pop("COLUMNS", None)
    p = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip("\n").split("\n") == lines[1:]
    # The same rows as the tab-separated table the plugin prints (test_scanner
    # compares the scanner's with the plugin's on every capture).
    tsv = subprocess.run([a for a in args if a not in ("--format", "table", "--width", "140")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120).stdout
    shown = [l.split()[:2] for l in lines[3:3 + len(ucstats.conversations(tsv))]]
    assert shown == [[r["client"], r["server"]] for r in ucstats.conversations(tsv)]


def excerpt_matches(shown: list[str], real: list[str]) -> list[str]:
    """The shown lines not found, in order, among the real lines ("..." = any text)."""
    missing, at = [], 0
    for line in shown:
        pattern = re.compile("^" + ".*".join(re.escape(p) for p in line.split("...")) + "$")
        for i in range(at, len(real)):
            if pattern.match(real[i]):
                at = i + 1
                break
        else:
            missing.append(line)
    return missing


def test_readme_packet_details_are_an_excerpt_of_tshark(tshark_evidence):
    shown = marked_block("README.md", "details-example")
    out = tshark_evidence.run(["-2", "-V", "-r", os.path.join(TEACHING, "sccp-phone-call.pcap"),
                               "-Y", "frame.number==11"]).stdout
    real = out[out.index("[Cisco UC port usage:"):].splitlines()
    assert excerpt_matches(shown, real) == []
    # Near miss: a line out of the tree's order is reported.
    assert excerpt_matches([shown[-1], shown[0]], real) == [shown[0]]


def test_install_checking_commands(tshark):
    """INSTALL's "Checking it loaded" lines, run as written through sh."""
    block = marked_block("INSTALL.md", "checking-it-loaded")
    cmd, env = tshark.command(["-v"])
    prefix = cmd[:-2]  # setpriv/env before tshark when run as root
    results = {}
    for line in block:
        shell, _, comment = line.partition("  # ")
        p = subprocess.run([*prefix, "sh", "-c", shell.strip()] if prefix else ["sh", "-c", shell.strip()],
                           capture_output=True, text=True, env=env, timeout=120)
        results[shell.strip()] = (p.stdout, comment.strip())
    plugins = [v for k, v in results.items() if "-G plugins" in k][0]
    assert re.match(r"^ciscouc\.so\s+0\.1\.0\s+dissector\s+/\S+/ciscouc\.so$", plugins[0].strip()), plugins
    count = [v for k, v in results.items() if "grep -cP" in k][0][0]
    fields = [f for f, t in tshark.field_types().items() if f.startswith("ciscouc.") and t != "FT_PROTOCOL"]
    assert int(count) == len(fields) > 30
    protocols = [v for k, v in results.items() if "-G protocols" in k][0][0]
    assert protocols == "Cisco UC port usage\tCiscoUC\tciscouc\n", protocols
    # Near miss: the grep INSTALL once gave (\t read literally) counts nothing.
    p = subprocess.run([*prefix, "sh", "-c", "tshark -G fields | grep -c '\\tciscouc\\.'"] if prefix else
                       ["sh", "-c", "tshark -G fields | grep -c '\\tciscouc\\.'"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.stdout.strip() == "0"


def mixed_pcapng(path: str) -> str:
    """Two interfaces, Ethernet (1) and raw IPv4 (101), one SIP REGISTER on
    each (pcapng: draft-ietf-opsawg-pcapng, SHB 0x0A0D0D0A, IDB 1, EPB 6)."""
    def block(kind: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    def ip_udp(src, dst, payload):
        udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst)) + udp

    def epb(interface, ts, frame):
        return block(6, struct.pack("<IIIII", interface, 0, ts, len(frame), len(frame)) + frame)

    a, b, c = [10, 1, 0, 5], [10, 1, 0, 1], [10, 1, 0, 6]
    eth = b"\x00\x00\x5e\x00\x53\x02\x00\x00\x5e\x00\x53\x01\x08\x00" + \
        ip_udp(a, b, pg.sip("REGISTER", "sip:cucm", "10.1.0.5", 5060))
    raw = ip_udp(c, b, pg.sip("REGISTER", "sip:cucm", "10.1.0.6", 5060, call_id="2@ciscouc"))
    data = (block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) +
            block(1, struct.pack("<HHI", 1, 0, 65535)) + block(1, struct.pack("<HHI", 101, 0, 65535)) +
            epb(0, 1000, eth) + epb(1, 2000, raw))
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_annotate_help_claims(workdir):
    """annotate --help lists exactly the statuses it writes, and says the
    scanner reads pcapng whose interfaces mix link types: it does."""
    env = {**os.environ, "CISCOUC_BUILD": BUILD}
    help_text = subprocess.run([os.path.join(ROOT, "tools", "annotate"), "--help"], capture_output=True,
                               text=True, env=env, timeout=60).stdout
    listed = re.findall(r"^  (ok|[a-z]+(?: [a-z]+)*?)\s{2,}\S", help_text.split("Every path given", 1)[1], re.M)
    assert tuple(listed) == ucstats.STATUSES, listed
    assert "pcapng whose interfaces mix\nlink types" in help_text or "pcapng whose interfaces mix link types" in \
        " ".join(help_text.split())
    pcap = mixed_pcapng(os.path.join(workdir, "mixed.pcapng"))
    p = subprocess.run([os.path.join(ROOT, "tools", "annotate"), "--quiet", "--engine", "scan", "--format", "table",
                        pcap], capture_output=True, text=True, env=env, cwd=workdir, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == f"== {pcap}: ok"
    assert "10.1.0.5:5060" in p.stdout and "10.1.0.6:5060" in p.stdout, p.stdout
