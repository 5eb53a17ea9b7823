"""annotate --dask on a real Dask distributed cluster on 127.0.0.1: a scheduler and two
worker processes (`dask scheduler`, `dask worker`, as nobody when run as root), started
once for the module and always torn down. The store is written by the client."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest

import storelib
import ucdask
from conftest import ROOT, plugin_dir
from storelib import annotate

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native

DASK = shutil.which("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        from distributed import Client
        self.dir = tempfile.mkdtemp(prefix="ciscouc-dask-")
        os.chmod(self.dir, 0o755)
        self.prefix = []
        if os.geteuid() == 0:  # workers as an ordinary user, as on a sensor
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.procs: dict[str, subprocess.Popen] = {}
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                 "--no-dashboard", "--no-show"])
        for name in ("w1", "w2"):
            self.worker(name)
        self.client = Client(self.address, timeout="30s", set_as_default=False)
        self.client.wait_for_workers(2, timeout=60)

    def start(self, name: str, args: list[str], extra_env: dict | None = None) -> None:
        env = {"PATH": os.environ["PATH"], "HOME": self.dir, "LC_ALL": "C.UTF-8",
               "PYTHONPATH": os.path.join(ROOT, "tools"), "CISCOUC_BUILD": os.path.dirname(
                   os.path.dirname(storelib.SCANNER)), **(extra_env or {})}
        log = open(os.path.join(self.dir, name + ".log"), "w")
        self.procs[name] = subprocess.Popen([*self.prefix, "env", *[f"{k}={v}" for k, v in env.items()], DASK, *args],
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.dir)
        log.close()

    def worker(self, name: str, extra_env: dict | None = None) -> None:
        self.start(name, ["worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                          "--no-dashboard", "--name", name, "--local-directory", os.path.join(self.dir, name)],
                   extra_env)

    def workers(self) -> dict[str, str]:
        """Worker name -> address."""
        return {w["name"]: a for a, w in self.client.scheduler_info()["workers"].items()}

    def stop(self) -> None:
        self.client.close()
        for p in self.procs.values():
            storelib.kill_group(p)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    if not DASK:
        pytest.skip("Dask tests skipped: dask is not installed (apt-get install python3-distributed)")
    c = Cluster()
    yield c
    c.stop()


sites = pytest.fixture(scope="module")(storelib.sites)


@pytest.fixture(scope="module")
def reference(sites):
    """The store one machine writes for the same captures."""
    d = tempfile.mkdtemp(prefix="ciscouc-dask-ref-")
    url = os.path.join(d, "local.sqlite")
    annotate("--db", url, sites)
    yield storelib.snapshot(url)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def tshark_reference(sites):
    """The store one machine writes for the same captures with tshark and the plugin."""
    d = tempfile.mkdtemp(prefix="ciscouc-dask-tref-")
    url = os.path.join(d, "local.sqlite")
    annotate("--db", url, "--engine", "tshark", "--plugin-dir", plugin_dir(), sites)
    yield storelib.snapshot(url)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def open_tmp():
    """A temporary folder the workers (nobody) can reach (pytest's tmp_path is in a 0700 folder)."""
    d = tempfile.mkdtemp(prefix="ciscouc-dask-t-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_dask_stores_what_one_machine_stores(cluster, sites, reference, tmp_path):
    url = str(tmp_path / "dask.sqlite")
    p = annotate("--db", url, "--dask", cluster.address, sites)
    assert p.returncode == 1, p.stderr  # the empty capture
    assert "empty.pcap: empty on Dask worker tcp://127.0.0.1:" in p.stderr
    assert storelib.snapshot(url) == reference
    s = storelib.ucstore.open_store(url)
    try:
        workers = {w for (w,) in s.query("SELECT worker FROM captures")}
    finally:
        s.close()
    assert workers and workers <= set(cluster.workers().values())
    p = annotate("--db", url, "--dask", cluster.address, sites)
    assert "10 capture(s): 0 stored in" in p.stderr and "10 already there" in p.stderr, p.stderr


@pytest.mark.parametrize("batch", [None, "3"], ids=["one-a-task", "batches-of-3"])
def test_a_killed_worker_loses_nothing_and_stores_nothing_twice(cluster, sites, reference, open_tmp, tmp_path, batch):
    """w3 is SIGKILLed while it scans: its task (one capture, or a batch of three, some
    maybe scanned but not yet sent) runs again on another worker."""
    mark = os.path.join(open_tmp, "w3-scans")
    open(mark, "w").close()
    os.chmod(mark, 0o666)
    cluster.worker("w3", {"CISCOUC_TEST_MARK": str(mark)})
    storelib.wait_for("a third worker", lambda: "w3" in cluster.workers(), timeout=60)
    w3 = cluster.workers()["w3"]
    slow = storelib.slow_scanner(open_tmp, 0.4)
    url = str(tmp_path / "dask.sqlite")
    p = subprocess.Popen(["/usr/bin/python3", storelib.ANNOTATE, "--quiet", "--verbose", "--db", url, "--scanner", slow,
                          "--dask", cluster.address, *(["--dask-batch", batch] if batch else []), sites], env=storelib.env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        busy = storelib.wait_for("w3 scanning a capture", lambda: open(mark).read().strip(), timeout=60)
        storelib.kill_group(cluster.procs.pop("w3"))  # SIGKILL, mid-task
        _, err = p.communicate(timeout=90)
    finally:
        if p.poll() is None:
            storelib.kill_group(p)
    assert p.returncode == 1 and "Traceback" not in err and "the Dask task failed" not in err, err
    assert storelib.snapshot(url) == reference
    s = storelib.ucstore.open_store(url)
    try:
        by = dict(s.query("SELECT path, worker FROM captures"))
    finally:
        s.close()
    if batch:
        assert f"in 4 task(s)" in err, err  # 10 captures, 3 a task
    # The captures w3 began (the one it was scanning when it died): scanned again elsewhere.
    began = [line.split()[-1] for line in busy.splitlines()]
    assert began and all(by[c] in set(cluster.workers().values()) and by[c] != w3 for c in began)


def test_an_unreachable_scheduler(tmp_path):
    url = str(tmp_path / "r.sqlite")
    address = f"tcp://127.0.0.1:{free_port()}"
    p = annotate("--db", url, "--dask", address, "--dask-timeout", "2", storelib.TEACHING)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [p.stderr.splitlines()[0]] and \
        p.stderr.startswith(f"annotate: cannot reach the Dask scheduler at {address}: "), p.stderr
    assert storelib.snapshot(url)["captures"] == []


def test_a_capture_unreadable_on_a_worker(cluster, open_tmp, tmp_path):
    folder = os.path.join(open_tmp, "site-c")
    os.mkdir(folder)
    shutil.copy(os.path.join(storelib.TEACHING, "imp-xmpp.pcap"), os.path.join(folder, "good.pcap"))
    shutil.copy(os.path.join(storelib.TEACHING, "sip-phone-call.pcap"), os.path.join(folder, "locked.pcap"))
    storelib.readable(folder)
    os.chmod(os.path.join(folder, "locked.pcap"), 0)  # the workers (nobody, or this user) cannot read it
    url = str(tmp_path / "r.sqlite")
    p = annotate("--db", url, "--dask", cluster.address, folder, os.path.join(open_tmp, "nowhere"))
    assert p.returncode == 1
    err = p.stderr.splitlines()
    locked = [l for l in err if "locked.pcap" in l]
    assert len(locked) == 1 and locked[0].startswith(f"annotate: {folder}/locked.pcap: unreadable on Dask worker tcp://")
    assert locked[0].endswith("cannot read: Permission denied")
    assert any(l.startswith(f"annotate: {open_tmp}/nowhere: missing: no such file or folder on any Dask worker")
               for l in err), err
    assert storelib.whole_captures(url) == [os.path.join(folder, "good.pcap")]


def test_dask_with_tshark_stores_what_one_machine_stores(cluster, sites, tshark_reference, tmp_path):
    """--engine tshark: each worker runs tshark with the plugin from --plugin-dir (the
    workers run as nobody here; a root worker runs tshark as nobody, ucstats.tshark_command)."""
    url = str(tmp_path / "dask.sqlite")
    p = annotate("--db", url, "--dask", cluster.address, "--engine", "tshark", "--plugin-dir", plugin_dir(), sites)
    assert p.returncode == 1, p.stderr  # the empty capture
    assert "empty.pcap: empty on Dask worker tcp://127.0.0.1:" in p.stderr
    assert tshark_reference["conversations"] and storelib.snapshot(url) == tshark_reference
    s = storelib.ucstore.open_store(url)
    try:
        engines = {e for (e,) in s.query("SELECT engine FROM captures")}
        workers = {w for (w,) in s.query("SELECT worker FROM captures")}
    finally:
        s.close()
    assert engines == {"tshark"} and workers and workers <= set(cluster.workers().values())


def test_dask_with_tshark_and_no_plugin_folder_on_the_workers(cluster, tmp_path):
    """Near miss: a --plugin-dir the workers do not have fails each capture, naming the
    folder, and stores nothing (a rerun with the right folder scans them)."""
    url = str(tmp_path / "r.sqlite")
    nowhere = str(tmp_path / "no-plugins")
    p = annotate("--db", url, "--dask", cluster.address, "--engine", "tshark", "--plugin-dir", nowhere,
                 os.path.join(storelib.TEACHING, "imp-xmpp.pcap"))
    assert p.returncode == 1
    assert f"imp-xmpp.pcap: failed on Dask worker tcp://127.0.0.1:" in p.stderr
    assert f": --plugin-dir {nowhere}: no such folder" in p.stderr, p.stderr
    assert storelib.snapshot(url)["captures"] == []


def test_small_captures_travel_in_batches():
    """ucdask.plan_batches: the scan engine's small captures share tasks, biggest first;
    a big one, and every capture with tshark, is a task of its own."""
    big = ucdask.BATCH_BYTES
    sizes = {f"/c/{i:03d}.pcap": 1000 for i in range(100)} | {"/c/big.pcap": big, "/c/half.pcap": big // 2}
    batches = ucdask.plan_batches(sizes, workers=2, one_each=False)
    assert sorted(c for b in batches for c in b) == sorted(sizes)  # each capture once
    assert batches[0] == ["/c/big.pcap"]  # as big as a batch may be: alone (near miss: half shares)
    assert batches[1][0] == "/c/half.pcap" and len(batches[1]) == 12  # 102 // (4 tasks a worker * 2)
    assert all(sum(sizes[c] for c in b) <= big for b in batches)
    assert len(batches) >= ucdask.TASKS_PER_WORKER * 2
    assert ucdask.plan_batches(sizes, workers=2, one_each=True) == [[c] for c in sorted(sizes, key=lambda c: -sizes[c])]
