#!/usr/bin/env bash
# Pod create → Running on the two real nodes of integration-tests/scripts/node.sh, Spinneret vs host-local, in one run:
#   bench/run-nodes.sh [N=100] [ROUNDS=2]      (root; builds what is missing like demo.sh)
# Each round creates N bare pods with one `kubectl create` (busybox `sleep`, spread by the scheduler over both
# nodes) and times every pod from the first watch event that shows it (ADDED) to the event that shows it Running:
#   spinneret   pods name the pool bench-pool (10.244.160.0/24 range); the nodes' CNI config is bridge + Spinneret
#   host-local  pods carry spinneret.dev/ignore=true (no webhook call); the CNI config is bridge + host-local
# The two modes alternate (host-local first). CPU: cpuacct of the node cgroups (kubelet, containerd, shims, CNI
# plugins, the pods, Spinneret's replicas) plus the control-plane processes, per pod.
# Results: bench/results/<date>-nodes-create-to-running-n<N>.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N="${1:-100}"
ROUNDS="${2:-2}"
DIR="${SPINNERET_BENCH_DIR:-$ROOT/target/bench-nodes}"
[[ "$(id -u)" == 0 ]] || { echo "needs root (node.sh)" >&2; exit 1; }
# SPINNERET_IMAGES_DIR: use image tars built before (spinneret.tar, spinneret-cni.tar, kubectl.tar) as they are
if [[ -n "${SPINNERET_IMAGES_DIR:-}" ]]; then
  IMG="$SPINNERET_IMAGES_DIR"
else
  [[ -f target/quarkus-app/quarkus-run.jar && -f target/spinneret-cni.jar ]] || mvn -B -q package -DskipTests
  IMG="$(integration-tests/images/build-images.sh | tail -1)"
fi
trap 'integration-tests/scripts/node.sh stop "$DIR" >/dev/null 2>&1 || integration-tests/scripts/node.sh stop "$DIR"' EXIT
SPINNERET_NODE_IMAGES="$IMG/spinneret.tar $IMG/spinneret-cni.tar $IMG/kubectl.tar" \
  integration-tests/scripts/node.sh start "$DIR"
# shellcheck disable=SC1091
source "$DIR/env"
"$BIN_DIR/helm" install spinneret helm/spinneret -n spinneret-system --create-namespace \
  -f integration-tests/scripts/local-nodes-values.yaml --wait --timeout 5m >/dev/null
"$KUBECTL" -n spinneret-system rollout status ds/spinneret-cni --timeout=180s >/dev/null
"$KUBECTL" apply -f - >/dev/null <<'EOF'
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: bench-pool
spec:
  ipVersion: 4
  subnet: 10.244.0.0/16
  ips:
  - 10.244.160.1-10.244.160.254
EOF
"$KUBECTL" create namespace bench >/dev/null
until "$KUBECTL" -n bench get sa default >/dev/null 2>&1; do sleep 0.3; done

export ROOT
OUT="bench/results/$(date -u +%F)-nodes-create-to-running-n$N.md"
python3 - "$N" "$ROUNDS" "$DIR" "$OUT" <<'PYEOF'
import glob, json, os, subprocess, sys, threading, time
n, rounds, d, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
env = dict(os.environ)
kubectl = env["KUBECTL"]
hz = os.sysconf("SC_CLK_TCK")

node_id = dict(l.strip().split("=", 1) for l in open(d + "/net") if "=" in l)["ID"]

def cpu_seconds():
    total = 0.0
    for f in glob.glob("/sys/fs/cgroup/cpuacct/spn%s-node-*/cpuacct.usage" % node_id):
        total += int(open(f).read()) / 1e9
    for line in open(d + "/cp/pids"):
        name, pid = line.split()
        try:
            st = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
            total += (int(st[11]) + int(st[12]) + int(st[13]) + int(st[14])) / hz
        except FileNotFoundError:
            pass
    return total

def pods_yaml(mode):
    docs = []
    for i in range(n):
        meta = {"name": "b-%s-%03d" % (mode, i), "namespace": "bench", "labels": {"bench": mode}}
        if mode == "spinneret":
            meta["annotations"] = {"ipam.spidernet.io/ippool": '{"ipv4":["bench-pool"]}'}
        else:
            meta["labels"]["spinneret.dev/ignore"] = "true"
        docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "localhost/spinneret/busybox:dev", "imagePullPolicy": "Never",
                            "command": ["sleep", "3600"]}]}})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})

