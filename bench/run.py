"""Benchmark tshark with the ciscouc plugin against stock tshark.

    /usr/bin/python3 -m bench.run [--packets N] [--runs K] [--capture FILE] [--strict] [--breakdown] [--no-ndpi] [--scanner-only]

Run from the repository root (or with PYTHONPATH set to it). Generates (or
reuses, from bench/out/) a deterministic capture with bench/make_capture.py,
then times the same tshark workloads in these configurations, alternating them run by run, K runs each:

  plugin     ciscouc loaded and enabled, default preferences (WIRESHARK_PLUGIN_DIR = the build's
             plugin folder)
  disabled   ciscouc loaded but --disable-protocol ciscouc and every ciscouc heuristic disabled
  stock      no plugin at all (WIRESHARK_PLUGIN_DIR = an empty folder)
  rtp-decode ciscouc with -o ciscouc.rtp_decode:TRUE: the RTP it recognises is decoded by
             Wireshark's RTP dissector
  stock-rtp  stock with its own RTP heuristic on (--enable-heuristic rtp_udp): it decodes the
             same RTP as rtp-decode, so rtp-decode/stock-rtp is ciscouc's own cost without
             the cost of decoding that RTP
  full       ciscouc with -o ciscouc.details:full (every documented use on every packet;
             fields workload only)
  (--breakdown adds labels-off and heur-off)

Workloads:
  read      tshark -n -r CAP -q                 (no tap, no filter: tshark reads but does not dissect)
  summary   tshark -n -r CAP                    (one summary line per packet: the everyday command)
  filter    tshark -n -r CAP -Y ciscouc.flags   (every packet dissected with a tree, a few printed;
            stock: -Y "frame.number == 0")
  fields    tshark -n -r CAP -T fields -e frame.number -e ciscouc.summary > FILE
            (stock: without ciscouc.summary, which it does not have)

Wall time and peak RSS (ru_maxrss of the tshark child, from os.wait4) are
reported as medians. The budgets (wall <= 1.05, peak memory <= 1.05) apply
to read, summary and filter: plugin/disabled, the identical command with
ciscouc and its heuristics disabled, and disabled/stock. The fields
workload is for information: there ciscouc's summary is written for every
packet, where the disabled run writes an empty field, and the bytes written
by each run are printed with the time per extra byte. The other ratios are
for information too. Also timed: the batch conversation summary (tshark -q
-z ciscouc,conv), stock conversation tables (-z conv,tcp -z conv,udp) for
reference, and ndpiReader -i CAP -q if nDPI is installed (as root it is
installed with apt-get when missing).

Batch labelling without Wireshark: the native scanner (ciscouc-scan CAP,
from the build tree), ndpiReader -i CAP -q and the tshark path (tshark -q -z
ciscouc,conv with the plugin) on the same capture, alternating run by run;
wall time, CPU and peak memory, with the scanner's ratios against each
(goals, reported and not enforced: wall and peak <= 1.0x ndpiReader, >= 10x
faster than tshark). --scanner-only times just these three. Their peak
memory is read through GNU time (/usr/bin/time), so that Python's own
resident set does not count (see measure()).

Exit status: 0; 2 when a command fails; with --strict, 1 when a ratio is over budget.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
OUT = os.path.join(BENCH, "out")
BUILD = os.environ.get("CISCOUC_BUILD", os.path.join(ROOT, "build"))

from bench import make_capture
from captures import g711, raw

HEURISTICS = ["ciscouc_sccp_tcp", "ciscouc_mgcp_udp", "ciscouc_h225_tcp", "ciscouc_ras_udp",
              "ciscouc_xmpp_tcp", "ciscouc_rtp_udp"]
BUDGET = {"wall": 1.05, "rss": 1.05}
IS_ROOT = os.geteuid() == 0


class CommandFailed(Exception):
    pass


# ---------------------------------------------------------------- environment

class Env:
    """Hermetic tshark runs: fresh HOME, TZ=UTC, a chosen plugin folder; as root, run as nobody."""

    def __init__(self, build: str | None = None):
        self.work = tempfile.mkdtemp(prefix="ciscouc-bench-")
        os.chmod(self.work, 0o755)
        self.home = os.path.join(self.work, "home")
        os.makedirs(self.home)
        os.chmod(self.home, 0o777)
        self.empty = os.path.join(self.work, "no-plugins")
        os.makedirs(self.empty)
        src = os.path.join(build or BUILD, "plugins")
        if not os.path.isdir(src):
            raise CommandFailed(f"the plugin is not built: {src} is missing (build it, or set CISCOUC_BUILD)")
        self.plugins = src
        if IS_ROOT:
            # nobody may not traverse the build tree: give it a readable copy.
            self.plugins = os.path.join(self.work, "plugins")
            shutil.copytree(src, self.plugins)
            for d, _dirs, files in os.walk(self.plugins):
                os.chmod(d, 0o755)
                for f in files:
                    os.chmod(os.path.join(d, f), 0o644)

    def command(self, prog: list[str], plugin_dir: str) -> tuple[list[str], dict]:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8", "HOME": self.home,
               "WIRESHARK_PLUGIN_DIR": plugin_dir}
        if IS_ROOT:  # root tshark ignores WIRESHARK_PLUGIN_DIR
            prog = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env",
                    *[f"{k}={v}" for k, v in env.items()], *prog]
        return prog, env

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)


GNU_TIME = "/usr/bin/time"


def measure(cmd: list[str], env: dict | None, stdin_path: str | None = None, stdout_path: str | None = None,
            label: str = "", small: bool = False) -> dict:
    """Run cmd once; wall time, CPU time and peak RSS (KiB) of the child from wait4.

    A child forked from this Python process starts with Python's resident set
    (about 20 MiB), and ru_maxrss keeps that high-water mark across exec. For
    programs smaller than that (small=True: the scanner, ndpiReader) the
    command runs under GNU time, which forks it from a small process and
    reports the same rusage fields (%M, %U, %S) for it."""
    rusage_file = None
    if small and os.access(GNU_TIME, os.X_OK):
        fd, rusage_file = tempfile.mkstemp(prefix="ciscouc-rusage-")
        os.close(fd)
        cmd = [GNU_TIME, "-q", "-f", "%M %U %S", "-o", rusage_file, *cmd]
    err = tempfile.TemporaryFile()
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=stdout, stderr=err)
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        for f in (stdin, stdout):
            if f is not subprocess.DEVNULL:
                f.close()
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    err.close()
    if p.returncode != 0:
        raise CommandFailed(f"{label or cmd[0]} failed (exit {p.returncode}): {' '.join(cmd)}\n{stderr[-2000:]}")
    result = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss, "stderr": stderr}
    if rusage_file:
        with open(rusage_file) as f:
            fields = f.read().split()
        os.remove(rusage_file)
        result["rss"] = int(fields[-3])
        result["cpu"] = float(fields[-2]) + float(fields[-1])
    return result


# ---------------------------------------------------------------- capture

def capture_for(packets: int, seed: int) -> tuple[str, dict]:
    """The cached capture for these parameters (and this version of make_capture.py and its writer)."""
    h = hashlib.sha256()
    for module in (make_capture, raw, g711):
        with open(module.__file__, "rb") as f:
            h.update(f.read())
    gen = h.hexdigest()[:10]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"uc-{packets}-s{seed}-g{gen}.pcap")
    meta = path[:-5] + ".json"
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta) as f:
            info = json.load(f)
        info["cached"] = True
        return path, info
    # Captures of an older generator for the same parameters are stale.
    for stale in glob.glob(os.path.join(OUT, f"uc-{packets}-s{seed}-g*")):
        os.remove(stale)
    t0 = time.monotonic()
    info = make_capture.generate(path, packets, seed)
    info["generate_s"] = round(time.monotonic() - t0, 1)
    with open(meta, "w") as f:
        json.dump(info, f)
    os.chmod(path, 0o644)
    info["cached"] = False
    return path, info


# ---------------------------------------------------------------- machine

def machine() -> list[str]:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        ver = "tshark not found"
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return [f"nproc {os.cpu_count()}, CPU {model}, RAM {mem}",
            f"{ver}",
            f"Linux {platform.release()}, Python {platform.python_version()}, load average {loadavg()}"]


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def ensure_ndpi() -> str | None:
    exe = shutil.which("ndpiReader")
    if exe or not IS_ROOT:
        return exe
    print("ndpiReader missing: apt-get install -y libndpi-bin", flush=True)
    for cmd in (["apt-get", "install", "-y", "libndpi-bin"], ["apt-get", "update"],
                ["apt-get", "install", "-y", "libndpi-bin"]):
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if r.returncode == 0 and shutil.which("ndpiReader"):
            break
    return shutil.which("ndpiReader")


# ---------------------------------------------------------------- benchmark

def fmt_mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark ciscouc against stock tshark (see bench/README.md)")
    ap.add_argument("--packets", type=int, default=make_capture.DEFAULT_PACKETS,
                    help="packets in the generated capture (default 1,000,000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per configuration (default 5)")
    ap.add_argument("--capture", help="benchmark this capture instead of generating one")
    ap.add_argument("--seed", type=int, default=make_capture.DEFAULT_SEED, help=argparse.SUPPRESS)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a ratio is over budget")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time every workload with labels off and with the heuristics off")
    ap.add_argument("--no-ndpi", action="store_true", help="skip the ndpiReader reference")
    ap.add_argument("--scanner-only", action="store_true",
                    help="time only ciscouc-scan, ndpiReader and tshark -q -z ciscouc,conv side by side")
    a = ap.parse_args(argv)
    if a.runs < 1 or a.packets < 1:
        ap.error("--runs and --packets must be positive")

    print("== Machine")
    for line in machine():
        print("  " + line)

    if a.capture:
        cap = os.path.abspath(a.capture)
        if not os.path.isfile(cap):
            ap.error(f"no such capture: {cap}")
        print(f"== Capture {cap} ({os.path.getsize(cap) / 1e6:.1f} MB, given)")
    else:
        cap, info = capture_for(a.packets, a.seed)
        how = "cached" if info.get("cached") else f"generated in {info.get('generate_s')} s"
        print(f"== Capture {os.path.relpath(cap, ROOT)}: {info['packets']} packets, {info['bytes'] / 1e6:.1f} MB, "
              f"~{100 * info['rtp_share']:.0f}% RTP ({how})")
    sys.stdout.flush()

    try:
        env = Env()
    except CommandFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        rc = 0 if a.scanner_only else bench(a, env, cap)
        bench_scanner(a, env, cap)
        return rc
    except CommandFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        env.cleanup()


def bench(a, env: Env, cap: str) -> int:
    disable = ["--disable-protocol", "ciscouc"]
    for h in HEURISTICS:
        disable += ["--disable-heuristic", h]
    heur_off = [x for h in HEURISTICS for x in ("--disable-heuristic", h)]
    # The capture reaches tshark on stdin (read as /dev/stdin, a seekable regular file), so the
    # unprivileged tshark needs no access to the folder holding it.
    base = ["tshark", "-n", "-r", "/dev/stdin"]
    configs = {  # name -> (plugin folder, extra options, uses the plugin's field)
        "plugin": (env.plugins, [], True),
        "stock": (env.empty, [], False),
        # The budget's baseline: the identical command (the ciscouc field
        # exists, and is empty) with ciscouc and its heuristics disabled.
        "disabled": (env.plugins, disable, True),
        # ciscouc handing the RTP it recognises to Wireshark's RTP dissector.
        "rtp-decode": (env.plugins, ["-o", "ciscouc.rtp_decode:TRUE"], True),
        # Stock with its own RTP heuristic on: it then decodes the same RTP as
        # rtp-decode, so rtp-decode/stock-rtp is ciscouc's cost without the
        # cost of decoding more RTP.
        "stock-rtp": (env.empty, ["--enable-heuristic", "rtp_udp"], False),
        # Every documented use on every packet (-o ciscouc.details:full).
        "full": (env.plugins, ["-o", "ciscouc.details:full"], True),
        # Every documented use shown as a purpose, evidence or not
        # (-o ciscouc.claims:port): the most ciscouc ever writes per packet.
        "port": (env.plugins, ["-o", "ciscouc.claims:port"], True),
    }
    if a.breakdown:
        configs["labels-off"] = (env.plugins, ["-o", "ciscouc.labels:FALSE"], True)
        configs["heur-off"] = (env.plugins, heur_off, True)
    # name -> (options with the ciscouc field, options without it (stock), budgeted, configurations)
    everyday = [n for n in configs if n != "full"]
    workloads = {
        "read": (["-q"], ["-q"], True, ["plugin", "disabled", "stock"]),
        # The everyday command: one summary line per packet (columns, no detail tree).
        "summary": ([], [], True, everyday),
        # A display filter: every packet is dissected with a tree, a few are printed.
        "filter": (["-Y", "ciscouc.flags"], ["-Y", "frame.number == 0"], True, everyday),
        # Batch annotation: tshark writes ciscouc's summary of every packet,
        # where the disabled run writes an empty field. For information: the
        # ratio is mostly tshark 4.0 writing those bytes (see bench/README.md).
        "fields": (["-T", "fields", "-e", "frame.number", "-e", "ciscouc.summary"],
                   ["-T", "fields", "-e", "frame.number"], False, list(configs)),
    }

    # Check what each configuration loads.
    for name, (pdir, _x, _p) in configs.items():
        cmd, e = env.command(["tshark", "-G", "plugins"], pdir)
        out = subprocess.run(cmd, env=e, capture_output=True, text=True).stdout
        loaded = "ciscouc" in out
        if loaded != (pdir == env.plugins):
            raise CommandFailed(f"configuration {name}: ciscouc {'is' if loaded else 'is not'} loaded ({pdir})")
    print("== Plugin: " + os.path.join(env.plugins, "4.0", "epan", "ciscouc.so") +
          " (loaded in plugin/disabled, absent in stock; no other plugins in any configuration)")

    # Warm up: page cache for the capture, the plugin and tshark itself.
    with open(cap, "rb") as f:
        while f.read(1 << 24):
            pass
    for name in ("plugin", "stock"):
        pdir, extra, _p = configs[name]
        cmd, e = env.command(base + ["-q"] + extra, pdir)
        measure(cmd, e, cap, label=f"warm-up {name}")

    results: dict[tuple[str, str], list[dict]] = {}
    out_bytes: dict[tuple[str, str], int] = {}
    out_lines = 0
    for wl, (with_field, without, _budgeted, names) in workloads.items():
        for run in range(a.runs):
            order = names[run % len(names):] + names[:run % len(names)]
            for name in order:
                pdir, extra, uses_field = configs[name]
                cmd, e = env.command(base + (with_field if uses_field else without) + extra, pdir)
                # Batch output goes to a file, as a batch job's would; the rest to /dev/null.
                out = os.path.join(env.work, "fields.out") if wl == "fields" else None
                r = measure(cmd, e, cap, out, label=f"{wl}/{name}")
                if out:
                    out_bytes[(wl, name)] = os.path.getsize(out)
                    if name == "disabled":
                        with open(out, "rb") as f:
                            out_lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
                    os.remove(out)
                results.setdefault((wl, name), []).append(r)
                print(f"  {wl:7s} run {run + 1}/{a.runs} {name:10s} wall {r['wall']:8.2f} s  cpu {r['cpu']:8.2f} s  "
                      f"peak {fmt_mib(r['rss']):>7s} MiB", flush=True)

    # The batch conversation summary, and stock conversation tables for reference.
    extras: dict[str, list[dict]] = {}
    conv_out = os.path.join(env.work, "conv.txt")
    for run in range(a.runs):
        cmd, e = env.command(base + ["-q", "-z", "ciscouc,conv"], env.plugins)
        r = measure(cmd, e, cap, conv_out, label="ciscouc,conv")
        extras.setdefault("ciscouc,conv (plugin)", []).append(r)
        cmd, e = env.command(base + ["-q", "-z", "conv,tcp", "-z", "conv,udp"], env.empty)
        r2 = measure(cmd, e, cap, label="conv,tcp+udp")
        extras.setdefault("conv,tcp+conv,udp (stock)", []).append(r2)
        print(f"  conv    run {run + 1}/{a.runs} ciscouc,conv wall {r['wall']:.2f} s peak {fmt_mib(r['rss'])} MiB; "
              f"stock conv,tcp+udp wall {r2['wall']:.2f} s peak {fmt_mib(r2['rss'])} MiB", flush=True)
    nconv = "?"
    with open(conv_out, errors="replace") as f:
        for line in f:
            if line.startswith("Cisco UC conversations (ciscouc):"):
                nconv = line.split(":")[1].strip()

    ndpi = None if a.no_ndpi else ensure_ndpi()
    if ndpi:
        for run in range(a.runs):
            r = measure([ndpi, "-i", cap, "-q"], None, label="ndpiReader")
            extras.setdefault("ndpiReader -i CAP -q", []).append(r)
            print(f"  ndpi    run {run + 1}/{a.runs} wall {r['wall']:.2f} s peak {fmt_mib(r['rss'])} MiB", flush=True)

    # ---- summary
    def med(rs, k):
        return statistics.median(x[k] for x in rs)

    print()
    print(f"== Summary: medians of {a.runs} run(s); wall and CPU in seconds, peak RSS in MiB; load average now "
          f"{loadavg()}")
    print(f"  {'workload':8s} {'config':10s} {'wall':>9s} {'cpu':>9s} {'peak RSS':>9s}")
    for (wl, name), rs in results.items():
        print(f"  {wl:8s} {name:10s} {med(rs, 'wall'):9.2f} {med(rs, 'cpu'):9.2f} {fmt_mib(med(rs, 'rss')):>9s}")
    over = []
    print()
    print("  Budgeted (read, summary, filter): ciscouc against the identical command with ciscouc and its")
    print("  heuristics disabled, and ciscouc loaded but disabled against stock. The rest is for information.")
    print(f"  {'ratio':30s} {'wall':>6s} {'(budget)':>9s}       {'peak':>6s} {'(budget)':>9s}")

    def ratio_line(wl, name, base, budgeted):
        rs, bs = results[(wl, name)], results[(wl, base)]
        rw = med(rs, "wall") / med(bs, "wall")
        rm = med(rs, "rss") / med(bs, "rss")
        marks = []
        for kind, ratio in (("wall", rw), ("rss", rm)):
            if not budgeted:
                marks.append("info")
            elif ratio <= BUDGET[kind]:
                marks.append("PASS")
            else:
                marks.append("OVER")
                over.append(f"{wl} {name}/{base} {kind} {ratio:.3f}")
        cpu = med(rs, "cpu") / med(bs, "cpu")
        print(f"  {wl + ' ' + name + '/' + base:30s} {rw:6.3f} (<= {BUDGET['wall']:.2f}) {marks[0]:4s}  "
              f"{rm:6.3f} (<= {BUDGET['rss']:.2f}) {marks[1]:4s}  cpu {cpu:.3f}")

    for wl, (_w, _wo, budgeted, names) in workloads.items():
        ratio_line(wl, "plugin", "disabled", budgeted)
        ratio_line(wl, "disabled", "stock", budgeted)
        ratio_line(wl, "plugin", "stock", False)
        if "rtp-decode" in names:
            ratio_line(wl, "rtp-decode", "disabled", False)
            # ciscouc's own cost when it decodes RTP: against stock decoding the same RTP.
            ratio_line(wl, "rtp-decode", "stock-rtp", False)
        for name in names:
            if name not in ("plugin", "stock", "disabled", "rtp-decode", "stock-rtp"):
                ratio_line(wl, name, "disabled", False)
    if out_bytes:
        print()
        print("  fields output (bytes written by the last run): " +
              ", ".join(f"{name} {n / 1e6:.1f} MB" for (_wl, name), n in out_bytes.items()))
        # The most ciscouc writes: claims:port shows a purpose on every labelled packet.
        extra = out_bytes.get(("fields", "port"), 0) - out_bytes.get(("fields", "disabled"), 0)
        rs, bs = results[("fields", "port")], results[("fields", "disabled")]
        dt = med(rs, "wall") - med(bs, "wall")
        if extra > 0 and out_lines:
            print(f"  ciscouc (claims:port) wrote {extra / 1e6:.1f} MB more than the disabled run ({extra / out_lines:.0f} bytes "
                  f"per packet, {out_lines} packets) and took {dt:+.2f} s ({1e9 * dt / extra:.1f} ns per byte)")
    print()
    print(f"  {'other':28s} {'wall':>9s} {'cpu':>9s} {'peak RSS':>9s}")
    for label, rs in extras.items():
        print(f"  {label:28s} {med(rs, 'wall'):9.2f} {med(rs, 'cpu'):9.2f} {fmt_mib(med(rs, 'rss')):>9s}")
    print(f"  (ciscouc,conv listed {nconv} conversations)")
    if not ndpi:
        print("  ndpiReader: not installed" + ("" if IS_ROOT else " (install libndpi-bin as root)")
              if not a.no_ndpi else "  ndpiReader: skipped (--no-ndpi)")
    print()
    if over:
        print("OVER budget: " + "; ".join(over))
    else:
        print("All budgeted ratios within budget.")
    return 1 if (a.strict and over) else 0


SCANNER_GOALS = {"ndpiReader": {"wall": 1.0, "rss": 1.0}, "tshark": {"wall": 0.1}}


def bench_scanner(a, env: Env, cap: str) -> None:
    """ciscouc-scan against ndpiReader and the tshark path, alternating runs (goals reported, not enforced)."""
    scanner = os.path.join(BUILD, "scanner", "ciscouc-scan")
    if not os.access(scanner, os.X_OK):
        raise CommandFailed(f"ciscouc-scan is not built: {scanner} is missing")
    cmd, e = env.command(["tshark", "-n", "-r", "/dev/stdin", "-q", "-z", "ciscouc,conv"], env.plugins)
    tools = {"ciscouc-scan": ([scanner, cap], None, None), "tshark": (cmd, e, cap)}
    ndpi = None if a.no_ndpi else ensure_ndpi()
    if ndpi:
        tools["ndpiReader"] = ([ndpi, "-i", cap, "-q"], None, None)
    print()
    print("== Batch labelling: ciscouc-scan, ndpiReader and tshark -q -z ciscouc,conv, alternating")
    names = list(tools)
    runs: dict[str, list[dict]] = {}
    out = os.path.join(env.work, "scan.out")
    for run in range(a.runs):
        for name in names[run % len(names):] + names[:run % len(names)]:
            argv, envv, stdin = tools[name]
            r = measure(argv, envv, stdin, out, label=name, small=True)
            runs.setdefault(name, []).append(r)
            print(f"  batch   run {run + 1}/{a.runs} {name:12s} wall {r['wall']:8.2f} s  cpu {r['cpu']:8.2f} s  "
                  f"peak {fmt_mib(r['rss']):>7s} MiB", flush=True)
            if name == "ciscouc-scan":
                with open(out, errors="replace") as f:
                    for line in f:
                        if line.startswith("Cisco UC conversations (ciscouc):"):
                            nconv = line.split(":")[1].strip()
    os.remove(out)

    def med(name, k):
        return statistics.median(x[k] for x in runs[name])

    print(f"  {'batch':28s} {'wall':>9s} {'cpu':>9s} {'peak RSS':>9s}")
    for name in names:
        print(f"  {name:28s} {med(name, 'wall'):9.2f} {med(name, 'cpu'):9.2f} {fmt_mib(med(name, 'rss')):>9s}")
    print(f"  (ciscouc-scan listed {nconv} conversations)")
    print(f"  {'ratio':28s} {'wall':>6s} {'cpu':>6s} {'peak':>6s}  goal")
    for other, goal in SCANNER_GOALS.items():
        if other not in runs:
            print(f"  ciscouc-scan/{other}: not measured" + (" (ndpiReader not installed)" if other == "ndpiReader" else ""))
            continue
        rw, rc, rm = (med("ciscouc-scan", k) / med(other, k) for k in ("wall", "cpu", "rss"))
        met = all({"wall": rw, "rss": rm}[k] <= v for k, v in goal.items())
        want = ", ".join(f"{k} <= {v:.1f}x" for k, v in goal.items())
        print(f"  {'ciscouc-scan/' + other:28s} {rw:6.3f} {rc:6.3f} {rm:6.3f}  {want}: {'met' if met else 'NOT met'}")
    if "tshark" in runs:
        print(f"  ciscouc-scan is {med('tshark', 'wall') / med('ciscouc-scan', 'wall'):.1f}x faster than tshark "
              f"-q -z ciscouc,conv (wall)")


if __name__ == "__main__":
    sys.exit(main())
