#!/usr/bin/env bash
# Builds the node runtime's throwaway test guest from Debian packages into DIR (default
# /var/tmp/vireo-test-guest): vmlinuz + initrd.img (busybox-static, virtio_blk, ACPI power button).
# The guest prints "VIREO-TEST-GUEST booted", bumps a boot counter in the first 16 bytes of /dev/vda
# (when it has a disk) and prints it, answers the ACPI power button with poweroff, then heartbeats.
# Idempotent: an existing DIR/initrd.img is kept. Needs apt-get download, dpkg-deb, gzip and
# /bin/busybox from busybox-static (its cpio packs the initramfs).
set -euo pipefail
dir="${1:-/var/tmp/vireo-test-guest}"
[ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ] && exit 0

busybox=/bin/busybox
if ! { ldd "$busybox" 2>&1 || true; } | grep -q 'not a dynamic'; then
  echo "build-test-guest: $busybox is not static; install busybox-static" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
pkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
[ -n "$pkg" ] || { echo "build-test-guest: apt-cache knows no linux-image-amd64; run apt-get update" >&2; exit 1; }
apt-get download -q "$pkg" >&2 2>/dev/null || apt-get download "$pkg" >&2
dpkg-deb --fsys-tarfile ./*.deb | tar -x --wildcards './boot/vmlinuz-*' \
  './lib/modules/*/kernel/drivers/virtio/virtio*.ko' './lib/modules/*/kernel/drivers/block/virtio_blk.ko' \
  './lib/modules/*/kernel/drivers/acpi/button.ko' './lib/modules/*/kernel/drivers/input/evdev.ko'

root="$work/root"
mkdir -p "$root"/{bin,proc,sys,dev,mod,etc/acpi/PWRF}
cp "$busybox" "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk button evdev; do
  cp "$(find lib/modules -name "$m.ko")" "$root/mod/"
  echo "$m" >> "$root/mod/order"
done
printf '#!/bin/sh\npoweroff -f\n' > "$root/etc/acpi/PWRF/00000080"
chmod +x "$root/etc/acpi/PWRF/00000080"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mod/order); do insmod /mod/$m.ko; done
# In the foreground (backgrounded by the shell): daemonized, it did not act on the power button here.
acpid -d -c /etc/acpi &
echo "VIREO-TEST-GUEST booted"
sleep 1
if [ -b /dev/vda ]; then
  n=$(dd if=/dev/vda bs=16 count=1 2>/dev/null | tr -dc 0-9)
  n=$(( ${n:-0} + 1 ))
  printf '%-16s' "$n" | dd of=/dev/vda bs=16 count=1 conv=notrunc,fsync 2>/dev/null
  echo "VIREO-TEST-GUEST boot-count $n"
fi
i=0
while true; do i=$((i + 1)); echo "heartbeat $i $(cut -d' ' -f1 /proc/uptime)"; sleep 1; done
INIT
chmod +x "$root/init"
mkdir -p "$dir"
(cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -9) > "$dir/initrd.img.part"
cp boot/vmlinuz-* "$dir/vmlinuz.part"
chmod 644 "$dir"/*.part
mv "$dir/vmlinuz.part" "$dir/vmlinuz"
mv "$dir/initrd.img.part" "$dir/initrd.img"
chmod 755 "$dir"
