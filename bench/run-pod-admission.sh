#!/usr/bin/env bash
# Admission overhead benchmark (not a test): N pods at each concurrency, with and without the pod webhook,
# ROUNDS rounds alternating. Boots its own control plane (target/bench-control-plane) and cleans it up.
#   bench/run-pod-admission.sh [N=1000] [CONCURRENCY=1,8,32] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f target/quarkus-app/quarkus-run.jar ]] || mvn -B -q package -DskipTests
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
exec java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.spinneret.bench.PodAdmissionBench "$@"
