#!/usr/bin/env bash
# Build everything and run every test: catalog validation and C++ unit tests
# (ctest), then the tshark-driven suite (pytest). Idempotent; root or user.
#   ./test.sh [pytest args]                   against the installed Wireshark
#   ./test.sh --wireshark 4.4|4.6 [pytest args]   in a throwaway Debian chroot with
#                                             that Wireshark (root; qa/wireshark-chroot.sh)
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--wireshark" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 --wireshark 4.0|4.4|4.6 [pytest args]" >&2; exit 2; }
  shift
  exec qa/wireshark-chroot.sh "$@"
fi
BUILD=${CISCOUC_BUILD:-build}
./setup.sh --deps --gui || ./setup.sh --deps   # the GUI test skips without its packages
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
(cd "$BUILD" && ctest --output-on-failure)
CISCOUC_BUILD="$(cd "$BUILD" && pwd)" exec /usr/bin/python3 -m pytest -p no:cacheprovider -q -rs tests "$@"
