#!/usr/bin/env bash
# Fuzzes the code that reads untrusted input (src-tauri/core/fuzz): each target in turn, one
# process on one core, for SECONDS_PER_TARGET seconds. Prints executions and crashes per target,
# rewrites src-tauri/core/fuzz/RESULTS.md, and exits non-zero if any target crashed.
#
#   bash tests/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (npm run fuzz -- 60)
#   bash tests/fuzz.sh minimize [TARGET...]
#
# SECONDS_PER_TARGET defaults to 600; TARGET defaults to all of them. `minimize` fuzzes nothing:
# it merges what earlier runs found (work/) into the committed corpus with `cargo fuzz cmin`.
# FUZZ_SANITIZER=none builds without AddressSanitizer (faster, catches less).
#
# cargo-fuzz passes nightly-only flags to rustc (-Z sanitizer, coverage instrumentation). Only a
# stable toolchain is available here, so RUSTC_BOOTSTRAP=1 lets it accept them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
fuzz_dir="$root/src-tauri/core/fuzz"
all_targets=(callback_url token_response profile dates)

mode=fuzz
seconds="${1:-600}"
if [ "$seconds" = minimize ]; then mode=minimize; fi
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
# 0 is not allowed: libFuzzer reads -max_total_time=0 as "no limit".
if [ "$mode" = fuzz ] && { [[ ! "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; }; then
  echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...] | $0 minimize [TARGET...]" >&2
  exit 2
fi
for target in "${targets[@]}"; do
  [ -f "$fuzz_dir/fuzz_targets/$target.rs" ] || { echo "unknown fuzz target: $target" >&2; exit 2; }
done

# Largest input per target. Callback URLs: past the parser's 8 KiB limit, so both sides of it are
# tried. Bodies: 16 KiB holds the largest real answer (a token pair is about 2 KiB) eight times
# over; the 256 KiB cap of the HTTP client is not in these parsers, and longer inputs only make
# every execution slower without reaching new code.
# Dates: a header line and a status file, which is under 1 KiB as Kanka Link writes it.
max_len() {
  case "$1" in
    callback_url) echo 10240 ;;
    dates) echo 4096 ;;
    *) echo 16384 ;;
  esac
}
dict() {
  case "$1" in
    callback_url) echo "$fuzz_dir/dicts/callback_url.dict" ;;
    dates) echo "$fuzz_dir/dicts/dates.dict" ;;
    *) echo "$fuzz_dir/dicts/json.dict" ;;
  esac
}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "Installing cargo-fuzz…"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-address}"
# Never the workspace's target dir, even if CARGO_TARGET_DIR is set: other flags, other builds.
cargo_fuzz_opts=(--fuzz-dir "$fuzz_dir" --target-dir "$fuzz_dir/target" --sanitizer "$sanitizer")

echo "Building the fuzz targets (sanitizer: $sanitizer)…"
(cd "$fuzz_dir" && cargo fuzz build "${cargo_fuzz_opts[@]}")

if [ "$mode" = minimize ]; then
  mkdir -p "$fuzz_dir/logs"
  for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    mkdir -p "$corpus" "$fuzz_dir/work/$target"
    before=$(find "$corpus" -type f | wc -l)
    # Names are content hashes, so a file in both places is the same input.
    find "$fuzz_dir/work/$target" -maxdepth 1 -type f -exec cp -n -t "$corpus" {} + 2>/dev/null || true
    # Smallest set of inputs that still reaches every edge: a plain merge keeps every input
    # that adds an edge hit count (thousands of files); a set cover of edges keeps a few hundred.
    (cd "$fuzz_dir" && cargo fuzz cmin "${cargo_fuzz_opts[@]}" "$target" "$corpus" \
      -- -set_cover_merge=1 -use_counters=0 -max_len="$(max_len "$target")") >"$fuzz_dir/logs/$target.cmin.log" 2>&1
    echo "$target: corpus/$target $before -> $(find "$corpus" -type f | wc -l) files," \
      "$(du -sh --apparent-size "$corpus" | cut -f1) (log: logs/$target.cmin.log)"
  done
  echo "Empty work/ once the new corpus is committed: rm -rf ${fuzz_dir#"$root"/}/work"
  exit 0
fi

mkdir -p "$fuzz_dir/logs"
nproc_count="$(nproc)"
cpu_model="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
cpu_model="${cpu_model:-unknown CPU}"
rows=()
crash_notes=()
failed=0

stat_of() { # stat_of LOG NAME: a value of libFuzzer's -print_final_stats=1 lines
  grep -a "^stat::$2:" "$1" | tail -n1 | awk '{print $2}' || true
}

