#!/usr/bin/env bash
# `npm run demo`: the whole flow with no Kanka account. Builds what is missing, starts the
# sandbox Kanka on loopback with two-minute tokens (a refresh shows after 90 s), and the app
# configured for it. Click Connect to Kanka, Authorize in your browser, and watch. Ctrl-C stops both.
#   KANKA_LINK_DEMO_PORT   the sandbox's port (default 47800)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

"$root/tests/setup.sh" demo
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "The demo opens a window: run it in a desktop session (no DISPLAY or WAYLAND_DISPLAY here)." >&2
  exit 1
fi

echo "Building the UI, the app and the sandbox…" >&2
npm run --silent build:ui
cargo build --quiet -p kanka-link -p kanka-sandbox
target="${CARGO_TARGET_DIR:-$root/target}/debug"

port="${KANKA_LINK_DEMO_PORT:-47800}"
client_id=7
client_secret="demo-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
log="$(mktemp -t kanka-sandbox.XXXXXX.log)"
"$target/kanka-sandbox" --port "$port" --token-lifetime 120 \
  --client-id "$client_id" --client-secret "$client_secret" > "$log" 2>&1 &
sandbox=$!

# A fixed port keeps the demo's keychain entries apart from a real Kanka connection and lets
# each run clean up after the last.
export KANKA_LINK_URL="http://127.0.0.1:$port"
export KANKA_LINK_API_URL="http://127.0.0.1:$port/api/1.0"
export KANKA_LINK_CLIENT_ID="$client_id"
export KANKA_LINK_CLIENT_SECRET="$client_secret"
export KANKA_LINK_REDIRECT_URI="kanka-link://oauth/callback"

app=""
stop() {
  trap - INT TERM EXIT
  [ -n "$app" ] && kill "$app" 2>/dev/null || true
  kill "$sandbox" 2>/dev/null || true
  wait 2>/dev/null || true
  # The sandbox's tokens die with it: forget them, so the next demo starts clean.
  "$target/kanka-link" disconnect >/dev/null 2>&1 || true
  echo "Demo stopped." >&2
}
trap stop INT TERM EXIT

for _ in $(seq 50); do
  grep -q "listening on" "$log" && break
  kill -0 "$sandbox" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
"$target/kanka-link" disconnect >/dev/null 2>&1 || true

cat >&2 <<EOF

  Sandbox Kanka:  $KANKA_LINK_URL  (tokens live 2 minutes; Kanka Link refreshes them at 90 s)
  In the window:  click "Connect to Kanka", then "Authorize" in your browser.
                  Your browser asks to open Kanka Link: allow it.
  In a terminal:  KANKA_LINK_URL=$KANKA_LINK_URL KANKA_LINK_CLIENT_ID=$client_id $target/kanka-link status
  Ctrl-C stops the demo.

EOF
"$target/kanka-link" &
app=$!
wait "$app"
