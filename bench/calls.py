"""Benchmark: what calls cost (goal: at most 5% on each engine).

  /usr/bin/python3 -m bench.calls [--packets N] [--runs R] [--capture FILE]

Writes the benchmark capture (bench/make_capture.py: SCCP, SIP and MGCP calls
with RTP and RTCP both ways; N packets, default 300,000) unless --capture
names one, then times, side by side, the median of R runs (default 5) of

  ciscouc-scan FILE                     against  ciscouc-scan --calls FILE
  tshark -q -z ciscouc,conv             against  tshark -q -z ciscouc,conv -z ciscouc,calls

(the plugin from CISCOUC_BUILD, default build/, as tests/conftest.py loads
it) and prints each pair's ratio. Times are CPU seconds (user + system) of
the program: on shared cores wall time mostly measures the neighbours. Timings are ratios, not goals in a test.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("CISCOUC_BUILD", os.path.join(ROOT, "build"))


def plugin_env(tmp: str) -> tuple[list[str], dict]:
    """tshark with this build's plugin (as nobody when root: root ignores WIRESHARK_PLUGIN_DIR)."""
    plugins = os.path.join(tmp, "plugins")
    shutil.copytree(os.path.join(BUILD, "plugins"), plugins)
    for d, _, files in os.walk(tmp):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)
    env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "WIRESHARK_PLUGIN_DIR": plugins, "LC_ALL": "C.UTF-8"}
    prefix = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env",
                  *[f"{k}={v}" for k, v in env.items()]]
    return prefix, env


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], env: dict | None, stdin_path: str | None, runs: int) -> float:
    """Median CPU time (user + system) of the runs: the cores are shared, wall time is not the program's."""
    times = []
    for _ in range(runs):
        stdin = open(stdin_path, "rb") if stdin_path else None
        t = cpu()
        p = subprocess.run(cmd, env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(cpu() - t)
        if stdin:
            stdin.close()
        if p.returncode != 0:
            sys.exit(f"bench.calls: {' '.join(cmd)} failed: {p.stderr.decode()[:300]}")
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=300000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--capture", help="an existing capture instead of the generated one")
    a = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="ciscouc-bench-calls-")
    try:
        cap = a.capture
        if not cap:
            cap = os.path.join(tmp, "bench.pcap")
            subprocess.run([sys.executable, "-m", "bench.make_capture", cap, "--packets", str(a.packets)],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        scan = os.path.join(BUILD, "scanner", "ciscouc-scan")
        base = timed([scan, cap], None, None, a.runs)
        calls = timed([scan, "--calls", cap], None, None, a.runs)
        print(f"ciscouc-scan: {base:.3f} s, with --calls {calls:.3f} s: ratio {calls / base:.3f}")
        prefix, env = plugin_env(tmp)
        tshark = [*prefix, "tshark", "-r", "/dev/stdin", "-q", "-z", "ciscouc,conv"]
        base = timed(tshark, env, cap, a.runs)
        calls = timed([*tshark, "-z", "ciscouc,calls"], env, cap, a.runs)
        print(f"tshark -z ciscouc,conv: {base:.3f} s, with -z ciscouc,calls {calls:.3f} s: ratio {calls / base:.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
