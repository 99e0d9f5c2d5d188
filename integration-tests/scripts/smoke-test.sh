#!/usr/bin/env bash
# Smoke test of the throwaway control plane:
#   start -> kubectl get ns -> Deployment with 2 replicas -> 2 Pods created by kube-controller-manager
#   (they stay Pending: there is no scheduler/kubelet) -> stop -> no leftover processes.
# Usage: smoke-test.sh [dir]   (default: a fresh mktemp dir, removed on success)
# Prints "1 passed, 0 failed" or "0 passed, 1 failed" as its last line.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP="$HERE/control-plane.sh"
DIR="${1:-$(mktemp -d "${TMPDIR:-/tmp}/spinneret-cp.XXXXXX")}"
log() { printf '[smoke] %s\n' "$*" >&2; }

fail() {
  log "FAILED: $*"
  if [[ -n "${KUBECTL:-}" ]]; then
    "$KUBECTL" get deploy,rs,pods -A -o wide >&2 || true
  fi
  for f in "$DIR"/logs/*.log; do [[ -f "$f" ]] && { printf '\n----- %s -----\n' "$f" >&2; tail -n 20 "$f" >&2; }; done
  "$CP" stop "$DIR" || true
  echo "0 passed, 1 failed"
  exit 1
}

T0=$SECONDS
"$CP" start "$DIR" || fail "control-plane start"
log "start took $((SECONDS - T0))s"
# shellcheck disable=SC1091
source "$DIR/env"

"$KUBECTL" version >&2 || fail "kubectl version"
"$KUBECTL" get ns >&2 || fail "kubectl get ns"

"$KUBECTL" create deployment smoke --image=registry.invalid/pause:none --replicas=2 >&2 || fail "create deployment"
pods=0
for ((i = 0; i < 60; i++)); do
  pods="$("$KUBECTL" get pods -l app=smoke --no-headers 2>/dev/null | wc -l)"
  ((pods >= 2)) && break
  sleep 1
done
((pods == 2)) || fail "expected 2 pods from the Deployment, got $pods"
"$KUBECTL" get deploy,rs,pods -o wide >&2
phases="$("$KUBECTL" get pods -l app=smoke -o jsonpath='{.items[*].status.phase}')"
log "pod phases: $phases (Pending expected: no scheduler/kubelet)"
owner="$("$KUBECTL" get pods -l app=smoke -o jsonpath='{.items[0].metadata.ownerReferences[0].kind}')"
[[ "$owner" == ReplicaSet ]] || fail "pod owner is '$owner', expected ReplicaSet"
sa="$("$KUBECTL" get pods -l app=smoke -o jsonpath='{.items[0].spec.serviceAccountName}')"
[[ "$sa" == default ]] || fail "pod serviceAccountName is '$sa', expected default (ServiceAccount admission)"

PIDS=("$ETCD_PID" "$APISERVER_PID" "$KCM_PID")
T1=$SECONDS
"$CP" stop "$DIR" || fail "stop"
log "stop took $((SECONDS - T1))s"
"$CP" stop "$DIR" >/dev/null 2>&1 || fail "second stop (idempotency)"
for p in "${PIDS[@]}"; do
  if kill -0 "$p" 2>/dev/null; then fail "pid $p still alive after stop"; fi
done
# our processes: binaries from BIN_DIR whose command line names our dir
pat="$BIN_DIR/(etcd|kube-apiserver|kube-controller-manager) .*$DIR"
if pgrep -f -- "$pat" >/dev/null; then
  pgrep -af -- "$pat" >&2
  fail "processes of this control plane survive stop"
fi
log "leftovers: $(pgrep -fc -- "$pat" || true) of ours; machine-wide: kube-apiserver=$(pgrep -c kube-apiserver || true) etcd=$(pgrep -xc etcd || true) kube-controller-manager=$(pgrep -c kube-controller || true)"
if [[ -z "${1:-}" ]]; then rm -rf "$DIR"; fi
log "OK in $((SECONDS - T0))s"
echo "1 passed, 0 failed"
