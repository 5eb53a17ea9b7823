#!/usr/bin/env bash
# Build and test ciscouc against another Wireshark release in a throwaway
# Debian chroot (root only):
#   qa/wireshark-chroot.sh 4.4 [--full] [pytest args]   Debian trixie (Wireshark 4.4)
#   qa/wireshark-chroot.sh 4.6 [--full] [pytest args]   Debian sid (Wireshark 4.6)
#   qa/wireshark-chroot.sh 4.0 [--full] [pytest args]   Debian bookworm (Wireshark 4.0), as a chroot
#   qa/wireshark-chroot.sh 4.4 [--full] --make-chroot   only step 2, the chroot kept for the next run
# ./test.sh --wireshark 4.4 [--full] calls this. The pytest tier is versions
# (tests/conftest.py: the fast tier but its version-independent tests, and the
# corpus checks that differ between versions, such as stock parity); --full
# runs every test, and puts what the slow tests need (clang's libFuzzer,
# valgrind) into the chroot. .ci/run makes the chroots with --make-chroot in
# the background while the native suite runs. Steps:
#  1. The native reference: build here (CISCOUC_BUILD, default build/) and dump the
#     plugin's own output on every teaching capture (tests/test_versions.py) into
#     build-versions/native/.
#  2. The chroot: mmdebstrap of the Debian suite that ships that Wireshark, with
#     the packages below. A chroot left by an earlier run (CISCOUC_KEEP_CHROOT=1)
#     is reused only when its stamp (suite + packages) matches; otherwise it is made
#     anew. Making it needs the Debian mirror: when that fails, the script says so
#     and exits 75, before any test ran.
#  3. Inside, as the chroot's root: the working tree (git ls-files plus untracked,
#     non-ignored files; no build output) is built, ctest runs, the plugin is
#     installed into that Wireshark's global plugin folder, checked with
#     tshark -G plugins and uninstalled, then the pytest tier runs (tshark as
#     nobody, like natively) with the native dump as reference: tests/test_versions.py
#     fails when the plugin's output differs from native. ../shared (or
#     CISCOUC_SHARED) is bind-mounted read-only at the same relative place when
#     present; the tests that need it skip otherwise. The GUI test skips (no Qt).
#  4. /proc, /dev, /dev/pts and the shared folder are unmounted on every exit path,
#     the chroot's dump is copied to build-versions/<version>/ and the chroot is
#     removed (kept with CISCOUC_KEEP_CHROOT=1).
# Exit: 0 all passed; 1 a build step or test failed; 2 usage or host problem;
# 75 the chroot could not be made (network or Debian mirror).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() { echo "usage: $0 4.0|4.4|4.6 [--full] [--make-chroot] [pytest args]" >&2; exit 2; }
[ $# -ge 1 ] || usage
VERSION=$1; shift
TIER=versions MAKE_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --full) TIER=full; shift ;;
    --make-chroot) MAKE_ONLY=1; shift ;;
    *) break ;;
  esac
done
case "$VERSION" in
  4.0) SUITE=bookworm ;;
  4.4) SUITE=trixie ;;
  4.6) SUITE=sid ;;
  *) usage ;;
esac
say() { echo "wireshark-chroot[$VERSION]: $*"; }
die() { echo "wireshark-chroot[$VERSION]: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot and mounts)"
command -v git >/dev/null || die "needs git to list the working tree"
if ! command -v mmdebstrap >/dev/null; then
  say "installing mmdebstrap"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; } ||
    die "could not install mmdebstrap (apt-get install mmdebstrap)"
fi

# What the suite needs inside (setup.sh's list, plus make, python3, setpriv and
# nobody, the scanner (libpcap-dev), the report map and batch recipe (graphviz,
# parallel), the benchmark (time); with --full also what the slow robustness tests use: clang with the
# libFuzzer and sanitizer runtimes, valgrind).
PACKAGES=(tshark libwireshark-dev wireshark-dev cmake make g++ python3 python3-pytest python3-scapy libgtest-dev
          util-linux passwd libpcap-dev graphviz parallel time)
