"""Disagreements between guides and editions, derived from the catalog.

Rules (each conflict names the entries on both sides):
  ports      the same flow (same product, sender, listener, protocols and
             transport) is documented with different ports in two editions
  listener   the same port, transport and protocol is listened to by different
             roles in two editions of the same product
  transport  the same port and protocol is documented on a transport by one
             guide and not by another (any products)
  stated     a range stated in a note (stated_ranges, same `what`) differs
Then, per product, ports documented by only some of its editions.

Roles are compared normalised (role_key): case-insensitively, with
parenthesised qualifiers dropped ("Unified CM (DNS server)" -> "unified cm")
and a leading "Unified CM " product prefix dropped when more follows
("Unified CM Attendant Console" -> "attendant console", so it aligns with the
4.2 guide's "Attendant Console").

Port attribution (listener and transport rules): a port of an entry counts
for a protocol only when the entry focuses on that protocol on that port.
An entry with one protocol, or with one specific port, counts for all its
protocols. An entry whose destination lists several ports and which names
several protocols (TelePresence "CUCM: 5060, 5061" tagged SIP + SIPS) is split
with its `secure` items: a port given as `secure` counts for the entry's
secure protocols (vocabulary `secure = true`), a port given as `plain` for the
others; a port the items do not mention counts for none. So the 5060 of such a
row is not compared as SIPS, nor its 5061 as SIP.
"""
from __future__ import annotations

import itertools
import re

from codegen import catalog as cc


def role_key(role: str) -> str:
    """Normalised role: lower case, parenthesised qualifiers and a leading
    "unified cm " product prefix dropped, spaces collapsed."""
    r = role.lower()
    while True:
        stripped = re.sub(r"\([^()]*\)", " ", r)
        if stripped == r:
            break
        r = stripped
    r = " ".join(r.split())
    if r.startswith("unified cm "):
        r = r[len("unified cm "):]
    return r


def _port_protocols(ent: cc.Entry, flow: cc.Flow, port: int, vocabulary: dict) -> tuple[str, ...]:
    """The protocols of `ent` that `port` of `flow` is documented for (see the
    module docstring, "Port attribution")."""
    ports = _specific_ports(flow)
    if len(ent.protocol) <= 1 or len(ports) <= 1:
        return ent.protocol
    secure_ports = {s["secure"] for s in ent.get("secure", [])}
    plain_ports = {s["plain"] for s in ent.get("secure", [])}
    is_secure = {p: bool(vocabulary["protocols"].get(p, {}).get("secure")) for p in ent.protocol}
    out = []
    if port in secure_ports:
        out += [p for p in ent.protocol if is_secure[p]]
    if port in plain_ports:
        out += [p for p in ent.protocol if not is_secure[p]]
    return tuple(p for p in ent.protocol if p in out)


def _specific_ports(flow: cc.Flow) -> list[int]:
    out = []
    for lo, hi in flow.dst.ranges:
        if hi - lo <= 16:
            out.extend(range(lo, hi + 1))
    return out


def _net_transports(flow: cc.Flow) -> frozenset[str]:
    return frozenset(t for t in flow.transport if t in ("tcp", "udp"))


