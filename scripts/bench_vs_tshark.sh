#!/usr/bin/env bash
# Side-by-side benchmark (issue 5 item 4): fedscope vs tshark on the same
# TLS 1.2 AES-128-GCM federation capture with the same key log.
#
#   scripts/bench_vs_tshark.sh [--regenerate] [gen_bulk_tls options...]
#
# Generates bench-data/bulk-tls12-gcm.pcap (+ .keylog, .expected) with
# `cargo run --release --example gen_bulk_tls` when missing (or with
# --regenerate), builds fedscope in release mode, then runs both (RUNS
# times each, default 3, median reported; each timed from fork to exit,
# writing its output to a file) and prints wall time, MB/s, the ratio, peak
# RSS and the SIP message counts of each beside the generator's truth.
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

bytes=$(stat -c %s "$PCAP")

echo "capture: $PCAP ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')), expected $(head -1 "$EXPECTED")"

# Each tool runs RUNS times (default 3); the median wall time is reported,
# with the peak RSS and message count of that run.
RUNS=${RUNS:-3}
# Runs "$@" RUNS times, its output to "$out.N"; prints "wall rss run" of the
# median run. Each run is one fork and exec timed from just before to the
# exit (wait4), and its peak RSS is wait4's: `/usr/bin/time -v` and two
# `date` forks around it added 15-20 ms to a 120 ms run.
median_run() {
    local out=$1
    shift
    python3 - "$RUNS" "$out" "$@" <<'PY' | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
import os, subprocess, sys, time
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
for i in range(1, runs + 1):
    with open(f"{out}.{i}", "wb") as f:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    print(f"{wall:.3f} {ru.ru_maxrss / 1024:.1f} {i}")
PY
}

read -r fw fr fi < <(median_run "$DATA/fedscope.json" \
    "$BIN" analyze "$PCAP" --keylog "$KEYLOG" --format json --quiet)
fed_msgs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip"]["messages"])' \
    "$DATA/fedscope.json.$fi" 2>/dev/null || echo "?")

read -r tw tr ti < <(median_run "$DATA/tshark.txt" \
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
