"""The order in which the plugin lists the documented uses of a port.

One definition, used by the table generator (the members of each port
segment in kSegmentMembers are sorted by rank_key) and by `tools/catalog
lookup` (which prints its rows in the same order).

Generator order: specific rows before catch-all ranges, then the narrower
range (an exact port before a range), then the newer edition, then the
guide's position (documents by seed) and the row's position in the tables
(flows numbered in entry order). classify() in
core/classify.cpp sorts on top of it, stably: specific before
catch-all, then rows documenting the protocol seen in the payload, then the
preferred edition (ciscouc.edition, none by default). Without payload and
without a preferred edition the plugin's order is this one.
"""
from __future__ import annotations

from codegen import catalog as cc


def documents(cat: cc.Catalog) -> list[dict]:
    """The documents in generator order (by seed)."""
    return sorted((d["document"] for d in cat.documents), key=lambda d: d["seed"])


def entries(cat: cc.Catalog, doc_index: dict[str, int]) -> list[cc.Entry]:
    """The entries in generator order: by document, file order inside each."""
    return sorted(cat.entries, key=lambda e: doc_index[e.doc["id"]])


def rank_key(entry: cc.Entry, lo: int, hi: int, flow_index: int, doc_index: dict[str, int]) -> tuple:
    """Sort key of one flow of `entry` whose port range lo-hi covers the port."""
    return (1 if entry.facts["catch_all"] else 0, hi - lo, -entry.doc["edition_rank"],
            doc_index[entry.doc["id"]], flow_index)


def flow_numbers(cat: cc.Catalog) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    """doc_index (document id -> position) and (entry id, flow position) -> flow number, as generated."""
    doc_index = {d["id"]: i for i, d in enumerate(documents(cat))}
    numbers: dict[tuple[str, int], int] = {}
    for e in entries(cat, doc_index):
        for i in range(len(e.flows)):
            numbers[(e.id, i)] = len(numbers)
    return doc_index, numbers
