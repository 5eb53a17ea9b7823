"""The firewall plan (tools/plan): its rules against the teaching captures,
its nftables ruleset in the real kernel (a namespace router), its check mode,
and its capirca policy through capirca's own aclgen and aclcheck.

The plans are computed once per module from ciscouc-scan's tables. The kernel
tests need root (network namespaces, nft) and skip with the reason otherwise.
Golden IOS and ASA outputs are in tests/baseline/plan/; regenerate them with
  CISCOUC_BUILD=$PWD/build /usr/bin/python3 -m pytest -q tests/test_plan.py --update-baselines
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
import subprocess
import tempfile

import pytest

from conftest import BUILD, ROOT, TEACHING_CAPTURES
from tools import ucplan, ucstats, uclab

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

PLAN = os.path.join(ROOT, "tools", "plan")
SCANNER = os.path.join(BUILD, "scanner", "ciscouc-scan")
CAPTURES = sorted(f for f in os.listdir(TEACHING_CAPTURES) if f.endswith(".pcap"))
GOLDEN = os.path.join(ROOT, "tests", "baseline", "plan")
GOLDEN_CAPTURE = "sccp-phone-call.pcap"


def capture(name: str) -> str:
    return os.path.join(TEACHING_CAPTURES, name)


@pytest.fixture(scope="module")
def ctx():
    return ucplan.Context()


@pytest.fixture(scope="module")
def plans(ctx):
    """One plan per teaching capture, from the scanner's tables."""
    if not os.access(SCANNER, os.X_OK):
        pytest.fail(f"{SCANNER} is not built (cmake --build build, or set CISCOUC_BUILD)")
    out = {}
    for name in CAPTURES:
        r = ucstats.scan_stats(capture(name), SCANNER, [])
        assert r["status"] == "ok", (name, r["message"])
        out[name] = (ucplan.build([(capture(name), r)], ctx), r)
    return out


@pytest.fixture(scope="module")
def rulesets(plans):
    d = tempfile.mkdtemp(prefix="ciscouc-plan-test-")
    out = {}
    for name, (plan, _) in plans.items():
        path = os.path.join(d, name + ".nft")
        with open(path, "w") as f:
            f.write(ucplan.to_nft(plan))
        out[name] = path
    return out


def root_lab():
    why = uclab.can_run()
    if why:
        pytest.skip(f"kernel tests skipped: {why}")


def test_every_conversation_is_covered_by_one_rule_of_the_right_status(plans, ctx):
    confirmed = 0
    for name, (plan, r) in plans.items():
        by_key = {(c["client"], c["server"], c["transport"]): c for c in plan.conversations}
        for row in r["conversations"]:
            c = by_key.get((row["client"], row["server"], row["transport"]))
            if c is None:  # only what no router forwards is left out
                assert any(row["client"] in s for s in plan.skipped), (name, row)
                continue
            rule = c["rule"]
            assert rule in plan.rules and plan.rules.count(rule) == 1
            flags = set(row["flags"].split(",")) - {""}
            if row["evidence"] == "confirmed" and row["entry"] and not flags & set(ucplan.UNEXPLAINED_FLAGS):
                confirmed += 1
                assert rule.status == ucplan.OBSERVED and rule.action == "accept", (name, row)
                # The rule's port comes from a row documenting this port: the
                # conversation's own entry or one of the rule's rows.
                entry = ctx.cat.by_id[row["entry"]]
                assert any(f.dst.contains(rule.ports[0]) for e in rule.rows for f in ctx.cat.by_id[e].flows)
                if c["via"] == "rule":
                    lo, hi = rule.ports
                    assert lo <= c["listener_port"] <= hi, (name, row, rule)
                else:
                    assert entry.facts["then_ephemeral"] and rule.helper, (name, row)
            else:
                assert rule.status == ucplan.UNDOCUMENTED and rule.action == "drop", (name, row)
    assert confirmed >= 40


