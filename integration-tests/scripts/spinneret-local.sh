#!/usr/bin/env bash
# Runs the packaged Spinneret service (target/quarkus-app) as local processes against a control plane started by
# control-plane.sh, with TLS, and registers its webhooks with clientConfig.url (rendered from the Helm chart, the
# one source of truth for the webhook configurations).
#
#   spinneret-local.sh start <cp-dir> [replicas]   default 1 replica; >1 puts a TCP round-robin proxy in front
#   spinneret-local.sh stop  <cp-dir>              stop the service processes and unregister the webhooks
#   spinneret-local.sh stop-service <cp-dir>       stop the service processes only (webhooks stay registered)
#
# After start: source <cp-dir>/spinneret/env  (SPINNERET_URL, SPINNERET_HTTP_PORTS: the plain-HTTP management ports
# with /q/health/* and /q/metrics, webhooks are on TLS only; SPINNERET_PIDS, logs in
# <cp-dir>/spinneret/*.log). Env: SPINNERET_JAVA (java binary), SPINNERET_JAVA_OPTS (default: the chart's JVM
# settings, DEFAULT_JAVA_OPTS below), SPINNERET_JAVA_OPTS_<i> (replica i only), SPINNERET_GC_ORPHAN_TTL,
# SPINNERET_GC_INTERVAL, SPINNERET_WEBHOOK_TIMEOUT (seconds), SPINNERET_READY_TIMEOUT (seconds, default 180),
# SPINNERET_PRIMARY_NETWORK (true|false, default true:
# the chart's ipam.primaryNetwork, given to both the service and the rendered webhooks, matchConditions included).
# The NetworkAttachmentDefinition CRD (Multus' published schema, src/test/resources/crds/) is applied too.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
log() { printf '[spinneret-local] %s\n' "$*" >&2; }
die() { printf '[spinneret-local] ERROR: %s\n' "$*" >&2; exit 1; }

cmd="${1:-}"; CP="${2:-}"
[[ -n "$cmd" && -n "$CP" ]] || { echo "usage: $0 start|stop|stop-service <cp-dir> [replicas]" >&2; exit 2; }
CP="$(cd "$CP" 2>/dev/null && pwd)" || die "no control plane directory $2 (start one with control-plane.sh start)"
SD="$CP/spinneret"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

stop_service() {
  [[ -f "$SD/pids" ]] || return 0
  local pid
  while read -r pid; do
    [[ -n "$pid" ]] && kill -TERM -- "-$pid" 2>/dev/null || true
  done <"$SD/pids"
  for _ in $(seq 1 50); do
    local alive=0
    while read -r pid; do [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && alive=1; done <"$SD/pids"
    [[ $alive == 0 ]] && break
    sleep 0.2
  done
  while read -r pid; do [[ -n "$pid" ]] && kill -KILL -- "-$pid" 2>/dev/null || true; done <"$SD/pids"
  rm -f "$SD/pids"
}

unregister() {
  [[ -f "$CP/env" ]] || return 0
  # shellcheck disable=SC1091
  source "$CP/env"
  "$KUBECTL" delete mutatingwebhookconfiguration,validatingwebhookconfiguration -l app.kubernetes.io/name=spinneret \
    --ignore-not-found --request-timeout=10s >/dev/null 2>&1 || true
}

case "$cmd" in
  stop) unregister; stop_service; exit 0 ;;
  stop-service) stop_service; exit 0 ;;
  start) ;;
  *) die "unknown command $cmd" ;;
esac

