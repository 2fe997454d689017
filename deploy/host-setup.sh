#!/usr/bin/env bash
# Makes this machine ready to build, test or run Vireo, or says exactly what is missing.
# As root on Debian/Ubuntu it installs missing packages with apt-get (without recommends);
# otherwise it prints the command to run. Idempotent: a ready machine costs a few checks.
#
#   deploy/host-setup.sh build   # JDK 17+ and Maven, libvirt's client library (test-driver tests), and for
#                                # the real-guest tests: libvirt + QEMU running, the guest image built
#   deploy/host-setup.sh run     # the JDK and libvirt's client library; libvirt + QEMU running when possible
#
# Real guests need libvirtd and virtlogd (started here without systemd when they are not running) and QEMU.
# Without them Vireo still runs on libvirt's test driver and the real-guest tests are skipped: only the JDK,
# Maven and libvirt0 are required.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

purpose="${1:-build}"
missing_pkgs=()
problems=()

java_major() {
  java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}

if ! command -v java >/dev/null 2>&1; then
  problems+=("no java on PATH: install a JDK 17 (Debian: openjdk-17-jdk-headless)")
  missing_pkgs+=(openjdk-17-jdk-headless)
elif [ "$(java_major)" -lt 17 ]; then
  problems+=("java is $(java_major); Vireo needs 17 or newer")
  missing_pkgs+=(openjdk-17-jdk-headless)
fi

if [ "$purpose" = build ] && ! command -v mvn >/dev/null 2>&1; then
  problems+=("no mvn on PATH: install Maven 3.8+ (Debian: maven)")
  missing_pkgs+=(maven)
fi

# libvirt-java loads libvirt.so.0 through JNA; the test driver (test:///default) needs nothing else.
# (not `ldconfig -p | grep -q`: with pipefail, grep quitting early fails the pipeline with SIGPIPE)
if ! grep -q 'libvirt\.so\.0' <<<"$(ldconfig -p 2>/dev/null)"; then
  problems+=("libvirt's client library libvirt.so.0 is missing (Debian: libvirt0)")
  missing_pkgs+=(libvirt0)
fi

# Real guests (qemu:///system): optional. Package -> a file it installs (checked without dpkg, so that
# a non-Debian host with the programs elsewhere on PATH passes too).
guest_pkgs=()
declare -A guest_tool=([libvirt-daemon-system]=libvirtd [qemu-system-x86]=qemu-system-x86_64
  [qemu-utils]=qemu-img [busybox-static]=busybox)
for pkg in libvirt-daemon-system qemu-system-x86 qemu-utils busybox-static; do
  tool="${guest_tool[$pkg]}"
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    guest_pkgs+=("$pkg")
  fi
done
# libvirt-daemon-system ships virtlogd too; the guest image script needs apt-get download and dpkg-deb
if ! command -v virtlogd >/dev/null 2>&1 && [ ! -x /usr/sbin/virtlogd ]; then
  [[ " ${guest_pkgs[*]} " == *" libvirt-daemon-system "* ]] || guest_pkgs+=(libvirt-daemon-system)
fi

is_root=no
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  is_root=yes
fi

if [ ${#missing_pkgs[@]} -gt 0 ] || { [ "$is_root" = yes ] && [ ${#guest_pkgs[@]} -gt 0 ]; }; then
  if [ "$is_root" = yes ]; then
    all=("${missing_pkgs[@]}" "${guest_pkgs[@]}")
    echo "host-setup: installing ${all[*]} (apt-get, no recommends)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${all[@]}" >&2
    guest_pkgs=()
  else
    echo "host-setup: this machine is missing what Vireo needs:" >&2
    for p in "${problems[@]}"; do echo "  - $p" >&2; done
    echo "Install it with:  sudo apt-get install --no-install-recommends ${missing_pkgs[*]} ${guest_pkgs[*]}" >&2
    exit 1
  fi
fi

skip_real_guests() {
  echo "host-setup: $1" >&2
  echo "host-setup: real guests (qemu:///system) are not available: the real-guest tests will be skipped" \
    "(with CI=true they fail);" \
    "Vireo and the other tests run on libvirt's test driver (test:///default)" >&2
  exit 0
}

if [ ${#guest_pkgs[@]} -gt 0 ]; then
  skip_real_guests "for real QEMU guests install, as root:  apt-get install --no-install-recommends ${guest_pkgs[*]}"
fi

# libvirt daemons without systemd: virtlogd first (it writes the consoles), then libvirtd.
export PATH="$PATH:/usr/sbin:/sbin"
started=no
for daemon in virtlogd libvirtd; do
  if ! pgrep -x "$daemon" >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      skip_real_guests "$daemon is not running; start the daemons as root:  virtlogd -d && libvirtd -d"
    fi
    echo "host-setup: starting $daemon -d" >&2
    "$daemon" -d
    started=yes
  fi
done

# Without udev /dev/kvm stays root-only: libvirt, which runs QEMU as its own user in group kvm, then
# finds KVM "unusable", never trusts its cached QEMU capabilities and probes QEMU again on every call
# (5-20 s per define or start seen). Give it udev's usual mode; whether KVM guests really run is decided
# by the node agent (TCG when they do not).
if [ "$(id -u)" = 0 ] && [ -c /dev/kvm ] && getent group kvm >/dev/null 2>&1 \
    && [ "$(stat -c %G:%a /dev/kvm)" != kvm:660 ]; then
  echo "host-setup: /dev/kvm -> root:kvm 0660 (as udev would), so that libvirt keeps its QEMU capabilities" >&2
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

# The first call after a start waits while libvirtd probes QEMU (8-12 s seen). `virsh uri` connects like
# `virsh version` (the same wait) but answers in 0.1 s afterwards, where `version` takes 4 s on a busy host.
answered=no
deadline=$((SECONDS + 1))
[ "$started" = yes ] && deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  if timeout 30 virsh -c qemu:///system uri >/dev/null 2>&1; then
    answered=yes
    break
  fi
  sleep 1
done
if [ "$answered" = no ]; then
  skip_real_guests "libvirtd is running but qemu:///system does not answer (virsh -c qemu:///system uri); as a non-root user add yourself to group libvirt"
fi
[ "$started" = yes ] && echo "host-setup: libvirt answers at qemu:///system" >&2

if [ "$purpose" = build ]; then
  # the image the real-guest tests boot (control-plane RealGuestTest reads it from here)
  if ! "$repo/deploy/guest-image.sh" "$repo/vireo-data/images" >&2; then
    echo "host-setup: the guest image could not be built (see above): the real-guest tests will be skipped (with CI=true they fail)" >&2
  fi
fi
exit 0
