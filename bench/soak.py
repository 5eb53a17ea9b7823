"""Soak: ciscouc-scan --live under millions of replayed packets, with steady
conversation churn. Memory must stay flat, bounded per tracked conversation,
and the scanner must not be why the kernel drops.

    /usr/bin/python3 -m bench.soak [--packets 5000000] [--base 1000000]
                                   [--pps N | --mbps N] [--idle-udp S] [--idle-tcp S]

(root: a veth pair in a network namespace, tools/ucveth.py.) The base capture
is bench/make_capture.py's (cached in bench/out/); tcpreplay sends it
--loop times with --unique-ip (new addresses every loop: new conversations),
as fast as it can unless --pps/--mbps is given. ciscouc-scan --live on the
other end writes its records to a file and a stats record every second.

Measured: tcpreplay's rate (packets/s), the scanner's CPU over the replay
(user+system from /proc/PID/stat over wall time), its resident memory
(VmRSS every 0.5 s; the mapped ring buffer is in it from the start) before
traffic and after warm-up (the first 20% of the replay), the conversations it
tracks (stats records), the kernel's counts
(pcap_stats: ps_recv, ps_drop = the ring buffer overran, ps_ifdrop).
Goals: RSS after warm-up within 10% (max/min), at most 1 KiB per tracked
conversation ((peak RSS - RSS before traffic) / peak tracked), no drop.
Exit status: 0 goals met; 1 a goal missed (printed); 2 a command failed.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

from tools import ucveth

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OUT = os.path.join(ROOT, "bench", "out")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def base_capture(packets: int) -> str:
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"soak-base-{packets}.pcap")
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "bench.make_capture", path, "--packets", str(packets)], cwd=ROOT,
                       check=True)
    return path


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (proc(5))
    except (OSError, IndexError):
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packets", type=int, default=5_000_000, help="packets to replay in all (5,000,000)")
    ap.add_argument("--base", type=int, default=1_000_000, help="packets of the base capture (1,000,000)")
    ap.add_argument("--pps", type=float, help="replay at this rate (default: as fast as tcpreplay can)")
    ap.add_argument("--mbps", type=float, help="replay at this rate in Mbit/s")
    ap.add_argument("--idle-udp", type=float, default=60.0, help="ciscouc-scan --idle-udp (60, its default)")
    ap.add_argument("--idle-tcp", type=float, default=300.0, help="ciscouc-scan --idle-tcp (300, its default)")
    ap.add_argument("--max-conversations", type=int, default=10000,
                    help="ciscouc-scan --max-conversations (10,000: reached in the first loop, then conversations "
                         "end by eviction, so that the tracked count and memory plateau at the cap)")
    ap.add_argument("--buffer", type=int, default=64, help="ciscouc-scan --buffer MiB (64, its default)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)
    why = ucveth.missing()
    if why:
        print(f"bench.soak: {why}", file=sys.stderr)
        return 2
    scanner = os.path.join(os.environ.get("CISCOUC_BUILD", os.path.join(ROOT, "build")), "scanner", "ciscouc-scan")
    base = base_capture(args.base)
    loops = max(1, math.ceil(args.packets / args.base))
    rate = ["--pps", str(args.pps)] if args.pps else ["--mbps", str(args.mbps)] if args.mbps else ["--topspeed"]
    records = tempfile.NamedTemporaryFile(prefix="soak-", suffix=".jsonl", delete=False)
    samples: list[tuple[float, int, float]] = []
    with ucveth.VethPair() as lab:
        p = lab.popen([scanner, "--live", lab.rx, "--stats", "1", "--buffer", str(args.buffer),
                       "--idle-udp", str(args.idle_udp), "--idle-tcp", str(args.idle_tcp),
                       "--max-conversations", str(args.max_conversations)],
                      stdout=records, stderr=subprocess.PIPE, text=True)
        if "capturing" not in p.stderr.readline():
            p.kill()
            print("bench.soak: ciscouc-scan did not start", file=sys.stderr)
            return 2
        time.sleep(0.5)
        before = rss_kib(p.pid)
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append((time.monotonic(), rss_kib(p.pid) or 0, cpu_seconds(p.pid) or 0.0))
                stop.wait(0.5)

        t = threading.Thread(target=sample)
        t0, c0 = time.monotonic(), cpu_seconds(p.pid)
        t.start()
        try:
            r = lab.replay(base, "--loop", str(loops), "--unique-ip", *rate, timeout=7200)
        except subprocess.CalledProcessError as e:
            stop.set()
            t.join()
            p.kill()
            print(f"bench.soak: tcpreplay failed: {e.stderr}", file=sys.stderr)
            return 2
        t1, c1 = time.monotonic(), cpu_seconds(p.pid)
        time.sleep(1.0)
        stop.set()
        t.join()
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=600)[1]
    stats = []
    ends: dict[str, int] = {}
    with open(records.name) as f:
        for line in f:
            r_ = json.loads(line)
            if r_["record"] == "stats":
                stats.append(r_)
            elif r_["record"] == "conversation":
                ends[r_["end"]] = ends.get(r_["end"], 0) + 1
    os.unlink(records.name)
    sent = int(re.search(r"Actual: (\d+) packets", r.stdout).group(1))
    pps = float(re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps", r.stdout).group(1))
    warm = [s for s in samples if s[0] >= t0 + 0.2 * (t1 - t0) and s[0] <= t1]
    rss_after = [s[1] for s in warm]
    final = stats[-1]
    peak_tracked = max(s["conversations_tracked"] for s in stats)
    peak_rss = max(s[1] for s in samples)
    per_conv = (peak_rss - before) * 1024 / peak_tracked if peak_tracked else 0.0
    flat = (max(rss_after) - min(rss_after)) / min(rss_after) if rss_after else float("nan")
    figures = {
        "packets_sent": sent, "loops": loops, "replay_pps": pps, "replay_seconds": round(t1 - t0, 2),
        "scanner_cpu_percent": round(100 * (c1 - c0) / (t1 - t0), 1),
        "rss_before_kib": before, "rss_warm_min_kib": min(rss_after), "rss_warm_max_kib": max(rss_after),
        "rss_flatness": round(flat, 4), "peak_tracked_conversations": peak_tracked,
        "bytes_per_tracked_conversation": round(per_conv, 1),
        "frames": final["frames"], "kernel_received": final.get("kernel_received"),
        "kernel_dropped": final.get("kernel_dropped"), "interface_dropped": final.get("interface_dropped"),
        "conversation_records": ends, "hosts_tracked": final["hosts_tracked"],
        "ended_evicted": final["ended_evicted"],
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    missed = []
    if not flat <= 0.10:
        missed.append(f"RSS after warm-up varies {flat:.1%} (goal 10%)")
    if per_conv > 1024:
        missed.append(f"{per_conv:.0f} bytes per tracked conversation (goal 1024)")
    if figures["kernel_dropped"]:
        missed.append(f"the kernel dropped {figures['kernel_dropped']} packets (ring buffer overran)")
    if p.returncode != 0:
        missed.append(f"ciscouc-scan exited {p.returncode}: {err.strip()[-300:]}")
    for m in missed:
        print(f"bench.soak: missed: {m}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
