"""Robustness: bounded runs of the fuzzers, the sanitizers and valgrind.

The full tools run as long as you like (qa/fuzz.sh --seconds N,
python3 -m qa.fuzz_captures, python3 -m qa.valgrind_check); here each is bounded so the
file stays within a few minutes on two cores:

(a) the libFuzzer targets of the core (qa/fuzz/), 10 s each, when clang++ with
    libFuzzer is installed;
(b) mutated captures (editcap -E) through tshark with the plugin built with
    AddressSanitizer + UndefinedBehaviorSanitizer: 2 seeds over 8 captures,
    at most 60 s of dissection, and zero findings;
(c) valgrind memcheck over one small capture: no invalid read or write, no
    definitely lost block and no uninitialised value in ciscouc.so; and the
    plugin's memory overhead grows at most linearly with the capture.

The fuzz and sanitizer builds go next to the normal build (<build>-fuzz,
<build>-asan), so they are incremental between runs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

import conftest
from tools import ucfacts

ROOT = conftest.ROOT
BUILD = os.path.abspath(conftest.BUILD)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _run(cmd: list[str], timeout: float, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, **(env or {})})
    elapsed = time.monotonic() - start
    print(f"{' '.join(cmd)}: exit {p.returncode} in {elapsed:.0f}s\n{p.stdout[-4000:]}")
    return p, elapsed


def _libfuzzer_available() -> str | None:
    """None when clang++ can build a libFuzzer target, else why not."""
    cxx = shutil.which("clang++")
    if not cxx:
        return "clang++ is not installed (apt-get install clang)"
    d = tempfile.mkdtemp(prefix="ciscouc-libfuzzer-probe-")
    try:
        src = os.path.join(d, "probe.cpp")
        with open(src, "w") as f:
            f.write('#include <cstdint>\n#include <cstddef>\nextern "C" int LLVMFuzzerTestOneInput'
                    '(const uint8_t *, size_t) { return 0; }\n')
        p = subprocess.run([cxx, "-fsanitize=fuzzer,address,undefined", src, "-o", os.path.join(d, "probe")],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            return f"clang++ cannot link a libFuzzer target: {p.stderr.strip()[-300:]}"
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return None


@pytest.mark.slow
def test_core_fuzzers_bounded():
    why = _libfuzzer_available()
    if why:
        pytest.skip(f"libFuzzer fuzzers skipped: {why}")
    p, elapsed = _run(["bash", os.path.join(ROOT, "qa", "fuzz.sh"), "--seconds", "10"], timeout=600,
                      env={"CISCOUC_FUZZ_BUILD": BUILD + "-fuzz"})
    assert p.returncode == 0, f"a fuzz target failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    for target in ("fuzz_signatures", "fuzz_rtp", "fuzz_classify"):
        assert f"== {target}:" in p.stdout
    assert p.stdout.count("   ok: ") == 3, p.stdout


def _has_captures() -> bool:
    teaching = os.path.join(ROOT, "captures")
    if os.path.isdir(teaching) and ucfacts.capture_files(teaching):
        return True
    return os.path.isdir(conftest.SHARED_CAPTURES)


@pytest.mark.slow
def test_asan_capture_fuzz_bounded():
    for tool in ("gcc", "editcap", "tshark"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    if not _has_captures():
        pytest.skip("no teaching captures (captures/) and no ../shared/captures: nothing to mutate")
    p, elapsed = _run([PYTHON, "-m", "qa.fuzz_captures", "--seeds", "2", "--max-files", "8",
                       "--time-budget", "60", "--timeout", "120", "--build", BUILD + "-asan"], timeout=900)
    assert p.returncode == 0, f"findings in mutated captures:\n{p.stdout[-6000:]}\n{p.stderr[-3000:]}"
    assert "no findings" in p.stdout
    # The sanitized plugin really labelled something (it loaded and ran).
    assert " 0 frames carried a ciscouc field" not in p.stdout, p.stdout


@pytest.mark.slow
def test_valgrind_memcheck_small_capture():
    if not shutil.which("valgrind"):
        pytest.skip("valgrind is not installed")
    p, elapsed = _run([PYTHON, "-m", "qa.valgrind_check", "--build", BUILD,
                       "--skip-growth"], timeout=900)
    assert p.returncode == 0, f"valgrind findings in ciscouc.so:\n{p.stdout[-6000:]}\n{p.stderr[-3000:]}"
    assert "errors in ciscouc.so: 0" in p.stdout, p.stdout


@pytest.mark.slow
def test_memory_overhead_grows_at_most_linearly():
    p, elapsed = _run([PYTHON, "-m", "qa.valgrind_check", "--build", BUILD,
                       "--skip-memcheck", "--conversations", "3000"], timeout=600)
    assert p.returncode == 0, f"plugin memory grows faster than linearly:\n{p.stdout[-4000:]}\n{p.stderr[-2000:]}"
