"""ciscouc-scan's stream mode: --jsonl records of capture files, and the live
sensor (--live IFACE) on a real interface.

Offline (any user): conversations end on FIN from both ends, RST, a reused
port, an idle time per transport or eviction at the cap, each written as one
record with the conversation table's keys; host records as roles change;
the caps count and report what they evict.

Live (root; skipped with a message otherwise): a veth pair in a network
namespace this module makes (and always deletes), tcpreplay of every teaching
capture and a sample of the shared ones into one end, ciscouc-scan --live on
the other; its records must equal the offline --jsonl records of the same
file, record for record (labels, evidence, flags, roles; only the times
differ). Bad input: a missing interface, a filter that does not compile, no
permission: one clear error and its documented exit status each.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

import conftest
import ucstats
import ucveth
from captures import pcap as cpcap

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

ROOT = conftest.ROOT
BUILD = os.path.abspath(conftest.BUILD)
SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
TEACHING = sorted(os.path.join(ROOT, "captures", f) for f in os.listdir(os.path.join(ROOT, "captures"))
                  if f.endswith(".pcap"))
# Shared captures replayed live: Ethernet, no frame cut by the snap length or
# above 1514 bytes (tcpreplay sends the captured bytes; a cut frame would
# arrive shorter than the file says), from several sources and protocols.
SHARED_SAMPLE = [
    "CESNET__ipfixprobe/sip.pcap",
    "OISF__suricata-verify/sip-tcp-method__sip-tcp.pcap",
    "SIPp__sipp/g711a.pcap",
    "ahmedelemamn__Wireshark-Captures/h323_ss_hold_resume.pcapng",
    "ahmedelemamn__Wireshark-Captures/mgcp_fxo_registration.pcapng",
    "ahmedelemamn__Wireshark-Captures/sccp_cme_init.pcapng",
    "ahmedelemamn__Wireshark-Captures/sccp_hw_gway_tls.pcapng",
    "ahmedelemamn__Wireshark-Captures/sip_basic_do_183.pcapng",
    "ajbanjara__Wireshark/MGCP.pcap",
    "ajbanjara__Wireshark/tftp_rrq.pcap",
    "ajbanjara__Wireshark/xmpp-ssl.pcapng",
    "ntop__nDPI/skinny.pcap",
    "ntop__nDPI/jabber.pcap",
    "ntop__nDPI/h323.pcap",
    "zeek__zeek/ldap-starttls.pcap",
]
# Time plays no part in the comparison: no conversation ends idle and no
# inspection window closes by time (a replay at top speed compresses the
# capture's gaps); FIN, RST, reuse and the final flush end them in both.
TIMELESS = ["--idle", "1e9", "--idle-tcp", "1e9", "--idle-udp", "1e9"]


@pytest.fixture(scope="module")
def scanner():
    if not os.path.exists(SCANNER):
        pytest.fail(f"ciscouc-scan is not built: {SCANNER} is missing (cmake --build build)")
    return SCANNER


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def jsonl(scanner, path, *args) -> list[dict]:
    p = subprocess.run([scanner, "--jsonl", *args, path], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return records(p.stdout)


def comparable(recs: list[dict]) -> list[dict]:
    """Conversation and host records without their times (stats records apart)."""
    return [{k: v for k, v in r.items() if k not in ("first", "last")} for r in recs if r["record"] != "stats"]


# ---------------------------------------------------------------- offline


@pytest.mark.parametrize("capture", TEACHING, ids=os.path.basename)
def test_jsonl_records_carry_the_tables_rows(scanner, capture):
    """Every conversation of the table is one record with the table's keys and cells."""
    table = ucstats.conversations(subprocess.run([scanner, capture], capture_output=True, text=True,
                                                 check=True).stdout)
    recs = jsonl(scanner, capture, *TIMELESS)
    convs = [r for r in recs if r["record"] == "conversation"]
    assert convs and all(list(r)[2:] == ucstats.CONV_KEYS for r in convs)
    # A conversation ended by FIN or RST is written with the roles its hosts
    # had then; the table shows them at the end of the capture (and labels
    # that lean on them).
    late = {"client_role", "server_role", "evidence", "evidence_detail", "entry", "product", "purpose", "other_uses"}
    where = lambda r: (r["client"], r["server"], r["transport"], r["first"])
    rows = {where(r): r for r in table}
    assert len(rows) == len(table) == len(convs)
    for r in convs:
        row = rows[where(r)]
        keys = [k for k in ucstats.CONV_KEYS if r["end"] == "flush" or k not in late]
        assert {k: r[k] for k in keys} == {k: row[k] for k in keys}
    stats = [r for r in recs if r["record"] == "stats"]
    assert len(stats) == 1 and stats[0]["final"] and stats[0]["conversations_tracked"] == 0
    assert sum(stats[0][f"ended_{e}"] for e in ("fin", "rst", "reused", "idle", "evicted", "flush")) == len(table)
    hosts = ucstats.hosts(subprocess.run([scanner, "--hosts", capture], capture_output=True, text=True,
                                               check=True).stdout) or []
    last = {r["address"]: r for r in recs if r["record"] == "host"}
    assert {a: (r["roles"], r["evidence"]) for a, r in last.items()} == \
        {h["address"]: (h["roles"], h["evidence"]) for h in hosts}


