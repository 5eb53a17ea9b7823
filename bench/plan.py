"""Benchmark: the firewall plan for 10,000 conversations (goal: under 2 s).

  /usr/bin/python3 -m bench.plan [--conversations N] [--runs R]

Builds the conversation and hosts tables of a synthetic site (ciscouc-scan's
columns: 200 phones, 4 Unified CM nodes, 20 gateways; SCCP, SIP, TFTP, MGCP,
RTP between phones and to gateways, plus undocumented ports) and times
tools/ucplan.build() and the nftables rendering, with the catalog loaded once
before (as tools/plan loads it once per run; its load time is printed too).
Prints the median of the runs.
"""
from __future__ import annotations

import argparse
import statistics
import time

from tools import ucplan


def tables(n: int) -> tuple[list[dict], list[dict]]:
    phones = [f"10.20.{i // 250}.{i % 250 + 1}" for i in range(200)]
    cms = [f"10.10.0.{11 + i}" for i in range(4)]
    gws = [f"10.10.2.{1 + i}" for i in range(20)]
    hosts = [{"address": a, "roles": "Phone", "evidence": "Phone: SCCP frame 1"} for a in phones]
    hosts += [{"address": a, "roles": "Unified CM", "evidence": "Unified CM: SCCP frame 1"} for a in cms]
    hosts += [{"address": a, "roles": "Gateway", "evidence": "Gateway: MGCP frame 1"} for a in gws]
    kinds = [  # client, server, transport, listener, detected, entry, evidence, flags
        (phones, cms, "tcp", 2000, "SCCP", "cucm-ja.t6.r3", "confirmed", "insecure"),
        (phones, cms, "udp", 5060, "SIP", "cucm-ja.t6.r7", "confirmed", "insecure"),
        (phones, cms, "udp", 69, "TFTP", "cucm-ja.t2.r8", "confirmed", ""),
        (gws, cms, "udp", 2427, "MGCP", "cucm-ja.t7.r17", "confirmed", ""),
        (phones, phones, "udp", None, "RTP", "cucm-ja.t6.r17", "confirmed", ""),
        (phones, cms, "udp", 6000, "SIP", "", "", "unexpected_port"),
    ]
    convs = []
    for i in range(n):
        clients, servers, t, port, detected, entry, evidence, flags = kinds[i % len(kinds)]
        c, s = clients[i % len(clients)], servers[(i * 7) % len(servers)]
        port = port or 16384 + 2 * (i % 8000)
        convs.append({k: "" for k in ucplan.ucstats.CONV_KEYS} | {
            "client": f"{c}:{40000 + i % 20000}", "server": f"{s}:{port}", "transport": t,
            "listener_port": str(port), "first": f"{i / 100:.6f}", "detected": detected, "flags": flags,
            "entry": entry, "evidence": evidence, "evidence_detail": "bench"})
    return convs, hosts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ctx = ucplan.Context()
    load = time.perf_counter() - t0
    convs, hosts = tables(args.conversations)
    result = {"status": "ok", "conversations": convs, "hosts": hosts}
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        plan = ucplan.build([("bench.pcap", result)], ctx)
        ucplan.to_nft(plan)
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(f"catalog load: {load:.2f} s (once per run of tools/plan)")
    print(f"plan for {args.conversations:,} conversations ({len(plan.rules)} rules, {len(plan.groups)} groups): "
          f"median {median:.3f} s over {args.runs} runs; goal < 2 s: {'met' if median < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
