"""annotate --dask: captures scanned on a Dask distributed cluster, results back to annotate.

The workers (PYTHONPATH=<ciscouc>/tools dask worker ADDRESS) list the paths
themselves (list_captures: each sees a shared mount or its own files), and a
capture goes only to the workers that listed it. Small captures travel in
batches (plan_batches): one task scans several of them in turn (scan_batch) and
returns one result per capture, so the client still writes one store
transaction per capture. A worker lost mid-task has its whole task run again
on another worker (Dask's scheduler does this), and the client stores a
capture only when its task's results arrive, so nothing is lost or stored twice.

Why batches: a task costs a few milliseconds of scheduler, client and worker
time whatever it does, and the scanner reads a small capture in less than
that (bench/README.md, "The results store and Dask"). tshark pays ~0.3 s of
start-up per capture, so with --engine tshark each capture is a task of its
own (the batching would only delay results and unbalance the workers).
"""
from __future__ import annotations

import os

import ucstore

# A scan-engine task holds captures up to this many bytes in all (a capture at
# least this big is a task of its own) ...
BATCH_BYTES = 4 << 20
# ... and at most this many captures, and each worker gets at least
# TASKS_PER_WORKER tasks, so a slow task at the end does not keep one worker
# busy while the others wait.
BATCH_CAPTURES = 32
TASKS_PER_WORKER = 4


class DaskError(Exception):
    """A problem that stops the batch (the scheduler, the workers), in words for the user."""


def list_captures(paths: list[str]) -> tuple[list[tuple[str, int]], list[tuple[str, str, str]]]:
    """On a worker: annotate.find_captures, each capture with its size in bytes (-1 when
    it cannot be read: it is reported by the scan)."""
    import annotate
    found, problems = annotate.find_captures(paths)
    sized = []
    for c in found:
        try:
            sized.append((c, os.path.getsize(c)))
        except OSError:
            sized.append((c, -1))
    return sized, problems


def plan_batches(sizes: dict[str, int], workers: int, one_each: bool, most: int | None = None) -> list[list[str]]:
    """The captures (path -> size) in tasks, biggest first: one capture a task when
    one_each, else consecutive captures (by size, descending) up to BATCH_BYTES and
    `most` captures (default: BATCH_CAPTURES, and no more than
    len/(TASKS_PER_WORKER * workers))."""
    order = sorted(sizes, key=lambda c: (-sizes[c], c))
    if one_each:
        return [[c] for c in order]
    if most is None:
        most = min(BATCH_CAPTURES, len(order) // max(1, TASKS_PER_WORKER * workers))
    most = max(1, most)
    batches: list[list[str]] = []
    total = 0
    for c in order:
        if batches and len(batches[-1]) < most and total + max(sizes[c], 0) <= BATCH_BYTES:
            batches[-1].append(c)
            total += max(sizes[c], 0)
        else:
            batches.append([c])
            total = max(sizes[c], 0)
    return batches


def scan_batch(paths: list[str], job: dict, known: dict) -> list[dict]:
    """On a worker: annotate.scan_capture for each capture in turn; one that raises
    gives a failed result of its own, the others are kept."""
    import annotate
    out = []
    for p in paths:
        try:
            out.append(annotate.scan_capture(p, job, known.get(p)))
        except Exception as e:  # a bug in the scan of one capture: not the batch's other captures
            out.append(failed(p, f"the scan raised {type(e).__name__}: {ucstore.one_line(e)}",
                              annotate.this_worker()))
    return out


def failed(path: str, message: str, worker: str = "") -> dict:
    return {"path": path, "worker": worker, "sha256": "", "status": "failed", "conversations": [], "hosts": None,
            "message": message}


def task_error(e: BaseException) -> str:
    text = ucstore.one_line(e)
    if "No module named" in text:
        text += " (start the workers with PYTHONPATH=<ciscouc>/tools; docs/batch.md)"
    return text


def results(address: str, paths: list[str], job: dict, known: dict, timeout: float, log, batch: int | None = None):
    """annotate.scan_capture's results from the Dask cluster at address, as their tasks
    complete (one dict per capture), after a "missing" one for each path no worker sees.
    batch: at most this many captures a task (plan_batches)."""
    try:
        import dask
        from distributed import Client, as_completed
    except ImportError:
        raise DaskError("--dask needs Dask distributed (Debian: apt-get install python3-distributed)") from None
    import ucdask as here  # tasks refer to this module by name: the workers import it (PYTHONPATH)
    with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
        try:
            client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except Exception as e:  # OSError, TimeoutError, ValueError (a malformed address)
            raise DaskError(f"cannot reach the Dask scheduler at {address}: {ucstore.one_line(e)}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception:
            raise DaskError(f"no Dask worker joined the scheduler at {address} within {timeout:g} s "
                            f"(start one: dask worker {address})") from None
        try:
            listing = client.run(here.list_captures, [os.path.abspath(p) for p in paths])
        except Exception as e:
            raise DaskError(f"the Dask workers of {address} could not list the captures: {task_error(e)}") from None
        seen: dict[str, list[str]] = {}
        sizes: dict[str, int] = {}
        for worker, (found, _) in sorted(listing.items()):
            for c, size in found:
                seen.setdefault(c, []).append(worker)
                sizes[c] = max(sizes.get(c, -1), size)
        for p in paths:
            a = os.path.abspath(p)
            if not any(c == a or c.startswith(a.rstrip(os.sep) + os.sep) for c in seen):
                yield failed(p, f"no such file or folder on any Dask worker of {address} "
                                f"({', '.join(sorted(listing))})") | {"status": "missing"}
        # One map per set of workers that see the same captures (one set on a shared mount):
        # a single submission each, the biggest tasks first (map's order is their priority).
        groups: dict[tuple[str, ...], dict[str, int]] = {}
        for c, ws in seen.items():
            groups.setdefault(tuple(ws), {})[c] = sizes[c]
        futures = {}
        for ws, group in groups.items():
            batches = plan_batches(group, len(ws), one_each=job.get("scan") is None, most=batch)
            fs = client.map(here.scan_batch, batches, job=job, known={c: known[c] for c in group if c in known},
                            workers=list(ws), allow_other_workers=False, pure=False, key="ciscouc-scan")
            futures.update(zip(fs, batches))
        log(f"{len(seen)} capture(s) sent to {len(listing)} Dask worker(s) at {address} in {len(futures)} task(s)",
            verbose=True)
        for fut, result in as_completed(futures, with_results=True, raise_errors=False, loop=client.loop):
            if fut.status == "finished":
                yield from result
            else:  # KilledWorker (lost too often), a task that raised: (type, exception, traceback)
                why = result[1] if isinstance(result, tuple) else result
                for p in futures[fut]:
                    yield failed(p, f"the Dask task failed: {task_error(why)}")
    finally:
        client.close()
