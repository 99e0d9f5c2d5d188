#!/usr/bin/env bash
# Chart smoke test against a throwaway control plane (integration-tests/scripts/control-plane.sh: no scheduler,
# no kubelet, so Spinneret's pods stay Pending and its webhooks have NO ready endpoints).
#
# That is what makes the test meaningful: installed with the DEFAULTS (failurePolicy Fail, ipam.primaryNetwork
# false), an unreachable webhook must let in every pod that does not ask for Spinneret (a default install breaks
# nothing) and must reject what it is registered for (a pod naming a pool, a SpiderIPPool); with primaryNetwork=true
# (only with a default pool) it must reject an ordinary pod in "default" but still let the excluded pods in
# (Spinneret's own, kube-system, ignore-labelled namespaces/pods), proving the wiring and the exclusions. Then:
# upgrade keeps the generated certificate, failurePolicy=Ignore lets pods in, uninstall cleans up.
#
# Usage: helm/spinneret/ci/smoke-test.sh [control-plane-dir]   (run from the repository root)
set -uo pipefail
CP_DIR=${1:-/tmp/cp-helm-smoke}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
CHART=$ROOT/helm/spinneret
NS=spinneret-system
pass=0; fail=0
ok()  { echo "PASS: $*"; pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
contains() { grep -q -- "$2" <<<"$1"; }

"$ROOT/integration-tests/scripts/control-plane.sh" start "$CP_DIR" >/dev/null || { echo "control plane did not start"; exit 1; }
trap '"$ROOT/integration-tests/scripts/control-plane.sh" stop "$CP_DIR" >/dev/null 2>&1' EXIT
# shellcheck disable=SC1091
source "$CP_DIR/env"
K=$KUBECTL
H=${HELM:-$BIN_DIR/helm}
TPL=("$H" template spinneret "$CHART" -n "$NS" --kube-version 1.36.3)
CDP=(--set clusterDefaultPool.installIPv4Subnet=true,clusterDefaultPool.installIPv4IPPool=true
     --set clusterDefaultPool.ipv4Subnet=172.18.0.0/16,clusterDefaultPool.ipv4Gateway=172.18.0.1
     --set 'clusterDefaultPool.ipv4IPRanges[0]=172.18.40.1-172.18.40.200'
     --set clusterDefaultPool.installIPv6IPPool=true,clusterDefaultPool.ipv6Subnet=fd00::/64
     --set 'clusterDefaultPool.ipv6IPRanges[0]=fd00::10-fd00::ff')
TMP=$(mktemp -d); trap '"$ROOT/integration-tests/scripts/control-plane.sh" stop "$CP_DIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
printf 'dummy' > "$TMP/x"; cp "$CA_FILE" "$TMP/ca.pem"

check "helm lint" "$H" lint "$CHART" --kube-version 1.36.3
"$K" apply --server-side -f "$CHART/crds/" >/dev/null
"$K" create namespace "$NS" >/dev/null
check "template defaults (server dry run)" sh -c "$(printf '%q ' "${TPL[@]}") | $K apply --dry-run=server -f -"
check "template clusterDefaultPool (server dry run)" sh -c "$(printf '%q ' "${TPL[@]}" "${CDP[@]}") | $K apply --dry-run=server -f -"
check "template tls.mode=provided (server dry run)" sh -c "$(printf '%q ' "${TPL[@]}") --set tls.mode=provided,tls.provided.secretName=x --set-file tls.provided.caBundle=$TMP/ca.pem | $K apply --dry-run=server -f -"
check "template tls.mode=certManager (renders, inject-ca-from)" sh -c "$(printf '%q ' "${TPL[@]}") --set tls.mode=certManager | grep -q 'cert-manager.io/inject-ca-from: $NS/spinneret-webhook'"
"${TPL[@]}" --show-only templates/webhooks.yaml --set webhook.externalURL=https://127.0.0.1:9443 \
  --set-file webhook.caBundle="$TMP/ca.pem" > "$TMP/ext.yaml" 2>&1
check "template externalURL: 9 webhooks with url" test "$(grep -c 'url: "https://127.0.0.1:9443/admission/' "$TMP/ext.yaml")" = 9
check "template externalURL: no service reference" sh -c "! grep -q 'service:' $TMP/ext.yaml"
check "template externalURL (server dry run)" "$K" apply --dry-run=server -f "$TMP/ext.yaml"
out=$("${TPL[@]}" --set ipam.primaryNetwork=true 2>&1)
check "template refuses primaryNetwork=true without a default pool: ${out:0:120}" contains "$out" 'ipam.defaultPoolsProvided=true'
check "template primaryNetwork=true with a chart default pool" sh -c "$(printf '%q ' "${TPL[@]}" "${CDP[@]}") --set ipam.primaryNetwork=true >/dev/null"
check "template rejects reservationTimeoutMs >= timeout" sh -c "! $(printf '%q ' "${TPL[@]}") --set webhook.timeoutSeconds=5 >/dev/null 2>&1"
"$K" delete namespace "$NS" --wait=true >/dev/null

check "helm install (defaults: failurePolicy Fail, primaryNetwork false)" "$H" install spinneret "$CHART" -n "$NS" --create-namespace
for o in deploy/spinneret svc/spinneret sa/spinneret secret/spinneret-webhook-tls role/spinneret rolebinding/spinneret pdb/spinneret; do
  check "exists: $o" "$K" -n "$NS" get "$o"
done
for o in mutatingwebhookconfiguration/spinneret validatingwebhookconfiguration/spinneret clusterrole/spinneret clusterrolebinding/spinneret; do
  check "exists: $o" "$K" get "$o"
done
sel=$("$K" get mutatingwebhookconfiguration spinneret -o jsonpath='{.webhooks[?(@.name=="mutate-pod.spinneret.dev")].namespaceSelector.matchExpressions[?(@.key=="kubernetes.io/metadata.name")].values}')
check "mutate-pod namespaceSelector excludes kube-system ($sel)" contains "$sel" '"kube-system"'
check "mutate-pod namespaceSelector excludes the release namespace $NS" contains "$sel" "\"$NS\""
sel=$("$K" get validatingwebhookconfiguration spinneret -o jsonpath='{.webhooks[?(@.name=="validate-pod.spinneret.dev")].namespaceSelector.matchExpressions[?(@.key=="kubernetes.io/metadata.name")].values}')
check "validate-pod namespaceSelector excludes kube-system" contains "$sel" '"kube-system"'
for _ in $(seq 30); do [ "$("$K" -n "$NS" get pods -l app.kubernetes.io/name=spinneret --no-headers 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 1; done
check "Spinneret's own 2 pods were admitted although its webhook is unreachable" test "$("$K" -n "$NS" get pods -l app.kubernetes.io/name=spinneret --no-headers | wc -l)" -ge 2

run() { "$K" run "$@" --image=registry.invalid/pause:none --restart=Never; }
check "default install: ordinary pod in default admitted while the webhook is unreachable" run p-first -n default
out=$(run p-asks -n default '--annotations=ipam.spidernet.io/ippool={"ipv4":["p"]}' 2>&1)
check "default install: pod naming a pool REJECTED: ${out:0:100}" contains "$out" 'failed calling webhook "mutate-pod.spinneret.dev"'
check "helm upgrade --set ipam.primaryNetwork=true,ipam.defaultPoolsProvided=true" "$H" upgrade spinneret "$CHART" -n "$NS" --reuse-values --set ipam.primaryNetwork=true,ipam.defaultPoolsProvided=true
out=$(run p-default -n default 2>&1)
check "pod in default REJECTED (webhook unreachable, Fail): ${out:0:140}" contains "$out" 'failed calling webhook "mutate-pod.spinneret.dev"'
check "pod in kube-system admitted" run p-ks -n kube-system
check "pod labelled spinneret.dev/ignore=true admitted" run p-ign -n default --labels=spinneret.dev/ignore=true
"$K" create namespace ignored >/dev/null; "$K" label namespace ignored spinneret.dev/ignore=true >/dev/null
check "pod in namespace labelled spinneret.dev/ignore=true admitted" run p-ns -n ignored
out=$(printf 'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: p1}\nspec: {subnet: 10.9.0.0/24, ips: [10.9.0.10-10.9.0.20]}\n' | "$K" create -f - 2>&1)
check "SpiderIPPool REJECTED (CRD webhooks Fail): ${out:0:120}" contains "$out" 'failed calling webhook "mutate-spiderippool.spinneret.dev"'

crt1=$("$K" -n "$NS" get secret spinneret-webhook-tls -o jsonpath='{.data.tls\.crt}')
ca1=$("$K" -n "$NS" get secret spinneret-webhook-tls -o jsonpath='{.data.ca\.crt}')
check "helm upgrade (same values)" "$H" upgrade spinneret "$CHART" -n "$NS" --reuse-values
crt2=$("$K" -n "$NS" get secret spinneret-webhook-tls -o jsonpath='{.data.tls\.crt}')
check "upgrade reused the serving certificate (lookup)" test "$crt1" = "$crt2"
bundles=$("$K" get mutatingwebhookconfiguration,validatingwebhookconfiguration spinneret -o jsonpath='{range .items[*].webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}' | sort -u)
check "every caBundle equals the Secret's ca.crt" test "$bundles" = "$ca1"
check "template rejects ipam.primaryNetwork=maybe" sh -c "! $(printf '%q ' "${TPL[@]}") --set ipam.primaryNetwork=maybe >/dev/null 2>&1"
check "helm upgrade --set ipam.primaryNetwork=false (still Fail)" "$H" upgrade spinneret "$CHART" -n "$NS" --reuse-values --set ipam.primaryNetwork=false
check "primaryNetwork=false: ordinary pod in default admitted while the webhook is unreachable" run p-plain -n default
out=$(run p-multus -n default --annotations=k8s.v1.cni.cncf.io/networks=macvlan@net1 2>&1)
check "primaryNetwork=false: Multus pod REJECTED: ${out:0:100}" contains "$out" 'failed calling webhook "mutate-pod.spinneret.dev"'
out=$(run p-ippool -n default '--annotations=ipam.spidernet.io/ippool={"ipv4":["p"]}' 2>&1)
check "primaryNetwork=false: pod with ipam.spidernet.io/ippool REJECTED: ${out:0:100}" contains "$out" 'failed calling webhook "mutate-pod.spinneret.dev"'
check "primaryNetwork=false: deployment env says so" sh -c "$K -n $NS get deploy spinneret -o yaml | grep -A1 SPINNERET_IPAM_PRIMARY_NETWORK | grep -q '\"false\"'"
check "helm upgrade --set webhook.failurePolicy=Ignore" "$H" upgrade spinneret "$CHART" -n "$NS" --reuse-values --set webhook.failurePolicy=Ignore
check "pod in default admitted with failurePolicy=Ignore" run p-default2 -n default
check "helm uninstall" "$H" uninstall spinneret -n "$NS" --wait
check "webhook configurations removed" sh -c "! $K get mutatingwebhookconfiguration spinneret"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
