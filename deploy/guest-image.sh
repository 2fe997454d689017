#!/usr/bin/env bash
# Builds Vireo's tiny demo and test guest from Debian packages only:
#   vmlinuz     the kernel of Debian's linux-image-6.*-amd64 (not installed: extracted from the .deb)
#   initrd.img  a busybox-static initramfs (cpio newc + gzip) whose /init prints
#               "VIREO-GUEST-BOOTED hostname=..." on the serial console, then a heartbeat line every
#               second, and powers off on the ACPI power button (button.ko, evdev.ko, busybox acpid); with a
#               virtio disk attached (the virtio modules are in it) it counts its boots in the disk's first
#               bytes and prints "VIREO-GUEST-BOOTCOUNT n=..." before the BOOTED line; with dirtymem=N on the
#               cmdline it rewrites an N MiB buffer in its RAM without pause ("VIREO-GUEST-DIRTYING mib=N")
#   disk.qcow2  a tiny empty qcow2 data disk, to attach as spec.disks[].image
# Boot it with spec.boot {kernel: <dir>/vmlinuz, initrd: <dir>/initrd.img, cmdline: "console=ttyS0"}
# (add "hostname=NAME" to the cmdline to name the guest).
#
#   deploy/guest-image.sh [OUT_DIR]     # default vireo-data/images (the images dir of `bin/vireo up`)
#
# Idempotent: does nothing when the outputs exist and are newer than this script. Downloads are cached
# in OUT_DIR/.cache. Needs apt-get, dpkg-deb and qemu-img; runs as root or as a user.
set -euo pipefail

script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
out="${1:-vireo-data/images}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
outputs=("$out/vmlinuz" "$out/initrd.img" "$out/disk.qcow2")

up_to_date=yes
for f in "${outputs[@]}"; do
  if [ ! -f "$f" ] || [ ! "$f" -nt "$script" ]; then up_to_date=no; fi
done
if [ "$up_to_date" = yes ]; then
  echo "guest-image: $out/{vmlinuz,initrd.img,disk.qcow2} are up to date; nothing to do"
  exit 0
fi

for tool in apt-get apt-cache dpkg-deb qemu-img gzip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "guest-image: $tool is missing; on Debian: apt-get install --no-install-recommends qemu-utils (qemu-img)," \
      "apt and dpkg come with the system" >&2
    exit 1
  fi
done

started=$(date +%s)
cache="$out/.cache"
mkdir -p "$cache"

# The newest versioned kernel package that linux-image-amd64 points at, e.g. linux-image-6.1.0-28-amd64.
kernel_pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6\.[^ ]*-amd64/ {print $2; exit}')"
if [ -z "$kernel_pkg" ]; then
  cached="$(ls "$cache"/linux-image-6.*-amd64_*.deb 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$cached" ]; then
    echo "guest-image: apt does not know linux-image-amd64 (run apt-get update as root) and nothing is cached in $cache" >&2
    exit 1
  fi
  kernel_pkg="$(basename "$cached" | cut -d_ -f1)"
fi

# Fetches a package's .deb into the cache (once) and prints its path.
fetch() {
  local pkg="$1" deb
  deb="$(ls "$cache/${pkg}"_*.deb 2>/dev/null | sort -V | tail -1 || true)"
  if [ -n "$deb" ]; then
    echo "guest-image: using cached $(basename "$deb")" >&2
    echo "$deb"
    return
  fi
  echo "guest-image: downloading $pkg (apt-get download)" >&2
  if ! (cd "$cache" && apt-get download -q "$pkg" >&2 2>"$cache/apt.err"); then
    if [ "$(id -u)" = 0 ]; then
      echo "guest-image: apt-get download failed; running apt-get update and retrying" >&2
      apt-get update -qq >&2
      (cd "$cache" && apt-get download -q "$pkg" >&2)
    else
      cat "$cache/apt.err" >&2
      echo "guest-image: could not download $pkg; as root run: apt-get update" >&2
      exit 1
    fi
  fi
  ls "$cache/${pkg}"_*.deb | sort -V | tail -1
}

kernel_deb="$(fetch "$kernel_pkg")"
busybox_deb="$(fetch busybox-static)"

work="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Only the kernel, the two modules the ACPI power button needs and the virtio ones a disk needs; the full
# package is ~400 MB unpacked.
mkdir -p "$work/kernel"
dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$work/kernel" --wildcards \
  './boot/vmlinuz-*' '*/kernel/drivers/acpi/button.ko*' '*/kernel/drivers/input/evdev.ko*' \
  '*/kernel/drivers/virtio/virtio.ko*' '*/kernel/drivers/virtio/virtio_ring.ko*' \
  '*/kernel/drivers/virtio/virtio_pci*.ko*' '*/kernel/drivers/block/virtio_blk.ko*'
