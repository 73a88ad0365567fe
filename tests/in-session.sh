#!/usr/bin/env bash
# The inside of tests/run.sh: already in the private D-Bus session with a throwaway HOME.
# With arguments, only `cargo test` runs, with them; without, every suite does.
set -euo pipefail

# Started here, after HOME changed: an auto-started daemon would keep the old HOME.
eval "$(printf 'kanka-link-tests' | gnome-keyring-daemon --unlock --components=secrets)"
# Keychain tests refuse to run unless this names the bus they are on (see the tests' common.rs).
export KANKA_LINK_PRIVATE_BUS="$DBUS_SESSION_BUS_ADDRESS"
echo "== private session: HOME=$HOME, bus=$DBUS_SESSION_BUS_ADDRESS"

echo "== Rust: unit and integration tests"
cargo test --workspace --locked "$@"
[ $# -gt 0 ] && exit 0

echo "== UI: unit tests (node)"
npm run --silent test:ui

echo "== End-to-end: the window under Xvfb"
bash tests/e2e/run.sh