def _tcp_capture(path):
    c = cpcap.Capture(step=0.001)
    a, b = "10.0.0.1", "10.0.0.2"
    c.tcp_handshake(a, 40001, b, 80)                   # 1: closed by FIN from both, then the last ACK
    c.tcp(a, 40001, b, 80, cpcap.http_get("b"))
    c.tcp_close(a, 40001, b, 80)
    c.tcp_handshake(a, 40002, b, 80)                   # 2: reset
    c._tcp(b, 80, a, 40002, "R", b"")
    c.tcp_handshake(a, 40003, b, 80)                   # 3: FIN from one end only (near miss): flush
    c._tcp(a, 40003, b, 80, "FA", b"", syn=True)
    c.tcp_handshake(a, 40004, b, 80)                   # 4: FIN from both, no packet after (near miss): flush
    c._tcp(a, 40004, b, 80, "FA", b"", syn=True)
    c._tcp(b, 80, a, 40004, "FA", b"", syn=True)
    return c.write(path)


def test_tcp_conversations_end_on_fin_and_rst(scanner, tmp_path):
    recs = [r for r in jsonl(scanner, _tcp_capture(str(tmp_path / "tcp.pcap"))) if r["record"] == "conversation"]
    got = [(r["client"].rsplit(":", 1)[1], r["end"], r["packets"]) for r in recs]
    assert got == [("40001", "fin", "7"), ("40002", "rst", "4"), ("40003", "flush", "4"), ("40004", "flush", "5")]


def test_tcp_reused_port_ends_the_old_conversation(scanner, tmp_path):
    c = cpcap.Capture()
    c.tcp_handshake("10.0.0.1", 40001, "10.0.0.2", 2000)
    c.tcp("10.0.0.1", 40001, "10.0.0.2", 2000, cpcap.sccp_register("SEP00112233AABB"))
    a, b = ("10.0.0.1", 40001, "10.0.0.2", 2000), ("10.0.0.2", 2000, "10.0.0.1", 40001)
    c._seq[a] = 90000  # a new SYN on the same ports, another sequence number
    c._tcp(*a, "S", b"", syn=True)
    c._tcp(*b, "SA", b"", syn=True)
    c._tcp(*a, "A", b"")
    recs = [r for r in jsonl(scanner, c.write(str(tmp_path / "reuse.pcap"))) if r["record"] == "conversation"]
    assert [(r["end"], r["packets"], r["detected"]) for r in recs] == [("reused", "4", "SCCP"), ("flush", "3", "")]


