#!/usr/bin/env bash
# The main job: on a fresh machine (root; Debian with Java 17, Maven, Go), build (or reuse) Kubernetes, the service
# and its images, start a throwaway cluster with two real nodes (node.sh: control plane, kube-scheduler, kubelet +
# containerd + kube-proxy on node-a and node-b), `helm install` Spinneret from helm/spinneret, and replay the seed
# article's walkthrough (../shared/seed) with kubectl on the article's own network, Calico's CNI plugin with Spinneret as
# its IPAM: pods Running with their pool's addresses on both nodes, pinging each other across the nodes. Then Multus:
# a pod with eth0 (Calico) and net1 (macvlan), each address from its own pool. Everything is torn down on exit or
# Ctrl-C. Without Calico and Multus (build-cni-plugins.sh has no source snapshot) the walkthrough runs on the bridge
# network and the Multus part is left out.
#   integration-tests/scripts/demo.sh            # SPINNERET_DEMO_KEEP=1 keeps it running until Ctrl-C
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR="${SPINNERET_DEMO_DIR:-$ROOT/target/demo-nodes}"
NS=spinneret-system
T0=$SECONDS
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
note() { printf '[demo] %s\n' "$*" >&2; }

cleanup() {
  trap - EXIT INT TERM
  note "tearing down"
  "$HERE/node.sh" stop "$DIR" >/dev/null 2>&1 || "$HERE/node.sh" stop "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ "$(id -u)" == 0 ]] || { echo "demo.sh needs root: it creates network namespaces, a bridge and cgroups (and removes them)" >&2; exit 1; }
"$HERE/install-ci-deps.sh"
# the service is rebuilt only when it is missing or older than its sources (the CNI plugin is built with the images)
JAR="$ROOT/target/quarkus-app/quarkus-run.jar"
if [[ ! -f "$JAR" || -n "$(find "$ROOT/src/main/java" "$ROOT/src/main/resources" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]]; then
  note "building the service (mvn -B -q package -DskipTests)"
  (cd "$ROOT" && mvn -B -q package -DskipTests)
fi
IMG="$("$ROOT/integration-tests/images/build-images.sh" | tail -1)"
mkdir -p "$(dirname "$DIR")"
NETWORK=calico
rc=0; "$HERE/build-cni-plugins.sh" >/dev/null || rc=$?
case $rc in
  0) ;;
  3) NETWORK=spinneret; note "Calico and Multus unavailable (see above): the pods run on the bridge network, no Multus part" ;;
  *) exit 1 ;;
esac
SPINNERET_POD_NETWORK="$NETWORK" SPINNERET_NODE_IMAGES="$IMG/spinneret.tar $IMG/spinneret-cni.tar $IMG/kubectl.tar" "$HERE/node.sh" start "$DIR"
# shellcheck disable=SC1091
source "$DIR/env"
HELM="$BIN_DIR/helm"
k() { say "kubectl $*"; "$KUBECTL" "$@"; }
apply() { say "kubectl apply -f - <<EOF"; cat; echo "EOF"; }
note "cluster up after $((SECONDS - T0)) s"

say "kubectl get nodes -o wide"
"$KUBECTL" get nodes -o wide
# a short GC interval so the demo shows the automatic pool shrinking and being reclaimed within seconds
say "helm install spinneret helm/spinneret -n $NS --create-namespace -f integration-tests/scripts/local-nodes-values.yaml --wait"
"$HELM" install spinneret "$ROOT/helm/spinneret" -n "$NS" --create-namespace \
  -f "$HERE/local-nodes-values.yaml" --set controller.gc.interval=3s --wait --timeout 5m
"$KUBECTL" -n "$NS" rollout status ds/spinneret-cni --timeout=120s >/dev/null
k -n "$NS" get po -o wide
k get sp

cat <<'MSG'

== The seed's walkthrough: "Spiderpool: A new option for Calico's fixed application IP" ==
A SpiderSubnet for the environment, an automatic pool that follows the nginx Deployment's replicas, a manually
specified SpiderIPPool with an application that takes its fixed addresses from it, and the protection the article
asks for: overlapping pools are refused. (No registry here: the "nginx" pods run busybox's httpd from a locally
built image.)
MSG
if [[ "$NETWORK" == calico ]]; then
  cat <<'MSG'
The nodes' pod network is the article's: Calico's CNI plugin with Spinneret as its IPAM ("ipam": {"type":
"spinneret"} in Calico's conflist). No Felix here: the nodes' shared L2 with proxy ARP stands in for the BGP
announcements of each pod's /32 (docs/cni.md, "Calico").
MSG
else
  echo "The nodes' pod network is the bridge plugin with Spinneret as its IPAM."
fi

SUBNET='apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata:
  name: nginx-subnet-v4
spec:
  subnet: 10.244.0.0/16
  ips:
  - 10.244.100.0-10.244.200.1'
echo "$SUBNET" | apply; echo "$SUBNET" | "$KUBECTL" apply -f -
sleep 1
k get ss

