"""The results store (tools/annotate --db, --import; tools/ucstore.py), each test on
SQLite and on PostgreSQL: a private server this module starts (initdb and pg_ctl as
nobody when run as root, listening on a unix socket in a temporary folder only) and
stops and deletes at the end. The PostgreSQL half skips with a message where the
server programs or psycopg2 are missing."""
from __future__ import annotations

import collections
import glob
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile

import pytest

import storelib
import ucstats
import ucstore
from storelib import annotate

# Version-independent: tools, stores, kernel or the scanner alone (conftest tiers).
pytestmark = pytest.mark.native


# ---------------------------------------------------------------- a private PostgreSQL server

class PgServer:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if not bins:
            pytest.skip("PostgreSQL store tests skipped: the server is not installed (apt-get install postgresql)")
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            pytest.skip("PostgreSQL store tests skipped: psycopg2 is missing (apt-get install python3-psycopg2)")
        self.bindir = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="ciscouc-pg-")
        self.data, self.socket = os.path.join(self.dir, "data"), os.path.join(self.dir, "sock")
        os.makedirs(self.socket)
        self.prefix = []
        if os.geteuid() == 0:  # the server refuses to run as root
            nobody = pwd.getpwnam("nobody")
            for d in (self.dir, self.socket):
                os.chown(d, nobody.pw_uid, nobody.pw_gid)
            self.prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.pg(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        self.pg(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60", "-o",
                 f"-k {self.socket} -c listen_addresses='' -c fsync=off -c full_page_writes=off", "start"])
        self.n = 0

    def pg(self, cmd: list[str]) -> None:
        env = dict(os.environ, HOME=self.dir, LC_ALL="C")
        p = subprocess.run([*self.prefix, os.path.join(self.bindir, cmd[0]), *cmd[1:]], capture_output=True,
                           text=True, timeout=120, env=env, cwd=self.dir)
        assert p.returncode == 0, p.stdout + p.stderr

    def url(self, db: str) -> str:
        return f"postgresql://postgres@/{db}?host={self.socket}"

    def new_database(self) -> str:
        import psycopg2
        self.n += 1
        name = f"store{self.n}"
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        return self.url(name)

    def stop(self) -> None:
        try:
            self.pg(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_server():
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return request.getfixturevalue("pg_server").new_database()


sites = pytest.fixture(scope="module")(storelib.sites)


def captures_in(folder: str) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs)


# ---------------------------------------------------------------- what is stored

def test_store_holds_what_annotate_read(store_url, sites, tmp_path):
    jsonl = str(tmp_path / "rows.jsonl")
    p = annotate("--db", store_url, "--jsonl", jsonl, sites)
    assert p.returncode == 1, p.stderr  # the empty and the truncated capture
    assert "empty.pcap: empty: empty file" in p.stderr and "truncated.pcap: truncated" in p.stderr
    assert "10 capture(s): 10 stored in" in p.stderr and "0 already there; 8 ok, 1 truncated, 1 empty;" in p.stderr
    rows = storelib.read_jsonl(jsonl)
    by_capture = collections.defaultdict(list)
    for r in rows:
        by_capture[r["capture"]].append(r)
    s = ucstore.open_store(store_url)
    try:
        assert s.query("SELECT version FROM schema_version ORDER BY version") == \
            [(v,) for v, _, _ in ucstore.MIGRATIONS]
        stored = {r[1]: r for r in s.query("SELECT sha256, path, site, status, message, conversations, flags "
                                           "FROM captures")}
        assert sorted(stored) == captures_in(sites)
        empty = stored[os.path.join(sites, "site-b", "empty.pcap")]
        assert empty[3] == "empty" and "empty file" in empty[4] and empty[5] == 0
        cols = ", ".join(ucstore.q(k) for k in ucstats.CONV_KEYS)
        for path, jrows in by_capture.items():
            sha, _, site, status, _, nconv, nflags = stored[path]
            assert (sha, site, status) == (jrows[0]["sha256"], os.path.dirname(path), jrows[0]["status"])
            convs = [r for r in jrows if r["client"]]
            assert nconv == len(convs)
            db = s.query(f"SELECT {cols} FROM conversations WHERE capture = ? ORDER BY n", (sha,))
            # Every column as annotate wrote it (numbers back to text).
            assert [["" if v is None else str(v) for v in r] for r in db] == \
                [[r[k] for k in ucstats.CONV_KEYS] for r in convs]
            flags = collections.Counter(f for r in convs for f in r["flags"].split(",") if f)
            assert collections.Counter(dict(s.query("SELECT flag, COUNT(*) FROM flags WHERE capture = ? "
                                                     "GROUP BY flag", (sha,)))) == flags
            assert nflags == sum(flags.values())
            # The hosts table as ciscouc-scan prints it, and one role row per role.
            hosts = s.query(f"SELECT {', '.join(ucstore.q(k) for k in ucstats.HOST_KEYS)} FROM hosts "
                            f"WHERE capture = ?", (sha,))
            assert {tuple(str(v) for v in h) for h in hosts} == storelib.scanner_hosts(path)
            roles = {(h[0], r.strip()) for h in hosts for r in h[1].split(",")}
            assert set(s.query("SELECT address, role FROM host_roles WHERE capture = ?", (sha,))) == roles
        # The fleet's figures: flags by kind and by site, counted here from the rows.
        data = ucstore.fleet_data(s)
        kinds = collections.Counter(f for r in rows for f in r["flags"].split(",") if f)
        assert {r[0]: r[1] for r in data["flags"][2]} == kinds and len(kinds) >= 4
        per_site = collections.Counter((os.path.dirname(r["capture"]), f) for r in rows
                                       for f in r["flags"].split(",") if f)
        assert {(r[0], r[1]): r[2] for r in data["sites"][2]} == per_site
        assert data["worst"][2][0][-1] == max(len([f for f in r["flags"].split(",") if f]) for r in rows)
        # The same address in captures of both sites (the Unified CM of the teaching captures).
        cucm = [r for r in data["roles"][2] if r[0] == "Unified CM" and r[1] == "10.10.0.11"]
        assert cucm and cucm[0][2] >= 6 and cucm[0][3] == 2
    finally:
        s.close()


