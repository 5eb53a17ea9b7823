"""The captures the suites read, and tshark's output over them, computed once per run.

Several suites read every capture (test_real_captures, test_stock_parity,
test_one_pass, test_scanner, test_real_captures' evidence goals); some ask
tshark the same question (the -2 conversation table: one pass against -2, the
scanner against the plugin, the evidence goals). The session's `corpus_runs`
fixture (conftest) is a Runs: it runs each (capture, tshark arguments, plugin
or not) once, on a pool of one worker per core (at most 8), biggest capture
first, and hands the same result to every test that asks.

Tiers (conftest --tier): the fast tier reads the teaching captures and SAMPLE,
a fixed sample of ../shared/captures that covers every kind of capture the
corpus holds (each UC signalling protocol, media, tunnels, compressed and
oddly named files, a file that is no capture, the NEGATIVE and EDGE captures
of non-UC protocols on UC port numbers); the rest of the corpus is marked
`corpus` (param() and SETS) and runs in the full tier.
"""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import threading

import pytest

import conftest
from bench import evidence
from tools import ucfacts

SHARED = conftest.SHARED_CAPTURES
TEACHING = conftest.TEACHING_CAPTURES

# The fast tier's real captures (paths relative to ../shared/captures), about 1 MB in all.
SAMPLE = (
    "ahmedelemamn__Wireshark-Captures/dtmf_relay_sip_rfc4733.pcapng",  # SCCP, SIP, MGCP and RTP in one capture
    "ahmedelemamn__Wireshark-Captures/sccp_cme_init.pcapng",  # a phone registering with CME
    "ahmedelemamn__Wireshark-Captures/srst_secure.pcapng",  # MGCP and TLS on 2443
    "ntop__nDPI/h323.pcap",  # RAS, H.225 and H.245 on a dynamic port
    "ajbanjara__Wireshark/rtp_example.raw.gz",  # H.323 and RTP, gzip'd, named like no capture
    "zeek__zeek/xmpp-dialback-starttls.pcap",  # XMPP server to server on 5269
    "ajbanjara__Wireshark/xmpp-ssl.pcapng",  # XMPP client to server, STARTTLS
    "seladb__PcapPlusPlus/sip_resp.pcap",  # SIP responses mid-stream: the listener from the payload
    "ajbanjara__Wireshark/MagicJack_pwr_up.pcap",  # SIP on 5070, RTP found by heuristics
    "ntop__nDPI/gre.pcapng",  # SIP inside 802.1Q, GRE and PPP
    "irontec__sngrep/ipip.pcap",  # SIP over TCP 5090 inside IP-in-IP
    "ntop__nDPI/http_on_sip_port.pcap",  # NEGATIVE: HTTP on tcp/5060
    "ntop__nDPI/mullvad_wireguard.pcap",  # NEGATIVE: WireGuard on udp/5060
    "ajbanjara__Wireshark/hiqnet_netsetter-soundcraft_session.pcapng.gz",  # NEGATIVE: HiQnet on 3804
    "ajbanjara__Wireshark/S5066-HFChat-1.pcap",  # EDGE: 2749 as a client's source port
    "ajbanjara__Wireshark/sip-tls-1.3-and-rtcp.zip",  # no capture: tshark's file error
)


# The -2 conversation table with the plugin's default claims: one pass against
# -2, the scanner against the plugin and the evidence goals read the same run.
CONV = evidence.CONV_ARGS


def shared_files() -> list[str]:
    """Every file of ../shared/captures but INVENTORY.md (relative paths, sorted), or []."""
    if not os.path.isdir(SHARED):
        return []
    out = []
    for d, dirs, files in os.walk(SHARED):
        dirs.sort()
        out += [os.path.relpath(os.path.join(d, f), SHARED) for f in files if f != ucfacts.INVENTORY_NAME]
    return sorted(out)


def teaching_files() -> list[str]:
    return sorted(os.path.join(TEACHING, f) for f in os.listdir(TEACHING) if f.endswith(".pcap"))


def param(rel: str):
    """A per-capture test parameter: a capture of SAMPLE runs in every tier,
    another is marked corpus."""
    return pytest.param(rel, marks=() if rel in SAMPLE else pytest.mark.corpus)


def params(files: list[str]) -> list:
    """param() of each file; without ../shared/captures one placeholder that
    the shared_captures fixture skips with a clear message."""
    return [param(f) for f in files] or ["<no shared captures>"]


# Tests over a set of captures at once take `captures` (the set's name) from
# SETS: "sample" (the teaching captures and SAMPLE) in every tier, "rest" (the
# other shared captures) marked corpus. Both together are every capture.
SETS = [pytest.param("sample", id="sample"), pytest.param("rest", id="rest", marks=pytest.mark.corpus)]


def capture_set(name: str) -> list[str]:
    """The paths of a set of SETS (the shared ones only where ../shared/captures
    is there: "rest" skips without it)."""
    if name == "rest" and not os.path.isdir(SHARED):
        pytest.skip(f"../shared/captures is absent ({SHARED}): real-capture tests skipped")
    shared = [os.path.join(SHARED, f) for f in shared_files()]
    if name == "sample":
        return teaching_files() + [f for f in shared if os.path.relpath(f, SHARED) in SAMPLE]
    if name == "rest":
        return [f for f in shared if os.path.relpath(f, SHARED) not in SAMPLE]
    raise ValueError(name)


def set_jobs(item, test: str, fixture: str, runs: list[tuple[list[str], bool]]) -> list[tuple]:
    """corpus_jobs of `test`, a test over SETS: its runs ((arguments, plugin)
    pairs, with the tshark of `fixture`) on every capture of the item's set."""
    if item.originalname != test:
        return []
    name = item.callspec.params["captures"]
    if name == "rest" and not os.path.isdir(SHARED):
        return []
    return [(fixture, f, args, plugin) for f in capture_set(name) for args, plugin in runs]


class Runs:
    """tshark over captures, each (capture, arguments, plugin) run once per
    session on a pool of one worker per core; the results are kept."""

    def __init__(self):
        workers = max(1, min(len(os.sched_getaffinity(0)), 8))
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        self.futures: dict[tuple, concurrent.futures.Future] = {}
        self.lock = threading.Lock()

    def submit(self, tshark, capture: str, args: list[str], plugin: bool = True,
               timeout: int = 1200) -> concurrent.futures.Future:
        """tshark.run(["-r", capture, *args], plugin, check=False), started
        unless an equal run was (the key is the command tshark runs)."""
        full = ["-r", os.path.abspath(capture), *args]
        key = (tuple(tshark.arguments(full, plugin)), plugin)
        with self.lock:
            fut = self.futures.get(key)
            if fut is None:
                fut = self.pool.submit(tshark.run, full, plugin=plugin, check=False, timeout=timeout)
                self.futures[key] = fut
            return fut

    def run(self, tshark, capture: str, args: list[str], plugin: bool = True,
            timeout: int = 1200) -> subprocess.CompletedProcess:
        return self.submit(tshark, capture, args, plugin, timeout).result()

    def prefetch(self, tshark, captures: list[str], runs: list[tuple[list[str], bool]]) -> None:
        """Start every run of runs ((arguments, plugin) pairs) on every capture
        not started yet, biggest capture first."""
        for c in sorted(captures, key=lambda f: -os.path.getsize(f)):
            for args, plugin in runs:
                self.submit(tshark, c, args, plugin)

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)
