#!/usr/bin/env bash
# Runs Floe's whole test suite: build, Swift unit tests, then integration tests that start the
# real `floe` binary on loopback ports and drive it with aws-cli, boto3, s3cmd and curl.
# Installs what it needs (a project-local Python virtualenv with pinned clients); safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

step() { printf '\n==> %s\n' "$*"; }

step "swift build"
swift build --build-tests

# Threads get their stack size from the soft stack limit, or 2 MiB where it is unlimited: the tests
# run with the usual 8 MiB whatever the runner's limit. (Each passes with 512 KiB; the parsers'
# independence from their caller's stack is pinned by tests that call them from 512 KiB threads.)
step "swift test (unit tests, 8 MiB thread stacks)"
(ulimit -S -s 8192 2>/dev/null || true; swift test --skip-build)

step "instruction counts of the hot paths against Benchmarks/HotPaths/thresholds.txt (callgrind)"
scripts/bench/instructions.sh --skip-build

step "fuzzing the parsers that read client input (short run; scripts/fuzz.sh for longer ones)"
scripts/fuzz.sh "${FLOE_FUZZ_SECONDS:-15}"

step "python virtualenv with pinned clients (.venv)"
VENV="$ROOT/.venv"
REQS="$ROOT/Tests/Integration/requirements.txt"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS"
    echo "$WANT" > "$STAMP"
fi
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
# strace shows which system calls send a body (test_objects.py: large bodies go with sendfile).
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }

step "Prometheus (Debian's package) for the compose/ scrape test"
if ! command -v prometheus >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
prometheus --version 2>&1 | head -1

step "Chromium and chromedriver (Debian's packages) for the console's browser tests"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
chromium --version 2>/dev/null | head -1

step "throwaway PostgreSQL on loopback (catalog tests run on SQLite and on PostgreSQL)"
PGDIR="${TMPDIR:-/tmp}/floe-test-postgres-$(id -u)"
PGPORT="${FLOE_TEST_PGPORT:-54329}"
export TEST_POSTGRES_URL="$("$ROOT/scripts/postgres.sh" start "$PGDIR" "$PGPORT")"
export TEST_POSTGRES_DIR="$PGDIR" TEST_POSTGRES_PORT="$PGPORT" TEST_POSTGRES_SCRIPT="$ROOT/scripts/postgres.sh"
stop_postgres() {
    local status=$?
    "$ROOT/scripts/postgres.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    exit "$status"
}
trap stop_postgres EXIT
echo "$TEST_POSTGRES_URL"

step "integration tests (real binary, real clients)"
export FLOE_BINARY="$ROOT/.build/debug/floe"
export PATH="$VENV/bin:$PATH"
cd "$ROOT/Tests/Integration"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"

SUITE="${FLOE_S3TESTS_SUITE:-$ROOT/../shared/s3-tests}"
if [ -d "$SUITE" ]; then
    step "S3 conformance gate: ceph/s3-tests against the debug build (spec/s3-tests-gate.txt)"
    cd "$ROOT"
    scripts/conformance/s3-tests.sh "$SUITE"
else
    step "S3 conformance gate skipped: no ceph/s3-tests at $SUITE"
fi
