#!/bin/bash
# Prepare a throwaway VM with a kernel that has IPVS (this host's kernel has none): Debian's
# linux-image-amd64 under QEMU TCG, a tiny busybox initramfs, the host's / shared read-only over
# virtio-9p. Idempotent: everything is cached under $KTS_VM_CACHE (default /var/cache/keepalived-ts-vm)
# and a second run that finds the cache complete does nothing.
#
# Needs root (apt-get). Prints the cache directory's layout at the end.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${KTS_VM_CACHE:-/var/cache/keepalived-ts-vm}
STAMP="$CACHE/ready"
# Modules the initramfs loads before it can mount anything (virtio transport, 9p, overlay); the
# rest (ip_vs and its schedulers) are modprobe'd from the full module tree once / is mounted.
EARLY_MODULES="virtio_pci 9pnet_virtio 9p overlay"
# The stamp names the init script's content: editing init rebuilds the initramfs.
INIT_SUM=$(sha256sum "$SCRIPT_DIR/init" | cut -c1-16)

if [[ -f "$STAMP" && -f "$CACHE/vmlinuz" && -f "$CACHE/initramfs.cpio.gz" ]] && grep -q "init=$INIT_SUM" "$STAMP"; then
  echo "prepare: cache complete in $CACHE ($(cat "$STAMP"))"
  exit 0
fi

need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
[[ -x /bin/busybox && "$(file -b /bin/busybox 2>/dev/null || true)" == *static* ]] || dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
command -v ipvsadm >/dev/null || need_pkgs+=(ipvsadm)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v depmod >/dev/null || need_pkgs+=(kmod)
command -v cpio >/dev/null || need_pkgs+=(cpio)
if ((${#need_pkgs[@]})); then
  echo "prepare: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
BUSYBOX=$(command -v busybox)

mkdir -p "$CACHE"
cd "$CACHE"

# The kernel: linux-image-amd64 is a metapackage; its real, versioned dependency holds the kernel.
# Its exact version is not pinned (whatever the archive has today).
if [[ ! -d root/boot ]] || ! ls root/boot/vmlinuz-* >/dev/null 2>&1; then
  rm -rf debs root && mkdir -p debs root
  real=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [[ -z "$real" ]]; then apt-get update -qq; real=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'); fi
  [[ -n "$real" ]] || { echo "prepare: cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }
  echo "prepare: downloading $real"
  (cd debs && apt-get download "$real" >/dev/null)
  for d in debs/*.deb; do dpkg-deb -x "$d" root; done
fi
KVER=$(ls root/lib/modules | head -n1)
[[ -n "$KVER" ]] || { echo "prepare: no module tree in $CACHE/root" >&2; exit 1; }
depmod -b "$CACHE/root" "$KVER"
cp "root/boot/vmlinuz-$KVER" vmlinuz

# The initramfs: busybox, the early modules (uncompressed, in dependency order) and /init.
rm -rf initramfs && mkdir -p initramfs/{bin,dev,proc,sys,mnt,newroot,lib/early,ro,rw,share}
cp "$BUSYBOX" initramfs/bin/busybox
: > initramfs/lib/early/order
for m in $EARLY_MODULES; do modprobe -d "$CACHE/root" -S "$KVER" --show-depends "$m"; done | awk '$1 == "insmod" {print $2}' |
  while read -r ko; do
    base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}
    grep -qx "$base" initramfs/lib/early/order && continue
    case "$ko" in
      *.xz) xz -dc "$ko" > "initramfs/lib/early/$base" ;;
      *.zst) zstd -qdc "$ko" > "initramfs/lib/early/$base" ;;
      *) cp "$ko" "initramfs/lib/early/$base" ;;
    esac
    echo "$base" >> initramfs/lib/early/order
  done
cp "$SCRIPT_DIR/init" initramfs/init
chmod +x initramfs/init
(cd initramfs && find . | cpio -o -H newc --quiet | gzip -1 > ../initramfs.cpio.gz)
echo "$KVER init=$INIT_SUM $(date -u +%FT%TZ)" > "$STAMP"
echo "prepare: ready: kernel $KVER, early modules: $(tr '\n' ' ' < initramfs/lib/early/order)"
