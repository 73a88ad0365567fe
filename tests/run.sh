#!/usr/bin/env bash
# Runs every test against real parts: a private D-Bus session with its own unlocked
# gnome-keyring and a throwaway HOME (tests/private-session.sh), so no test ever touches the
# developer's keychain or config. Extra arguments go to `cargo test`.
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

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"
exec bash "$here/private-session.sh" bash "$here/in-session.sh" "$@"