def test_accept_rules_are_documented_and_media_is_the_guides_range(plans, ctx):
    for name, (plan, _) in plans.items():
        for rule in plan.rules:
            if rule.action != "accept":
                assert rule.status == ucplan.UNDOCUMENTED
                continue
            assert rule.rows, rule
            documented = [(f, e) for e in rule.rows for f in ctx.cat.by_id[e].flows
                          if rule.transport in f.transport and rule.ports in f.dst.ranges]
            assert documented, (name, rule)
            if rule.protocol == "RTP":
                assert rule.ports[1] - rule.ports[0] > 1000, (name, rule)
        media = [r for r in plan.rules if r.protocol == "RTP" and r.status == ucplan.OBSERVED]
        seen = {c["listener_port"] for c in plan.conversations if c["rule"] in media}
        for r in media:
            assert r.ports not in {(p, p) for p in seen}


def test_secure_variant_other_release_and_review_are_marked(plans):
    sccp = next(r for r in plans["sccp-phone-call.pcap"][0].rules if r.ports == (2000, 2000))
    assert any(s.startswith("2443/tcp (cucm-ja.t6.r4") for s in sccp.secure)
    mis = plans["misbehaviour.pcap"][0]
    # SQL from a host that showed no role to the Unified CM's database port is
    # only possible (no host in the row's "Unified CM (DB)" sender role): a
    # review rule citing the possible row, never an accept.
    sql = next(r for r in mis.rules if r.ports == (1433, 1433))
    assert sql.status == ucplan.UNDOCUMENTED and "cucm42-en.t1.r6" in sql.rows, sql
    assert any(n.startswith("only possible (cucm42-en.t1.r6") for n in sql.notes), sql.notes
    review = {(r.transport, r.ports[0]) for r in mis.rules if r.status == ucplan.UNDOCUMENTED}
    assert review == {("udp", 6000), ("tcp", 6000), ("tcp", 3000), ("tcp", 5060), ("tcp", 5049), ("tcp", 1433)}
    assert any("not forwarded" in s for s in mis.skipped)  # the DHCP broadcast


def test_nft_check_accepts_every_generated_ruleset(rulesets):
    root_lab()
    for name, path in rulesets.items():
        p = subprocess.run(["nft", "-c", "-f", path], capture_output=True, text=True)
        assert p.returncode == 0, f"{name}: {p.stderr}"


def expected_counts(plan, items) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in items:
        key = c["rule"].id if c["via"] == "rule" else "ct"
        out[key] = out.get(key, 0) + 1
    return out


def test_kernel_passes_documented_flows_and_drops_undocumented(plans, rulesets):
    """Every conversation's first packet, from the capture, through the
    generated ruleset in a namespace router: the counter of the plan's rule
    for it counts it, documented ones come out on the far side, undocumented
    ones do not."""
    root_lab()
    checked = {"passed": 0, "dropped": 0}
    for name, (plan, _) in plans.items():
        firsts = uclab.first_packets(capture(name))
        items = []
        for c in plan.conversations:
            client, cport = ucstats.split_endpoint(c["client"])
            server, sport = ucstats.split_endpoint(c["server"])
            ip = uclab.first_packet(firsts, c["transport"], client, int(cport), server, int(sport),
                                    either=c["via"] == "related")
            items.append({**c, "packet": ip})
        for n, idx in enumerate(uclab.batches([i["packet"] for i in items])):
            batch = [items[i] for i in idx]
            with uclab.Lab(f"k{n}") as lab:
                assert lab.load(rulesets[name]) is None
                passed = lab.send([i["packet"] for i in batch])
                counts = {k: v for k, v in lab.counters().items() if v}
            assert counts == expected_counts(plan, batch), name
            for item, ok in zip(batch, passed):
                want = item["rule"].action == "accept"
                assert ok == want, (name, item["client"], item["server"], item["rule"].id)
                checked["passed" if ok else "dropped"] += 1
    assert checked["passed"] >= 45 and checked["dropped"] >= 5, checked