def find_conflicts(cat: cc.Catalog) -> dict:
    docs = {d["document"]["id"]: d["document"] for d in cat.documents}
    conflicts = []

    # ports: aligned flows with different destination specs
    aligned: dict[tuple, dict[str, set]] = {}
    for ent in cat.entries:
        if not ent.protocol or ent.get("duplicate_of"):
            continue
        for f in ent.flows:
            trans = _net_transports(f)
            if not trans:
                continue
            key = (ent.product, role_key(f.sender), role_key(f.listener),
                   frozenset(ent.protocol), trans)
            aligned.setdefault(key, {}).setdefault(ent.doc["id"], set()).add((f.dst.ports_text(), ent.id))
    for key, per_doc in aligned.items():
        for a, b in itertools.combinations(sorted(per_doc), 2):
            specs_a = {s for s, _ in per_doc[a]}
            specs_b = {s for s, _ in per_doc[b]}
            if specs_a != specs_b:
                conflicts.append({
                    "kind": "ports",
                    "what": f"{'/'.join(sorted(key[4]))} {', '.join(sorted(key[3]))} from {key[1]} to {key[2]}",
                    "sides": [(a, sorted(specs_a), sorted(i for _, i in per_doc[a])),
                              (b, sorted(specs_b), sorted(i for _, i in per_doc[b]))]})

    # listener and transport
    by_port: dict[tuple[int, str], list[tuple[cc.Entry, cc.Flow]]] = {}
    for ent in cat.entries:
        if ent.facts["catch_all"] or ent.get("duplicate_of"):
            continue
        for f in ent.flows:
            for port in _specific_ports(f):
                for proto in _port_protocols(ent, f, port, cat.vocabulary):
                    by_port.setdefault((port, proto), []).append((ent, f))
    for (port, proto), items in sorted(by_port.items()):
        per_doc: dict[str, list[tuple[cc.Entry, cc.Flow]]] = {}
        for ent, f in items:
            per_doc.setdefault(ent.doc["id"], []).append((ent, f))
        for a, b in itertools.combinations(sorted(per_doc), 2):
            ta = frozenset().union(*(_net_transports(f) for _, f in per_doc[a]))
            tb = frozenset().union(*(_net_transports(f) for _, f in per_doc[b]))
            if ta and tb and ta != tb:
                conflicts.append({
                    "kind": "transport", "what": f"{proto} on port {port}",
                    "sides": [(a, sorted(ta), sorted({e.id for e, _ in per_doc[a]})),
                              (b, sorted(tb), sorted({e.id for e, _ in per_doc[b]}))]})
            if docs[a]["product"] != docs[b]["product"]:
                continue
            for t in sorted(ta & tb):
                la = {role_key(f.listener) for _, f in per_doc[a] if t in f.transport}
                lb = {role_key(f.listener) for _, f in per_doc[b] if t in f.transport}
                if la and lb and not la & lb:
                    conflicts.append({
                        "kind": "listener", "what": f"{proto} on {port}/{t}",
                        "sides": [(a, sorted(la), sorted({e.id for e, f in per_doc[a] if t in f.transport})),
                                  (b, sorted(lb), sorted({e.id for e, f in per_doc[b] if t in f.transport}))]})

    # stated ranges in notes
    stated: dict[str, dict[str, set]] = {}
    for ent in cat.entries:
        for s in ent.get("stated_ranges", []):
            stated.setdefault(s["what"], {}).setdefault(ent.doc["id"], set()).add(
                (cc.parse_port_spec(s["ports"]).ports_text(), ent.id))
    for what, per_doc in sorted(stated.items()):
        for a, b in itertools.combinations(sorted(per_doc), 2):
            sa = sorted({p for p, _ in per_doc[a]})
            sb = sorted({p for p, _ in per_doc[b]})
            if sa != sb:
                conflicts.append({"kind": "stated", "what": what,
                                  "sides": [(a, sa, sorted(i for _, i in per_doc[a])),
                                            (b, sb, sorted(i for _, i in per_doc[b]))]})

    conflicts.sort(key=lambda c: (c["kind"], c["what"], c["sides"][0][0], c["sides"][1][0]))

    # ports documented by only some editions of a product
    only_some = []
    for product in sorted({d["product"] for d in docs.values()}):
        eds = sorted(i for i, d in docs.items() if d["product"] == product)
        if len(eds) < 2:
            continue
        where: dict[tuple[int, str], set[str]] = {}
        for ent in cat.entries:
            if ent.product != product or ent.facts["catch_all"]:
                continue
            for f in ent.flows:
                for port in _specific_ports(f):
                    for t in (_net_transports(f) or {"unstated"}):
                        where.setdefault((port, t), set()).add(ent.doc["id"])
        for (port, t), ds in sorted(where.items()):
            if ds != set(eds):
                only_some.append({"product": product, "port": port, "transport": t,
                                  "in": sorted(ds), "not_in": sorted(set(eds) - ds)})
    return {"conflicts": conflicts, "only_some": only_some}


def render(report: dict, markdown: bool = False) -> str:
    lines = []
    conflicts = report["conflicts"]
    if markdown:
        lines += ["# Disagreements between the guides", "",
                  "Generated from the catalog by `tools/catalog conflicts --markdown`; do not edit.", "",
                  f"## Conflicts ({len(conflicts)})", "", "| kind | what | one side | other side |", "|---|---|---|---|"]
        for c in conflicts:
            cells = [f"{d}: {', '.join(v)} ({', '.join(ids)})" for d, v, ids in c["sides"]]
            lines.append(f"| {c['kind']} | {c['what']} | {cells[0]} | {cells[1]} |")
        lines += ["", f"## Ports documented by only some editions ({len(report['only_some'])})", "",
                  "| product | port | in | not in |", "|---|---|---|---|"]
        for o in report["only_some"]:
            lines.append(f"| {o['product']} | {o['port']}/{o['transport']} | {', '.join(o['in'])} | {', '.join(o['not_in'])} |")
    else:
        lines.append(f"Conflicts between guides and editions: {len(conflicts)}")
        for c in conflicts:
            lines.append(f"[{c['kind']}] {c['what']}")
            for d, v, ids in c["sides"]:
                lines.append(f"    {d}: {', '.join(v)}   ({', '.join(ids)})")
        lines.append("")
        lines.append(f"Ports documented by only some editions: {len(report['only_some'])}")
        for o in report["only_some"]:
            lines.append(f"  {o['product']} {o['port']}/{o['transport']}: in {', '.join(o['in'])}; not in {', '.join(o['not_in'])}")
    return "\n".join(lines) + "\n"
