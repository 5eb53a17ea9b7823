#!/usr/bin/env bash
# Build ciscouc inside a Wireshark source tree, the route INSTALL.md gives for
# Windows (MSVC) and macOS, here on Linux, and compare its output with the
# out-of-tree plugin's (developer harness, by hand: it builds libwireshark).
#
#   qa/intree-build.sh WIRESHARK_SRC [WIRESHARK_BUILD]
#
# WIRESHARK_SRC is an unpacked Wireshark source tree (4.0 or later);
# WIRESHARK_BUILD defaults to WIRESHARK_SRC/../build-<folder name>. Steps:
#  1. WIRESHARK_SRC/plugins/epan/ciscouc becomes a symlink to this checkout's
#     plugins/ciscouc (the plugin build then finds the checkout, CISCOUC_SOURCE_DIR).
#  2. Configure with Ninja and -DCUSTOM_PLUGIN_SRC_DIR=plugins/epan/ciscouc,
#     without the Qt GUI and the programs not needed; build `tshark` and `ciscouc`.
#  3. WIRESHARK_BUILD/run/tshark -G plugins must list ciscouc.so from
#     WIRESHARK_BUILD/run/plugins/X.Y/epan.
#  4. The out-of-tree build (CISCOUC_BUILD, default build/) is built and
#     tests/test_versions.py dumps its output on every teaching capture (-z
#     ciscouc,conv, the two stats trees, every ciscouc field per frame) with the
#     installed tshark; then the same test runs with the in-tree tshark
#     (CISCOUC_TSHARK) and fails on any difference. The dumps are kept in
#     WIRESHARK_BUILD/ciscouc-compare/{native,intree}/.
# The Wireshark source tree should be the installed tshark's version, or the
# comparison also sees Wireshark's own differences between versions.
# Environment: NICE (default 15), JOBS (default 2), CISCOUC_BUILD, PYTHON3 (default
# /usr/bin/python3: Wireshark's Python, which also runs the ciscouc generator).
# Exit: 0 built, loaded, identical output; 1 a step failed; 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage >&2; exit 2; fi
WS_SRC=$(cd "$1" && pwd)
WS_BUILD=${2:-$(dirname "$WS_SRC")/build-$(basename "$WS_SRC")}
NICE=${NICE:-15}
JOBS=${JOBS:-2}
CISCOUC_BUILD=${CISCOUC_BUILD:-$ROOT/build}
PYTHON3=${PYTHON3:-/usr/bin/python3}
if [ ! -f "$WS_SRC/cmake/modules/WiresharkPlugin.cmake" ]; then
  echo "intree-build.sh: $WS_SRC/cmake/modules/WiresharkPlugin.cmake not found: not a Wireshark source tree" >&2
  exit 2
fi

# 1. The plugin folder, linked in.
LINK=$WS_SRC/plugins/epan/ciscouc
if [ -L "$LINK" ]; then
  if [ "$(readlink -f "$LINK")" != "$(readlink -f "$ROOT/plugins/ciscouc")" ]; then
    echo "intree-build.sh: $LINK links to $(readlink -f "$LINK"), not this checkout; remove it first" >&2
    exit 2
  fi
elif [ -e "$LINK" ]; then
  echo "intree-build.sh: $LINK exists and is not a symlink; remove it first" >&2
  exit 2
else
  ln -s "$ROOT/plugins/ciscouc" "$LINK"
fi

# 2. Configure and build. Options a version does not know are reported by
# CMake as unused and ignored (BUILD_logray is 4.0-4.2, BUILD_stratoshark 4.4+).
OFF=()
for p in wireshark logray stratoshark rawshark dumpcap text2pcap mergecap reordercap editcap \
         capinfos captype randpkt dftest dcerpcidl2wrs androiddump sshdump ciscodump dpauxmon \
         randpktdump wifidump sdjournal udpdump sharkd mmdbresolve; do
  OFF+=("-DBUILD_$p=OFF")
done
mkdir -p "$WS_BUILD"
LOG=$WS_BUILD/ciscouc-configure.log
# Wireshark's build finds Python 3 for its own scripts; the ciscouc generator runs
# with the same one. Pinned to PYTHON3 (default Debian's /usr/bin/python3).
nice -n "$NICE" cmake -G Ninja -S "$WS_SRC" -B "$WS_BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DPython3_EXECUTABLE="$PYTHON3" -DCUSTOM_PLUGIN_SRC_DIR=plugins/epan/ciscouc "${OFF[@]}" > "$LOG" 2>&1 || {
  tail -40 "$LOG" >&2; echo "intree-build.sh: configure failed ($LOG)" >&2; exit 1; }
grep 'ciscouc:' "$LOG" || true
start=$(date +%s)
nice -n "$NICE" ninja -C "$WS_BUILD" -j "$JOBS" tshark ciscouc
echo "intree-build.sh: tshark and ciscouc built in $(( $(date +%s) - start )) s"

# 3. Loaded from the build's own plugin folder. run/tshark as nobody (like the
# tests): from its run/ folder it reads run/plugins whoever runs it.
as_nobody=()
[ "$(id -u)" = 0 ] && as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
plugins=$("${as_nobody[@]}" env -i PATH=/usr/bin:/bin HOME=/tmp "$WS_BUILD/run/tshark" -G plugins)
line=$(grep '^ciscouc\.so' <<< "$plugins" || true)
echo "intree-build.sh: tshark -G plugins: ${line:-<no ciscouc>}"
case "$line" in
  *"$WS_BUILD/run/plugins/"*/epan/ciscouc.so*) ;;
  *) echo "intree-build.sh: the in-tree tshark did not load ciscouc from $WS_BUILD/run/plugins" >&2; exit 1 ;;
esac

# 4. The same output as the out-of-tree plugin on every teaching capture.
OUT=$WS_BUILD/ciscouc-compare
rm -rf "$OUT" && mkdir -p "$OUT"
nice -n "$NICE" cmake -S "$ROOT" -B "$CISCOUC_BUILD" > /dev/null
nice -n "$NICE" cmake --build "$CISCOUC_BUILD" -j "$JOBS"
echo "intree-build.sh: reference, out-of-tree plugin with $(tshark --version | head -1)"
CISCOUC_BUILD=$(cd "$CISCOUC_BUILD" && pwd) CISCOUC_VERSIONS_DUMP=$OUT/native \
  nice -n "$NICE" /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/test_versions.py
echo "intree-build.sh: in-tree plugin with $("$WS_BUILD/run/tshark" --version | head -1)"
CISCOUC_BUILD=$(cd "$CISCOUC_BUILD" && pwd) CISCOUC_TSHARK=$WS_BUILD/run/tshark \
  CISCOUC_VERSIONS_DUMP=$OUT/intree CISCOUC_VERSIONS_REFERENCE=$OUT/native \
  nice -n "$NICE" /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/test_versions.py
diff -r "$OUT/native" "$OUT/intree"
echo "intree-build.sh: identical output on $(ls "$OUT/native" | wc -l) teaching captures ($(find "$OUT/native" -type f | wc -l) files)"
