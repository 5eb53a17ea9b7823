"""Results-store and Dask benchmarks (issue 27's goals), never a timed test.

  /usr/bin/python3 -m bench.store [--captures ../shared/captures] [--copies 20] [--fleet 1000]
                                  [--no-dask] [--engine scan|tshark] [--runs 3]

1. ingest: the captures are scanned once (not timed); their results are then
   stored in a fresh SQLite store, --copies times over (each copy a capture of
   its own), one transaction per capture: rows/s, where a row is one of
   captures, conversations, hosts, host_roles or flags.        [>= 50,000 rows/s]
2. fleet: a store of --fleet captures (the results again, in 20 sites); the
   median time of every query of the fleet page (ucstore.fleet_data).      [< 1 s]
3. dask: tools/annotate --dask [--engine E] over the captures with one worker,
   then two (one thread each, a scheduler on 127.0.0.1), into a fresh store each
   run, alternating: each run's seconds, the medians, captures/s and the ratio
   of the medians one/two.                                              [>= 1.7]
   --engine tshark: the workers run tshark with the plugin of the build
   ($CISCOUC_BUILD/plugins or build/plugins; as nobody when root).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")

try:
    import annotate
    import ucstore
except ImportError:  # run as python3 -m bench.store: the tools' modules, as the tools import them
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (ROOT, TOOLS, os.environ.get("PYTHONPATH")) if p))
    os.execve(sys.executable, [sys.executable, "-m", "bench.store", *sys.argv[1:]], env)


def scan_all(captures: str) -> list[dict]:
    found, _ = annotate.find_captures([captures])
    job = {"prefs": [], "plugin_dir": None, "html_dir": None, "language": "english", "scan": (None, [])}
    results = list(annotate.local_results(found, job, {}, {c: None for c in found}, os.cpu_count() or 1))
    return [r for r in results if r["sha256"]]


def copies(results: list[dict], n: int, sites: int = 0):
    for k in range(n):
        for r in results:
            path = r["path"] if not sites else os.path.join(f"site{k % sites:02d}", f"{k}-{os.path.basename(r['path'])}")
            yield {**r, "sha256": f"{r['sha256'][:56]}{k:08d}", "path": path}


def ingest(results: list[dict], n: int, folder: str) -> tuple[float, dict]:
    url = os.path.join(folder, "ingest.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(url + suffix):
            os.remove(url + suffix)
    store = ucstore.open_store(url)
    caps = list(copies(results, n))
    t = time.perf_counter()
    for c in caps:
        store.put(c)
    elapsed = time.perf_counter() - t
    counts = store.counts()
    store.close()
    return elapsed, counts


def fleet(results: list[dict], captures: int, folder: str, runs: int) -> tuple[float, int]:
    url = os.path.join(folder, "fleet.sqlite")
    store = ucstore.open_store(url)
    caps = list(copies(results, -(-captures // len(results)), sites=20))[:captures]
    for c in caps:
        store.put(c)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        ucstore.fleet_data(store)
        times.append(time.perf_counter() - t)
    n = store.counts()["captures"]
    store.close()
    return statistics.median(times), n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plugin_dir() -> str:
    return os.path.join(os.environ.get("CISCOUC_BUILD") or os.path.join(ROOT, "build"), "plugins")


def dask_run(captures: str, workers: int, folder: str, engine: str = "scan") -> tuple[float, int]:
    """Seconds for annotate --dask over captures with this many one-thread workers."""
    address = f"tcp://127.0.0.1:{free_port()}"
    env = dict(os.environ, PYTHONPATH=TOOLS)
    procs = []
    log = open(os.path.join(folder, "dask.log"), "a")
    try:
        procs.append(subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                       "--no-dashboard", "--no-show"], env=env, stdout=log, stderr=log,
                                      start_new_session=True))
        for i in range(workers):
            procs.append(subprocess.Popen(["dask", "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                           "--no-nanny", "--no-dashboard", "--local-directory",
                                           os.path.join(folder, f"w{i}")], env=env, stdout=log, stderr=log,
                                          start_new_session=True))
        from distributed import Client
        with Client(address, timeout="30s", set_as_default=False) as c:
            c.wait_for_workers(workers, timeout=60)
        url = os.path.join(folder, f"dask-{workers}-{time.monotonic_ns()}.sqlite")
        t = time.perf_counter()
        engine_args = ["--engine", engine] + (["--plugin-dir", plugin_dir()] if engine == "tshark" else [])
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "annotate"), "--quiet", "--db", url, "--dask", address,
                            *engine_args, captures], capture_output=True, text=True, env=dict(os.environ),
                           timeout=3600)
        elapsed = time.perf_counter() - t
        if p.returncode not in (0, 1):
            raise SystemExit(f"bench.store: annotate --dask failed: {p.stderr[-2000:]}")
        store = ucstore.open_store(url)
        n = store.counts()["captures"]
        store.close()
        return elapsed, n
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass
            p.wait()
        log.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "captures")))
    ap.add_argument("--copies", type=int, default=20, help="times the results are ingested (default 20)")
    ap.add_argument("--fleet", type=int, default=1000, help="captures in the fleet-query store (default 1000)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--engine", choices=["scan", "tshark"], default="scan", help="the Dask part's engine (default scan)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.captures):
        print(f"bench.store: {a.captures}: no such folder", file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="ciscouc-bench-store-")
    try:
        t = time.perf_counter()
        results = scan_all(a.captures)
        print(f"scanned {len(results)} captures, {sum(len(r['conversations']) for r in results):,} conversations "
              f"in {time.perf_counter() - t:.2f} s (not part of the figures)")
        runs = [ingest(results, a.copies, folder) for _ in range(a.runs)]
        elapsed = statistics.median(r[0] for r in runs)
        counts = runs[0][1]
        rows = sum(counts.values())
        print(f"ingest: {rows:,} rows ({', '.join(f'{v:,} {k}' for k, v in counts.items())}) "
              f"in {elapsed:.3f} s (median of {a.runs}): {rows / elapsed:,.0f} rows/s "
              f"[goal >= 50,000] {'PASS' if rows / elapsed >= 50000 else 'MISS'}")
        q, n = fleet(results, a.fleet, folder, max(a.runs, 5))
        print(f"fleet: every query of the fleet page over {n:,} captures: {q * 1000:.0f} ms (median) "
              f"[goal < 1 s] {'PASS' if q < 1 else 'MISS'}")
        if not a.no_dask:
            one, two = [], []
            if a.engine == "tshark" and not os.path.isdir(plugin_dir()):
                print(f"bench.store: {plugin_dir()}: no such folder (build the plugin)", file=sys.stderr)
                return 2
            for _ in range(a.runs):
                one.append(dask_run(a.captures, 1, folder, a.engine))
                two.append(dask_run(a.captures, 2, folder, a.engine))
            t1, t2 = statistics.median(x[0] for x in one), statistics.median(x[0] for x in two)
            n = one[0][1]
            if any(x[1] != n for x in one + two):
                print(f"bench.store: the runs stored different numbers of captures: {[x[1] for x in one + two]}",
                      file=sys.stderr)
                return 1
            print(f"dask --engine {a.engine}: runs, one worker {' '.join(f'{x[0]:.2f}' for x in one)} s, "
                  f"two workers {' '.join(f'{x[0]:.2f}' for x in two)} s")
            print(f"dask --engine {a.engine}: {n} captures, one worker {t1:.2f} s ({n / t1:.1f} captures/s), "
                  f"two workers {t2:.2f} s ({n / t2:.1f} captures/s) (medians of {a.runs}): ratio {t1 / t2:.2f} "
                  f"[goal >= 1.7] {'PASS' if t1 / t2 >= 1.7 else 'MISS'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
