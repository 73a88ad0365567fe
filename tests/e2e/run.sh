#!/usr/bin/env bash
# The end-to-end tests: the real window under Xvfb, driven through tauri-driver and
# WebKitWebDriver. Runs inside the private session that tests/run.sh starts.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cargo build --quiet --locked -p kanka-link -p kanka-sandbox
rm -rf tests/artifacts
exec xvfb-run -a -s "-screen 0 1280x800x24" python3 tests/e2e/test_window.py
