"""A stand-in tshark printing the tables of a newer ciscouc plugin: the
conversation table with evidence, role and a further column, and the hosts
table (the formats the plugin's evidence work adds)."""
from __future__ import annotations

import os
import sys

FAKE_CONV = """\
================================================================================
Cisco UC conversations (ciscouc): 3
Client\tServer\tTransport\tListener\tPackets\tBytes\tFirst\tLast\tDetected\tFlags\tProduct\tEntry\tPurpose\tOther uses\tEvidence\tEvidence detail\tClient role\tServer role\tFuture column
10.10.1.21:49152\t10.10.0.11:69\tudp\t69\t4\t400\t0.0\t0.1\tTFTP\t\tcucm\tcucm-ja.t2.r8\tTFTP service to phones and gateways\t3\tconfirmed\tTFTP payload, frame 1\tPhone\tTFTP server\tf1
10.10.1.21:51234\t10.10.0.11:2000\ttcp\t2000\t9\t900\t0.2\t0.9\tSCCP\tinsecure\tcucm\tcucm-ja.t6.r3\tSkinny Client Control Protocol (SCCP)\t7\tconfirmed\tSCCP payload, frame 4\tPhone\tUnified CM\tf2
10.10.1.21:24580\t10.10.1.22:28672\tudp\t28672\t50\t9000\t1.0\t2.0\t\t\tcucm\tcucm-ja.t6.r17\tReal-Time Protocol (RTP)\t21\tpossible\tport only\tPhone\tPhone\tf3
================================================================================
"""
FAKE_HOSTS = """\
================================================================================
Cisco UC hosts (ciscouc): 3
Address\tRoles\tEvidence\tConversations
10.10.0.11\tUnified CM,TFTP server\tUnified CM: SCCP frame 4; TFTP server: TFTP frame 1\t2
10.10.1.21\tPhone\tPhone: SCCP frame 4\t3
10.10.1.22\tPhone\t\t1
================================================================================
"""


def make(workdir: str, name: str = "fakebin") -> str:
    """A folder holding a stand-in `tshark` printing FAKE_CONV and FAKE_HOSTS
    for statistics runs, nothing for field runs; it logs its arguments to
    $FAKE_TSHARK_LOG when set."""
    folder = os.path.join(workdir, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "conv.txt"), "w") as f:
        f.write(FAKE_CONV)
    with open(os.path.join(folder, "hosts.txt"), "w") as f:
        f.write(FAKE_HOSTS)
    script = os.path.join(folder, "tshark")
    with open(script, "w") as f:
        f.write(f"""#!{sys.executable}
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
log = os.environ.get("FAKE_TSHARK_LOG")
if log:
    with open(log, "a") as f:
        f.write(" ".join(sys.argv[1:]) + "\\n")
sys.stdin.buffer.read()
if "-q" in sys.argv:
    sys.stdout.write(open(os.path.join(here, "conv.txt")).read())
    if "ciscouc,hosts" in sys.argv:
        sys.stdout.write(open(os.path.join(here, "hosts.txt")).read())
""")
    os.chmod(script, 0o755)
    return folder
