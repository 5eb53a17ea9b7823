#!/usr/bin/python3
"""Annotate many captures: one CSV and one JSON Lines row per conversation, or a results store.

  annotate [--csv OUT.csv] [--jsonl OUT.jsonl] [--html DIR] [--jobs N]
           [--engine scan|tshark] [--language english|original]
           [--pref NAME:VALUE ...] [--verbose] PATH...
  annotate --db URL [--replace] [--dask tcp://SCHEDULER:8786] PATH...
  annotate --db URL --import FILE.jsonl
  annotate --format table PATH...   (the conversations aligned on the terminal)

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
the same. The scanner reads pcap and pcapng (also pcapng whose interfaces mix
link types), NetXray/Sniffer and NetMon files (README "Native scanner") and implements the preferences ciscouc.edition,
ciscouc.only_preferred, ciscouc.claims and ciscouc.language; another --pref
is refused with --engine scan (-o NAME:VALUE, the old form, still works, with a
deprecation message). --html needs tshark (a page lists each flag's
frames): without --engine it picks tshark, with --engine scan it is refused.

Every path given or found gets rows, each with a status and a message:
  ok                one row per conversation
  no conversations  read whole, no TCP or UDP conversation: one row
  truncated         cut short: the conversations read before the cut
  empty             a file of 0 bytes: one row
  not a capture     a file the engine cannot read as a capture: one row
  unreadable        no permission, or a folder that cannot be listed: one row
  missing           no such file or folder: one row
  failed            any other engine error (the message says which): one row
Both engines give the same status for each case. Each path that is not ok is
also reported on stderr, the run goes on, and the summary line counts each
status. The exit status is 0 when every path is ok or has no conversations,
1 when any has another status (2: a usage error, a store that cannot be
opened, a scheduler that cannot be reached). The columns follow
the plugin's table header: columns a newer plugin prints (evidence, roles) are
carried through; sha256 is the capture file's content hash. With --html DIR,
DIR gets one report page per capture (see tools/report).

--db URL writes every capture (content hash, path, status, counts), its
conversations, hosts and flags to a results store (docs/store.md): a SQLite
file (results.sqlite, the default with --import) or postgresql://... . One
transaction per capture: a batch killed at any point keeps whole captures,
and a rerun skips every capture already stored (same content), unless
--replace. --import FILE.jsonl stores annotate's JSON Lines (or a sensor's).
--dask ADDRESS sends the captures to a Dask distributed scheduler (small ones
several to a task with the scan engine, one a task with tshark); the workers
(PYTHONPATH=<ciscouc>/tools dask worker ADDRESS) list and scan the captures
they can read, with their own ciscouc-scan, or their tshark and the plugin
(--plugin-dir: a folder on the workers), and the results reach the store from
here, one transaction per capture (tools/ucdask.py).

On a terminal, a progress line (files done/total, packets per second) is kept
up to date on stderr; it is left out when stderr is not a terminal.

Across hosts: --dask, or GNU parallel (docs/batch.md has both recipes):
  find /data -type f | parallel --sshloginfile hosts \\
      tools/annotate --quiet --jsonl {#}.jsonl {}
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse

import ucdask
import ucfacts
import ucoptions
import ucstats
import ucstore

BASE_COLUMNS = ["capture", "status", "message", "sha256", *ucstats.CONV_KEYS]
# The statuses of a capture read whole; any other makes the exit status 1.
GOOD = ("ok", "no conversations", "skipped")


def find_captures(paths: list[str], log=None) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Captures under paths (files as given, folders by magic), each real path once,
    and the paths that hold none: (path, status, message), status missing or unreadable."""
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
            def unreadable(e: OSError) -> None:
                problems.append((e.filename, "unreadable", f"cannot list the folder: {e.strerror}"))

            for d, dirs, files in os.walk(p, onerror=unreadable):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(d, f)
                    if not os.path.isfile(full):
                        continue
                    if ucfacts.is_capture(full):
                        add(full)
                    elif log:
                        log(f"{full}: skipped, not a capture (no pcap, pcapng or gzip'd capture header)")
        elif os.path.lexists(p) and not os.path.isdir(p):
            add(p)
        else:
            problems.append((p, *(ucstats.input_problem(p) or ("missing", "no such file or folder"))))
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


