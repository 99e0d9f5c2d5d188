#!/usr/bin/env bash
# Runs one benchmark main from src/test/java/dev/spinneret/bench against its own throwaway control plane.
#   bench/run.sh PodAdmissionBench [N=1000] [CONCURRENCY=1,8,32] [ROUNDS=3]   (SPINNERET_BENCH_WARMUP=pods through the
#                                         webhook before the measured rounds, default 300; SPINNERET_JAVA_OPTS=service JVM)
#   bench/run.sh PoolSizeBench [PODS_PER_POINT=50] [SHAPES=/24,/16,/8,/64]
#   bench/run.sh ScaleOutBench [DEPLOYMENTS=100] [REPLICAS=10] [ROUNDS=2]
#   bench/run.sh ScaleBench [N=10000] [POOLS=100] [REPLICAS=2] [C=32]   (N pods over POOLS pools, REPLICAS replicas)
#   bench/run.sh FairBench [N=100] [CONCURRENCY=1,8] [ROUNDS=3]   (Spinneret, Spiderpool v1.2.1 and Whereabouts v0.9.2, each
#                                         in its own control plane; builds both peers and the Go plugin; root;
#                                         SPINNERET_BENCH_WARMUP=pods each system does first, default 300)
#   bench/run.sh CniAddBench [RUNS=200] [CONCURRENCY=1,8]   (the Go CNI plugin's ADD against the real API server;
#                                         SPINNERET_CNI_BASELINE=<binary> alternates with another build of the plugin)
# Results: bench/results/<date>-*.md. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bench="${1:?usage: bench/run.sh PodAdmissionBench|PoolSizeBench|ScaleOutBench|ScaleBench|FairBench|CniAddBench [args...]}"; shift
[[ "$bench" =~ ^(PodAdmissionBench|PoolSizeBench|ScaleOutBench|ScaleBench|FairBench|CniAddBench)$ ]] || { echo "unknown benchmark $bench" >&2; exit 2; }
[[ -f target/quarkus-app/quarkus-run.jar ]] || mvn -B -q package -DskipTests
if [[ "$bench" == FairBench ]]; then
  wb="$(integration-tests/whereabouts-bin/build.sh)"
  export SPINNERET_WHEREABOUTS_BIN="$(sed -n 's/^BIN=//p' <<<"$wb")" SPINNERET_WHEREABOUTS_CRDS="$(sed -n 's/^CRDS=//p' <<<"$wb")"
  src/main/cni/build.sh >/dev/null   # target/cni/spinneret (seconds with a warm Go build cache)
  # Spiderpool (root only: its plugin opens a network namespace): built from a source snapshot of its public
  # repository (the Go module proxy refuses it); without a snapshot FairBench refuses to run
  if [[ -z "${SPINNERET_SPIDERPOOL_BIN_DIR:-}" && "$(id -u)" == 0 ]]; then
    rc=0; sp="$(integration-tests/scripts/build-spiderpool.sh | tail -n1)" || rc=$?
    if ((rc == 0)); then export SPINNERET_SPIDERPOOL_BIN_DIR="$sp"; elif ((rc != 3)); then exit "$rc"; fi
  fi
fi
if [[ "$bench" == CniAddBench ]]; then
  src/main/cni/build.sh >/dev/null
fi
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec java -Xmx2g -cp "target/test-classes:target/classes:$(cat target/bench.cp)" "dev.spinneret.bench.$bench" "$@"
