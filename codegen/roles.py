"""The host-role vocabulary ([roles.*] in catalog/vocabulary.toml).

A role is what a capture's payload can show a host to be (a phone, a Unified
CM, a gateway...). Each role names the catalog from/to role names it stands
for; the generator resolves every flow's sender and listener names to role
bits once, at build time, so the plugin compares bits, never strings.
"""
from __future__ import annotations

ROLE_KEYS = {"name", "catalog", "catalog_prefixes", "cisco", "possibly"}
MAX_ROLES = 29  # RoleSet is a uint32_t; bit 31 is kAnyHost, bits 30 and 29 kOtherVendor and kCiscoVendor
ANY_HOST_BIT = 1 << 31
VENDOR_KEYS = {"name", "cisco", "patterns"}
MAX_VENDORS = 64  # VendorSet is a uint64_t


class RoleError(Exception):
    pass


def load(vocabulary: dict, path: str = "catalog/vocabulary.toml") -> list[dict]:
    """The roles in file order, validated: [{key, name, catalog, prefixes}]; the
    [any_host] names come last as the entry with key None."""
    any_host = vocabulary.get("any_host", {})
    if not isinstance(any_host, dict) or set(any_host) - {"catalog"}:
        raise RoleError(f"{path}: [any_host] takes only 'catalog'")
    wild = any_host.get("catalog", [])
    if not isinstance(wild, list) or not all(isinstance(s, str) and s for s in wild):
        raise RoleError(f"{path}: any_host.catalog must be a list of non-empty strings")
    roles = vocabulary.get("roles")
    if not isinstance(roles, dict) or not roles:
        raise RoleError(f"{path}: no [roles.*] sections")
    if len(roles) > MAX_ROLES:
        raise RoleError(f"{path}: {len(roles)} roles, at most {MAX_ROLES}")
    out = []
    for key, r in roles.items():
        if not isinstance(r, dict):
            raise RoleError(f"{path}: roles.{key} must be a table")
        for k in r:
            if k not in ROLE_KEYS:
                raise RoleError(f"{path}: roles.{key}: unknown key '{k}'")
        if not isinstance(r.get("name"), str) or not r["name"]:
            raise RoleError(f"{path}: roles.{key}: missing 'name'")
        names = r.get("catalog", [])
        prefixes = r.get("catalog_prefixes", [])
        for what, v in (("catalog", names), ("catalog_prefixes", prefixes)):
            if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
                raise RoleError(f"{path}: roles.{key}: '{what}' must be a list of non-empty strings")
        for n in names:
            if n in wild:
                raise RoleError(f"{path}: roles.{key}: '{n}' is also in [any_host]")
        if not isinstance(r.get("cisco", False), bool):
            raise RoleError(f"{path}: roles.{key}: 'cisco' must be true or false")
        possibly = r.get("possibly", [])
        if not isinstance(possibly, list) or not all(isinstance(s, str) and s in roles for s in possibly):
            raise RoleError(f"{path}: roles.{key}: 'possibly' must list role keys")
        out.append({"key": key, "name": r["name"], "catalog": names, "prefixes": prefixes,
                    "cisco": r.get("cisco", False), "possibly": possibly})
    out.append({"key": None, "name": None, "catalog": wild, "prefixes": []})
    return out


def bits(roles: list[dict], catalog_name: str | None) -> int:
    """Role bits a catalog from/to name stands for (0: no capture shows it)."""
    if not catalog_name:
        return 0
    b = 0
    for i, r in enumerate(roles):
        if r["key"] is None:
            if catalog_name in r["catalog"]:
                return ANY_HOST_BIT
            continue
        if catalog_name in r["catalog"] or any(catalog_name.startswith(p) for p in r["prefixes"]):
            b |= 1 << i
    return b


def load_vendors(vocabulary: dict, path: str = "catalog/vocabulary.toml") -> list[dict]:
    """The [vendors.*] sections in file order, validated: [{key, name, cisco, patterns}],
    each pattern a (pattern, example, near miss) triple."""
    vendors = vocabulary.get("vendors", {})
    if not isinstance(vendors, dict):
        raise RoleError(f"{path}: [vendors.*] must be tables")
    if len(vendors) > MAX_VENDORS:
        raise RoleError(f"{path}: {len(vendors)} vendors, at most {MAX_VENDORS}")
    out = []
    for key, v in vendors.items():
        where = f"{path}: vendors.{key}"
        if not isinstance(v, dict) or set(v) - VENDOR_KEYS:
            raise RoleError(f"{where}: takes only {sorted(VENDOR_KEYS)}")
        if not isinstance(v.get("name"), str) or not v["name"] or "(" in v["name"] or "," in v["name"]:
            raise RoleError(f"{where}: 'name' must be a non-empty string without '(' or ','")
        if not isinstance(v.get("cisco", False), bool):
            raise RoleError(f"{where}: 'cisco' must be true or false")
        pats = v.get("patterns")
        if not isinstance(pats, list) or not pats:
            raise RoleError(f"{where}: 'patterns' must list [pattern, example, near miss] triples")
        for p in pats:
            if not (isinstance(p, list) and len(p) == 3 and all(isinstance(x, str) and x for x in p)):
                raise RoleError(f"{where}: pattern {p!r} is not [pattern, example, near miss]")
            if p[0].strip("*") == "" or "*" in p[0][:-1]:
                raise RoleError(f"{where}: pattern {p[0]!r}: '*' only at the end")
        out.append({"key": key, "name": v["name"], "cisco": v.get("cisco", False),
                    "patterns": [tuple(p) for p in pats]})
    return out


def generate(roles: list[dict], vendors: list[dict], c_str) -> str:
    roles = [r for r in roles if r["key"] is not None]
    index = {r["key"]: i for i, r in enumerate(roles)}
    lines = ["const Role kRoles[] = {"]
    for r in roles:
        possibly = sum(1 << index[k] for k in r["possibly"])
        lines.append(f"    {{{c_str(r['key'])}, {c_str(r['name'])}, {'true' if r['cisco'] else 'false'}, {possibly}u}},")
    lines.append("};")
    lines.append(f"const size_t kRoleCount = {len(roles)};")
    lines.append(f"const uint32_t kCiscoRoles = {sum(1 << i for i, r in enumerate(roles) if r['cisco'])}u;\n")
    lines.append("const Vendor kVendors[] = {")
    for v in vendors:
        lines.append(f"    {{{c_str(v['key'])}, {c_str(v['name'])}, {'true' if v['cisco'] else 'false'}}},")
    if not vendors:
        lines.append("    {nullptr, nullptr, false},")
    lines.append("};")
    lines.append(f"const size_t kVendorCount = {len(vendors)};")
    lines.append("const VendorPattern kVendorPatterns[] = {")
    n = 0
    for i, v in enumerate(vendors):
        for p, example, near in v["patterns"]:
            lines.append(f"    {{{i}, {c_str(p)}, {c_str(example)}, {c_str(near)}}},")
            n += 1
    if not n:
        lines.append("    {0, nullptr, nullptr, nullptr},")
    lines.append("};")
    lines.append(f"const size_t kVendorPatternCount = {n};\n")
    return "\n".join(lines) + "\n"
