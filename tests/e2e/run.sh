#!/usr/bin/env bash
# The end-to-end tests: the real window under Xvfb, driven through tauri-driver and
# WebKitWebDriver. Runs inside the private session that tests/run.sh starts.
#   bash tests/e2e/run.sh [MODULE…]   (default: test_window test_setup test_access test_connections test_other_kanka)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cargo build --quiet --locked -p kanka-link -p kanka-sandbox
rm -rf tests/artifacts
[ $# -gt 0 ] || set -- test_window test_setup test_access test_connections test_other_kanka
# One module after the other, each with its own sandbox and tauri-driver (harness.set_up).
PYTHONPATH="$root/tests/e2e" exec xvfb-run -a -s "-screen 0 1280x800x24" python3 -m unittest -v "$@"
