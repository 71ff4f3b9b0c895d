#!/usr/bin/env bash
# Side-by-side benchmark (issue 5 item 4): fedscope vs tshark on the same
# TLS 1.2 AES-128-GCM federation capture with the same key log.
#
#   scripts/bench_vs_tshark.sh [--regenerate] [gen_bulk_tls options...]
#
# Generates bench-data/bulk-tls12-gcm.pcap (+ .keylog, .expected) with
# `cargo run --release --example gen_bulk_tls` when missing (or with
# --regenerate), builds fedscope in release mode, then runs both under
# /usr/bin/time -v (RUNS times each, default 3, median reported) and prints
# wall time, MB/s, the ratio, peak RSS and the SIP message counts of each
# beside the generator's truth.
# FEDSCOPE_BIN=path uses that fedscope binary instead of building one;
# PGO=1 builds and uses the profile-guided one (scripts/build_pgo.sh, which
# trains on other captures than this one).
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
if [[ -z "${FEDSCOPE_BIN:-}" && "${PGO:-0}" == 1 ]]; then
    scripts/build_pgo.sh
    BIN=target/pgo/dist/fedscope
elif [[ -z "${FEDSCOPE_BIN:-}" ]]; then
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

# Each tool runs RUNS times (default 3); the median wall time is reported,
# with the peak RSS and message count of that run.
RUNS=${RUNS:-3}
# Runs "$@" under time -v RUNS times; prints "wall rss file" of the median run.
median_run() {
    local tag=$1 out=$2
    shift 2
    for i in $(seq "$RUNS"); do
        # Wall time from the clock (time -v rounds to 10 ms), RSS from time -v.
        local t0 t1
        t0=$(date +%s%N)
        /usr/bin/time -v "$@" >"$out.$i" 2>"$DATA/$tag.time.$i" || true
        t1=$(date +%s%N)
        echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(rss_mb "$DATA/$tag.time.$i") $i"
    done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

read -r fw fr fi < <(median_run fedscope "$DATA/fedscope.json" \
    "$BIN" analyze "$PCAP" --keylog "$KEYLOG" --format json --quiet)
fed_msgs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip"]["messages"])' \
    "$DATA/fedscope.json.$fi" 2>/dev/null || echo "?")

read -r tw tr ti < <(median_run tshark "$DATA/tshark.txt" \
    tshark -n -r "$PCAP" -o "tls.keylog_file:$KEYLOG" \
    -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE -d tcp.port==5061,tls \
    -Y sip -T fields -E occurrence=a -E aggregator=, -e sip.Method -e sip.Status-Code)
ts_msgs=$(tr '\t,' '\n\n' <"$DATA/tshark.txt.$ti" | grep -c . || true)

echo "runs per tool: $RUNS (median wall shown)"
awk -v b="$bytes" -v fw="$fw" -v tw="$tw" -v fr="$fr" \
    -v tr="$tr" -v fm="$fed_msgs" -v tm="$ts_msgs" \
    -v expv="$(head -1 "$EXPECTED" | awk '{print $2}')" 'BEGIN {
    printf "%-9s %10s %10s %12s %14s\n", "tool", "wall s", "MB/s", "peak RSS MB", "SIP messages"
    printf "%-9s %10.3f %10.1f %12s %14s\n", "fedscope", fw, (fw > 0 ? b / 1e6 / fw : 0), fr, fm
    printf "%-9s %10.3f %10.1f %12s %14s\n", "tshark", tw, (tw > 0 ? b / 1e6 / tw : 0), tr, tm
    printf "expected SIP messages: %s; speed ratio fedscope/tshark: %.1fx\n", expv, (fw > 0 ? tw / fw : 0)
}'
