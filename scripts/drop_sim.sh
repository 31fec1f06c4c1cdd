#!/usr/bin/env bash
# make drop-sim: the model checked against moto (its agreement printed, never a reason to withhold
# the figures), then the profile on a new stack with the template's defaults and on a warmed one,
# at each handler latency, two at a time (the machine's two cores).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
profile="${DROP_PROFILE:-profiles/default.json}"
out=target/drop-sim
mkdir -p "$out"
cargo build --release -p fanfare-integration-tests --bin drop_sim || exit 1
sim=target/release/drop_sim
if ! scripts/with-moto.sh "$sim" --check; then
  echo "drop-sim: the model and moto differ beyond the bounds above; the simulation's figures follow all the same"
fi
status=0
runs=()
for stack in ${DROP_STACKS:-new warmed}; do
  for ms in ${HANDLER_MS:-0 50}; do runs+=("$stack:$ms"); done
done
pids=()
for run in "${runs[@]}"; do
  stack="${run%%:*}" ms="${run##*:}"
  # shellcheck disable=SC2086
  "$sim" --profile "$profile" --stack "$stack" --handler-ms "$ms" \
    --svg "$out/plot-$stack-$ms-ms.svg" ${DROP_SIM_ARGS:-} >"$out/report-$stack-$ms-ms.txt" 2>&1 &
  pids+=("$!")
  if (( ${#pids[@]} == 2 )); then
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
    pids=()
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for run in "${runs[@]}"; do
  stack="${run%%:*}" ms="${run##*:}"
  echo; cat "$out/report-$stack-$ms-ms.txt"
done
exit $status
