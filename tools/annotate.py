#!/usr/bin/python3
"""Annotate many captures: one CSV and one JSON Lines row per conversation.

  annotate.py [--csv OUT.csv] [--jsonl OUT.jsonl] [--html DIR] [--jobs N]
              [--engine scan|tshark] [--language english|original]
              [-o PREF:VALUE ...] [--verbose] PATH...

PATH is a capture file or a folder. Folders are searched recursively for
captures by their first bytes (pcap in either byte order, nanosecond pcap,
pcapng, and gzip'd forms of these), whatever the file is called: `tel2.dump`
and `rotated.pcap1` are found, notes and scripts are skipped (--verbose says
why). Files named like captures (*.pcap, *.pcapng, *.cap, .gz) are always
taken, so a damaged one is reported. A file reached twice (same real path) is
annotated once. Each capture is one independent job, run N at a time
(default: every core): with --engine scan (the default when the native scanner
is built, $CISCOUC_BUILD/scanner/ciscouc-scan or build/scanner/ciscouc-scan,
and no --plugin-dir is given) `ciscouc-scan --hosts FILE`; with --engine tshark
`tshark -q -2 -z ciscouc,conv`, plus `-z ciscouc,hosts` where the plugin has
it. Both print the same tables, read by the same parser, so the columns are
the same. The scanner reads what libpcap reads (pcap, pcapng with one link
type; README "Native scanner") and implements the preferences ciscouc.edition,
ciscouc.only_preferred, ciscouc.claims and ciscouc.language; another -o is
refused with --engine scan. --html needs tshark (a page lists each flag's
frames): without --engine it picks tshark, with --engine scan it is refused.

Every capture gets rows: a capture without conversations gets one row with
status `no conversations`. A capture tshark cannot read, or reads only in part
(truncated), is reported on stderr with a clear message; the conversations it
did read are kept, marked with its status, and the run goes on. The exit
status is 1 when any capture failed, 0 otherwise. The columns follow the
plugin's table header: columns a newer plugin prints (evidence, roles) are
carried through. With --html DIR, DIR gets one report page per capture
(see tools/report).

On a terminal, a progress line (files done/total, packets per second) is kept
up to date on stderr; it is left out when stderr is not a terminal.

Across hosts, run one job per file with GNU parallel and merge the JSON Lines
(docs/batch.md has the tested recipe):
  find /data -type f | parallel --sshloginfile hosts \\
      tools/annotate.py --quiet --jsonl {#}.jsonl {}
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import json
import os
import subprocess
import sys
import time

import ucfacts
import ucstats

BASE_COLUMNS = ["capture", "status", *ucstats.CONV_KEYS]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The -o preferences ciscouc-scan implements, and its option for each
# (scanner/main.cpp usage).
SCAN_PREFS = {"ciscouc.edition": "--edition", "ciscouc.only_preferred": "--only-preferred",
              "ciscouc.claims": "--claims", "ciscouc.language": "--language"}


def find_captures(paths: list[str], log=None) -> tuple[list[str], list[tuple[str, str]]]:
    """Captures under paths (files as given, folders by magic), each real path once."""
    found, problems, seen = [], [], set()

    def add(p: str) -> None:
        real = os.path.realpath(p)
        if real in seen:
            if log:
                log(f"{p}: the same file as one already listed, annotated once")
            return
        seen.add(real)
        found.append(p)

    for p in paths:
        if os.path.isdir(p):
            for d, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(d, f)
                    if not os.path.isfile(full):
                        continue
                    if ucfacts.is_capture(full):
                        add(full)
                    elif log:
                        log(f"{full}: skipped, not a capture (no pcap, pcapng or gzip'd capture header)")
        elif os.path.isfile(p):
            add(p)
        else:
            problems.append((p, "no such file or folder"))
    return found, problems


class Progress:
    """One line on a terminal, rewritten in place: files done/total, packets per second."""

    def __init__(self, total: int, stream=sys.stderr, enabled: bool | None = None):
        self.total, self.stream, self.done, self.packets = total, stream, 0, 0
        self.start = time.monotonic()
        self.enabled = stream.isatty() if enabled is None else enabled

    def update(self, packets: int) -> None:
        self.done += 1
        self.packets += packets
        if not self.enabled:
            return
        rate = self.packets / max(time.monotonic() - self.start, 1e-6)
        self.stream.write(f"\rannotate: {self.done}/{self.total} files, {rate:,.0f} packets/s ")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")


def default_scanner() -> str | None:
    """The native scanner's binary when it is built, else None."""
    for b in (os.environ.get("CISCOUC_BUILD"), os.path.join(ROOT, "build")):
        if b and os.access(os.path.join(b, "scanner", "ciscouc-scan"), os.X_OK):
            return os.path.join(b, "scanner", "ciscouc-scan")
    return None