for target in "${targets[@]}"; do
  # Runs read the committed corpus and the seeds, and write what they find to work/ (ignored by
  # git), so a run never changes committed files; `fuzz.sh minimize` merges the finds back.
  work="$fuzz_dir/work/$target"
  mkdir -p "$work" "$fuzz_dir/corpus/$target" "$fuzz_dir/artifacts/$target"
  log="$fuzz_dir/logs/$target.log"
  libfuzzer_opts=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -dict="$(dict "$target")"
    -timeout=10 -rss_limit_mb=1024 -print_final_stats=1)
  shown="RUSTC_BOOTSTRAP=1 cargo fuzz run $target work/$target corpus/$target seeds/$target -- ${libfuzzer_opts[*]//$fuzz_dir\//}"
  echo
  echo "== $target: $seconds s (log: ${log#"$root"/})"
  echo "   $shown"
  started="$(date +%s)"
  : >"$log" # exists before `tail` looks for it
  set +e
  (cd "$fuzz_dir" && cargo fuzz run "${cargo_fuzz_opts[@]}" "$target" \
    "$work" "$fuzz_dir/corpus/$target" "$fuzz_dir/seeds/$target" -- "${libfuzzer_opts[@]}") >>"$log" 2>&1 &
  run=$!
  # Progress: libFuzzer's periodic "pulse" lines.
  tail -n +1 -f "$log" --pid="$run" 2>/dev/null | grep -a --line-buffered -E '^#[0-9]+.*(pulse|INITED)' &
  shower=$!
  wait "$run"
  status=$?
  wait "$shower" 2>/dev/null
  set -e
  elapsed=$(($(date +%s) - started))

  execs="$(stat_of "$log" number_of_executed_units)"
  rate="$(stat_of "$log" average_exec_per_sec)"
  # No "corp:" line when a seed crashes while the corpus loads.
  corpus="$(grep -a -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n1 | cut -d' ' -f2 || true)"
  # crash-, oom-, timeout- and leak- files stop the run; slow-unit- files only note a slow input.
  mapfile -t found < <(grep -a -oE 'Test unit written to [^ ]+' "$log" | awk '{print $5}' |
    grep -E '/(crash|oom|timeout|leak)-[^/]*$' || true)
  crashes=${#found[@]}
  if [ "$status" != 0 ] && [ "$crashes" = 0 ]; then
    crashes="error (exit $status)" # a build or setup failure: no libFuzzer verdict
  fi
  echo "   executions: ${execs:-?}  exec/s: ${rate:-?}  corpus: ${corpus:-?}  crashes: $crashes  (${elapsed}s)"
  if [ "$status" != 0 ]; then
    failed=1
    for artifact in "${found[@]}"; do echo "   reproducer: ${artifact#"$root"/}"; done
    grep -a -m1 -A12 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$log" | sed 's/^/   | /' || true
    what="$(grep -a -m1 -A1 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$log" | tr -s '\n\t' '  ' || true)"
    for artifact in "${found[@]}"; do
      crash_notes+=("- \`$target\`: \`${artifact#"$fuzz_dir"/}\` (not committed; keep it in regressions/$target/). ${what:-see the log}")
    done
    [ ${#found[@]} -gt 0 ] || crash_notes+=("- \`$target\`: the run failed without a libFuzzer verdict (exit $status); see logs/$target.log.")
    echo "   full output: ${log#"$root"/}"
  fi
  rows+=("| \`$target\` | ${execs:-?} | ${rate:-?} | ${corpus:-?} | $crashes | ${elapsed} s | $(date -u +%Y-%m-%d) | \`$shown\` |")
done

# Targets not run this time keep their rows and crash notes from the previous results.
results="$fuzz_dir/RESULTS.md"
for target in "${all_targets[@]}"; do
  [[ " ${targets[*]} " == *" $target "* ]] && continue
  [ -f "$results" ] || continue
  while IFS= read -r line; do rows+=("$line"); done < <(grep -F "| \`$target\` |" "$results" || true)
  while IFS= read -r line; do crash_notes+=("$line"); done < <(grep -F -- "- \`$target\`: " "$results" || true)
done

{
  echo "# Fuzzing results"
  echo
  echo "Written by \`tests/fuzz.sh\` (\`npm run fuzz\`); see README.md. Executions and exec/s are"
  echo "libFuzzer's final stats (\`stat::number_of_executed_units\`, \`stat::average_exec_per_sec\`);"
  echo "corpus is units/size at the end of the run, counting the committed corpus, the seeds and what"
  echo "the run added. A run of some targets keeps the other rows, so rows may come from different"
  echo "runs (see their dates). Paths in the command are relative to \`src-tauri/core/fuzz\`. The bugs"
  echo "fuzzing has found so far are listed under Findings in README.md."
  echo
  echo "- Machine: $nproc_count CPUs ($cpu_model), one fuzzing process on one core"
  echo "- Toolchain: $(rustc --version) with RUSTC_BOOTSTRAP=1, $(cargo fuzz --version), sanitizer: $sanitizer"
  echo
  echo "| target | executions | exec/s | corpus | crashes | duration | date | command |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
  for target in "${all_targets[@]}"; do
    for row in "${rows[@]}"; do [[ "$row" != "| \`$target\` |"* ]] || echo "$row"; done
  done
  if [ ${#crash_notes[@]} -gt 0 ]; then
    echo
    echo "## Crashes"
    echo
    echo "libFuzzer stops a target at its first crash, so its executions above end there."
    echo "Reproduce one with \`RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET FILE\` (see README.md)."
    echo
    printf '%s\n' "${crash_notes[@]}"
  fi
} >"$results.new"
mv "$results.new" "$results"
echo
echo "Results: ${fuzz_dir#"$root"/}/RESULTS.md"
exit "$failed"
