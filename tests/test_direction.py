"""The listener of a conversation without a TCP handshake comes from the
payload where it says so: a SIP status line is sent by the side that received
the request (RFC 3261 section 7.2), unless the receiver's port is the one the
guides document for SIP; a TFTP transfer leg is served by the host its
requester asked (RFC 1350 section 4). The scanner follows the same rules."""
from __future__ import annotations

import os
import subprocess

import pytest

import conftest
from captures import pcap as pg

FIELDS = ["tcp.stream", "udp.stream", "ciscouc.listener_port", "ciscouc.direction", "ciscouc.flags",
          "ciscouc.detected"]


@pytest.fixture(scope="module")
def mid_stream(workdir):
    cap = pg.Capture()
    # 0: a SIP 401 from 5054 (no guide documents it) to the client's 51806, the
    #    capture starting mid-stream (seladb/PcapPlusPlus sip_resp.pcap).
    cap.tcp("10.7.0.1", 5054, "10.7.0.2", 51806, pg.sip_response(401, "Unauthorized", "10.7.0.2", 51806))
    # 1: near miss: a phone's 200 OK from its ephemeral port to a Unified CM's
    #    5060 (the receiver's port documents SIP): 5060 stays the listener.
    cap.tcp("10.7.1.1", 50123, "10.7.1.2", 5060, pg.sip_response(200, "OK", "10.7.1.2", 5060))
    # udp 0/1: a TFTP read request and its transfer leg, served from 37050.
    cap.udp("10.7.2.1", 49200, "10.7.2.2", 69, pg.tftp_rrq("SEP001122334455.cnf.xml"))
    cap.udp("10.7.2.2", 37050, "10.7.2.1", 49200, pg.tftp_data(1, b"<device/>"))
    cap.udp("10.7.2.1", 49200, "10.7.2.2", 37050, pg.tftp_ack(1))
    # udp 2: near miss: a transfer leg whose request is not in the capture: nothing
    #    says which side serves (stock does not even know it is TFTP).
    cap.udp("10.7.3.2", 37051, "10.7.3.1", 49201, pg.tftp_data(1, b"<device/>"))
    return cap.write(os.path.join(workdir, "mid_stream.pcap"))


@pytest.fixture(scope="module")
def rows(tshark_evidence, mid_stream):
    return tshark_evidence.fields(mid_stream, FIELDS)


def _conv(rows, proto, n):
    got = [r for r in rows if r[f"{proto}.stream"] == str(n)]
    assert got, f"{proto} stream {n} missing"
    return got[-1]


def test_sip_status_line_names_its_sender_the_listener(rows):
    r = _conv(rows, "tcp", 0)
    assert r["ciscouc.listener_port"] == "5054", r
    assert r["ciscouc.direction"] == "listener from payload", r
    assert "unexpected_port" in r["ciscouc.flags"]  # SIP on 5054: no guide documents it


def test_sip_status_line_to_a_documented_port_keeps_that_listener(rows):
    r = _conv(rows, "tcp", 1)
    assert r["ciscouc.listener_port"] == "5060", r
    assert r["ciscouc.direction"] != "listener from payload", r


def test_tftp_leg_inherits_the_requests_server(rows):
    r = _conv(rows, "udp", 1)
    assert r["ciscouc.detected"] == "TFTP"
    assert r["ciscouc.listener_port"] == "37050", r
    assert r["ciscouc.direction"] == "listener from payload", r


def test_tftp_leg_without_its_request_is_not_oriented(rows):
    r = _conv(rows, "udp", 2)
    assert r["ciscouc.direction"] != "listener from payload", r


def test_scanner_agrees_on_listeners(tshark_evidence, mid_stream):
    scanner = os.path.join(conftest.BUILD, "scanner", "ciscouc-scan")
    if not os.path.exists(scanner):
        pytest.skip(f"{scanner} is not built")
    plugin = tshark_evidence.run(["-q", "-2", "-r", mid_stream, "-z", "ciscouc,conv"]).stdout
    scan = subprocess.run([scanner, mid_stream], capture_output=True, text=True, check=True).stdout

    def listeners(out):
        rows = [l.split("\t") for l in out.splitlines() if l.count("\t") > 10 and not l.startswith("Client")]
        return sorted((r[0], r[1], r[2], r[3]) for r in rows)
    assert listeners(plugin) == listeners(scan)
    assert ("10.7.0.2:51806", "10.7.0.1:5054", "tcp", "5054") in listeners(plugin)