vmlinuz="$(ls "$work"/kernel/boot/vmlinuz-* | head -1)"
kernel_version="${vmlinuz##*/vmlinuz-}"

mkdir -p "$work/busybox"
dpkg-deb --fsys-tarfile "$busybox_deb" | tar -x -C "$work/busybox" ./bin/busybox
busybox="$work/busybox/bin/busybox"

root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc/acpi/PWRF,lib/modules}
cp "$busybox" "$root/bin/busybox"
for m in button evdev virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  ko="$(find "$work/kernel" -name "$m.ko*" | head -1)"
  if [ -z "$ko" ]; then
    echo "guest-image: $m.ko is not in $kernel_pkg" >&2
    exit 1
  fi
  case "$ko" in
    *.ko.xz) xz -dc "$ko" >"$root/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$ko" >"$root/lib/modules/$m.ko" ;;
    *) cp "$ko" "$root/lib/modules/$m.ko" ;;
  esac
done

cat >"$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "VIREO-GUEST-POWEROFF acpi power button"
poweroff -f
EOF
chmod 755 "$root/etc/acpi/PWRF/00000080"

# The kernel passes unknown "name=value" cmdline parameters to /init as environment variables: hostname=web-1.
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# the kernel itself takes hostname=NAME from the cmdline (Linux 5.19+)
[ "$(hostname)" = "(none)" ] && hostname vireo-guest
insmod /lib/modules/button.ko
insmod /lib/modules/evdev.ko
# devtmpfs makes device nodes asynchronously: acpid opens only the /dev/input/event* present when it starts
i=0
while [ "$(ls /sys/class/input | grep -c '^event')" != "$(ls /dev/input 2>/dev/null | grep -c '^event')" ] && [ $i -lt 50 ]; do
  sleep 0.1; i=$((i + 1))
done
acpid -c /etc/acpi -l /tmp/acpid.log
# a boot counter in the first 16 bytes of the first virtio disk, if there is one (snapshot and restore tests)
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  insmod /lib/modules/$m.ko 2>/dev/null
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 20 ] && [ -d /sys/bus/virtio/devices ] && ls /sys/bus/virtio/devices | grep -q .; do
  sleep 0.1; i=$((i + 1))
done
if [ -b /dev/vda ]; then
  boots=$(dd if=/dev/vda bs=16 count=1 2>/dev/null | tr -dc 0-9)
  boots=$(( ${boots:-0} + 1 ))
  printf '%-15s\n' "$boots" | dd of=/dev/vda bs=16 count=1 conv=notrunc,fsync 2>/dev/null
  sync
  echo "VIREO-GUEST-BOOTCOUNT n=$boots"
fi
echo "VIREO-GUEST-BOOTED hostname=$(hostname) kernel=$(uname -r)"
# dirtymem=N on the cmdline (migration benchmarks): a background loop rewrites an N MiB buffer in the guest's
# RAM (a file in the initramfs' own RAM filesystem) without pause, one MiB of random bytes at a time, so that a
# live migration has pages dirtied faster than it copies them
case "${dirtymem:-}" in
  ''|*[!0-9]*) ;;
  *)
    dd if=/dev/urandom of=/tmp/dirty-pattern bs=1M count=1 2>/dev/null
    (
      while true; do
        i=0
        while [ $i -lt "$dirtymem" ]; do
          dd if=/tmp/dirty-pattern of=/tmp/dirty-buffer bs=1M seek=$i count=1 conv=notrunc 2>/dev/null
          i=$((i + 1))
        done
      done
    ) &
    echo "VIREO-GUEST-DIRTYING mib=$dirtymem"
    ;;
esac
n=0
while true; do
  n=$((n + 1))
  echo "VIREO-GUEST-HEARTBEAT n=$n uptime=$(cut -d' ' -f1 /proc/uptime)"
  sleep 1
done
EOF
chmod 755 "$root/init"

(cd "$root" && find . | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 >"$work/initrd.img"

cp "$vmlinuz" "$work/vmlinuz"
qemu-img create -q -f qcow2 "$work/disk.qcow2" 16M
for f in vmlinuz initrd.img disk.qcow2; do
  mv -f "$work/$f" "$out/$f"
done
chmod 644 "${outputs[@]}"

echo "guest-image: built in $(( $(date +%s) - started )) s into $out from $(basename "$kernel_deb") and $(basename "$busybox_deb"):"
echo "  vmlinuz     $(du -h "$out/vmlinuz" | cut -f1)  kernel $kernel_version"
echo "  initrd.img  $(du -h "$out/initrd.img" | cut -f1)  busybox /init, prints VIREO-GUEST-BOOTED on ttyS0"
echo "  disk.qcow2  $(du -h "$out/disk.qcow2" | cut -f1)  empty 16 MiB qcow2 data disk"
