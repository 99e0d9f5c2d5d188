#!/usr/bin/env bash
# The main job: on a fresh machine, build (or reuse) the control-plane binaries and the service, start a throwaway
# etcd + kube-apiserver + kube-controller-manager on 127.0.0.1, run Spinneret against it, and replay the seed
# article's walkthrough (../shared/seed) with kubectl. Everything is torn down on exit or Ctrl-C.
#   integration-tests/scripts/demo.sh            # SPINNERET_DEMO_KEEP=1 keeps it running until Ctrl-C
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR="${SPINNERET_DEMO_DIR:-$ROOT/target/demo-control-plane}"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

cleanup() {
  "$HERE/spinneret-local.sh" stop-service "$DIR" >/dev/null 2>&1 || true
  "$HERE/control-plane.sh" stop "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

if [[ ! -f "$ROOT/target/quarkus-app/quarkus-run.jar" ]]; then
  echo "[demo] building the service (mvn -B -q package -DskipTests)" >&2
  (cd "$ROOT" && mvn -B -q package -DskipTests)
fi
mkdir -p "$(dirname "$DIR")"
"$HERE/control-plane.sh" start "$DIR"
# a short GC interval so the demo shows the automatic pool shrinking and being reclaimed within seconds
SPINNERET_GC_INTERVAL="${SPINNERET_GC_INTERVAL:-3s}" "$HERE/spinneret-local.sh" start "$DIR" 1
# shellcheck disable=SC1091
source "$DIR/env"
k() { say "kubectl $*"; "$KUBECTL" "$@"; }
apply() { say "kubectl apply -f - <<EOF"; cat; echo "EOF"; }

cat <<'MSG'

== The seed's walkthrough: "Spiderpool: A new option for Calico's fixed application IP" ==
A SpiderSubnet for the environment, an automatic pool that follows the nginx Deployment's replicas, a manually
specified SpiderIPPool with an application that takes its fixed addresses from it, and the protection the article
asks for: overlapping pools are refused.
MSG

SUBNET='apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata:
  name: nginx-subnet-v4
spec:
  subnet: 10.244.0.0/16
  ips:
  - 10.244.100.0-10.244.200.1'
echo "$SUBNET" | apply; echo "$SUBNET" | "$KUBECTL" apply -f -
sleep 2
k get ss

echo
echo "== Automatically fix the IP pool for the application (annotation ipam.spidernet.io/subnet) =="
AUTO='apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
spec:
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      annotations:
        ipam.spidernet.io/ippool-ip-number: "+3"
        ipam.spidernet.io/subnet: |-
          {
            "ipv4": ["nginx-subnet-v4"]
          }
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx
        imagePullPolicy: IfNotPresent
        ports:
        - name: http
          containerPort: 80
          protocol: TCP'
echo "$AUTO" | apply; echo "$AUTO" | "$KUBECTL" apply -f -
wait_pods() { # label count
  for _ in $(seq 1 60); do
    n=$("$KUBECTL" get pods -l "app=$1" -o json | python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin)["items"] if "ipam.spidernet.io/reserved-ips" in p["metadata"].get("annotations",{})))')
    [[ "$n" -ge "$2" ]] && break
    sleep 0.5
  done
}
show_pods() { # label
  "$KUBECTL" get po -l "app=$1" -o json | python3 -c '
import json, sys
print("%-32s %-8s %-16s %s" % ("NAME", "STATUS", "IP", "POOL"))
for p in json.load(sys.stdin)["items"]:
    r = json.loads(p["metadata"]["annotations"]["ipam.spidernet.io/reserved-ips"])["interfaces"][0]
    print("%-32s %-8s %-16s %s" % (p["metadata"]["name"], p["status"].get("phase", ""), r["ipv4"].split("/")[0], r["ipv4Pool"]))'
}
wait_pods nginx 2
say "kubectl get po -o wide"; show_pods nginx
k get sp
AUTOPOOL=$("$KUBECTL" get sp -l ipam.spidernet.io/owner-application-name=nginx -o name | sed -n 1p)
k get "$AUTOPOOL" -o jsonpath='{.spec.ips}'; echo
k scale deploy nginx --replicas 3
wait_pods nginx 3
sleep 1
say "kubectl get po -o wide"; show_pods nginx
k get sp

