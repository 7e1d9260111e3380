#!/bin/bash
# The IPVS tests on a real kernel: bundle test/ipvs-vm/*.vmtest.ts to plain JavaScript on the host
# (node runs 15-20x slower inside the VM, so nothing is compiled there), boot the VM and run them.
# Prints the VM's console; the last line of the tests is "N passed, N failed". Exit code: the tests'.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$PROJECT"
OUT=dist/ipvs-vm
mkdir -p "$OUT"
files=(test/ipvs-vm/*.vmtest.ts)
for f in "${files[@]}"; do
  node_modules/.bin/esbuild "$f" --bundle --platform=node --format=esm --target=node20 \
    --external:netlink --log-level=warning --outfile="$OUT/$(basename "${f%.ts}").mjs"
done
# One VM boot for all files: each prints its own "N passed, N failed"; any failure fails the run.
cmd='rc=0; for f in '"$OUT"'/*.vmtest.mjs; do echo "=== $f"; node "$f" || rc=1; done; exit $rc'
exec "$SCRIPT_DIR/run.sh" bash -c "$cmd"