if [ "$TIER" = full ]; then PACKAGES+=(clang libclang-rt-dev valgrind); fi
APTOPTS=('Acquire::Check-Valid-Until "false"')   # sid's Release file can be expired
CHROOTS=${CISCOUC_CHROOT_DIR:-/var/tmp/ciscouc-chroot}
DIR=$CHROOTS/$SUITE
STAMP_FILE=$DIR/.ciscouc-chroot-stamp
STAMP="suite=$SUITE packages=$(IFS=,; echo "${PACKAGES[*]}") aptopts=${APTOPTS[*]}"
OUT=$ROOT/build-versions
NATIVE_BUILD=${CISCOUC_BUILD:-build}
SHARED=${CISCOUC_SHARED:-}
if [ -z "$SHARED" ]; then
  for s in "$ROOT/../shared" /work/shared; do [ -d "$s" ] && { SHARED=$(cd "$s" && pwd); break; }; done
fi
INNER=/ciscouc/src            # the tree inside the chroot; ../shared beside it
INNER_BUILD=$INNER/build
MOUNTS=()

unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null ||
      echo "wireshark-chroot[$VERSION]: could not unmount ${MOUNTS[$i]}" >&2
  done
  MOUNTS=()
  # Anything an interrupted earlier run left mounted below the chroot.
  if [ -d "$DIR" ]; then
    { findmnt -rn -o TARGET | grep -F "$DIR/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done; } || true
  fi
}
cleanup() {
  local rc=$?
  set +e   # every step of the teardown runs, whatever fails
  unmount_all
  if [ -d "$DIR$INNER/versions-out" ]; then
    rm -rf "${OUT:?}/$VERSION" && mkdir -p "$OUT" && cp -r "$DIR$INNER/versions-out" "$OUT/$VERSION" || true
  fi
  if [ "${CISCOUC_KEEP_CHROOT:-0}" = 1 ] || [ "$MAKE_ONLY" = 1 ]; then
    rm -rf "${DIR:?}/ciscouc"
    [ -d "$DIR" ] && say "kept the chroot $DIR for the next run"
  else
    remove_chroot || rc=2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

still_mounted() { [ -d "$DIR" ] && findmnt -rn -o TARGET | grep -qF "$DIR/"; }
remove_chroot() {  # never through a mount that is still there (/dev, ../shared)
  if still_mounted; then
    echo "wireshark-chroot[$VERSION]: not removing $DIR: something is still mounted below it" >&2
    return 1
  fi
  rm -rf --one-file-system "${DIR:?}"
}
mount_in() {  # mount_in <what> <where inside> [options...]
  local what=$1 where=$DIR$2; shift 2
  mkdir -p "$where"
  mount "$@" "$what" "$where"
  MOUNTS+=("$where")
}

# ---- 1. Native reference dump.
if [ "$MAKE_ONLY" = 0 ]; then
  say "native reference: building $NATIVE_BUILD and dumping the teaching captures"
  ./setup.sh --deps
  cmake -S . -B "$NATIVE_BUILD" >/dev/null
  cmake --build "$NATIVE_BUILD" -j"$(nproc)" >/dev/null
  rm -rf "$OUT/native"
  mkdir -p "$OUT"
  CISCOUC_BUILD="$(cd "$NATIVE_BUILD" && pwd)" CISCOUC_VERSIONS_DUMP="$OUT/native" \
    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/test_versions.py
fi

# ---- 2. The chroot.
unmount_all
if [ -d "$DIR" ] && [ "$(cat "$STAMP_FILE" 2>/dev/null)" = "$STAMP" ]; then
  say "reusing $DIR (same suite and packages)"
else
  remove_chroot || exit 2
  mkdir -p "$CHROOTS"
  say "making a $SUITE chroot in $DIR"
  start=$(date +%s)
  log=$CHROOTS/$SUITE.mmdebstrap.log
  aptopt=(); for o in "${APTOPTS[@]}"; do aptopt+=("--aptopt=$o"); done
  if ! mmdebstrap --variant=apt "${aptopt[@]}" --include="$(IFS=,; echo "${PACKAGES[*]}")" \
        "$SUITE" "$DIR" >"$log" 2>&1; then
    tail -n 15 "$log" >&2
    remove_chroot || true
    trap - EXIT; unmount_all
    if grep -qiE "Failed to fetch|Could not resolve|Temporary failure|Unable to connect|Connection (failed|timed out|refused)|Network is unreachable|Hash Sum mismatch|Release file .* (is expired|not valid)|does not have a Release file|Undetermined Error|40[34] +Not Found|5[0-9][0-9] " "$log"; then
      echo "wireshark-chroot[$VERSION]: NETWORK OR MIRROR FAILURE: could not make the $SUITE chroot from the" \
           "Debian mirror (log: $log); no test ran" >&2
      exit 75
    fi
    echo "wireshark-chroot[$VERSION]: could not make the $SUITE chroot (not a network error: log $log)" >&2
    exit 2
  fi
  echo "$STAMP" >"$STAMP_FILE"
  say "chroot made in $(( $(date +%s) - start ))s"
fi

[ "$MAKE_ONLY" = 0 ] || exit 0

# ---- 3. The tree, the mounts, the run.
rm -rf "${DIR:?}/ciscouc"
mkdir -p "$DIR$INNER"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar -c --null -T - -f - | tar -x -f - -C "$DIR$INNER"
cp -r "$OUT/native" "$DIR$INNER/versions-reference"
mount_in proc /proc -t proc
mount_in /dev /dev --bind
mount_in /dev/pts /dev/pts --bind
if [ -n "$SHARED" ]; then
  mount_in "$SHARED" /ciscouc/shared --bind
  mount -o remount,bind,ro "$DIR/ciscouc/shared"
  say "../shared: $SHARED (read-only)"
else
  say "no ../shared: the tests that need it skip"
fi
cp /etc/resolv.conf "$DIR/etc/resolv.conf" 2>/dev/null || true

say "building and testing in the chroot"
set +e
chroot "$DIR" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 TERM=dumb \
  INNER="$INNER" BUILD="$INNER_BUILD" WANT="$VERSION" TIER="$TIER" /bin/bash -euo pipefail -c '
  cd "$INNER"
  getent passwd nobody >/dev/null && getent group nogroup >/dev/null ||
    { echo "the chroot has no nobody/nogroup for the unprivileged tshark" >&2; exit 1; }
  have=$(sed -n "s/^#define WIRESHARK_VERSION_\(MAJOR\|MINOR\) \([0-9]*\)$/\2/p" /usr/include/wireshark/ws_version.h | paste -sd.)
  [ "$have" = "$WANT" ] || { echo "the chroot has Wireshark $have, not $WANT" >&2; exit 1; }
  echo "== $(tshark --version | head -n 1)"
  cmake -S . -B "$BUILD" >/dev/null
  cmake --build "$BUILD" -j"$(nproc)"
  (cd "$BUILD" && ctest --output-on-failure)
  echo "== install into the global plugin folder, check it loads, uninstall"
  cmake --install "$BUILD"
  tshark -G plugins | grep -P "^ciscouc\.so\s.*\tdissector\t/usr/lib/.*/wireshark/plugins/$WANT/epan/ciscouc\.so$"
  cmake --build "$BUILD" --target uninstall
  if tshark -G plugins | grep -q ciscouc; then echo "ciscouc is still loaded after uninstall" >&2; exit 1; fi
  echo "== pytest, tier $TIER"
  CISCOUC_BUILD="$BUILD" CISCOUC_VERSIONS_DUMP="$INNER/versions-out" \
    CISCOUC_VERSIONS_REFERENCE="$INNER/versions-reference" \
    /usr/bin/python3 -m pytest -p no:cacheprovider -q -rs tests --tier "$TIER" "$@"
' wireshark-chroot "$@"
rc=$?
set -e
if [ $rc -eq 0 ]; then
  say "PASSED on Wireshark $VERSION ($SUITE)"
else
  say "FAILED on Wireshark $VERSION ($SUITE): exit $rc"
  rc=1
fi
exit $rc
