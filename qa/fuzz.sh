#!/usr/bin/env bash
# Build the libFuzzer targets of the ciscouc core (qa/fuzz/) with clang and run
# each for a while; exit 1 if any target crashes, leaks or breaks an invariant.
#
#   qa/fuzz.sh                      every target, 30 s each
#   qa/fuzz.sh --seconds 600        longer
#   qa/fuzz.sh --target fuzz_rtp --seconds 3600 -- -jobs=2 -workers=2
#                                      one target, an hour, two processes;
#                                      anything after -- goes to libFuzzer
#
# Longer campaigns: pass a bigger --seconds, or run a target by hand:
#   build-fuzz/fuzz/fuzz_classify -max_total_time=86400 build-fuzz/corpus/fuzz_classify qa/fuzz/corpus/fuzz_classify
# The working corpus grows in build-fuzz/corpus/<target> (kept between runs);
# crashing inputs are written to build-fuzz/artifacts/<target>/. Reproduce one
# with: build-fuzz/fuzz/<target> build-fuzz/artifacts/<target>/crash-...
# Interesting new seeds can be copied into qa/fuzz/corpus/<target>/ (keep them tiny).
#
# Environment: CXX (default clang++), CISCOUC_FUZZ_BUILD (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_EACH=30
TARGETS=(fuzz_signatures fuzz_rtp fuzz_classify)
SELECTED=()
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --seconds=*) SECONDS_EACH=${1#*=}; shift ;;
    --target) SELECTED+=("$2"); shift 2 ;;
    --target=*) SELECTED+=("${1#*=}"); shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#SELECTED[@]} -gt 0 ] && TARGETS=("${SELECTED[@]}")
case "$SECONDS_EACH" in ''|*[!0-9]*) echo "fuzz.sh: --seconds needs a whole number" >&2; exit 2 ;; esac

CXX=${CXX:-clang++}
BUILD=${CISCOUC_FUZZ_BUILD:-build-fuzz}
if ! command -v "$CXX" >/dev/null; then
  echo "fuzz.sh: $CXX not found (install clang: apt-get install clang)" >&2
  exit 2
fi

echo "== building fuzzers in $BUILD with $CXX"
cmake -S . -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCISCOUC_FUZZ=ON -DCISCOUC_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target fuzzers -j"$(nproc)"

status=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/fuzz/$t"
  seeds="$ROOT/qa/fuzz/corpus/$t"
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  if [ ! -x "$bin" ]; then echo "fuzz.sh: no fuzz target $t" >&2; exit 2; fi
  mkdir -p "$work" "$art"
  log="$BUILD/$t.log"
  echo "== $t: ${SECONDS_EACH}s (log $log)"
  set +e
  # -rss_limit_mb: ASan's quarantine and shadow memory count towards RSS.
  "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=4096 \
         -artifact_prefix="$art/" ${EXTRA[@]+"${EXTRA[@]}"} "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  if [ $rc -ne 0 ]; then
    status=1
    echo "   FAILED (exit $rc): $(ls -t "$art" 2>/dev/null | head -3 | tr '\n' ' ')"
    grep -E 'ERROR: |invariant failed|runtime error|SUMMARY: ' "$log" | head -10 | sed 's/^/   /'
  else
    echo "   ok: ${runs:-?} runs, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) inputs"
  fi
done
if [ $status -ne 0 ]; then
  echo "fuzz.sh: crash found; artifacts under $BUILD/artifacts/" >&2
fi
exit $status