def test_a_stored_capture_is_skipped_unless_replace(store_url, sites, tmp_path):
    p = annotate("--db", store_url, sites)
    before = storelib.snapshot(store_url)
    # The same content under another name is the same capture.
    copy = tmp_path / "again"
    copy.mkdir()
    shutil.copy(os.path.join(sites, "site-a", "sccp-phone-call.pcap"), copy / "renamed.pcap")
    p = annotate("--db", store_url, "--verbose", sites, str(copy))
    assert "11 capture(s): 0 stored in" in p.stderr and "11 already there" in p.stderr, p.stderr
    assert "already in the store, not scanned again" in p.stderr
    assert storelib.snapshot(store_url) == before
    p = annotate("--db", store_url, "--replace", sites)
    assert "10 capture(s): 10 stored in" in p.stderr, p.stderr
    assert storelib.snapshot(store_url) == before


def test_import_jsonl_gives_the_same_store(store_url, sites, tmp_path):
    jsonl = str(tmp_path / "rows.jsonl")
    direct = str(tmp_path / "direct.sqlite")
    annotate("--db", direct, "--jsonl", jsonl, sites)
    p = annotate("--db", store_url, "--import", jsonl)
    assert p.returncode == 0 and f"{jsonl}: 10 capture(s): 10 stored in" in p.stderr, p.stderr
    imported, scanned = storelib.snapshot(store_url), storelib.snapshot(direct)
    # JSON Lines hold every capture (the empty one has a row); hosts come from the role
    # columns (no evidence text): the same addresses and roles.
    assert imported["conversations"] == scanned["conversations"] and imported["flags"] == scanned["flags"]
    assert imported["host_roles"] == scanned["host_roles"]
    # sha256, path, site, status, conversations, flags, packets, bytes (JSON Lines carry no
    # size and no message).
    def pick(r):
        return r[:3] + (r[4], r[6]) + r[8:]
    assert [pick(r) for r in imported["captures"]] == [pick(r) for r in scanned["captures"]]
    p = annotate("--db", store_url, "--import", jsonl)
    assert "10 capture(s): 0 stored in" in p.stderr and "10 already there" in p.stderr
    # A line that is not a row: named, and nothing of that file is stored.
    bad = tmp_path / "bad.jsonl"
    with open(jsonl) as f:
        lines = f.read().splitlines()
    bad.write_text("\n".join([lines[0], '{"capture": 1', *lines[1:]]) + "\n")
    fresh = str(tmp_path / "fresh.sqlite")
    p = annotate("--db", fresh, "--import", str(bad))
    assert p.returncode == 1 and f"{bad}, line 2: not JSON" in p.stderr and "Traceback" not in p.stderr
    assert storelib.snapshot(fresh)["captures"] == []


