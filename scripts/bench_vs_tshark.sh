#!/usr/bin/env bash
# Side-by-side benchmark (issue 5 item 4): fedscope vs tshark on the same
# TLS 1.2 AES-128-GCM federation capture with the same key log.
#
#   scripts/bench_vs_tshark.sh [--regenerate] [gen_bulk_tls options...]
#
# Generates bench-data/bulk-tls12-gcm.pcap (+ .keylog, .expected) with
# `cargo run --release --example gen_bulk_tls` when missing (or with
# --regenerate), builds fedscope in release mode, then runs both under
# /usr/bin/time -v and prints wall time, MB/s, the ratio, peak RSS and the SIP
# message counts of each beside the generator's truth.
# FEDSCOPE_BIN=path uses that fedscope binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=bench-data
PCAP=$DATA/bulk-tls12-gcm.pcap
KEYLOG=$DATA/bulk-tls12-gcm.keylog
EXPECTED=$DATA/bulk-tls12-gcm.expected

regen=0
if [[ "${1:-}" == "--regenerate" ]]; then
    regen=1
    shift
fi
mkdir -p "$DATA"
if [[ $regen == 1 || ! -f $PCAP || ! -f $KEYLOG || ! -f $EXPECTED ]]; then
    cargo run --release --example gen_bulk_tls -- "$DATA" "$@"
fi
# FEDSCOPE_BIN=path runs an already built binary (no cargo build).
BIN=${FEDSCOPE_BIN:-target/release/fedscope}
if [[ -z "${FEDSCOPE_BIN:-}" ]]; then
    cargo build --release --bin fedscope
fi
command -v tshark >/dev/null || { echo "tshark not installed (apt-get install -y tshark)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time not installed (apt-get install -y time)" >&2; exit 2; }

bytes=$(stat -c %s "$PCAP")

# Wall seconds and peak RSS (MB) from a `time -v` report.
wall_s() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}
rss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }

echo "capture: $PCAP ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')), expected $(head -1 "$EXPECTED")"

/usr/bin/time -v "$BIN" analyze "$PCAP" --keylog "$KEYLOG" --format json --quiet \
    >"$DATA/fedscope.json" 2>"$DATA/fedscope.time" || true
fed_msgs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip"]["messages"])' \
    "$DATA/fedscope.json" 2>/dev/null || echo "?")

/usr/bin/time -v tshark -n -r "$PCAP" -o "tls.keylog_file:$KEYLOG" \
    -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE -d tcp.port==5061,tls \
    -Y sip -T fields -E occurrence=a -E aggregator=, -e sip.Method -e sip.Status-Code \
    >"$DATA/tshark.txt" 2>"$DATA/tshark.time" || true
ts_msgs=$(tr '\t,' '\n\n' <"$DATA/tshark.txt" | grep -c . || true)

fw=$(wall_s "$DATA/fedscope.time")
tw=$(wall_s "$DATA/tshark.time")
awk -v b="$bytes" -v fw="$fw" -v tw="$tw" -v fr="$(rss_mb "$DATA/fedscope.time")" \
    -v tr="$(rss_mb "$DATA/tshark.time")" -v fm="$fed_msgs" -v tm="$ts_msgs" \
    -v expv="$(head -1 "$EXPECTED" | awk '{print $2}')" 'BEGIN {
    printf "%-9s %10s %10s %12s %14s\n", "tool", "wall s", "MB/s", "peak RSS MB", "SIP messages"
    printf "%-9s %10.2f %10.1f %12s %14s\n", "fedscope", fw, (fw > 0 ? b / 1e6 / fw : 0), fr, fm
    printf "%-9s %10.2f %10.1f %12s %14s\n", "tshark", tw, (tw > 0 ? b / 1e6 / tw : 0), tr, tm
    printf "expected SIP messages: %s; speed ratio fedscope/tshark: %.1fx\n", expv, (fw > 0 ? tw / fw : 0)
}'
