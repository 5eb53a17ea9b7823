"""The host-role vocabulary ([roles.*] in catalog/vocabulary.toml).

A role is what a capture's payload can show a host to be (a phone, a Unified
CM, a gateway...). Each role names the catalog from/to role names it stands
for; the generator resolves every flow's sender and listener names to role
bits once, at build time, so the plugin compares bits, never strings.
"""
from __future__ import annotations

ROLE_KEYS = {"name", "catalog", "catalog_prefixes"}
MAX_ROLES = 31  # RoleSet is a uint32_t; bit 31 is kAnyHost
ANY_HOST_BIT = 1 << 31


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
        out.append({"key": key, "name": r["name"], "catalog": names, "prefixes": prefixes})
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


def generate(roles: list[dict], c_str) -> str:
    roles = [r for r in roles if r["key"] is not None]
    lines = ["const Role kRoles[] = {"]
    for r in roles:
        lines.append(f"    {{{c_str(r['key'])}, {c_str(r['name'])}}},")
    lines.append("};")
    lines.append(f"const size_t kRoleCount = {len(roles)};\n")
    return "\n".join(lines) + "\n"
