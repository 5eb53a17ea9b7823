"""The firewall plan as documents: a Markdown page per teaching capture (written
by the build into build/docs/plans/, never committed) and the rules the HTML
report shows (tools/ucreport.py).

Run from the repository root as a module (the build and tools/ucreport.py set
PYTHONPATH to the root, as tools/plan does):

  python3 -m tools.ucplandoc list CAPTURES_DIR
      the teaching captures (captures/make_captures.py CAPTURES), one a line:
      the build's list of what it writes a page for
  python3 -m tools.ucplandoc pages --scanner CISCOUC_SCAN --out DIR CAPTURE...
      DIR/index.md and DIR/NAME.md per capture: role groups, rules and the
      nftables ruleset, from the scanner's tables (tools/plan's default engine)
  python3 -m tools.ucplandoc report-rules < DATA.json
      DATA: {"capture", "conversations", "hosts", "edition"} (tools/ucreport.py's
      data); writes {"rules": [...], "groups": [...]} or {"error": "..."}

The plan itself is tools/ucplan.py's: the pages use its builder and renderers,
so a page's rules are tools/plan's output for that capture.
"""
from __future__ import annotations

import ast
import json
import os
import sys

from tools import ucplan, ucstats


def teaching_captures(folder: str) -> list[str]:
    """The names of captures/make_captures.py's CAPTURES dict, read with ast
    (the build needs no scapy to list them)."""
    path = os.path.join(folder, "make_captures.py")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError) as e:
        raise ucplan.PlanError(f"{path}: cannot read the teaching captures: {e}") from e
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CAPTURES" for t in node.targets) \
                and isinstance(node.value, ast.Dict):
            names = [k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if names:
                return names
    raise ucplan.PlanError(f"{path}: no CAPTURES dict of capture names")


# ---------------------------------------------------------------- Markdown

def _cell(text) -> str:
    """A Markdown table cell: pipes escaped, one line."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def _table(head: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + \
        ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]


RULE_COLUMNS = ["id", "from", "to", "port", "purpose", "guide rows", "status", "notes"]


def rule_cells(rule: ucplan.Rule) -> list[str]:
    """One rule as the page's and the report's rules table show it: the
    terminal table's columns (tools/plan --format table), purpose and guide
    rows in full, the secure variants and notes in a column of their own."""
    return [rule.id, rule.sender, rule.listener, f"{rule.ports_text()}/{rule.transport}", rule.purpose,
            " ".join(rule.rows), ucplan.status_text(rule), "; ".join(ucplan.rule_notes(rule))]


def page(plan: ucplan.Plan, name: str) -> str:
    counts = {s: sum(r.status == s for r in plan.rules) for s in (ucplan.OBSERVED, ucplan.DOCUMENTED,
                                                                  ucplan.UNDOCUMENTED)}
    out = [f"# Firewall plan: {name}", "",
           f"Written by the build (`cmake --build build --target firewall-plans`) from ciscouc-scan's tables of "
           f"`captures/{name}`: the same plan as `tools/plan captures/{name}` (see the README's \"Firewall plan\"). "
           f"Editions: {', '.join(f'{p}: {e}' for p, e in sorted(plan.preferred.items()))}.", "",
           f"{len(plan.rules)} rule(s): {counts[ucplan.OBSERVED]} observed, {counts[ucplan.DOCUMENTED]} documented "
           f"for the roles present but not observed, {counts[ucplan.UNDOCUMENTED]} observed but not documented "
           "(drop rules to review).", "", "## Role groups", ""]
    rows = [[g.key if n == 0 else "", g.name if n == 0 else "", m, "; ".join(ev)]
            for g in plan.groups.values() for n, (m, ev) in enumerate(g.members.items())]
    out += _table(["group", "name", "address", "evidence"], rows) if rows else ["No host shows a role."]
    out += ["", "## Rules", "", "From the sender to the listener's port; replies ride on connection tracking.", ""]
    out += _table(RULE_COLUMNS, [rule_cells(r) for r in plan.rules]) if plan.rules else ["No rule."]
    if plan.skipped:
        out += ["", "Not planned (no router forwards them):", ""] + [f"- {_cell(s)}" for s in plan.skipped]
    out += ["", "## nftables (forward hook)", "", "`tools/plan --format nft captures/" + name + "`:", "",
            "```", ucplan.to_nft(plan).rstrip("\n"), "```", ""]
    return "\n".join(out)


def index(summary: list[tuple[str, ucplan.Plan]]) -> str:
    out = ["# Firewall plans of the teaching captures", "",
           "One page per teaching capture (`captures/`): its role groups, its rules role to role with their "
           "status, and its nftables ruleset, as `tools/plan` writes them. Written by the build "
           "(`cmake --build build --target firewall-plans`), never committed.", ""]
    rows = []
    for name, plan in summary:
        n = {s: sum(r.status == s for r in plan.rules) for s in (ucplan.OBSERVED, ucplan.DOCUMENTED,
                                                                 ucplan.UNDOCUMENTED)}
        rows.append([f"[{name}]({page_name(name)})", len(plan.groups), n[ucplan.OBSERVED], n[ucplan.DOCUMENTED],
                     n[ucplan.UNDOCUMENTED]])
    out += _table(["capture", "role groups", "observed", "documented, not observed", "to review"], rows)
    return "\n".join(out) + "\n"


def page_name(capture: str) -> str:
    return os.path.splitext(os.path.basename(capture))[0] + ".md"


def write_pages(captures: list[str], scanner: str, out_dir: str, ctx: ucplan.Context | None = None) -> None:
    ctx = ctx or ucplan.Context()
    os.makedirs(out_dir, exist_ok=True)
    summary = []
    for path in captures:
        r = ucstats.scan_stats(path, scanner, [])
        if r["status"] != "ok":
            raise ucplan.PlanError(f"{path}: {r['status']}: {r['message']}")
        plan = ucplan.build([(path, r)], ctx)
        name = os.path.basename(path)
        with open(os.path.join(out_dir, page_name(name)), "w", encoding="utf-8") as f:
            f.write(page(plan, name))
        summary.append((name, plan))
    with open(os.path.join(out_dir, "index.md"), "w", encoding="utf-8") as f:
        f.write(index(summary))


# ---------------------------------------------------------------- the report's rules

def report_rules(data: dict, ctx: ucplan.Context | None = None) -> dict:
    """The plan of a report's data (its conversations and hosts tables): the
    rules with the cells of the rules table, and the groups."""
    ctx = ctx or ucplan.Context()
    result = {"conversations": data.get("conversations") or [], "hosts": data.get("hosts") or []}
    for n, c in enumerate(result["conversations"], 1):
        what = f"{data.get('capture', '')}: conversation {n} ({c.get('client')} -> {c.get('server')})"
        for side in ("client", "server"):
            port = ucstats.split_endpoint(str(c.get(side, "")))[1]
            if not port.isdigit():
                raise ucplan.PlanError(f"{what}: {side} {c.get(side)!r} is not ADDRESS:PORT")
        if not str(c.get("listener_port", "")).isdigit() and c.get("listener_port", "") != "":
            raise ucplan.PlanError(f"{what}: listener port {c.get('listener_port')!r} is not a number")
    plan = ucplan.build([(data.get("capture", ""), result)], ctx, data.get("edition") or None)
    return {"rules": [{**ucplan.rule_dict(r, plan), "cells": dict(zip(RULE_COLUMNS, rule_cells(r))),
                       "note_lines": ucplan.rule_notes(r)}
                      for r in plan.rules],
            "groups": [{"key": g.key, "name": g.name, "members": list(g.members)} for g in plan.groups.values()],
            "preferred_editions": plan.preferred}


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m tools.ucplandoc", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list", help="the teaching captures, one a line")
    ls.add_argument("folder")
    pg = sub.add_parser("pages", help="write the plan pages")
    pg.add_argument("--scanner", required=True)
    pg.add_argument("--out", required=True)
    pg.add_argument("captures", nargs="+")
    sub.add_parser("report-rules", help="the report's plan: data JSON on standard input")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            print(";".join(teaching_captures(args.folder)))
        elif args.cmd == "pages":
            write_pages(args.captures, args.scanner, args.out)
        else:
            try:
                data = json.load(sys.stdin)
                json.dump(report_rules(data), sys.stdout, ensure_ascii=False)
            except (ucplan.PlanError, ValueError, KeyError, TypeError, AttributeError) as e:
                # The report shows why its plan section is empty instead of failing.
                json.dump({"error": str(e) if isinstance(e, ucplan.PlanError) else f"{type(e).__name__}: {e}"}, sys.stdout, ensure_ascii=False)
    except ucplan.PlanError as e:
        print(f"ucplandoc: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
