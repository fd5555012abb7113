#!/usr/bin/env bash
# Instruction counts of the hot pure paths (SigV4 verification, HTTP/1 request heads, request
# routing, listing XML, policy evaluation), measured with valgrind's callgrind, which counts
# instructions rather than time: the same binary gives the same count on a busy or an idle
# machine. Each path runs N and 2N iterations; the difference over N is its steady cost per
# iteration (start-up and the one-time work of a first call, such as generic metadata
# instantiation, cancel out). The counts are checked against Benchmarks/HotPaths/thresholds.txt
# (one line per build configuration and path), so a change that makes a hot path more expensive
# fails here, without timing noise.
#
#   scripts/bench/instructions.sh [--config debug|release] [--update] [--skip-build]
#
# --update rewrites the configuration's thresholds as the measured counts plus 10 %.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=debug UPDATE=0 BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --config) CONFIG="$2"; shift 2 ;;
        --update) UPDATE=1; shift ;;
        --skip-build) BUILD=0; shift ;;
        *) echo "usage: $0 [--config debug|release] [--update] [--skip-build]" >&2; exit 64 ;;
    esac
done
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
if [ "$BUILD" = 1 ]; then swift build -c "$CONFIG" --product floe-hotpaths >/dev/null; fi
# valgrind 3.19 cannot read the debug info Swift 6 writes; the counts do not need it.
BIN="$(mktemp -d)/floe-hotpaths"
trap 'rm -rf "$(dirname "$BIN")"' EXIT
objcopy --strip-debug "$(swift build -c "$CONFIG" --show-bin-path)/floe-hotpaths" "$BIN"
THRESHOLDS=Benchmarks/HotPaths/thresholds.txt

# path and iterations: enough that per-iteration work dominates the fixed setup, few enough
# that a debug build under callgrind finishes in seconds.
PATHS=("sigv4-header 40" "sigv4-presigned 40" "http1-head 40" "routing 20" "list-xml 3" "policy 100")

# Hashing seeded per process moves a path's count by up to 2,000 instructions from run to run
# (set and dictionary probes); a fixed seed makes two runs of one binary count the same.
export SWIFT_DETERMINISTIC_HASHING=1

count() {  # instructions of one run
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

failed=0
declare -A measured
printf '%-16s %14s %14s  %s\n' path "instr/iter" threshold result
for entry in "${PATHS[@]}"; do
    read -r path iterations <<<"$entry"
    base=$(count "$path" "$iterations")
    full=$(count "$path" $((iterations * 2)))
    per=$(( (full - base) / iterations ))
    measured[$path]=$per
    limit=$(awk -v c="$CONFIG" -v p="$path" '$1 == c && $2 == p { print $3 }' "$THRESHOLDS" 2>/dev/null || true)
    result=ok
    if [ -z "$limit" ]; then
        result="no threshold"
    elif [ "$per" -gt "$limit" ]; then
        result="REGRESSION (+$(( (per - limit) * 100 / limit ))% over the threshold)"
        failed=1
    fi
    printf '%-16s %14d %14s  %s\n' "$path" "$per" "${limit:--}" "$result"
done

if [ "$UPDATE" = 1 ]; then
    tmp=$(mktemp)
    { grep -v "^$CONFIG " "$THRESHOLDS" 2>/dev/null || true
      for path in "${!measured[@]}"; do echo "$CONFIG $path $(( measured[$path] * 110 / 100 ))"; done
    } | sort >"$tmp"
    mv "$tmp" "$THRESHOLDS"
    echo "thresholds for $CONFIG written to $THRESHOLDS"
    exit 0
fi
exit "$failed"
