#!/usr/bin/env bash
# A throwaway Kubernetes control plane on 127.0.0.1 only: etcd + kube-apiserver + kube-controller-manager.
#
#   control-plane.sh start <dir>   generate PKI, start everything, wait until usable; writes <dir>/env
#   control-plane.sh stop  <dir>   stop the processes recorded in <dir> (idempotent)
#   control-plane.sh status <dir>  exit 0 if all recorded processes are alive
#
# After start:  source <dir>/env; kubectl get ns   (KUBECONFIG is set, $BIN_DIR/kubectl)
#
# Env (all optional):
#   SPINNERET_K8S_BIN_DIR   prebuilt binaries (else scripts/build-binaries.sh builds/reuses them)
#   SPINNERET_CP_TIMEOUT    seconds to wait for readiness (default 90)
#   SPINNERET_API_PORT, SPINNERET_ETCD_PORT   fixed ports (default: random free ports)
#   SPINNERET_KCM_CONTROLLERS  override kube-controller-manager --controllers
#   SPINNERET_APISERVER_EXTRA_ARGS / SPINNERET_KCM_EXTRA_ARGS  extra flags (word-split)
#   SPINNERET_APISERVER_ADDRESS  the one address kube-apiserver binds, advertises (the `kubernetes` Service's
#                           endpoint), has in its certificate and is reached at (default 127.0.0.1; node.sh uses
#                           its node bridge so that kubelets in their own network namespaces reach it)
#
# <dir> layout: pki/ (ca, apiserver, admin, sa keys), etcd-data/, logs/{etcd,kube-apiserver,kube-controller-manager}.log,
#               admin.kubeconfig, env, pids, .spinneret-control-plane (marker)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MARKER=".spinneret-control-plane"
KCM_CONTROLLERS_DEFAULT="deployment-controller,replicaset-controller,statefulset-controller,job-controller,cronjob-controller,daemonset-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,root-ca-certificate-publisher-controller"

