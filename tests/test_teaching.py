"""The teaching captures in captures/: reproducible, small, and labelled as
captures/README.md says.

Each capture is read once by tshark (two passes, many fields); the
assertions work on that table. misbehaviour.pcap is read a second time
without the cucm-current edition preference (release_mismatch must then stay
silent) and a third time without the plugin (X11 owns TCP 6000).
"""
from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest
from scapy.all import UDP, rdpcap  # type: ignore

from captures import pcap
from conftest import FLAG_NAMES, ROOT, readable_tmpdir

CAPTURES = os.path.join(ROOT, "captures")
MAKE = [sys.executable, "-m", "captures.make_captures"]  # run from ROOT
NAMES = ["sccp-phone-call.pcap", "sip-phone-call.pcap", "mgcp-gateway.pcap", "h323-gateway.pcap",
         "cucm-intracluster.pcap", "imp-xmpp.pcap", "telepresence.pcap", "misbehaviour.pcap",
         "secure-phones.pcap", "cti-application.pcap", "imp-intercluster.pcap"]
FLAGS = FLAG_NAMES
FIELDS = ["frame.number", "ip.proto", "ip.src", "ip.dst", "frame.protocols", "tcp.flags.syn", "tcp.flags.ack",
          "ciscouc.listener_port", "ciscouc.summary", "ciscouc.entry", "ciscouc.purpose", "ciscouc.detected",
          "ciscouc.flags", "ciscouc.heuristic", "rtp.ssrc", "rtp.setup-method",
          "skinny.messageId", "tftp.source_file", "sip.Method", "sip.Status-Code", "mgcp.req.verb",
          "h225.RasMessage", "h225.protocolIdentifier", "q931.message_type", "ldap.protocolOp",
          "http.request.method", "x11.opcode", *[f"ciscouc.{f}" for f in FLAGS]]


def path(name: str) -> str:
    return os.path.join(CAPTURES, name)


# ---- Reproducibility and size