def test_replies_ride_on_connection_tracking(plans, rulesets):
    """From the listener: a SYN/ACK after the SYN passes as established; the
    same SYN/ACK with no SYN before it is dropped."""
    root_lab()
    syn = uclab.synth("tcp", "10.10.1.21", 51234, "10.10.0.11", 2000)
    from captures import raw
    host = uclab._Host
    reply = raw.tcp_frame(host("10.10.0.11"), 2000, host("10.10.1.21"), 51234, 7, 2, raw.SYN | raw.ACK)[14:]
    with uclab.Lab("ct") as lab:
        assert lab.load(rulesets["sccp-phone-call.pcap"]) is None
        assert lab.send([reply]) == [False]
        assert lab.send([syn]) == [True]
        assert lab.send([reply]) == [True]
        assert lab.counters()["ct"] == 1


@pytest.mark.parametrize("name,statuses", [("sip-phone-call.pcap", (ucplan.OBSERVED, ucplan.DOCUMENTED)),
                                           ("misbehaviour.pcap", (ucplan.OBSERVED,))])
def test_check_mode_finds_each_deleted_rule(plans, rulesets, name, statuses):
    """Each accept rule deleted in turn (every one on sip-phone-call, the
    observed ones on misbehaviour, to keep the run short): check mode names
    that rule's flows, and only those."""
    root_lab()
    plan = plans[name][0]
    wanted = {r.id for r in plan.rules if r.action == "accept" and r.status in statuses}
    with open(rulesets[name]) as f:
        lines = f.read().splitlines(True)
    clean = ucplan.check(rulesets[name], plan)
    assert clean and all(p["passed"] for p in clean)
    tested = 0
    for n, line in enumerate(lines):
        m = re.search(r'counter accept comment "(r\d+) ', line)
        if not m or m.group(1) not in wanted:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".nft", delete=False) as f:
            f.writelines(lines[:n] + lines[n + 1:])
        try:
            items = ucplan.check(f.name, plan)
        finally:
            os.unlink(f.name)
        dropped = {p["rule"].id for p in items if not p["passed"]}
        assert dropped == {m.group(1)}, (name, line)
        tested += 1
    assert tested == len(wanted) > 0


def test_check_mode_command_names_the_file_of_a_ruleset_that_does_not_load(tmp_path):
    root_lab()
    bad = tmp_path / "site.nft"
    bad.write_text("table inet site {\n\tchain forward { type filter hook forward priority filter; polcy drop; }\n}\n")
    p = subprocess.run([PLAN, "--check", str(bad), capture("sccp-phone-call.pcap")], capture_output=True, text=True,
                       env=dict(os.environ, CISCOUC_BUILD=BUILD))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"{bad}: does not load" in p.stderr and "Error: syntax error" in p.stderr


