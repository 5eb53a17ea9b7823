"""Helpers of the results-store suites (test_store, test_fleet, test_dask): run the
commands, make small capture folders, read a store back table by table."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import ucstats
import ucstore
from conftest import BUILD, ROOT

ANNOTATE = os.path.join(ROOT, "tools", "annotate")
FLEET = os.path.join(ROOT, "tools", "fleet")
SCANNER = os.path.join(os.path.abspath(BUILD), "scanner", "ciscouc-scan")
TEACHING = os.path.join(ROOT, "captures")
# Two sites: the folders annotate is given hold these teaching captures.
SITES = {"site-a": ["sccp-phone-call.pcap", "sip-phone-call.pcap", "misbehaviour.pcap", "mgcp-gateway.pcap"],
         "site-b": ["cti-application.pcap", "secure-phones.pcap", "telepresence.pcap", "imp-xmpp.pcap"]}


def env() -> dict:
    return dict(os.environ, CISCOUC_BUILD=os.path.abspath(BUILD))


def run(cmd: list[str], timeout: int = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["/usr/bin/python3", *cmd], capture_output=True, text=True, env=env(), timeout=timeout, **kw)


def annotate(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return run([ANNOTATE, "--quiet", *args], timeout)


def make_sites(folder: str, bad: bool = True) -> str:
    """folder/site-a, folder/site-b with teaching captures; with bad, also an empty
    file and a truncated capture in site-b. World-readable (Dask workers run as nobody)."""
    for site, names in SITES.items():
        os.makedirs(os.path.join(folder, site), exist_ok=True)
        for n in names:
            shutil.copy(os.path.join(TEACHING, n), os.path.join(folder, site, n))
    if bad:
        open(os.path.join(folder, "site-b", "empty.pcap"), "wb").close()
        with open(os.path.join(TEACHING, "sip-phone-call.pcap"), "rb") as f:
            data = f.read()
        with open(os.path.join(folder, "site-b", "truncated.pcap"), "wb") as f:
            f.write(data[:-30])
    readable(folder)
    return folder


def sites():
    """The two-site folder of make_sites, for a module (a fixture in each suite)."""
    d = tempfile.mkdtemp(prefix="ciscouc-sites-")
    make_sites(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def readable(folder: str) -> None:
    os.chmod(folder, 0o755)
    for d, _, files in os.walk(folder):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o644)


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the columns that say when and where a row was
    written (stored_at, worker, engine, source)."""
    s = ucstore.open_store(url)
    try:
        keep = [c for c in ucstore.CAPTURE_COLUMNS if c not in ("stored_at", "worker", "engine", "source")]
        out = {"captures": s.query(f"SELECT {', '.join(keep)} FROM captures")}
        for t in ucstore.CHILD_TABLES:
            out[t] = s.query(f"SELECT * FROM {t}")
        return {t: sorted(rows, key=repr) for t, rows in out.items()}
    finally:
        s.close()


def whole_captures(url: str) -> list[str]:
    """Paths of the stored captures, after checking each is whole: as many conversation,
    host and flag rows as its record counts."""
    s = ucstore.open_store(url)
    try:
        paths = []
        for sha, path, convs, hosts, flags in s.query("SELECT sha256, path, conversations, hosts, flags FROM captures"):
            got = [s.query(f"SELECT COUNT(*) FROM {t} WHERE capture = ?", (sha,))[0][0]
                   for t in ("conversations", "hosts", "flags")]
            assert got == [convs, hosts, flags], (path, got, [convs, hosts, flags])
            paths.append(path)
        return sorted(paths)
    finally:
        s.close()


def scanner_hosts(path: str) -> set[tuple]:
    """The hosts table ciscouc-scan prints for a capture, read straight from it."""
    p = subprocess.run([SCANNER, "--hosts", path], capture_output=True, text=True, timeout=60)
    return {tuple(h[k] for k in ucstats.HOST_KEYS) for h in ucstats.hosts(p.stdout) or []}


def slow_scanner(folder: str, delay: float) -> str:
    """A ciscouc-scan that takes at least `delay` seconds a capture (a slow file server):
    it sleeps, notes the capture in $CISCOUC_TEST_MARK if set, then runs the real scanner."""
    path = os.path.join(folder, "slow-ciscouc-scan")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\n[ -n "$CISCOUC_TEST_MARK" ] && echo "$@" >> "$CISCOUC_TEST_MARK"\n'
                f'sleep {delay}\nexec {SCANNER} "$@"\n')
    os.chmod(path, 0o755)
    return path


def wait_for(what: str, check, timeout: float = 60, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = check()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def kill_group(p: subprocess.Popen) -> None:
    """SIGKILL a process started with start_new_session=True and everything it started."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(timeout=30)
