"""The firewall plan: the rules a site needs, from what its captures show.

Used by tools/plan (the command), the tests and the benchmark. A plan is built
from the conversation and hosts tables (ciscouc-scan or tshark with the plugin,
read by tools/ucstats.py) and the catalog (codegen):

- role groups: the hosts of each role of [roles.*] in catalog/vocabulary.toml,
  with the evidence that gave the role (the hosts table, a role file, or the
  guide row a confirmed conversation matched);
- rules, sender role -> listener role, one per transport and documented
  listener port or range (media: the guide's range, never the ports seen),
  with purpose, guide rows and status: observed, documented for the roles
  present but not observed, or observed but not documented (a drop rule to
  review, never an accept).

Renderers: a readable table, CSV, JSON, nftables for the forward hook, and a
capirca policy (NETWORK.net, SERVICES.svc, a .pol) from which capirca's own
aclgen writes the vendor formats.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile

from codegen import catalog as cc
from codegen import roles as cr
from tools import ucoptions, ucstats

OBSERVED = "observed"
DOCUMENTED = "documented, not observed"
UNDOCUMENTED = "observed, not documented"
# Flags (names of [flags.*] in catalog/vocabulary.toml) that say the guides do
# not explain the conversation: its label is no permission.
UNEXPLAINED_FLAGS = ("unexpected_port", "protocol_mismatch", "internal_only")
# Catalog role names that stand for no particular host.
UNSPECIFIED_ROLES = ("ANY", "unspecified")
# Linux conntrack helpers that relate a documented "then ephemeral" transfer
# leg to its request: the helper name nf_conntrack_tftp registers ("tftp"),
# assigned with nft's `ct helper` object (nft(8), CT HELPER; wiki.nftables.org,
# "Conntrack helpers").
CT_HELPERS = {"TFTP": "tftp"}
TABLE = "ciscouc_plan"
# nft(8): a comment is at most 128 bytes (NFT_USERDATA_MAXLEN).
NFT_COMMENT_MAX = 128

# tools/plan --format NAME -> capirca platform, its target options, and the
# extension aclgen gives the file (capirca 2.0.6, doc/generators/*.md).
CAPIRCA_FORMATS = {
    "ios": ("cisco", "CISCOUC_PLAN object-group", ".acl"),
    "asa": ("ciscoasa", "CISCOUC_PLAN", ".asa"),
    "nxos": ("cisconx", "CISCOUC_PLAN extended", ".nxacl"),
    "iosxr": ("ciscoxr", "CISCOUC_PLAN", ".xacl"),
    "juniper": ("juniper", "CISCOUC_PLAN inet", ".jcl"),
    "srx": ("srx", "from-zone inside to-zone outside", ".srx"),
    "arista": ("arista", "CISCOUC_PLAN extended", ".eacl"),
    "brocade": ("brocade", "CISCOUC_PLAN extended", ".bacl"),
    "iptables": ("iptables", "FORWARD DROP", ""),
    "pf": ("packetfilter", "CISCOUC_PLAN", ".pf"),
}
FORMATS = ["table", "csv", "json", "nft", "capirca", *CAPIRCA_FORMATS]


class PlanError(Exception):
    """A problem the user can fix: names the file and the entry."""


@dataclasses.dataclass
class Group:
    key: str                      # the name in NETWORK.net and (lower case) the nft set
    name: str                     # what a reader sees
    role: str | None              # the vocabulary role key; None: a catalog name or review hosts
    members: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # address/prefix -> evidence

    def add(self, member: str, evidence: str) -> None:
        ev = self.members.setdefault(member, [])
        if evidence not in ev:
            ev.append(evidence)

    def networks(self) -> list:
        return list(ipaddress.collapse_addresses(ipaddress.ip_network(m) for m in self.members
                                                 if ipaddress.ip_network(m).version == 4)) + \
            list(ipaddress.collapse_addresses(ipaddress.ip_network(m) for m in self.members
                                              if ipaddress.ip_network(m).version == 6))


@dataclasses.dataclass
class Rule:
    sender: str
    listener: str
    transport: str
    ports: tuple[int, int]
    status: str
    rows: list[str]
    purpose: str
    protocol: str
    id: str = ""
    conversations: int = 0
    first: str = ""
    secure: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    helper: str | None = None

    @property
    def action(self) -> str:
        return "drop" if self.status == UNDOCUMENTED else "accept"

    def ports_text(self) -> str:
        lo, hi = self.ports
        return str(lo) if lo == hi else f"{lo}-{hi}"


@dataclasses.dataclass
class Plan:
    captures: list[str]
    groups: dict[str, Group]
    rules: list[Rule]
    conversations: list[dict]     # each observed conversation and the rule that covers it
    skipped: list[str]            # conversations no router forwards (broadcast, multicast...)
    preferred: dict[str, str]     # product -> preferred edition group


class Context:
    """The catalog facts a plan needs, read once (catalog/*.toml through codegen)."""

    def __init__(self, catalog: cc.Catalog | None = None):
        self.cat = catalog or cc.load_or_die()
        voc = self.cat.vocabulary
        for f in UNEXPLAINED_FLAGS:
            if f not in voc.get("flags", {}):
                raise PlanError(f"catalog/vocabulary.toml: no [flags.{f}] (tools/ucplan.py UNEXPLAINED_FLAGS)")
        self.roles = [r for r in cr.load(voc) if r["key"] is not None]
        self.role_by_name = {r["name"].lower(): r for r in self.roles}
        self.role_by_name.update({r["key"].lower(): r for r in self.roles})
        self.catalog_names = {n for e in self.cat.entries for f in e.flows for n in (f.sender, f.listener)}
        self.groups_by_edition: dict[str, list[dict]] = {}
        for d in self.cat.documents:
            doc = d["document"]
            self.groups_by_edition.setdefault(doc["product"], []).append(doc)
        self._role_keys: dict[str, list[str]] = {}
        self.candidates = self._candidates()

    def role_keys(self, catalog_name: str) -> list[str]:
        """Vocabulary roles a catalog from/to name stands for: exact names
        before prefixes ("Unified CM (TFTP)" is a TFTP server)."""
        if catalog_name not in self._role_keys:
            exact = [r["key"] for r in self.roles if catalog_name in r["catalog"]]
            self._role_keys[catalog_name] = exact or [
                r["key"] for r in self.roles if any(catalog_name.startswith(p) for p in r["prefixes"])]
        return self._role_keys[catalog_name]

    def role(self, key: str) -> dict:
        return next(r for r in self.roles if r["key"] == key)

    def preferred_editions(self, edition: str | None) -> dict[str, str]:
        """product -> edition group: the one named by ciscouc.edition for its
        product, else the product's newest (largest edition_rank)."""
        out = {}
        for product, docs in self.groups_by_edition.items():
            groups = {d["edition_group"] for d in docs}
            out[product] = edition if edition in groups else max(docs, key=lambda d: d["edition_rank"])["edition_group"]
        return out

    def _candidates(self) -> list[tuple]:
        """Every catalog flow a role pair may need: (entry, sender keys,
        listener keys, transport, (lo, hi)), for tcp/udp flows with specific
        ports between roles a capture can show, leaving out catch-all ranges,
        localhost-only and internal ports, uses Cisco does not recommend and
        OCR duplicates."""
        out = []
        for e in self.cat.entries:
            f = e.facts
            if (f["catch_all"] or f["localhost_only"] or f["internal"] or f["not_recommended"]
                    or e.get("duplicate_of")):
                continue
            for fl in e.flows:
                if not fl.dst.specific():
                    continue
                pairs = [(fl.sender, fl.listener)] + ([(fl.listener, fl.sender)] if f["either_side"] else [])
                for s_name, l_name in pairs:
                    s_keys, l_keys = self.role_keys(s_name), self.role_keys(l_name)
                    if not s_keys or not l_keys:
                        continue
                    for t in fl.transport:
                        if t in ("tcp", "udp"):
                            for rng in fl.dst.ranges:
                                out.append((e, s_keys, l_keys, t, rng))
        return out


def _key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "HOSTS"


def _routable(addr: str) -> bool:
    """An address a router forwards to or from (not broadcast, multicast,
    unspecified or loopback)."""
    try:
        a = ipaddress.ip_address(addr)
    except ValueError:
        return False
    if a.version == 4 and (a == ipaddress.IPv4Address("255.255.255.255") or str(a).endswith(".255")):
        return False
    return not (a.is_multicast or a.is_unspecified or a.is_loopback or a.is_link_local)


def read_role_file(path: str, ctx: Context) -> list[tuple[object, str, str]]:
    """A role file: one `ADDRESS_OR_PREFIX ROLE` a line (ROLE: a role of
    [roles.*] by key or name, or a role name the guides use, e.g. "SNMP
    server"); `#` starts a comment. Returns [(network, role key or catalog
    name, evidence)]; every bad line is reported with file, line and reason."""
    out, errors = [], []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise PlanError(f"{path}: cannot read: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise PlanError(f"{path}: not UTF-8 text ({e.reason})") from e
    for n, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split(None, 1)
        if len(parts) < 2:
            errors.append(f"{path}:{n}: expected ADDRESS_OR_PREFIX ROLE, got '{text}'")
            continue
        try:
            net = ipaddress.ip_network(parts[0], strict=True)
        except ValueError as e:
            errors.append(f"{path}:{n}: '{parts[0]}' is not an address or prefix ({e})")
            continue
        role = parts[1].strip()
        r = ctx.role_by_name.get(role.lower())
        if r is not None:
            out.append((net, r["key"], f"role file {os.path.basename(path)} line {n}"))
        elif role in ctx.catalog_names and role not in UNSPECIFIED_ROLES:
            out.append((net, role, f"role file {os.path.basename(path)} line {n}"))
        else:
            known = ", ".join(r["name"] for r in ctx.roles)
            errors.append(f"{path}:{n}: unknown role '{role}' (a role of catalog/vocabulary.toml: {known}; "
                          f"or a role name the guides use, see tools/catalog lookup)")
    if errors:
        raise PlanError("\n".join(errors))
    return out


class Builder:
    """Builds one plan from the tables of one or more captures."""

    def __init__(self, ctx: Context, edition: str | None = None, observed_only: bool = False):
        self.ctx = ctx
        self.preferred = ctx.preferred_editions(edition)
        self.observed_only = observed_only
        self.groups: dict[str, Group] = {}
        self.host_roles: dict[str, dict[str, None]] = {}     # address -> role keys (ordered)
        self.prefix_roles: list[tuple[object, str]] = []
        self.rules: dict[tuple, Rule] = {}
        self.review: dict[tuple, tuple[Rule, set, set]] = {}
        self.convs: list[dict] = []
        self.skipped: list[str] = []
        self.captures: list[str] = []
        self.role_order = {r["key"]: i for i, r in enumerate(ctx.roles)}

    # -- groups
    def group(self, key: str, name: str, role: str | None) -> Group:
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = Group(key, name, role)
        return g

    def role_group(self, role_key: str) -> Group:
        return self.group(_key(role_key), self.ctx.role(role_key)["name"], role_key)

    def give_role(self, member: str, role: str, evidence: str) -> None:
        """member (address or prefix) gets role (a vocabulary key or a catalog name)."""
        if role in self.role_order:
            self.role_group(role).add(member, evidence)
            if "/" not in member:
                self.host_roles.setdefault(member, {})[role] = None
        else:
            self.group(_key(role), role, None).add(member, evidence)

    def add_role_file(self, entries: list) -> None:
        for net, role, evidence in entries:
            member = str(net.network_address) if net.num_addresses == 1 else str(net)
            self.give_role(member, role, evidence)
            if net.num_addresses > 1 and role in self.role_order:
                self.prefix_roles.append((net, role))

    def roles_of(self, addr: str) -> list[str]:
        keys = dict(self.host_roles.get(addr, {}))
        a = ipaddress.ip_address(addr)
        for net, role in self.prefix_roles:
            if a.version == net.version and a in net:
                keys[role] = None
        return sorted(keys, key=self.role_order.get)

    def add_hosts(self, capture: str, rows: list[dict]) -> None:
        name = os.path.basename(capture)
        for h in rows:
            addr = h.get("address", "")
            if not _routable(addr):
                continue
            evidence = {}
            for part in h.get("evidence", "").split("; "):
                role, _, detail = part.partition(": ")
                evidence[role.strip()] = detail.strip()
            for role in (r.strip() for r in h.get("roles", "").split(",")):
                r = self.ctx.role_by_name.get(role.lower())
                if r is not None:
                    self.give_role(addr, r["key"], f"{role}: {evidence.get(role, 'hosts table')} ({name})")

    def host_group(self, addr: str, catalog_name: str, why: str) -> str:
        """The group of addr as the sender or listener catalog_name of a row."""
        roles = self.roles_of(addr)
        wanted = self.ctx.role_keys(catalog_name)
        for k in roles:
            if k in wanted:
                return self.role_group(k).key
        if roles:
            return self.role_group(roles[0]).key
        if len(wanted) == 1:  # the row names one role: inferred, and said so
            self.give_role(addr, wanted[0], f"{self.ctx.role(wanted[0])['name']}: inferred from {why}")
            return self.role_group(wanted[0]).key
        if catalog_name in UNSPECIFIED_ROLES:
            g = self.group("UNCLASSIFIED", "hosts no payload showed a role for", None)
        else:
            g = self.group(_key(catalog_name), catalog_name, None)
        g.add(addr, f"{catalog_name}: {why}")
        return g.key

    # -- rules
    def rule(self, key: tuple, **kw) -> Rule:
        r = self.rules.get(key)
        if r is None:
            r = self.rules[key] = Rule(sender=key[0], listener=key[1], transport=key[2], ports=key[3], **kw)
        return r

    def add_row(self, rule: Rule, entry: cc.Entry) -> None:
        if entry.id in rule.rows:
            return
        rule.rows.append(entry.id)
        lo, hi = rule.ports
        for s in entry.get("secure", []):
            if lo <= s["plain"] <= hi:
                target = self.ctx.cat.by_id[s["entry"]]
                ts = sorted({t for f in target.flows if f.dst.contains(s["secure"]) for t in f.transport
                             if t in ("tcp", "udp")})
                port = f"{s['secure']}/{'+'.join(ts) or rule.transport}"
                n = next((i for i, t in enumerate(rule.secure) if t.startswith(port + " (")), None)
                if n is None:
                    rule.secure.append(f"{port} ({s['entry']})")
                elif s["entry"] not in rule.secure[n]:
                    rule.secure[n] = rule.secure[n][:-1] + f", {s['entry']})"
        if entry.facts["not_recommended"]:
            note = f"Cisco does not recommend this use ({entry.id})"
            if note not in rule.notes:
                rule.notes.append(note)
        for p in entry.protocol:
            if p in CT_HELPERS and entry.facts["then_ephemeral"]:
                rule.helper = CT_HELPERS[p]

    def add_conversations(self, capture: str, rows: list[dict]) -> None:
        self.captures.append(capture)
        name = os.path.basename(capture)
        for c in rows:
            client, cport = ucstats.split_endpoint(c["client"])
            server, sport = ucstats.split_endpoint(c["server"])
            transport = c["transport"]
            where = f"{name} t={c['first']}s"
            if not (_routable(client) and _routable(server)) or transport not in ("tcp", "udp"):
                self.skipped.append(f"{c['client']} -> {c['server']} {transport} ({name}): not forwarded by a router")
                continue
            port = int(c["listener_port"] or sport)
            conv = {"capture": capture, "client": c["client"], "server": c["server"], "transport": transport,
                    "listener_port": port, "first": c["first"], "entry": c["entry"], "detected": c["detected"]}
            rule, via = self.classify(c, client, server, transport, port, where)
            rule.conversations += 1
            if not rule.first:
                rule.first = where
            conv.update(rule=rule, via=via)
            self.convs.append(conv)

    def classify(self, c, client, server, transport, port, where) -> tuple[Rule, str]:
        entry = self.ctx.cat.by_id.get(c["entry"])
        flags = [f for f in c["flags"].split(",") if f]
        reason = ""
        possible = [e.strip() for e in (c.get("possible") or "").split(",") if e.strip()]
        if entry is None and possible:
            # Documented for roles the capture does not show these hosts in
            # (the Possible column): reviewed, never silently allowed.
            reason = f"only possible ({', '.join(possible)}): {c['evidence_detail']}"
        elif entry is None:
            reason = "no guide row documents it"
        elif c["evidence"] != "confirmed":
            reason = f"{c['evidence'] or 'no'} evidence: {c['evidence_detail']}"
        elif set(flags) & set(UNEXPLAINED_FLAGS):
            reason = f"{', '.join(f for f in flags if f in UNEXPLAINED_FLAGS)}: {c['evidence_detail']}"
        if not reason:
            flows = [f for f in entry.flows if transport in f.transport]
            flow = next((f for f in flows if f.dst.contains(port)), None)
            if flow is not None:
                why = f"{entry.id}, {where}"
                s = self.host_group(client, flow.sender, why)
                lst = self.host_group(server, flow.listener, why)
                rng = next(r for r in flow.dst.ranges if r[0] <= port <= r[1])
                rule = self.covering_pair(client, server, transport, rng) or self.rule(
                    (s, lst, transport, rng), status=OBSERVED, rows=[], purpose=cc.short_text(entry.purpose),
                    protocol=(entry.protocol or ("",))[0])
                self.add_row(rule, entry)
                return rule, "rule"
            helper = CT_HELPERS.get((entry.protocol or ("",))[0])
            if flows and entry.facts["then_ephemeral"] and helper:
                # The transfer leg of "69, then ephemeral": related to its request.
                flow = flows[0]
                why = f"{entry.id}, {where}"
                # The leg's listener is the host its request asked (listener from payload).
                s = self.host_group(client, flow.sender, why)
                lst = self.host_group(server, flow.listener, why)
                rng = flow.dst.ranges[0]
                rule = self.covering_pair(client, server, transport, rng) or self.rule(
                    (s, lst, transport, rng), status=OBSERVED, rows=[], purpose=cc.short_text(entry.purpose),
                    protocol=entry.protocol[0])
                self.add_row(rule, entry)
                return rule, "related"
            reason = f"{entry.id} does not document {port}/{transport}"
        key = (transport, port, c["detected"], tuple(flags))
        if key not in self.review:
            detected = c["detected"] or "payload"
            purpose = f"{detected} on {port}/{transport}" + (f" ({', '.join(flags)})" if flags else "")
            self.review[key] = (Rule(sender="", listener="", transport=transport, ports=(port, port),
                                     status=UNDOCUMENTED,
                                     rows=[c["entry"]] if c["entry"] else possible,
                                     purpose=purpose, protocol=c["detected"], notes=[reason]), set(), set())
        rule, senders, listeners = self.review[key]
        senders.add(client)
        listeners.add(server)
        return rule, "rule"

    def documented(self) -> None:
        """Rules the guides document for the roles present that no
        conversation showed, from the preferred edition of each product."""
        present = {g.role for g in self.groups.values() if g.role and g.members}
        hosts = {k: set(g.members) for k, g in self.groups.items()}
        for e, s_keys, l_keys, t, rng in self.ctx.candidates:
            if self.preferred.get(e.doc["product"]) != e.doc["edition_group"]:
                continue
            for s in s_keys:
                if s not in present:
                    continue
                for lk in l_keys:
                    if lk not in present:
                        continue
                    sg, lg = _key(s), _key(lk)
                    if sg == lg and len(hosts[sg]) == 1:
                        continue  # a host to itself: no router sees it
                    key = (sg, lg, t, rng)
                    rule = self.rules.get(key) or self.covering(hosts, sg, lg, t, rng)
                    if rule is None:
                        if self.observed_only:
                            continue
                        rule = self.rule(key, status=DOCUMENTED, rows=[], purpose=cc.short_text(e.purpose),
                                         protocol=(e.protocol or ("",))[0])
                    self.add_row(rule, e)

    def covering_pair(self, client: str, server: str, t: str, rng: tuple[int, int]) -> Rule | None:
        """An observed rule of this transport and range that already allows client -> server."""
        for (s, lst, t2, r2), r in self.rules.items():
            if t2 == t and r2 == rng and client in self.groups[s].members and server in self.groups[lst].members:
                return r
        return None

    def covering(self, hosts, sg, lg, t, rng) -> Rule | None:
        """An existing rule that already allows every sender -> listener pair of this flow."""
        for (s, lst, t2, (lo, hi)), r in self.rules.items():
            if t2 == t and lo <= rng[0] and rng[1] <= hi and hosts[sg] <= hosts.get(s, set()) \
                    and hosts[lg] <= hosts.get(lst, set()):
                return r
        return None

    def finish(self) -> Plan:
        self.documented()
        order = {OBSERVED: 0, DOCUMENTED: 1}
        rules = sorted(self.rules.values(), key=lambda r: (order[r.status], r.sender, r.listener, r.transport, r.ports))
        review = sorted(self.review.values(), key=lambda x: (x[0].transport, x[0].ports, x[0].protocol))
        for rule in rules:
            docs = [self.ctx.cat.by_id[i].doc for i in rule.rows]
            if docs and not any(self.preferred.get(d["product"]) == d["edition_group"] for d in docs):
                editions = sorted({self.ctx.cat.by_id[i].doc["edition"] for i in rule.rows})
                rule.notes.append(f"other release: only {', '.join(editions)} documents it")
        width = len(str(len(rules) + len(review)))
        for n, rule in enumerate(rules, 1):
            rule.id = f"r{n:0{width}d}"
        for n, (rule, senders, listeners) in enumerate(review, len(rules) + 1):
            rule.id = f"r{n:0{width}d}"
            for side, members in (("sender", senders), ("listener", listeners)):
                g = self.group(f"{rule.id.upper()}_{side.upper()}S", f"{side}s of {rule.id} (to review)", None)
                for m in sorted(members, key=_addr_key):
                    g.add(m, f"{side} of {rule.protocol or 'a conversation'} on {rule.ports_text()}/{rule.transport}")
                setattr(rule, side, g.key)
            rules.append(rule)
        groups = {k: g for k, g in sorted(self.groups.items(), key=lambda kv: (kv[1].role is None, kv[0]))
                  if g.members}
        for g in groups.values():
            g.members = dict(sorted(g.members.items(), key=lambda kv: _addr_key(kv[0])))
        return Plan(self.captures, groups, rules, self.convs, self.skipped, self.preferred)


def _addr_key(member: str):
    n = ipaddress.ip_network(member, strict=False)
    return (n.version, n.network_address, n.prefixlen)


def build(results: list[tuple[str, dict]], ctx: Context, edition: str | None = None,
          roles: list | None = None, observed_only: bool = False) -> Plan:
    """The plan for the tables of several captures: [(capture, ucstats result)]."""
    b = Builder(ctx, edition, observed_only)
    b.add_role_file(roles or [])
    for capture, r in results:
        b.add_hosts(capture, r.get("hosts") or [])
    for capture, r in results:
        b.add_conversations(capture, r["conversations"])
    return b.finish()


# ---------------------------------------------------------------- renderers

def _rows_text(rule: Rule) -> str:
    return rule.rows[0] + (f" +{len(rule.rows) - 1}" if len(rule.rows) > 1 else "") if rule.rows else "-"


def status_text(rule: Rule) -> str:
    if rule.status == OBSERVED:
        return f"observed ({rule.conversations} conversation{'s' * (rule.conversations != 1)}, first {rule.first})"
    if rule.status == UNDOCUMENTED:
        return f"{UNDOCUMENTED} ({rule.conversations}, first {rule.first}): to review"
    return rule.status


def rule_notes(rule: Rule) -> list[str]:
    """What the readable table prints under a rule: secure variants, notes, the conntrack helper."""
    return [f"secure variant: {s}" for s in rule.secure] + rule.notes + \
        ([f"transfer legs related by the {rule.helper} conntrack helper"] if rule.helper else [])


def rule_dict(rule: Rule, plan: Plan) -> dict:
    return {"id": rule.id, "from": plan.groups[rule.sender].name, "from_group": rule.sender,
            "to": plan.groups[rule.listener].name, "to_group": rule.listener, "transport": rule.transport,
            "ports": rule.ports_text(), "purpose": rule.purpose, "protocol": rule.protocol,
            "rows": rule.rows, "status": rule.status, "conversations": rule.conversations, "first": rule.first,
            "secure": rule.secure, "notes": rule.notes, "helper": rule.helper or "", "action": rule.action}


def to_json(plan: Plan) -> str:
    return json.dumps({
        "captures": plan.captures,
        "preferred_editions": plan.preferred,
        "groups": [{"key": g.key, "name": g.name, "role": g.role,
                    "members": [{"address": m, "evidence": ev} for m, ev in g.members.items()]}
                   for g in plan.groups.values()],
        "rules": [rule_dict(r, plan) for r in plan.rules],
        "conversations": [{**{k: v for k, v in c.items() if k != "rule"}, "rule": c["rule"].id}
                          for c in plan.conversations],
        "skipped": plan.skipped,
    }, indent=1, ensure_ascii=False) + "\n"


CSV_COLUMNS = ["id", "from", "to", "transport", "ports", "purpose", "protocol", "rows", "status", "conversations",
               "first", "secure", "notes", "helper", "action"]


def to_csv(plan: Plan) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in plan.rules:
        d = rule_dict(r, plan)
        w.writerow({**d, "rows": " ".join(r.rows), "secure": "; ".join(r.secure), "notes": "; ".join(r.notes)})
    return out.getvalue()


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(cc.display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c + " " * (w - cc.display_width(c)) for c, w in zip(r, widths)).rstrip() for r in rows]


def to_table(plan: Plan) -> str:
    lines = [f"Firewall plan for {', '.join(plan.captures)}",
             f"Editions: {', '.join(f'{p}: {e}' for p, e in sorted(plan.preferred.items()))} "
             "(flows only another release documents are marked)", "", "Role groups"]
    rows = [["group", "address", "evidence"]]
    for g in plan.groups.values():
        for n, (m, ev) in enumerate(g.members.items()):
            rows.append([f"{g.key} ({g.name})" if n == 0 else "", m, "; ".join(ev)])
    lines += ["  " + l for l in _columns(rows)]
    lines += ["", "Rules (from the sender to the listener's port; replies ride on connection tracking)"]
    rows = [["id", "from", "to", "port", "purpose", "guide rows", "status"]]
    for r in plan.rules:
        rows.append([r.id, r.sender, r.listener, f"{r.ports_text()}/{r.transport}", cc.short_text(r.purpose, 40),
                     _rows_text(r), status_text(r)])
        for n in rule_notes(r):
            rows.append(["", "", "", "", n, "", ""])
    lines += ["  " + l for l in _columns(rows)]
    if plan.skipped:
        lines += ["", "Not planned (no router forwards them)"] + [f"  {s}" for s in plan.skipped]
    return "\n".join(lines) + "\n"


def _nft_comment(text: str) -> str:
    text = text.replace('"', "'")
    raw = text.encode()
    if len(raw) > NFT_COMMENT_MAX:
        text = raw[:NFT_COMMENT_MAX - 3].decode(errors="ignore") + "..."
    return f'"{text}"'


def _families(g: Group) -> dict[int, list]:
    out: dict[int, list] = {}
    for n in g.networks():
        out.setdefault(n.version, []).append(n)
    return out


def _element(n) -> str:
    return str(n.network_address) if n.num_addresses == 1 else str(n)


def to_nft(plan: Plan) -> str:
    """The plan for nftables' forward hook: one table, a named set per group
    and family, one rule per flow (counter, comment naming the guide rows),
    established and related packets accepted through connection tracking.
    Syntax: nft(8) of nftables 1.0.6 (SETS, CT HELPER, STATEMENTS: counter,
    comment) and wiki.nftables.org ("Scripting": declaring then deleting the
    table makes the file reloadable)."""
    out = ["#!/usr/sbin/nft -f", f"# ciscouc firewall plan (tools/plan) for {', '.join(os.path.basename(c) for c in plan.captures)}",
           "# Review before use: rules marked REVIEW drop flows the guides do not document.",
           f"table inet {TABLE}", f"delete table inet {TABLE}", f"table inet {TABLE} {{"]
    for helper in sorted({r.helper for r in plan.rules if r.helper}):
        out += [f"\tct helper ciscouc_{helper} {{", f'\t\ttype "{helper}" protocol udp', "\t}"]
    for g in plan.groups.values():
        for fam, nets in sorted(_families(g).items()):
            name = g.key.lower() + ("" if fam == 4 else "_v6")
            out.append(f"\tset {name} {{")
            out.append(f"\t\ttype {'ipv4_addr' if fam == 4 else 'ipv6_addr'}; flags interval;")
            out.append(f"\t\telements = {{ {', '.join(_element(n) for n in nets)} }}")
            out.append("\t}")
    out += ["\tchain forward {", "\t\ttype filter hook forward priority filter; policy drop;",
            '\t\tct state established,related counter accept comment "ct: replies and related legs ride on connection tracking"']
    for r in plan.rules:
        src, dst = _families(plan.groups[r.sender]), _families(plan.groups[r.listener])
        for fam in sorted(set(src) & set(dst)):
            suffix = "" if fam == 4 else "_v6"
            ip = "ip" if fam == 4 else "ip6"
            match = (f"{ip} saddr @{r.sender.lower()}{suffix} {ip} daddr @{r.listener.lower()}{suffix} "
                     f"{r.transport} dport {r.ports_text()}")
            helper = f' ct helper set "ciscouc_{r.helper}"' if r.helper else ""
            if r.status == UNDOCUMENTED:
                comment = f"{r.id} REVIEW {UNDOCUMENTED}: {r.purpose}"
            else:
                comment = f"{r.id} {r.status} {_rows_text(r)}: {r.purpose}"
            out.append(f"\t\t{match}{helper} counter {r.action} comment {_nft_comment(comment)}")
    out += ['\t\tcounter drop comment "end: not in the plan"', "\t}", "}"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- capirca

def _service_names(plan: Plan) -> dict[tuple, str]:
    names: dict[tuple, str] = {}
    used = set()
    for r in plan.rules:
        key = (r.transport, r.ports)
        if key in names:
            continue
        base = _key(f"{r.protocol or 'port'}_{r.ports_text()}_{r.transport}")
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        names[key] = name
    return names


def capirca_files(plan: Plan, formats: list[str] | None = None) -> dict[str, str]:
    """NETWORK.net, SERVICES.svc and ciscouc.pol: the policy format of capirca
    (and Aerleon), doc/naming.md and doc/policy_format.md of
    github.com/google/capirca: `NAME = value  # comment` definitions, a header
    naming the targets, one term per rule."""
    net = ["# Role groups of the ciscouc firewall plan: one name per group, its hosts or prefixes."]
    for g in plan.groups.values():
        net.append(f"# {g.name}")
        for n, (m, ev) in enumerate(g.members.items()):
            addr = ipaddress.ip_network(m)
            value = f"{addr.network_address}/{addr.prefixlen}"
            comment = "; ".join(ev).replace("#", "")
            net.append(f"{g.key + ' =' if n == 0 else ' ' * (len(g.key) + 2)} {value}  # {comment}")
        net.append("")
    services = _service_names(plan)
    svc = ["# Documented flows and ranges of the ciscouc firewall plan (listener ports)."]
    for (t, (lo, hi)), name in services.items():
        svc.append(f"{name} = {lo if lo == hi else f'{lo}-{hi}'}/{t}")
    targets = formats or list(CAPIRCA_FORMATS)
    pol = ["header {",
           '  comment:: "ciscouc firewall plan (tools/plan), written from the listener side: apply it where '
           'return traffic is tracked (a stateful firewall), or add established handling on stateless ACLs."']
    for f in targets:
        platform, options, _ = CAPIRCA_FORMATS[f]
        pol.append(f"  target:: {platform} {options}")
    pol.append("}")
    for r in plan.rules:
        state = status_text(r) if r.status != DOCUMENTED else r.status
        bits = [f"{r.id} {state}", f"{plan.groups[r.sender].name} -> {plan.groups[r.listener].name}: {r.purpose}",
                f"guide rows {' '.join(r.rows) or 'none'}"] + [f"secure variant {s}" for s in r.secure] + r.notes
        comment = ". ".join(bits).replace('"', "'")
        pol += ["", f"term {r.id}-{r.transport}-{r.ports_text()} {{", f'  comment:: "{comment}"',
                f"  source-address:: {r.sender}", f"  destination-address:: {r.listener}",
                f"  protocol:: {r.transport}", f"  destination-port:: {services[(r.transport, r.ports)]}",
                f"  action:: {'deny' if r.action == 'drop' else 'accept'}", "}"]
    pol += ["", "term default-deny {", '  comment:: "Everything the plan does not name."', "  action:: deny", "}"]
    return {"def/NETWORK.net": "\n".join(net) + "\n", "def/SERVICES.svc": "\n".join(svc) + "\n",
            "policies/pol/ciscouc.pol": "\n".join(pol) + "\n"}


def write_tree(files: dict[str, str], root: str) -> None:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def aclgen(plan: Plan, formats: list[str], aclgen_bin: str = "aclgen") -> dict[str, str]:
    """The vendor ACLs capirca's own aclgen renders from the policy: format -> text."""
    if shutil.which(aclgen_bin) is None:
        raise PlanError(f"{aclgen_bin}: not found (install python3-capirca, see INSTALL.md)")
    with tempfile.TemporaryDirectory(prefix="ciscouc-plan-") as d:
        write_tree(capirca_files(plan, formats), d)
        p = subprocess.run([aclgen_bin, f"--base_directory={d}/policies", f"--definitions_directory={d}/def",
                            f"--output_directory={d}/out", f"--policy_file={d}/policies/pol/ciscouc.pol"],
                           capture_output=True, text=True, timeout=300)
        out = {}
        for f in formats:
            path = os.path.join(d, "out", "ciscouc" + CAPIRCA_FORMATS[f][2])
            if p.returncode != 0 or not os.path.exists(path):
                errors = [l for l in p.stderr.splitlines() if l.strip() and not re.match(r"^[IW]\d{4} ", l)]
                raise PlanError(f"aclgen could not render {f}: {' '.join(errors[-3:]) or 'no output'}")
            with open(path, encoding="utf-8") as fh:
                out[f] = fh.read()
        return out


# ---------------------------------------------------------------- check mode

def probes(plan: Plan) -> list[dict]:
    """What check mode sends: the first packet of every observed documented
    conversation (from the capture where it can be read, else built from the
    conversation table), then one packet to each end of every rule documented
    for the roles present but not observed (from the first host of the sender
    group to the first of the listener group)."""
    from tools import uclab
    out = []
    firsts: dict[str, dict] = {}
    for c in plan.conversations:
        if c["rule"].status != OBSERVED:
            continue
        if c["capture"] not in firsts:
            firsts[c["capture"]] = uclab.first_packets(c["capture"])
        client, cport = ucstats.split_endpoint(c["client"])
        server, sport = ucstats.split_endpoint(c["server"])
        ip = uclab.first_packet(firsts[c["capture"]], c["transport"], client, int(cport), server, int(sport),
                                either=c["via"] == "related")
        ip = ip or uclab.synth(c["transport"], client, int(cport), server, int(sport))
        if ip:
            out.append({"packet": ip, "rule": c["rule"], "what": f"{c['client']} -> {c['server']} {c['transport']} "
                        f"({os.path.basename(c['capture'])} t={c['first']}s)", "via": c["via"]})
    for r in plan.rules:
        if r.status != DOCUMENTED:
            continue
        src = next(iter(plan.groups[r.sender].networks()), None)
        dst = next(iter(plan.groups[r.listener].networks()), None)
        if src is None or dst is None:
            continue
        s = src.network_address + (1 if src.num_addresses > 1 else 0)
        d = dst.network_address + (1 if dst.num_addresses > 1 else 0)
        for port in sorted(set(r.ports)):
            ip = uclab.synth(r.transport, str(s), 40000, str(d), port)
            if ip:
                out.append({"packet": ip, "rule": r, "via": "rule",
                            "what": f"{plan.groups[r.sender].name} {s} -> {plan.groups[r.listener].name} {d} "
                                    f"{port}/{r.transport} (documented, not observed)"})
    return out


def check(ruleset: str, plan: Plan) -> list[dict]:
    """Loads ruleset into a namespace router and sends the probes through it:
    each probe with passed = True/False. PlanError when it does not load."""
    from tools import uclab
    why = uclab.can_run()
    if why:
        raise PlanError(f"--check {why}")
    if not os.path.isfile(ruleset):
        raise PlanError(f"{ruleset}: no such file")
    items = probes(plan)
    try:
        for n, idx in enumerate(uclab.batches([p["packet"] for p in items])):
            with uclab.Lab(f"c{n}") as lab:
                err = lab.load(ruleset)
                if err:
                    raise PlanError(f"{ruleset}: does not load:\n{err}")
                for i, passed in zip(idx, lab.send([items[i]["packet"] for i in idx])):
                    items[i]["passed"] = passed
    except uclab.LabError as e:
        raise PlanError(f"--check: the namespace router could not be built: {e}") from e
    return items


def check_report(items: list[dict], ruleset: str) -> str:
    dropped = [p for p in items if not p["passed"]]
    lines = [f"{ruleset}: {len(items)} flow(s) sent, {len(dropped)} dropped"]
    for p in dropped:
        r = p["rule"]
        lines.append(f"  DROPPED {p['what']}: {r.purpose} [{' '.join(r.rows)}] (plan rule {r.id})")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- command

def collect(captures: list[str], engine: str, prefs: list[str], scanner: str | None,
            plugin_dir: str | None, log) -> tuple[list[tuple[str, dict]], int]:
    """The tables of every capture through the chosen engine; failures logged."""
    results, failed = [], 0
    args = ucstats.scan_args(prefs) if engine == "scan" else None
    for c in captures:
        if not os.path.isfile(c):
            log(f"{c}: no such file")
            failed += 1
            continue
        r = ucstats.scan_stats(c, scanner, args) if engine == "scan" else ucstats.stats(c, prefs, plugin_dir)
        if r["status"] in ("failed", "truncated"):
            log(f"{c}: {r['status']}: {r['message']}")
            failed += 1
            if r["status"] == "failed":
                continue
        results.append((c, r))
    return results, failed


def main(argv=None) -> int:
    import argparse
    import sys
    ap = argparse.ArgumentParser(prog="plan", description="The firewall rules a Cisco UC site needs, from its captures.",
                                 epilog="Formats: " + ", ".join(FORMATS) + ". Exit status: 0 done, 1 a capture "
                                 "failed or --check found flows the ruleset drops, 2 usage or input errors.")
    ap.add_argument("captures", nargs="+", metavar="CAPTURE")
    ap.add_argument("--format", choices=FORMATS, default="table")
    ucoptions.add_output(ap, "write here instead of standard output (--format capirca: a folder)", takes_prefs=True)
    ap.add_argument("--engine", choices=["scan", "tshark"], default="scan",
                    help="scan: the native ciscouc-scan (default); tshark: tshark and the plugin")
    ap.add_argument("--scanner", help="the ciscouc-scan binary (default: $CISCOUC_BUILD/scanner or build/scanner)")
    ap.add_argument("--plugin-dir", help="--engine tshark: load the plugin from this folder")
    ucoptions.add_pref(ap, "a Wireshark preference, e.g. ciscouc.edition:cucm-current (also picks the release "
                           "whose rows are planned)")
    ap.add_argument("--roles", metavar="FILE", help="ADDRESS_OR_PREFIX ROLE lines for hosts the captures do not reveal")
    ap.add_argument("--observed-only", action="store_true",
                    help="leave out flows the guides document for the roles present that no capture shows")
    ap.add_argument("--check", metavar="RULESET.nft",
                    help="load this nftables ruleset into a namespace router (root) and list the planned flows it drops")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        for line in msg.splitlines():
            print(f"plan: {line}", file=sys.stderr)

    try:
        ctx = Context()
        roles = read_role_file(args.roles, ctx) if args.roles else []
        scanner = None
        if args.engine == "scan":
            scanner = args.scanner or ucstats.default_scanner()
            if not scanner or not os.access(scanner, os.X_OK):
                log(f"--engine scan: ciscouc-scan is not built ({scanner or 'build/scanner/ciscouc-scan'} missing; "
                    "cmake --build build, or use --engine tshark)")
                return 2
        edition = next((p.partition(":")[2].strip() for p in args.prefs
                        if p.partition(":")[0].strip() == "ciscouc.edition"), None)
        results, failed = collect(args.captures, args.engine, args.prefs, scanner, args.plugin_dir, log)
        if not results:
            return 1
        plan = build(results, ctx, edition, roles, args.observed_only)
        if args.check:
            items = check(args.check, plan)
            text = check_report(items, args.check)
            status = 1 if failed or any(not p["passed"] for p in items) else 0
        elif args.format == "capirca":
            files = capirca_files(plan)
            if args.output:
                write_tree(files, args.output)
                log(f"wrote {', '.join(os.path.join(args.output, f) for f in files)}")
                return 1 if failed else 0
            text = "".join(f"# ==> {name}\n{body}\n" for name, body in files.items())
            status = 1 if failed else 0
        else:
            render = {"table": to_table, "csv": to_csv, "json": to_json, "nft": to_nft}.get(args.format)
            text = render(plan) if render else aclgen(plan, [args.format])[args.format]
            status = 1 if failed else 0
    except (PlanError, ValueError) as e:
        log(str(e))
        return 2
    except OSError as e:
        log(f"{e.filename or ''}: {e.strerror}")
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
