#!/usr/bin/env bash
# Admission overhead (see bench/run.sh): bench/run-pod-admission.sh [N=1000] [CONCURRENCY=1,8,32] [ROUNDS=3]
exec "$(dirname "$0")/run.sh" PodAdmissionBench "$@"
