#!/usr/bin/env bash
# Makes this machine ready to build, test or run Vireo, or says exactly what is missing.
# As root on Debian/Ubuntu it installs missing packages with apt-get (without recommends);
# otherwise it prints the command to run. Idempotent: a ready machine costs a few checks.
#
#   deploy/host-setup.sh build   # JDK 17+ and Maven, and libvirt's client library (tests use libvirt's test driver)
#   deploy/host-setup.sh run     # the JDK and libvirt's client library
set -euo pipefail

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
if ! ldconfig -p 2>/dev/null | grep -q 'libvirt\.so\.0'; then
  problems+=("libvirt's client library libvirt.so.0 is missing (Debian: libvirt0)")
  missing_pkgs+=(libvirt0)
fi

if [ ${#missing_pkgs[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "host-setup: installing ${missing_pkgs[*]} (apt-get, no recommends)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >&2
  exit 0
fi

echo "host-setup: this machine is missing what Vireo needs:" >&2
for p in "${problems[@]}"; do echo "  - $p" >&2; done
echo "Install it with:  sudo apt-get install --no-install-recommends ${missing_pkgs[*]}" >&2
exit 1