def scan_args(prefs: list[str]) -> list[str]:
    """ciscouc-scan options for the -o preferences; ValueError for one it does not implement."""
    args = []
    for p in prefs:
        name, _, value = p.partition(":")
        option = SCAN_PREFS.get(name.strip())
        if option is None:
            raise ValueError(f"-o {p}: the scan engine implements {', '.join(SCAN_PREFS)} only "
                             f"(use --engine tshark)")
        if option == "--only-preferred":
            if value.strip().upper() in ("TRUE", "1", "YES"):
                args.append(option)
        else:
            args += [option, value.strip()]
    return args


def scan_stats(path: str, scanner: str, args: list[str]) -> dict:
    """ucstats.stats' counterpart with ciscouc-scan: the same result, the same parser."""
    out = {"status": "failed", "message": "", "conversations": [], "hosts": None}
    p = ucstats.guarded_run(path, out, "ciscouc-scan", lambda: subprocess.run(
        [scanner, "--hosts", *args, path], capture_output=True, text=True, errors="replace", timeout=3600))
    if p is None:
        return out
    rows = ucstats.conversations(p.stdout)
    err = " ".join(l.strip() for l in p.stderr.splitlines() if l.strip())
    out["hosts"] = ucstats.hosts(p.stdout)
    out["conversations"] = rows or []
    if p.returncode == 0 and rows is not None:
        out["status"] = "ok" if rows else "no conversations"
    elif p.returncode == 2:  # cut short: the conversations read so far
        out["status"], out["message"] = "truncated", err
    else:
        out["message"] = err or f"ciscouc-scan exited with status {p.returncode}"
    return out


def annotate_one(path: str, prefs: list[str], plugin_dir: str | None, html_dir: str | None = None,
                 page: str | None = None, language: str = "english",
                 scan: tuple[str, list[str]] | None = None) -> tuple[str, dict]:
    """One capture's rows (scan: the scanner binary and its options, else tshark)."""
    if scan:
        return path, scan_stats(path, *scan)
    result = ucstats.stats(path, prefs, plugin_dir)
    if html_dir and result["status"] != "failed":
        import ucreport  # the report is only needed with --html
        try:
            data = ucreport.collect(path, prefs, plugin_dir, stats_result=result, language=language)
            ucreport.write_report(data, os.path.join(html_dir, page))
        except (OSError, ucreport.ReportError) as e:
            result["message"] = (result["message"] + "; " if result["message"] else "") + f"report not written: {e}"
    return path, result


