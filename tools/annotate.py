#!/usr/bin/python3
"""Annotate many captures: one CSV and one JSON Lines row per conversation.

  annotate.py [--csv OUT.csv] [--jsonl OUT.jsonl] [--jobs N] [--engine scan|tshark] [-o PREF:VALUE ...] PATH...

PATH is a capture file or a folder (searched recursively for *.pcap, *.pcapng,
*.cap and their .gz forms). Each capture is one independent job, run N at a
time (default: every core): with --engine scan (the default when the native
scanner is built: $CISCOUC_BUILD/scanner/ciscouc-scan or build/scanner/ciscouc-scan)
`ciscouc-scan FILE`, with --engine tshark `tshark -q -2 -z ciscouc,conv` and
the plugin. Both write the same columns; the scanner reads what libpcap reads
(pcap, pcapng with one link type; README "Native scanner" lists what it decodes).
Progress goes to stderr. A capture tshark cannot read, or reads only in part
(truncated), is reported with a clear message; the conversations it did read
are kept, marked with its status, and the run goes on. The exit status is 1
when any capture failed, 0 otherwise.

Across hosts, run one job per file with GNU parallel, e.g.
  find /data -name '*.pcap*' | parallel --sshloginfile hosts \\
      tools/annotate.py --jsonl {}.jsonl {}
and concatenate the JSON Lines files.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import json
import os
import subprocess
import sys

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz")
# The conversation table's columns (plugins/ciscouc/stats.cpp conv_draw; ciscouc-scan prints the same):
# header text -> output column. The evidence columns come last; a table without them leaves them empty.
TABLE_COLUMNS = {"Client": "client", "Server": "server", "Transport": "transport", "Listener": "listener_port",
                 "Packets": "packets", "Bytes": "bytes", "First": "first", "Last": "last", "Detected": "detected",
                 "Flags": "flags", "Product": "product", "Entry": "entry", "Purpose": "purpose",
                 "Other uses": "other_uses", "Evidence": "evidence", "Evidence detail": "evidence_detail",
                 "Client role": "client_role", "Server role": "server_role"}
COLUMNS = ["capture", "status", *TABLE_COLUMNS.values()]
STAT_HEADER = "Client\tServer\tTransport\tListener\tPackets\tBytes\tFirst\tLast\tDetected\tFlags\tProduct\tEntry\tPurpose\tOther uses"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_captures(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    found, problems = [], []
    for p in paths:
        if os.path.isdir(p):
            for d, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.lower().endswith(CAPTURE_SUFFIXES):
                        found.append(os.path.join(d, f))
        elif os.path.isfile(p):
            found.append(p)
        else:
            problems.append((p, "no such file or folder"))
    return found, problems


def tshark_command(prefs: list[str], plugin_dir: str | None) -> tuple[list[str], dict]:
    env = dict(os.environ, TZ="UTC")
    cmd = ["tshark", "-q", "-2", "-r", "/dev/stdin", "-z", "ciscouc,conv"]
    for p in prefs:
        cmd += ["-o", p]
    if plugin_dir:
        env["WIRESHARK_PLUGIN_DIR"] = plugin_dir
        if os.geteuid() == 0:  # root ignores WIRESHARK_PLUGIN_DIR: run tshark unprivileged
            home = env.get("CISCOUC_TSHARK_HOME", "/tmp")
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env",
                   f"WIRESHARK_PLUGIN_DIR={plugin_dir}", f"HOME={home}", "TZ=UTC", *cmd]
    return cmd, env


def parse_conv(stdout: str) -> list[dict] | None:
    """The rows of a conversation table (None when there is none). Columns are
    read from its header line, so a table with or without the evidence columns
    parses; a column the header lacks is left empty."""
    rows, names = [], None
    for line in stdout.splitlines():
        if names is None:
            if line.startswith(STAT_HEADER):
                heads = line.split("\t")
                names = [TABLE_COLUMNS.get(h, h) for h in heads]
            continue
        if line.startswith("====="):
            break
        cells = line.split("\t")
        if len(cells) != len(names):
            continue
        row = dict.fromkeys(TABLE_COLUMNS.values(), "")
        row.update(zip(names, cells))
        rows.append(row)
    return rows if names is not None else None


def table_columns(stdout: str) -> list[str]:
    """Output column names of the table's header line (empty when none)."""
    for line in stdout.splitlines():
        if line.startswith(STAT_HEADER):
            return [TABLE_COLUMNS.get(h, h) for h in line.split("\t")]
    return []


def default_scanner() -> str | None:
    """The native scanner's binary when it is built, else None."""
    builds = [os.environ.get("CISCOUC_BUILD"), os.path.join(ROOT, "build")]
    for b in builds:
        if b and os.access(os.path.join(b, "scanner", "ciscouc-scan"), os.X_OK):
            return os.path.join(b, "scanner", "ciscouc-scan")
    return None


def scan_prefs(prefs: list[str]) -> list[str]:
    """ciscouc-scan options for the -o preferences it implements; ValueError for others."""
    args = []
    for p in prefs:
        name, _, value = p.partition(":")
        if name == "ciscouc.edition":
            args += ["--edition", value]
        elif name == "ciscouc.only_preferred":
            if value.strip().upper() in ("TRUE", "1", "YES"):
                args.append("--only-preferred")
        else:
            raise ValueError(f"-o {p}: the scan engine implements ciscouc.edition and ciscouc.only_preferred "
                             f"only (use --engine tshark)")
    return args


