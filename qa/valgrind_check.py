"""Memory checks of the ciscouc plugin inside a stock tshark.

    python3 -m qa.valgrind_check                    both checks, normal build (build/)
    python3 -m qa.valgrind_check --skip-growth      memcheck only
    python3 -m qa.valgrind_check --skip-memcheck    RSS growth only

1. memcheck: valgrind --tool=memcheck on `tshark -2 -V -z ciscouc,conv -z ciscouc,tree`
   over a small capture
   (captures/sip-phone-call.pcap, or one built with captures/pcap.py when the
   teaching captures are absent). Wireshark's wmem is switched to plain malloc
   (WIRESHARK_DEBUG_WMEM_OVERRIDE=simple, G_SLICE=always-malloc) so that
   valgrind sees every allocation. Reported as findings: "definitely lost"
   blocks and invalid reads/writes/frees and uses of uninitialised values
   whose stack has a frame in ciscouc.so. Errors of Wireshark and GLib
   themselves (they leak a little at exit) are counted, not reported.

2. growth: peak RSS (wait4 ru_maxrss) of `tshark -r` with and without the
   plugin, (a) over one capture concatenated N = 1, 2, 4 times (mergecap -a:
   the same conversations again, so the plugin's file-scoped state should not
   grow with N beyond per-packet costs), and (b) over generated captures with
   K distinct UDP conversations on 5060 (K, 2K, 4K: the state grows with
   conversations). The plugin's overhead (plugin RSS minus stock RSS) must
   grow at most linearly: overhead(4x) <= 4 * overhead(1x) + tolerance.
   Peak RSS is coarse (allocator slack, a few MB of noise): the bound is
   generous on purpose and the numbers are printed for a human to read.

Exit status 1 on any finding. tshark runs as `nobody` when this runs as root.
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMCHECK_KINDS = {"Leak_DefinitelyLost", "InvalidRead", "InvalidWrite", "InvalidFree", "MismatchedFree",
                  "UninitCondition", "UninitValue", "SyscallParam", "Overlap", "InvalidJump"}


def log(msg: str) -> None:
    print(msg, flush=True)


class Env:
    def __init__(self, build: str, workdir: str):
        self.workdir = workdir
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o777)
        src = os.path.join(build, "plugins")
        if not any(f == "ciscouc.so" for _, _, fs in os.walk(src) for f in fs):
            sys.exit(f"valgrind_check: no ciscouc.so under {src}: build the plugin first (cmake --build {build})")
        self.plugins = os.path.join(workdir, "plugins")
        shutil.copytree(src, self.plugins)
        self.no_plugins = os.path.join(workdir, "no-plugins")
        os.makedirs(self.no_plugins)
        for d, _, fs in os.walk(workdir):
            os.chmod(d, 0o777 if d == self.home else 0o755)
            for f in fs:
                os.chmod(os.path.join(d, f), 0o644)

    def command(self, args: list[str], plugin: bool = True, wrapper: list[str] | None = None,
                extra_env: dict | None = None) -> list[str]:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8", "HOME": self.home,
               "WIRESHARK_PLUGIN_DIR": self.plugins if plugin else self.no_plugins, **(extra_env or {})}
        cmd = ["env", *[f"{k}={v}" for k, v in env.items()], *(wrapper or []), "tshark", *args]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
        return cmd


def small_capture(workdir: str, generate: bool = False) -> str:
    teaching = os.path.join(ROOT, "captures", "sip-phone-call.pcap")
    if os.path.exists(teaching) and not generate:
        return teaching
    from captures import pcap as g  # needs python3-scapy
    cap = g.Capture()
    a, b, cucm = "10.10.1.31", "10.10.1.32", "10.10.0.11"
    cap.udp(a, 5060, cucm, 5060, g.sip("REGISTER", "sip:10.10.0.11", a, 5060))
    cap.udp(cucm, 5060, a, 5060, g.sip_response(200, "OK", a, 5060))
    cap.tcp_handshake(b, 51000, cucm, 2000)
    cap.tcp(b, 51000, cucm, 2000, g.sccp_register())
    cap.tcp(cucm, 2000, b, 51000, g.sccp_register_ack())
    cap.udp(cucm, 2727, "10.10.2.1", 2427, g.mgcp("RQNT", 1, "aaln/1@gw", "X: 1\r\n"))
    cap.udp("10.10.2.1", 2427, cucm, 2727, g.mgcp_response(200, 1))
    cap.tcp_handshake(a, 52000, cucm, 8443)
    cap.tcp(a, 52000, cucm, 8443, g.tls_client_hello())
    cap.tcp(a, 6001, cucm, 6000, g.sip("OPTIONS", "sip:x", a, 6001, transport="TCP"))
    g.rtp_call(cap, a, 20480, b, 26624, packets=8)
    path = os.path.join(workdir, "small.pcap")
    return cap.write(path)


def frames(err: ET.Element) -> list[ET.Element]:
    return list(err.iter("frame"))


def in_ciscouc(err: ET.Element) -> bool:
    return any((f.findtext("obj") or "").endswith("ciscouc.so") for f in frames(err))


def memcheck(env: Env, capture: str, timeout: float) -> tuple[list[str], str]:
    """Returns (findings, summary line)."""
    xml = os.path.join(env.home, "memcheck.xml")
    wrapper = ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite",
               "--errors-for-leak-kinds=definite", "--num-callers=40", "--xml=yes", f"--xml-file={xml}"]
    cmd = env.command(["-r", "/dev/stdin", "-2", "-V", "-z", "ciscouc,conv", "-z", "ciscouc,tree"],
                      wrapper=wrapper, extra_env={"G_SLICE": "always-malloc", "WIRESHARK_DEBUG_WMEM_OVERRIDE": "simple"})
    start = time.monotonic()
    with open(capture, "rb") as stdin:
        p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    elapsed = time.monotonic() - start
    labelled = p.stdout.count(b"Cisco UC port usage")
    if p.returncode != 0 or not os.path.exists(xml):
        return [f"tshark under valgrind failed ({p.returncode}): {p.stderr.decode(errors='replace')[-2000:]}"], ""
    if labelled == 0:
        return ["tshark under valgrind printed no ciscouc tree: the plugin did not run"], ""
    root = ET.parse(xml).getroot()
    findings, other = [], {}
    for err in root.iter("error"):
        kind = err.findtext("kind") or "?"
        if kind in MEMCHECK_KINDS and in_ciscouc(err):
            what = err.findtext("xwhat/text") or err.findtext("what") or ""
            stack = []
            for f in frames(err)[:14]:
                loc = f"{f.findtext('file')}:{f.findtext('line')}" if f.findtext("file") else f.findtext("obj") or "?"
                stack.append(f"      {f.findtext('fn') or '?'} ({loc})")
            findings.append(f"{kind}: {what}\n" + "\n".join(stack))
        else:
            other[kind] = other.get(kind, 0) + 1
    others = ", ".join(f"{k} {v}" for k, v in sorted(other.items())) or "none"
    summary = (f"memcheck: {os.path.basename(capture)}, {labelled} ciscouc trees, {elapsed:.0f}s; "
               f"errors in ciscouc.so: {len(findings)}; outside it (Wireshark, GLib): {others}")
    return findings, summary


def peak_rss_kb(cmd: list[str], capture: str, timeout: float) -> int:
    with open(capture, "rb") as stdin:
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                raise TimeoutError(" ".join(cmd[-6:]))
            time.sleep(0.05)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read() if p.stderr else b""
    if p.returncode != 0:
        raise RuntimeError(f"tshark failed ({p.returncode}): {err.decode(errors='replace')[-1000:]}")
    return usage.ru_maxrss  # kB on Linux; setpriv and env exec into tshark, so this is tshark's


def write_conversations(path: str, count: int) -> str:
    """`count` UDP conversations to 5060, one SIP OPTIONS each way, as a plain pcap."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    t = 1767225600
    for i in range(count):
        src = bytes([10, 20 + (i >> 16) % 200, (i >> 8) & 0xFF, i & 0xFF])
        dst = bytes([10, 10, 0, 11])
        sport = 10000 + i % 50000
        for (a, ap, b, bp) in ((src, sport, dst, 5060), (dst, 5060, src, sport)):
            body = (f"OPTIONS sip:{i}@cucm.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.20.0.1:{ap}\r\n"
                    f"Call-ID: {i}@ciscouc\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
            udp = struct.pack("!HHHH", ap, bp, 8 + len(body), 0) + body
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, a, b) + udp
            frame = b"\x00\x00\x5e\x00\x53\x02\x00\x00\x5e\x00\x53\x01\x08\x00" + ip
            out.append(struct.pack("<IIII", t, i % 1000000, len(frame), len(frame)) + frame)
        t += 1
    with open(path, "wb") as f:
        f.write(b"".join(out))
    os.chmod(path, 0o644)
    return path