def _idle_capture(path):
    c = cpcap.Capture(step=1.0)
    c.udp("10.0.0.1", 40000, "10.0.0.2", 53, b"\x00" * 12)              # t=1
    c.tcp_handshake("10.0.0.1", 40001, "10.0.0.2", 80)                  # t=2..4
    c.udp("10.0.0.3", 40000, "10.0.0.2", 53, b"\x00" * 12, gap=100.0)   # t=104
    c.udp("10.0.0.3", 40000, "10.0.0.2", 53, b"\x00" * 12, gap=30.0)    # t=134
    return c.write(path)


def test_idle_time_per_transport(scanner, tmp_path):
    path = _idle_capture(str(tmp_path / "idle.pcap"))
    recs = [r for r in jsonl(scanner, path, "--idle-udp", "60", "--idle-tcp", "300") if r["record"] == "conversation"]
    # The first UDP conversation ends idle when the packet 103 s later comes;
    # the TCP one (idle 300) and the second UDP one (30 s apart) at the end.
    assert [(r["client"], r["end"]) for r in recs] == [
        ("10.0.0.1:40000", "idle"), ("10.0.0.1:40001", "flush"), ("10.0.0.3:40000", "flush")]
    recs = [r for r in jsonl(scanner, path, "--idle-udp", "20", "--idle-tcp", "90") if r["record"] == "conversation"]
    # The second UDP conversation's next packet comes 30 s later: it ended
    # idle first, and the packet starts a new one.
    assert [(r["client"], r["end"], r["packets"]) for r in recs] == [
        ("10.0.0.1:40000", "idle", "1"), ("10.0.0.1:40001", "idle", "3"), ("10.0.0.3:40000", "idle", "1"),
        ("10.0.0.3:40000", "flush", "1")]


def test_conversation_cap_evicts_the_least_recently_seen(scanner, tmp_path):
    c = cpcap.Capture()
    for i in range(50):
        c.udp("10.0.0.1", 40000 + i, "10.0.0.2", 53, b"\x00" * 12)
    c.udp("10.0.0.1", 40000, "10.0.0.2", 53, b"\x00" * 12)  # the first one again: seen recently
    recs = jsonl(scanner, c.write(str(tmp_path / "many.pcap")), "--max-conversations", "10")
    convs = [r for r in recs if r["record"] == "conversation"]
    evicted = [int(r["client"].rsplit(":", 1)[1]) for r in convs if r["end"] == "evicted"]
    # 40 evicted as new ones came, oldest first; the first came back (a new
    # conversation: its first record was an eviction) and 10 are flushed.
    assert evicted == list(range(40000, 40041)) and len(convs) == 51
    stats = recs[-1]
    assert stats["ended_evicted"] == 41 and stats["ended_flush"] == 10 and stats["max_conversations"] == 10
    recs = jsonl(scanner, str(tmp_path / "many.pcap"), "--max-conversations", "60")  # near miss: under the cap
    assert recs[-1]["ended_evicted"] == 0 and recs[-1]["ended_flush"] == 50


def test_interval_records_of_long_conversations(scanner, tmp_path):
    c = cpcap.Capture(step=10.0)
    for i in range(25):  # 240 s of a conversation, a packet every 10 s
        c.udp("10.0.0.1", 40000, "10.0.0.2", 53, b"\x00" * 12)
    c.udp("10.0.0.5", 40000, "10.0.0.2", 53, b"\x00" * 12, gap=1.0)  # a short one at the end
    convs = [r for r in jsonl(scanner, c.write(str(tmp_path / "long.pcap")), "--interval", "60")
             if r["record"] == "conversation"]
    long = [(r["end"], int(r["packets"])) for r in convs if r["client"] == "10.0.0.1:40000"]
    # First packet at 10 s: records at 70, 130, 190 and 250 s, then the end.
    assert [e for e, _ in long] == ["interval"] * 4 + ["flush"] and long[-1][1] == 25
    assert [n for _, n in long] == sorted(n for _, n in long)
    assert [r["end"] for r in convs if r["client"] == "10.0.0.5:40000"] == ["flush"]