def test_a_killed_batch_resumes_with_no_duplicate_and_no_loss(store_url, sites, tmp_path):
    reference = str(tmp_path / "reference.sqlite")
    annotate("--db", reference, sites)
    slow = storelib.slow_scanner(str(tmp_path), 0.25)
    p = subprocess.Popen(["/usr/bin/python3", storelib.ANNOTATE, "--quiet", "--jobs", "1", "--scanner", slow,
                          "--db", store_url, sites], env=storelib.env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        storelib.wait_for("3 captures stored", lambda: len(storelib.whole_captures(store_url)) >= 3, timeout=60)
    finally:
        storelib.kill_group(p)  # SIGKILL, mid-batch
    assert p.returncode == -9
    half = storelib.whole_captures(store_url)
    assert 3 <= len(half) < 10
    p = annotate("--db", store_url, sites)
    assert f"{len(half)} already there" in p.stderr and f"{10 - len(half)} stored in" in p.stderr, p.stderr
    assert storelib.whole_captures(store_url) == captures_in(sites)
    assert storelib.snapshot(store_url) == storelib.snapshot(reference)


def test_migrations_upgrade_and_never_drop(store_url, sites, monkeypatch):
    old = ucstore.Store(store_url, upto=1)  # a store as the first schema made it
    assert old.version() == 1
    cap = {"sha256": "0" * 64, "path": "site/x.pcap", "status": "ok", "message": "", "hosts": None,
           "conversations": [{**{k: "" for k in ucstats.CONV_KEYS}, "client": "10.0.0.1:5000",
                              "server": "10.0.0.2:5060", "transport": "udp", "flags": "insecure",
                              "client_role": "Phone", "server_role": "Unified CM"}]}
    assert old.put(cap) == "stored"
    old.close()
    monkeypatch.setattr(ucstats, "CONV_KEYS", [*ucstats.CONV_KEYS, "call_id"])  # a column ucstats gains
    new = ucstore.open_store(store_url)
    try:
        assert new.version() == ucstore.LATEST == 2
        assert new.query("SELECT path, flags, hosts FROM captures") == [("site/x.pcap", 1, 2)]
        assert new.query('SELECT client, "call_id" FROM conversations') == [("10.0.0.1:5000", None)]
        with new.transaction() as cur:
            cur.execute("INSERT INTO schema_version VALUES (99, 'from the future', 'x')")
    finally:
        new.close()
    monkeypatch.undo()
    with pytest.raises(ucstore.StoreError, match="schema version 99, newer than this ciscouc knows"):
        ucstore.open_store(store_url)
    p = annotate("--db", store_url, sites)
    assert p.returncode == 2 and "schema version 99" in p.stderr and "Traceback" not in p.stderr


# ---------------------------------------------------------------- bad stores (one error line, nothing partial)

def test_a_store_that_cannot_be_opened(tmp_path):
    cap = os.path.join(storelib.TEACHING, "sccp-phone-call.pcap")
    not_db = tmp_path / "notes.sqlite"
    not_db.write_text("not a database, just notes\n" * 200)
    cases = {str(tmp_path / "no" / "such" / "r.sqlite"): "unable to open database file",
             str(not_db): "file is not a database",
             str(tmp_path): "it is a folder",
             "mysql://db.example/r": "not a store URL this ciscouc knows",
             f"postgresql://u:secret@/r?host={tmp_path}/nosock": "cannot open the results store postgresql://u:***@/r"}
    for url, why in cases.items():
        p = annotate("--db", url, cap)
        assert p.returncode == 2, (url, p.stderr)
        lines = p.stderr.splitlines()
        assert len(lines) == 1 and why in lines[0] and "Traceback" not in p.stderr, (url, p.stderr)
        assert "secret" not in p.stderr
    with open(not_db) as f:
        assert f.read().startswith("not a database")  # left as it was


def test_a_full_disk_stops_with_whole_captures_only(sites, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("full-disk test skipped: mounting a small tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], check=True)
    try:
        url = str(mnt / "results.sqlite")
        ucstore.open_store(url).close()
        st = os.statvfs(mnt)
        filler = mnt / "filler"
        filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 160 * 1024))  # 160 KiB left
        p = annotate("--db", url, "--jobs", "1", sites)
        assert p.returncode == 1
        full = [l for l in p.stderr.splitlines() if "disk is full" in l]
        assert len(full) == 1 and full[0].startswith(f"annotate: {url}: {sites}/") and "not stored" in full[0], \
            p.stderr
        assert "nothing of it was written" in full[0] and "Traceback" not in p.stderr
        filler.unlink()
        c = sqlite3.connect(url)
        try:
            assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            c.close()
        half = storelib.whole_captures(url)
        assert 0 < len(half) < 10
        p = annotate("--db", url, sites)
        assert storelib.whole_captures(url) == captures_in(sites), p.stderr
    finally:
        if subprocess.run(["umount", str(mnt)]).returncode != 0:
            subprocess.run(["umount", "--lazy", str(mnt)], check=True)
