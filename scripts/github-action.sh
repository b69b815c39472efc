#!/usr/bin/env bash
# Entry of the GitHub Action (action.yml): `asyncgraph run` around the step's command. With
# GITHUB_STEP_SUMMARY set (as on every Actions runner), `run` appends its report to the job summary
# and prints `::error` annotations for the stuck awaits (src/cli/tree-output.ts); the exit status
# is the command's own, or 124 when asyncgraph stopped it. Inputs come as INPUT_* variables.
set -euo pipefail

action_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${INPUT_COMMAND:-}" ]]; then
  echo "asyncgraph: the action needs a command (with: command: npm test)" >&2
  exit 2
fi

# A checkout of the action's repository has no dist/: build it once (a published package has it).
if [[ ! -f "$action_dir/dist/cli/asyncgraph.js" ]]; then
  echo "::group::asyncgraph: npm ci && npm run build"
  (cd "$action_dir" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent) >&2
  echo "::endgroup::"
fi

args=(run)
if [[ -n "${INPUT_TIMEOUT:-}" ]]; then args+=(--timeout "$INPUT_TIMEOUT"); fi
if [[ -n "${INPUT_JSON_OUT:-}" ]]; then args+=(--json-out "$INPUT_JSON_OUT"); fi
extra=()
if [[ -n "${INPUT_ARGS:-}" ]]; then read -r -a extra <<<"$INPUT_ARGS"; fi

# The command as a `run:` step would run it. exec: signals (a cancelled job) reach asyncgraph.
exec node "$action_dir/bin/asyncgraph.js" "${args[@]}" "${extra[@]}" -- bash -e -o pipefail -c "$INPUT_COMMAND"
