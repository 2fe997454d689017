#!/usr/bin/env bash
# One more libvirt daemon on this host, to be a Vireo node of its own (docs/cluster.md).
#
#   deploy/libvirt-node.sh start NAME [--dir DIR] [--migration-ports MIN-MAX]   # prints the node's URI
#   deploy/libvirt-node.sh stop NAME [--dir DIR]     # destroys every guest of it, then stops its daemons
#   deploy/libvirt-node.sh kill NAME [--dir DIR]     # kill -9 of its daemons and QEMUs (a host that dies)
#   deploy/libvirt-node.sh uri NAME [--dir DIR]      # prints the URI of a started node
#   deploy/libvirt-node.sh status NAME [--dir DIR]   # running or stopped (exit 0 or 3)
#
# Each node runs its own libvirtd and virtlogd in a mount namespace of their own (unshare -m), with its own
# directories bound over /run/libvirt, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and
# /etc/libvirt. Everything of NAME lives under DIR (default $VIREO_LIBVIRT_NODES/NAME, else
# vireo-data/libvirt-nodes/NAME of this repository): configuration, sockets, pid files, logs, and the
# guests' state. Its socket is reachable from outside the namespace at DIR/run/libvirt-sock, hence the URI
# qemu+unix:///system?socket=DIR/run/libvirt-sock. Each node gets its own host_uuid (libvirt refuses to
# migrate to the "same host"), its own migration port range, and no cgroup controllers (domain ids start
# at 1 in every daemon and their cgroup names would collide).
#
# Only what this script started is ever stopped: the pids in DIR's pid files, and the QEMUs whose pid
# files the node's own daemon wrote. Nothing is looked up or killed by name. Needs root (mount namespaces).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

die() {
  echo "libvirt-node: $*" >&2
  exit 1
}

[ $# -ge 2 ] || usage
action="$1"
name="$2"
shift 2
dir=""
ports=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --migration-ports) ports="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$name" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || die "node name '$name' must be a DNS-1123 label (a-z, 0-9, -)"
base="${VIREO_LIBVIRT_NODES:-$repo/vireo-data/libvirt-nodes}"
dir="${dir:-$base/$name}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"

uri_of() {
  echo "qemu+unix:///system?socket=$dir/run/libvirt-sock"
}