echo
echo "== Manually specify the IP pool (annotation ipam.spidernet.io/ippool) =="
POOL='apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: nginx-v4-ippool
spec:
  ipVersion: 4
  subnet: 10.244.0.0/16
  ips:
  - 10.244.120.10-10.244.120.20'
echo "$POOL" | apply; echo "$POOL" | "$KUBECTL" apply -f -

DEPLOY='apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-m
spec:
  replicas: 2
  selector:
    matchLabels:
      app: nginx-m
  template:
    metadata:
      annotations:
        ipam.spidernet.io/ippool: |-
          {
            "ipv4": ["nginx-v4-ippool"]
          }
      labels:
        app: nginx-m
    spec:
      containers:
      - name: nginx
        image: nginx
        imagePullPolicy: IfNotPresent
        ports:
        - name: http
          containerPort: 80
          protocol: TCP'
echo "$DEPLOY" | apply; echo "$DEPLOY" | "$KUBECTL" apply -f -
wait_pods nginx-m 2
echo
echo "(no scheduler or kubelet here: pods stay Pending, but each already has its address, reserved at admission)"
k get po -o custom-columns='NAME:.metadata.name,STATUS:.status.phase,IP:.metadata.annotations.ipam\.spidernet\.io/reserved-ips' -l app=nginx-m
say "kubectl get po -o wide   # the reserved IP of each pod, as the article shows it"
show_pods nginx-m
k get sp
k get ss

echo
echo "== Restart a pod: its replacement gets an address from the same pool =="
victim=$("$KUBECTL" get pods -l app=nginx-m -o name | sed -n 1p)
k delete "$victim" --wait=false
sleep 3
"$KUBECTL" get po -l app=nginx-m -o json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    r = json.loads(p["metadata"]["annotations"]["ipam.spidernet.io/reserved-ips"])["interfaces"][0]
    print("%-32s %s" % (p["metadata"]["name"], r["ipv4"].split("/")[0]))'

echo
echo "== What is left in a pool, and who holds an address (README: Looking after pools) =="
k get sp nginx-v4-ippool -o wide
IP=$("$KUBECTL" get po -l app=nginx-m -o json | python3 -c '
import json, sys
p = json.load(sys.stdin)["items"][0]
print(json.loads(p["metadata"]["annotations"]["ipam.spidernet.io/reserved-ips"])["interfaces"][0]["ipv4"].split("/")[0])')
WHO="kubectl get pods -A -o custom-columns='NAMESPACE:.metadata.namespace,NAME:.metadata.name,NODE:.spec.nodeName,RESERVED-IPS:.metadata.annotations.ipam\\.spidernet\\.io/reserved-ips' | grep -F '\"$IP/'"
say "$WHO"
PATH="$(dirname "$KUBECTL"):$PATH" bash -c "$WHO"

echo
echo "== Delete a pool and apply it again: accepted at once =="
SCRATCH='apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: scratch
spec:
  subnet: 10.244.0.0/16
  ips:
  - 10.244.130.1-10.244.130.9'
echo "$SCRATCH" | "$KUBECTL" apply -f -
k delete sp scratch
echo "$SCRATCH" | apply; echo "$SCRATCH" | "$KUBECTL" apply -f -

echo
echo "== The article's second pain point: overlapping pools are refused, naming the conflict =="
BAD='apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: nginx-v4-ippool-2
spec:
  subnet: 10.244.0.0/16
  ips:
  - 10.244.120.15-10.244.120.25'
echo "$BAD" | apply; echo "$BAD" | "$KUBECTL" apply -f - || true

echo
echo
echo "== Scale the automatic pool's application down and away: the pool shrinks, then returns to the subnet =="
k scale deploy nginx --replicas 1
for _ in $(seq 1 40); do
  [[ "$("$KUBECTL" get "$AUTOPOOL" -o jsonpath='{.status.totalIPCount}')" == 4 ]] && break
  sleep 0.5
done
k get sp
k delete deploy nginx
for _ in $(seq 1 60); do
  "$KUBECTL" get "$AUTOPOOL" >/dev/null 2>&1 || break
  sleep 0.5
done
k get sp
k get ss

if [[ "${SPINNERET_DEMO_KEEP:-0}" == 1 ]]; then
  echo; echo "control plane kept running: source $DIR/env; Ctrl-C to stop"
  while true; do sleep 3600; done
fi
echo; echo "[demo] done; tearing down"