def annotate_one(path: str, prefs: list[str], plugin_dir: str | None, html_dir: str | None = None,
                 page: str | None = None, language: str = "english",
                 scan: tuple[str, list[str]] | None = None) -> tuple[str, dict]:
    """One capture's rows (scan: the scanner binary and its options, else tshark)."""
    if scan:
        return path, ucstats.scan_stats(path, *scan)
    result = ucstats.stats(path, prefs, plugin_dir)
    if html_dir and result["status"] in ("ok", "no conversations", "truncated"):
        import ucreport  # the report is only needed with --html
        try:
            data = ucreport.collect(path, prefs, plugin_dir, stats_result=result, language=language)
            out = os.path.join(html_dir, page)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            ports = os.path.join(html_dir, "ports")
            ucreport.write_report(data, out, ports_dir=ports if os.path.isdir(ports) else None)
        except (OSError, ucreport.ReportError) as e:
            result["message"] = (result["message"] + "; " if result["message"] else "") + f"report not written: {e}"
    return path, result


def page_names(captures: list[str]) -> dict[str, str]:
    """One HTML page per capture, named by its path relative to the captures'
    common folder (site1/sip.pcap -> site1/sip.pcap.html), so two captures of
    the same name in different folders keep their folders' names."""
    if not captures:
        return {}
    absolute = {c: os.path.abspath(c) for c in captures}
    common = os.path.commonpath([os.path.dirname(a) for a in absolute.values()])
    return {c: os.path.relpath(a, common) + ".html" for c, a in absolute.items()}


def write_index(html_dir: str, captures: list[str], done: dict[str, dict], pages: dict[str, str]) -> str:
    """html_dir/index.html: every capture with its status, counts, flags and page."""
    import html as h
    rows = []
    for c in captures:
        r = done.get(c)
        if r is None:
            continue
        convs = r["conversations"]
        flags: dict[str, int] = {}
        for conv in convs:
            for f in (x for x in conv.get("flags", "").split(",") if x):
                flags[f] = flags.get(f, 0) + 1
        page = pages.get(c, "")
        has_page = page and os.path.exists(os.path.join(html_dir, page))
        name = h.escape(page[:-5] if page else c)
        link = f'<a href="{h.escape(urllib.parse.quote(page))}">{name}</a>' if has_page else name
        hosts = len({x for conv in convs for x in (ucstats.split_endpoint(conv["client"])[0],
                                                  ucstats.split_endpoint(conv["server"])[0])})
        rows.append(f'<tr class="status-{h.escape(r["status"].replace(" ", "-"))}"><td>{link}</td>'
                    f'<td>{h.escape(r["status"])}</td><td>{len(convs)}</td><td>{hosts}</td>'
                    f'<td>{h.escape(", ".join(f"{f} × {n}" for f, n in flags.items()))}</td>'
                    f'<td>{h.escape(r.get("message", ""))}</td></tr>')
    text = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Cisco UC reports</title>"
            "<style>body{font-family:\"DejaVu Sans\",Arial,sans-serif;margin:1.2em 2em;font-size:14px}"
            "table{border-collapse:collapse}th,td{border:1px solid #d4d4d4;padding:3px 6px;text-align:left}"
            "th{background:#f0f0f0}tr:not(.status-ok):not(.status-no-conversations) td{background:#fff0f0}"
            "</style></head><body>\n<h1>Cisco UC reports</h1>\n"
            f"<p>{len(rows)} capture(s). The port reference: <a href=\"ports/index.html\">ports/</a>.</p>\n"
            "<table id=\"captures\"><thead><tr><th>Capture</th><th>Status</th><th>Conversations</th><th>Hosts</th>"
            "<th>Flags</th><th>Message</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n"
            "</body></html>\n")
    out = os.path.join(html_dir, "index.html")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return out


def this_worker() -> str:
    """The Dask worker running this task ("" outside Dask)."""
    d = sys.modules.get("distributed")
    if d is not None:
        try:
            return d.get_worker().address
        except Exception:  # not in a worker (get_worker raises ValueError)
            pass
    return ""


