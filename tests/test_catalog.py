"""Tests of the port catalog (catalog/*.toml) and its tools.

Standard library and pytest only. The codegen package is imported from the
repository root (pytest.ini: pythonpath = .).

  a. entries per guide and table equal the rows counted by reading the guides
  b. provenance and English purposes on every entry
  c. one test per validator rule (exact error strings), the `catalog validate`
     exit status, and the generator python3 -m codegen (refuses broken catalogs,
     deterministic)
  d. randomly mutated catalog files fail with clear errors or still load
  e. `catalog lookup` output for a handful of ports
  f. `catalog conflicts` lists the known disagreements between editions
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from codegen import catalog as cc
from codegen import conflicts as ciscouc_conflicts
from codegen import tables as gen_tables

# Version-independent (the catalog and its Python tooling): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "catalog")
TOOLS = os.path.join(ROOT, "tools")
CATALOG_CLI = os.path.join(TOOLS, "catalog")
GEN_TABLES = ["-m", "codegen"]  # run from ROOT
HEURISTICS = os.path.join(ROOT, "heuristics", "signatures.toml")
SEEDS = os.path.normpath(os.path.join(ROOT, "..", "shared", "seeds"))
PYTHON = sys.executable

# ---------------------------------------------------------------------------
# a. Rows per guide and table, counted by reading the guides (seeds).

EXPECTED_ROWS = {
    "cucm42-en": {"1": 27, "2": 14, "3": 5, "4": 2, "5": 7, "6": 1, "7": 22, "8": 9},
    "telepresence-en": {"A-2": 23, "A-3": 18, "A-4": 22, "A-5": 19, "A-6": 17, "A-7": 14,
                        "A-8": 9, "A-9": 10},
    "imp-en": {"2": 7, "3": 2, "4": 5, "5": 2, "6": 1, "7": 1, "8": 3, "9": 1, "10": 1, "11": 3,
               "12": 7, "13": 1, "14": 1, "15": 1, "16": 1, "17": 1, "18": 1, "19": 1, "20": 1,
               "21": 2, "22": 6, "23": 3, "24": 2, "25": 6, "26": 4, "27": 4, "28": 1, "29": 2,
               "30": 21, "31": 3, "32": 1, "33": 1, "34": 4},
    "cucm-ko": {"1": 33, "2": 27, "3": 2, "4": 2, "5": 1, "6": 17, "7": 25, "8": 14, "9": 1,
                "10": 1, "11": 4},
    "cucm-ja": {"1": 36, "2": 32, "3": 2, "4": 5, "5": 1, "6": 18, "7": 25, "8": 14, "9": 1,
                "10": 1, "11": 4},
}
EXPECTED_TOTALS = {"cucm42-en": 87, "telepresence-en": 132, "imp-en": 101, "cucm-ko": 127,
                   "cucm-ja": 139}


@pytest.fixture(scope="module")
def catalog() -> cc.Catalog:
    cat, errors = cc.load(CATALOG)
    assert not errors, "\n".join(str(e) for e in errors)
    return cat


def test_expected_totals_add_up():
    for doc, tables in EXPECTED_ROWS.items():
        assert sum(tables.values()) == EXPECTED_TOTALS[doc], doc


def test_entries_per_guide_and_table(catalog):
    counts: dict[str, dict[str, int]] = {}
    for ent in catalog.entries:
        per_doc = counts.setdefault(ent.doc["id"], {})
        per_doc[ent.table["number"]] = per_doc.get(ent.table["number"], 0) + 1
    assert counts == EXPECTED_ROWS
    totals = {d: sum(t.values()) for d, t in counts.items()}
    assert totals == EXPECTED_TOTALS


def test_declared_tables_are_the_counted_tables(catalog):
    for d in catalog.documents:
        assert sorted(d["tables"]) == sorted(EXPECTED_ROWS[d["document"]["id"]]), d["path"]


def test_rows_run_in_guide_order(catalog):
    """Inside each table, the file lists rows 1..N in order."""
    seen: dict[tuple[str, str], list[int]] = {}
    for ent in catalog.entries:
        seen.setdefault((ent.doc["id"], ent.table["number"]), []).append(ent.row)
    for key, rows in seen.items():
        assert rows == list(range(1, len(rows) + 1)), key


# ---------------------------------------------------------------------------
# b. Provenance and purposes.

# Hangul (jamo, compatibility jamo, syllables), kana (hiragana, katakana,
# half-width katakana), CJK ideographs and extension A, CJK symbols and
# punctuation, full-width forms.
CJK = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u31f0-\u31ff"
                 "\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")


def test_every_entry_has_provenance(catalog):
    for ent in catalog.entries:
        doc, table = ent.doc, ent.table
        for key in ("id", "title", "seed"):
            assert isinstance(doc.get(key), str) and doc[key].strip(), (ent.id, key)
        assert isinstance(table.get("number"), str) and table["number"].strip(), ent.id
        assert isinstance(table.get("title"), str) and table["title"].strip(), ent.id
        assert isinstance(ent.row, int) and ent.row >= 1, ent.id
        assert ent.id == f"{doc['id']}.t{table['number']}.r{ent.row}"
        assert ent.purpose.strip(), ent.id
        assert ent.port_text is not None, ent.id
        if doc["language"] != "en":
            assert table.get("title_en", "").strip(), ent.id


def test_seeds_named_by_documents_exist(catalog):
    if not os.path.isdir(SEEDS):
        pytest.skip(f"{SEEDS} is absent")
    for d in catalog.documents:
        assert os.path.isfile(os.path.join(SEEDS, d["document"]["seed"])), d["path"]


def test_ko_ja_entries_keep_the_original_text(catalog):
    n = 0
    for ent in catalog.entries:
        if ent.language not in ("ko", "ja"):
            continue
        n += 1
        assert ent.purpose_original.strip(), ent.id
        for key in ("from", "to"):
            original = ent.get(f"{key}_original")
            assert isinstance(original, str), (ent.id, key)
            # Empty only where the printed cell is empty (English "unspecified").
            assert original.strip() or ent.get(key) == "unspecified", (ent.id, key)
    assert n == EXPECTED_TOTALS["cucm-ko"] + EXPECTED_TOTALS["cucm-ja"]


def test_english_text_has_no_hangul_kana_or_cjk(catalog):
    for ent in catalog.entries:
        assert not CJK.search(ent.purpose), (ent.id, ent.purpose)
        for f in ent.flows:
            assert not CJK.search(f.sender), (ent.id, f.sender)
            assert not CJK.search(f.listener), (ent.id, f.listener)


def test_the_cjk_pattern_sees_hangul_kana_and_kanji():
    for s in ("포트", "ポート", "ぽーと", "通信", "（注）"):
        assert CJK.search(s), s
    assert not CJK.search("Real-Time Protocol (RTP) – 16384–32767 / UDP")


# ---------------------------------------------------------------------------
# c. Validator rules, one test each, exact error strings.

def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)


def doc_toml(language: str = "en", **over) -> str:
    doc = {"id": f"x-{language}", "title": "Test guide", "product": "cucm", "edition": "Test",
           "release": "1", "language": language, "seed": "000_test.txt", "edition_rank": 1,
           "edition_group": "test", "edition_group_name": "Test"}
    table = {"number": "1", "title": "Table one"}
    if language != "en":
        doc["title_en"] = "Test guide (English)"
        table["title_en"] = "Table one (English)"
    doc.update(over)
    lines = ["[document]"] + [f"{k} = {toml_value(v)}" for k, v in doc.items() if v is not None]
    lines += ["", "[[table]]"] + [f"{k} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def entry(language: str = "en", row: int = 1, **over) -> dict:
    e = {"id": f"x-{language}.t1.r{row}", "table": "1", "row": row, "from": "Phone",
         "to": "Unified CM", "transport": ["tcp"], "dst": str(5059 + row),
         "port_text": f"{5059 + row} / TCP", "protocol": ["SIP"] if row == 1 else ["SIPS"],
         "purpose": f"Purpose of row {row}"}
    if language != "en":
        e["from_original"] = "전화기"
        e["to_original"] = "Unified Communications Manager"
        e["purpose_original"] = f"목적 {row}"
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


def entry_toml(e: dict) -> str:
    return "\n[[entry]]\n" + "\n".join(f"{k} = {toml_value(v)}" for k, v in e.items()) + "\n"


def write_catalog(folder, text: str, name: str = "x.toml") -> str:
    os.makedirs(folder, exist_ok=True)
    shutil.copy(os.path.join(CATALOG, cc.VOCABULARY), os.path.join(folder, cc.VOCABULARY))
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text)
    return str(folder)


def catalog_text(r1: dict | None = None, r2: dict | None = None, language: str = "en", **doc) -> str:
    r1 = entry(language, 1) if r1 is None else r1
    r2 = entry(language, 2) if r2 is None else r2
    return doc_toml(language, **doc) + entry_toml(r1) + entry_toml(r2)


@pytest.fixture
def errors_of(tmp_path, monkeypatch):
    """Write a one-file catalog and return its validation errors as strings.

    The working directory is the catalog folder, so the file is named 'x.toml'
    in the messages."""
    monkeypatch.chdir(tmp_path)

    def run(text: str) -> list[str]:
        folder = write_catalog(tmp_path, text)
        _, errors = cc.load(folder)
        return [str(e) for e in errors]
    return run


def test_base_catalog_of_the_rule_tests_is_valid(errors_of):
    assert errors_of(catalog_text()) == []
    assert errors_of(catalog_text(language="ko")) == []
    assert errors_of(catalog_text(r1=entry(secure=[{"plain": 5060, "secure": 5061, "entry": "x-en.t1.r2"}]))) == []


def test_catalog_error_format():
    assert str(cc.CatalogError("a.toml", "a.t1.r1", "why")) == "a.toml: entry 'a.t1.r1': why"
    assert str(cc.CatalogError("a.toml", None, "why")) == "a.toml: why"


def test_rule_unknown_key(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, bogus=1))) == [
        "x.toml: entry 'x-en.t1.r2': unknown key 'bogus' in [[entry]]"]


def test_rule_malformed_port(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, dst="50x61"))) == [
        "x.toml: entry 'x-en.t1.r2': flow 1: malformed port or range '50x61' in '50x61'"]


def test_rule_range_low_not_below_high(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, dst="6000-5000"))) == [
        "x.toml: entry 'x-en.t1.r2': flow 1: range '6000-5000' must have low < high"]
    assert errors_of(catalog_text(r2=entry(row=2, dst="5061-5061"))) == [
        "x.toml: entry 'x-en.t1.r2': flow 1: range '5061-5061' must have low < high"]


def test_rule_port_above_65535(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, dst="65536"))) == [
        "x.toml: entry 'x-en.t1.r2': flow 1: port out of range 0-65535 in '65536'"]


def test_rule_duplicate_id(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, id="x-en.t1.r1"))) == [
        "x.toml: entry 'x-en.t1.r1': duplicate id (first in x.toml)"]


def test_rule_id_must_match_provenance(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, id="x-en.t1.r7"))) == [
        "x.toml: entry 'x-en.t1.r7': id does not match its provenance (expected 'x-en.t1.r2')"]


def test_rule_missing_purpose(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, purpose=None))) == [
        "x.toml: entry 'x-en.t1.r2': entry has no purpose"]
    assert errors_of(catalog_text(r2=entry(row=2, purpose="   "))) == [
        "x.toml: entry 'x-en.t1.r2': entry has no purpose"]


@pytest.mark.parametrize("drop", ["table", "row"])
def test_rule_missing_provenance(errors_of, drop):
    r2 = entry(row=2)
    del r2[drop]
    assert errors_of(catalog_text(r2=r2)) == [
        "x.toml: entry 'x-en.t1.r2': entry lacks table or row (no provenance)"]


def test_rule_missing_id(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, id=None))) == [
        "x.toml: entry '#2': entry has no id (no provenance)"]


def test_rule_undeclared_table(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, table="9", id="x-en.t9.r2"))) == [
        "x.toml: entry 'x-en.t9.r2': table '9' is not declared in [[table]]"]


def test_rule_secure_counterpart_unknown_entry(errors_of):
    r1 = entry(secure=[{"plain": 5060, "secure": 5061, "entry": "x-en.t1.r8"}])
    assert errors_of(catalog_text(r1=r1)) == [
        "x.toml: entry 'x-en.t1.r1': secure counterpart points at unknown entry 'x-en.t1.r8'"]


def test_rule_secure_counterpart_must_document_the_port(errors_of):
    r1 = entry(secure=[{"plain": 5060, "secure": 5062, "entry": "x-en.t1.r2"}])
    assert errors_of(catalog_text(r1=r1)) == [
        "x.toml: entry 'x-en.t1.r1': secure counterpart 'x-en.t1.r2' does not document port 5062"]


def test_rule_unknown_product(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, product="pbx"))) == [
        "x.toml: entry 'x-en.t1.r2': unknown product 'pbx'"]
    assert errors_of(catalog_text(product="pbx")) == [
        "x.toml: unknown product 'pbx'",
        "x.toml: entry 'x-en.t1.r1': unknown product 'pbx'",
        "x.toml: entry 'x-en.t1.r2': unknown product 'pbx'"]


def test_rule_unknown_protocol(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, protocol=["SIP2"]))) == [
        "x.toml: entry 'x-en.t1.r2': unknown protocol 'SIP2'"]


def test_rule_unknown_transport(errors_of):
    assert errors_of(catalog_text(r2=entry(row=2, transport=["sctp"]))) == [
        "x.toml: entry 'x-en.t1.r2': unknown transport 'sctp'",
        "x.toml: entry 'x-en.t1.r2': unknown transport 'sctp' in flow 1"]


def test_rule_ip_transport_needs_ip_proto(errors_of):
    r2 = entry(row=2, transport=["ip"], dst="none", port_text="50", protocol=["ESP"])
    assert errors_of(catalog_text(r2=r2)) == [
        "x.toml: entry 'x-en.t1.r2': transport 'ip' requires ip_proto"]
    assert errors_of(catalog_text(r2=dict(r2, ip_proto=[50]))) == []


def test_rule_continuation_must_point_at_an_earlier_row(errors_of):
    r1 = entry(continuation_of="x-en.t1.r2")
    assert errors_of(catalog_text(r1=r1)) == [
        "x.toml: entry 'x-en.t1.r1': continuation_of must point at an earlier row, not 'x-en.t1.r2'"]


def test_rule_continuation_of_unknown_row(errors_of):
    r2 = entry(row=2, continuation_of="x-en.t1.r5")
    assert errors_of(catalog_text(r2=r2)) == [
        "x.toml: entry 'x-en.t1.r2': continuation_of points at unknown entry 'x-en.t1.r5'"]


def test_continuation_inherits_from_an_earlier_row(errors_of):
    r2 = {"id": "x-en.t1.r2", "table": "1", "row": 2, "continuation_of": "x-en.t1.r1",
          "from": "Unified CM", "to": "Phone"}
    assert errors_of(catalog_text(r2=r2)) == []


def test_rule_ko_entry_needs_purpose_original(errors_of):
    r2 = entry("ko", row=2, purpose_original=None)
    assert errors_of(catalog_text(r2=r2, language="ko")) == [
        "x.toml: entry 'x-ko.t1.r2': purpose_original is required for language 'ko'"]


def test_rule_rows_without_gaps(errors_of):
    r2 = entry(row=3)
    assert errors_of(catalog_text(r2=r2)) == ["x.toml: table '1': rows [1, 3]... do not run 1..2"]


def test_rule_toml_syntax_error(errors_of):
    text = catalog_text() + "\n[[entry]\nid = \n"
    with pytest.raises(tomllib.TOMLDecodeError) as exc:
        tomllib.loads(text)
    assert errors_of(text) == [f"x.toml: TOML syntax error: {exc.value}"]


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, CATALOG_CLI, *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def test_catalog_validate_exit_status(tmp_path):
    good = run_cli("validate")
    assert good.returncode == 0, good.stderr
    assert "entries in 5 document(s): OK" in good.stdout
    folder = write_catalog(tmp_path, catalog_text(r2=entry(row=2, bogus=1)))
    bad = run_cli("--catalog", folder, "validate", cwd=folder)
    assert bad.returncode == 1
    assert "x.toml: entry 'x-en.t1.r2': unknown key 'bogus' in [[entry]]" in bad.stderr
    assert "validation failed" in bad.stderr
    ok = run_cli("--catalog", write_catalog(tmp_path / "ok", catalog_text()), "validate")
    assert ok.returncode == 0, ok.stderr


def gen(catalog_dir: str, out_dir, *extra) -> tuple[subprocess.CompletedProcess, str, str]:
    out_cat = os.path.join(out_dir, "catalog_data.cpp")
    out_heur = os.path.join(out_dir, "heuristics_data.cpp")
    p = subprocess.run([PYTHON, *GEN_TABLES, "--catalog", catalog_dir, *extra,
                        "--heuristics", HEURISTICS, "--out-catalog", out_cat,
                        "--out-heuristics", out_heur],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    return p, out_cat, out_heur


def test_gen_tables_refuses_a_broken_catalog(tmp_path):
    folder = write_catalog(tmp_path / "cat", catalog_text(r2=entry(row=2, dst="70000")))
    out = tmp_path / "out"
    out.mkdir()
    p, out_cat, out_heur = gen(folder, out)
    assert p.returncode != 0
    assert "port out of range 0-65535 in '70000'" in p.stderr
    assert "nothing generated" in p.stderr
    assert os.listdir(out) == []


def test_gen_tables_refuses_a_catalog_file_not_expected(tmp_path):
    folder = write_catalog(tmp_path / "cat", catalog_text())
    write_catalog(folder, catalog_text(), name="extra.toml")
    out = tmp_path / "out"
    out.mkdir()
    p, _, _ = gen(folder, out, "--expect", os.path.join(folder, "x.toml"))
    assert p.returncode != 0
    assert "extra.toml: catalog file not listed" in p.stderr
    assert os.listdir(out) == []


def test_gen_tables_is_deterministic_and_has_the_banner(tmp_path):
    expect = cc.catalog_files(CATALOG)
    outputs = []
    for _ in range(2):
        p, out_cat, out_heur = gen(CATALOG, tmp_path, "--expect", *expect)
        assert p.returncode == 0, p.stderr
        with open(out_cat, "rb") as f:
            cat_bytes = f.read()
        with open(out_heur, "rb") as f:
            heur_bytes = f.read()
        outputs.append((cat_bytes, heur_bytes))
        os.remove(out_cat)
        os.remove(out_heur)
    assert outputs[0] == outputs[1]
    for data in outputs[0]:
        lines = data.decode("utf-8").splitlines()
        assert lines[0] == "// Generated by codegen/tables.py (python3 -m codegen), do not edit."
        assert lines[1] == "// Source of truth: catalog/*.toml and heuristics/signatures.toml."
        # No absolute path (source or build folder) and no timestamp in the banner.
        assert ROOT not in data.decode("utf-8") and str(tmp_path) not in data.decode("utf-8")


# ---------------------------------------------------------------------------
# d. Robustness: mutated catalog files either fail with errors naming the file
# or still load with every port parsed; nothing else is raised.

MUTATIONS_PER_FILE = 200


def mutate(lines: list[str], rng: random.Random) -> list[str]:
    lines = list(lines)
    op = rng.choice(("delete", "duplicate", "digit", "swap", "truncate"))
    if op == "delete":
        del lines[rng.randrange(len(lines))]
    elif op == "duplicate":
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif op == "digit":
        i = rng.choice([n for n, line in enumerate(lines) if any(c.isdigit() for c in line)])
        j = rng.choice([n for n, c in enumerate(lines[i]) if c.isdigit()])
        lines[i] = lines[i][:j] + rng.choice("0123456789") + lines[i][j + 1:]
    elif op == "swap":
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines = lines[:rng.randrange(len(lines))]
    return lines


def check_loaded(cat: cc.Catalog, name: str) -> None:
    assert cat.entries, name
    for ent in cat.entries:
        assert ent.id == f"{ent.doc['id']}.t{ent.table['number']}.r{ent.row}", (name, ent.id)
        assert ent.purpose, (name, ent.id)
        assert ent.flows, (name, ent.id)
        for f in ent.flows:
            for spec in (f.dst, f.src):
                if spec is None:
                    continue
                assert isinstance(spec, cc.PortSpec), (name, ent.id)
                assert spec.keyword in cc.PORT_KEYWORDS or (spec.keyword is None and spec.ranges)
                for lo, hi in spec.ranges:
                    assert 0 <= lo <= hi <= 65535, (name, ent.id)
        if "ip" in ent.transport:
            assert ent.ip_proto, (name, ent.id)


@pytest.mark.parametrize("name", [os.path.basename(p) for p in cc.catalog_files(CATALOG)])
def test_mutated_catalog_files(tmp_path, name):
    with open(os.path.join(CATALOG, name), encoding="utf-8") as f:
        lines = f.read().split("\n")
    folder = write_catalog(tmp_path, "")
    os.remove(os.path.join(folder, "x.toml"))
    path = os.path.join(folder, name)
    rng = random.Random(f"ciscouc-{name}")
    rejected = accepted = 0
    for n in range(MUTATIONS_PER_FILE):
        mutant = mutate(lines, rng)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(mutant))
        where = f"{name} mutant {n}"
        try:
            cat, errors = cc.load(folder, [path])
        except (cc.CatalogError, SystemExit) as e:
            assert name in str(e) or cc.VOCABULARY in str(e), where
            rejected += 1
            continue
        if errors:
            for e in errors:
                assert name in str(e), (where, str(e))
            rejected += 1
            continue
        accepted += 1
        check_loaded(cat, where)
        # The generator accepts what the validator accepts, or fails cleanly.
        for i, ent in enumerate(cat.entries):
            ent.raw["_order"] = i
        try:
            code = gen_tables.build_catalog(cat, "0" * 16)
        except SystemExit as e:
            assert str(e).startswith("gen_tables: "), where
        else:
            assert "kEntries[]" in code, where
    # Both outcomes occur, so the test exercises both branches.
    assert rejected and accepted, (rejected, accepted)


# ---------------------------------------------------------------------------
# e. `catalog lookup`.

SOURCE_ID = re.compile(r"\(([a-z0-9-]+\.t[A-Z0-9-]+\.r\d+)\)\s*$")


def lookup(*args) -> subprocess.CompletedProcess:
    return run_cli("lookup", *args)


def ids_in(out: str) -> list[str]:
    return [m.group(1) for line in out.splitlines() if (m := SOURCE_ID.search(line))]


def test_lookup_2000_tcp():
    p = lookup("2000/tcp")
    assert p.returncode == 0, p.stderr
    assert "SCCP" in p.stdout
    ids = ids_in(p.stdout)
    assert "cucm42-en.t5.r3" in ids
    assert "cucm-ja.t6.r3" in ids
    assert p.stdout.startswith("2000/tcp: ")


def test_lookup_8443_lists_imp_and_unified_cm():
    p = lookup("8443")
    assert p.returncode == 0, p.stderr
    docs = {i.split(".")[0] for i in ids_in(p.stdout)}
    assert {"imp-en", "cucm-ko", "cucm-ja"} <= docs
    assert "[IM and Presence]" in p.stdout
    assert "[Unified CM (Korean edition)]" in p.stdout
    assert "[Unified CM (Japanese edition)]" in p.stdout
    # The TelePresence guide (seed 001) never mentions 8443, so no TelePresence row.
    assert "telepresence-en" not in docs


def test_lookup_5060_udp_against_5061_udp():
    p60 = lookup("5060/udp")
    p61 = lookup("5061/udp")
    assert p60.returncode == 0 and p61.returncode == 0
    docs60 = {i.split(".")[0] for i in ids_in(p60.stdout)}
    docs61 = {i.split(".")[0] for i in ids_in(p61.stdout)}
    assert docs60 == {"cucm42-en", "cucm-ko", "cucm-ja", "imp-en", "telepresence-en"}
    # Only TelePresence documents 5061 over UDP.
    assert docs61 == {"telepresence-en"}
    assert "telepresence-en.tA-6.r13" in ids_in(p61.stdout)


def test_lookup_65000_tcp_is_only_catch_all():
    p = lookup("65000/tcp")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    cime = [i for i, line in enumerate(lines) if "CIME" in line and "->" in line]
    assert cime, p.stdout
    for i in cime:
        assert lines[i - 1].strip() == "[catch-all range: weak evidence]"
    assert "facts: catch all" in p.stdout
    # every use of 65000 is a catch-all range
    uses = [line for line in lines if "->" in line]
    markers = [line for line in lines if "[catch-all range: weak evidence]" in line]
    assert len(uses) == len(markers)


def test_lookup_undocumented_port():
    p = lookup("1/udp")
    assert p.returncode == 1
    assert "not documented" in p.stdout


def test_lookup_bad_port_is_a_usage_error():
    p = lookup("99999")
    assert p.returncode == 2
    assert "not a port number" in p.stderr


def test_lookup_ip_protocol_50_lists_esp_rows():
    p = run_cli("lookup", "--proto", "50")
    assert p.returncode == 0, p.stderr
    ids = ids_in(p.stdout)
    assert {"cucm42-en.t7.r1", "cucm42-en.t7.r2"} <= set(ids)
    protos = [line for line in p.stdout.splitlines() if line.strip().startswith("protocol:")]
    assert len(protos) == len(ids)
    assert all("ESP" in line for line in protos)


# ---------------------------------------------------------------------------
# f. `catalog conflicts`.

def parse_conflicts(text: str) -> list[dict]:
    """The text report as [{kind, what, sides: {doc: (values, ids)}}]."""
    out = []
    for line in text.splitlines():
        if line.startswith("Ports documented by only some editions"):
            break
        m = re.match(r"^\[(\w+)\] (.*)$", line)
        if m:
            out.append({"kind": m.group(1), "what": m.group(2), "sides": {}})
            continue
        m = re.match(r"^    ([a-z0-9-]+): (.*?)   \((.*)\)$", line)
        if m and out:
            out[-1]["sides"][m.group(1)] = (m.group(2).split(", "), m.group(3).split(", "))
    return out


@pytest.fixture(scope="module")
def conflicts() -> list[dict]:
    p = run_cli("conflicts")
    assert p.returncode == 0, p.stderr
    parsed = parse_conflicts(p.stdout)
    m = re.match(r"Conflicts between guides and editions: (\d+)", p.stdout)
    assert m and int(m.group(1)) == len(parsed)
    return parsed


def find(conflicts, kind, what, a, b) -> tuple:
    for c in conflicts:
        if c["kind"] == kind and re.fullmatch(what, c["what"]) and {a, b} == set(c["sides"]):
            return c["sides"][a], c["sides"][b]
    raise AssertionError(f"no [{kind}] {what} conflict between {a} and {b}")


@pytest.mark.parametrize("edition", ["cucm-ko", "cucm-ja"])
def test_conflict_rtp_range(conflicts, edition):
    for what in ("udp RTP, SRTP from gateway to unified cm", "udp RTP, SRTP from ip vms to phone"):
        old, new = find(conflicts, "ports", re.escape(what), "cucm42-en", edition)
        assert old[0] == ["16384-32768"] and new[0] == ["16384-32767"]
    old, new = find(conflicts, "stated", "Unified CM RTP/SRTP port range", "cucm42-en", edition)
    assert old[0] == ["24576-32768"] and new[0] == ["24576-32767"]


@pytest.mark.parametrize("edition", ["cucm-ko", "cucm-ja"])
def test_conflict_attendant_console(conflicts, edition):
    old, new = find(conflicts, "ports", re.escape("tcp RMI from attendant console to unified cm"),
                    "cucm42-en", edition)
    assert "1099-1129" in old[0] and "cucm42-en.t8.r6" in old[1]
    assert "1103-1129" in new[0] and f"{edition}.t8.r6" in new[1]


def test_conflict_dns_tcp_listener(conflicts):
    ja, ko = find(conflicts, "listener", re.escape("DNS on 53/tcp"), "cucm-ja", "cucm-ko")
    assert ko == (["unified cm"], ["cucm-ko.t6.r1"])
    assert ja == (["dns server"], ["cucm-ja.t6.r1"])


@pytest.mark.parametrize("edition", ["cucm-ko", "cucm-ja"])
def test_conflict_sip_5061_over_udp(conflicts, edition):
    # The TelePresence rows "CUCM: 5060, 5061" over UDP (SIP, SIP over TLS);
    # Unified CM documents 5061 over TCP only.
    cucm, tp = find(conflicts, "transport", r"SIPS? on port 5061", edition, "telepresence-en")
    assert cucm[0] == ["tcp"]
    assert "udp" in tp[0]
    assert "telepresence-en.tA-6.r13" in tp[1]


def test_conflict_ios_gateway_h245_range(conflicts):
    ja, ko = find(conflicts, "stated", "IOS gateway H.245 port range", "cucm-ja", "cucm-ko")
    assert ko == (["11000-65535"], ["cucm-ko.t7.r12", "cucm-ko.t7.r13"])
    assert ja == (["11000-11099"], ["cucm-ja.t7.r12", "cucm-ja.t7.r13"])


def test_conflict_japanese_dns_ephemeral(conflicts):
    ja, old = find(conflicts, "ports", re.escape("udp DNS from endpoint to unified cm"),
                   "cucm-ja", "cucm42-en")
    assert ja == (["ephemeral"], ["cucm-ja.t2.r4"])
    assert old == (["53"], ["cucm42-en.t2.r3"])


def test_conflicts_without_noise(conflicts):
    """Rows that list 5060 and 5061 for SIP and SIPS are not compared as
    SIPS on 5060 or SIP on 5061."""
    whats = {c["what"] for c in conflicts}
    assert "SIPS on port 5060" not in whats
    assert "SIP on port 5061" not in whats
    for c in conflicts:
        assert len(c["sides"]) == 2, c


def test_role_normalisation():
    rk = ciscouc_conflicts.role_key
    assert rk("Unified CM Attendant Console") == rk("Attendant Console") == "attendant console"
    assert rk("Unified CM (DNS Server)") == "unified cm"
    assert rk("Unified CM") == "unified cm"
    assert rk("UNIFIED CM publisher") == "publisher"
    assert rk("Unified CM (Dialed Number Analyzer (DNA) initialization server)") == "unified cm"
    assert rk("DNS server") == "dns server"


def test_port_attribution_uses_secure_items(catalog):
    ent = catalog.by_id["telepresence-en.tA-6.r13"]
    f = ent.flows[0]
    attribute = ciscouc_conflicts._port_protocols
    assert attribute(ent, f, 5060, catalog.vocabulary) == ("SIP",)
    assert attribute(ent, f, 5061, catalog.vocabulary) == ("SIPS",)
    single = catalog.by_id["cucm-ko.t6.r9"]
    assert attribute(single, single.flows[0], 5061, catalog.vocabulary) == ("SIPS",)


def test_conflicts_markdown_renders(conflicts):
    p = run_cli("conflicts", "--markdown")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "# Disagreements between the guides"
    assert f"## Conflicts ({len(conflicts)})" in lines
    start = lines.index("| kind | what | one side | other side |")
    assert lines[start + 1] == "|---|---|---|---|"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    assert len(rows) == len(conflicts)
    for row in rows:
        assert row.endswith(" |") and row.count(" | ") == 3, row
    assert any("IOS gateway H.245 port range" in r and "11000-65535" in r for r in rows)
    m = re.search(r"^## Ports documented by only some editions \((\d+)\)$", p.stdout, re.M)
    assert m
    start = lines.index("| product | port | in | not in |")
    assert lines[start + 1] == "|---|---|---|---|"
    assert len([line for line in lines[start + 2:] if line.startswith("| ")]) == int(m.group(1))
    # The same report as the library renders.
    cat, _ = cc.load(CATALOG)
    assert p.stdout == ciscouc_conflicts.render(ciscouc_conflicts.find_conflicts(cat), markdown=True)


def test_validator_rejects_a_dst_port_not_printed_in_the_guide(tmp_path):
    """A digit typo in dst would be a valid catalog with a wrong label."""
    import shutil
    from codegen import catalog as cc
    shutil.copy(os.path.join(cc.CATALOG_DIR, "vocabulary.toml"), tmp_path / "vocabulary.toml")
    (tmp_path / "x.toml").write_text('''
[document]
id = "x"
title = "X"
product = "cucm"
edition = "X"
release = "1"
language = "en"
seed = "x.txt"
edition_rank = 1
edition_group = "x"
edition_group_name = "X"

[[table]]
number = "1"
title = "T"

[[entry]]
id = "x.t1.r1"
table = "1"
row = 1
from = "Phone"
to = "Unified CM"
transport = ["tcp"]
dst = "2001"
port_text = "2000 / TCP"
purpose = "SCCP"
''')
    cat, errors = cc.load(str(tmp_path))
    assert [str(e) for e in errors] == [
        f"{os.path.relpath(str(tmp_path / 'x.toml'))}: entry 'x.t1.r1': dst port 2001 does not appear in port_text "
        "'2000 / TCP' (record a port correction if the guide is wrong)"]


# ---- The one-line summary's short purpose (generated into the tables)

@pytest.mark.parametrize("text,expected", [
    ("SQL", "SQL"),
    ("Sends SNMP traps to a management station.", "Sends SNMP traps to a management station"),
    ("Real-Time Protocol (RTP), Secure Real-Time Protocol (SRTP). (Note) Other devices use the full range.",
     "Real-Time Protocol (RTP), Secure Real-Time Protocol (SRTP)"),
    ("This port is used for communication between the subscriber and the publisher during installation.",
     "This port is used for communication between the..."),
    ("RTP(Real-Time Protocol), SRTP(Secure Real-Time Protocol) 참고 다른 디바이스들은 전체 범위를 사용",
     "RTP(Real-Time Protocol), SRTP(Secure Real-Time Protocol)"),
    ("Smart Licensing Service はライセンスの使用状 況を CSSM に送信し て、Unified CM が問題 であるかどうかを確認 します。",
     "Smart Licensing Service はライセンスの使用状 況を CSSM..."),
])
def test_short_text(text, expected):
    assert cc.short_text(text) == expected


def test_short_purposes_fit_sixty_columns(catalog):
    assert cc.display_width("RTP 참고") == 8
    for e in catalog.entries:
        for text in (e.purpose, e.purpose_original or e.purpose):
            short = cc.short_text(text)
            assert short and cc.display_width(short) <= 60, (e.id, short)
            # A prefix of the (whitespace-normalised) purpose, or one cut short with "...".
            assert " ".join(text.split()).startswith(short.removesuffix("...").rstrip()), (e.id, short)