def page_names(captures: list[str]) -> dict[str, str]:
    """One HTML file name per capture: its base name, numbered when two share it."""
    names, used = {}, set()
    for c in captures:
        base = os.path.basename(c) or "capture"
        name, n = base + ".html", 1
        while name in used:
            n += 1
            name = f"{base}-{n}.html"
        used.add(name)
        names[c] = name
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument("--csv", help="CSV output file (default: annotations.csv)")
    ap.add_argument("--jsonl", help="JSON Lines output file (default: annotations.jsonl)")
    ap.add_argument("--html", metavar="DIR", help="also write one HTML report per capture into DIR")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--language", choices=sorted(ucstats.LANGUAGE_PREF), default="english",
                    help="language of purposes: english, or original (the guide's own: Korean, Japanese)")
    ap.add_argument("-o", dest="prefs", action="append", default=[], metavar="PREF:VALUE",
                    help="a Wireshark preference, e.g. ciscouc.edition:cucm-current")
    ap.add_argument("--engine", choices=["scan", "tshark"],
                    help="scan: the native ciscouc-scan (default when built and no --plugin-dir or --html); "
                         "tshark: tshark and the plugin")
    ap.add_argument("--scanner", help="the ciscouc-scan binary (default: $CISCOUC_BUILD/scanner or build/scanner)")
    ap.add_argument("--plugin-dir", help="load the plugin from this folder (holding 4.0/epan/) instead of the installed one")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    ap.add_argument("--verbose", action="store_true", help="one line per capture, and why files were skipped")
    args = ap.parse_args(argv)
    if not args.csv and not args.jsonl:
        args.csv, args.jsonl = "annotations.csv", "annotations.jsonl"
    prefs = [ucstats.LANGUAGE_PREF[args.language], *args.prefs] if args.language != "english" else args.prefs

    def log(msg: str) -> None:
        print(f"annotate: {msg}", file=sys.stderr)

    scanner = args.scanner or default_scanner()
    engine = args.engine or ("scan" if scanner and not args.plugin_dir and not args.html else "tshark")
    scan = None
    if engine == "scan":
        if args.html:
            log("--html needs --engine tshark (a report page lists the frames of each flag, which only tshark "
                "and the plugin give)")
            return 2
        if not scanner or not os.access(scanner, os.X_OK):
            log(f"--engine scan: ciscouc-scan is not built ({scanner or 'build/scanner/ciscouc-scan'} missing; "
                f"cmake --build build, or use --engine tshark)")
            return 2
        try:
            scan = (scanner, scan_args(prefs))
        except ValueError as e:
            log(str(e))
            return 2

    captures, problems = find_captures(args.paths, log if args.verbose else None)
    for p, why in problems:
        log(f"{p}: {why}")
    if args.html:
        os.makedirs(args.html, exist_ok=True)
    pages = page_names(captures)
    failed = len(problems)
    results: dict[str, dict] = {}
    progress = Progress(len(captures), enabled=False if args.quiet else None)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(annotate_one, c, prefs, args.plugin_dir, args.html, pages[c], args.language, scan)
                   for c in captures]
        for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            path, r = fut.result()
            results[path] = r
            packets = sum(int(c["packets"] or 0) for c in r["conversations"] if c["packets"].isdigit())
            if r["status"] in ("failed", "truncated"):
                failed += 1
                if progress.enabled:
                    progress.stream.write("\r")
                log(f"{path}: {r['status']}: {r['message']}")
            elif r["message"]:
                log(f"{path}: {r['message']}")
            if args.verbose:
                log(f"[{n}/{len(captures)}] {path}: {len(r['conversations'])} conversation(s), {r['status']}")
            progress.update(packets)
    progress.finish()
    # Rows in the order the captures were found, so runs compare line by line.
    rows, columns = [], list(BASE_COLUMNS)
    for c in captures:
        r = results[c]
        if r["status"] == "failed":
            continue
        convs = r["conversations"] or [{}]
        for conv in convs:
            conv = {k: v for k, v in conv.items() if k != "flag_details"}
            for k in conv:
                if k not in columns:
                    columns.append(k)
            rows.append({"capture": c, "status": r["status"], **conv})
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=columns, restval="")
            w.writeheader()
            w.writerows(rows)
    if args.jsonl:
        with open(args.jsonl, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({k: r.get(k, "") for k in columns}, ensure_ascii=False) + "\n")
    outs = " and ".join(x for x in (args.csv, args.jsonl) if x)
    conv_rows = sum(len(results[c]["conversations"]) for c in captures)
    log(f"{len(captures)} capture(s), {conv_rows} conversation(s) written to {outs}"
        f"{'; reports in ' + args.html if args.html else ''}; {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