def scan_capture(path: str, job: dict, known: str | None = None, page: str | None = None) -> dict:
    """One capture where it is read (this process, or a Dask worker): its content hash,
    size, status and rows (annotate_one's result). known: the hash stored for this path;
    the same content again is not scanned (status "skipped"). job: prefs, plugin_dir,
    html_dir, language, scan (the scanner, None for this host's own, and its options;
    absent for tshark)."""
    where = this_worker()
    base = {"path": path, "worker": where, "sha256": "", "size": None, "status": "failed", "message": "",
            "conversations": [], "hosts": None}
    try:
        sha, size = ucstore.file_digest(path)
    except OSError as e:
        status, message = ucstats.input_problem(path) or ("unreadable", f"cannot read: {e.strerror}")
        return {**base, "status": status, "message": message}
    base.update(sha256=sha, size=size)
    if known == sha:
        return {**base, "status": "skipped"}
    # What this host lacks is no fact about the capture: such a result has no hash, so it
    # is not stored and a rerun on a host that has it scans the capture.
    scan = job.get("scan")
    if scan is not None and not scan[0]:
        scanner = ucstats.default_scanner()
        if scanner is None:
            return {**base, "sha256": "", "message": "ciscouc-scan is not built on this host (cmake --build build, "
                                                     "or --scanner)"}
        scan = (scanner, scan[1])
    if scan is None and job["plugin_dir"] and not os.path.isdir(job["plugin_dir"]):
        return {**base, "sha256": "", "message": f"--plugin-dir {job['plugin_dir']}: no such folder"}
    _, r = annotate_one(path, job["prefs"], job["plugin_dir"], job["html_dir"], page, job["language"], scan)
    return {**base, **r}