def test_host_records_and_the_cap_on_hosts(scanner, tmp_path):
    c = cpcap.Capture()
    for i in range(6):  # six phones register with one Unified CM, one after the other
        c.tcp_handshake(f"10.0.1.{i + 1}", 50000, "10.0.0.11", 2000)
        c.tcp(f"10.0.1.{i + 1}", 50000, "10.0.0.11", 2000, cpcap.sccp_register(f"SEP0011223344{i:02d}"))
    path = c.write(str(tmp_path / "phones.pcap"))
    recs = jsonl(scanner, path, "--max-hosts", "4")
    hosts = [r for r in recs if r["record"] == "host"]
    # The first StationRegister shows both ends' roles, in the host table's order.
    assert sorted(hosts[:2], key=lambda h: h["address"]) == [
        {"record": "host", "address": "10.0.0.11", "roles": "Unified CM", "vendor": "Cisco",
         "evidence": "Unified CM: SCCP frame 4; Cisco: SCCP frame 4", "added": "Unified CM"},
        {"record": "host", "address": "10.0.1.1", "roles": "Phone", "vendor": "Cisco",
         "evidence": "Phone: SCCP frame 4; Cisco: SCCP frame 4", "added": "Phone"}]
    evicted = [h["address"] for h in hosts if h.get("evicted")]
    assert evicted and all(h.get("evicted") is True and "added" not in h for h in hosts if h.get("evicted"))
    assert "10.0.0.11" not in evicted  # the Unified CM is seen in every registration
    stats = recs[-1]
    assert stats["hosts_evicted"] == len(evicted) and stats["hosts_tracked"] <= 4
    near = jsonl(scanner, path, "--max-hosts", "7")  # seven hosts: none evicted
    assert near[-1]["hosts_evicted"] == 0 and not any(h.get("evicted") for h in near if h["record"] == "host")
    assert sum(1 for h in near if h["record"] == "host") == 7


def test_jsonl_bad_options(scanner, tmp_path):
    path = _idle_capture(str(tmp_path / "idle.pcap"))
    for args, msg in ((["--jsonl", "--hosts", path], "--jsonl writes host records"),
                      (["--filter", "udp", path], "--filter applies to --live only"),
                      (["--max-hosts", "0", path], "--max-hosts 0: not a positive number"),
                      (["--live", "lo", path], "--live reads an interface, not files")):
        p = subprocess.run([scanner, *args], capture_output=True, text=True)
        assert p.returncode == 64 and msg in p.stderr, (args, p.stderr)
    usage = subprocess.run([scanner, "--help"], capture_output=True, text=True).stdout
    for status in ("3 --live: no such interface", "4 --live: no permission to capture", "5 --filter does not compile"):
        assert status in usage


# ---------------------------------------------------------------- live


@pytest.fixture(scope="module")
def netns():
    why = ucveth.missing() or (None if shutil.which("setpriv") else "setpriv is missing (util-linux)")
    if why:
        pytest.skip(f"the live tests make a veth pair in a network namespace and capture on it: {why}")
    n = ucveth.VethPair()
    try:
        yield n
    finally:
        n.close()


def live_run(netns, scanner, path, *args, stop=signal.SIGINT):
    """ciscouc-scan --live on rx while tcpreplay sends `path` at top speed on
    tx; stopped by `stop` once every frame is in. (records, stderr, status)."""
    p = netns.popen([scanner, "--live", netns.rx, "--stats", "0", *args], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
    try:
        assert "capturing" in p.stderr.readline()
        netns.replay(path, "-q", "--topspeed")
        time.sleep(0.2)  # the veth hands frames over asynchronously; the scanner drains its ring buffer on stop
        p.send_signal(stop)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return records(out), err, p.returncode


def frame_count(path) -> int:
    out = subprocess.run(["capinfos", "-T", "-r", "-c", path], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1])


