"""Run tshark with the ciscouc plugin on one capture and read its statistics.

Shared by tools/annotate.py (batch rows), tools/report (one HTML page) and
tools/plan (the firewall plan); scan_stats() is the same result read from the
native scanner (ciscouc-scan).
The `-z ciscouc,conv` and `-z ciscouc,hosts` blocks are read by the column
names of their header line, never by position, so columns a newer plugin adds
flow through to every output. A plugin without the hosts statistic is run
again without it (and remembered), so the hosts table is simply absent.
"""
from __future__ import annotations

import os
import re
import subprocess
import tomllib

# The tables' titles and columns, defined once in catalog/vocabulary.toml
# [tables.*] (the core's table writer prints them from the same data).
with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "catalog", "vocabulary.toml"),
          "rb") as _f:
    _TABLES = tomllib.load(_f)["tables"]
CONV_TITLE = _TABLES["conversations"]["title"]
HOSTS_TITLE = _TABLES["hosts"]["title"]
# Column titles as the tables print them -> output keys. Titles of an older or
# newer plugin that the vocabulary does not list become snake_case
# ("Evidence detail" -> evidence_detail).
KEY_NAMES = {title: key for t in _TABLES.values() for title, key in t["columns"]}
# The conversation columns every output carries, in this order, even when the
# plugin does not print them yet (empty then).
CONV_KEYS = [key for _, key in _TABLES["conversations"]["columns"]]
HOST_KEYS = [key for _, key in _TABLES["hosts"]["columns"]]
LANGUAGE_PREF = {"english": "ciscouc.language:english", "original": "ciscouc.language:original"}
# tshark's warning when started as root; it says nothing about the capture.
ROOT_NOTICE = re.compile(r'^\s*Running as user "[^"]*" and group "[^"]*"\. This could be dangerous\.\s*$')
# The -o preferences ciscouc-scan implements, and its option for each
# (scanner/main.cpp usage).
SCAN_PREFS = {"ciscouc.edition": "--edition", "ciscouc.only_preferred": "--only-preferred",
              "ciscouc.claims": "--claims", "ciscouc.language": "--language"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ciscouc-scan's footer on stderr (scanner/scan.cpp Scanner::print_footer).
SCAN_FOOTER = re.compile(r"^ciscouc-scan: .*: \d+ frames, \d+ in \d+ TCP/UDP conversations")
_hosts_supported = True  # cleared when tshark rejects -z ciscouc,hosts


# `--format table` (core/terminal_table.cpp does the same for ciscouc-scan):
# the [tables.*] terminal columns, aligned two spaces apart, the last cut with
# "…" to fit the width. Wide and fullwidth blocks of Unicode's East Asian Width
# property (UAX #11), as the C++ lists them.
_WIDE = ((0x1100, 0x115F), (0x2E80, 0x303E), (0x3040, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF),
         (0xFE30, 0xFE4F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x20000, 0x3FFFD))


def display_width(text: str) -> int:
    return sum(2 if any(a <= ord(ch) <= b for a, b in _WIDE) else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w + 1 > width:
            break
        out, used = out + ch, used + w
    return out + "\u2026"


def terminal_table(table: str, rows: list[dict], width: int) -> str:
    """The block of table "conversations" or "hosts" as `--format table` prints
    it: "TITLE: N", the terminal columns' titles, one line per row, a blank line."""
    t = _TABLES[table]
    titles = dict((key, title) for title, key in t["columns"])
    keys = t["terminal"]
    lines = [[titles[k] for k in keys]] + [[r.get(k, "") or "" for k in keys] for r in rows]
    widths = [max(display_width(l[i]) for l in lines) for i in range(len(keys) - 1)]
    used = sum(w + 2 for w in widths)
    room = width - used if width > used + 12 else 12
    out = [f"{t['title']}: {len(rows)}"]
    for l in lines:
        text = "".join(c + " " * (w - display_width(c) + 2) for c, w in zip(l, widths)) + _fit(l[-1], room)
        out.append(text.rstrip(" "))
    return "\n".join(out) + "\n\n"


def key_of(title: str) -> str:
    return KEY_NAMES.get(title, re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_"))


def tshark_command(args: list[str], prefs: list[str], plugin_dir: str | None) -> tuple[list[str], dict]:
    """tshark reading the capture from stdin, with the plugin from plugin_dir if given."""
    env = dict(os.environ, TZ="UTC")
    cmd = ["tshark", *args]
    for p in prefs:
        cmd += ["-o", p]
    if plugin_dir:
        env["WIRESHARK_PLUGIN_DIR"] = plugin_dir
        if os.geteuid() == 0:  # root ignores WIRESHARK_PLUGIN_DIR: run tshark unprivileged
            home = env.get("CISCOUC_TSHARK_HOME", "/tmp")
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env",
                   f"WIRESHARK_PLUGIN_DIR={plugin_dir}", f"HOME={home}", "TZ=UTC", *cmd]
    return cmd, env


def run_tshark(path: str, args: list[str], prefs: list[str], plugin_dir: str | None,
               timeout: int = 3600) -> subprocess.CompletedProcess:
    """Runs tshark on the capture at path, opened here and read as /dev/stdin (an
    unprivileged tshark needs no access to its folder; a regular file on stdin
    stays seekable, which -2 needs)."""
    cmd, env = tshark_command(["-r", "/dev/stdin", *args], prefs, plugin_dir)
    with open(path, "rb") as f:
        return subprocess.run(cmd, stdin=f, env=env, capture_output=True, text=True, errors="replace",
                              timeout=timeout)


def clean_errors(stderr: str, path: str) -> str:
    """tshark's stderr as one line naming the capture, without the root notice."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip() and not ROOT_NOTICE.match(l)]
    name = os.path.basename(path)
    return " ".join(lines).replace("/dev/stdin", name).replace("The standard input", name)


def parse_blocks(stdout: str) -> dict[str, tuple[list[str], list[dict]]]:
    """Every ciscouc statistics block: title -> (column keys, rows as dicts).

    A block is a ===== line, "TITLE: N", a tab-separated header line, rows, and
    a closing ===== line."""
    blocks: dict[str, tuple[list[str], list[dict]]] = {}
    lines = stdout.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(Cisco UC [^:]*\(ciscouc\)): \d+$", lines[i])
        if not m or i + 1 >= len(lines):
            i += 1
            continue
        keys = [key_of(t) for t in lines[i + 1].split("\t")]
        rows = []
        i += 2
        while i < len(lines) and not lines[i].startswith("====="):
            cells = lines[i].split("\t")
            if len(cells) == len(keys):
                rows.append(dict(zip(keys, cells)))
            i += 1
        blocks[m.group(1)] = (keys, rows)
    return blocks


def conversations(stdout: str) -> list[dict] | None:
    """The conversation rows (None: no conversation table in the output)."""
    block = parse_blocks(stdout).get(CONV_TITLE)
    if block is None:
        return None
    return [{**{k: "" for k in CONV_KEYS}, **r} for r in block[1]]


def hosts(stdout: str) -> list[dict] | None:
    """The hosts rows (None: this plugin prints no hosts table)."""
    block = parse_blocks(stdout).get(HOSTS_TITLE)
    return None if block is None else [{**{k: "" for k in HOST_KEYS}, **r} for r in block[1]]


# What happened to one input path; every path given or found gets exactly one
# of these (tools/annotate rows, the summary, the exit status). "failed" is an
# engine error none of the others names (a plugin not loaded, a timeout).
STATUSES = ("ok", "no conversations", "truncated", "empty", "not a capture", "unreadable", "missing", "failed")
# The engines' words for a file they cannot read as a capture (tshark: wiretap's
# WTAP_ERR_FILE_UNKNOWN_FORMAT text, ui/failure_message.c; ciscouc-scan: libpcap's
# pcap_open_offline error, sf-pcap.c / sf-pcapng.c), and for a capture cut short.
NOT_A_CAPTURE = ("isn't a capture file in a format", "unknown file format", "bad dump file format")
CUT_SHORT = ("cut short", "truncated dump file", "in the middle of a packet")


def input_problem(path: str) -> tuple[str, str] | None:
    """(status, message) for a path no engine can read: missing, unreadable (no
    permission, a folder), empty; None for a file to give to an engine."""
    if not os.path.lexists(path):
        return "missing", "no such file or folder"
    try:
        with open(path, "rb") as f:
            first = f.read(1)
    except FileNotFoundError:
        return "missing", "no such file or folder (a dangling link)"
    except IsADirectoryError:
        return "unreadable", "a folder, not a file"
    except OSError as e:
        return "unreadable", f"cannot read: {e.strerror}"
    if not first:
        return "empty", "empty file (0 bytes): not a capture"
    return None


def failure_status(err: str, has_rows: bool) -> str:
    """The status of an engine run that did not end well, from its message."""
    low = err.lower()
    if any(w in low for w in NOT_A_CAPTURE):
        return "not a capture"
    if has_rows or any(w in low for w in CUT_SHORT):
        return "truncated"
    return "failed"


def guarded_run(path: str, out: dict, program: str, run) -> subprocess.CompletedProcess | None:
    """run() on one capture, or None with out["status"] and out["message"] saying
    why not (input_problem; a run over an hour)."""
    problem = input_problem(path)
    if problem:
        out["status"], out["message"] = problem
        return None
    try:
        return run()
    except OSError as e:
        out["status"], out["message"] = "unreadable", f"cannot read: {e.strerror}"
    except subprocess.TimeoutExpired:
        out["message"] = f"{program} did not finish within an hour"
    return None


def stats(path: str, prefs: list[str], plugin_dir: str | None, want_hosts: bool = True) -> dict:
    """One capture's conversation (and hosts) tables.

    Returns {"status": ok|truncated|failed|no conversations, "message": str,
    "conversations": [...], "hosts": [...] or None}."""
    out = {"status": "failed", "message": "", "conversations": [], "hosts": None}

    def run() -> subprocess.CompletedProcess:
        global _hosts_supported
        args = ["-q", "-2", "-z", "ciscouc,conv"]
        with_hosts = want_hosts and _hosts_supported
        p = run_tshark(path, args + (["-z", "ciscouc,hosts"] if with_hosts else []), prefs, plugin_dir)
        if with_hosts and p.returncode != 0 and 'Invalid -z argument "ciscouc,hosts"' in p.stderr:
            _hosts_supported = False
            p = run_tshark(path, args, prefs, plugin_dir)
        return p

    p = guarded_run(path, out, "tshark", run)
    if p is None:
        return out
    rows = conversations(p.stdout)
    err = clean_errors(p.stderr, path)
    out["hosts"] = hosts(p.stdout)
    out["conversations"] = rows or []
    if p.returncode == 0 and rows is not None:
        out["status"] = "ok" if rows else "no conversations"
        return out
    if rows is None and p.returncode == 0:
        out["message"] = "the ciscouc plugin is not loaded (no ciscouc,conv table; run ./setup.sh)"
        return out
    out["message"] = err or f"tshark exited with status {p.returncode}"
    out["status"] = failure_status(out["message"], bool(rows))
    return out


def flagged_frames(path: str, flag_names: list[str], prefs: list[str], plugin_dir: str | None) -> list[dict]:
    """The frame that raised each flag, with its expert-info text.

    Each flag's expert info is a field named ciscouc.<flag>, raised once per
    conversation on the frame where the flag first held. The plugin is a
    postdissector, so its expert infos are the last ones on a frame, in the
    order of the flag list (the order of the Flags column)."""
    if not flag_names:
        return []
    names = list(dict.fromkeys(flag_names))
    fields = ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "udp.srcport",
              "tcp.dstport", "udp.dstport", "_ws.expert.message", *[f"ciscouc.{n}" for n in names]]
    sep = "\x1f"
    args = ["-2", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", f"aggregator={sep}",
            "-E", "quote=n", "-Y", " || ".join(f"ciscouc.{n}" for n in names)]
    for f in fields:
        args += ["-e", f]
    p = run_tshark(path, args, prefs, plugin_dir)
    out = []
    for line in p.stdout.splitlines():
        cells = line.split("\t")
        cells += [""] * (len(fields) - len(cells))
        v = dict(zip(fields, cells))
        raised = [n for n in names if v[f"ciscouc.{n}"]]
        messages = [m for m in v["_ws.expert.message"].split(sep) if m]
        mine = messages[len(messages) - len(raised):] if len(messages) >= len(raised) else [""] * len(raised)
        # The innermost header (the last occurrence) is the conversation's, as in pinfo.
        last = {k: x.split(sep)[-1] for k, x in v.items()}
        src = last["ip.src"] or last["ipv6.src"]
        dst = last["ip.dst"] or last["ipv6.dst"]
        sport = last["tcp.srcport"] or last["udp.srcport"]
        dport = last["tcp.dstport"] or last["udp.dstport"]
        transport = "tcp" if last["tcp.srcport"] else "udp"
        for name, message in zip(raised, mine):
            out.append({"flag": name, "frame": int(v["frame.number"]), "reason": message,
                        "endpoints": frozenset((endpoint(src, sport), endpoint(dst, dport))),
                        "transport": transport})
    return out


def endpoint(addr: str, port: str) -> str:
    """address:port as the conversation table prints it ([v6]:port for IPv6)."""
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def split_endpoint(ep: str) -> tuple[str, str]:
    """'10.0.0.1:5060' or '[2001:db8::1]:5060' -> (address, port)."""
    host, _, port = ep.rpartition(":")
    return host.strip("[]"), port


def conversation_flags(convs: list[dict], frames: list[dict]) -> None:
    """Adds to each conversation row the frames and reasons of its flags:
    row["flag_details"] = [{"flag", "frame", "reason"}, ...]."""
    by_key: dict[tuple, list[dict]] = {}
    for f in frames:
        by_key.setdefault((f["endpoints"], f["transport"]), []).append(f)
    for c in convs:
        key = (frozenset((c["client"], c["server"])), c["transport"])
        wanted = [n for n in c["flags"].split(",") if n]
        c["flag_details"] = [{"flag": f["flag"], "frame": f["frame"], "reason": f["reason"]}
                             for f in by_key.get(key, []) if f["flag"] in wanted]


def flag_names(convs: list[dict]) -> list[str]:
    return [n for c in convs for n in c["flags"].split(",") if n]


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
            raise ValueError(f"--pref {p}: the scan engine implements {', '.join(SCAN_PREFS)} only "
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
    p = guarded_run(path, out, "ciscouc-scan", lambda: subprocess.run(
        [scanner, "--hosts", *args, path], capture_output=True, text=True, errors="replace", timeout=3600))
    if p is None:
        return out
    rows = conversations(p.stdout)
    # Its diagnostics, without the footer (frames read, what was not read).
    err = " ".join(l.strip() for l in p.stderr.splitlines() if l.strip() and not SCAN_FOOTER.match(l))
    out["hosts"] = hosts(p.stdout)
    out["conversations"] = rows or []
    if p.returncode == 0 and rows is not None:
        out["status"] = "ok" if rows else "no conversations"
    elif p.returncode == 2:  # cut short: the conversations read so far
        out["status"], out["message"] = "truncated", err
    elif p.returncode == 64:  # a bad option (scanner/main.cpp): its error line, not the usage text after it
        lines = p.stderr.strip().splitlines()
        end = next((i for i, l in enumerate(lines) if l.startswith("usage:")), len(lines))
        out["status"], out["message"] = "failed", " ".join(l.strip() for l in lines[:end]) or err
    else:
        out["message"] = err or f"ciscouc-scan exited with status {p.returncode}"
        out["status"] = failure_status(out["message"], bool(rows))
    return out
