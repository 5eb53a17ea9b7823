"""Mutate real captures and dissect them with an ASan/UBSan build of the plugin.

    python3 -m qa.fuzz_captures                 every capture, 3 seeds each
    python3 -m qa.fuzz_captures --seeds 2 --max-files 6 --time-budget 60   (bounded, CI)

(from the repository root: the captures are found as tools/annotate.py finds
them, by tools/ucfacts.py).

1. Builds the plugin with -DCISCOUC_SANITIZE=ON into build-asan (gcc;
   AddressSanitizer + UndefinedBehaviorSanitizer, UB is fatal).
2. Takes the teaching captures (captures/*.pcap*) and the real third-party
   captures (../shared/captures, when present), and for each of `--seeds`
   seeds writes a mutant with `editcap -E <probability> --seed <seed>` (some
   seeds keep the first 54 bytes of every frame - Ethernet, IPv4, TCP - so the
   mutations land in the payloads the heuristics read).
3. Dissects each mutant twice with the stock tshark loading the sanitized
   plugin (the ASan runtime is LD_PRELOADed, since tshark itself is not
   instrumented): `tshark -2 -V` with default preferences, and `tshark -2
   -o ciscouc.rtp_decode:TRUE -T fields -e ciscouc.*` with the ciscouc taps
   (-z ciscouc,conv -z ciscouc,tree).
4. Reports crashes (death by a signal), any AddressSanitizer or
   UndefinedBehaviorSanitizer report, hangs, "Dissector bug" or malformed
   packets that name ciscouc, and ciscouc warnings. Each finding's mutant is
   kept under build-asan/fuzz-captures-findings/ with the command that
   reproduces it. Exit status 1 on any finding, 0 otherwise.

tshark is run as `nobody` when this runs as root (root tshark ignores
WIRESHARK_PLUGIN_DIR), reading the capture on stdin.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

if not __package__:  # run as a file, the repository root is not on the module path
    sys.exit("fuzz_captures: run it from the repository root: python3 -m qa.fuzz_captures [options]")
from tools import ucfacts  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "captures"))

# (error probability, bytes of each frame left untouched); cycled by seed.
VARIANTS = [(0.02, 54), (0.01, 0), (0.05, 54), (0.005, 0)]

FIELDS = ["frame.number", "ciscouc.summary", "ciscouc.listener_port", "ciscouc.direction", "ciscouc.detected",
          "ciscouc.entry", "ciscouc.flags", "ciscouc.heuristic", "ciscouc.ip_proto"]

SANITIZER_RE = re.compile(rb"ERROR: AddressSanitizer|AddressSanitizer:|runtime error:|UndefinedBehaviorSanitizer|"
                          rb"ERROR: LeakSanitizer")
BUG_RE = re.compile(rb"Dissector bug|Malformed Packet", re.I)
CISCOUC_RE = re.compile(rb"ciscouc", re.I)
WARNING_RE = re.compile(rb"(WARNING|CRITICAL|ERROR)\b.*ciscouc|ciscouc.*(warning|critical)", re.I)

# Keyword groups used to pick a diverse, UC-rich subset with --max-files.
PRIORITY = ["sccp", "skinny", "sip", "mgcp", "h323", "h225", "h245", "xmpp", "jabber", "rtp", "tls", "tftp",
            "hiqnet", "cdp", "ldap", "snmp", "http"]


@dataclasses.dataclass
class Finding:
    kind: str
    capture: str
    seed: int
    run: str
    detail: str
    kept: str = ""


def log(msg: str) -> None:
    print(msg, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def build(build_dir: str) -> str:
    """Configure and build the sanitized plugin; return the plugin folder (holds <ver>/epan/ciscouc.so)."""
    log(f"== building the ASan/UBSan plugin in {build_dir}")
    run(["cmake", "-S", ROOT, "-B", build_dir, "-DCISCOUC_SANITIZE=ON", "-DCISCOUC_TESTS=OFF"],
        stdout=subprocess.DEVNULL)
    run(["cmake", "--build", build_dir, "--target", "ciscouc", f"-j{os.cpu_count() or 2}"], stdout=subprocess.DEVNULL)
    plugins = os.path.join(build_dir, "plugins")
    sos = [os.path.join(d, f) for d, _, fs in os.walk(plugins) for f in fs if f == "ciscouc.so"]
    if not sos:
        sys.exit(f"fuzz_captures: no ciscouc.so under {plugins}")
    return plugins


def cache_value(build_dir: str, key: str) -> str:
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def sanitizer_runtimes(build_dir: str) -> list[str]:
    """The ASan and UBSan runtimes of the compiler that built the plugin (ASan first)."""
    cxx = cache_value(build_dir, "CMAKE_CXX_COMPILER") or "g++"
    if cache_value(build_dir, "CISCOUC_SANITIZE").upper() not in ("ON", "TRUE", "1", "YES"):
        sys.exit(f"fuzz_captures: {build_dir} is not configured with CISCOUC_SANITIZE=ON")
    libs = []
    for name in ("libasan.so", "libubsan.so"):
        path = subprocess.run([cxx, f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
        if not os.path.isabs(path) or not os.path.exists(path):
            sys.exit(f"fuzz_captures: {cxx} has no {name} (the plugin must be built with gcc; got {path!r})")
        libs.append(os.path.realpath(path))
    return libs


def find_captures(folder: str) -> list[str]:
    """Files named like captures, and files whose first bytes are a capture's (tel2.dump, rtp_example.raw.gz)."""
    return ucfacts.capture_files(folder, by_content=True)


