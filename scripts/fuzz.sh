#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 600), two at a time,
# and prints a line per target with its run count and whether it crashed.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build -O >/dev/null 2>&1 || { echo "fuzz build failed"; exit 1; }
mkdir -p ../target/fuzz-logs
run() {
  local t=$1
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
    >"../target/fuzz-logs/$t.log" 2>&1
  local rc=$?
  local runs
  runs=$(grep -Eo 'Done [0-9]+ runs' "../target/fuzz-logs/$t.log" | tail -1)
  echo "fuzz $t: ${secs}s, ${runs:-no summary}, exit $rc $( [ $rc = 0 ] && echo clean || echo CRASH: see target/fuzz-logs/$t.log)"
}
set -- $targets
while [ $# -gt 0 ]; do
  run "$1" & 
  if [ $# -gt 1 ]; then run "$2" & shift; fi
  shift
  wait
done
