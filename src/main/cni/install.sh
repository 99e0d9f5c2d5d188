#!/bin/sh
# Spinneret CNI installer (runs in the spinneret-cni DaemonSet, see helm/spinneret/templates/cni-installer.yaml).
# 1. copies the plugin (one static Go binary, built by src/main/cni/build.sh) into the host's CNI bin dir as
#    "spinneret" and, unless SPINNERET_INSTALL_SPIDERPOOL=false, also as "spiderpool";
# 2. writes <conf dir>/spinneret.d/spinneret.kubeconfig for the plugin (server, CA, tokenFile);
# 3. keeps <conf dir>/spinneret.d/token current (projected tokens rotate), every SPINNERET_TOKEN_REFRESH_SECONDS.
# It never writes a CNI network config: which networks use "ipam": {"type": "spinneret"} is the admin's choice.
set -eu
SRC="${SPINNERET_DIST:-/opt/spinneret-cni}"
BIN="${SPINNERET_HOST_BIN_DIR:-/host/opt/cni/bin}"
CONF="${SPINNERET_HOST_CONF_DIR:-/host/etc/cni/net.d}/spinneret.d"
HOST_CONF="${SPINNERET_CONF_DIR_ON_HOST:-/etc/cni/net.d}/spinneret.d"   # path the plugin sees on the host
TOKEN_SRC="${SPINNERET_TOKEN_SOURCE:-/var/run/secrets/spinneret-cni/token}"
CA_SRC="${SPINNERET_CA_SOURCE:-/var/run/secrets/spinneret-cni/ca.crt}"
REFRESH="${SPINNERET_TOKEN_REFRESH_SECONDS:-60}"

log() { echo "$(date -u +%FT%TZ) spinneret-cni-installer: $*"; }

install_dist() {
  mkdir -p "$BIN"
  names="spinneret"
  [ "${SPINNERET_INSTALL_SPIDERPOOL:-true}" = "true" ] && names="$names spiderpool"
  for n in $names; do
    cp "$SRC/spinneret" "$BIN/.$n.new"
    chmod 0755 "$BIN/.$n.new"
    mv -f "$BIN/.$n.new" "$BIN/$n"                            # atomic replace: a running ADD keeps its inode
  done
  # the Java plugin's runtime directory of earlier releases
  rm -rf "$BIN/spinneret.d" "$BIN/.spinneret.d.new" "$BIN/.spinneret.d.old"
  log "installed $names into $BIN"
}

write_file() { # path mode content-file
  tmp="$1.tmp.$$"
  cp "$3" "$tmp"
  chmod "$2" "$tmp"
  mv -f "$tmp" "$1"
}

write_kubeconfig() {
  server="${SPINNERET_API_SERVER:-}"
  if [ -z "$server" ]; then
    host="${KUBERNETES_SERVICE_HOST:?KUBERNETES_SERVICE_HOST not set and no SPINNERET_API_SERVER}"
    case "$host" in *:*) host="[$host]" ;; esac
    server="https://$host:${KUBERNETES_SERVICE_PORT:-443}"
  fi
  ca=$(base64 -w0 < "$CA_SRC")
  cat > /tmp/kubeconfig <<KC
# written by the spinneret-cni installer; read by the spinneret CNI IPAM plugin on every ADD/DEL/CHECK
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: $ca
    server: $server
  name: local
contexts:
- context:
    cluster: local
    user: spinneret-cni
  name: spinneret-cni
current-context: spinneret-cni
users:
- name: spinneret-cni
  user:
    tokenFile: $HOST_CONF/token
KC
  write_file "$CONF/spinneret.kubeconfig" 0600 /tmp/kubeconfig
  log "wrote $CONF/spinneret.kubeconfig (server $server)"
}

refresh_token() {
  if ! cmp -s "$TOKEN_SRC" "$CONF/token" 2>/dev/null; then
    write_file "$CONF/token" 0600 "$TOKEN_SRC"
    log "token refreshed"
  fi
}

install_dist
mkdir -p "$CONF"
chmod 0700 "$CONF"
refresh_token
write_kubeconfig
trap 'exit 0' TERM INT
while true; do
  sleep "$REFRESH" &
  wait $! || true
  refresh_token
done
