#!/usr/bin/env bash
# The inside of tests/run.sh: already in the private session (tests/private-session.sh), with
# its unlocked keychain and throwaway HOME.
# With arguments, only `cargo test` runs, with them; without, every suite does.
set -euo pipefail

echo "== private session: HOME=$HOME, bus=$DBUS_SESSION_BUS_ADDRESS"

# No module imports another that imports it back; the known cycles are listed in the script and
# may only go. Only in the full run: a targeted run is often mid-refactor.
if [ $# -eq 0 ]; then
  echo "== Rust: module cycles (tests/module-cycles.mjs)"
  npm run --silent check:modules
fi

echo "== Rust: unit and integration tests"
cargo test --workspace --locked "$@"
[ $# -gt 0 ] && exit 0

echo "== UI: unit tests (node)"
npm run --silent test:ui

echo "== End-to-end: the window under Xvfb"
bash tests/e2e/run.sh

# The release build and both Linux packages, as a user gets them, then what a distribution
# checks (lintian, AppStream, the .rpm's requirements) and, as root, an install and a purge.
echo "== Packages: npm run bundle, then tests/check-packages.sh"
npm run --silent bundle
bash tests/check-packages.sh
