#!/usr/bin/env bash
# Vireo's node watchdog: fences the node's VMs once its lease has expired, without needing the node
# runtime's JVM (a frozen or killed JVM fences nothing). `vireo node` starts it, detached, and it outlives
# the JVM on purpose. See docs/cluster.md.
#
#   vireo-watchdog.sh NODE_DIR HYPERVISOR_URI [INTERVAL_SECONDS] [detached|foreground]
#
# NODE_DIR/lease holds "EXPIRY_MILLIS WRITER_PID", rewritten by the JVM at every renewal of the lease. Every
# INTERVAL (default 0.25 s) the watchdog compares EXPIRY with the clock; once it has passed, it pauses every
# running domain that carries Vireo's metadata (nothing else on the host is touched) and records its name in
# NODE_DIR/fenced, and keeps doing so while the lease stays expired. Before the first lease it waits. It ends
# when NODE_DIR/lease is removed, when NODE_DIR/watchdog.pid names another watchdog, or (detached, the
# default: started by the node runtime) once the lease has expired, the JVM that wrote it is gone and no Vireo
# domain runs any more. In the foreground (vireo watchdog, a process of its own) it stays until SIGTERM.
# SIGTERM fences at once, then ends.
set -u
dir="$1"
uri="$2"
interval="${3:-0.25}"
mode="${4:-detached}"
ns='https://vireo.dev/xmlns/vm/v1'
lease="$dir/lease"
fenced="$dir/fenced"
pidfile="$dir/watchdog.pid"
still=0
leased=no

log() {
  printf '%s watchdog[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$$" "$*"
}

# Whether the lease has expired by now (a lease file that cannot be read has).
expired() {
  local expiry=0 writer=0 now
  read -r expiry writer <"$lease" 2>/dev/null
  [[ "$expiry" =~ ^[0-9]+$ ]] || expiry=0
  now="${EPOCHREALTIME//[!0-9]/}"
  ((${now:0:13} >= expiry))
}

# Pauses every running Vireo domain; $still counts those that could not be paused. The lease is looked at
# again right before each pause (a renewal may have come while libvirt answered), and the domain is recorded
# in the fenced list before it is paused, so that the node runtime, which sees the pause happen, knows whose.
# "fence now" pauses whatever the lease says (the watchdog is leaving: nobody would guard them).
fence() {
  still=0
  local names d
  if ! names="$(virsh -q -c "$uri" list --state-running --name 2>&1)"; then
    log "cannot list the domains of $uri: $names"
    return
  fi
  for d in $names; do
    virsh -q -c "$uri" metadata "$d" --uri "$ns" >/dev/null 2>&1 || continue
    [ "${1:-}" = now ] || expired || return 0
    echo "$d" >>"$fenced"
    if virsh -q -c "$uri" suspend "$d" >/dev/null 2>&1; then
      log "lease expired: paused $d"
    else
      still=$((still + 1))
      log "lease expired: could not pause $d"
    fi
  done
}

trap 'log "stopped by SIGTERM: fencing before leaving"; fence now; exit 0' TERM
echo $$ >"$pidfile"
log "guarding the Vireo domains of $uri with $lease"
while :; do
  if [ ! -f "$lease" ]; then
    if [ "$leased" = yes ]; then
      log "lease file gone: the node is retired"
      exit 0
    fi
    sleep "$interval" # no lease yet: nothing runs under one
    continue
  fi
  leased=yes
  owner=""
  read -r owner <"$pidfile" 2>/dev/null
  if [ "$owner" != "$$" ]; then
    log "replaced by watchdog ${owner:-?}"
    exit 0
  fi
  writer=0
  read -r _ writer <"$lease" 2>/dev/null
  [[ "$writer" =~ ^[0-9]+$ ]] || writer=0
  if expired; then
    fence
    if [ "$mode" = detached ] && ((still == 0)) && { ((writer == 0)) || ! kill -0 "$writer" 2>/dev/null; }; then
      log "lease expired, node runtime ${writer} gone, no Vireo domain left running: done"
      exit 0
    fi
  fi
  sleep "$interval"
done
