"""Shared pytest fixtures: a hermetic tshark that loads the plugin from the build tree.

tshark run as root ignores WIRESHARK_PLUGIN_DIR and personal plugins, so when
the tests run as root (CI does), tshark is run as `nobody` through setpriv,
with WIRESHARK_PLUGIN_DIR pointing at <build>/plugins (which holds 4.0/epan/).
Every run has TZ=UTC, LC_ALL=C.UTF-8 and a fresh HOME, like Wireshark's own
test suite.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import tomllib
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("CISCOUC_BUILD", os.path.join(ROOT, "build"))
# The tshark to run: the installed one, or CISCOUC_TSHARK=<path> (a tshark built
# in a Wireshark source tree, qa/intree-build.sh; from its run/ folder it loads
# its own run/plugins and ignores WIRESHARK_PLUGIN_DIR).
TSHARK = os.environ.get("CISCOUC_TSHARK", "tshark")
SHARED_CAPTURES = os.environ.get("CISCOUC_SHARED_CAPTURES",
                                 os.path.normpath(os.path.join(ROOT, "..", "shared", "captures")))


def pytest_addoption(parser):
    parser.addoption("--update-baselines", action="store_true", default=False,
                     help="rewrite tests/baseline/ from the current build instead of comparing (test_baseline.py)")
    parser.addoption("--tier", choices=sorted(TIERS), default="full",
                     help="which tests run: " + "; ".join(f"{k}: {v[1]}" for k, v in sorted(TIERS.items())))



def flag_names() -> list[str]:
    """The plugin's flags, in their enum order (catalog/vocabulary.toml [flags.NAME])."""
    with open(os.path.join(ROOT, "catalog", "vocabulary.toml"), "rb") as f:
        return list(tomllib.load(f)["flags"])


FLAG_NAMES = flag_names()


# ---- Tiers. A test's markers say which tiers leave it out; a test without
# one runs in every tier, so one that forgets its marker still runs in full.
MARKERS = {
    "slow": "builds or runs for tens of seconds (fuzzers, sanitizers, valgrind); deselect with -m 'not slow'",
    "corpus": "reads ../shared/captures beyond the fast tier's sample (tests/corpus.py SAMPLE); "
              "deselect with -m 'not corpus'",
    "versions": "a corpus test that checks what differs between Wireshark versions (stock parity): "
                "the chroots (./test.sh --wireshark) run it",
    "native": "version-independent (the catalog, the Python tools, the benchmark, the GUI): "
              "the chroots (./test.sh --wireshark) leave it out",
}
# --tier NAME: (the tests it deselects, what it is). ./test.sh runs fast,
# ./test.sh --wireshark versions, ./test.sh --full (and plain pytest) full.
TIERS = {
    "fast": (lambda m: "slow" in m or "corpus" in m,
             "units, teaching captures, golden baselines and a fixed sample of ../shared/captures"),
    "versions": (lambda m: "slow" in m or "native" in m or ("corpus" in m and "versions" not in m),
                 "fast but the version-independent tests (native), and the corpus tests marked versions"),
    "full": (lambda m: False, "every test"),
}


