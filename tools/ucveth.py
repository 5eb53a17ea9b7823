"""A veth pair in a network namespace of its own, to replay captures onto a
real interface (tcpreplay on `tx`) and capture them on the other end (`rx`).

IPv6 is off in the namespace and neither end has an address, so the kernel
sends nothing of its own: the only frames on rx are the replayed ones. Used by
tests/test_live.py and bench/soak.py. Needs root (ip netns). The namespace,
and both ends with it, is deleted by close() (use it as a context manager).
"""
from __future__ import annotations

import os
import shutil
import subprocess


def missing() -> str | None:
    """Why the pair cannot be made here, or None."""
    if os.geteuid() != 0:
        return "making a network namespace needs root"
    for tool in ("ip", "tcpreplay"):
        if not shutil.which(tool):
            return f"{tool} is missing (apt-get install iproute2 tcpreplay)"
    return None


class VethPair:
    def __init__(self, tag: str | None = None, mtu: int = 9000):
        tag = tag or str(os.getpid() % 100000)
        self.name, self.tx, self.rx = f"cuclive{tag}", f"cutx{tag}", f"curx{tag}"
        self._sh(["ip", "netns", "add", self.name])
        try:
            self.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            self.run(["ip", "link", "add", self.tx, "type", "veth", "peer", "name", self.rx])
            for dev in (self.tx, self.rx):
                self.run(["ip", "link", "set", dev, "mtu", str(mtu), "up"])
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _sh(cmd, timeout=30):
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)

    def run(self, cmd, timeout=30) -> subprocess.CompletedProcess:
        """A command inside the namespace (checked)."""
        return self._sh(["ip", "netns", "exec", self.name, *cmd], timeout=timeout)

    def popen(self, cmd, **kw) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.name, *cmd], **kw)

    def replay(self, path: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        """tcpreplay `path` onto tx (default: as fast as it can)."""
        return self.run(["tcpreplay", "-i", self.tx, *(args or ("--topspeed",)), path], timeout=timeout)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
