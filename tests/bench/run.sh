#!/usr/bin/env bash
# `npm run bench`: Kanka Link against a bare Tauri 2 app, built the same way and measured in the
# same run, with the results written to BENCHMARKS.md. Builds both (tauri build, release, .deb),
# measures sizes and what each crate adds (cargo bloat, TLS variants), builds variants of Kanka
# Link with one part taken out, then measures launch, memory, deep link, refresh, idle and
# start-up work in a private session under Xvfb against the sandbox Kanka.
# Run it on a quiet machine: the ratios hold under noise, the absolute figures less so.
#   BENCH_ROUNDS=N       measured launches, deep links and refreshes of each (default 10)
#   BENCH_IDLE_WINDOWS   idle windows of BENCH_IDLE_SECONDS (default 3 × 60 s)
#   BENCH_PHASES         run-time phases (default deeplink,startup,launch,idle,variants)
#   BENCH_SKIP_SIZES=1   reuse the last size results (target/bench/results/sizes.json)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg | sed 's/ /, /g')

"$root/tests/setup.sh" test
# What only the benchmark needs: strace for the start-up work, GitHub's gh as the reference for
# the command line, cargo-bloat for the crates.
missing=()
command -v strace >/dev/null || missing+=(strace)
command -v gh >/dev/null || missing+=(gh)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The benchmark needs ${missing[*]}: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! cargo bloat --version >/dev/null 2>&1; then
  echo "Installing cargo-bloat" >&2
  cargo install cargo-bloat --locked --quiet
fi

export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
bench="$CARGO_TARGET_DIR/bench"
results="$bench/results"
mkdir -p "$results"

echo "== Kanka Link: tauri build (release, .deb)"
npm run --silent bundle
echo "== The sandbox Kanka"
cargo build --locked --quiet -p kanka-sandbox
echo "== The bare Tauri 2 app, and the same with Kanka Link's plugins: generated in $bench, tauri build"
python3 "$here/bare.py" "$bench/bare"
python3 "$here/bare.py" "$bench/bare-plugins" --plugins
# Their own target folder: their .debs stay apart from Kanka Link's (tests/check-deb.sh takes the
# newest one there), and features unified differently would rebuild most crates anyway.
for app in bare bare-plugins; do
  (cd "$bench/$app" && CARGO_TARGET_DIR="$bench/bare-target" "$root/node_modules/.bin/tauri" build --bundles deb)
done
built=$(date +%s)

if [ "${BENCH_SKIP_SIZES:-}" = 1 ] && [ -f "$results/sizes.json" ]; then
  echo "== Sizes: reusing $results/sizes.json"
else
  echo "== Sizes: cargo bloat, TLS variants"
  python3 "$here/sizes.py" "$results/sizes.json"
fi
echo "== Variants: Kanka Link with one part taken out"
python3 "$here/variants.py" "$bench/variants/bin"
sized=$(date +%s)

echo "== Run time: private session, Xvfb (logs and traces in $results/logs)"
BENCH_LOGS="$results/logs" KANKA_LINK_SESSION_PREFIX=kanka-link-bench bash "$root/tests/private-session.sh" \
  xvfb-run -a -s "-screen 0 1280x800x24" \
  python3 "$here/measure.py" --ours "$CARGO_TARGET_DIR/release/kanka-link-window" \
  --bare "$bench/bare-target/release/bare-tauri" --bare-plugins "$bench/bare-target/release/bare-tauri-plugins" \
  --sandbox "$CARGO_TARGET_DIR/debug/kanka-sandbox" --variants "$bench/variants/bin" "$results/runtime.json"
finished=$(date +%s)

minutes() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
ram=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
dirty=""
git diff --quiet HEAD -- src-tauri/src src-tauri/core/src src-tauri/Cargo.toml src-tauri/core/Cargo.toml \
  src-tauri/tauri.conf.json src-tauri/build.rs ui/src ui/index.html Cargo.toml Cargo.lock 2>/dev/null \
  || dirty=" (with uncommitted changes to the app)"
python3 - "$results/run.json" <<PY
import json, sys
json.dump({
    "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
    "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
    "dirty": "$dirty",
    "machine": "$(nproc) × $cpu, $ram RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), $(uname -r), load average before the run $load_before",
    "command": "npm run bench",
    "duration": "$(minutes $((finished - started)))",
    "build_duration": "$(minutes $((built - started)))",
    "sizes_duration": "$(minutes $((sized - built)))",
    "measure_duration": "$(minutes $((finished - sized)))",
}, open(sys.argv[1], "w"), indent=1)
PY
python3 "$here/report.py" "$results" "$root/BENCHMARKS.md"
echo "== BENCHMARKS.md written ($(minutes $((finished - started))))"