@pytest.fixture(scope="module")
def regenerated():
    out = readable_tmpdir("ciscouc-teaching-")
    p = subprocess.run([*MAKE, "--out", out], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return out


@pytest.mark.parametrize("name", NAMES)
def test_committed_capture_is_reproducible(regenerated, name):
    assert os.path.exists(path(name)), f"{name} is not committed: run python3 -m captures.make_captures --out captures"
    with open(path(name), "rb") as a, open(os.path.join(regenerated, name), "rb") as b:
        assert a.read() == b.read(), f"{name} differs from a fresh build: regenerate and commit it"


def test_check_mode_agrees():
    p = subprocess.run([*MAKE, "--check", CAPTURES], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([*MAKE, "--out", CAPTURES, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr


def test_check_mode_reports_a_difference(tmp_path):
    for name in NAMES:
        with open(path(name), "rb") as f:
            (tmp_path / name).write_bytes(f.read())
    (tmp_path / "imp-xmpp.pcap").write_bytes((tmp_path / "imp-xmpp.pcap").read_bytes() + b"\0")
    os.remove(tmp_path / "telepresence.pcap")
    p = subprocess.run([*MAKE, "--check", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 1
    assert "imp-xmpp.pcap" in p.stdout and "telepresence.pcap" in p.stdout
    assert "sccp-phone-call.pcap" not in p.stdout


@pytest.mark.parametrize("name", NAMES)
def test_capture_is_small_classic_pcap_with_fixed_times(name):
    size = os.path.getsize(path(name))
    assert 0 < size < 1_000_000
    with open(path(name), "rb") as f:
        magic, major, minor = struct.unpack("<IHH", f.read(8))
    assert (magic, major, minor) == (0xA1B2C3D4, 2, 4)  # classic pcap, microseconds
    packets = rdpcap(path(name))
    assert pcap.BASE_TIME < float(packets[0].time) < pcap.BASE_TIME + 1
    assert float(packets[-1].time) < pcap.BASE_TIME + 60


# ---- Media: consistent G.711 RTP streams (checked on the bytes, independent of dissection)

def rtp_streams(name: str) -> dict[int, list]:
    streams: dict[int, list] = {}
    for p in rdpcap(path(name)):
        if UDP not in p or not (16384 <= p[UDP].dport <= 32767 and 16384 <= p[UDP].sport <= 32767):
            continue
        data = bytes(p[UDP].payload)
        if len(data) < 12 or data[0] != 0x80:
            continue
        _, pt, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
        streams.setdefault(ssrc, []).append((float(p.time), pt & 0x7F, seq, ts, len(data) - 12))
    return streams


@pytest.mark.parametrize("name", ["sccp-phone-call.pcap", "sip-phone-call.pcap", "mgcp-gateway.pcap",
                                  "h323-gateway.pcap", "telepresence.pcap"])
def test_rtp_both_ways_consistent(name):
    streams = rtp_streams(name)
    assert len(streams) == 2, f"expected one SSRC per direction, got {sorted(map(hex, streams))}"
    for ssrc, pkts in streams.items():
        assert len(pkts) >= 50
        for (t0, pt0, s0, ts0, n0), (t1, pt1, s1, ts1, n1) in zip(pkts, pkts[1:]):
            assert pt0 == pt1 == 0 and n0 == n1 == 160
            assert (s1 - s0) & 0xFFFF == 1 and (ts1 - ts0) & 0xFFFFFFFF == 160
            assert abs((t1 - t0) - 0.020) < 1e-5


def test_ras_rrq_carries_the_h225_oid_early():
    rrq = [bytes(p[UDP].payload) for p in rdpcap(path("h323-gateway.pcap")) if UDP in p and p[UDP].dport == 1719]
    assert rrq and bytes.fromhex("060008914a0005") in rrq[0][:12]


# ---- Labels, detections and flags, one tshark run per capture

def fields(tshark, name: str, extra=None, plugin: bool = True) -> list[dict[str, str]]:
    if not plugin:
        names = ["frame.number", "frame.protocols", "tcp.port"]
        args = ["-r", path(name), "-2", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                "-E", "aggregator=|", "-E", "quote=n", *[a for n in names for a in ("-e", n)]]
        out = tshark.run(args, plugin=False).stdout
        return [dict(zip(names, line.split("\t"))) for line in out.splitlines()]
    return tshark.fields(path(name), FIELDS, extra)


class Conv:
    """The frames of one labelled conversation (transport + listener port)."""

    def __init__(self, rows, transport: str, port: int):
        proto = "6" if transport == "tcp" else "17"
        self.rows = [r for r in rows if r["ip.proto"] == proto and r["ciscouc.listener_port"] == str(port)]
        assert self.rows, f"no {transport} conversation with listener port {port}"
        self.name = f"{port}/{transport}"

    def values(self, field: str) -> set[str]:
        return {v for r in self.rows for v in r[field].split("|") if v}

    @property
    def entries(self) -> set[str]:
        return self.values("ciscouc.entry")

    @property
    def detected(self) -> set[str]:
        return self.values("ciscouc.detected")

    @property
    def flags(self) -> set[str]:
        return {f for v in self.values("ciscouc.flags") for f in v.split(",")}

    @property
    def summary(self) -> str:
        s = self.values("ciscouc.summary")
        assert len(s) == 1, f"{self.name}: several summaries {s}"
        return s.pop()

    def expect(self, entries=(), detected=None, flags=None, summary=None, purpose=None):
        missing = set(entries) - self.entries
        assert not missing, f"{self.name}: rows {missing} not among {sorted(self.entries)}"
        if detected is not None:
            assert self.detected == ({detected} if detected else set()), f"{self.name}: detected {self.detected}"
        if flags is not None:
            assert self.flags == set(flags), f"{self.name}: flags {self.flags}"
        if summary is not None:
            assert self.summary.startswith(summary), f"{self.name}: summary {self.summary!r}"
        if purpose is not None:
            assert any(purpose in p for p in self.values("ciscouc.purpose")), f"{self.name}: no purpose with {purpose!r}"
        return self


def all_values(rows, field: str) -> set[str]:
    return {v for r in rows for v in r[field].split("|") if v}


def ints(values: set[str]) -> set[int]:
    return {int(v, 0) for v in values}


def handshakes(rows) -> int:
    return sum(1 for r in rows if r["tcp.flags.syn"] in ("1", "True") and r["tcp.flags.ack"] in ("0", "False"))


def conv_rows(tshark, name: str, extra=()) -> list[list[str]]:
    out = tshark.run(["-r", path(name), "-2", "-q", "-z", "ciscouc,conv", *extra]).stdout
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Client\tServer"))
    count = int(lines[head - 1].rsplit(":", 1)[1])
    rows = [line.split("\t") for line in lines[head + 1:] if line and not line.startswith("=")]
    assert len(rows) == count
    return rows


def test_sccp_phone_call(tshark):
    rows = fields(tshark, "sccp-phone-call.pcap")
    assert all_values(rows, "tftp.source_file") == {"SEP001E7A3C5D21.cnf.xml"}
    Conv(rows, "udp", 69).expect(["cucm-ja.t6.r2", "cucm-ja.t2.r8", "cucm42-en.t5.r1"], "TFTP", [],
                                 purpose="TFTP")
    Conv(rows, "tcp", 2000).expect(["cucm-ja.t6.r3", "cucm-ko.t6.r3", "cucm42-en.t5.r3"], "SCCP", ["insecure"],
                                   "2000: Skinny Client Control Protocol (SCCP)")
    assert {0x0001, 0x0081, 0x0000, 0x0100, 0x0006, 0x0105, 0x0022, 0x008A} <= ints(all_values(rows, "skinny.messageId"))
    for port in (24580, 28672):
        c = Conv(rows, "udp", port).expect(["cucm-ja.t6.r17", "cucm-ja.t6.r18"], "RTP", [],
                                           purpose="Real-Time Protocol (RTP)")
        assert c.values("rtp.setup-method") == {"SKINNY"}
    assert handshakes(rows) == 1
    conv = conv_rows(tshark, "sccp-phone-call.pcap")
    assert len(conv) == 5
    # The TFTP transfer leg (ephemeral to ephemeral) is labelled from the "69,
    # then ephemeral" rows; its listener is the port the server the request
    # asked answers from (RFC 1350 section 4).
    assert [r[3] for r in conv] == ["69", "37001", "2000", "28672", "24580"]
    leg = conv[1]
    assert leg[8] == "TFTP" and "TFTP" in leg[12] and leg[11].startswith(("cucm", "telepresence"))


def test_sip_phone_call(tshark):
    rows = fields(tshark, "sip-phone-call.pcap")
    Conv(rows, "udp", 5060).expect(["cucm-ja.t6.r7", "cucm-ja.t6.r8", "cucm-ko.t6.r7"], "SIP", ["insecure"],
                                   "5060: Session Initiation Protocol (SIP) phones")
    assert {"REGISTER", "INVITE", "ACK", "BYE"} <= all_values(rows, "sip.Method")
    assert {"100", "180", "200", "401"} <= all_values(rows, "sip.Status-Code")
    for port in (20480, 26624):
        c = Conv(rows, "udp", port).expect(["cucm-ja.t6.r17"], "RTP", [])
        assert c.values("rtp.setup-method") == {"SDP"}
    conv = conv_rows(tshark, "sip-phone-call.pcap")
    assert len(conv) == 4
    assert sorted(int(r[4]) for r in conv) == [7, 11, 60, 60]  # packets: B leg, A leg, RTP each way


def test_mgcp_gateway(tshark):
    rows = fields(tshark, "mgcp-gateway.pcap")
    Conv(rows, "udp", 2427).expect(["cucm-ja.t7.r17", "cucm-ko.t7.r17", "cucm42-en.t7.r15"], "MGCP", [],
                                   "2427: Media Gateway Control Protocol (MGCP) gateway control")
    Conv(rows, "tcp", 2428).expect(["cucm-ja.t7.r18", "cucm42-en.t7.r16"], "", [],
                                   "2428: Media Gateway Control Protocol (MGCP) backhaul")
    assert {"RSIP", "AUEP", "CRCX", "MDCX", "DLCX", "NTFY"} <= all_values(rows, "mgcp.req.verb")
    for port in (16584, 24600):
        c = Conv(rows, "udp", port).expect(["cucm-ja.t7.r24", "cucm-ja.t7.r25"], "RTP", [])
        assert c.values("rtp.setup-method") == {"SDP"}
    assert handshakes(rows) == 1
    assert len(conv_rows(tshark, "mgcp-gateway.pcap")) == 4


def test_h323_gateway(tshark):
    rows = fields(tshark, "h323-gateway.pcap")
    # Wireshark names RAS "h225" too, so ciscouc.detected says H.225 on the RAS conversation.
    ras = Conv(rows, "udp", 1719).expect(["cucm-ja.t7.r7", "cucm-ko.t7.r7", "cucm42-en.t7.r7"], "RAS", [],
                                         purpose="RAS")
    assert ras.values("h225.RasMessage") == {"3", "4"}  # registrationRequest, registrationConfirm
    assert ras.values("h225.protocolIdentifier") == {"0.0.8.2250.0.5"}
    cs = Conv(rows, "tcp", 1720).expect(["cucm-ja.t7.r8", "cucm-ja.t7.r9", "cucm42-en.t7.r8"], "H.225", [],
                                        "1720: H.225 signaling services for H.323 gateways")
    assert ints(cs.values("q931.message_type")) == {0x05, 0x02, 0x01, 0x07, 0x5A}
    Conv(rows, "udp", 24620).expect(["cucm-ja.t6.r17", "cucm-ja.t7.r24"], flags=[])
    assert handshakes(rows) == 1


def test_cucm_intracluster(tshark):
    rows = fields(tshark, "cucm-intracluster.pcap")
    Conv(rows, "tcp", 8002).expect(["cucm-ja.t1.r24", "cucm-ko.t1.r22", "cucm42-en.t1.r16"], "", [],
                                   "8002: Intracluster communication service")
    Conv(rows, "tcp", 1500).expect(["cucm-ja.t1.r5", "cucm-ko.t1.r4"], "", [], "1500: Database connection")
    Conv(rows, "tcp", 2555).expect(["cucm-ja.t1.r11", "cucm42-en.t1.r8"], "", [],
                                   "2555: Real-time Information Service (RIS)")
    Conv(rows, "tcp", 8443).expect(["cucm-ja.t1.r36", "cucm-ko.t1.r33"], "TLS", [])
    Conv(rows, "tcp", 22).expect(["cucm-ja.t1.r35", "cucm-ko.t1.r32"], "SSH", [], "22: Cisco SFTP service")
    Conv(rows, "udp", 123).expect(["cucm-ja.t2.r10", "cucm42-en.t2.r8"], "NTP", [], "123: Network Time Protocol")
    Conv(rows, "udp", 161).expect(["cucm-ja.t2.r11"], "SNMP", [], "161: SNMP service response")
    Conv(rows, "udp", 162).expect(["cucm-ja.t2.r12", "cucm42-en.t2.r10"], "SNMP", [], "162: SNMP traps")
    # The SIP trunk's OPTIONS keepalive (its User-Agent and Server headers show
    # both nodes to be Unified CMs) is cleartext where SIPS 5061 is documented.
    Conv(rows, "udp", 5060).expect(["cucm-ja.t6.r7"], "SIP", ["insecure"])
    assert handshakes(rows) == 5
    assert all_values(rows, "ciscouc.flags") == {"insecure"}
    conv = conv_rows(tshark, "cucm-intracluster.pcap")
    assert [r[3] for r in conv] == ["8002", "1500", "2555", "8443", "22", "123", "161", "162", "5060"]
    assert [r[9] for r in conv] == [""] * 8 + ["insecure"]


def test_imp_xmpp(tshark):
    rows = fields(tshark, "imp-xmpp.pcap")
    c2s = Conv(rows, "tcp", 5222).expect(["imp-en.t22.r1"], "XMPP", [], "5222: Client access port")
    assert {r["ip.src"] for r in c2s.rows} >= {"10.10.4.51", "10.10.4.52"}
    Conv(rows, "tcp", 5269).expect(["imp-en.t22.r2"], "XMPP", [], "5269: Server to Server connection (S2S)")
    Conv(rows, "tcp", 5060).expect(["imp-en.t2.r1"], "SIP", ["insecure"])
    Conv(rows, "tcp", 5070).expect(["imp-en.t31.r1", "imp-en.t30.r20"], "SIP")
    ldap = Conv(rows, "tcp", 389).expect(["imp-en.t5.r1", "cucm-ja.t3.r1"], "LDAP", ["insecure"])
    assert ldap.values("ldap.protocolOp") == {"0", "1", "3", "4", "5"}  # bind, bindResp, search, entry, done
    assert handshakes(rows) == 6
    assert len(conv_rows(tshark, "imp-xmpp.pcap")) == 6


def test_telepresence(tshark):
    rows = fields(tshark, "telepresence.pcap")
    soap = Conv(rows, "tcp", 8080).expect(["telepresence-en.tA-2.r10", "telepresence-en.tA-4.r7"], "HTTP",
                                          ["insecure"])
    assert soap.values("http.request.method") == {"POST"}
    Conv(rows, "tcp", 8081).expect(["telepresence-en.tA-2.r10", "telepresence-en.tA-4.r8"], "HTTP", ["insecure"])
    Conv(rows, "tcp", 8444).expect(["telepresence-en.tA-2.r10", "telepresence-en.tA-4.r7"], "TLS", [])
    Conv(rows, "tcp", 9501).expect(["telepresence-en.tA-2.r10", "telepresence-en.tA-4.r8"], "TLS", [])
    Conv(rows, "tcp", 5061).expect(["telepresence-en.tA-2.r19", "cucm-ja.t6.r9"], "TLS", [])
    capf = Conv(rows, "tcp", 3804).expect(["telepresence-en.tA-2.r16", "cucm-ja.t6.r6"], "TLS", [],
                                          "3804: Registers its Manufacturing Installed Certificate")
    assert capf.values("ciscouc.heuristic") == {"tls-handshake"}  # taken from HiQnet's port
    Conv(rows, "udp", 16384).expect(["cucm-ja.t6.r17", "telepresence-en.tA-2.r20"], flags=[])
    assert handshakes(rows) == 6
    # Both codecs register over SIP (UDP 5060) and call through Unified CM.
    sip = Conv(rows, "udp", 5060).expect(["telepresence-en.tA-2.r18"], "SIP", ["insecure"])
    assert {"REGISTER", "INVITE", "ACK"} <= sip.values("sip.Method")
    assert Conv(rows, "udp", 16384).values("rtp.setup-method") == {"SDP"}
    conv = conv_rows(tshark, "telepresence.pcap", ["-o", "ciscouc.edition:telepresence"])
    # 5 TCP conversations, the two codecs' SIP with Unified CM, RTP each way
    # (set up by SDP, so one conversation per direction as in sip-phone-call.pcap).
    assert len(conv) == 10
    assert {r[3]: r[11] for r in conv}["5061"] == "telepresence-en.tA-2.r19"


@pytest.mark.parametrize("name,port", [("h323-gateway.pcap", 24620)])
def test_two_way_rtp_without_signalling_is_detected(tshark, name, port):
    rows = tshark.fields(path(name), ["ip.proto", "ciscouc.listener_port", "ciscouc.detected"])
    assert Conv(rows, "udp", port).detected == {"RTP"}


def test_misbehaviour_raises_every_flag(tshark):
    rows = fields(tshark, "misbehaviour.pcap", ["-o", "ciscouc.edition:cucm-current"])
    raised = {f for v in all_values(rows, "ciscouc.flags") for f in v.split(",")}
    assert raised == set(FLAGS)
    for flag in FLAGS:  # the expert info (filter ciscouc.<flag>) is on at least one frame
        assert any(r[f"ciscouc.{flag}"] for r in rows), f"no frame matches ciscouc.{flag}"
    sip_udp = Conv(rows, "udp", 6000).expect([], "SIP", ["unexpected_port"])
    assert sip_udp.entries == set() and {r["frame.protocols"].split(":")[-1] for r in sip_udp.rows} == {"sip"}
    sip_tcp = Conv(rows, "tcp", 6000).expect([], "SIP", ["unexpected_port"])
    assert any(r["frame.protocols"].endswith(":sip") for r in sip_tcp.rows)
    # The first SIP segment is recognised by the signature; the rest of the TCP
    # conversation then goes to SIP directly (conversation dissector).
    assert sip_tcp.values("ciscouc.heuristic") == {"sip-request"}
    assert all_values(rows, "x11.opcode") == set()
    Conv(rows, "tcp", 3000).expect([], "SCCP", ["unexpected_port"])
    Conv(rows, "tcp", 5060).expect(["cucm-ja.t6.r7"], "HTTP", ["protocol_mismatch"])
    internal = Conv(rows, "tcp", 5049).expect(["imp-en.t2.r4"], "SIP", ["internal_only"])
    assert {r["ip.src"] for r in internal.rows} == {"10.10.0.21", "10.10.0.22"}
    Conv(rows, "tcp", 2000).expect(["cucm-ja.t6.r3"], "SCCP", ["insecure"])
    Conv(rows, "udp", 67).expect(["cucm-ja.t2.r6", "cucm42-en.t2.r5"], "DHCP", ["not_recommended"])
    Conv(rows, "tcp", 1433).expect(["cucm42-en.t1.r6"], "MSSQL", ["release_mismatch"], "1433: SQL [cucm42-en.t1.r6 +4]")
    conv = conv_rows(tshark, "misbehaviour.pcap", ["-o", "ciscouc.edition:cucm-current"])
    # Every conversation carries a flag, except the DHCP broadcast: a broadcast
    # alone does not show which server answers, so not_recommended waits for the
    # unicast renewal to 10.10.0.11 (evidenced as a Unified CM by its SCCP listener).
    assert len(conv) == 9 and [r[1] for r in conv if not r[9]] == ["255.255.255.255:67"]
    renewal = [r for r in conv if r[1] == "10.10.0.11:67"]
    assert len(renewal) == 1 and renewal[0][9] == "not_recommended"


def test_misbehaviour_release_mismatch_needs_the_edition(tshark):
    rows = fields(tshark, "misbehaviour.pcap")
    raised = {f for v in all_values(rows, "ciscouc.flags") for f in v.split(",")}
    assert raised == set(FLAGS) - {"release_mismatch"}
    assert not any(r["ciscouc.release_mismatch"] for r in rows)
    Conv(rows, "tcp", 1433).expect(["cucm42-en.t1.r6"], "MSSQL", [])
    conv = conv_rows(tshark, "misbehaviour.pcap")
    assert len(conv) == 9 and sum(1 for r in conv if r[9]) == 7


def test_misbehaviour_tcp_6000_is_x11_without_the_plugin(tshark):
    rows = fields(tshark, "misbehaviour.pcap", plugin=False)
    protos = {r["frame.protocols"].rsplit(":", 1)[-1] for r in rows if "6000" in r["tcp.port"].split("|")}
    assert protos == {"tcp", "x11"}  # handshake and ACK, then the SIP payload taken for X11


# ---- Hosts, evidence and map, as captures/README.md states them (plugin defaults)

README = os.path.join(CAPTURES, "README.md")


def readme_section(name: str) -> str:
    with open(README, encoding="utf-8") as f:
        text = f.read()
    for part in text.split("\n## ")[1:]:
        if part.split("\n", 1)[0].split()[0] == name:
            return part
    raise AssertionError(f"{README}: no section '## {name}'")


def md_table(section: str, header: str) -> list[list[str]]:
    """The body rows of the markdown table whose header line starts with `header`."""
    lines = section.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(header)), None)
    assert start is not None, f"{README}: no table starting {header!r}"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def z_table(tshark, name: str, z: str) -> list[dict[str, str]]:
    lines = tshark.run(["-r", path(name), "-2", "-q", "-z", z]).stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith(("Client\t", "Address\t")))
    cols = lines[head].split("\t")
    return [dict(zip(cols, line.split("\t"))) for line in lines[head + 1:] if line and not line.startswith("=")]


def addr(endpoint: str) -> str:
    return endpoint.rsplit(":", 1)[0]


@pytest.mark.parametrize("name", NAMES)
def test_readme_hosts_evidence_and_map(tshark_evidence, name):
    section = readme_section(name)
    hosts = {h["Address"]: h["Roles"] for h in z_table(tshark_evidence, name, "ciscouc,hosts")}
    assert {r[0]: r[1] for r in md_table(section, "| address | roles |")} == hosts
    conv = z_table(tshark_evidence, name, "ciscouc,conv")
    stated = [tuple(r[:6]) for r in md_table(section, "| client | server | transport | evidence |")]
    assert [s[:4] for s in stated] == [(r["Client"], r["Server"], r["Transport"], r["Evidence"] or "none")
                                       for r in conv]
    # The row ("-": none) and, where the plugin gives one, the evidence detail as printed.
    for s, r in zip(stated, conv):
        assert s[4].strip("-") == r["Entry"], (s, r["Entry"])
        assert not r["Evidence detail"] or s[5] == r["Evidence detail"], (s, r["Evidence detail"])
    # The report's map as it opens (the UC part: flagged, or documented with
    # confirmed evidence or a Cisco UC role at either end): a node per host, an
    # edge per purpose from sender to listener (tests/test_report.py checks the
    # drawn map the same way).
    roles = {addr(r["Client"]) for r in conv if r["Client role"]} | {addr(r["Server"]) for r in conv if r["Server role"]}
    conv = [r for r in conv if r["Flags"] or r["Entry"] and (r["Evidence"] == "confirmed" or addr(r["Client"]) in roles
                                                             or addr(r["Server"]) in roles)]
    nodes = {addr(r["Client"]) for r in conv} | {addr(r["Server"]) for r in conv}

    def directed(r):
        client_port, server_port = r["Client"].rsplit(":", 1)[1], r["Server"].rsplit(":", 1)[1]
        ends = (addr(r["Client"]), addr(r["Server"]))
        return ends[::-1] if r["Listener"] not in ("", "0") and r["Listener"] == client_port != server_port else ends
    edges = {(directed(r), r["Transport"], r["Entry"] or r["Detected"] or r["Listener"]) for r in conv}
    assert f"Map: {len(nodes)} nodes, {len(edges)} edges." in section


def test_secure_phones(tshark_evidence):
    rows = tshark_evidence.fields(path("secure-phones.pcap"), FIELDS + ["ciscouc.evidence", "ciscouc.client_role",
                                                                        "ciscouc.server_role"])
    # The secure ports carry only TLS: the phone's cleartext registration (and
    # its ITL read) earlier in the capture gives the roles that confirm them.
    for port, entry in ((2443, "cucm-ja.t6.r4"), (5061, "cucm-ja.t6.r9"), (3804, "")):
        c = Conv(rows, "tcp", port)
        assert c.detected == {"TLS"} and c.values("ciscouc.evidence") == {"confirmed"}, port
        assert c.values("ciscouc.client_role") == {"Phone"} and "Unified CM" in c.values("ciscouc.server_role").pop()
        assert not entry or entry in c.entries, (port, c.entries)
        assert c.flags == set()
    assert Conv(rows, "tcp", 2000).flags == {"insecure"} and Conv(rows, "udp", 5060).flags == {"insecure"}
    assert all_values(rows, "tftp.source_file") == {"ITLSEP001E7A3C5D51.tlv"}


def test_cti_application(tshark_evidence):
    rows = tshark_evidence.fields(path("cti-application.pcap"), FIELDS + ["ciscouc.evidence", "ciscouc.client_role",
                                                                          "ciscouc.server_role"])
    cti = Conv(rows, "tcp", 2748)
    # No dissector knows CTI QBE; the listener's role (Unified CM, from the
    # phone's SCCP registration) confirms the row; the application shows no role.
    assert cti.detected == set() and "cucm-ja.t8.r2" in cti.entries
    assert cti.values("ciscouc.evidence") == {"confirmed"}
    assert cti.values("ciscouc.client_role") == set() and cti.values("ciscouc.server_role") == {"Unified CM"}
    hosts = {h["Address"] for h in z_table(tshark_evidence, "cti-application.pcap", "ciscouc,hosts")}
    assert "10.10.5.30" not in hosts


def test_imp_intercluster(tshark_evidence):
    rows = tshark_evidence.fields(path("imp-intercluster.pcap"), FIELDS + ["ciscouc.evidence"])
    assert {r["ip.dst"] for r in Conv(rows, "tcp", 5222).rows} >= {"10.10.0.21", "10.20.0.21"}
    for port, entry, detected in ((37239, "imp-en.t28.r1", set()), (5062, "imp-en.t2.r3", {"TLS"}),
                                  (5269, "imp-en.t22.r2", {"XMPP"})):
        c = Conv(rows, "tcp", port)
        assert entry in c.entries and c.detected == detected and c.values("ciscouc.evidence") == {"confirmed"}, port
    assert handshakes(rows) == 5
