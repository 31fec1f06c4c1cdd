#!/usr/bin/env bash
# A handler kept in the brand's own repository (`fanfare-webhooks new-handler`), built against this
# checkout: the three functions build with it, and its crate graph holds one TLS stack. It shares
# this workspace's target folder and lock file, so it compiles only the brand's crate and fanfare-shared.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
dir="target/out-of-tree-handler"
rm -rf "$dir"
cargo build --quiet -p fanfare-webhooks-cli
target/debug/fanfare-webhooks new-handler "$dir" --path shared
cp Cargo.lock "$dir/"
CARGO_TARGET_DIR="$here/target" cargo build --offline --quiet --manifest-path "$dir/Cargo.toml" --bins
python3 scripts/check_tls.py --manifest-path "$dir/Cargo.toml" --offline
for binary in ingest processor redrive; do
  test -x "target/debug/$binary" || { echo "out-of-tree: no $binary binary" >&2; exit 1; }
done
grep -q 'Binary: processor' "$dir/template.yaml"
echo "out-of-tree handler: built its ingest, processor and redrive against fanfare-shared $(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)"
