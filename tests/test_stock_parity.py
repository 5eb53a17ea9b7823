"""Stock parity: ciscouc never makes Wireshark's own decoding worse.

With ciscouc disabled (--disable-protocol ciscouc), every frame's protocol
stack equals a tshark run without the plugin loaded; with ciscouc enabled, no
frame becomes malformed that stock decodes cleanly, and the heuristics'
hand-offs add no ciscouc layer to frame.protocols (only the postdissector's
tree is ciscouc's).

Stock decoding differs between Wireshark versions, so the check over every
capture is marked versions: the chroots (./test.sh --wireshark) run it. Its
runs are the session's (tests/corpus.py).
"""
from __future__ import annotations

import os
import struct

import pytest

import conftest
import corpus
from captures import pcap as pg

LOCAL_CAPTURES = conftest.TEACHING_CAPTURES
FIELDS_ARGS = ["-T", "fields", "-E", "separator=\t", "-E", "quote=n", "-E", "occurrence=a", "-E", "aggregator=|"]
STACK_ARGS = [*FIELDS_ARGS, "-e", "frame.protocols", "-e", "_ws.malformed"]


def _stack(tshark, path: str, plugin: bool, extra: list[str] = (), runs=None) -> list[tuple[str, bool]]:
    """(frame.protocols, malformed) per frame."""
    args = [*STACK_ARGS, *extra]
    if runs is None:
        p = tshark.run(["-r", path, *args], plugin=plugin, check=False)
    else:
        p = runs.run(tshark, path, args, plugin=plugin)
    rows = []
    for line in p.stdout.splitlines():
        cells = line.split("\t") + [""]
        rows.append((cells[0], cells[1] != ""))
    return rows


DISABLED = ["--disable-protocol", "ciscouc"]


def stolen_ports_capture(path: str) -> str:
    cap = pg.Capture()
    # X11 connection setup (X Window System Protocol, section 8: byte order
    # 'l', protocol 11.0, empty authorisation).
    cap.tcp_handshake("10.9.0.1", 47000, "10.9.0.2", 6000)
    cap.tcp("10.9.0.1", 47000, "10.9.0.2", 6000, b"l\0" + struct.pack("<HHHHxx", 11, 0, 0, 0))
    cap.tcp_handshake("10.9.1.1", 47001, "10.9.1.2", 1090)
    # Foundation Fieldbus HSE on 1090, its stock TCP port (Wireshark epan/dissectors/packet-ff.c): version,
    # options, protocol/type, service, then the big-endian message length.
    cap.tcp("10.9.1.1", 47001, "10.9.1.2", 1090, b"\x01\x00\x01\x02" + struct.pack(">I", 12) + b"\0" * 4)
    cap.tcp_handshake("10.9.2.1", 47002, "10.9.2.2", 3804)
    # HiQnet (Wireshark epan/dissectors/packet-hiqnet.c): version 2, header
    # length 25, message length, source and destination device/address,
    # message id, flags, hop count, sequence number.
    cap.tcp("10.9.2.1", 47002, "10.9.2.2", 3804,
            struct.pack(">BBIHIHIHHBH", 2, 25, 25, 1, 0, 2, 0, 0x0115, 0, 5, 1))
    cap.udp("10.9.3.1", 47003, "10.9.3.2", 2428, bytes(range(48)))
    return cap.write(path)


def test_disabled_ciscouc_leaves_stolen_ports_to_their_stock_owners(tshark_evidence, workdir):
    path = stolen_ports_capture(os.path.join(workdir, "stolen_ports.pcap"))
    stock = _stack(tshark_evidence, path, plugin=False)
    disabled = _stack(tshark_evidence, path, plugin=True, extra=DISABLED)
    stock_protocols = {p for s, _ in stock for p in s.split(":")}
    assert {"x11", "hiqnet"} <= stock_protocols, stock
    assert disabled == stock


# (arguments, plugin) of the three runs of a capture: stock, ciscouc disabled, ciscouc enabled.
RUNS = [(STACK_ARGS, False), ([*STACK_ARGS, *DISABLED], True), (STACK_ARGS, True)]


