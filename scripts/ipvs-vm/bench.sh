#!/bin/bash
# Benchmark IPVS programming inside the VM: our adapter against `ipvsadm -R` (bench-program.ts).
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$SCRIPT_DIR/../.."
mkdir -p dist/ipvs-vm
node_modules/.bin/esbuild scripts/ipvs-vm/bench-program.ts --bundle --platform=node --format=esm --target=node20 \
  --external:netlink --log-level=warning --outfile=dist/ipvs-vm/bench-program.mjs
exec "$SCRIPT_DIR/run.sh" node dist/ipvs-vm/bench-program.mjs
