#!/usr/bin/env bash
# make test: every check, then one closing line with the totals of all test binaries.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
mkdir -p target
log="target/test-output.log"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
scripts/with-moto.sh cargo test --workspace 2>&1 | tee "$log"
cfn-lint template.yaml
echo "cfn-lint: template.yaml clean"

awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
