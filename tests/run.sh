#!/usr/bin/env bash
# Runs every test against real parts: a private D-Bus session with its own unlocked
# gnome-keyring and a throwaway HOME, so no test ever touches the developer's keychain or
# config. Extra arguments go to `cargo test`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

"$here/setup.sh" test
# The window embeds the built UI, so it is built before anything compiles the app.
(cd "$root" && npm run --silent build:ui)

# The engine stays free of Tauri, so the window and the command line share it unchanged.
# (Library names, not `{p}`: the crate's own path, src-tauri/core, would match.)
tauri_deps=$(cargo tree -p kanka-link-core -e normal --prefix none -f '{lib}' | grep -c tauri || true)
if [ "$tauri_deps" != 0 ]; then
  echo "kanka-link-core depends on Tauri; keep the engine free of it" >&2
  exit 1
fi

# cargo and rustup keep their real homes; everything else gets a fresh one.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d -t kanka-link-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" \
       XDG_CACHE_HOME="$HOME/.cache" XDG_STATE_HOME="$HOME/.local/state" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export KANKA_LINK_TEST_HOME="$HOME"

cd "$root"
exec dbus-run-session -- bash "$here/in-session.sh" "$@"
