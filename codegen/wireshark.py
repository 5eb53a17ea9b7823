"""Generate ciscouc-scan's model of stock Wireshark from Wireshark itself.

The scanner decides without Wireshark which stock dissector takes a TCP or UDP
payload. Which dissector owns which port, and which heuristics Wireshark tries
in which order, are read from the Wireshark the project builds against:

  tshark -G decodes            every registration of every dissector table;
                               the rows of tcp.port and udp.port are the port
                               owners ("tcp.port<TAB>5060<TAB>sip")
  tshark -G heuristic-decodes  every heuristic of every heuristic list, in the
                               order Wireshark tries them (epan/packet.c:
                               heur_dissector_add prepends, dissector_try_heuristic
                               and the dump walk the same list); the rows of
                               tcp and udp ("tcp<TAB>sip<TAB>T"; Wireshark 4.2
                               and later add the enabled-by-default flag, the
                               heuristic's short name and display name)

  python3 -m codegen.wireshark (--tshark PATH | --decodes FILE --heuristic-decodes FILE) --out FILE.cpp

With --tshark it runs that tshark with an empty HOME, so no preference,
disabled protocol or personal plugin of the user's changes what stock
Wireshark does; the plugins Wireshark installs (OPC UA, Gryphon, EtherCAT...)
register ports as they do in any Wireshark. The output is refused if it shows
ciscouc's own registrations (a ciscouc installed into the global plugin
folder), which would hide the stock owners they stand in front of.
The output is the C++ tables of scanner/wireshark_tables.h, written into the
build tree (never committed). What a dissector does with a payload (rejects
it, holds segments) is not in these outputs: scanner/stock.cpp keeps those as
named behaviours keyed by the dissector's filter name.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

from codegen.tables import c_str, write_if_changed

TRANSPORTS = {"tcp": "kTcp", "udp": "kUdp"}
NAME = re.compile(r"[A-Za-z0-9_.\-]+")
OWN = "ciscouc"  # the plugin's protocol filter name


class WiresharkError(Exception):
    pass


def run_tshark(tshark: str, what: str) -> str:
    """`tshark -G what`, stock: no user preferences, no plugins."""
    with tempfile.TemporaryDirectory(prefix="ciscouc-tshark-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LC_ALL": "C.UTF-8"}
        p = subprocess.run([tshark, "-G", what], env=env, capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        raise WiresharkError(f"{tshark} -G {what} failed (exit {p.returncode}): {p.stderr.strip()[-500:]}")
    return p.stdout


def parse_decodes(text: str, source: str) -> dict[tuple[str, int], str]:
    """(transport, port) -> the owning dissector's protocol filter name."""
    owners: dict[tuple[str, int], str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        cols = line.split("\t")
        if not cols[0].endswith(".port") or cols[0][:-5] not in TRANSPORTS:
            continue
        if len(cols) != 3 or not cols[1].isdigit() or int(cols[1]) > 0xFFFF or not NAME.fullmatch(cols[2]):
            raise WiresharkError(f"{source}:{n}: not a `tshark -G decodes` row: {line!r}")
        key = (cols[0][:-5], int(cols[1]))
        if key in owners and owners[key] != cols[2]:
            raise WiresharkError(f"{source}:{n}: {cols[0]} {key[1]} listed twice ({owners[key]}, {cols[2]})")
        owners[key] = cols[2]
    for t in TRANSPORTS:
        if not any(k[0] == t for k in owners):
            raise WiresharkError(f"{source}: no {t}.port row: not the output of `tshark -G decodes`")
    own = sorted(f"{t}.port {p}" for (t, p), name in owners.items() if name == OWN)
    if own:
        raise WiresharkError(f"{source}: tshark loaded the ciscouc plugin ({', '.join(own[:5])}...), whose stand-ins "
                             "hide the stock owners: generate from a tshark without it (uninstall it, or pass a "
                             "saved stock output with -DCISCOUC_WIRESHARK_DECODES=<file>)")
    return owners


def parse_heuristics(text: str, source: str) -> list[tuple[str, str, bool]]:
    """(transport, protocol filter name, enabled) of the tcp and udp lists, in Wireshark's order."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        cols = line.split("\t")
        if cols[0] not in TRANSPORTS:
            continue
        if len(cols) not in (3, 6) or cols[2] not in ("T", "F") or not NAME.fullmatch(cols[1]):
            raise WiresharkError(f"{source}:{n}: not a `tshark -G heuristic-decodes` row: {line!r}")
        rows.append((cols[0], cols[1], cols[2] == "T"))
    for t in TRANSPORTS:
        if not any(r[0] == t for r in rows):
            raise WiresharkError(f"{source}: no {t} heuristic: not the output of `tshark -G heuristic-decodes`")
    if any(r[1] == OWN for r in rows):
        raise WiresharkError(f"{source}: tshark loaded the ciscouc plugin: generate from a tshark without it "
                             "(or pass a saved stock output with -DCISCOUC_WIRESHARK_HEURISTICS=<file>)")
    return rows


def port_ranges(owners: dict[tuple[str, int], str]) -> list[tuple[str, int, int, str]]:
    """Consecutive ports of one transport with one owner as one range, sorted by transport and port."""
    ranges: list[list] = []
    for (t, port), name in sorted(owners.items(), key=lambda kv: (list(TRANSPORTS).index(kv[0][0]), kv[0][1])):
        last = ranges[-1] if ranges else None
        if last and last[0] == t and last[2] + 1 == port and last[3] == name:
            last[2] = port
        else:
            ranges.append([t, port, port, name])
    return [tuple(r) for r in ranges]


def generate(owners: dict[tuple[str, int], str], heuristics: list[tuple[str, str, bool]], sources: str) -> str:
    ranges = port_ranges(owners)
    count = {t: sum(1 for k in owners if k[0] == t) for t in TRANSPORTS}
    out = [
        "// Generated by codegen/wireshark.py (python3 -m codegen.wireshark), do not edit.",
        f"// Source: {sources}.",
        "#include \"wireshark_tables.h\"",
        "",
        "namespace ciscouc {",
        "namespace scan {",
        "",
        f"// {count['tcp']} tcp.port and {count['udp']} udp.port registrations, as ranges, sorted.",
        "const PortOwner kPortOwners[] = {",
    ]
    out += [f"    {{{TRANSPORTS[t]}, {lo}, {hi}, {c_str(name)}}}," for t, lo, hi, name in ranges]
    out += [
        "};",
        f"const size_t kPortOwnerCount = {len(ranges)};",
        "",
        "// The tcp and udp heuristic lists, in the order Wireshark tries them.",
        "const WiresharkHeuristic kWiresharkHeuristics[] = {",
    ]
    out += [f"    {{{TRANSPORTS[t]}, {c_str(name)}, {'true' if on else 'false'}}}," for t, name, on in heuristics]
    out += [
        "};",
        f"const size_t kWiresharkHeuristicCount = {len(heuristics)};",
        "",
        "}  // namespace scan",
        "}  // namespace ciscouc",
        "",
    ]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m codegen.wireshark", description=__doc__.splitlines()[0])
    ap.add_argument("--tshark", help="run this tshark for the outputs not given as files")
    ap.add_argument("--decodes", help="a saved `tshark -G decodes` output")
    ap.add_argument("--heuristic-decodes", help="a saved `tshark -G heuristic-decodes` output")
    ap.add_argument("--out", required=True, help="the C++ file to write")
    args = ap.parse_args(argv)
    try:
        texts, sources = {}, []
        for what, path in (("decodes", args.decodes), ("heuristic-decodes", args.heuristic_decodes)):
            if path:
                with open(path, encoding="utf-8", errors="replace") as f:
                    texts[what] = (f.read(), path)
                sources.append(f"{path} (saved tshark -G {what})")
            elif args.tshark:
                texts[what] = (run_tshark(args.tshark, what), f"{args.tshark} -G {what}")
                sources.append(f"{args.tshark} -G {what}")
            else:
                raise WiresharkError(f"no `tshark -G {what}` output: give --tshark or --{what}")
        owners = parse_decodes(*texts["decodes"])
        heuristics = parse_heuristics(*texts["heuristic-decodes"])
    except (OSError, WiresharkError) as e:
        print(f"codegen.wireshark: {e}", file=sys.stderr)
        return 1
    write_if_changed(args.out, generate(owners, heuristics, "; ".join(sources)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
