#!/usr/bin/env bash
# Profile-guided build of fedscope (issue 5 item 4), with Cargo's `dist`
# profile (release with fat LTO in one codegen unit):
#
#   scripts/build_pgo.sh            # -> target/pgo/dist/fedscope
#
# 1. builds an instrumented fedscope (-Cprofile-generate) in target/pgo-gen;
# 2. runs it over a training set that is *not* the benchmark capture: every
#    capture under samples/ (with its key log, and the Edge's RSA key where
#    one is there), a 25 MB TLS federation capture and a 25 MB plaintext one,
#    generated with other connection counts and interleaving than the bench
#    capture's (bench-data/pgo-train/), in json, table and ndjson, 1 and 2
#    threads;
# 3. merges the profiles with llvm-profdata of rustc's LLVM major version
#    and builds target/pgo/dist/fedscope with -Cprofile-use.
#
# Needs llvm-profdata matching rustc's LLVM (on Debian 12 with rustc 1.95:
# `apt-get install -y llvm-22`); LLVM_PROFDATA=path overrides the lookup.
# The plain `cargo build --release` is unaffected; this is for deployment
# and for the side-by-side benchmark (FEDSCOPE_BIN=target/pgo/dist/fedscope).
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(rustc -vV | awk '/^LLVM version/ { split($3, v, "."); print v[1] }')
PROFDATA=${LLVM_PROFDATA:-$(command -v "llvm-profdata-$major" || true)}
if [[ -z "$PROFDATA" ]]; then
    echo "llvm-profdata-$major not found (rustc uses LLVM $major): apt-get install -y llvm-$major" >&2
    exit 2
fi

PROF=$PWD/target/pgo-profiles
TRAIN=bench-data/pgo-train
rm -rf "$PROF"
mkdir -p "$PROF" "$TRAIN"

echo "== instrumented build"
RUSTFLAGS="-Cprofile-generate=$PROF" \
    cargo build --profile dist --bin fedscope --target-dir target/pgo-gen
GEN=target/pgo-gen/dist/fedscope

echo "== training captures"
if [[ ! -f $TRAIN/bulk-tls12-gcm.pcap ]]; then
    cargo run --release --example gen_bulk_tls -- "$TRAIN" --connections 300 --dialogs 3 --concurrent 24
fi
if [[ ! -f $TRAIN/plain.pcap ]]; then
    cargo run --release --example gen_bulk_plain -- "$TRAIN/plain.pcap" 25 --concurrent 100
fi

echo "== training runs"
run() { "$GEN" "$@" >/dev/null 2>&1 || true; }
for threads in 1 2; do
    run analyze "$TRAIN/bulk-tls12-gcm.pcap" --keylog "$TRAIN/bulk-tls12-gcm.keylog" \
        --format json --quiet --threads "$threads" -o /dev/null
    run analyze "$TRAIN/plain.pcap" --format json --quiet --threads "$threads" -o /dev/null
done
run analyze "$TRAIN/bulk-tls12-gcm.pcap" --keylog "$TRAIN/bulk-tls12-gcm.keylog" --format ndjson -o /dev/null
for cap in samples/*.pcap samples/*.pcapng samples/*/*.pcap samples/*/*.pcapng; do
    [[ -f $cap ]] || continue
    args=()
    keylog=${cap%.*}.keylog
    [[ -f $keylog ]] && args+=(--keylog "$keylog")
    for fmt in json table ndjson; do
        run analyze "$cap" "${args[@]}" --format "$fmt" -o /dev/null
    done
done
for key in samples/keys/*.pem; do
    [[ -f $key ]] || continue
    for cap in samples/tls1*-rsa-*.pcap; do
        run analyze "$cap" --rsa-key "$key" --format json -o /dev/null
    done
done

echo "== merge"
"$PROFDATA" merge -o "$PROF/merged.profdata" "$PROF"/*.profraw

echo "== optimized build"
RUSTFLAGS="-Cprofile-use=$PROF/merged.profdata" \
    cargo build --profile dist --bin fedscope --target-dir target/pgo
echo "built target/pgo/dist/fedscope"