def _parity(tshark, runs, path: str) -> str:
    """'' when the capture keeps stock decoding, else what differs."""
    stock = _stack(tshark, path, plugin=False, runs=runs)
    disabled = _stack(tshark, path, plugin=True, extra=DISABLED, runs=runs)
    enabled = _stack(tshark, path, plugin=True, runs=runs)
    problems = []
    diff = [i + 1 for i, (a, b) in enumerate(zip(stock, disabled)) if a != b]
    if len(stock) != len(disabled) or diff:
        problems.append(f"disabled differs from stock in frames {diff[:10]}"
                        + (f" (e.g. {stock[diff[0] - 1][0]} vs {disabled[diff[0] - 1][0]})" if diff else ""))
    new_malformed = [i + 1 for i, (a, b) in enumerate(zip(stock, enabled)) if b[1] and not a[1]]
    if new_malformed:
        problems.append(f"malformed only with ciscouc enabled: frames {new_malformed[:10]}")
    layered = [i + 1 for i, (s, _) in enumerate(enabled) if "ciscouc" in s.split(":")]
    if layered:
        problems.append(f"ciscouc in frame.protocols: frames {layered[:10]} ({enabled[layered[0] - 1][0]})")
    return "; ".join(problems)


def corpus_jobs(item) -> list[tuple[str, str, list[str], bool]]:
    """The runs an item reads (conftest starts them at the start of the session)."""
    return corpus.set_jobs(item, "test_every_capture_keeps_stock_decoding", "tshark_evidence", RUNS)


@pytest.mark.versions
@pytest.mark.parametrize("captures", corpus.SETS)
def test_every_capture_keeps_stock_decoding(tshark_evidence, corpus_runs, captures):
    files = corpus.capture_set(captures)
    corpus_runs.prefetch(tshark_evidence, files, RUNS)
    found = {f: _parity(tshark_evidence, corpus_runs, f) for f in files}
    bad = {os.path.relpath(f, conftest.ROOT if f.startswith(LOCAL_CAPTURES) else conftest.SHARED_CAPTURES): p
           for f, p in found.items() if p}
    assert not bad, "\n".join(f"{f}: {p}" for f, p in sorted(bad.items()))


def handoff_capture(path: str) -> str:
    cap = pg.Capture()
    cap.tcp_handshake("10.9.5.1", 46003, "10.9.5.2", 1820)  # H.225 off its port: the ciscouc heuristic
    cap.tcp("10.9.5.1", 46003, "10.9.5.2", 1820, pg.tpkt_q931_setup())
    cap.tcp_handshake("10.9.6.1", 46004, "10.9.6.2", 6000)  # SIP on X11's port: the stolen-port handler
    cap.tcp("10.9.6.1", 46004, "10.9.6.2", 6000, pg.sip("OPTIONS", "sip:10.9.6.2:6000", "10.9.6.1", 46004, "TCP"))
    return cap.write(path)


def test_heuristic_hand_off_adds_no_ciscouc_layer(tshark_evidence, workdir):
    path = handoff_capture(os.path.join(workdir, "handoff.pcap"))
    p = tshark_evidence.run(["-r", path, *FIELDS_ARGS, "-e", "frame.protocols", "-e", "ciscouc.heuristic"])
    rows = [line.split("\t") for line in p.stdout.splitlines()]
    assert rows[3][1] == "h225-tpkt" and rows[3][0].startswith("eth:ethertype:ip:tcp:q931"), rows[3]
    assert rows[7] == ["eth:ethertype:ip:tcp:sip", "sip-request"], rows[7]
    assert not any("ciscouc" in r[0] for r in rows), rows
    # io,phs counts the layers of the tree: ciscouc's postdissector tree may
    # be one, the heuristic's signature name never is.
    phs = tshark_evidence.run(["-r", path, "-q", "-z", "io,phs"]).stdout
    assert "ciscouc.heuristic" not in phs and "q931" in phs, phs