def run(mode):
    subprocess.run([env["ROOT"] + "/integration-tests/scripts/node.sh", "cni", d,
                    "spinneret" if mode == "spinneret" else "host-local"], check=True)
    seen, running, nodes = {}, {}, {}
    w = subprocess.Popen([kubectl, "-n", "bench", "get", "pods", "-l", "bench=" + mode, "-w", "--output-watch-events",
                          "-o", "jsonpath={.type} {.object.metadata.name} {.object.status.phase} {.object.spec.nodeName}{\"\\n\"}"],
                         stdout=subprocess.PIPE, text=True, env=env)
    done = threading.Event()
    def reader():
        for line in w.stdout:
            t = time.monotonic()
            parts = line.split()
            if len(parts) < 2:
                continue
            name = parts[1]
            seen.setdefault(name, t)
            if len(parts) >= 3 and parts[2] == "Running" and name not in running:
                running[name] = t
                nodes[name] = parts[3] if len(parts) > 3 else "?"
                if len(running) == n:
                    done.set()
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    time.sleep(1.0)
    c0, t0 = cpu_seconds(), time.monotonic()
    r = subprocess.run([kubectl, "create", "-f", "-"], input=pods_yaml(mode), text=True, capture_output=True, env=env)
    if r.returncode != 0:
        sys.exit("create failed: " + r.stderr[-2000:])
    ok = done.wait(600)
    t1, c1 = time.monotonic(), cpu_seconds()
    w.kill()
    if not ok:
        sys.exit("%s: only %d of %d pods Running after 600 s" % (mode, len(running), n))
    lat = sorted(running[k] - seen[k] for k in running)
    first = min(seen.values())
    last = max(running.values())
    res = {"mode": mode, "p50": lat[len(lat) // 2], "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
           "max": lat[-1], "pods_per_s": n / (last - first), "wall": last - first, "cpu": c1 - c0,
           "node_a": sum(1 for v in nodes.values() if v == "node-a"), "load": open("/proc/loadavg").read().split()[0]}
    subprocess.run([kubectl, "-n", "bench", "delete", "pods", "-l", "bench=" + mode, "--wait=true", "--timeout=300s"],
                   check=True, capture_output=True, env=env)
    print("%(mode)-10s p50 %(p50).2f s  p99 %(p99).2f s  %(pods_per_s).1f pods/s  cpu %(cpu).1f s  load %(load)s" % res,
          file=sys.stderr)
    return res

results = []
for r in range(rounds):
    for mode in ("host-local", "spinneret"):
        results.append(run(mode))
        time.sleep(3)

def agg(mode, key):
    v = [r[key] for r in results if r["mode"] == mode]
    return sum(v) / len(v)
ratio = agg("spinneret", "pods_per_s") / agg("host-local", "pods_per_s")
lines = ["# Pod create → Running on two real nodes: Spinneret vs host-local (N=%d, %d rounds)" % (n, rounds), "",
         "Run %s UTC on %s (%d CPUs), `bench/run-nodes.sh %d %d`. Two kubelet nodes of "
         "`integration-tests/scripts/node.sh` (kubelet v1.36.3, containerd 1.6.20, runc 1.1.5), bridge plugin; "
         "Spinneret 2 replicas from the chart (host network), CNI plugin = %s. Each round: one `kubectl create` of "
         "%d bare busybox pods; latency per pod from its first watch event (ADDED) to Running; pods/s = N / (first "
         "ADDED → last Running). CPU = cpuacct of both node cgroups (kubelet, containerd, shims, CNI plugins, "
         "pods, Spinneret) + control-plane processes, during the round. The machine is shared: load average "
         "(1 min) at the end of each round is listed." % (time.strftime("%F %H:%M", time.gmtime()),
                                                     os.uname().nodename, os.cpu_count(), n, rounds,
                                                     env.get("SPINNERET_CNI_NOTE", "the Go plugin (target/cni, src/main/cni/build.sh)"), n),
         "", "| round | IPAM | p50 s | p99 s | max s | pods/s | wall s | CPU s | CPU ms/pod | pods on node-a | load |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for i, r in enumerate(results):
    lines.append("| %d | %s | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | %.0f | %d | %s |" % (
        i // 2 + 1, r["mode"], r["p50"], r["p99"], r["max"], r["pods_per_s"], r["wall"], r["cpu"],
        1000 * r["cpu"] / n, r["node_a"], r["load"]))
lines += ["", "Mean pods/s: host-local %.1f, Spinneret %.1f → **%.2f×** (target ≥ 0.8×). Mean p50: host-local %.2f s, "
          "Spinneret %.2f s; p99 %.2f s vs %.2f s." % (agg("host-local", "pods_per_s"), agg("spinneret", "pods_per_s"),
          ratio, agg("host-local", "p50"), agg("spinneret", "p50"), agg("host-local", "p99"), agg("spinneret", "p99")), ""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PYEOF
