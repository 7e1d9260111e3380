#!/bin/bash
# Run one command inside a throwaway VM whose kernel has IPVS (see prepare.sh) and return its exit code.
#   scripts/ipvs-vm/run.sh CMD [ARG...]        e.g. run.sh node dist-test/ipvs-vm/run.js
# The command runs as root in the project directory (shared read-write at its own path), over the
# host's / (read-only, a tmpfs overlay on top), with ip_vs and its schedulers loaded and lo up.
# No network card (-nic none). The VM's console (the command's output) goes to stdout.
# Exit code: the command's; 124 if the time limit ($KTS_VM_TIMEOUT s, default 240) ran out; 125 if
# the VM could not start or did not report one. Never "skipped".
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=${KTS_VM_PROJECT:-$(cd "$SCRIPT_DIR/../.." && pwd)}
CACHE=${KTS_VM_CACHE:-/var/cache/keepalived-ts-vm}
TIMEOUT=${KTS_VM_TIMEOUT:-240}
MEM=${KTS_VM_MEM:-2048}

(($# > 0)) || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }
"$SCRIPT_DIR/prepare.sh" >&2 || { echo "run.sh: prepare.sh failed" >&2; exit 125; }
KVER=$(cut -d' ' -f1 "$CACHE/ready")

RESULT=$(mktemp -d /tmp/kts-ipvs-vm-XXXXXX)
trap 'rm -rf "$RESULT"' EXIT
# The command, quoted word by word, as a script the VM's init runs.
{
  printf 'cd %q || exit 126\n' "$PWD"
  printf '%q ' "$@"; printf '\n'
} > "$RESULT/cmd"

virtfs() { echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap${3:+,$3}"; }
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 \
  -accel tcg -cpu max -smp 1 -m "$MEM" -nographic -nic none -no-reboot \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet loglevel=1 panic=-1 kts_project=$PROJECT kts_cache=$CACHE kts_kver=$KVER" \
  -virtfs "$(virtfs / hostroot readonly=on)" \
  -virtfs "$(virtfs "$PROJECT" project)" \
  -virtfs "$(virtfs "$RESULT" result)" </dev/null
qemu_rc=$?
if [[ -f "$RESULT/rc" ]]; then
  rc=$(tr -dc '0-9' < "$RESULT/rc")
  exit "${rc:-125}"
fi
if ((qemu_rc == 124)); then echo "run.sh: the VM ran out of its ${TIMEOUT}s" >&2; exit 124; fi
echo "run.sh: the VM did not report an exit code (qemu exit $qemu_rc)" >&2
exit 125
