#!/usr/bin/env bash
# Build everything and run the tests: catalog validation and C++ unit tests
# (ctest), then the tshark-driven suite (pytest). Idempotent; root or user.
#   ./test.sh [pytest args]                the fast tier (at most 5 minutes on 2 cores): units,
#                                          teaching captures, golden baselines and a fixed
#                                          sample of ../shared/captures
#   ./test.sh --full [pytest args]         every test (what .ci/run runs natively)
#   ./test.sh --wireshark 4.4|4.6 [--full] [pytest args]
#                                          in a throwaway Debian chroot with that Wireshark
#                                          (root; qa/wireshark-chroot.sh): the versions tier,
#                                          the fast tier and the checks that differ between
#                                          versions over the whole corpus (stock parity)
# The tiers are pytest's --tier fast|versions|full (tests/conftest.py); plain
# pytest runs every test.
set -euo pipefail
cd "$(dirname "$0")"
tier=fast version=
while [ $# -gt 0 ]; do
  case "$1" in
    --full) tier=full; shift ;;
    --wireshark)
      [ $# -ge 2 ] || { echo "usage: $0 [--wireshark 4.0|4.4|4.6] [--full] [pytest args]" >&2; exit 2; }
      version=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ -n "$version" ]; then   # the chroot's tier: versions, or full
  if [ "$tier" = full ]; then exec qa/wireshark-chroot.sh "$version" --full "$@"; fi
  exec qa/wireshark-chroot.sh "$version" "$@"
fi
BUILD=${CISCOUC_BUILD:-build}
./setup.sh --deps --gui || ./setup.sh --deps   # the GUI test skips without its packages
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
(cd "$BUILD" && ctest --output-on-failure)
CISCOUC_BUILD="$(cd "$BUILD" && pwd)" exec /usr/bin/python3 -m pytest -p no:cacheprovider -q -rs tests --tier "$tier" "$@"
