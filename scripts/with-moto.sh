#!/usr/bin/env bash
# Runs a command with moto_server listening on a free loopback port, then stops moto.
# The command sees MOTO_ENDPOINT (and AWS_* variables pointing the SDK at moto).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.venv"
# MOTO_HOST/MOTO_PORT pin the address (sam local's containers reach moto at a fixed one); by default a
# free loopback port.
host="${MOTO_HOST:-127.0.0.1}"
port="${MOTO_PORT:-$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}"
log="${MOTO_LOG:-$here/target/moto-$port.log}"
mkdir -p "$(dirname "$log")"
# Started by the one launcher, which fails loudly when moto never answers.
moto_pid="$("$venv/bin/python" "$here/scripts/moto_launch.py" "$host" "$port" "$log")"
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT INT TERM
export MOTO_ENDPOINT="http://$host:$port"
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
echo "moto_server on $MOTO_ENDPOINT (log: $log)" >&2
"$@"
