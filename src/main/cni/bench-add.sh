#!/bin/bash
# ADD latency of the packaged plugin against the fake API server (HTTPS, in a separate JVM):
# wall time of the launcher per ADD (fork/exec + JVM start + GET pod, GET pool(s), GET endpoint, PATCH status),
# p50/p95/mean/min/max over N runs after 3 warm-ups, with and without the class-sharing archive, the variants
# alternating run by run.
# Also: the VERSION command (JVM start floor, no network) and CPU time (user+sys) per run, which is less
# sensitive than wall time to other load on the machine.
# Usage: src/main/cni/bench-add.sh [DIST_DIR (default target/cni-dist)] [RUNS (default 50)]
# Env: BENCH_SERVER_WARMUP=N  full handshakes the fake server makes against itself before the runs (default 300)
#      BENCH_KEYALG=EC|RSA  API server certificate (EC P-256 like k3s, RSA 2048 like kubeadm); default EC
#      BENCH_CLIENT_CERT=rsa|ec  authenticate with a client certificate (RSA 2048 / EC P-256, test resources) instead
#                                of the ServiceAccount token the chart's installer writes; default: token
#      BENCH_BASELINE=DIST2  also measure another dist (e.g. a build of the previous commit), alternating
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
CLIENT=()
case "${BENCH_CLIENT_CERT:-}" in
  "") ;;
  rsa) CLIENT=("$ROOT/src/test/resources/dev/spinneret/cni/kube/rsa.crt" "$ROOT/src/test/resources/dev/spinneret/cni/kube/rsa-pkcs8.key") ;;
  ec) CLIENT=("$ROOT/src/test/resources/dev/spinneret/cni/kube/ec.crt" "$ROOT/src/test/resources/dev/spinneret/cni/kube/ec-pkcs8.key") ;;
  *) echo "BENCH_CLIENT_CERT must be rsa or ec" >&2; exit 2 ;;
esac
# The fake server first makes 300 full handshakes + GETs against itself with the plugin's client: a JDK TLS server
# answers slowly until its JIT has compiled the server side (kube-apiserver is Go, compiled ahead of time), and that
# would be measured as the plugin's time.
"$JAVA" -XX:+UseSerialGC -Dspinneret.test.keyalg="${BENCH_KEYALG:-EC}" -Dspinneret.test.warmup="${BENCH_SERVER_WARMUP:-300}" -cp "$WORK/classes:target/classes" dev.spinneret.cni.FakeApiServer "$WORK" "${CLIENT[@]}" > "$WORK/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do grep -q '^port ' "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
CONF="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"kubeconfig\":\"$WORK/spinneret.kubeconfig\",\"log_file_path\":\"$WORK/cni.log\"}}"
printf '%s' "$CONF" > "$WORK/conf.json"
export CNI_COMMAND=ADD CNI_CONTAINERID=bench0 CNI_NETNS=/var/run/netns/bench CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
  CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench;K8S_POD_UID=uid-bench"

# variant without archive: a copy of the dist minus app.aot/app.jsa
cp -a "$DIST" "$WORK/noarchive"
rm -f "$WORK/noarchive/spinneret.d/app.aot" "$WORK/noarchive/spinneret.d/app.jsa"

# variants of the same dist launched with one start-up measure turned off (docs/cni.md, "Measured start-up")
derive() {   # name, JVM flag
  cp -a "$DIST" "$WORK/$1"
  sed -i "s#^exec ./jre/bin/java #exec ./jre/bin/java $2 #" "$WORK/$1/spinneret"
  grep -q -- "$2" "$WORK/$1/spinneret" || { echo "cannot derive the $1 launcher" >&2; exit 1; }
}
derive noprewarm -Dspinneret.cni.prewarm=false   # no TLS warm-up threads (TlsPrewarm)
derive jdkp256 -Dspinneret.cni.p256=jdk          # the JDK's P-256 verifier instead of P256Provider

# Variants run round-robin (one run of each in turn), so that load from other processes hits them alike.
NAMES=(); CMDS=()
variant() { NAMES+=("$1"); CMDS+=("$2"); }   # name, launcher (or a command without arguments containing spaces)

measure_all() {
  local i v n=${#NAMES[@]}
  for ((v = 0; v < n; v++)); do
    for i in 1 2 3; do ${CMDS[$v]} < "$WORK/conf.json" > "$WORK/out" || true; done
    if [ "${CNI_COMMAND}" = ADD ]; then
      grep -q '"ips"' "$WORK/out" || { echo "${NAMES[$v]}: ADD failed: $(cat "$WORK/out")" >&2; return 1; }
    fi
    : > "$WORK/times$v"
  done
  local TIMEFORMAT='%3R %3U %3S'
  for ((i = 0; i < RUNS; i++)); do
    for ((v = 0; v < n; v++)); do   # bash's time keyword: no extra fork inside the measured interval
      { time ${CMDS[$v]} < "$WORK/conf.json" > "$WORK/out"; } 2>> "$WORK/times$v"
    done
  done
  for ((v = 0; v < n; v++)); do
    awk '{print $1 * 1000, ($2 + $3) * 1000}' "$WORK/times$v" | sort -n | awk -v name="${NAMES[$v]}" -v n="$RUNS" '
      { v[NR] = $1; s += $1; c += $2 }
      END { p50 = v[int((n + 1) / 2)]; p95 = v[int(n * 0.95 + 0.999)];
            printf "| %-52s | %6.0f | %6.0f | %6.0f | %6.0f | %6.0f | %6.0f |\n", name, p50, p95, s / n, v[1], v[n], c / n }'
  done
  NAMES=(); CMDS=()
}

JV=$("$DIST/spinneret.d/jre/bin/java" -version 2>&1 | head -1)
echo "ADD latency, $RUNS runs, $(nproc) CPUs, $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg), server cert ${BENCH_KEYALG:-EC}, auth ${BENCH_CLIENT_CERT:+client cert }${BENCH_CLIENT_CERT:-token}, runtime: $JV"
echo "| variant                                              |  p50ms |  p95ms | meanms |  minms |  maxms |  cpums |"
echo "|------------------------------------------------------|--------|--------|--------|--------|--------|--------|"
ARCH=$(ls "$DIST/spinneret.d" | grep -E '^app\.(aot|jsa)$' || echo none)
variant "ADD, launcher + jlink runtime + archive ($ARCH)" "$DIST/spinneret"
variant "ADD, launcher + jlink runtime + archive, no TLS warm-up" "$WORK/noprewarm/spinneret"
if [ "${BENCH_KEYALG:-EC}" = EC ]; then
  variant "ADD, launcher + jlink runtime + archive, JDK's P-256 verifier" "$WORK/jdkp256/spinneret"
fi
variant "ADD, launcher + jlink runtime, no archive" "$WORK/noarchive/spinneret"
if [ -n "${BENCH_BASELINE:-}" ]; then
  variant "ADD, baseline $(basename "$BENCH_BASELINE") + archive" "$(realpath "$BENCH_BASELINE")/spinneret"
fi
if [ -n "${BENCH_PLAIN_JDK:-}" ]; then
  printf '#!/bin/sh\nexec "%s/bin/java" -jar "%s/target/spinneret-cni.jar"\n' "$BENCH_PLAIN_JDK" "$ROOT" > "$WORK/plain"
  chmod +x "$WORK/plain"
  variant "ADD, plain java -jar ($(basename "$BENCH_PLAIN_JDK"))" "$WORK/plain"
fi
measure_all
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
export CNI_COMMAND=VERSION
variant "VERSION (JVM floor), launcher + archive" "$DIST/spinneret"
measure_all