def scan_one(path: str, scanner: str, args: list[str]) -> tuple[str, str, list[dict], str]:
    """annotate_one's counterpart with ciscouc-scan: (path, status, rows, message)."""
    try:
        if os.path.getsize(path) == 0:
            return path, "failed", [], "empty file (0 bytes): not a capture"
        p = subprocess.run([scanner, *args, path], capture_output=True, text=True, errors="replace", timeout=3600)
    except OSError as e:
        return path, "failed", [], f"cannot read: {e.strerror}"
    except subprocess.TimeoutExpired:
        return path, "failed", [], "ciscouc-scan did not finish within an hour"
    rows = parse_conv(p.stdout)
    err = " ".join(l.strip() for l in p.stderr.splitlines() if l.strip())
    if p.returncode == 0 and rows is not None:
        return path, "ok", rows, ""
    if p.returncode == 2:
        return path, "truncated", rows or [], err
    return path, "failed", [], err or f"ciscouc-scan exited with status {p.returncode}"


def annotate_one(path: str, prefs: list[str], plugin_dir: str | None) -> tuple[str, str, list[dict], str]:
    """Returns (path, status, rows, message); status ok | truncated | failed."""
    cmd, env = tshark_command(prefs, plugin_dir)
    try:
        if os.path.getsize(path) == 0:
            # tshark reads an empty file as zero packets without complaint.
            return path, "failed", [], "empty file (0 bytes): not a capture"
        with open(path, "rb") as f:
            p = subprocess.run(cmd, stdin=f, env=env, capture_output=True, text=True, errors="replace",
                               timeout=3600)
    except OSError as e:
        return path, "failed", [], f"cannot read: {e.strerror}"
    except subprocess.TimeoutExpired:
        return path, "failed", [], "tshark did not finish within an hour"
    rows = parse_conv(p.stdout) or []
    err = " ".join(l.strip() for l in p.stderr.splitlines() if l.strip())
    err = err.replace("/dev/stdin", os.path.basename(path)).replace("The standard input", os.path.basename(path))
    if p.returncode == 0 and parse_conv(p.stdout) is not None:
        return path, "ok", rows, ""
    if parse_conv(p.stdout) is None and p.returncode == 0:
        return path, "failed", [], "the ciscouc plugin is not loaded (no ciscouc,conv table; run ./setup.sh)"
    status = "truncated" if rows or "cut short" in err else "failed"
    return path, status, rows, err or f"tshark exited with status {p.returncode}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument("--csv", help="CSV output file (default: annotations.csv)")
    ap.add_argument("--jsonl", help="JSON Lines output file (default: annotations.jsonl)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("-o", dest="prefs", action="append", default=[], metavar="PREF:VALUE",
                    help="a Wireshark preference, e.g. ciscouc.edition:cucm-current")
    ap.add_argument("--plugin-dir", help="load the plugin from this folder (holding 4.0/epan/) instead of the installed one")
    ap.add_argument("--engine", choices=["scan", "tshark"],
                    help="scan: the native ciscouc-scan (default when built); tshark: tshark and the plugin")
    ap.add_argument("--scanner", help="the ciscouc-scan binary (default: $CISCOUC_BUILD/scanner or build/scanner)")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    if not args.csv and not args.jsonl:
        args.csv, args.jsonl = "annotations.csv", "annotations.jsonl"
    scanner = args.scanner or default_scanner()
    engine = args.engine or ("scan" if scanner and not args.plugin_dir else "tshark")
    if engine == "scan":
        if not scanner or not os.access(scanner, os.X_OK):
            print(f"annotate: --engine scan: ciscouc-scan is not built ({scanner or 'build/scanner/ciscouc-scan'} "
                  f"missing; cmake --build build, or use --engine tshark)", file=sys.stderr)
            return 2
        try:
            scan_args = scan_prefs(args.prefs)
        except ValueError as e:
            print(f"annotate: {e}", file=sys.stderr)
            return 2
    captures, problems = find_captures(args.paths)
    for p, why in problems:
        print(f"annotate: {p}: {why}", file=sys.stderr)
    failed = len(problems)
    total_rows = 0
    csv_f = open(args.csv, "w", newline="", encoding="utf-8") if args.csv else None
    jsonl_f = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    writer = csv.DictWriter(csv_f, fieldnames=COLUMNS) if csv_f else None
    if writer:
        writer.writeheader()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            if engine == "scan":
                futures = [pool.submit(scan_one, c, scanner, scan_args) for c in captures]
            else:
                futures = [pool.submit(annotate_one, c, args.prefs, args.plugin_dir) for c in captures]
            for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                path, status, rows, message = fut.result()
                for r in rows:
                    r = {"capture": path, "status": status, **r}
                    if writer:
                        writer.writerow(r)
                    if jsonl_f:
                        jsonl_f.write(json.dumps(r, ensure_ascii=False) + "\n")
                total_rows += len(rows)
                if status != "ok":
                    failed += 1
                    print(f"annotate: {path}: {status}: {message}", file=sys.stderr)
                if not args.quiet:
                    print(f"annotate: [{n}/{len(captures)}] {path}: {len(rows)} conversation(s), {status}",
                          file=sys.stderr)
    finally:
        for f in (csv_f, jsonl_f):
            if f:
                f.close()
    outs = " and ".join(x for x in (args.csv, args.jsonl) if x)
    print(f"annotate: {len(captures)} capture(s), {total_rows} conversation(s) written to {outs}; "
          f"{failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
