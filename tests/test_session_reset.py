"""Host roles survive tshark's epan session resets (tshark -M N).

tshark -M N resets the epan session every N packets (tshark.c
reset_epan_mem: epan_free, every cleanup routine, then a new session whose
frames are numbered from 1 again); Debian's tshark 4.0.17 does it when reading
a file too (-r with packet output: with -q it aborts on an assertion in
epan_dissect_cleanup, a tshark bug, so these runs print fields). The plugin
keeps its hosts' roles in a bounded table over the reset
(plugins/ciscouc/hosts.cpp, core/kept_hosts.h) when the new session continues
the same traffic, so a conversation that starts after the reset is still
confirmed by roles its hosts showed before it.

The capture: a phone's TFTP read and SCCP StationRegister (Phone, TFTP server,
Unified CM) in the first 20 frames, then, after the reset point, new
conversations from the phone to the Unified CM (HTTPS 8443, SCCP 2000), which
the guides' rows only confirm through the hosts' roles.
"""
from __future__ import annotations

import os

import pytest

from captures import pcap as c

# Checked natively only (Wireshark 4.0): the chroots run the versions tier.
pytestmark = pytest.mark.native

FIELDS = ["ciscouc.evidence", "ciscouc.evidence_detail", "ciscouc.client_role", "ciscouc.server_role",
          "ciscouc.entry"]
RESET = 20


def build(path: str, gap: float | None) -> str:
    """Roles in frames 1-6, fillers to frame RESET; frame RESET+1 comes `gap` s later."""
    cap = c.Capture(step=0.01)
    phone, cucm = "10.10.1.21", "10.10.0.11"
    cap.udp(phone, 49152, cucm, 69, c.tftp_rrq("SEP001122334455.cnf.xml"))
    cap.tcp_handshake(phone, 51000, cucm, 2000)
    cap.tcp(phone, 51000, cucm, 2000, c.sccp_register("SEP001122334455"))
    cap.tcp_ack(cucm, 2000, phone, 51000)
    while len(cap.packets) < RESET:
        cap.udp("10.10.9.1", 40000 + len(cap.packets), "10.10.9.2", 53, b"\x00" * 12)
    cap.udp("10.10.9.1", 39999, "10.10.9.2", 53, b"\x00" * 12, gap=gap)
    cap.tcp_handshake(phone, 52000, cucm, 8443)
    cap.tcp(phone, 52000, cucm, 8443, c.tls_client_hello("cucm.example.com"))
    cap.tcp_handshake(phone, 52001, cucm, 2000)
    return cap.write(path)


def labels(tshark, path: str, *args: str) -> list[list[str]]:
    cmd = ["-r", path, *args, "-T", "fields", *[x for f in FIELDS for x in ("-e", f)]]
    p = tshark.run(cmd)
    return [line.split("\t") for line in p.stdout.splitlines()]


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    d = tmp_path_factory.mktemp("reset")
    return build(str(d / "continues.pcap"), None), build(str(d / "gap.pcap"), 400.0)


def test_tshark_resets_the_session_when_reading_a_file(tshark_evidence, captures):
    p = tshark_evidence.run(["-r", captures[0], "-M", str(RESET), "-T", "fields", "-e", "frame.number"])
    assert "resetting session" in p.stderr
    # Frames are numbered from 1 again after the reset.
    assert p.stdout.split()[RESET] == "1"


def test_roles_survive_the_reset(tshark_evidence, captures):
    whole = labels(tshark_evidence, captures[0])
    reset = labels(tshark_evidence, captures[0], "-M", str(RESET))
    assert len(whole) == len(reset)
    after = whole[RESET:]
    # The new conversations after the reset are confirmed by the roles...
    assert any(r[0] == "confirmed" and r[1].startswith("roles:") for r in after), after
    assert all(r[2] == "Phone" and r[3] == "Unified CM, TFTP server" for r in after[1:] if r[2] or r[3])
    # ...with the reset as without it.
    assert reset[RESET:] == after


def test_roles_are_not_carried_into_other_traffic(tshark_evidence, captures):
    """Near miss: the session after the reset starts 400 s after the last packet
    (more than the 300 s a continuation may leave): no roles are carried."""
    whole = labels(tshark_evidence, captures[1])
    reset = labels(tshark_evidence, captures[1], "-M", str(RESET))
    assert any(r[0] == "confirmed" and r[1].startswith("roles:") for r in whole[RESET:])
    assert not any(r[2] or r[3] for r in reset[RESET:]), reset[RESET:]
    assert not any(r[1].startswith("roles:") for r in reset[RESET:])
