#!/usr/bin/env bash
# ciscouc quick start: install what is missing, build, install the plugin,
# then annotate a bundled teaching capture with each conversation's purpose.
#   ./setup.sh            everything
#   ./setup.sh --deps     only check/install the Debian packages
#   ./setup.sh --deps --gui   also the packages of the GUI screenshot test
# Idempotent; works as root (system-wide plugin) and as a user (personal plugin).
set -euo pipefail
cd "$(dirname "$0")"
BUILD=${CISCOUC_BUILD:-build}
# graphviz: the report's map; parallel: the batch scale-out recipe; libpcap-dev:
# the native scanner (scanner/); time and libndpi-bin: its benchmark (bench/run.py);
# python3-capirca, nftables, iproute2: the firewall plan (tools/plan: aclgen, nft, ip netns);
# python3-psycopg2 and postgresql: the results store on PostgreSQL and its tests;
# python3-distributed: annotate --dask (docs/batch.md); tcpreplay: the live sensor's tests and soak
# (replays into a veth pair in a network namespace, iproute2).
PACKAGES=(tshark libwireshark-dev wireshark-dev python3-pytest python3-scapy cmake g++ libgtest-dev graphviz parallel
          libpcap-dev time libndpi-bin python3-capirca nftables iproute2 python3-psycopg2 postgresql python3-distributed
          tcpreplay)
# The GUI checks: Wireshark's Qt GUI under a virtual X server, a screenshot and OCR;
# the report pages in headless Chromium.
GUI_PACKAGES=(wireshark-qt xvfb xauth xdotool imagemagick tesseract-ocr chromium)
for a in "$@"; do [ "$a" = "--gui" ] && PACKAGES+=("${GUI_PACKAGES[@]}"); done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "setup: installing ${missing[*]} with sudo"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
[ "${1:-}" = "--deps" ] && exit 0
# Both scripts may run as root and as a user, so the profile and plugin are
# installed for whoever runs this.

# Builds for the installed Wireshark (4.0 to 4.6) and installs into its version's plugin folder.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo | sed -n 's/^-- ciscouc: /setup: /p'
cmake --build "$BUILD" -j"$(nproc)"
cmake --install "$BUILD"
/usr/bin/python3 -m captures.make_captures --out captures --check >/dev/null 2>&1 || /usr/bin/python3 -m captures.make_captures --out captures
/usr/bin/python3 tools/install_profile.py

demo=captures/sccp-phone-call.pcap
echo
echo "== ciscouc: conversations in $demo and what the guides say they are for =="
tshark -q -2 -r "$demo" -z ciscouc,conv
echo
echo "Port reference: $BUILD/docs/ports/index.md   Profile: wireshark -C \"Cisco UC\"   Next: ./test.sh"