def pick(files: list[str], n: int | None) -> list[str]:
    """Up to n files: round-robin over keyword groups, smallest first within a group."""
    if n is None or n >= len(files):
        return files
    groups: dict[str, list[str]] = {k: [] for k in PRIORITY + ["other"]}
    for f in sorted(files, key=lambda p: (os.path.getsize(p), p)):
        name = os.path.basename(f).lower()
        key = next((k for k in PRIORITY if k in name), "other")
        groups[key].append(f)
    out: list[str] = []
    while len(out) < n and any(groups.values()):
        for k in PRIORITY + ["other"]:
            if groups[k] and len(out) < n:
                out.append(groups[k].pop(0))
    return out


class Runner:
    def __init__(self, plugins: str, preload: list[str], workdir: str, findings_dir: str, timeout: float):
        self.workdir = workdir
        self.findings_dir = findings_dir
        self.timeout = timeout
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o777)
        # nobody may not traverse the build tree: a readable copy of the plugin folder.
        self.plugins = os.path.join(workdir, "plugins")
        shutil.copytree(plugins, self.plugins)
        for d, _, fs in os.walk(self.plugins):
            os.chmod(d, 0o755)
            for f in fs:
                os.chmod(os.path.join(d, f), 0o644)
        self.env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8", "HOME": self.home,
            "WIRESHARK_PLUGIN_DIR": self.plugins, "LD_PRELOAD": " ".join(preload),
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:halt_on_error=1",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        }
        self.lock = threading.Lock()
        self.findings: list[Finding] = []
        self.other_bugs = 0
        self.runs = 0
        self.labelled = 0

    def command(self, args: list[str]) -> list[str]:
        cmd = ["tshark", *args]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                   "env", *[f"{k}={v}" for k, v in self.env.items()], *cmd]
        else:
            cmd = ["env", *[f"{k}={v}" for k, v in self.env.items()], *cmd]
        return cmd

    def check_plugin_loads(self) -> None:
        """tshark -G protocols: the sanitized plugin loads and registers ciscouc."""
        p = subprocess.run(self.command(["-G", "protocols"]), capture_output=True, timeout=300,
                           stdin=subprocess.DEVNULL, env={"PATH": self.env["PATH"]})
        # name, short name, filter name (4.2+ add columns after it)
        if p.returncode != 0 or not any(line.split(b"\t")[2:3] == [b"ciscouc"] for line in p.stdout.splitlines()):
            sys.exit("fuzz_captures: the sanitized plugin does not load into tshark:\n" +
                     p.stderr.decode(errors="replace")[-3000:])

    def tshark(self, mutant: str, args: list[str], scan_stdout: bool) -> tuple[int | None, bytes, list[bytes], int]:
        """Run tshark on the mutant (on stdin). Returns (returncode or None on timeout, stderr,
        suspicious lines of -V output, frames with a ciscouc field in -T fields output)."""
        cmd = self.command(["-r", "/dev/stdin", *args])
        with open(mutant, "rb") as stdin, tempfile.TemporaryFile(dir=self.workdir) as err:
            p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=err, env={"PATH": self.env["PATH"]})
            suspicious: list[bytes] = []
            labelled = 0
            killed = threading.Event()

            def kill() -> None:
                killed.set()
                p.kill()
            timer = threading.Timer(self.timeout, kill)
            timer.start()
            try:
                assert p.stdout is not None
                for line in p.stdout:
                    if scan_stdout:
                        if BUG_RE.search(line) and len(suspicious) < 50:
                            suspicious.append(line.strip()[:400])
                    elif any(line.rstrip(b"\n").split(b"\t")[1:]):
                        labelled += 1
                rc = p.wait()
            finally:
                timer.cancel()
            timed_out = killed.is_set()
            err.seek(0)
            stderr = err.read()
        return (None if timed_out else rc), stderr, suspicious, labelled

    def keep(self, mutant: str, capture: str, seed: int, args: list[str]) -> str:
        os.makedirs(self.findings_dir, exist_ok=True)
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.basename(capture)) + f".seed{seed}.pcapng"
        dest = os.path.join(self.findings_dir, base)
        shutil.copyfile(mutant, dest)
        with open(dest + ".txt", "w") as f:
            f.write(f"capture: {capture}\nseed: {seed}\nreproduce (as root, with the same env as qa.fuzz_captures):\n"
                    f"  {' '.join(self.command(['-r', '/dev/stdin', *args]))} < {dest}\n")
        return dest

    def job(self, capture: str, seed: int) -> None:
        prob, offset = VARIANTS[seed % len(VARIANTS)]
        fd, mutant = tempfile.mkstemp(prefix="mutant-", suffix=".pcapng", dir=self.workdir)
        os.close(fd)
        try:
            cmd = ["editcap", "-E", str(prob), "--seed", str(seed)]
            if offset:
                cmd += ["-o", str(offset)]
            e = subprocess.run([*cmd, capture, mutant], capture_output=True, text=True)
            if e.returncode != 0 or os.path.getsize(mutant) == 0:
                log(f"   skip {capture}: editcap failed: {e.stderr.strip()[:200]}")
                return
            os.chmod(mutant, 0o644)  # tshark (nobody) reopens /dev/stdin by path
            runs = {
                "-V": (["-2", "-V"], True),
                # The other RTP path: recognised streams handed to Wireshark's RTP dissector.
                "fields": (["-2", "-o", "ciscouc.rtp_decode:TRUE", "-T", "fields", "-E", "occurrence=a",
                            *sum([["-e", f] for f in FIELDS], []), "-z", "ciscouc,conv", "-z", "ciscouc,tree"],
                           False),
            }
            for name, (args, scan) in runs.items():
                rc, stderr, suspicious, labelled = self.tshark(mutant, args, scan)
                found: list[tuple[str, str]] = []
                if rc is None:
                    found.append(("hang", f"no result after {self.timeout:.0f}s"))
                elif rc < 0:
                    found.append(("crash", f"killed by signal {-rc}"))
                elif rc != 0:
                    found.append(("error", f"tshark exit status {rc}: " +
                                  stderr[-1500:].decode(errors="replace").strip()))
                m = SANITIZER_RE.search(stderr)
                if m:
                    start = max(0, m.start() - 200)
                    found.append(("sanitizer", stderr[start:start + 2500].decode(errors="replace")))
                for line in stderr.splitlines():
                    if WARNING_RE.search(line):
                        found.append(("warning", line.decode(errors="replace")[:400]))
                        break
                other = 0
                for line in suspicious:
                    if CISCOUC_RE.search(line):
                        found.append(("dissector-bug", line.decode(errors="replace")))
                    elif b"Dissector bug" in line:
                        other += 1
                with self.lock:
                    self.runs += 1
                    self.labelled += labelled
                    self.other_bugs += other
                    for kind, detail in found:
                        kept = self.keep(mutant, capture, seed, args)
                        self.findings.append(Finding(kind, capture, seed, name, detail, kept))
                        log(f"!! {kind}: {capture} seed {seed} ({name}): {detail.splitlines()[0] if detail else ''}")
        finally:
            os.unlink(mutant)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--seeds", type=int, default=3, help="mutants per capture (default 3)")
    ap.add_argument("--first-seed", type=int, default=1, help="first editcap seed (default 1)")
    ap.add_argument("--max-files", type=int, default=None,
                    help="at most this many captures: teaching ones first, then a UC-rich spread of the shared ones")
    ap.add_argument("--time-budget", type=float, default=None,
                    help="stop starting new mutants after this many seconds (the build is not counted)")
    ap.add_argument("--workers", type=int, default=2, help="parallel mutants (default 2)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a tshark run counts as a hang")
    ap.add_argument("--build", default=os.path.join(ROOT, "build-asan"), help="sanitized build folder")
    ap.add_argument("--no-build", action="store_true", help="use the existing sanitized build as is")
    ap.add_argument("--captures", default=os.path.join(ROOT, "captures"), help="teaching captures folder")
    ap.add_argument("--shared", default=os.environ.get("CISCOUC_SHARED_CAPTURES", DEFAULT_SHARED),
                    help="real captures folder (skipped when absent)")
    ap.add_argument("--findings", default=None, help="where mutants with findings are kept "
                    "(default <build>/fuzz-captures-findings)")
    args = ap.parse_args()

    for tool in ("tshark", "editcap", "cmake"):
        if not shutil.which(tool):
            sys.exit(f"fuzz_captures: {tool} is not installed")
    build_dir = os.path.abspath(args.build)
    plugins = os.path.join(build_dir, "plugins") if args.no_build else build(build_dir)
    preload = sanitizer_runtimes(build_dir)

    teaching = find_captures(args.captures) if os.path.isdir(args.captures) else []
    if not teaching:
        log(f"-- no teaching captures in {args.captures} (yet): skipped")
    shared: list[str] = []
    if os.path.isdir(args.shared):
        shared = find_captures(args.shared)
    else:
        log(f"-- {args.shared} is absent: real captures skipped")
    files = teaching + shared
    if args.max_files is not None:
        files = teaching[:args.max_files] + pick(shared, max(0, args.max_files - len(teaching)))
    if args.max_files is not None:
        for f in files:
            log(f"   {os.path.relpath(f, os.path.dirname(ROOT))} ({os.path.getsize(f)} bytes)")
    if not files:
        log("fuzz_captures: no capture to mutate")
        return 0

    workdir = tempfile.mkdtemp(prefix="ciscouc-fuzzcap-")
    os.chmod(workdir, 0o755)
    timeout = args.timeout if args.time_budget is None else min(args.timeout, max(60.0, args.time_budget))
    findings_dir = args.findings or os.path.join(build_dir, "fuzz-captures-findings")
    runner = Runner(plugins, preload, workdir, findings_dir, timeout)
    try:
        runner.check_plugin_loads()
        jobs = [(f, s) for f in files for s in range(args.first_seed, args.first_seed + args.seeds)]
        log(f"== {len(files)} captures x {args.seeds} seeds = {len(jobs)} mutants, {args.workers} workers"
            + (f", budget {args.time_budget:.0f}s" if args.time_budget else ""))
        start = time.monotonic()
        done = skipped = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
            def guarded(f: str, s: int) -> bool:
                if args.time_budget is not None and time.monotonic() - start > args.time_budget:
                    return False
                runner.job(f, s)
                return True
            last = start
            for ok in pool.map(lambda j: guarded(*j), jobs):
                if ok:
                    done += 1
                else:
                    skipped += 1
                now = time.monotonic()
                if now - last >= 60:
                    last = now
                    log(f"   ... {done + skipped}/{len(jobs)} mutants, {now - start:.0f}s, "
                        f"{len(runner.findings)} findings")
        elapsed = time.monotonic() - start
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    log(f"== {done} mutants dissected ({runner.runs} tshark runs) in {elapsed:.0f}s"
        + (f"; {skipped} not started (time budget)" if skipped else ""))
    log(f"-- {runner.labelled} frames carried a ciscouc field (the sanitized plugin did run)")
    if runner.other_bugs:
        log(f"-- {runner.other_bugs} 'Dissector bug' lines that do not name ciscouc (stock dissectors on "
            "mutated bytes; not counted)")
    if runner.findings:
        log(f"FINDINGS: {len(runner.findings)}")
        for f in runner.findings:
            log(f"  [{f.kind}] {f.capture} seed {f.seed} ({f.run}) -> {f.kept}")
            for line in f.detail.splitlines()[:25]:
                log(f"      {line}")
        return 1
    log("no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