log() { printf '[control-plane] %s\n' "$*" >&2; }
die() { printf '[control-plane] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status <dir>" >&2; exit 2; }

# ------------------------------------------------------------------ process helpers
# shellcheck source=processes.sh
source "$HERE/processes.sh"

# SIGTERM process groups at once, wait (10 s grace), then SIGKILL what is left.
term_groups() { # "name pid" lines on stdin
  local name pid i pids=() names=()
  while read -r name pid; do
    [[ -n "${name:-}" && "$pid" =~ ^[0-9]+$ ]] || continue
    if is_ours "$pid" "$name"; then
      pids+=("$pid"); names+=("$name")
    elif proc_alive "$pid"; then
      log "pid $pid is no longer $name; not touching it"
    fi
  done
  ((${#pids[@]})) || return 0
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait_gone 100 "${pids[@]}" && return 0
  for i in "${!pids[@]}"; do
    pid="${pids[$i]}"
    if proc_alive "$pid"; then
      log "${names[$i]} (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait_gone 50 "${pids[@]}" || { log "ERROR: some of ${pids[*]} survive SIGKILL"; return 1; }
}

# kube-controller-manager and kube-apiserver first (in parallel), etcd last: an apiserver
# whose etcd is gone hangs in its shutdown.
do_stop() { # dir
  local dir="$1" t0=$SECONDS rc=0
  [[ -f "$dir/pids" ]] || { log "nothing recorded in $dir (already stopped)"; return 0; }
  grep -v '^etcd ' "$dir/pids" | term_groups || rc=1
  grep '^etcd ' "$dir/pids" | term_groups || rc=1
  # leftovers in the groups (children)
  local name pid
  while read -r name pid; do
    [[ "$pid" =~ ^[0-9]+$ ]] && pgrep -g "$pid" >/dev/null 2>&1 && { kill -KILL -- "-$pid" 2>/dev/null || true; }
  done <"$dir/pids"
  ((rc == 0)) || return 1
  rm -f "$dir/pids"
  log "stopped in $((SECONDS - t0))s ($dir)"
}

do_status() { print_status "$1/pids"; }

# ------------------------------------------------------------------ ports
port_in_use() { # port -> 0 if something listens on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_ports() { # n -> n distinct free ports, one per line
  local n="$1"
  if command -v python3 >/dev/null 2>&1 && python3 -c 'import socket' 2>/dev/null; then
    python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
for s in socks:
    s.close()
EOF
  else
    local got=() p tries=0
    while ((${#got[@]} < n)); do
      ((tries++ < 1000)) || die "could not find $n free ports"
      p=$((20000 + RANDOM % 40000))
      [[ " ${got[*]} " == *" $p "* ]] && continue
      port_in_use "$p" && continue
      got+=("$p")
    done
    printf '%s\n' "${got[@]}"
  fi
}

# ------------------------------------------------------------------ PKI
gen_pki() { # pkidir [extra IP SAN]
  local p="$1" extra_san="${2:+,IP:$2}"
  mkdir -p "$p"
  (
    cd "$p"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=spinneret-test-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

    cat >apiserver.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    [[ -z "$extra_san" ]] || sed -i "s/^subjectAltName=.*/&$extra_san/" apiserver.ext
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null

    cat >client.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out admin.crt 2>/dev/null

    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
    chmod 644 ca.crt apiserver.crt admin.crt sa.pub
  ) || die "openssl failed to generate the PKI in $p"
}

write_kubeconfig() { # file server ca cert key
  local f="$1" server="$2" ca="$3" crt="$4" key="$5"
  cat >"$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: spinneret-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$ca")
users:
- name: admin
  user:
    client-certificate-data: $(base64 -w0 <"$crt")
    client-key-data: $(base64 -w0 <"$key")
contexts:
- name: spinneret-test
  context:
    cluster: spinneret-test
    user: admin
    namespace: default
current-context: spinneret-test
EOF
  chmod 600 "$f"
}

# ------------------------------------------------------------------ start
START_DIR=""
START_OK=0
PID_etcd="" PID_kube_apiserver="" PID_kube_controller_manager=""
on_start_exit() {
  local rc=$?
  if ((START_OK == 0)) && [[ -n "$START_DIR" ]]; then
    log "start failed (exit $rc); stopping whatever was started. Logs kept in $START_DIR/logs/"
    do_stop "$START_DIR" || true
  fi
}

tail_logs() {
  local f
  for f in "$START_DIR"/logs/*.log; do
    [[ -f "$f" ]] || continue
    printf '\n----- last lines of %s -----\n' "$f" >&2
    tail -n "${1:-25}" "$f" >&2
  done
}

fail_start() { # msg
  printf '[control-plane] ERROR: %s\n' "$*" >&2
  tail_logs 25
  exit 1
}

launch() { # name logfile cmd... ; records "name pid" in pids
  local name="$1" logf="$2"; shift 2
  : >"$logf"
  start_group "$logf" "$@"
  local pid=$LAUNCHED_PID
  echo "$name $pid" >>"$START_DIR/pids"
  printf -v "PID_${name//-/_}" '%s' "$pid"
  log "started $name (pid $pid), log $logf"
}

check_alive() { # name pid
  proc_alive "$2" || fail_start "$1 exited early (see log below)$(grep -qi 'address already in use' "$START_DIR/logs/$1.log" 2>/dev/null && echo ': a port is already in use')"
}

do_start() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ "$dir" != "/" && "$dir" != "$HOME" ]] || die "refusing to use $dir as a control-plane dir"

  # stale dir from a killed run: stop old processes, then wipe. Never wipe a foreign non-empty dir.
  if [[ -e "$dir/$MARKER" ]]; then
    if [[ -f "$dir/pids" ]]; then log "stale control plane in $dir: stopping it"; do_stop "$dir"; fi
    find "$dir" -mindepth 1 -delete
  elif [[ -n "$(ls -A "$dir")" ]]; then
    die "$dir is not empty and was not created by this script (no $MARKER); use an empty or new dir"
  fi
  touch "$dir/$MARKER"
  START_DIR="$dir"
  trap on_start_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$dir/logs" "$dir/etcd-data" "$dir/kcm-certs"
  chmod 700 "$dir/etcd-data"

  # binaries
  local BIN
  if ! BIN="$("$HERE/build-binaries.sh" | tail -1)"; then die "could not get binaries (see build-binaries output above)"; fi
  local b
  for b in etcd kube-apiserver kube-controller-manager kubectl; do
    [[ -x "$BIN/$b" ]] || die "missing binary $BIN/$b"
  done
  command -v openssl >/dev/null 2>&1 || die "openssl not found (scripts/install-ci-deps.sh installs it)"

  # ports
  local ports; mapfile -t ports < <(free_ports 4)
  local ETCD_PORT="${SPINNERET_ETCD_PORT:-${ports[0]}}" ETCD_PEER_PORT="${ports[1]}"
  local API_PORT="${SPINNERET_API_PORT:-${ports[2]}}" KCM_PORT="${ports[3]}"
  local p
  for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT"; do
    port_in_use "$p" && die "port 127.0.0.1:$p is already in use (SPINNERET_API_PORT/SPINNERET_ETCD_PORT or a racing process)"
  done
  log "ports: etcd=$ETCD_PORT etcd-peer=$ETCD_PEER_PORT apiserver=$API_PORT kcm=$KCM_PORT"

  local API_ADDR="${SPINNERET_APISERVER_ADDRESS:-127.0.0.1}"
  gen_pki "$dir/pki" "$([[ "$API_ADDR" == 127.0.0.1 ]] || echo "$API_ADDR")"
  local PKI="$dir/pki"
  local API_URL="https://$API_ADDR:$API_PORT"
  write_kubeconfig "$dir/admin.kubeconfig" "$API_URL" "$PKI/ca.crt" "$PKI/admin.crt" "$PKI/admin.key"

  local TIMEOUT="${SPINNERET_CP_TIMEOUT:-90}"
  local deadline=$((SECONDS + TIMEOUT))

  # ---- etcd
  launch etcd "$dir/logs/etcd.log" "$BIN/etcd" \
    --name=default --data-dir="$dir/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
    --unsafe-no-fsync=true --log-level=warn
  until port_in_use "$ETCD_PORT"; do
    check_alive etcd "$PID_etcd"
    ((SECONDS < deadline)) || fail_start "etcd did not listen on 127.0.0.1:$ETCD_PORT within ${TIMEOUT}s"
    sleep 0.2
  done

  # ---- kube-apiserver
  # shellcheck disable=SC2086
  launch kube-apiserver "$dir/logs/kube-apiserver.log" "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$API_ADDR" --advertise-address="$API_ADDR" --secure-port="$API_PORT" \
    --cert-dir="$PKI" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=true \
    --enable-priority-and-fairness=false --profiling=false \
    ${SPINNERET_APISERVER_EXTRA_ARGS:-}

  local KUBECTL=("$BIN/kubectl" --kubeconfig="$dir/admin.kubeconfig" --request-timeout=5s)
  until [[ "$("${KUBECTL[@]}" get --raw /readyz 2>/dev/null)" == ok ]]; do
    check_alive etcd "$PID_etcd"
    check_alive kube-apiserver "$PID_kube_apiserver"
    ((SECONDS < deadline)) || fail_start "kube-apiserver not ready (/readyz) within ${TIMEOUT}s"
    sleep 0.5
  done
  log "kube-apiserver ready at $API_URL after ${SECONDS}s"

  # ---- kube-controller-manager
  # shellcheck disable=SC2086
  launch kube-controller-manager "$dir/logs/kube-controller-manager.log" "$BIN/kube-controller-manager" \
    --kubeconfig="$dir/admin.kubeconfig" \
    --authentication-kubeconfig="$dir/admin.kubeconfig" --authorization-kubeconfig="$dir/admin.kubeconfig" \
    --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$dir/kcm-certs" \
    --leader-elect=false --use-service-account-credentials=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --controllers="${SPINNERET_KCM_CONTROLLERS:-$KCM_CONTROLLERS_DEFAULT}" \
    --profiling=false \
    ${SPINNERET_KCM_EXTRA_ARGS:-}

  until "${KUBECTL[@]}" -n default get serviceaccount default >/dev/null 2>&1; do
    check_alive etcd "$PID_etcd"
    check_alive kube-apiserver "$PID_kube_apiserver"
    check_alive kube-controller-manager "$PID_kube_controller_manager"
    ((SECONDS < deadline)) || fail_start "ServiceAccount default/default not created within ${TIMEOUT}s (kube-controller-manager)"
    sleep 0.5
  done

  cat >"$dir/env" <<EOF
# generated by control-plane.sh start; source me
export SPINNERET_CP_DIR='$dir'
export KUBECONFIG='$dir/admin.kubeconfig'
export API_PORT=$API_PORT
export API_URL='$API_URL'
export ETCD_PORT=$ETCD_PORT
export ETCD_URL='http://127.0.0.1:$ETCD_PORT'
export KCM_PORT=$KCM_PORT
export CA_FILE='$PKI/ca.crt'
export CA_KEY_FILE='$PKI/ca.key'
export ADMIN_CERT_FILE='$PKI/admin.crt'
export ADMIN_KEY_FILE='$PKI/admin.key'
export BIN_DIR='$BIN'
export KUBECTL='$BIN/kubectl'
export ETCD_PID=$PID_etcd
export APISERVER_PID=$PID_kube_apiserver
export KCM_PID=$PID_kube_controller_manager
export LOG_DIR='$dir/logs'
EOF
  START_OK=1
  trap - EXIT INT TERM
  log "control plane ready in ${SECONDS}s: source $dir/env"
}

# ------------------------------------------------------------------ main
[[ $# -eq 2 ]] || usage
case "$1" in
  start) do_start "$2" ;;
  stop)
    [[ -d "$2" ]] || { log "$2 does not exist (nothing to stop)"; exit 0; }
    do_stop "$(cd "$2" && pwd)"
    ;;
  status) do_status "$2" ;;
  *) usage ;;
esac
