"""Load, validate and resolve the ciscouc catalog (catalog/*.toml).

The catalog is the single source of truth: one TOML file per Cisco port-usage
guide plus catalog/vocabulary.toml. This module is used by the `catalog`
command, by the code generator and by the tests. It uses only the standard
library (tomllib, Python 3.11+).

Every problem is reported as a CatalogError naming the file, the entry id and
the reason; validate() collects all of them instead of stopping at the first.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import unicodedata
from typing import Any

CATALOG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "catalog")
VOCABULARY = "vocabulary.toml"
SCHEMA_DOC = "SCHEMA.md"

PORT_KEYWORDS = ("ephemeral", "any", "none", "configurable", "unstated")

DOC_KEYS = {
    "id": str, "title": str, "title_en": str, "product": str, "edition": str,
    "release": str, "language": str, "seed": str, "edition_rank": int,
    "edition_group": str, "edition_group_name": str,
}
DOC_REQUIRED = ("id", "title", "product", "edition", "release", "language", "seed", "edition_rank",
                "edition_group", "edition_group_name")
TABLE_KEYS = {
    "number": str, "title": str, "title_en": str, "numbered": bool,
    "release": str, "product": str,
}
FLOW_KEYS = {"from": str, "to": str, "dst": str, "src": str, "transport": list}
ENTRY_KEYS = {
    "id": str, "table": str, "row": int,
    "from": str, "to": str, "from_original": str, "to_original": str,
    "transport": list, "transport_text": str, "dst": str, "src": str,
    "ip_proto": list, "port_text": str, "flows": list, "continuation_of": str,
    "protocol": list, "purpose": str, "purpose_original": str, "notes": str,
    "localhost_only": bool, "internal": bool, "secure": list,
    "configurable": bool, "not_recommended": bool, "either_side": bool,
    "catch_all": bool, "then_ephemeral": bool, "release": str, "product": str,
    "corrections": list, "duplicate_of": str, "stated_ranges": list,
}
SECURE_KEYS = {"plain": int, "secure": int, "entry": str}
CORRECTION_KEYS = {"field": str, "original": str, "fixed": str}
STATED_RANGE_KEYS = {"what": str, "ports": str}
BOOL_FACTS = ("localhost_only", "internal", "configurable", "not_recommended",
              "either_side", "catch_all", "then_ephemeral")
INHERITED = ("dst", "src", "transport", "ip_proto", "port_text", "purpose",
             "purpose_original", "protocol", "transport_text")


class CatalogError(Exception):
    """One problem in the catalog: file, entry and reason."""

    def __init__(self, path: str, entry: str | None, reason: str):
        self.path, self.entry, self.reason = path, entry, reason
        where = f"{path}: entry '{entry}'" if entry else path
        super().__init__(f"{where}: {reason}")


@dataclasses.dataclass(frozen=True)
class PortSpec:
    """A parsed port cell: either a keyword or a sorted list of ranges."""
    keyword: str | None
    ranges: tuple[tuple[int, int], ...]

    def ports_text(self) -> str:
        if self.keyword:
            return self.keyword
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges)

    def contains(self, port: int) -> bool:
        return any(lo <= port <= hi for lo, hi in self.ranges)

    def specific(self) -> bool:
        return self.keyword is None


def parse_port_spec(text: str) -> PortSpec:
    """Parse "5060", "389, 636", "16384-32767" or a keyword. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"port spec must be a string, got {type(text).__name__}")
    t = text.strip()
    if t in PORT_KEYWORDS:
        return PortSpec(t, ())
    if not t:
        raise ValueError("empty port spec")
    ranges = []
    for part in t.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{1,5})(?:\s*-\s*(\d{1,5}))?", part)
        if not m:
            raise ValueError(f"malformed port or range '{part}' in '{text}'")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > 65535 or hi > 65535:
            raise ValueError(f"port out of range 0-65535 in '{text}'")
        if m.group(2) and lo >= hi:
            raise ValueError(f"range '{part}' must have low < high")
        ranges.append((lo, hi))
    ranges.sort()
    for (a_lo, a_hi), (b_lo, b_hi) in zip(ranges, ranges[1:]):
        if b_lo <= a_hi:
            raise ValueError(f"overlapping or repeated ports in '{text}'")
    return PortSpec(None, tuple(ranges))


@dataclasses.dataclass
class Flow:
    sender: str
    listener: str
    transport: tuple[str, ...]
    dst: PortSpec
    src: PortSpec | None


