#!/usr/bin/env bash
# make fuzz: runs each cargo-fuzz target for FUZZ_SECONDS (default 120) and prints its executions.
# Uses the nightly toolchain rustup has, if any; otherwise stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz
# passes unstable -Z flags). Fails when a target crashes; the crash input is left in
# fuzz/artifacts/<target>/ to be turned into a regression test.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here/fuzz"
export PATH="$here/.tools/bin:$PATH"
seconds="${FUZZ_SECONDS:-120}"
targets="${FUZZ_TARGETS:-signature_header envelope ingest_handler processor_record redaction}"

if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
  echo "fuzz: nightly toolchain ($(rustup run nightly rustc --version))"
else
  toolchain=()
  export RUSTC_BOOTSTRAP=1
  echo "fuzz: no nightly toolchain; stable with RUSTC_BOOTSTRAP=1"
fi

# Seeds: the fixtures' bodies (those within -max_len), so the fuzzer starts from real Fanfare events.
mkdir -p corpus/envelope
python3 - <<'PY'
import glob, json, hashlib, os
for path in glob.glob("../events/http/*.json"):
    body = json.load(open(path)).get("body") or ""
    data = body.encode()
    if len(data) > 4096:
        continue
    for target in ("envelope",):
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join("corpus", target, name), "wb") as f:
            f.write(data)
PY

status=0
summary=()
for target in $targets; do
  log="$(mktemp)"
  # -s none: safe Rust needs no AddressSanitizer, and it runs several times faster without it.
  # -a: debug assertions, so overflows panic as they would in a debug build.
  # -close_fd_mask=1: the targets' stdout (EMF metric lines) is noise; crash reports go to stderr.
  if cargo "${toolchain[@]}" fuzz run -s none -a "$target" -- \
      -max_total_time="$seconds" -max_len=4096 -close_fd_mask=1 -print_final_stats=1 >"$log" 2>&1; then
    outcome="0 crashes"
  else
    outcome="CRASHED (see fuzz/artifacts/$target)"
    status=1
    tail -40 "$log"
  fi
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)"
  summary+=("$target: ${execs:-?} executions in ${seconds}s, $outcome")
  rm -f "$log"
done
printf '%s\n' "${summary[@]}"
exit "$status"