def _live_equals_offline(netns, scanner, path):
    live, err, rc = live_run(netns, scanner, path, *TIMELESS)
    assert rc == 0, err
    offline = jsonl(scanner, path, *TIMELESS)
    stats = live[-1]
    assert stats["record"] == "stats" and stats["final"] is True
    assert stats["frames"] == offline[-1]["frames"] == frame_count(path), (stats, err)
    assert stats["kernel_dropped"] == 0 and stats["kernel_received"] == stats["frames"]
    assert comparable(live) == comparable(offline)
    assert any(r["record"] == "conversation" for r in live)


@pytest.mark.parametrize("capture", TEACHING, ids=os.path.basename)
def test_live_records_equal_offline_teaching(netns, scanner, capture):
    _live_equals_offline(netns, scanner, capture)


@pytest.mark.parametrize("rel", SHARED_SAMPLE)
def test_live_records_equal_offline_shared(netns, scanner, rel):
    path = os.path.join(conftest.SHARED_CAPTURES, rel)
    if not os.path.exists(path):
        pytest.skip(f"{path} is absent (the shared captures are not here)")
    _live_equals_offline(netns, scanner, path)


def test_live_filter_and_sigterm(netns, scanner):
    path = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    recs, err, rc = live_run(netns, scanner, path, "--filter", "udp", *TIMELESS, stop=signal.SIGTERM)
    assert rc == 0, err
    convs = [r for r in recs if r["record"] == "conversation"]
    assert convs and {r["transport"] for r in convs} == {"udp"} and {r["end"] for r in convs} == {"flush"}
    udp = subprocess.run(["tshark", "-r", path, "-Y", "udp", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert recs[-1]["frames"] == len(udp) and recs[-1]["final"] is True


def test_live_bad_input(netns, scanner):
    p = netns.popen([scanner, "--live", "nosuchif0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 3 and "--live nosuchif0: no such interface" in err and not out, err
    assert err.strip() in readme_errors(), err
    p = netns.popen([scanner, "--live", netns.rx, "--filter", "udp port nonsense"], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 5 and "--filter 'udp port nonsense': does not compile:" in err and not out, err
    assert err.strip() in readme_errors(), err
    # No permission: an unprivileged user without CAP_NET_RAW.
    p = netns.popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
                     "--bounding-set=-all", scanner, "--live", netns.rx], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 4 and f"--live {netns.rx}: no permission to capture" in err and not out, err
    assert err.strip().replace(netns.rx, "lo") in readme_errors(), err


def readme_live() -> str:
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    return text[text.index("## Live\n"):text.index("## How it is built")]


def readme_errors() -> list[str]:
    """The error lines README's Live section shows."""
    return [line for line in readme_live().splitlines() if line.startswith("ciscouc-scan: --") and
            ("no such" in line or "does not compile" in line or "no permission" in line)]


def test_readme_live_example_is_real_output(netns, scanner):
    """README's live run against a new run of the same command and replay
    (its times aside: when the records were written, and the conversations'
    first and last packets as the replay timed them)."""
    text = readme_live()
    block = text[text.index("<!-- live-example -->"):]
    block = block[block.index("```\n") + 4:]
    block = block[:block.index("```")]
    shown = records("\n".join(line for line in block.splitlines() if line.startswith("{")))
    live, err, rc = live_run(netns, scanner, os.path.join(ROOT, "captures", "sccp-phone-call.pcap"))
    assert rc == 0, err
    timeless = lambda recs: [{k: v for k, v in r.items() if k not in ("first", "last", "time")} for r in recs]
    assert timeless(live) == timeless(shown)
    assert "$ ciscouc-scan --live curx1 --stats 0" in block
    assert "stopped after 144 frames, 10 records" in block and "stopped after 144 frames, 10 records" in err
