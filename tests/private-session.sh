#!/usr/bin/env bash
# Runs a command in a private session, so that nothing touches the developer's keychain or
# config: a throwaway HOME (and XDG folders), a D-Bus session bus of its own, and on it an
# unlocked gnome-keyring. Used by the tests (tests/run.sh) and the benchmark (tests/bench/run.sh).
#   bash tests/private-session.sh COMMAND [ARGUMENTS…]
# KANKA_LINK_SESSION_PREFIX names the temporary folder (default kanka-link-test); it is removed
# when the command ends.
set -euo pipefail

if [ "${1:-}" = --inside ]; then
  shift
  # Started here, after HOME changed: an auto-started daemon would keep the old HOME.
  eval "$(printf 'kanka-link-tests' | gnome-keyring-daemon --unlock --components=secrets)"
  # Keychain tests refuse to run unless this names the bus they are on (see the tests' common.rs).
  export KANKA_LINK_PRIVATE_BUS="$DBUS_SESSION_BUS_ADDRESS"
  exec "$@"
fi
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGUMENTS…]" >&2; exit 2; }

# cargo and rustup keep their real homes; everything else gets a fresh one.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
work="$(mktemp -d -t "${KANKA_LINK_SESSION_PREFIX:-kanka-link-test}.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" \
       XDG_CACHE_HOME="$HOME/.cache" XDG_STATE_HOME="$HOME/.local/state" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export KANKA_LINK_TEST_HOME="$HOME"

# Not exec'd: the trap removes the folder once the session is over.
dbus-run-session -- bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/private-session.sh" --inside "$@"
