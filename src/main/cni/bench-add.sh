#!/bin/bash
# ADD latency of the packaged plugin against the fake API server (HTTPS, in a separate JVM):
# wall time of the launcher per ADD (fork/exec + JVM start + GET pod, GET pool(s), GET endpoint, PATCH status),
# p50/p95/mean/min/max over N runs after 3 warm-ups, with and without the class-sharing archive.
# Also: the VERSION command (JVM start floor, no network) and CPU time (user+sys) per run, which is less
# sensitive than wall time to other load on the machine.
# Usage: src/main/cni/bench-add.sh [DIST_DIR (default target/cni-dist)] [RUNS (default 50)]
# Env: BENCH_KEYALG=EC|RSA  API server certificate (EC P-256 like k3s, RSA 2048 like kubeadm); default EC
#      BENCH_PLAIN_JDK=/usr/lib/jvm/...  also measure plain "java -jar" with that JDK
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
DIST="$(realpath "${1:-target/cni-dist}")"
RUNS="${2:-50}"
JAVA="${JAVA:-java}"
WORK="$(mktemp -d /tmp/spn-bench.XXXXXX)"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

T=src/test/java/dev/spinneret/cni
mkdir -p "$WORK/classes"
javac -nowarn --release 17 -d "$WORK/classes" -cp target/classes "$T/FakeApiServer.java" "$T/TestTls.java" "$T/Fixtures.java"
"$JAVA" -XX:+UseSerialGC -Dspinneret.test.keyalg="${BENCH_KEYALG:-EC}" -cp "$WORK/classes:target/classes" dev.spinneret.cni.FakeApiServer "$WORK" > "$WORK/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do grep -q '^port ' "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
CONF="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"kubeconfig\":\"$WORK/spinneret.kubeconfig\",\"log_file_path\":\"$WORK/cni.log\"}}"
printf '%s' "$CONF" > "$WORK/conf.json"
export CNI_COMMAND=ADD CNI_CONTAINERID=bench0 CNI_NETNS=/var/run/netns/bench CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
  CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench;K8S_POD_UID=uid-bench"

# variant without archive: a copy of the dist minus app.aot/app.jsa
cp -a "$DIST" "$WORK/noarchive"
rm -f "$WORK/noarchive/spinneret.d/app.aot" "$WORK/noarchive/spinneret.d/app.jsa"

measure() { # name, command...   (bash's time keyword: no extra fork inside the measured interval)
  local name="$1"; shift
  local i
  for i in 1 2 3; do "$@" < "$WORK/conf.json" > "$WORK/out" || true; done
  if [ "${CNI_COMMAND}" = ADD ]; then
    grep -q '"ips"' "$WORK/out" || { echo "$name: ADD failed: $(cat "$WORK/out")" >&2; return 1; }
  fi
  : > "$WORK/times"
  local TIMEFORMAT='%3R %3U %3S'
  for ((i = 0; i < RUNS; i++)); do
    { time "$@" < "$WORK/conf.json" > "$WORK/out"; } 2>> "$WORK/times"
  done
  awk '{print $1 * 1000, ($2 + $3) * 1000}' "$WORK/times" | sort -n | awk -v name="$name" -v n="$RUNS" '
    { v[NR] = $1; s += $1; c += $2 }
    END { p50 = v[int((n + 1) / 2)]; p95 = v[int(n * 0.95 + 0.999)];
          printf "| %-52s | %6.0f | %6.0f | %6.0f | %6.0f | %6.0f | %6.0f |\n", name, p50, p95, s / n, v[1], v[n], c / n }'
}

JV=$("$DIST/spinneret.d/jre/bin/java" -version 2>&1 | head -1)
echo "ADD latency, $RUNS runs, $(nproc) CPUs, $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg), server cert ${BENCH_KEYALG:-EC}, runtime: $JV"
echo "| variant                                              |  p50ms |  p95ms | meanms |  minms |  maxms |  cpums |"
echo "|------------------------------------------------------|--------|--------|--------|--------|--------|--------|"
ARCH=$(ls "$DIST/spinneret.d" | grep -E '^app\.(aot|jsa)$' || echo none)
measure "ADD, launcher + jlink runtime + archive ($ARCH)" "$DIST/spinneret"
measure "ADD, launcher + jlink runtime, no archive" "$WORK/noarchive/spinneret"
if [ -n "${BENCH_PLAIN_JDK:-}" ]; then
  measure "ADD, plain java -jar ($(basename "$BENCH_PLAIN_JDK"))" "$BENCH_PLAIN_JDK/bin/java" -jar "$ROOT/target/spinneret-cni.jar"
fi
export CNI_COMMAND=VERSION
measure "VERSION (JVM floor), launcher + archive" "$DIST/spinneret"
