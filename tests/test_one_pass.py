"""One pass and two passes agree: a flag is raised once, on the frame that proves it.

tshark without -2 dissects each frame once, in order, and prints what the
conversation looked like then; with -2 the second pass prints what the whole
first pass decided. ciscouc raises a flag's expert info on the frame where the
flag first held (conversation.cpp relabel), and no flag before payload
evidence, so the two runs must give the same ciscouc expert items on the same
frames, and the same final conversation table, on every teaching capture and
every capture in ../shared/captures (the fast tier: the teaching captures and
tests/corpus.py's sample). The runs are the session's (tests/corpus.py).

One exception, explained: a host's vendor comes from its own words, which may
come after the frame that raised a flag (a 200 OK's "Server: FreeSWITCH"
after the INVITE). With -2 the first pass knows it from the start and no
Cisco guide's flag is raised between a host naming another vendor and one
showing nothing of Cisco (issue 22); one pass cannot know the future. A
difference on a frame to or from a host that names another vendor (the hosts
table's Vendor column) is that case; any other difference fails.
"""
from __future__ import annotations

import os
import tomllib

import pytest

import conftest
import corpus

with open(os.path.join(conftest.ROOT, "catalog", "vocabulary.toml"), "rb") as _f:
    OTHER_VENDORS = {v["name"] for v in tomllib.load(_f).get("vendors", {}).values() if not v.get("cisco")}


def _raised_args(two_pass: bool) -> list[str]:
    flags = conftest.flag_names()
    args = ["-T", "fields", "-E", "separator=\t", "-E", "quote=n", "-E", "occurrence=l",
            "-e", "frame.number", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
            *[a for f in flags for a in ("-e", f"ciscouc.{f}")]]
    return args + ["-2"] if two_pass else args


def _table_args(two_pass: bool) -> list[str]:
    return corpus.CONV if two_pass else [a for a in corpus.CONV if a != "-2"]


# (arguments, plugin) of the four runs of a capture.
RUNS = [(f(two_pass), True) for f in (_raised_args, _table_args) for two_pass in (False, True)]


def _raised(tshark, path: str, two_pass: bool, runs=None, ends: dict | None = None) -> set[tuple[int, str]]:
    """(frame, flag) of every ciscouc expert item; `ends` gets each such frame's addresses."""
    flags = conftest.flag_names()
    if runs is None:
        p = tshark.run(["-r", path, *_raised_args(two_pass)], check=False)
    else:
        p = runs.run(tshark, path, _raised_args(two_pass))
    if p.returncode != 0 and not p.stdout:
        return {(-1, f"unreadable: {p.stderr.strip()[:200]}")}
    out = set()
    for line in p.stdout.splitlines():
        cells = line.split("\t")
        for name, cell in zip(flags, cells[5:]):
            if cell:
                out.add((int(cells[0]), name))
                if ends is not None:
                    ends[int(cells[0])] = {c for c in cells[1:5] if c}
    return out


def _other_vendor_hosts(lines: list[str]) -> set[str]:
    """Addresses whose own words name another vendor than Cisco (the -2 run's hosts table)."""
    head = next((i for i, l in enumerate(lines) if l.startswith("Address\tRoles\tVendor")), None)
    out = set()
    for line in lines[head + 1:] if head is not None else []:
        cells = line.split("\t")
        if len(cells) > 2 and {v.strip() for v in cells[2].split(",")} & OTHER_VENDORS:
            out.add(cells[0])
    return out


def _table(tshark, runs, path: str, two_pass: bool) -> list[str]:
    return runs.run(tshark, path, _table_args(two_pass)).stdout.splitlines()


def _compare(tshark, runs, path: str) -> list[str]:
    problems = []
    ends: dict[int, set[str]] = {}
    one, two = _raised(tshark, path, False, runs, ends), _raised(tshark, path, True, runs, ends)
    if one != two:
        # Explained: the frame is to or from a host that names another vendor (see above).
        other = _other_vendor_hosts(_table(tshark, runs, path, True))
        one = {x for x in one if x in two or not ends.get(x[0], set()) & other}
        two = {x for x in two if x in one or not ends.get(x[0], set()) & other}
    if one != two:
        problems.append(f"expert items only in one pass: {sorted(one - two)[:8]}; only with -2: {sorted(two - one)[:8]}")
    t1, t2 = _table(tshark, runs, path, False), _table(tshark, runs, path, True)
    if t1 != t2:
        diff = [x for x in t1 if x not in t2][:3] + ["--"] + [x for x in t2 if x not in t1][:3]
        problems.append(f"-z ciscouc,conv differs: {diff}")
    return problems


def test_flag_frames_equal_in_one_and_two_passes_on_crafted_flip(tshark_evidence, tmp_path):
    """HTTP on 5060 after a handshake: the SYN carries no payload, so no flag
    may be raised on it; protocol_mismatch is raised once, on the HTTP frame."""
    from captures import pcap as pg
    cap = pg.Capture()
    cap.tcp_handshake("10.0.0.1", 40000, "10.0.0.2", 5060)
    cap.tcp("10.0.0.1", 40000, "10.0.0.2", 5060, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    path = str(tmp_path / "http5060.pcap")
    cap.write(path)
    one, two = _raised(tshark_evidence, path, False), _raised(tshark_evidence, path, True)
    assert one == two, (one, two)
    assert all(frame == 4 for frame, _ in one), one  # the frame with the HTTP request


def corpus_jobs(item) -> list[tuple[str, str, list[str], bool]]:
    """The runs an item reads (conftest starts them at the start of the session)."""
    return corpus.set_jobs(item, "test_one_and_two_passes_agree_everywhere", "tshark_evidence", RUNS)


@pytest.mark.parametrize("captures", corpus.SETS)
def test_one_and_two_passes_agree_everywhere(tshark_evidence, corpus_runs, captures):
    files = corpus.capture_set(captures)
    assert files, "no capture found"
    shared = os.path.isdir(conftest.SHARED_CAPTURES)
    corpus_runs.prefetch(tshark_evidence, files, RUNS)
    bad = {}
    for f in files:
        problems = _compare(tshark_evidence, corpus_runs, f)
        if problems:
            bad[os.path.relpath(f, conftest.ROOT if not shared else os.path.dirname(conftest.SHARED_CAPTURES))] = problems
    print(f"one pass vs -2: {len(files) - len(bad)}/{len(files)} captures agree"
          + ("" if shared else " (../shared/captures absent: teaching captures only)"))
    assert not bad, "\n".join(f"{k}: {'; '.join(v)}" for k, v in sorted(bad.items()))