def local_results(captures: list[str], job: dict, known: dict, pages: dict, jobs: int):
    """scan_capture's results as they complete, N captures at a time on this machine."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(scan_capture, c, job, known.get(c), pages[c]) for c in captures]
        try:
            for fut in concurrent.futures.as_completed(futures):
                yield fut.result()
        finally:
            for f in futures:
                f.cancel()


def import_jsonl(store: ucstore.Store, files: list[str], replace: bool, log) -> int:
    """Stores annotate's JSON Lines files; the exit status."""
    status = 0
    for f in files:
        try:
            caps = ucstore.read_jsonl(f)
        except ucstore.StoreError as e:
            log(str(e))
            status = 1
            continue
        done = {"stored": 0, "replaced": 0, "present": 0}
        for cap in caps:
            done[store.put(cap, replace)] += 1  # a StoreError stops the import
        log(f"{f}: {len(caps)} capture(s): {done['stored'] + done['replaced']} stored in {store.name}, "
            f"{done['present']} already there")
    return status


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="annotate", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("paths", nargs="*", metavar="PATH")
    ap.add_argument("--csv", help="CSV output file (default without --db: annotations.csv)")
    ap.add_argument("--jsonl", help="JSON Lines output file (default without --db: annotations.jsonl)")
    ap.add_argument("--db", metavar="URL", help="results store: a SQLite file (results.sqlite) or postgresql://...")
    ap.add_argument("--replace", action="store_true", help="store again captures the store already holds")
    ap.add_argument("--import", dest="imports", action="append", default=[], metavar="FILE.jsonl",
                    help="store annotate's JSON Lines file (default store: results.sqlite)")
    ap.add_argument("--dask", metavar="tcp://SCHEDULER:8786", help="scan the captures on this Dask cluster (tools/ucdask.py)")
    ap.add_argument("--dask-timeout", type=float, default=30, metavar="SECONDS",
                    help="how long to wait for the scheduler and a first worker (default 30)")
    ap.add_argument("--dask-batch", type=int, metavar="N",
                    help="with --engine scan, at most N small captures a Dask task (default: automatic)")
    ap.add_argument("--html", metavar="DIR", help="also write one HTML report per capture into DIR")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--language", choices=sorted(ucstats.LANGUAGE_PREF), default="english",
                    help="language of purposes: english, or original (the guide's own: Korean, Japanese)")
    ucoptions.add_pref(ap)
    ap.add_argument("-o", dest="old_prefs", action="append", default=[], type=ucoptions.pref, metavar="NAME:VALUE",
                    help="deprecated: the same as --pref")
    ap.add_argument("--engine", choices=["scan", "tshark"],
                    help="scan: the native ciscouc-scan (default when built and no --plugin-dir or --html); "
                         "tshark: tshark and the plugin")
    ap.add_argument("--scanner", help="the ciscouc-scan binary (default: $CISCOUC_BUILD/scanner or build/scanner; "
                                      "with --dask, each worker's own)")
    ap.add_argument("--plugin-dir", help="load the plugin from this folder (holding 4.0/epan/) instead of the installed one")
    ap.add_argument("--format", choices=["files", "table"], default="files",
                    help="files (default): the CSV and JSON Lines files; table: each capture's conversations "
                         "(and hosts) as an aligned table on standard output, purposes cut to fit the terminal "
                         "($COLUMNS, else 120); --csv and --jsonl still write their files")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    ap.add_argument("--verbose", action="store_true", help="one line per capture, and why files were skipped")
    args = ap.parse_args(argv)
    if not args.paths and not args.imports:
        ap.error("give a PATH (or --import FILE.jsonl)")
    for p in args.old_prefs:
        print(f"annotate: -o {p} is deprecated (-o names the output in the other tools): use --pref {p}",
              file=sys.stderr)
    args.prefs = args.old_prefs + args.prefs
    if not args.csv and not args.jsonl and not args.db and not args.imports and args.format == "files":
        args.csv, args.jsonl = "annotations.csv", "annotations.jsonl"
    prefs = [ucstats.LANGUAGE_PREF[args.language], *args.prefs] if args.language != "english" else args.prefs

    def log(msg: str, verbose: bool = False) -> None:
        if args.verbose or not verbose:
            print(f"annotate: {msg}", file=sys.stderr)

    if args.dask_batch is not None and args.dask_batch < 1:
        log(f"--dask-batch {args.dask_batch}: give a number of captures, 1 or more")
        return 2
    if args.dask and args.html:
        log("--html writes the pages where annotate runs: not with --dask")
        return 2
    scanner = args.scanner or ucstats.default_scanner()
    engine = args.engine or ("scan" if (scanner or args.dask) and not args.plugin_dir and not args.html else "tshark")
    scan = None
    if engine == "scan":
        if args.html:
            log("--html needs --engine tshark (a report page lists the frames of each flag, which only tshark "
                "and the plugin give)")
            return 2
        if not args.dask and (not scanner or not os.access(scanner, os.X_OK)):
            log(f"--engine scan: ciscouc-scan is not built ({scanner or 'build/scanner/ciscouc-scan'} missing; "
                f"cmake --build build, or use --engine tshark)")
            return 2
        try:
            # With --dask, None: each worker runs its own build's scanner.
            scan = (args.scanner if args.dask else scanner, ucstats.scan_args(prefs))
        except ValueError as e:
            log(str(e))
            return 2

    store = None
    if args.db or args.imports:
        try:
            store = ucstore.open_store(args.db or "results.sqlite")
        except ucstore.StoreError as e:
            log(str(e))
            return 2
    try:
        return run(args, prefs, engine, scan, store, log)
    except ucstore.StoreError as e:
        log(f"{e}; stopped (the captures stored before are whole; run again to go on)")
        return 1
    except ucdask.DaskError as e:
        log(str(e))
        return 2
    except OSError as e:  # an output that cannot be written
        log(f"{e.filename or ''}: cannot write: {e.strerror}")
        return 2
    finally:
        if store:
            store.close()


def write_tables(out, captures: list[str], done: dict[str, dict]) -> None:
    """--format table: per capture, "== PATH: STATUS" (and its message), then
    its conversations and hosts aligned (ucstats.terminal_table)."""
    width = shutil.get_terminal_size((120, 24)).columns
    for c in captures:
        r = done.get(c)
        if r is None:
            continue
        out.write(f"== {c}: {r['status']}{' (' + r['message'] + ')' if r['message'] else ''}\n")
        if not r["conversations"] and r["status"] not in GOOD:
            out.write("\n")
            continue
        out.write(ucstats.terminal_table("conversations", r["conversations"], width))
        if r.get("hosts"):
            out.write(ucstats.terminal_table("hosts", r["hosts"], width))


