"""Load heuristics/signatures.toml and compile it into C++ tables.

The generated tables are interpreted by core/signatures.cpp.
Unknown check types, keys or values are errors naming the signature: the
generator fails hard rather than emit a matcher that silently does nothing.
"""
from __future__ import annotations

import tomllib

INT_TYPES = {"u8": 1, "u16be": 2, "u16le": 2, "u32be": 4, "u32le": 4}
CHECK_KEYS = {
    **{t: {"type", "offset", "plus_u8_at", "equals", "in", "min", "max"} for t in INT_TYPES},
    "bytes": {"type", "offset", "hex"},
    "search": {"type", "hex", "text", "within"},
    "prefix": {"type", "any"},
    "line_has": {"type", "text", "any"},
    "digits": {"type", "offset", "min", "max", "then"},
    "line_printable": {"type"},
    "length_field": {"type", "field", "offset", "add", "relation"},
    "printable": {"type", "count"},
}
SIG_KEYS = {"name", "protocol", "transport", "dissector", "min_length", "checks", "ports", "sniff_ports", "evidence_only"}
TRANSPORTS = {"tcp": "kTcp", "udp": "kUdp", "both": "kTcp | kUdp"}


class SignatureError(Exception):
    pass


def _err(path, name, msg):
    return SignatureError(f"{path}: signature '{name}': {msg}")


def load(path: str, vocabulary_protocols: set[str] | None = None) -> list[dict]:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise SignatureError(f"{path}: file not found")
    except tomllib.TOMLDecodeError as e:
        raise SignatureError(f"{path}: TOML syntax error: {e}")
    sigs = data.get("signature")
    if not isinstance(sigs, list) or not sigs:
        raise SignatureError(f"{path}: no [[signature]] tables")
    names = set()
    for n, s in enumerate(sigs):
        name = s.get("name", f"#{n + 1}")
        for k in s:
            if k not in SIG_KEYS:
                raise _err(path, name, f"unknown key '{k}'")
        for k in ("name", "protocol", "transport", "dissector", "min_length", "checks"):
            if k not in s:
                raise _err(path, name, f"missing '{k}'")
        if name in names:
            raise _err(path, name, "duplicate name")
        names.add(name)
        if s["transport"] not in TRANSPORTS:
            raise _err(path, name, f"unknown transport '{s['transport']}'")
        if vocabulary_protocols is not None and s["protocol"] not in vocabulary_protocols:
            raise _err(path, name, f"unknown protocol '{s['protocol']}'")
        if not isinstance(s["min_length"], int) or s["min_length"] < 1:
            raise _err(path, name, "min_length must be a positive integer")
        if "evidence_only" in s and not isinstance(s["evidence_only"], bool):
            raise _err(path, name, "evidence_only must be true or false")
        if s.get("evidence_only") and not s.get("sniff_ports"):
            raise _err(path, name, "evidence_only signatures need sniff_ports")
        if not s["checks"]:
            raise _err(path, name, "no checks")
        for c in s["checks"]:
            t = c.get("type")
            if t not in CHECK_KEYS:
                raise _err(path, name, f"unknown check type '{t}'")
            for k in c:
                if k not in CHECK_KEYS[t]:
                    raise _err(path, name, f"check '{t}' has unknown key '{k}'")
            if t in INT_TYPES:
                if "offset" not in c or not any(k in c for k in ("equals", "in", "min", "max")):
                    raise _err(path, name, f"check '{t}' needs offset and equals/in/min/max")
                limit = (1 << (8 * INT_TYPES[t])) - 1
                vals = [c.get("equals"), c.get("min"), c.get("max"), *(c.get("in") or [])]
                if any(v is not None and not 0 <= v <= limit for v in vals):
                    raise _err(path, name, f"check '{t}' value out of range")
            elif t == "bytes":
                try:
                    bytes.fromhex(c["hex"])
                except (KeyError, ValueError):
                    raise _err(path, name, "bytes check needs valid hex")
            elif t == "search":
                if ("hex" in c) == ("text" in c) or "within" not in c:
                    raise _err(path, name, "search needs one of hex/text, and within")
                if "hex" in c:
                    try:
                        bytes.fromhex(c["hex"])
                    except ValueError:
                        raise _err(path, name, "search has invalid hex")
            elif t == "prefix":
                if not c.get("any") or not all(isinstance(x, str) and x for x in c["any"]):
                    raise _err(path, name, "prefix needs a non-empty list 'any'")
            elif t == "line_has":
                if ("text" in c) == ("any" in c) or not (c.get("text") or c.get("any")) or \
                        not all(isinstance(x, str) and x for x in c.get("any", [c.get("text")])):
                    raise _err(path, name, "line_has needs text, or a non-empty list 'any'")
            elif t == "digits":
                lo, hi, then = c.get("min"), c.get("max"), c.get("then")
                if "offset" not in c or not isinstance(lo, int) or not isinstance(hi, int) or not 1 <= lo <= hi <= 32 \
                        or not isinstance(then, str) or not then:
                    raise _err(path, name, "digits needs offset, 1 <= min <= max <= 32 and a non-empty 'then'")
            elif t == "length_field":
                if c.get("field") not in ("u32le", "u16be") or c.get("relation") not in ("le", "eq"):
                    raise _err(path, name, "length_field needs field u32le|u16be and relation le|eq")
            elif t == "printable":
                if not isinstance(c.get("count"), int) or c["count"] < 1:
                    raise _err(path, name, "printable needs a positive count")
        for p in s.get("ports", []) + s.get("sniff_ports", []):
            tr, _, rng = p.partition(":")
            lo, _, hi = rng.partition("-")
            if tr not in ("tcp", "udp") or not lo.isdigit() or (hi and not hi.isdigit()):
                raise _err(path, name, f"malformed port '{p}' (want tcp:N or udp:N-M)")
            if int(lo) > 65535 or (hi and (int(hi) > 65535 or int(hi) < int(lo))):
                raise _err(path, name, f"port out of range in '{p}'")
    return sigs


