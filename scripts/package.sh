#!/usr/bin/env bash
# make package: every function built once, for arm64 (provided.al2023), each bootstrap zipped,
# then every artifact checked (scripts/check-artifacts.sh).
#
# `FUNCTIONS="get-product update-stock" make package` builds only those (each artifact is checked
# the same way); by default, every folder under functions/.
#
# One cargo invocation for all the functions: they share every dependency, so each is compiled
# once and the per-binary LTO links run in parallel. `sam build` runs one `cargo lambda build`
# per function instead, one after another; after this, each of those finds its binary fresh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
functions=${FUNCTIONS:-$(ls functions)}
args=()
for f in $functions; do args+=(-p "$f"); done
started=$(date +%s)
cargo lambda build --release --arm64 --output-format zip --timings "${args[@]}"
echo "built $(echo "$functions" | wc -w) functions in $(( $(date +%s) - started )) s"
scripts/check-artifacts.sh
