#!/bin/sh
# For `vdsim vm --exec`: a capture of the real spice-gtk talking to the booted
# guest's QEMU spice-server (VDSIM_SPICE_URI), on loopback, into $1.
set -eu
out=$1
port=${VDSIM_SPICE_URI##*:}
port=${port%%\?*}
dumpcap -i lo -f "tcp port $port" -w "$out" -q 2> "$out.dumpcap.log" &
cap=$!
sleep 2 # dumpcap listens a moment after it starts
/usr/bin/python3 "$(dirname "$0")/spice_gtk_session.py" "$VDSIM_SPICE_URI" "h\303\251llo from the host" 10 > "$out.client.log" || true
sleep 1
kill -INT "$cap"
wait "$cap" || true