@dataclasses.dataclass
class Entry:
    """A catalog entry with inheritance and defaults resolved."""
    id: str
    doc: dict
    table: dict
    row: int
    raw: dict
    path: str
    flows: list[Flow]
    transport: tuple[str, ...]
    ip_proto: tuple[int, ...]
    protocol: tuple[str, ...]
    purpose: str
    purpose_original: str
    port_text: str
    product: str
    release: str
    facts: dict

    @property
    def language(self) -> str:
        return self.doc["language"]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


# Note markers that end the part of a purpose cell worth a one-line summary
# (English, Korean 참고, Japanese 注).
_SUMMARY_BREAKS = (". ", "。", " (Note)", "(Note)", " 참고 ", "（注）", "(注)")


def display_width(s: str) -> int:
    """Terminal columns: East Asian wide and fullwidth characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def short_text(text: str, limit: int = 60) -> str:
    """The purpose as a one-line summary: its first sentence, at most `limit`
    display columns (East Asian wide characters count two), cut at a word
    boundary where there is one, with "..." when cut. Deterministic."""
    s = " ".join(text.split())
    for mark in _SUMMARY_BREAKS:
        i = s.find(mark)
        if i > 0:
            s = s[:i]
    s = s.rstrip(" .。")
    if display_width(s) <= limit:
        return s
    room, cut = limit - 3, 0
    for ch in s:
        room -= display_width(ch)
        if room < 0:
            break
        cut += 1
    space = s.rfind(" ", 0, cut + 1)
    if space > cut // 2:  # a word boundary not too far back
        cut = space
    return s[:cut].rstrip(" ,;:(") + "..."


@dataclasses.dataclass
class Catalog:
    vocabulary: dict
    documents: list[dict]          # each: {"document":..., "table": [...], "path":...}
    entries: list[Entry]
    by_id: dict[str, Entry]


def _check_keys(path, eid, obj, allowed, what):
    errors = []
    if not isinstance(obj, dict):
        return [CatalogError(path, eid, f"{what} must be a table, got {type(obj).__name__}")]
    for key, value in obj.items():
        if key not in allowed:
            errors.append(CatalogError(path, eid, f"unknown key '{key}' in {what}"))
            continue
        want = allowed[key]
        if want is int and isinstance(value, bool):
            errors.append(CatalogError(path, eid, f"key '{key}' in {what} must be an integer"))
        elif not isinstance(value, want):
            errors.append(CatalogError(
                path, eid, f"key '{key}' in {what} must be {want.__name__}, got {type(value).__name__}"))
    return errors


def load_vocabulary(catalog_dir: str) -> dict:
    path = os.path.join(catalog_dir, VOCABULARY)
    try:
        with open(path, "rb") as f:
            voc = tomllib.load(f)
    except FileNotFoundError as e:
        raise CatalogError(path, None, "vocabulary file is missing") from e
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(path, None, f"TOML syntax error: {e}") from e
    for key in ("languages", "transports", "products", "protocols"):
        if key not in voc:
            raise CatalogError(path, None, f"vocabulary lacks '{key}'")
    return voc


def catalog_files(catalog_dir: str) -> list[str]:
    return sorted(os.path.join(catalog_dir, n) for n in os.listdir(catalog_dir)
                  if n.endswith(".toml") and n != VOCABULARY)


def load(catalog_dir: str = CATALOG_DIR, files: list[str] | None = None) -> tuple[Catalog, list[CatalogError]]:
    """Load and validate. Returns the catalog (best effort) and every error found."""
    errors: list[CatalogError] = []
    vocabulary = load_vocabulary(catalog_dir)
    if files is None:
        files = catalog_files(catalog_dir)
    if not files:
        errors.append(CatalogError(catalog_dir, None, "no catalog files (*.toml) found"))
    documents = []
    raw_entries: list[tuple[str, dict, dict, dict]] = []  # path, doc, table, entry
    seen_ids: dict[str, str] = {}
    doc_ids: dict[str, str] = {}
    for path in files:
        rel = os.path.relpath(path)
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            errors.append(CatalogError(rel, None, f"TOML syntax error: {e}"))
            continue
        except OSError as e:
            errors.append(CatalogError(rel, None, f"cannot read: {e.strerror}"))
            continue
        for key in data:
            if key not in ("document", "table", "entry"):
                errors.append(CatalogError(rel, None, f"unknown top-level key '{key}'"))
        doc = data.get("document")
        if not isinstance(doc, dict):
            errors.append(CatalogError(rel, None, "missing [document] table"))
            continue
        errs = _check_keys(rel, None, doc, DOC_KEYS, "[document]")
        errors += errs
        if errs:
            continue
        missing = [k for k in DOC_REQUIRED if k not in doc]
        if missing:
            errors.append(CatalogError(rel, None, f"[document] lacks {', '.join(missing)}"))
            continue
        if doc["id"] in doc_ids:
            errors.append(CatalogError(rel, None, f"duplicate document id '{doc['id']}' (also in {doc_ids[doc['id']]})"))
        doc_ids[doc["id"]] = rel
        if doc["product"] not in vocabulary["products"]:
            errors.append(CatalogError(rel, None, f"unknown product '{doc['product']}'"))
        if doc["language"] not in vocabulary["languages"]:
            errors.append(CatalogError(rel, None, f"unknown language '{doc['language']}'"))
        if doc["language"] != "en" and "title_en" not in doc:
            errors.append(CatalogError(rel, None, "[document] lacks title_en (required for non-English guides)"))
        tables = {}
        for t in data.get("table", []):
            errs = _check_keys(rel, None, t, TABLE_KEYS, "[[table]]")
            errors += errs
            if errs:
                continue
            if "number" not in t or "title" not in t:
                errors.append(CatalogError(rel, None, "[[table]] lacks number or title"))
                continue
            if t["number"] in tables:
                errors.append(CatalogError(rel, None, f"duplicate table number '{t['number']}'"))
            if doc["language"] != "en" and "title_en" not in t:
                errors.append(CatalogError(rel, None, f"table '{t['number']}' lacks title_en"))
            if "product" in t and t["product"] not in vocabulary["products"]:
                errors.append(CatalogError(rel, None, f"table '{t['number']}': unknown product '{t['product']}'"))
            tables[t["number"]] = t
        documents.append({"document": doc, "tables": tables, "path": rel})
        entries = data.get("entry", [])
        if not entries:
            errors.append(CatalogError(rel, None, "no [[entry]] rows"))
        for i, e in enumerate(entries):
            eid = e.get("id") if isinstance(e, dict) and isinstance(e.get("id"), str) else f"#{i + 1}"
            errs = _check_keys(rel, eid, e, ENTRY_KEYS, "[[entry]]")
            errors += errs
            if errs:
                continue
            if "id" not in e:
                errors.append(CatalogError(rel, eid, "entry has no id (no provenance)"))
                continue
            if eid in seen_ids:
                errors.append(CatalogError(rel, eid, f"duplicate id (first in {seen_ids[eid]})"))
                continue
            seen_ids[eid] = rel
            if "table" not in e or "row" not in e:
                errors.append(CatalogError(rel, eid, "entry lacks table or row (no provenance)"))
                continue
            table = tables.get(e["table"])
            if table is None:
                errors.append(CatalogError(rel, eid, f"table '{e['table']}' is not declared in [[table]]"))
                continue
            want_id = f"{doc['id']}.t{e['table']}.r{e['row']}"
            if eid != want_id:
                errors.append(CatalogError(rel, eid, f"id does not match its provenance (expected '{want_id}')"))
            if e["row"] < 1:
                errors.append(CatalogError(rel, eid, "row must be 1 or more"))
            raw_entries.append((rel, doc, table, e))

    by_raw = {e["id"]: (rel, doc, table, e) for rel, doc, table, e in raw_entries}
    order = {e["id"]: n for n, (_, _, _, e) in enumerate(raw_entries)}
    resolved: list[Entry] = []
    for rel, doc, table, e in raw_entries:
        ent, errs = _resolve(rel, doc, table, e, by_raw, order, vocabulary)
        errors += errs
        if ent is not None:
            resolved.append(ent)
    by_id = {e.id: e for e in resolved}
    errors += _check_rows(documents, raw_entries)
    for ent in resolved:
        errors += _check_cross_refs(ent, by_id)
    return Catalog(vocabulary, documents, resolved, by_id), errors


def _inherit(e: dict, by_raw: dict, order: dict, path: str, errors: list) -> dict:
    """Follow continuation_of and fill inherited keys (cycles are reported)."""
    merged = dict(e)
    seen = {e["id"]}
    cur = e
    while "continuation_of" in cur:
        ref = cur["continuation_of"]
        if ref not in by_raw:
            errors.append(CatalogError(path, e["id"], f"continuation_of points at unknown entry '{ref}'"))
            break
        if ref in seen:
            errors.append(CatalogError(path, e["id"], "continuation_of forms a cycle"))
            break
        if order[ref] >= order[cur["id"]]:
            errors.append(CatalogError(path, e["id"], f"continuation_of must point at an earlier row, not '{ref}'"))
            break
        seen.add(ref)
        cur = by_raw[ref][3]
        for key in INHERITED:
            if key not in merged and key in cur:
                merged[key] = cur[key]
        if "flows" in cur and "flows" not in merged and "dst" not in merged:
            merged["flows"] = cur["flows"]
    return merged


def _resolve(path, doc, table, e, by_raw, order, vocabulary):
    errors: list[CatalogError] = []
    eid = e["id"]
    m = _inherit(e, by_raw, order, path, errors)
    if "continuation_of" in e and "flows" in e:
        pass
    purpose = m.get("purpose")
    if not purpose or not purpose.strip():
        errors.append(CatalogError(path, eid, "entry has no purpose"))
    if doc["language"] != "en":
        if not m.get("purpose_original", "").strip():
            errors.append(CatalogError(path, eid, f"purpose_original is required for language '{doc['language']}'"))
    if "port_text" not in m:
        errors.append(CatalogError(path, eid, "entry has no port_text (the port cell as printed)"))
    transports = tuple(m.get("transport", ()))
    for t in transports:
        if t not in vocabulary["transports"]:
            errors.append(CatalogError(path, eid, f"unknown transport '{t}'"))
    if "unstated" in transports and len(transports) > 1:
        errors.append(CatalogError(path, eid, "transport 'unstated' cannot be combined with others"))
    for p in m.get("protocol", []):
        if p not in vocabulary["protocols"]:
            errors.append(CatalogError(path, eid, f"unknown protocol '{p}'"))
    product = e.get("product", table.get("product", doc["product"]))
    if product not in vocabulary["products"]:
        errors.append(CatalogError(path, eid, f"unknown product '{product}'"))
    flows: list[Flow] = []
    has_top = any(k in m for k in ("from", "to", "dst"))
    if "flows" in e and has_top and any(k in e for k in ("from", "to", "dst")):
        errors.append(CatalogError(path, eid, "entry has both flows and top-level from/to/dst"))
    raw_flows = m.get("flows") if "flows" in m and not any(k in e for k in ("from", "to")) else None
    if raw_flows is None:
        if not transports:
            errors.append(CatalogError(path, eid, "entry has no transport"))
        raw_flows = [{"from": m.get("from"), "to": m.get("to"), "dst": m.get("dst"),
                      **({"src": m["src"]} if "src" in m else {})}]
    for n, fl in enumerate(raw_flows):
        where = f"flow {n + 1}"
        if not isinstance(fl, dict):
            errors.append(CatalogError(path, eid, f"{where} must be an inline table"))
            continue
        errs = _check_keys(path, eid, {k: v for k, v in fl.items() if v is not None}, FLOW_KEYS, where)
        errors += errs
        if errs:
            continue
        missing = [k for k in ("from", "to", "dst") if fl.get(k) is None]
        if missing:
            errors.append(CatalogError(path, eid, f"{where} lacks {', '.join(missing)}"))
            continue
        ftrans = tuple(fl.get("transport", transports))
        if not ftrans:
            errors.append(CatalogError(path, eid, f"{where} has no transport"))
        for t in ftrans:
            if t not in vocabulary["transports"]:
                errors.append(CatalogError(path, eid, f"unknown transport '{t}' in {where}"))
        try:
            dst = parse_port_spec(fl["dst"])
            src = parse_port_spec(fl["src"]) if fl.get("src") is not None else None
        except ValueError as ex:
            errors.append(CatalogError(path, eid, f"{where}: {ex}"))
            continue
        if "ip" in ftrans or "l2" in ftrans:
            if dst.keyword != "none":
                errors.append(CatalogError(path, eid, f"{where}: ip/l2 transport must have dst = \"none\""))
        flows.append(Flow(fl["from"], fl["to"], ftrans, dst, src))
    ip_proto = tuple(m.get("ip_proto", ()))
    if "ip" in transports:
        if not ip_proto:
            errors.append(CatalogError(path, eid, "transport 'ip' requires ip_proto"))
    elif ip_proto:
        errors.append(CatalogError(path, eid, "ip_proto given but transport is not 'ip'"))
    for p in ip_proto:
        if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p <= 255:
            errors.append(CatalogError(path, eid, f"ip_proto value {p!r} is not an IP protocol number 0-255"))
    for c in e.get("corrections", []):
        errors += _check_keys(path, eid, c, CORRECTION_KEYS, "corrections item")
        if isinstance(c, dict) and not all(k in c for k in CORRECTION_KEYS):
            errors.append(CatalogError(path, eid, "corrections item needs field, original and fixed"))
    for s in e.get("secure", []):
        errors += _check_keys(path, eid, s, SECURE_KEYS, "secure item")
        if isinstance(s, dict) and not all(k in s for k in SECURE_KEYS):
            errors.append(CatalogError(path, eid, "secure item needs plain, secure and entry"))
    for s in e.get("stated_ranges", []):
        errors += _check_keys(path, eid, s, STATED_RANGE_KEYS, "stated_ranges item")
        try:
            parse_port_spec(s.get("ports", ""))
        except ValueError as ex:
            errors.append(CatalogError(path, eid, f"stated_ranges: {ex}"))
    # Every destination port must be printed in the guide's port cell, unless
    # a correction of the port is recorded: a typo in dst would otherwise be
    # a valid catalog with a wrong label.
    port_fixed = any(isinstance(c, dict) and c.get("field") in ("port", "dst") for c in e.get("corrections", []))
    printed = {int(n) for n in re.findall(r"\d+", m.get("port_text", ""))}
    if not port_fixed:
        for f in flows:
            for lo, hi in f.dst.ranges:
                for n in {lo, hi}:
                    if n not in printed:
                        errors.append(CatalogError(path, eid, f"dst port {n} does not appear in port_text "
                                                   f"'{m.get('port_text', '')}' (record a port correction if the guide is wrong)"))
    facts = {k: bool(e.get(k, False)) for k in BOOL_FACTS}
    if "then_ephemeral" not in e and m.get("then_ephemeral"):
        facts["then_ephemeral"] = True
    if facts["catch_all"] and all(f.dst.specific() and all(hi - lo < 100 for lo, hi in f.dst.ranges) for f in flows):
        errors.append(CatalogError(path, eid, "catch_all is set but no flow has a wide range or keyword port"))
    if errors:
        return None, errors
    ent = Entry(
        id=eid, doc=doc, table=table, row=e["row"], raw=e, path=path, flows=flows,
        transport=transports, ip_proto=ip_proto, protocol=tuple(m.get("protocol", ())),
        purpose=purpose.strip(), purpose_original=m.get("purpose_original", "").strip(),
        port_text=m.get("port_text", ""), product=product,
        release=e.get("release", table.get("release", doc["release"])), facts=facts)
    return ent, errors


def _check_rows(documents, raw_entries) -> list[CatalogError]:
    """Rows of each table must be numbered 1..N without gaps or repeats."""
    errors = []
    rows: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for rel, doc, table, e in raw_entries:
        rows.setdefault((rel, table["number"]), []).append((e["row"], e["id"]))
    for (rel, number), lst in rows.items():
        nums = sorted(r for r, _ in lst)
        if nums != list(range(1, len(nums) + 1)):
            dup = sorted({r for r in nums if nums.count(r) > 1})
            detail = f"repeated rows {dup}" if dup else f"rows {nums[:3]}... do not run 1..{len(nums)}"
            errors.append(CatalogError(rel, None, f"table '{number}': {detail}"))
    for d in documents:
        used = {t for (rel, t) in rows if rel == d["path"]}
        for number in d["tables"]:
            if number not in used:
                errors.append(CatalogError(d["path"], None, f"table '{number}' has no entries"))
    return errors


def _check_cross_refs(ent: Entry, by_id: dict[str, Entry]) -> list[CatalogError]:
    errors = []
    for s in ent.get("secure", []):
        target = by_id.get(s["entry"])
        if target is None:
            errors.append(CatalogError(ent.path, ent.id, f"secure counterpart points at unknown entry '{s['entry']}'"))
            continue
        if not any(s["secure"] in _flow_ports(f) for f in target.flows):
            errors.append(CatalogError(ent.path, ent.id,
                                       f"secure counterpart '{s['entry']}' does not document port {s['secure']}"))
        if not any(s["plain"] in _flow_ports(f) for f in ent.flows):
            errors.append(CatalogError(ent.path, ent.id, f"secure item's plain port {s['plain']} is not one of this entry's ports"))
        if s["plain"] == s["secure"]:
            errors.append(CatalogError(ent.path, ent.id, "secure item maps a port to itself"))
    dup = ent.get("duplicate_of")
    if dup is not None and dup not in by_id:
        errors.append(CatalogError(ent.path, ent.id, f"duplicate_of points at unknown entry '{dup}'"))
    return errors


def _flow_ports(flow: Flow) -> set[int]:
    out = set()
    for spec in (flow.dst, flow.src):
        if spec is None:
            continue
        for lo, hi in spec.ranges:
            if hi - lo < 64:
                out.update(range(lo, hi + 1))
            else:
                out.update((lo, hi))
    return out


def load_or_die(catalog_dir: str = CATALOG_DIR, files: list[str] | None = None) -> Catalog:
    cat, errors = load(catalog_dir, files)
    if errors:
        raise SystemExit("\n".join(["catalog validation failed:"] + [f"  {e}" for e in errors]))
    return cat
