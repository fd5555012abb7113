#!/usr/bin/env bash
# Runs ceph/s3-tests (test_s3.py + test_headers.py) against Floe as a conformance gate.
#
#   scripts/conformance/s3-tests.sh [SUITE_DIR] [-- PYTEST_ARGS…]
#
# SUITE_DIR defaults to ../shared/s3-tests. Without FLOE_S3TESTS_ENDPOINT the script starts its
# own server (FLOE_BINARY, default .build/release/floe, else .build/debug/floe) on a loopback
# port over a throwaway data directory; with it, it uses that running server and the root keys
# in FLOE_ROOT_USER / FLOE_ROOT_PASSWORD. Either way it creates the suite's alt and tenant users
# through the admin API, writes the suite's config, runs the cases with xdist and prints a
# per-feature table. Exit status 1 when a case listed in spec/s3-tests-gate.txt fails.
#
# Environment: FLOE_S3TESTS_VENV (default .build/s3-tests-venv), FLOE_S3TESTS_WORKERS (2),
# FLOE_S3TESTS_REPORT (a JSON file for the per-case outcomes), FLOE_S3TESTS_WRITE_GATE=1 (rewrite
# the gate list from this run's passes, minus the excluded cases).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SUITE="${1:-$ROOT/../shared/s3-tests}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
SUITE="$(cd "$SUITE" && pwd)"
VENV="${FLOE_S3TESTS_VENV:-$ROOT/.build/s3-tests-venv}"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
REQS="$SUITE/requirements.freeze.txt"
[ -f "$REQS" ] || REQS="$SUITE/requirements.txt"
STAMP="$VENV/.requirements.sha256"
WANT="$(cat "$REQS" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS" pytest-xdist pytest-timeout
    echo "$WANT" > "$STAMP"
fi

exec "$VENV/bin/python" "$ROOT/scripts/conformance/s3tests_gate.py" --suite "$SUITE" --root "$ROOT" "$@"
