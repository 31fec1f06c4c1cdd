#!/usr/bin/env bash
# make dev: the whole pipeline locally, in the foreground until Ctrl-C.
#   moto (AWS) <- resources created from template.yaml
#   cargo lambda watch (the Lambda emulator) running the ingest, processor and redrive binaries
#   fanfare-webhooks local-mapping: the SQS event-source mapping and the redrive schedule
# Ports and the secret can be overridden: MOTO_PORT, LAMBDA_PORT, FANFARE_DEV_SECRET, DEV_STATE_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.venv"
cd "$here"
export PATH="$venv/bin:$PATH"
moto_port="${MOTO_PORT:-5055}"
lambda_port="${LAMBDA_PORT:-9000}"
secret="${FANFARE_DEV_SECRET:-whsec_dev}"
state="${DEV_STATE_DIR:-$here/.dev}"
watch_flags=(${DEV_WATCH_FLAGS:-})
mkdir -p "$state"

pids=()
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  for pid in "${pids[@]}"; do kill_tree "$pid"; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$moto_port" "$lambda_port"; do
  port_free "$p" || { echo "port $p is in use (set MOTO_PORT / LAMBDA_PORT)" >&2; exit 1; }
done

endpoint="http://127.0.0.1:$moto_port"
# The one launcher: stops here, loudly, when moto never answers.
moto_pid="$(python "$here/scripts/moto_launch.py" 127.0.0.1 "$moto_port" "$state/moto.log")" \
  || { echo "dev: moto did not start; see $state/moto.log" >&2; exit 1; }
pids+=("$moto_pid")

# DEV_EXTRA_ENV: more KEY=VALUE pairs for the functions (the fixture run pins the clock with it).
python "$here/scripts/dev_resources.py" "$state/functions.env" "$endpoint" "$secret" \
  REDRIVE_MIN_AGE_SECONDS="${REDRIVE_MIN_AGE_SECONDS:-60}" RUST_LOG="${RUST_LOG:-info}" ${DEV_EXTRA_ENV:-}

echo "Building the functions and the CLI..." >&2
cargo build --quiet --bin ingest --bin processor --bin redrive --bin fanfare-webhooks

(cd "$here" && cargo lambda watch --quiet -A 127.0.0.1 -P "$lambda_port" "${watch_flags[@]}" \
  --env-file "$state/functions.env" >"$state/lambda.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$lambda_port") 2>/dev/null && break
  sleep 0.2
done

webhook_url="http://127.0.0.1:$lambda_port/lambda-url/ingest/webhooks/fanfare"
cat <<INFO
Webhook URL: $webhook_url
AWS endpoint: $endpoint
Signing secret: $secret
Function logs: $state/lambda.log
Send events from another terminal:  target/debug/fanfare-webhooks send events/http/queue_admitted_scheme_b_200.json
Processed events:
INFO

if [ -n "${DEV_NO_MAPPING:-}" ]; then
  while true; do sleep 3600 & wait $!; done
fi
set -a; source "$state/functions.env"; set +a
"$here/target/debug/fanfare-webhooks" local-mapping --lambda-url "http://127.0.0.1:$lambda_port" \
  --redrive-every "${REDRIVE_EVERY_SECONDS:-60}" &
pids+=($!)
wait "${pids[-1]}"
