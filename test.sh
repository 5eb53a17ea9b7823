#!/usr/bin/env bash
# Build everything and run every test: catalog validation and C++ unit tests
# (ctest), then the tshark-driven suite (pytest). Idempotent; root or user.
set -euo pipefail
cd "$(dirname "$0")"
BUILD=${CISCOUC_BUILD:-build}
./setup.sh --deps --gui || ./setup.sh --deps   # the GUI test skips without its packages
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
(cd "$BUILD" && ctest --output-on-failure)
CISCOUC_BUILD="$(cd "$BUILD" && pwd)" exec /usr/bin/python3 -m pytest -p no:cacheprovider -q -rs tests "$@"