def pytest_configure(config):
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_collection_modifyitems(config, items):
    """Deselect what the tier leaves out; run the tests that read the session's
    tshark runs (corpus_runs) last, so the runs, started in the background at
    the start (pytest_collection_finish), are done by the time they are read."""
    leaves_out = TIERS[config.getoption("--tier")][0]
    keep, drop = [], []
    for item in items:
        (drop if leaves_out({m.name for m in item.iter_markers()}) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = sorted(keep, key=lambda item: "corpus_runs" in getattr(item, "fixturenames", ()))


def pytest_collection_finish(session):
    """Start tshark over the captures the selected tests read (a module's
    corpus_jobs(item): (fixture name, capture, arguments, plugin) tuples), in
    the background, biggest capture first, while the other tests run."""
    if session.config.getoption("--collect-only") or not os.path.isdir(plugin_dir()):
        return
    jobs = {}
    for item in session.items:
        f = getattr(item.module, "corpus_jobs", None)
        for name, capture, args, plugin in (f(item) if f else []):
            jobs.setdefault((name, capture, tuple(args), plugin), os.path.getsize(capture))
    if jobs:
        runs = session_runs()
        for (name, capture, args, plugin), _ in sorted(jobs.items(), key=lambda kv: -kv[1]):
            runs.submit(session_tshark(name), capture, list(args), plugin)


def pytest_sessionfinish(session):
    if _SESSION.get("runs"):
        _SESSION["runs"].close()
    if _SESSION.get("workdir"):
        shutil.rmtree(_SESSION["workdir"], ignore_errors=True)


# Fields that later Wireshark releases renamed: the name the tests use (4.0's)
# -> the later name. Tshark.field_name() picks the one this tshark registers.
# (4.4 and 4.6 register the dissector-bug marker as a protocol of its own; like
# the 4.0 field it is non-empty in -T fields exactly where a bug was caught.)
RENAMED_FIELDS = {"_ws.malformed.dissector_bug": "_ws.dissector_bug"}


TEACHING_CAPTURES = os.path.join(ROOT, "captures")


def plugin_dir() -> str:
    return os.path.join(BUILD, "plugins")


class Tshark:
    """Runs tshark with the ciscouc plugin from the build tree."""

    def __init__(self, workdir: str, claims: str | None = None):
        # claims: the ciscouc.claims preference for every run, unless the
        # run's own arguments set it. The `tshark` fixture runs port mode (every
        # documented use, as a port table): the catalog and flag-rule suites
        # assert what the port documents. `tshark_evidence` runs the default.
        self.claims = claims
        self.workdir = workdir
        self._field_types: dict[str, str] | None = None
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o777)
        self.plugins = plugin_dir()
        if os.geteuid() == 0:
            # nobody may not be able to traverse the build tree (a clone under
            # /root): give it a readable copy of the plugin folder.
            self.plugins = os.path.join(workdir, "plugins")
            shutil.rmtree(self.plugins, ignore_errors=True)
            shutil.copytree(plugin_dir(), self.plugins)
            for d, dirs, files in os.walk(self.plugins):
                os.chmod(d, 0o755)
                for f in files:
                    os.chmod(os.path.join(d, f), 0o644)

    def arguments(self, args: list[str], plugin: bool = True) -> list[str]:
        """args with the instance's ciscouc.claims, unless they set it."""
        args = list(args)
        if plugin and self.claims and not any("ciscouc.claims" in a for a in args):
            args += ["-o", f"ciscouc.claims:{self.claims}"]
        return args

    def command(self, args: list[str], plugin: bool = True) -> tuple[list[str], dict]:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8", "HOME": self.home}
        if plugin:
            env["WIRESHARK_PLUGIN_DIR"] = self.plugins
        else:
            env["WIRESHARK_PLUGIN_DIR"] = os.path.join(self.workdir, "no-plugins")
        cmd = [TSHARK, *args]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                   "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
        return cmd, env

    def run(self, args: list[str], plugin: bool = True, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
        args = self.arguments(args, plugin)
        stdin = None
        if "-r" in args:
            # The capture is opened here and read by tshark as /dev/stdin, so
            # the unprivileged tshark needs no access to the folder holding it
            # (a regular file on stdin stays seekable, which -2 needs).
            i = args.index("-r") + 1
            stdin = open(args[i], "rb")
            args[i] = "/dev/stdin"
        cmd, env = self.command(args, plugin)
        try:
            p = subprocess.run(cmd, env=env, stdin=stdin, capture_output=True, text=True, timeout=timeout)
        finally:
            if stdin:
                stdin.close()
        if check and p.returncode != 0:
            raise AssertionError(f"tshark failed ({p.returncode}): {' '.join(args)}\n{p.stderr[-3000:]}")
        return p

    def fields(self, pcap: str, fields: list[str], extra: list[str] | None = None,
               two_pass: bool = True, details: str | None = "full") -> list[dict[str, str]]:
        """One dict per packet: field -> value (all occurrences joined with '|').

        details: the ciscouc.details preference. "full" (the default here) lists
        every documented use on every packet, which per-packet assertions need;
        None keeps the plugin's own default (conversation: uses on the frames
        that decided the label, ciscouc.uses_frame elsewhere)."""
        args = ["-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                "-E", "aggregator=|", "-E", "quote=n"]
        if two_pass:
            args.append("-2")
        if details:
            args += ["-o", f"ciscouc.details:{details}"]
        for f in fields:
            args += ["-e", self.field_name(f)]
        args += extra or []
        return self.rows(self.run(args).stdout, fields)

    def info_column(self, pcap: str, extra: list[str] | None = None, two_pass: bool = True) -> list[str]:
        """The Info column of each packet as the packet list shows it. From
        Wireshark 4.2 on, -T fields -e _ws.col.info misses what a postdissector
        appends to the column, so the column is read from the summary lines."""
        args = ["-r", pcap, "-o", 'gui.column.format:"Info","%i"', *(["-2"] if two_pass else []), *(extra or [])]
        return [line.strip() for line in self.run(args).stdout.splitlines()]

    def tree_fields(self, pcap: str, fields: list[str], extra: list[str] | None = None,
                    two_pass: bool = True, details: str | None = "full") -> list[dict[str, str]]:
        """fields() as read from the visible packet tree (-T pdml): what -V and
        the details pane show. From Wireshark 4.2 on, -T fields builds only
        the -e fields, not a visible tree, so behaviour that depends on a
        visible tree (the default details) is read this way on every version."""
        args = ["-r", pcap, "-T", "pdml"]
        if two_pass:
            args.append("-2")
        if details:
            args += ["-o", f"ciscouc.details:{details}"]
        args += extra or []
        want = {self.field_name(f): f for f in fields}
        rows = []
        for packet in ET.fromstring(self.run(args).stdout).iter("packet"):
            found: dict[str, list[str]] = {f: [] for f in fields}
            for el in packet.iter("field"):
                f = want.get(el.get("name", ""))
                if f is not None:
                    found[f].append(el.get("show", ""))
            rows.append({f: "|".join(v) for f, v in found.items()})
        return self.normalise(rows, fields)

    def field_types(self) -> dict[str, str]:
        """Every registered field and protocol (tshark -G fields) -> its type
        (FT_..., FT_PROTOCOL for a protocol)."""
        if self._field_types is None:
            out = self.run(["-G", "fields"]).stdout
            types = {}
            for c in (line.split("\t") for line in out.splitlines()):
                if len(c) > 3 and c[0] == "F":
                    types[c[2]] = c[3]
                elif len(c) > 2 and c[0] == "P":
                    types[c[2]] = "FT_PROTOCOL"
            self._field_types = types
        return self._field_types

    def field_name(self, name: str) -> str:
        """This tshark's name for a field the tests name as Wireshark 4.0 does."""
        new = RENAMED_FIELDS.get(name)
        types = self.field_types()
        return new if new and name not in types and new in types else name

    def rows(self, out: str, fields: list[str]) -> list[dict[str, str]]:
        """parse_fields with tshark's own formatting normalised to 4.0's."""
        return self.normalise(parse_fields(out, fields), fields)

    def normalise(self, rows: list[dict[str, str]], fields: list[str]) -> list[dict[str, str]]:
        """tshark prints FT_BOOLEAN values (-T fields, PDML show) as 1/0 up to
        4.0 and as True/False from 4.2 on: normalised to 4.0's, in place."""
        types = self.field_types()
        booleans = [f for f in fields if types.get(self.field_name(f)) == "FT_BOOLEAN"]
        for r in rows:
            for f in booleans:
                r[f] = "|".join({"True": "1", "False": "0"}.get(v, v) for v in r[f].split("|"))
        return rows


def parse_fields(out: str, fields: list[str]) -> list[dict[str, str]]:
    """tshark -T fields output (tab-separated) as one dict per packet."""
    rows = []
    for line in out.splitlines():
        cells = line.split("\t")
        cells += [""] * (len(fields) - len(cells))
        rows.append(dict(zip(fields, cells)))
    return rows


def readable_tmpdir(prefix: str) -> str:
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


# ---- The session's working folder, tshark instances and tshark runs: made on
# first use (by a fixture, or by pytest_collection_finish to start the runs
# early), removed at the end of the session.
_SESSION: dict = {}
_SESSION_LOCK = threading.Lock()
# Fixture name -> the ciscouc.claims its tshark runs with.
TSHARK_CLAIMS = {"tshark": "port", "tshark_evidence": None}


def session_workdir() -> str:
    with _SESSION_LOCK:
        if "workdir" not in _SESSION:
            _SESSION["workdir"] = readable_tmpdir("ciscouc-tests-")
        return _SESSION["workdir"]


def session_tshark(name: str) -> Tshark:
    """The session's Tshark of a fixture name of TSHARK_CLAIMS."""
    workdir = session_workdir()
    with _SESSION_LOCK:
        if name not in _SESSION:
            _SESSION[name] = Tshark(workdir, claims=TSHARK_CLAIMS[name])
        return _SESSION[name]


def session_runs():
    import corpus
    with _SESSION_LOCK:
        if "runs" not in _SESSION:
            _SESSION["runs"] = corpus.Runs()
        return _SESSION["runs"]


@pytest.fixture(scope="session")
def workdir():
    return session_workdir()


def _built_tshark(name: str) -> Tshark:
    so = os.path.join(plugin_dir())
    if not os.path.isdir(so):
        pytest.fail(f"the plugin is not built: {so} is missing (run ./test.sh, or set CISCOUC_BUILD)")
    return session_tshark(name)


@pytest.fixture(scope="session")
def tshark(workdir):
    return _built_tshark("tshark")


@pytest.fixture(scope="session")
def tshark_evidence(workdir):
    """tshark with the plugin's default preferences: purposes shown only on evidence."""
    return _built_tshark("tshark_evidence")


@pytest.fixture(scope="session")
def corpus_runs():
    """tshark's output over the captures, each (capture, arguments, plugin) run once (tests/corpus.py)."""
    return session_runs()


@pytest.fixture(scope="session")
def shared_captures():
    if not os.path.isdir(SHARED_CAPTURES):
        pytest.skip(f"../shared/captures is absent ({SHARED_CAPTURES}): real-capture tests skipped")
    return SHARED_CAPTURES
