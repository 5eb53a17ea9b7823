#!/bin/sh
setpriv --reuid=nobody --regid=nogroup --clear-groups env WIRESHARK_PLUGIN_DIR=/work/wt-dask2/build/plugins HOME=/tmp TZ=UTC tshark -q -2 -z ciscouc,conv -z ciscouc,hosts -r /dev/stdin < "$1" > /dev/null 2>&1