def _bytes_lit(b: bytes) -> str:
    return '"' + "".join(f"\\{x:03o}" for x in b) + '"'


def generate(sigs: list[dict], protocol_index: dict[str, int]) -> str:
    """C++ tables for core/signatures.cpp; protocol_index: vocabulary key -> index."""
    checks, values, sig_lines, steal = [], [], [], []
    for s in sigs:
        first = len(checks)
        for c in s["checks"]:
            t = c["type"]
            kind = {"u8": "kU8", "u16be": "kU16Be", "u16le": "kU16Le", "u32be": "kU32Be", "u32le": "kU32Le",
                    "bytes": "kBytes", "search": "kSearch", "prefix": "kPrefix", "line_has": "kLineHas",
                    "length_field": "kLengthField", "printable": "kPrintable", "digits": "kDigits",
                    "line_printable": "kLinePrintable"}[t]
            off = c.get("offset", 0)
            plus = c.get("plus_u8_at", -1)
            lo, hi, vf, vc, text = 0, 0xFFFFFFFF, 0, 0, "nullptr"
            if t in INT_TYPES:
                if "equals" in c:
                    lo = hi = c["equals"]
                lo = c.get("min", lo)
                hi = c.get("max", hi)
                if "in" in c:
                    vf, vc = len(values), len(c["in"])
                    values.extend(c["in"])
            elif t == "bytes":
                text = _bytes_lit(bytes.fromhex(c["hex"]))
                vc = len(bytes.fromhex(c["hex"]))
            elif t == "search":
                raw = bytes.fromhex(c["hex"]) if "hex" in c else c["text"].encode()
                text, vc, hi = _bytes_lit(raw), len(raw), c["within"]
            elif t == "prefix":
                joined = b"\0".join(x.encode() for x in c["any"])
                text, vc = _bytes_lit(joined), len(c["any"])
                hi = len(joined)
            elif t == "line_has":
                alts = c.get("any", [c.get("text")])
                joined = b"\0".join(x.encode() for x in alts)
                text, vc = _bytes_lit(joined), len(alts)
                hi = len(joined)
            elif t == "digits":
                lo, hi = c["min"], c["max"]
                text, vc = _bytes_lit(c["then"].encode()), len(c["then"].encode())
            elif t == "length_field":
                kind2 = "kU32Le" if c["field"] == "u32le" else "kU16Be"
                lo = c.get("add", 0)
                hi = 1 if c["relation"] == "eq" else 0
                text = f"/*{kind2}*/nullptr"
                vc = 4 if c["field"] == "u32le" else 2
            elif t == "printable":
                vc = c["count"]
            checks.append(f"    {{CheckKind::{kind}, {off}, {plus}, {lo}u, {hi}u, {vf}, {vc}, {text}}},")
        ports = []
        for key, sniff in (("ports", "false"), ("sniff_ports", "true")):
            for p in s.get(key, []):
                tr, _, rng = p.partition(":")
                lo, _, hi = rng.partition("-")
                steal.append(f"    {{{len(sig_lines)}, {'kTcp' if tr == 'tcp' else 'kUdp'}, {lo}, {hi or lo}, {sniff}}},")
        if s["protocol"] not in protocol_index:
            raise SignatureError(f"signature '{s['name']}': unknown protocol '{s['protocol']}'")
        sig_lines.append(f"    {{\"{s['name']}\", \"{s['protocol']}\", {protocol_index[s['protocol']]}, static_cast<uint8_t>({TRANSPORTS[s['transport']]}), "
                         f"\"{s['dissector']}\", {s['min_length']}, {first}, {len(checks) - first}, "
                         f"{'true' if s.get('evidence_only') else 'false'}}},")
    out = ['#include "signatures.h"\n', "namespace ciscouc {\n",
           "const Check kChecks[] = {", *checks, "};",
           "const uint32_t kCheckValues[] = {" + ", ".join(str(v) for v in (values or [0])) + "};",
           "const Signature kSignatures[] = {", *sig_lines, "};",
           f"const size_t kSignatureCount = {len(sig_lines)};",
           "const StealPort kStealPorts[] = {", *(steal or ["    {0, 0, 0, 0, false},"]), "};",
           f"const size_t kStealPortCount = {len(steal)};",
           "}  // namespace ciscouc"]
    return "\n".join(out) + "\n"