# The pid in FILE if that process is alive and runs PROGRAM (a pid file left by a dead daemon may name a
# process that reused the pid since).
live_pid() {
  local file="$1" program="$2" pid
  [ -f "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == *"$program"* ]] || return 1
  echo "$pid"
}

# The QEMU processes of this node's guests: the pid files its own daemon wrote (DIR/run/qemu/*.pid).
guest_pids() {
  local f pid
  for f in "$dir"/run/qemu/*.pid; do
    [ -e "$f" ] || continue
    pid="$(live_pid "$f" qemu-system)" && echo "$pid"
  done
  return 0
}

running() {
  live_pid "$dir/libvirtd.pid" libvirtd >/dev/null
}

# A migration port range no other node under the same base directory uses: 20 ports from 49200 up.
free_port_range() {
  local slot min used
  for slot in $(seq 0 299); do
    min=$((49200 + slot * 20))
    used=no
    for other in "$base"/*/migration-ports "$(dirname "$dir")"/*/migration-ports; do
      [ -f "$other" ] && [ "$other" != "$dir/migration-ports" ] || continue
      [ "$(cut -d- -f1 "$other")" = "$min" ] && used=yes
    done
    if [ "$used" = no ]; then
      echo "$min-$((min + 19))"
      return
    fi
  done
  die "no free migration port range left between 49200 and 55200; give --migration-ports MIN-MAX"
}

configure() {
  mkdir -p "$dir"/etc/qemu "$dir"/run "$dir"/lib "$dir"/cache "$dir"/log
  # the daemons' own configuration files only: not the system daemon's domains or networks (a network
  # of the same name would take the same bridge)
  local f
  for f in libvirtd.conf qemu.conf virtlogd.conf libvirt.conf libvirt-admin.conf; do
    [ -f "/etc/libvirt/$f" ] && cp "/etc/libvirt/$f" "$dir/etc/$f"
  done
  [ -f "$dir/host-uuid" ] || cat /proc/sys/kernel/random/uuid >"$dir/host-uuid"
  [ -n "$ports" ] || ports="$(cat "$dir/migration-ports" 2>/dev/null || free_port_range)"
  [[ "$ports" =~ ^[0-9]+-[0-9]+$ ]] || die "--migration-ports must be MIN-MAX, was '$ports'"
  echo "$ports" >"$dir/migration-ports"
  {
    echo ""
    echo "# written by deploy/libvirt-node.sh for node $name"
    echo "host_uuid = \"$(cat "$dir/host-uuid")\""
    # no TCP listener: the unix socket under $dir is this node's only way in
    echo "listen_tcp = 0"
    echo "listen_tls = 0"
  } >>"$dir/etc/libvirtd.conf"
  {
    echo ""
    echo "# written by deploy/libvirt-node.sh for node $name"
    echo "migration_port_min = ${ports%-*}"
    echo "migration_port_max = ${ports#*-}"
    echo "cgroup_controllers = [ ]"
  } >>"$dir/etc/qemu.conf"
}

start() {
  if running; then
    uri_of
    return
  fi
  [ "$(id -u)" = 0 ] || die "starting a libvirt daemon of its own needs root (mount namespaces, QEMU as its user)"
  command -v libvirtd >/dev/null 2>&1 || [ -x /usr/sbin/libvirtd ] \
    || die "libvirtd is not installed (Debian: apt-get install --no-install-recommends libvirt-daemon-system qemu-system-x86 qemu-utils)"
  command -v unshare >/dev/null 2>&1 || die "unshare is missing (Debian: util-linux)"
  configure
  rm -f "$dir"/run/libvirt-sock "$dir"/run/libvirt-sock-ro "$dir"/libvirtd.pid "$dir"/virtlogd.pid
  # The namespace lives as long as the daemons started in it; the shell that made it exits at once.
  unshare -m --propagation private /bin/bash -eu -c '
    d="$1"
    mount --bind "$d/etc" /etc/libvirt
    mount --bind "$d/run" /run/libvirt
    mount --bind "$d/lib" /var/lib/libvirt
    mount --bind "$d/cache" /var/cache/libvirt
    mount --bind "$d/log" /var/log/libvirt
    PATH="$PATH:/usr/sbin"
    virtlogd -d -p "$d/virtlogd.pid"
    libvirtd -d -p "$d/libvirtd.pid"
  ' libvirt-node "$dir" >>"$dir/start.log" 2>&1 || die "the daemons did not start; see $dir/start.log"
  # the first call can wait while libvirtd probes QEMU's capabilities
  local uri deadline=$((SECONDS + 60))
  uri="$(uri_of)"
  until virsh -q -c "$uri" version >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      die "libvirtd of node $name does not answer on $uri after 60 s; see $dir/start.log and $dir/log"
    fi
    running || die "libvirtd of node $name exited; see $dir/start.log and $dir/log"
    sleep 0.2
  done
  echo "$uri" >"$dir/uri"
  echo "$uri"
}

stop() {
  local uri pid domain
  uri="$(uri_of)"
  if running; then
    # every guest of this daemon, Vireo's or not: they are this node's
    for domain in $(virsh -q -c "$uri" list --name 2>/dev/null); do
      virsh -q -c "$uri" destroy "$domain" >/dev/null 2>&1 || true
    done
    for domain in $(virsh -q -c "$uri" list --all --name 2>/dev/null); do
      virsh -q -c "$uri" undefine "$domain" >/dev/null 2>&1 || true
    done
  fi
  # QEMUs the daemon could not destroy (or that outlived it)
  for pid in $(guest_pids); do
    kill -9 "$pid" 2>/dev/null || true
  done
  local file program
  for file in libvirtd virtlogd; do
    program="$file"
    if pid="$(live_pid "$dir/$file.pid" "$program")"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
      done
      [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$dir/uri"
}

# Host death: the daemons and every guest go at once, nothing is cleaned up (as when a host loses power).
kill_node() {
  local pids=() pid
  for pid in $(guest_pids); do pids+=("$pid"); done
  pid="$(live_pid "$dir/libvirtd.pid" libvirtd)" && pids+=("$pid")
  pid="$(live_pid "$dir/virtlogd.pid" virtlogd)" && pids+=("$pid")
  [ ${#pids[@]} -eq 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true
}

case "$action" in
  start) start ;;
  stop) stop ;;
  kill) kill_node ;;
  uri)
    running || die "node $name is not running (start it with: $0 start $name)"
    uri_of
    ;;
  status)
    if running; then echo running; else echo stopped; exit 3; fi
    ;;
  *) usage ;;
esac
