#!/usr/bin/python3
"""Annotate many captures: one CSV and one JSON Lines row per conversation.

  annotate.py [--csv OUT.csv] [--jsonl OUT.jsonl] [--jobs N] [-o PREF:VALUE ...] PATH...

PATH is a capture file or a folder (searched recursively for *.pcap, *.pcapng,
*.cap and their .gz forms). Each capture is one independent tshark job
(`tshark -q -2 -z ciscouc,conv`), run N at a time (default: every core).
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
COLUMNS = ["capture", "status", "client", "server", "transport", "listener_port", "packets", "bytes",
           "first", "last", "detected", "flags", "product", "entry", "purpose", "other_uses",
           "evidence", "evidence_detail", "client_role", "server_role"]
# -z ciscouc,conv header -> column name.
HEADER_NAMES = {"Listener": "listener_port", "Other uses": "other_uses", "Evidence detail": "evidence_detail",
                "Client role": "client_role", "Server role": "server_role"}
STAT_HEADER = "Client\tServer\tTransport\tListener\tPackets\tBytes\tFirst\tLast\tDetected\tFlags\tProduct\tEntry\tPurpose\tOther uses"


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
    """The -z ciscouc,conv rows, by the header line's column names (columns
    the plugin adds later flow through as long as they are in HEADER_NAMES)."""
    rows, names = [], None
    for line in stdout.splitlines():
        if names is None:
            if line.startswith(STAT_HEADER):
                names = [HEADER_NAMES.get(h, h.lower().replace(" ", "_")) for h in line.split("\t")]
            continue
        if line.startswith("====="):
            break
        cells = line.split("\t")
        if len(cells) != len(names):
            continue
        rows.append(dict(zip(names, cells)))
    return rows if names is not None else None


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
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    if not args.csv and not args.jsonl:
        args.csv, args.jsonl = "annotations.csv", "annotations.jsonl"
    captures, problems = find_captures(args.paths)
    for p, why in problems:
        print(f"annotate: {p}: {why}", file=sys.stderr)
    failed = len(problems)
    total_rows = 0
    csv_f = open(args.csv, "w", newline="", encoding="utf-8") if args.csv else None
    jsonl_f = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    writer = csv.DictWriter(csv_f, fieldnames=COLUMNS, extrasaction="ignore") if csv_f else None
    if writer:
        writer.writeheader()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
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