REPLICAS="${3:-1}"
PRIMARY_NETWORK="${SPINNERET_PRIMARY_NETWORK:-true}"
# seconds each instance may take to become ready (start-up took 38 s on the 2-core machine at load 20)
READY_TIMEOUT="${SPINNERET_READY_TIMEOUT:-180}"
[[ "$READY_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "SPINNERET_READY_TIMEOUT must be a positive number of seconds"
[[ "$PRIMARY_NETWORK" == true || "$PRIMARY_NETWORK" == false ]] || die "SPINNERET_PRIMARY_NETWORK must be true or false"
[[ "$REPLICAS" =~ ^[1-9]$ ]] || die "replicas must be 1..9, got $REPLICAS"
[[ -f "$CP/env" ]] || die "$CP/env missing: start the control plane first (control-plane.sh start $CP)"
# shellcheck disable=SC1091
source "$CP/env"
APP="$ROOT/target/quarkus-app/quarkus-run.jar"
[[ -f "$APP" ]] || die "$APP missing: build it with 'mvn -B package -DskipTests'"
HELM="$BIN_DIR/helm"
[[ -x "$HELM" ]] || die "helm not found in $BIN_DIR (integration-tests/scripts/build-binaries.sh builds it)"
JAVA="${SPINNERET_JAVA:-java}"
# the chart's JVM settings (helm/spinneret/values.yaml controller.maxHeap and controller.jvmOptions; measured in
# docs/scaling.md, "Memory per replica")
DEFAULT_JAVA_OPTS="-Xmx96m -XX:+UseSerialGC -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"

stop_service
mkdir -p "$SD"
: >"$SD/pids"

# serving certificate for https://127.0.0.1, signed by the control plane's CA (that CA becomes the caBundle)
if [[ ! -f "$SD/tls.crt" ]]; then
  openssl req -new -newkey rsa:2048 -nodes -keyout "$SD/tls.key" -subj "/CN=spinneret-local" \
    -out "$SD/tls.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$SD/ext.cnf"
  openssl x509 -req -in "$SD/tls.csr" -CA "$CA_FILE" -CAkey "$CA_KEY_FILE" -CAcreateserial -days 30 \
    -extfile "$SD/ext.cnf" -out "$SD/tls.crt" 2>/dev/null
fi

log "applying CRDs"
"$KUBECTL" apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
"$KUBECTL" apply --server-side --force-conflicts -f "$ROOT/src/test/resources/crds/" >/dev/null
# kubectl wait fails at once ("status.conditions accessor error") on a CRD whose status is not written yet: retry
for try in $(seq 1 60); do
  "$KUBECTL" wait --for=condition=Established --timeout=60s crd --all >/dev/null 2>&1 && break
  [[ $try == 60 ]] && { "$KUBECTL" wait --for=condition=Established --timeout=1s crd --all; exit 1; }
  sleep 1
done
"$KUBECTL" create namespace spinneret-system --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null

# Spinneret acts as a user of its own, "spinneret-local" (a client certificate of the control plane's CA, group
# system:masters): the admission policies exempt exactly that name, so the tests' "admin" is subject to them like
# any other cluster-admin
if [[ ! -f "$SD/service.crt" ]]; then
  openssl req -new -newkey rsa:2048 -nodes -keyout "$SD/service.key" -subj "/O=system:masters/CN=spinneret-local" \
    -out "$SD/service.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' \
    >"$SD/client.ext"
  openssl x509 -req -in "$SD/service.csr" -CA "$CA_FILE" -CAkey "$CA_KEY_FILE" -CAcreateserial -days 30 \
    -extfile "$SD/client.ext" -out "$SD/service.crt" 2>/dev/null
fi
python3 - "$CP/admin.kubeconfig" "$SD/service.kubeconfig" "$SD/service.crt" "$SD/service.key" <<'PY'
import base64, sys
src, dst, crt, key = sys.argv[1:5]
b64 = lambda f: base64.b64encode(open(f, "rb").read()).decode()
out = []
for line in open(src).read().splitlines(keepends=True):
    stripped = line.lstrip()
    indent = line[:len(line) - len(stripped)]
    if stripped.startswith("client-certificate-data:"):
        line = indent + "client-certificate-data: " + b64(crt) + "\n"
    elif stripped.startswith("client-key-data:"):
        line = indent + "client-key-data: " + b64(key) + "\n"
    out.append(line)
open(dst, "w").write("".join(out))
PY
chmod 600 "$SD/service.kubeconfig"

HTTP_PORTS=(); HTTPS_PORTS=()
for i in $(seq 1 "$REPLICAS"); do
  # free_port may hand out the same port twice (it is free again once probed): never reuse one in this start
  hp=$(free_port); while [[ " ${HTTP_PORTS[*]} ${HTTPS_PORTS[*]} " == *" $hp "* ]]; do hp=$(free_port); done
  sp=$(free_port); while [[ " ${HTTP_PORTS[*]} ${HTTPS_PORTS[*]} $hp " == *" $sp "* ]]; do sp=$(free_port); done
  HTTP_PORTS+=("$hp"); HTTPS_PORTS+=("$sp")
  # SPINNERET_JAVA_OPTS_<i> replaces the options of replica i alone (side-by-side JVM settings in one benchmark)
  opts_i="SPINNERET_JAVA_OPTS_$i"; opts="${!opts_i:-${SPINNERET_JAVA_OPTS:-$DEFAULT_JAVA_OPTS}}"
  # More than one replica: HTTP/1.1 only. Over HTTP/2 the API server multiplexes every admission request on one
  # connection, and the proxy below balances connections, so one replica answered all of them (measured
  # 2026-12-06: [0, 200] of 200); over HTTP/1.1 concurrent requests open connections of their own.
  h2=true; [[ "$REPLICAS" -gt 1 ]] && h2=false
  # shellcheck disable=SC2086
  KUBECONFIG="$SD/service.kubeconfig" HOSTNAME="spinneret-local-$i" setsid "$JAVA" $opts -Dquarkus.http.http2="$h2" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.ssl-port="$sp" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$hp" \
    -Dquarkus.http.ssl.certificate.files="$SD/tls.crt" -Dquarkus.http.ssl.certificate.key-files="$SD/tls.key" \
    -Dspinneret.namespace=spinneret-system -Dspinneret.ipam.primary-network="$PRIMARY_NETWORK" \
    -Dspinneret.gc.orphan-ttl="${SPINNERET_GC_ORPHAN_TTL:-60s}" -Dspinneret.gc.interval="${SPINNERET_GC_INTERVAL:-60s}" \
    -jar "$APP" >"$SD/spinneret-$i.log" 2>&1 </dev/null &
  echo $! >>"$SD/pids"
done
for i in $(seq 0 $((REPLICAS - 1))); do
  ok=0
  for _ in $(seq 1 $((READY_TIMEOUT * 2))); do
    if curl -fsS "http://127.0.0.1:${HTTP_PORTS[$i]}/q/health/ready" >/dev/null 2>&1; then ok=1; break; fi
    pid=$(sed -n "$((i + 1))p" "$SD/pids")
    kill -0 "$pid" 2>/dev/null || { tail -30 "$SD/spinneret-$((i + 1)).log" >&2; stop_service; die "Spinneret instance $((i + 1)) exited"; }
    sleep 0.5
  done
  [[ $ok == 1 ]] || { tail -30 "$SD/spinneret-$((i + 1)).log" >&2; stop_service; die "Spinneret instance $((i + 1)) not ready after $READY_TIMEOUT s"; }
done

PORT="${HTTPS_PORTS[0]}"
if [[ "$REPLICAS" -gt 1 ]]; then
  PORT=$(free_port); while [[ " ${HTTP_PORTS[*]} ${HTTPS_PORTS[*]} " == *" $PORT "* ]]; do PORT=$(free_port); done
  setsid python3 "$HERE/tcp-round-robin.py" "$PORT" "${HTTPS_PORTS[@]}" >"$SD/proxy.log" 2>&1 </dev/null &
  echo $! >>"$SD/pids"
  for _ in $(seq 1 50); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
fi
URL="https://127.0.0.1:$PORT"

log "registering webhooks at $URL"
"$HELM" template spinneret "$ROOT/helm/spinneret" --namespace spinneret-system --show-only templates/webhooks.yaml --kube-version "$("$KUBECTL" version -o json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"serverVersion\"][\"gitVersion\"])")" \
  --set webhook.externalURL="$URL" --set webhook.caBundle="$(base64 -w0 <"$CA_FILE")" \
  --set webhook.timeoutSeconds="${SPINNERET_WEBHOOK_TIMEOUT:-10}" --set ipam.primaryNetwork="$PRIMARY_NETWORK" \
  --set webhook.serviceUser=spinneret-local --set ipam.defaultPoolsProvided=true \
  >"$SD/webhooks.yaml"
"$KUBECTL" apply -f "$SD/webhooks.yaml" >/dev/null

cat >"$SD/env" <<ENV
export SPINNERET_URL=$URL
export SPINNERET_HTTP_PORTS="${HTTP_PORTS[*]}"
export SPINNERET_PIDS="$(tr '\n' ' ' <"$SD/pids")"
export SPINNERET_PRIMARY_NETWORK=$PRIMARY_NETWORK
ENV
log "ready: $REPLICAS instance(s), http ports ${HTTP_PORTS[*]}, webhook $URL, ipam.primaryNetwork=$PRIMARY_NETWORK"