def test_role_file_bad_lines_are_named_and_good_lines_give_roles(tmp_path):
    roles = tmp_path / "roles.txt"
    roles.write_text("# site roles\n10.10.9.0/24 SNMP server\n10.10.1.300 Phone\n10.10.0.20 Toaster\n"
                     "10.10.0.30\n10.10.1.0/16 Phone\n")
    env = dict(os.environ, CISCOUC_BUILD=BUILD)
    p = subprocess.run([PLAN, "--roles", str(roles), capture("sccp-phone-call.pcap")], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    errors = p.stderr.splitlines()
    assert [e.split(": ", 2)[1] for e in errors] == [f"{roles}:3", f"{roles}:4", f"{roles}:5", f"{roles}:6"]
    assert "unknown role 'Toaster'" in p.stderr
    roles.write_text("10.10.2.0/24 gateway  # the voice gateways\n10.10.9.50 SNMP server\n")
    p = subprocess.run([PLAN, "--roles", str(roles), "--format", "json", capture("mgcp-gateway.pcap")],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    import json
    groups = {g["key"]: g for g in json.loads(p.stdout)["groups"]}
    members = {m["address"]: m["evidence"] for m in groups["GATEWAY"]["members"]}
    assert members["10.10.2.0/24"] == ["role file roles.txt line 1"]
    assert groups["SNMP_SERVER"]["members"][0]["address"] == "10.10.9.50"


# ---------------------------------------------------------------- capirca

@pytest.fixture(scope="module")
def policy(plans):
    """capirca's own parser on the policy of every teaching capture."""
    pytest.importorskip("capirca", reason="python3-capirca is not installed")
    from capirca.lib import naming, policy as cpolicy
    out = {}
    for name, (plan, _) in plans.items():
        d = tempfile.mkdtemp(prefix="ciscouc-capirca-")
        files = ucplan.capirca_files(plan, ["asa"])
        ucplan.write_tree(files, d)
        defs = naming.Naming(os.path.join(d, "def"))
        out[name] = cpolicy.ParsePolicy(files["policies/pol/ciscouc.pol"], defs, optimize=False)
    return out


def test_aclcheck_accepts_documented_and_denies_undocumented(plans, policy):
    from capirca.lib import aclcheck
    accepted = denied = 0
    for name, (plan, _) in plans.items():
        for c in plan.conversations:
            if c["via"] != "rule":  # a transfer leg: related through conntrack, no term of its own
                continue
            client, cport = ucstats.split_endpoint(c["client"])
            server, _ = ucstats.split_endpoint(c["server"])
            check = aclcheck.AclCheck(policy[name], src=client, dst=server, sport=cport,
                                      dport=str(c["listener_port"]), proto=c["transport"])
            exact = check.ExactMatches()
            assert exact, (name, c["client"], c["server"])
            first = exact[0]
            assert first.term.startswith(c["rule"].id + "-"), (name, c["client"], first.term)
            if c["rule"].status == ucplan.OBSERVED:
                assert first.action == "accept"
                accepted += 1
            else:
                assert first.action == "deny" and not check.ActionMatch("accept")
                denied += 1
    assert accepted >= 40 and denied >= 5


def test_aclgen_renders_every_format(plans):
    plan = plans["misbehaviour.pcap"][0]
    out = ucplan.aclgen(plan, list(ucplan.CAPIRCA_FORMATS))
    for fmt, text in out.items():
        assert "6000" in text and "2000" in text, fmt
    assert "object-group network ipv4 PHONE" in out["ios"]
    assert re.search(r"access-list CISCOUC_PLAN extended deny udp host 10\.10\.1\.41 host 10\.10\.0\.11 eq 6000",
                     out["asa"])


@pytest.mark.parametrize("fmt", ["ios", "asa"])
def test_golden_vendor_output(plans, request, fmt):
    text = ucplan.aclgen(plans[GOLDEN_CAPTURE][0], [fmt])[fmt]
    path = os.path.join(GOLDEN, f"{GOLDEN_CAPTURE[:-5]}.{fmt}")
    if request.config.getoption("--update-baselines"):
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return
    with open(path) as f:
        expected = f.read()
    if text != expected:
        pytest.fail("".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), path, fmt)),
                    pytrace=False)


# ---------------------------------------------------------------- the command and the docs

def test_readme_example_is_real_output():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"\n( *)```\n\1\$ (tools/plan [^\n]*)\n(.*?)\n\1```", readme, re.S)
    assert m, "README has no tools/plan example"
    indent, args = m.group(1), m.group(2).split()[1:]
    shown = "".join(l[len(indent):] if l.startswith(indent) else l for l in (m.group(3) + "\n").splitlines(True))
    p = subprocess.run([PLAN, *args], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, CISCOUC_BUILD=BUILD))
    assert p.returncode == 0, p.stderr
    assert p.stdout == shown, "README's tools/plan example differs from the command's output"


def test_command_errors_name_the_file_without_traceback(tmp_path):
    env = dict(os.environ, CISCOUC_BUILD=BUILD)
    p = subprocess.run([PLAN, str(tmp_path / "missing.pcap")], capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "missing.pcap: no such file" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([PLAN, "--format", "csv", "-o", str(tmp_path / "p.csv"), capture("mgcp-gateway.pcap")],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    header = (tmp_path / "p.csv").read_text().splitlines()[0]
    assert header == ",".join(ucplan.CSV_COLUMNS)
