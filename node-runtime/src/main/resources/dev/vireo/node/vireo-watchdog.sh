#!/usr/bin/env bash
# Vireo's node watchdog: fences the node's VMs once its lease has expired, without needing the node
# runtime's JVM (a frozen or killed JVM fences nothing). `vireo node` starts it, detached, and it outlives
# the JVM on purpose. See docs/cluster.md.
#
#   vireo-watchdog.sh NODE_DIR HYPERVISOR_URI [INTERVAL_SECONDS]
#
# NODE_DIR/lease holds "EXPIRY_MILLIS WRITER_PID", rewritten by the JVM at every renewal of the lease. Every
# INTERVAL (default 0.25 s) the watchdog compares EXPIRY with the clock; once it has passed, it pauses every
# running domain that carries Vireo's metadata (nothing else on the host is touched) and records its name in
# NODE_DIR/fenced, and keeps doing so while the lease stays expired. It ends when NODE_DIR/lease is removed,
# when NODE_DIR/watchdog.pid names another watchdog, or, once the lease has expired, when the JVM that wrote
# it is gone and no Vireo domain runs any more. SIGTERM fences at once, then ends.
set -u
dir="$1"
uri="$2"
interval="${3:-0.25}"
ns='https://vireo.dev/xmlns/vm/v1'
lease="$dir/lease"
fenced="$dir/fenced"
pidfile="$dir/watchdog.pid"
still=0

log() {
  printf '%s watchdog[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$$" "$*"
}

# Pauses every running Vireo domain; $still counts those that could not be paused.
fence() {
  still=0
  local names d
  if ! names="$(virsh -q -c "$uri" list --state-running --name 2>&1)"; then
    log "cannot list the domains of $uri: $names"
    return
  fi
  for d in $names; do
    virsh -q -c "$uri" metadata "$d" --uri "$ns" >/dev/null 2>&1 || continue
    if virsh -q -c "$uri" suspend "$d" >/dev/null 2>&1; then
      echo "$d" >>"$fenced"
      log "lease expired: paused $d"
    else
      still=$((still + 1))
      log "lease expired: could not pause $d"
    fi
  done
}

trap 'log "stopped by SIGTERM: fencing before leaving"; fence; exit 0' TERM
echo $$ >"$pidfile"
log "guarding the Vireo domains of $uri with $lease"
while :; do
  if [ ! -f "$lease" ]; then
    log "lease file gone: the node is retired"
    exit 0
  fi
  owner=""
  read -r owner <"$pidfile" 2>/dev/null
  if [ "$owner" != "$$" ]; then
    log "replaced by watchdog ${owner:-?}"
    exit 0
  fi
  expiry=0
  writer=0
  read -r expiry writer <"$lease" 2>/dev/null
  [[ "$expiry" =~ ^[0-9]+$ ]] || expiry=0
  [[ "$writer" =~ ^[0-9]+$ ]] || writer=0
  now="${EPOCHREALTIME//[!0-9]/}"
  now="${now:0:13}"
  if ((now >= expiry)); then
    fence
    if ((still == 0)) && { ((writer == 0)) || ! kill -0 "$writer" 2>/dev/null; }; then
      log "lease expired, node runtime ${writer} gone, no Vireo domain left running: done"
      exit 0
    fi
  fi
  sleep "$interval"
done
