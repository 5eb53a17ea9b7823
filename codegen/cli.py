"""catalog: check, search and compare the ciscouc port catalog.

  catalog validate [FILE ...]      check the catalog (all files, or the given ones)
  catalog lookup PORT[/tcp|/udp]   every documented purpose of a port
  catalog lookup --proto N         rows documenting IP protocol N (50 = ESP)
  catalog conflicts [--markdown]   disagreements between editions and guides
  catalog stats                    entries per document and table

Options: --catalog DIR (default: the catalog/ folder next to this tool);
-o/--output FILE after lookup, conflicts or stats writes there instead of
standard output (nothing is written on a usage error).
Exit status: 0 success, 1 validation failed or nothing found, 2 usage error.

Run as tools/catalog (or python3 -m codegen.cli from the repository root).
Lookup prints a port's rows in the order the plugin lists them
(codegen/ranking.py).
"""
import argparse
import contextlib
import io
import os
import sys

from codegen import catalog as cc
from codegen import conflicts as ciscouc_conflicts
from codegen import ranking
from tools import ucoptions


def cmd_validate(args) -> int:
    files = [os.path.abspath(f) for f in args.files] or None
    if files:
        for f in files:
            if not os.path.exists(f):
                print(f"catalog: {f}: no such file", file=sys.stderr)
                return 2
    try:
        cat, errors = cc.load(args.catalog, files)
    except cc.CatalogError as e:
        print(f"catalog: {e}", file=sys.stderr)
        return 1
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"catalog: {len(errors)} problem(s); validation failed", file=sys.stderr)
        return 1
    print(f"catalog: {len(cat.entries)} entries in {len(cat.documents)} document(s): OK")
    return 0


def parse_query(text: str):
    port, _, transport = text.partition("/")
    transport = transport.lower() or None
    if transport not in (None, "tcp", "udp"):
        raise ValueError(f"unknown transport '{transport}' (use tcp or udp)")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"'{port}' is not a port number 0-65535")
    return int(port), transport


def describe(ent: cc.Entry, flow: cc.Flow | None, out) -> None:
    doc = ent.doc
    table = ent.table
    ttitle = table.get("title_en", table["title"])
    label = f"Table {table['number']}" if table.get("numbered", True) else f"Section {table['number']}"
    facts = [k.replace("_", " ") for k, v in ent.facts.items() if v]
    if ent.get("secure"):
        facts.append("secure counterpart " + ", ".join(f"{s['plain']}->{s['secure']}" for s in ent.get("secure")))
    flows = [flow] if flow else ent.flows
    for f in flows:
        src = f" (source {f.src.ports_text()})" if f.src else ""
        print(f"  {f.sender} -> {f.listener}  {'/'.join(f.transport)} {f.dst.ports_text()}{src}", file=out)
    print(f"      purpose: {ent.purpose}", file=out)
    if ent.language != "en":
        print(f"      original ({ent.language}): {ent.purpose_original}", file=out)
    if ent.protocol:
        print(f"      protocol: {', '.join(ent.protocol)}", file=out)
    if facts:
        print(f"      facts: {'; '.join(facts)}", file=out)
    print(f"      source: {doc.get('title_en', doc['title'])} [{doc['edition']}], {label} \"{ttitle}\", row {ent.row}  ({ent.id})", file=out)


def cmd_lookup(args) -> int:
    cat = cc.load_or_die(args.catalog)
    out = sys.stdout
    found = 0
    if args.proto is not None:
        for ent in cat.entries:
            if args.proto in ent.ip_proto:
                found += 1
                describe(ent, None, out)
        if not found:
            print(f"IP protocol {args.proto}: not documented by any guide")
            return 1
        return 0
    try:
        port, transport = parse_query(args.query)
    except ValueError as e:
        print(f"catalog lookup: {e}", file=sys.stderr)
        return 2
    doc_index, flow_number = ranking.flow_numbers(cat)
    hits = []
    for ent in cat.entries:
        for i, f in enumerate(ent.flows):
            if transport and transport not in f.transport and "unstated" not in f.transport:
                continue
            if not set(f.transport) & {"tcp", "udp", "unstated"}:
                continue
            on_dst = f.dst.contains(port)
            on_src = f.src is not None and f.src.contains(port) and f.dst.keyword == "any"
            if on_dst or on_src:
                spec = f.dst if on_dst else f.src
                lo, hi = next((lo, hi) for lo, hi in spec.ranges if lo <= port <= hi)
                key = ranking.rank_key(ent, lo, hi, flow_number[(ent.id, i)], doc_index)
                hits.append((key, ent.facts["catch_all"], ent, f))
    hits.sort(key=lambda h: h[0])
    what = f"{port}/{transport}" if transport else str(port)
    if not hits:
        print(f"{what}: not documented by any guide")
        return 1
    print(f"{what}: {len(hits)} documented use(s)")
    for _, catch_all, ent, f in hits:
        if catch_all:
            print("  [catch-all range: weak evidence]", file=out)
        describe(ent, f, out)
    return 0


def cmd_conflicts(args) -> int:
    cat = cc.load_or_die(args.catalog)
    report = ciscouc_conflicts.find_conflicts(cat)
    sys.stdout.write(ciscouc_conflicts.render(report, markdown=args.markdown))
    return 0


def cmd_stats(args) -> int:
    cat = cc.load_or_die(args.catalog)
    counts: dict[tuple[str, str], int] = {}
    for ent in cat.entries:
        key = (ent.doc["id"], ent.table["number"])
        counts[key] = counts.get(key, 0) + 1
    for (doc, table), n in sorted(counts.items()):
        print(f"{doc}\t{table}\t{n}")
    print(f"total\t\t{len(cat.entries)}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="catalog", description=__doc__.splitlines()[0])
    p.add_argument("--catalog", default=os.path.normpath(cc.CATALOG_DIR), help="catalog folder")
    sub = p.add_subparsers(dest="cmd", required=True)
    OUT = "write the result to this file instead of standard output"
    v = sub.add_parser("validate", help="check the catalog")
    v.add_argument("files", nargs="*")
    v.set_defaults(fn=cmd_validate)
    lk = sub.add_parser("lookup", help="documented purposes of a port")
    lk.add_argument("query", nargs="?", help="PORT, PORT/tcp or PORT/udp")
    lk.add_argument("--proto", type=int, help="IP protocol number instead of a port")
    ucoptions.add_output(lk, OUT, metavar="FILE")
    lk.set_defaults(fn=cmd_lookup)
    cf = sub.add_parser("conflicts", help="disagreements between editions")
    cf.add_argument("--markdown", action="store_true")
    ucoptions.add_output(cf, OUT, metavar="FILE")
    cf.set_defaults(fn=cmd_conflicts)
    st = sub.add_parser("stats", help="entries per table")
    ucoptions.add_output(st, OUT, metavar="FILE")
    st.set_defaults(fn=cmd_stats)
    args = p.parse_args(argv)
    if args.cmd == "lookup" and args.query is None and args.proto is None:
        p.error("lookup needs PORT[/tcp|/udp] or --proto N")
    output = getattr(args, "output", None)
    if not output:
        return args.fn(args)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = args.fn(args)
    if status != 2:  # the result (also "not documented", status 1); a usage error writes nothing
        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(buf.getvalue())
        except OSError as e:
            print(f"catalog: {e.filename or output}: {e.strerror}", file=sys.stderr)
            return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
