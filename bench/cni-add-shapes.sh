#!/usr/bin/env bash
# One CNI ADD (then DEL) on a real node, through Calico's plugin vs through the bridge plugin, both with Spinneret as
# the IPAM, against a running node.sh cluster with Spinneret installed (demo.sh with SPINNERET_DEMO_KEEP=1):
#   bench/cni-add-shapes.sh <nodes-dir> [N=30]
# Runs in node-a's network and mount namespace, as containerd runs a plugin: for each round a fresh network
# namespace, ADD with the pod's identity in CNI_ARGS, then DEL. The pod is bound to node-a (Calico's plugin needs
# spec.nodeName) with a runtime handler containerd does not have, so the kubelet never gets as far as its own ADD;
# it holds a reservation from pool cni-bench, and every ADD serves that reservation again. Wall time per ADD and
# CPU per ADD (user+sys of the plugin process and the IPAM plugin it runs: /usr/bin/time). The two shapes alternate.
# Needs the calico network's binaries (node.sh cni <dir> calico once, or a cluster started on calico or multus).
set -euo pipefail
DIR="$(cd "${1:?usage: cni-add-shapes.sh <nodes-dir> [N]}" && pwd)"
N="${2:-30}"
HERE="$(cd "$(dirname "$0")" && pwd)"
NODE="$HERE/../integration-tests/scripts/node.sh"
# shellcheck disable=SC1091
source "$DIR/env"
K=("$KUBECTL")
[[ -x "$DIR/nodes/node-a/fs/opt/cni/bin/calico" ]] || { echo "no calico on node-a: node.sh cni $DIR calico first" >&2; exit 1; }

"${K[@]}" apply -f - >/dev/null <<'EOF'
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: cni-bench}
spec: {subnet: 10.244.0.0/16, ips: [10.244.199.1-10.244.199.5]}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: spinneret-bench-none}
handler: none
---
apiVersion: v1
kind: Pod
metadata:
  name: cni-bench
  namespace: default
  annotations: {ipam.spidernet.io/ippool: '{"ipv4":["cni-bench"]}'}
spec:
  nodeName: node-a
  runtimeClassName: spinneret-bench-none
  containers: [{name: app, image: localhost/spinneret/busybox:dev, imagePullPolicy: Never, command: [sleep, "3600"]}]
EOF
UID_="$("${K[@]}" get pod cni-bench -o jsonpath='{.metadata.uid}')"
W="$DIR/cni-bench"; mkdir -p "$W"
# the single-plugin configs as a runtime hands them over: the conflist's name and cniVersion, then the plugin
python3 - "$DIR/nodes/node-a/fs/etc/cni/net.d/10-pods.conflist" "$W" <<'PY'
import json, sys
src, out = sys.argv[1:3]
conf = json.load(open(src))
ipam = [p for p in conf["plugins"] if p["type"] in ("calico", "bridge")][0]["ipam"]
calico = [p for p in conf["plugins"] if p["type"] == "calico"]
assert calico, "node-a is not on the calico network"
shapes = {"calico": calico[0],
          "bridge": {"type": "bridge", "bridge": "spn0", "isGateway": False, "ipMasq": False, "ipam": ipam}}
for name, plugin in shapes.items():
    json.dump(dict({"cniVersion": conf["cniVersion"], "name": "pods"}, **plugin), open(f"{out}/{name}.json", "w"))
PY
cat >"$W/one.sh" <<'SH'
#!/bin/sh
# shape round uid: one ADD and one DEL in a fresh netns; prints "shape wall_ms cpu_ms"
set -e
shape=$1 i=$2 uid=$3 w=$(dirname "$0")
ns=spnbench$i
ip netns add $ns
export CNI_CONTAINERID=bench$i CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
  CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=cni-bench;K8S_POD_UID=$uid"
t0=$(date +%s%N)
CNI_COMMAND=ADD /usr/bin/time -f '%U %S' -o $w/time.$i /opt/cni/bin/$shape <$w/$shape.json >$w/out.$i || { cat $w/out.$i >&2; exit 1; }
t1=$(date +%s%N)
CNI_COMMAND=DEL /opt/cni/bin/$shape <$w/$shape.json >/dev/null
ip netns del $ns
awk -v s=$shape -v ms=$(( (t1 - t0) / 1000 )) '{printf "%s %.1f %.1f\n", s, ms / 1000, ($1 + $2) * 1000}' $w/time.$i
SH
chmod +x "$W/one.sh"
: >"$W/samples"
for ((i = 1; i <= N; i++)); do
  for shape in calico bridge; do
    "$NODE" exec "$DIR" node-a "$W/one.sh" "$shape" "$i" "$UID_" >>"$W/samples"
  done
done
"${K[@]}" delete pod cni-bench --wait=false >/dev/null
"${K[@]}" delete runtimeclass spinneret-bench-none >/dev/null
python3 - "$W/samples" "$N" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"| shape | ADDs | wall p50 | wall p90 | CPU mean (plugin + IPAM; 10 ms ticks) |")
print("|---|---|---|---|---|")
for shape in ("calico", "bridge"):
    w = sorted(float(r[1]) for r in rows if r[0] == shape)
    c = sorted(float(r[2]) for r in rows if r[0] == shape)
    print(f"| {shape} | {len(w)} | {statistics.median(w):.1f} ms | {w[int(len(w) * 0.9) - 1]:.1f} ms | {statistics.mean(c):.1f} ms |")
PY
