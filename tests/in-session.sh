#!/usr/bin/env bash
# The inside of tests/run.sh: already in the private D-Bus session with a throwaway HOME.
set -euo pipefail

# Started here, after HOME changed: an auto-started daemon would keep the old HOME.
eval "$(printf 'kanka-link-tests' | gnome-keyring-daemon --unlock --components=secrets)"
# Keychain tests refuse to run unless this names the bus they are on (see tests/common).
export KANKA_LINK_PRIVATE_BUS="$DBUS_SESSION_BUS_ADDRESS"

echo "== private session: HOME=$HOME, bus=$DBUS_SESSION_BUS_ADDRESS"
cargo test --workspace --locked "$@"
