#!/usr/bin/env bash
# The long runs of the reliability tests (`npm run stress`), with their figures written to
# RELIABILITY.md. npm test runs the same tests with fewer rounds.
#   bash tests/stress.sh [KILLS] [RACE_ROUNDS] [KEYCHAIN_ROUNDS]
#   (default 500 kills, 50 race rounds, 100 rounds of a keychain refusing a rotated pair)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export KANKA_LINK_CRASH_ROUNDS="${1:-500}" KANKA_LINK_RACE_ROUNDS="${2:-50}" KANKA_LINK_KEYCHAIN_ROUNDS="${3:-100}"
log="$(mktemp -t kanka-link-stress.XXXXXX)"
trap 'rm -f "$log"' EXIT

started=$(date +%s)
bash tests/run.sh -p kanka-link --test processes -- --nocapture 2>&1 | tee -a "$log"
bash tests/run.sh -p kanka-link-core --test engine -- keychain_faults rotation_faults flaky years hostile --nocapture 2>&1 | tee -a "$log"
minutes=$(( ($(date +%s) - started + 59) / 60 ))

figures=$(grep -E '^(crash during refresh|concurrent refresh|keychain fault|network faults|clock|hostile deep links):' "$log" | sed 's/^/- /')
[ -n "$figures" ] || { echo "no figures found: did the tests run?" >&2; exit 1; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
python3 - "$figures" "$(date -u +%Y-%m-%d)" "$(nproc) × $cpu" "$minutes" <<'PY'
import re, sys
figures, date, machine, minutes = sys.argv[1:]
path = "RELIABILITY.md"
text = open(path).read()
block = (f"<!-- figures: written by tests/stress.sh -->\n"
         f"Last run: {date}, on {machine}, {minutes} min, `bash tests/stress.sh "
         f"{__import__('os').environ['KANKA_LINK_CRASH_ROUNDS']} {__import__('os').environ['KANKA_LINK_RACE_ROUNDS']} "
         f"{__import__('os').environ['KANKA_LINK_KEYCHAIN_ROUNDS']}`.\n\n"
         f"{figures}\n<!-- end of figures -->")
text = re.sub(r"<!-- figures:.*?<!-- end of figures -->", lambda _: block, text, flags=re.S)
open(path, "w").write(text)
PY
echo "RELIABILITY.md updated."
