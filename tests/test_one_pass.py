"""One pass and two passes agree: a flag is raised once, on the frame that proves it.

tshark without -2 dissects each frame once, in order, and prints what the
conversation looked like then; with -2 the second pass prints what the whole
first pass decided. ciscouc raises a flag's expert info on the frame where the
flag first held (conversation.cpp relabel), and no flag before payload
evidence, so the two runs must give the same ciscouc expert items on the same
frames, and the same final conversation table, on every teaching capture and
every capture in ../shared/captures (the fast tier: the teaching captures and
tests/corpus.py's sample). The runs are the session's (tests/corpus.py).
"""
from __future__ import annotations

import os

import pytest

import conftest
import corpus


def _raised_args(two_pass: bool) -> list[str]:
    flags = conftest.flag_names()
    args = ["-T", "fields", "-E", "separator=\t", "-E", "quote=n", "-E", "occurrence=f",
            "-e", "frame.number", *[a for f in flags for a in ("-e", f"ciscouc.{f}")]]
    return args + ["-2"] if two_pass else args


def _table_args(two_pass: bool) -> list[str]:
    return corpus.CONV if two_pass else [a for a in corpus.CONV if a != "-2"]


# (arguments, plugin) of the four runs of a capture.
RUNS = [(f(two_pass), True) for f in (_raised_args, _table_args) for two_pass in (False, True)]


def _raised(tshark, path: str, two_pass: bool, runs=None) -> set[tuple[int, str]]:
    """(frame, flag) of every ciscouc expert item."""
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
        for name, cell in zip(flags, cells[1:]):
            if cell:
                out.add((int(cells[0]), name))
    return out


def _table(tshark, runs, path: str, two_pass: bool) -> list[str]:
    return runs.run(tshark, path, _table_args(two_pass)).stdout.splitlines()


def _compare(tshark, runs, path: str) -> list[str]:
    problems = []
    one, two = _raised(tshark, path, False, runs), _raised(tshark, path, True, runs)
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