def run(args, prefs: list[str], engine: str, scan, store, log) -> int:
    status = import_jsonl(store, args.imports, args.replace, log) if args.imports else 0
    if not args.paths:
        return status
    plugin_dir = os.path.abspath(args.plugin_dir) if args.plugin_dir else None  # the workers' cwd differs
    job = {"prefs": prefs, "plugin_dir": plugin_dir, "html_dir": args.html, "language": args.language,
           "scan": scan}
    known = store.stored_paths() if store and not args.replace else {}
    if args.dask:
        captures: list[str] = []
        failed = 0
        results = ucdask.results(args.dask, args.paths, job, known, args.dask_timeout, log, args.dask_batch)
    else:
        captures, problems = find_captures(args.paths, log if args.verbose else None)
        pages = page_names(captures)
        if args.html:
            os.makedirs(args.html, exist_ok=True)
            import ucports  # the port reference beside the pages, as HTML
            import ucreport
            ucports.write_html(ucreport.default_port_reference(), os.path.join(args.html, "ports"))
        failed = 0
        results = itertools.chain(local_results(captures, job, known, pages, args.jobs),
                                  ({"path": p, "worker": "", "sha256": "", "status": st, "message": why,
                                    "conversations": [], "hosts": None} for p, st, why in problems))
        captures = captures + [p for p, _, _ in problems]
    done: dict[str, dict] = {}
    kept = {"stored": 0, "replaced": 0, "present": 0, "skipped": 0}
    progress = Progress(len(captures), enabled=False if args.quiet or args.dask else None)
    try:
        for n, r in enumerate(results, 1):
            path = r["path"]
            where = f" on Dask worker {r['worker']}" if r.get("worker") else ""
            if r["status"] == "skipped":
                kept["skipped"] += 1
                log(f"[{n}] {path}: already in the store, not scanned again", verbose=True)
                progress.update(0)
                continue
            if args.dask:
                captures.append(path)
            done[path] = r
            packets = sum(int(c["packets"] or 0) for c in r["conversations"] if c["packets"].isdigit())
            if r["status"] not in GOOD:
                failed += 1
                if progress.enabled:
                    progress.stream.write("\r")
                log(f"{path}: {r['status']}{where}: {r['message']}")
            elif r["message"]:
                log(f"{path}: {r['message']}")
            if store and r["sha256"]:
                kept[store.put({**r, "engine": engine}, args.replace)] += 1
            if args.verbose:
                log(f"[{n}/{len(captures) if not args.dask else '?'}] {path}: {len(r['conversations'])} "
                    f"conversation(s), {r['status']}{where}")
            progress.update(packets)
    finally:
        if hasattr(results, "close"):
            results.close()
    progress.finish()
    # Rows in the order the captures were found, so runs compare line by line.
    rows, columns = [], list(BASE_COLUMNS)
    for c in (captures if not args.dask else sorted(captures)):
        r = done.get(c)
        if r is None:  # already stored, not scanned again
            continue
        convs = r["conversations"] or [{}]
        for conv in convs:
            conv = {k: v for k, v in conv.items() if k != "flag_details"}
            for k in conv:
                if k not in columns:
                    columns.append(k)
            rows.append({"capture": c, "status": r["status"], "message": r["message"], "sha256": r["sha256"], **conv})
    if args.html and not args.dask:
        write_index(args.html, captures, done, pages)
    if args.format == "table":
        write_tables(sys.stdout, captures if not args.dask else sorted(captures), done)
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=columns, restval="")
            w.writeheader()
            w.writerows(rows)
    if args.jsonl:
        with open(args.jsonl, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({k: r.get(k, "") for k in columns}, ensure_ascii=False) + "\n")
    conv_rows = sum(len(r["conversations"]) for r in done.values())
    outs = [x for x in (args.csv, args.jsonl) if x]
    counts = {st: n for st in ucstats.STATUSES if (n := sum(1 for r in done.values() if r["status"] == st))}
    by_status = ", ".join(f"{n} {st}" for st, n in counts.items()) or "none"
    if store:
        there = kept["present"] + kept["skipped"]
        log(f"{len(done) + kept['skipped']} capture(s): {kept['stored'] + kept['replaced']} stored in {store.name}, "
            f"{there} already there{'; ' + by_status if counts else ''}; {conv_rows} conversation(s) scanned"
            f"{'; rows written to ' + ' and '.join(outs) if outs else ''}")
    else:
        log(f"{len(captures)} path(s): {by_status}; {conv_rows} conversation(s) written to "
            f"{' and '.join(outs + (['standard output'] if args.format == 'table' else []))}"
            f"{'; reports in ' + args.html if args.html else ''}")
    return 1 if failed or status else 0


if __name__ == "__main__":
    sys.exit(main())
