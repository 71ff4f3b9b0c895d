#!/usr/bin/env bash
# Peak RSS and throughput of `fedscope analyze` on generated captures of the
# given sizes in MB (default: 100 1000 5000), plaintext and TLS 1.2 AES-GCM.
# Captures are generated once into bench-data/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-100 1000 5000}
cargo build --release --quiet --bin fedscope --example gen_bulk_plain --example gen_bulk_tls
mkdir -p bench-data
printf '%-28s %9s %9s %10s %9s %12s\n' capture MB seconds MB/s "RSS MB" "SIP msgs"
for mb in $sizes; do
  for kind in plain tls; do
    f=bench-data/$kind-${mb}MB.pcap
    if [ ! -s "$f" ]; then
      target/release/examples/gen_bulk_$kind "$f" "$mb" >/dev/null
    fi
    extra=()
    [ "$kind" = tls ] && extra=(--keylog "${f%.pcap}.keylog")
    out=$( { /usr/bin/time -v target/release/fedscope analyze "$f" "${extra[@]}" --format json --quiet \
              --output bench-data/report.json; } 2>&1 )
    rss=$(echo "$out" | awk -F: '/Maximum resident/ {print $2/1024}')
    wall=$(echo "$out" | awk '/Elapsed \(wall clock\)/ {print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    size=$(stat -c %s "$f")
    msgs=$(python3 -c 'import json;print(json.load(open("bench-data/report.json"))["sip"]["messages"])')
    printf '%-28s %9.0f %9.2f %10.0f %9.1f %12s\n' "$(basename "$f")" "$(echo "$size/1000000" | bc -l)" "$wall" \
      "$(echo "$size/1000000/$wall" | bc -l)" "$rss" "$msgs"
  done
done
