#!/usr/bin/env bash
# Peak RSS and throughput of `fedscope analyze` on generated captures of the
# given sizes in MB (default: 100 1000 5000), plaintext and TLS 1.2 AES-GCM.
# Captures are generated once into bench-data/ (gitignored).
# THREADS=1 scripts/measure_memory.sh 100 1000 runs single-threaded (default: all cores).
# FEDSCOPE_BIN=target/pgo/dist/fedscope measures another build (scripts/build_pgo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-100 1000 5000}
cargo build --release --quiet --bin fedscope --example gen_bulk_plain --example gen_bulk_tls
BIN=${FEDSCOPE_BIN:-target/release/fedscope}
mkdir -p bench-data
printf '%-34s %9s %9s %10s %9s %12s\n' capture MB seconds MB/s "RSS MB" "SIP msgs"
for mb in $sizes; do
  for kind in plain tls; do
    if [ "$kind" = plain ]; then
      f=bench-data/plain-${mb}MB.pcap
      label=plain-${mb}MB.pcap
      [ -s "$f" ] || target/release/examples/gen_bulk_plain "$f" "$mb" >/dev/null
      extra=()
    else
      # About 84 KB per connection (3 dialogs of 16 messages, handshake, TCP).
      d=bench-data/tls-${mb}MB
      f=$d/bulk-tls12-gcm.pcap
      label=tls12-gcm-${mb}MB.pcap
      [ -s "$f" ] || target/release/examples/gen_bulk_tls "$d" --connections $((mb * 12)) >/dev/null
      extra=(--keylog "$d/bulk-tls12-gcm.keylog")
    fi
    out=$( { /usr/bin/time -v "$BIN" analyze "$f" "${extra[@]}" ${THREADS:+--threads "$THREADS"} --format json --quiet \
              --output bench-data/report.json; } 2>&1 )
    rss=$(echo "$out" | awk -F: '/Maximum resident/ {print $2/1024}')
    wall=$(echo "$out" | awk '/Elapsed \(wall clock\)/ {print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    size=$(stat -c %s "$f")
    msgs=$(python3 -c 'import json;print(json.load(open("bench-data/report.json"))["sip"]["messages"])')
    printf '%-34s %9.0f %9.2f %10.0f %9.1f %12s\n' "$label" "$(echo "$size/1000000" | bc -l)" "$wall" \
      "$(echo "$size/1000000/$wall" | bc -l)" "$rss" "$msgs"
  done
done
