#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the pure parsers that read client input: HTTP/1
# request heads and bodies, SigV4/SigV2 header and query parsing with canonicalisation, the
# aws-chunked decoder, XML bodies, policy JSON, Iceberg table/view metadata and updates, range
# and conditional headers; and the data-plane decoders that read files anyone can write into a
# bucket: codecs, Avro, Parquet, manifests and Puffin.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default: 60 s for each of all targets)
#
# Builds Fuzz/FloeFuzz with --sanitize=fuzzer in its own scratch directory (.build-fuzz), starts
# each target from the committed seeds in Fuzz/corpus/<target> (new inputs go to
# .build-fuzz/corpus/<target>), and fails when a target crashes, leaks past the RSS limit or
# hangs; the input that did it is left in .build-fuzz/artifacts/. Prints one line per target.
set -euo pipefail
cd "$(dirname "$0")/.."
PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(sigv4 http1 chunked xml policy iceberg ranges codecs avro parquet manifests)

FLOE_FUZZ=1 swift build --scratch-path .build-fuzz --sanitize=fuzzer --product floe-fuzz 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
BIN=".build-fuzz/debug/floe-fuzz"
[ -x "$BIN" ] || { echo "fuzz: the harness did not build" >&2; exit 1; }

status=0
for target in "${TARGETS[@]}"; do
    work=".build-fuzz/corpus/$target"
    mkdir -p "$work" .build-fuzz/artifacts
    log=".build-fuzz/$target.log"
    set +e
    # Swift's own crash backtracer would handle the trap before libFuzzer records the input.
    SWIFT_BACKTRACE=enable=no FLOE_FUZZ_TARGET="$target" "$BIN" "$work" "Fuzz/corpus/$target" \
        -max_total_time="$PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/artifacts/$target-" > "$log" 2>&1
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    corpus=$(ls "$work" | wc -l)
    if [ "$code" -eq 0 ]; then
        echo "fuzz $target: ${runs:-0} executions in ${PER_TARGET}s, coverage ${cov:-0} edges, corpus $corpus, no crash"
    else
        echo "fuzz $target: FAILED (exit $code) after ${runs:-?} executions; see $log and .build-fuzz/artifacts/" >&2
        tail -40 "$log" >&2
        status=1
    fi
done
exit "$status"
