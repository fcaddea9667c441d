#!/bin/sh
# Quick start: install gate-runner in .venv and run the gate against the embedded sandbox twice —
# once on campaigns that pass, once on all three (one fails, so the gate blocks with exit 1).
set -u
cd "$(dirname "$0")/.."
[ -x .venv/bin/gate-runner ] || { python3 -m venv .venv && .venv/bin/python -m pip install --quiet . ; } || exit 2
run() { .venv/bin/gate-runner check --config examples/sepurux.yml --sandbox examples/sandbox/demo.yml "$@"; }

echo "== 1. two campaigns that pass =========================================="
run --campaign core-reliability --campaign support-eval-set --verdict pass-verdict.json
echo "exit code: $?   (verdict: pass-verdict.json)"
echo
echo "== 2. all campaigns; refund-safety fails in hard mode ==================="
run --verdict fail-verdict.json --report junit=fail-junit.xml --report sarif=fail.sarif
echo "exit code: $?   (verdict: fail-verdict.json, JUnit: fail-junit.xml, SARIF: fail.sarif)"