deployment() { # name replicas annotations-yaml
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
spec:
  replicas: $2
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      annotations:
$3
      labels:
        app: $1
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: nginx
        image: localhost/spinneret/busybox:dev
        imagePullPolicy: Never
        command: ["httpd", "-f", "-p", "80"]
        ports:
        - name: http
          containerPort: 80
          protocol: TCP
EOF
}
rollout() { "$KUBECTL" rollout status "deploy/$1" --timeout=180s >/dev/null; }
running() { # label: wait until every pod of the app is Running and none is terminating
  for _ in $(seq 1 120); do
    [[ -z "$("$KUBECTL" get po -l "app=$1" -o jsonpath='{range .items[*]}{.status.phase}{.metadata.deletionTimestamp}{"\n"}{end}' | grep -v '^Running$')" ]] && return 0
    sleep 0.5
  done
}

echo
echo "== Automatically fix the IP pool for the application (annotation ipam.spidernet.io/subnet) =="
AUTO="$(deployment nginx 2 '        ipam.spidernet.io/ippool-ip-number: "+3"
        ipam.spidernet.io/subnet: |-
          {
            "ipv4": ["nginx-subnet-v4"]
          }')"
echo "$AUTO" | apply; echo "$AUTO" | "$KUBECTL" apply -f -
rollout nginx
k get po -o wide
k get sp
AUTOPOOL=$("$KUBECTL" get sp -l ipam.spidernet.io/owner-application-name=nginx -o name | sed -n 1p)
k get "$AUTOPOOL" -o jsonpath='{.spec.ips}'; echo

echo
echo "== Restart a pod: its replacement is Running with an address of the same pool =="
victim=$("$KUBECTL" get pods -l app=nginx -o name | sed -n 1p)
k delete "$victim"
rollout nginx; running nginx
k get po -o wide -l app=nginx

k scale deploy nginx --replicas 3
rollout nginx; running nginx
k get po -o wide -l app=nginx
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
DEPLOY="$(deployment nginx-m 2 '        ipam.spidernet.io/ippool: |-
          {
            "ipv4": ["nginx-v4-ippool"]
          }')"
echo "$DEPLOY" | apply; echo "$DEPLOY" | "$KUBECTL" apply -f -
rollout nginx-m
k get po -o wide
k get sp
k get ss

echo
echo "== What is left in a pool, and who holds an address (README: Looking after pools) =="
k get sp nginx-v4-ippool -o wide
IP=$("$KUBECTL" get po -l app=nginx-m -o jsonpath='{.items[0].status.podIP}')
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
echo "== \"communicates normally across nodes\": a pod on node-a pings and fetches from a pod on node-b =="
pods_on() { "$KUBECTL" get po -l 'app in (nginx,nginx-m)' --field-selector "spec.nodeName=$1,status.phase=Running" \
  -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP}{"\n"}{end}' | sed -n 1p; }
read -r A A_IP <<<"$(pods_on node-a)"
read -r B B_IP <<<"$(pods_on node-b)"
if [[ -n "${A:-}" && -n "${B:-}" ]]; then
  k exec "$A" -- ping -c 3 -W 2 "$B_IP"
  say "kubectl exec $A -- sh -c \"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $B_IP 80\"   # busybox httpd: 404, empty document root"
  "$KUBECTL" exec "$A" -- sh -c "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $B_IP 80" 2>&1 | grep -m1 'HTTP/' || true
else
  echo "(the scheduler put every pod on one node this time: A=${A:-none} B=${B:-none}; no cross-node pair to ping)"
fi
if [[ "$NETWORK" == calico && -n "${A:-}" ]]; then
  echo
  echo "== What Calico makes of the reservation: the pool's address as a /32, the default route via 169.254.1.1 =="
  k exec "$A" -- ip -4 addr show eth0
  k exec "$A" -- ip -4 route
fi

if [[ "$NETWORK" == calico ]]; then
  echo
  echo "== Multus + macvlan: a pool per interface (Spiderpool's underlay use) =="
  say "integration-tests/scripts/node.sh cni $DIR multus   # Multus first in /etc/cni/net.d, eth0 still from Calico"
  "$HERE/node.sh" cni "$DIR" multus
  NICS='apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: macvlan-v4
spec:
  subnet: 10.246.1.0/24
  ips:
  - 10.246.1.10-10.246.1.20
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: macvlan-under0
spec:
  config: |-
    {"cniVersion": "1.0.0", "name": "macvlan-under0", "plugins": [{"type": "macvlan", "master": "under0",
     "mode": "bridge", "ipam": {"type": "spinneret", "clean_gateway": true}}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: two-nics
  annotations:
    k8s.v1.cni.cncf.io/networks: macvlan-under0@net1
    ipam.spidernet.io/ippools: |-
      [{"interface": "eth0", "ipv4": ["nginx-v4-ippool"]},
       {"interface": "net1", "ipv4": ["macvlan-v4"]}]
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: localhost/spinneret/busybox:dev
    imagePullPolicy: Never
    command: ["sleep", "3600"]'
  echo "$NICS" | apply; echo "$NICS" | "$KUBECTL" apply -f -
  "$KUBECTL" wait --for=condition=Ready pod/two-nics --timeout=120s >/dev/null
  k get po two-nics -o wide
  k exec two-nics -- ip -4 addr
  k get po two-nics -o jsonpath='{.metadata.annotations.ipam\.spidernet\.io/reserved-ips}'; echo
  k get sp nginx-v4-ippool macvlan-v4
fi

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
note "walkthrough done after $((SECONDS - T0)) s"

if [[ "${SPINNERET_DEMO_KEEP:-0}" == 1 ]]; then
  echo; echo "cluster kept running: source $DIR/env; Ctrl-C to stop"
  while true; do sleep 3600; done
fi
