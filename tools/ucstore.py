"""The fleet results store: captures, conversations, hosts and flags in SQLite
(the default, no server) or PostgreSQL, through one SQL layer.

Used by tools/annotate (--db, --import) and tools/fleet. The schema is
docs/store.md; it is written once, here, in SQL both databases read (TEXT,
INTEGER, BIGINT, quoted identifiers, no auto-increment: a capture is keyed by
its content hash, a conversation by (capture, row number)). The conversation
and host columns are ucstats.CONV_KEYS and ucstats.HOST_KEYS.

Versions: schema_version holds one row per migration applied. Opening a store
applies the migrations it lacks, in one transaction each; a column ucstats
adds later is added to an existing store (ALTER TABLE ... ADD COLUMN). Nothing
is ever dropped. A store written by a newer ciscouc is refused, not touched.

Writes: put() stores one capture and everything about it in one transaction,
so a batch killed at any point leaves whole captures only, and a rerun skips
those already stored (same content hash) unless replace is asked.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import sqlite3

import ucstats

# Columns held as numbers (sortable, summable); every other column is TEXT.
NUMBER_COLUMNS = {"listener_port": "INTEGER", "packets": "BIGINT", "bytes": "BIGINT", "other_uses": "INTEGER",
                  "conversations": "INTEGER"}
# The per-capture record: what annotate knows about a capture besides its rows.
CAPTURE_COLUMNS = {"sha256": "TEXT PRIMARY KEY", "path": "TEXT NOT NULL", "site": "TEXT NOT NULL",
                   "size": "BIGINT", "status": "TEXT NOT NULL", "message": "TEXT NOT NULL",
                   "conversations": "INTEGER NOT NULL", "hosts": "INTEGER NOT NULL", "flags": "INTEGER NOT NULL",
                   "packets": "BIGINT NOT NULL", "bytes": "BIGINT NOT NULL", "engine": "TEXT NOT NULL",
                   "worker": "TEXT NOT NULL", "source": "TEXT NOT NULL", "stored_at": "TEXT NOT NULL"}
# Tables that hold a capture's rows, children first (the order of deletes).
CHILD_TABLES = ["flags", "host_roles", "hosts", "conversations"]
# Tables whose columns follow ucstats: table -> (its column keys, key column(s) before them).
FOLLOWED = {"conversations": (lambda: ucstats.CONV_KEYS, ["n"]),
            "hosts": (lambda: ucstats.HOST_KEYS, [])}
BUSY_TIMEOUT_MS = 30000
WAL_CHECKPOINT_PAGES = 10000  # SQLite's default is 1000: each checkpoint is an fsync


class StoreError(Exception):
    """A store problem in words for the user (names the store and what failed)."""


def q(name: str) -> str:
    """A quoted SQL identifier (the same in SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def column_type(key: str) -> str:
    return NUMBER_COLUMNS.get(key, "TEXT")


def _followed_columns(table: str) -> str:
    keys, _ = FOLLOWED[table]
    return ", ".join(f"{q(k)} {column_type(k)}" for k in keys())


def _migration_1() -> list[str]:
    return [
        "CREATE TABLE captures (" + ", ".join(f"{q(k)} {t}" for k, t in CAPTURE_COLUMNS.items()) + ")",
        "CREATE TABLE conversations (capture TEXT NOT NULL REFERENCES captures(sha256), n INTEGER NOT NULL, "
        f"{_followed_columns('conversations')}, extra TEXT NOT NULL, PRIMARY KEY (capture, n))",
        "CREATE TABLE hosts (capture TEXT NOT NULL REFERENCES captures(sha256), "
        f"{_followed_columns('hosts')}, extra TEXT NOT NULL, PRIMARY KEY (capture, address))",
        "CREATE TABLE host_roles (capture TEXT NOT NULL REFERENCES captures(sha256), address TEXT NOT NULL, "
        "role TEXT NOT NULL, PRIMARY KEY (capture, address, role))",
        "CREATE TABLE flags (capture TEXT NOT NULL REFERENCES captures(sha256), n INTEGER NOT NULL, "
        "flag TEXT NOT NULL, PRIMARY KEY (capture, n, flag))",
    ]


def _migration_2() -> list[str]:
    return ["CREATE INDEX captures_site ON captures (site)",
            "CREATE INDEX host_roles_role ON host_roles (role, address)",
            "CREATE INDEX flags_flag ON flags (flag)"]


# (version, what it does, its statements). Append; never edit one that shipped.
MIGRATIONS = [(1, "captures, conversations, hosts, host roles and flags", _migration_1),
              (2, "indexes for the fleet page (sites, roles, flags)", _migration_2)]
LATEST = MIGRATIONS[-1][0]


def display_url(url: str) -> str:
    """The store's URL as errors show it: any password replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def site_of(path: str) -> str:
    """A capture's site: the folder that holds it, as the path names it."""
    return os.path.dirname(os.path.normpath(path)) or "."


class Store:
    """An open store. Backend-specific: connect, placeholder, errors; the rest is shared SQL."""

    def __init__(self, url: str, upto: int | None = None):
        self.url = url
        self.name = display_url(url)
        if re.match(r"^postgres(ql)?://", url):
            self.kind = "postgresql"
            try:
                import psycopg2
            except ImportError:
                raise StoreError(f"{self.name}: PostgreSQL stores need psycopg2 (Debian: apt-get install "
                                 f"python3-psycopg2)") from None
            self.errors = (psycopg2.Error,)
            try:
                self.conn = psycopg2.connect(url, connect_timeout=15)
            except psycopg2.Error as e:
                raise StoreError(f"cannot open the results store {self.name}: {one_line(e)}") from None
            self.mark = "%s"
        elif "://" in url and not url.startswith("sqlite://"):
            raise StoreError(f"{self.name}: not a store URL this ciscouc knows (a SQLite file such as results.sqlite, "
                             f"sqlite:///path, or postgresql://...)")
        else:
            self.kind = "sqlite"
            path = url[len("sqlite://"):] if url.startswith("sqlite://") else url
            self.path = path[1:] if path.startswith("//") else path
            self.errors = (sqlite3.Error,)
            try:
                if os.path.isdir(self.path):
                    raise StoreError(f"cannot open the results store {self.name}: it is a folder")
                self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
                # WAL: a commit is one append; a process killed at any point leaves whole
                # transactions. NORMAL syncs at checkpoints only (a power cut may lose the last
                # captures, never the store's consistency); a checkpoint every 40 MB of WAL.
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            except sqlite3.Error as e:
                raise StoreError(f"cannot open the results store {self.name}: {one_line(e)}") from None
            self.mark = "?"
        try:
            self.migrate(upto)
        except StoreError:
            self.close()
            raise
        except self.errors as e:
            self.close()
            raise StoreError(f"cannot open the results store {self.name}: {one_line(e)}") from None

    # ----------------------------------------------------------------- the SQL layer

    def sql(self, text: str) -> str:
        """Shared SQL (written with ?) in this backend's placeholder style."""
        return text if self.mark == "?" else text.replace("?", self.mark)

    @contextlib.contextmanager
    def transaction(self):
        cur = self.conn.cursor()
        try:
            if self.kind == "sqlite":
                cur.execute("BEGIN IMMEDIATE")
            yield cur
            self.conn.commit()
        except BaseException:
            try:
                self.conn.rollback()
            except self.errors:
                pass
            raise
        finally:
            cur.close()

    def query(self, text: str, params=()) -> list[tuple]:
        cur = self.conn.cursor()
        try:
            cur.execute(self.sql(text), params)
            return cur.fetchall()
        finally:
            cur.close()
            if self.kind == "postgresql":
                self.conn.rollback()  # end the read's implicit transaction

    def columns(self, cur, table: str) -> list[str]:
        cur.execute(f"SELECT * FROM {q(table)} WHERE 1 = 0")
        return [d[0] for d in cur.description]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    # ----------------------------------------------------------------- versions

    def version(self) -> int:
        cur = self.conn.cursor()
        try:
            try:
                cur.execute("SELECT MAX(version) FROM schema_version")
            except self.errors:
                self.conn.rollback()
                return 0
            v = cur.fetchone()[0]
            return v or 0
        finally:
            cur.close()
            if self.kind == "postgresql":
                self.conn.rollback()

    def migrate(self, upto: int | None = None) -> None:
        """Applies the migrations this store lacks (up to upto), then adds the columns ucstats gained."""
        have = self.version()
        if have > LATEST:
            raise StoreError(f"{self.name}: the store has schema version {have}, newer than this ciscouc knows "
                             f"({LATEST}); use a newer ciscouc (nothing was changed)")
        if have == 0:
            with self.transaction() as cur:
                cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                            "description TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for version, what, statements in MIGRATIONS:
            if version <= have or (upto is not None and version > upto):
                continue
            with self.transaction() as cur:
                for s in statements():
                    cur.execute(s)
                cur.execute(self.sql("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)"),
                            (version, what, now()))
        with self.transaction() as cur:
            for table, (keys, _) in FOLLOWED.items():
                present = set(self.columns(cur, table))
                for k in keys():
                    if k not in present:
                        cur.execute(f"ALTER TABLE {q(table)} ADD COLUMN {q(k)} {column_type(k)}")

    # ----------------------------------------------------------------- captures

    def stored_paths(self) -> dict[str, str]:
        """Path -> content hash of every stored capture."""
        return dict(self.query("SELECT path, sha256 FROM captures"))

    def stored(self, sha256: str) -> str | None:
        """The path under which this content is stored, or None."""
        rows = self.query("SELECT path FROM captures WHERE sha256 = ?", (sha256,))
        return rows[0][0] if rows else None

    def put(self, cap: dict, replace: bool = False) -> str:
        """Stores one capture in one transaction: "stored", "replaced" or "present" (same content
        already stored, nothing written). cap: sha256, path, status, message, conversations (rows as
        annotate reads them), hosts (rows, or None: derived from the role columns), and optionally
        size, engine, worker, source. StoreError when the store refuses (a full disk...)."""
        convs = cap.get("conversations") or []
        hosts = cap.get("hosts")
        if hosts is None:
            hosts = derived_hosts(convs)
        sha = cap["sha256"]
        conv_rows = [(sha, n, *table_row(c, ucstats.CONV_KEYS)) for n, c in enumerate(convs, 1)]
        flag_rows = [(sha, n, f) for n, c in enumerate(convs, 1)
                     for f in dict.fromkeys(x for x in c.get("flags", "").split(",") if x)]
        host_rows = [(sha, *table_row(h, ucstats.HOST_KEYS)) for h in hosts]
        role_rows = [(sha, h.get("address", ""), r) for h in hosts
                     for r in dict.fromkeys(x.strip() for x in h.get("roles", "").split(",") if x.strip())]
        at = {k: i + 2 for i, k in enumerate(ucstats.CONV_KEYS)}
        packets = sum(r[at["packets"]] or 0 for r in conv_rows)
        nbytes = sum(r[at["bytes"]] or 0 for r in conv_rows)
        record = {"sha256": cap["sha256"], "path": cap["path"], "site": site_of(cap["path"]),
                  "size": cap.get("size"), "status": cap["status"], "message": cap.get("message", ""),
                  "conversations": len(conv_rows), "hosts": len(host_rows), "flags": len(flag_rows),
                  "packets": packets, "bytes": nbytes, "engine": cap.get("engine", ""),
                  "worker": cap.get("worker", ""), "source": cap.get("source", "scan"), "stored_at": now()}
        try:
            with self.transaction() as cur:
                cur.execute(self.sql("SELECT path FROM captures WHERE sha256 = ?"), (cap["sha256"],))
                existing = cur.fetchone()
                if existing and not replace:
                    return "present"
                if existing:
                    for t in [*CHILD_TABLES, "captures"]:
                        cur.execute(self.sql(f"DELETE FROM {q(t)} WHERE {'sha256' if t == 'captures' else 'capture'} = ?"),
                                    (cap["sha256"],))
                self._insert(cur, "captures", list(record), [tuple(record.values())])
                self._insert(cur, "conversations", ["capture", "n", *ucstats.CONV_KEYS, "extra"], conv_rows)
                self._insert(cur, "hosts", ["capture", *ucstats.HOST_KEYS, "extra"], host_rows)
                self._insert(cur, "host_roles", ["capture", "address", "role"], role_rows)
                self._insert(cur, "flags", ["capture", "n", "flag"], flag_rows)
        except self.errors as e:
            raise StoreError(f"{self.name}: {cap['path']} not stored ({store_problem(e)}); "
                             f"nothing of it was written") from None
        return "replaced" if existing else "stored"

    def _insert(self, cur, table: str, cols: list[str], rows: list[tuple]) -> None:
        if rows:
            cur.executemany(self.sql(f"INSERT INTO {q(table)} ({', '.join(q(c) for c in cols)}) "
                                     f"VALUES ({', '.join('?' * len(cols))})"), rows)

    def counts(self) -> dict[str, int]:
        return {t: self.query(f"SELECT COUNT(*) FROM {q(t)}")[0][0] for t in ["captures", *reversed(CHILD_TABLES)]}


def table_row(d: dict, keys: list[str]) -> list:
    """A conversation's or host's values for keys (numbers as int, "" as NULL), then extra:
    the JSON object of its other columns ("{}" for none)."""
    values = [d.get(k, "") for k in keys]
    for i, k in enumerate(keys):
        if k in NUMBER_COLUMNS:
            v = str(values[i])
            values[i] = int(v) if v.isdigit() else None
    if len(d) > len(keys) or any(k not in d for k in keys):
        known = set(keys)
        extra = {k: v for k, v in d.items() if k not in known and k != "flag_details"}
        values.append(json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else "{}")
    else:
        values.append("{}")
    return values


def one_line(e: Exception) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def store_problem(e: Exception) -> str:
    text = one_line(e)
    if "disk is full" in text or "No space left" in text or getattr(e, "pgcode", None) == "53100":
        return f"the disk is full: {text}"
    return text


def derived_hosts(convs: list[dict]) -> list[dict]:
    """Host rows from the conversations' role columns, where no hosts table
    came with them (an imported JSONL file, a plugin without -z ciscouc,hosts)."""
    import ucreport
    roles = ucreport.host_roles({"hosts": None, "conversations": convs})
    seen: dict[str, int] = {}
    for c in convs:
        for ep in {c.get("client", ""), c.get("server", "")}:
            a = ucstats.split_endpoint(ep)[0]
            seen[a] = seen.get(a, 0) + 1
    return [{"address": a, "roles": ", ".join(r), "evidence": "", "conversations": str(seen.get(a, 0))}
            for a, r in roles.items()]


def open_store(url: str) -> Store:
    return Store(url)


# --------------------------------------------------------------------------- JSON Lines

def file_digest(path: str) -> tuple[str, int]:
    """(sha256 hex of the file's content, its size); OSError when it cannot be read."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def read_jsonl(path: str) -> list[dict]:
    """Captures (put()'s dicts) from annotate's JSON Lines: one row per conversation, or one
    row without a client (status `no conversations`, `empty`, `not a capture`...; rows of
    `missing` and `unreadable` paths have no content and are skipped). A capture is keyed by its sha256 column; rows
    without one (a live sensor's) by the hash of the capture's rows. StoreError names the
    file and line of anything that is not such a row."""
    caps: dict[tuple, dict] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise StoreError(f"{path}, line {n}: not JSON ({e.msg})") from None
                if not isinstance(row, dict) or not row.get("capture") or not row.get("status"):
                    raise StoreError(f"{path}, line {n}: not an annotate row (no capture or status)")
                if row["status"] in ("missing", "unreadable") and not row.get("sha256"):
                    continue  # annotate's row for a path it could not read: no content to store
                key = (row["capture"], row.get("sha256", ""))
                cap = caps.setdefault(key, {"path": row["capture"], "status": row["status"],
                                            "message": str(row.get("message", "")),
                                            "sha256": row.get("sha256", ""), "conversations": [], "hosts": None,
                                            "engine": row.get("engine", ""), "source": "import"})
                # A capture without conversations (no conversations, empty, not a
                # capture) has one row with no client.
                if row.get("client", "") or row["status"] in ("ok", "truncated") and "client" not in row:
                    cap["conversations"].append({k: str(v) for k, v in row.items()
                                                 if k not in ("capture", "status", "message", "sha256")})
    except OSError as e:
        raise StoreError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise StoreError(f"{path}: not UTF-8 text ({e.reason})") from None
    for cap in caps.values():
        if not cap["sha256"]:
            text = json.dumps([cap["path"], cap["conversations"]], sort_keys=True, ensure_ascii=False)
            cap["sha256"] = "rows-" + hashlib.sha256(text.encode()).hexdigest()
    return list(caps.values())


# --------------------------------------------------------------------------- the fleet's figures

# name -> (title, columns, query). One definition, read by the page and the CSV.
FLEET_TABLES = {
    "captures": ("Captures", ["site", "path", "status", "conversations", "hosts", "flags", "packets", "message",
                              "sha256", "worker"],
                 "SELECT site, path, status, conversations, hosts, flags, packets, message, sha256, worker "
                 "FROM captures ORDER BY site, path"),
    "roles": ("Hosts by role across captures", ["role", "address", "captures", "sites", "first_capture"],
              "SELECT r.role, r.address, COUNT(*), COUNT(DISTINCT c.site), MIN(c.path) "
              "FROM host_roles r JOIN captures c ON c.sha256 = r.capture "
              "GROUP BY r.role, r.address ORDER BY r.role, COUNT(*) DESC, r.address"),
    "flags": ("Flags by kind", ["flag", "conversations", "captures", "sites"],
              "SELECT f.flag, COUNT(*), COUNT(DISTINCT f.capture), COUNT(DISTINCT c.site) "
              "FROM flags f JOIN captures c ON c.sha256 = f.capture GROUP BY f.flag ORDER BY COUNT(*) DESC, f.flag"),
    "sites": ("Flags by folder (site)", ["site", "flag", "conversations", "captures"],
              "SELECT c.site, f.flag, COUNT(*), COUNT(DISTINCT f.capture) "
              "FROM flags f JOIN captures c ON c.sha256 = f.capture GROUP BY c.site, f.flag ORDER BY c.site, f.flag"),
    "worst": ("Worst conversations", ["path", "client", "server", "transport", "listener_port", "detected", "flags",
                                      "entry", "evidence", "packets", "flag_count"],
              "SELECT c.path, v.client, v.server, v.transport, v.listener_port, v.detected, v.flags, v.entry, "
              "v.evidence, v.packets, w.k FROM (SELECT capture, n, COUNT(*) AS k FROM flags GROUP BY capture, n) w "
              "JOIN conversations v ON v.capture = w.capture AND v.n = w.n JOIN captures c ON c.sha256 = w.capture "
              "ORDER BY w.k DESC, v.packets DESC, c.path, v.n LIMIT ?"),
}
WORST = 50


def fleet_data(store: Store, worst: int = WORST) -> dict[str, tuple[str, list[str], list[tuple]]]:
    """Every fleet table: name -> (title, columns, rows)."""
    out = {}
    for name, (title, cols, text) in FLEET_TABLES.items():
        rows = store.query(text, (worst,) if "LIMIT ?" in text else ())
        out[name] = (title, cols, [tuple("" if v is None else v for v in r) for r in rows])
    return out