def growth(env: Env, capture: str, conversations: int, tolerance_mb: float, timeout: float) -> tuple[list[str], list[str]]:
    findings, lines = [], []
    series: list[tuple[str, list[tuple[int, str]], int]] = []
    # (a) the same capture concatenated N times.
    concat = []
    for n in (1, 2, 4):
        path = os.path.join(env.home, f"concat{n}.pcapng")
        subprocess.run(["mergecap", "-a", "-w", path, *[capture] * n], check=True)
        os.chmod(path, 0o644)
        concat.append((n, path))
    series.append((f"{os.path.basename(capture)} concatenated N times", concat, 0))
    # (b) K, 2K, 4K distinct conversations.
    convs = []
    for n in (1, 2, 4):
        convs.append((n, write_conversations(os.path.join(env.home, f"conv{n}.pcap"), conversations * n)))
    series.append((f"{conversations} x N distinct UDP/5060 conversations", convs, conversations))

    for title, files, per in series:
        lines.append(f"growth: {title} (peak RSS in MB, tshark -r, one pass)")
        overhead = {}
        for n, path in files:
            stock = peak_rss_kb(env.command(["-r", "/dev/stdin"], plugin=False), path, timeout)
            plugin = peak_rss_kb(env.command(["-r", "/dev/stdin"], plugin=True), path, timeout)
            overhead[n] = (plugin - stock) / 1024
            lines.append(f"   N={n}: stock {stock / 1024:7.1f}  plugin {plugin / 1024:7.1f}  overhead {overhead[n]:6.1f}")
        if per:
            slope = (overhead[4] - overhead[1]) * 1024 * 1024 / (3 * per)
            lines.append(f"   about {slope:.0f} bytes of plugin state per conversation")
        bound = 4 * max(overhead[1], 0.0) + tolerance_mb
        verdict = "ok" if overhead[4] <= bound else "TOO MUCH"
        lines.append(f"   overhead(N=4) {overhead[4]:.1f} MB <= 4 x overhead(N=1) + {tolerance_mb:.0f} MB "
                     f"= {bound:.1f} MB: {verdict}")
        if overhead[4] > bound:
            findings.append(f"{title}: the plugin's RSS overhead grows faster than linearly "
                            f"({overhead[1]:.1f} MB at N=1, {overhead[4]:.1f} MB at N=4)")
    return findings, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--build", default=os.environ.get("CISCOUC_BUILD", os.path.join(ROOT, "build")),
                    help="normal build folder holding plugins/<ver>/epan/ciscouc.so")
    ap.add_argument("--capture", default=None, help="capture for memcheck and the concatenation series")
    ap.add_argument("--conversations", type=int, default=5000, help="K of the conversation series (default 5000)")
    ap.add_argument("--tolerance-mb", type=float, default=12.0, help="RSS noise allowance (default 12 MB)")
    ap.add_argument("--skip-memcheck", action="store_true")
    ap.add_argument("--skip-growth", action="store_true")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per tshark run")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="ciscouc-valgrind-")
    os.chmod(workdir, 0o755)
    findings: list[str] = []
    try:
        env = Env(os.path.abspath(args.build), workdir)
        capture = args.capture or small_capture(env.home)
        if not args.skip_memcheck:
            if not shutil.which("valgrind"):
                log("-- valgrind is not installed: memcheck skipped")
            else:
                f, summary = memcheck(env, capture, args.timeout)
                if summary:
                    log(summary)
                findings += f
        if not args.skip_growth:
            f, lines = growth(env, capture, args.conversations, args.tolerance_mb, args.timeout)
            for line in lines:
                log(line)
            findings += f
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if findings:
        log(f"FINDINGS: {len(findings)}")
        for f in findings:
            log("  " + f.replace("\n", "\n  "))
        return 1
    log("no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
