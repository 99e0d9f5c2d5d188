#!/usr/bin/env bash
# A throwaway cluster with real nodes: the control plane of control-plane.sh plus kube-scheduler, and two kubelet
# nodes (node-a, node-b), each with its own containerd, kube-proxy (iptables), network namespace and mount namespace.
#
#   node.sh start  <dir>                     control plane (in <dir>/cp) + nodes; writes <dir>/env; waits until Ready
#   node.sh stop   <dir>                     removes everything start created (idempotent; also after a failed start)
#   node.sh status <dir>                     exit 0 if every recorded process is alive
#   node.sh import <dir> <image.tar>...      import image tars into every node's containerd
#   node.sh restart <dir> <node> kubelet|containerd   kill -9 and start again (pods keep running)
#   node.sh exec <dir> <node> <cmd>...       run a command in the node's network and mount namespace
#   node.sh cni <dir> <network> [ipam]       switch every node's pod network and wait until it is read:
#       spinneret | host-local   the bridge plugin with that IPAM (the default network is spinneret)
#       calico                   Calico's CNI plugin with Spinneret as its IPAM (Kubernetes datastore, no Felix)
#       multus                   Multus (thin plugin): eth0 from the calico network, NetworkAttachmentDefinitions on top
#                                (macvlan secondaries on each node's under0, see below)
#       ipam (calico, multus)    eth0's IPAM: spinneret (default) or host-local (ipam.primaryNetwork=false)
#
# Network (root needed; nothing is routed through the host's uplink):
#   host bridge spn<id> 10.250.<k>.1/24 ── veth ── node-a eth0 10.250.<k>.2 (netns spn<id>-node-a)
#                                       └─ veth ── node-b eth0 10.250.<k>.3 (netns spn<id>-node-b)
#   kube-apiserver listens on 10.250.<k>.1 only. Node namespaces have no default route: only the node subnet and
#   the Service range (DNAT'ed by kube-proxy to the API server or to a host-network pod).
#   Pods: the bridge plugin puts them on bridge spn0 in their node's namespace; the two spn0 bridges are one L2
#   segment (a veth between the node namespaces), the pod network $POD_CIDR (an underlay, as with macvlan or a
#   routed Calico underlay: any pool address works on either node). node-a's spn0 is .0.2, node-b's .0.3 of it.
#   Pod packets never enter the host namespace; the host still gets an `unreachable` route (high metric) for the
#   pod network, the underlay network, the Service range and the node subnet, so nothing of them can leave through a
#   default route.
#   calico: each pod gets a veth cali… and a /32 route to it in its node's namespace, and reaches its node through
#   169.254.1.1 (on the node's lo, answered by proxy ARP on the veth). Across nodes the node namespaces answer ARP on
#   spn0 for their own pods' /32s (proxy_arp): the shared L2 stands in for the BGP announcements of those /32s of a
#   production Calico (docs/cni.md, "Calico"). Calico's plugin talks to the API server as user calico-cni.
#   multus: Multus (user multus) reads NetworkAttachmentDefinitions; macvlan secondaries use master under0, a veth
#   pair joining the two node namespaces (a bridge port cannot be a macvlan master), on $UNDERLAY_CIDR.
#
# Env (all optional):
#   SPINNERET_NODE_IMAGES    image tars imported into every node at start (pause and busybox are always imported,
#                            from integration-tests/images/build-images.sh)
#   SPINNERET_POD_CIDR       the pod network (default 10.244.0.0/15: the seed's 10.244.0.0/16 and the cluster
#                            default pool's 10.245.0.0/16 of the demo and the tests)
#   SPINNERET_UNDERLAY_CIDR  the macvlan secondaries' networks on under0 (default 10.246.0.0/16)
#   SPINNERET_POD_NETWORK    the network at start: spinneret (default), host-local, calico or multus (calico and
#                            multus need build-cni-plugins.sh's binaries)
#   SPINNERET_NODE_TIMEOUT   seconds to wait for nodes Ready (default 120)
#   plus control-plane.sh's SPINNERET_* variables (binaries, timeouts)
#
# <dir> layout: cp/ (control plane), env, pids, net (id, subnet), nodes/<node>/ (containerd, kubelet dirs, logs),
#               ns/ (private mount holding each node's mount namespace), .spinneret-nodes (marker)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MARKER=".spinneret-nodes"
NODES=(node-a node-b)
NETWORK="${SPINNERET_POD_NETWORK:-spinneret}"
POD_CIDR="${SPINNERET_POD_CIDR:-10.244.0.0/15}"
UNDERLAY_CIDR="${SPINNERET_UNDERLAY_CIDR:-10.246.0.0/16}"
SERVICE_CIDR=10.0.0.0/24
KCM_NODE_CONTROLLERS="node-lifecycle-controller,taint-eviction-controller,endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller,disruption-controller,pod-garbage-collector-controller,ttl-controller,ttl-after-finished-controller,clusterrole-aggregation-controller"
# bind-mounted per node inside its mount namespace: the fixed paths kubelet, containerd and CNI use
NODE_BINDS=(/var/lib/kubelet /run/containerd /var/lib/cni /run/netns /opt/cni/bin /etc/cni/net.d /var/log/pods
  /var/log/containers /var/log/spinneret /var/lib/calico)

log() { printf '[node] %s\n' "$*" >&2; }
die() { printf '[node] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,17p' "$0" >&2; exit 2; }

# shellcheck source=processes.sh
source "$HERE/processes.sh"

node_index() { case "$1" in node-a) echo 2 ;; node-b) echo 3 ;; *) die "unknown node $1 (node-a, node-b)" ;; esac; }

load_net() { # dir -> ID K NET_PREFIX BR METRIC
  [[ -f "$1/net" ]] || return 1
  # shellcheck disable=SC1091
  source "$1/net"
  NET_PREFIX="10.250.$K"
  BR="spn$ID"
  METRIC=$((3000 + K))
}

ns_name() { echo "spn$ID-$1"; }
mnt_file() { echo "$DIR/ns/$1"; }
in_node() { # node cmd... : run in the node's network + mount namespace
  local n="$1"; shift
  nsenter --net="/run/netns/$(ns_name "$n")" --mount="$(mnt_file "$n")" -- "$@"
}

# ------------------------------------------------------------------ processes
launch() { # name logfile cmd... (records "name pid")
  local name="$1" logf="$2"; shift 2
  start_group "$logf" "$@"
  local pid=$LAUNCHED_PID
  [[ "$name" != *@* ]] || into_node_cgroup "${name#*@}" "$pid"
  echo "$name $pid" >>"$DIR/pids"
  log "started $name (pid $pid), log $logf"
}

kill_recorded() { # name-regex signal
  local name pid
  [[ -f "$DIR/pids" ]] || return 0
  while read -r name pid; do
    [[ "$name" =~ $1 ]] || continue
    if is_ours "$pid" "${name%%@*}"; then kill "-$2" -- "-$pid" 2>/dev/null || kill "-$2" "$pid" 2>/dev/null || true; fi
  done <"$DIR/pids"
}

forget() { # name: drop its pid lines
  [[ -f "$DIR/pids" ]] && { grep -v "^$1 " "$DIR/pids" >"$DIR/pids.new" || true; mv "$DIR/pids.new" "$DIR/pids"; }
}

wait_recorded_gone() { # name-regex tenths
  local i name pid alive
  for ((i = 0; i < $2; i++)); do
    alive=0
    if [[ -f "$DIR/pids" ]]; then
      while read -r name pid; do
        [[ "$name" =~ $1 ]] && is_ours "$pid" "${name%%@*}" && alive=1
      done <"$DIR/pids"
    fi
    ((alive)) || return 0
    sleep 0.1
  done
  return 1
}

# every process in a node's cgroup subtree (its pods' containers), then its containerd shims
kill_node_workloads() { # node
  local n="$1" cg="spn$ID-$1" pids
  pids="$(cat /sys/fs/cgroup/pids/"$cg"/cgroup.procs /sys/fs/cgroup/pids/"$cg"/*/cgroup.procs \
    /sys/fs/cgroup/pids/"$cg"/*/*/cgroup.procs /sys/fs/cgroup/pids/"$cg"/*/*/*/cgroup.procs \
    /sys/fs/cgroup/pids/"$cg"/*/*/*/*/cgroup.procs 2>/dev/null | sort -u | xargs)" || true
  [[ -z "$pids" ]] || kill -KILL $pids 2>/dev/null || true
  pids="$(pgrep -f "containerd-shim.*-address $DIR/nodes/$n/containerd.sock" | xargs)" || true
  [[ -z "$pids" ]] || kill -KILL $pids 2>/dev/null || true
}

# ------------------------------------------------------------------ stop
do_stop() {
  local t0=$SECONDS n rc=0
  [[ -e "$DIR/$MARKER" ]] || { log "$DIR was not made by node.sh; nothing to stop"; return 0; }
  if load_net "$DIR"; then
    kill_recorded '^(kubelet|kube-proxy)@' TERM
    wait_recorded_gone '^(kubelet|kube-proxy)@' 50 || kill_recorded '^(kubelet|kube-proxy)@' KILL
    for n in "${NODES[@]}"; do kill_node_workloads "$n"; done
    kill_recorded '^(containerd@|kube-scheduler)' TERM
    wait_recorded_gone '^(containerd@|kube-scheduler)' 50 || kill_recorded '^(containerd@|kube-scheduler)' KILL
    wait_recorded_gone '.' 50 || log "some processes survive SIGKILL"
    for n in "${NODES[@]}"; do
      kill_node_workloads "$n"
      remove_cgroups "spn$ID-$n"
      if mountpoint -q "$(mnt_file "$n")" 2>/dev/null; then umount "$(mnt_file "$n")" || rc=1; fi
      ip netns del "$(ns_name "$n")" 2>/dev/null || true
      ip link del "spn$ID${n: -1}" 2>/dev/null || true
    done
    mountpoint -q "$DIR/ns" && { umount "$DIR/ns" || rc=1; }
    ip link del "$BR" 2>/dev/null || true
    local cidr
    for cidr in "$POD_CIDR" "$UNDERLAY_CIDR" "$SERVICE_CIDR" "$NET_PREFIX.0/24"; do
      ip route del unreachable "$cidr" metric "$METRIC" 2>/dev/null || true
    done
  fi
  if [[ -f "$DIR/created-dirs" ]]; then # host directories start made as bind targets (only if still empty)
    tac "$DIR/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
    rm -f "$DIR/created-dirs"
  fi
  if [[ -d "$DIR/cp" ]]; then "$HERE/control-plane.sh" stop "$DIR/cp" || rc=1; fi
  ((rc == 0)) || { log "ERROR: stop left something behind (see above)"; return 1; }
  rm -f "$DIR/pids"
  log "stopped in $((SECONDS - t0))s ($DIR)"
}

remove_cgroups() { # name: the subtree in every hierarchy, deepest first
  local h d
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    [[ -d "$h$1" ]] || continue
    find "$h$1" -depth -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null || true; done
    [[ ! -d "$h$1" ]] || log "cgroup $h$1 could not be removed (processes left?)"
  done
}

make_cgroups() { # name: kubelet's --cgroup-root must exist in every hierarchy; <name>/system holds the node's daemons
  local h sub
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    [[ -f "$h/cgroup.procs" ]] || continue
    for sub in "$1" "$1/system"; do
      mkdir -p "$h$sub"
      if [[ -f "$h/cpuset.cpus" ]]; then
        cat "$h/cpuset.cpus" >"$h$sub/cpuset.cpus"
        cat "$h/cpuset.mems" >"$h$sub/cpuset.mems"
      fi
    done
  done
}

# a node's kubelet, containerd (with the shims and CNI plugins it starts) and kube-proxy count against the node's
# cgroup, beside its pods: cpuacct.usage of spn<id>-<node> is all the CPU the node spent
into_node_cgroup() { # node pid
  local h
  for h in /sys/fs/cgroup/*/spn"$ID-$1"/system/; do
    echo "$2" >"$h/cgroup.procs" 2>/dev/null || true
  done
}

do_status() {
  local rc=0
  print_status "$DIR/pids" || rc=1
  "$HERE/control-plane.sh" status "$DIR/cp" || rc=1
  return $rc
}

# ------------------------------------------------------------------ start
START_OK=0
on_start_exit() {
  local rc=$?
  if ((START_OK == 0)); then
    log "start failed (exit $rc); removing what was created. Logs kept in $DIR/nodes/*/ and $DIR/cp/logs/"
    do_stop || true
  fi
}

pick_net() { # -> writes $DIR/net with a free instance id and 10.250.<k>.0/24
  local k id
  exec 8>/run/spinneret-nodes.lock
  flock -w 30 8 || die "could not lock /run/spinneret-nodes.lock"
  for ((k = 1; k < 250; k++)); do
    ip -4 addr show | grep -q "inet 10\.250\.$k\." && continue
    ip route show | grep -q "10\.250\.$k\.0/24" && continue
    break
  done
  ((k < 250)) || die "no free 10.250.<k>.0/24 for the node network"
  id="$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'ID=%s\nK=%s\n' "$id" "$k" >"$DIR/net"
  load_net "$DIR"
  # the bridge reserves the subnet for concurrent starts (released with the lock)
  ip link add "$BR" type bridge
  ip addr add "$NET_PREFIX.1/24" dev "$BR"
  ip link set "$BR" up
  exec 8>&-
}

bind_target() { # path: make sure the bind target exists on the host; remember what we created
  local p="$1" missing=()
  while [[ ! -e "$p" ]]; do missing+=("$p"); p="$(dirname "$p")"; done
  ((${#missing[@]})) || return 0
  mkdir -p "$1"
  local i
  for ((i = ${#missing[@]} - 1; i >= 0; i--)); do echo "${missing[$i]}" >>"$DIR/created-dirs"; done
}

sign_client() { # CN O key crt [extra x509v3 lines]: a client certificate of the control plane's CA
  local pki="$DIR/cp/pki" ext="$4.ext"
  (
    umask 077
    openssl req -newkey rsa:2048 -nodes -keyout "$3" -out "$4.csr" -subj "/O=$2/CN=$1" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%b' "${5:-extendedKeyUsage=clientAuth\n}" >"$ext"
    openssl x509 -req -in "$4.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -CAserial "$4.srl" -days 365 -extfile "$ext" -out "$4" 2>/dev/null
    rm -f "$4.csr" "$ext" "$4.srl"
  ) || die "openssl failed for $1's certificate"
}

write_kubeconfig() { # user crt key file
  cat >"$4" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$API_URL", certificate-authority: "$DIR/cp/pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$2", client-key: "$3"}
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
EOF
  chmod 600 "$4"
}

node_cert() { # node dir
  local n="$1" d="$2"
  sign_client "system:node:$n" system:nodes "$d/kubelet.key" "$d/kubelet.crt" \
    "extendedKeyUsage=clientAuth,serverAuth\nsubjectAltName=DNS:$n,IP:$NET_PREFIX.$(node_index "$n")\n"
  write_kubeconfig "$n" "$d/kubelet.crt" "$d/kubelet.key" "$d/kubelet.kubeconfig"
}

# ------------------------------------------------------------------ Calico and Multus
# their binaries (build-cni-plugins.sh; exit 3 = no source snapshot) and what they need in the cluster: users with
# the RBAC their docs list, Calico's ClusterInformation "default" (datastoreReady), the NetworkAttachmentDefinition CRD
CNI_PLUGINS_BIN=""
need_cni_plugins() {
  [[ -z "$CNI_PLUGINS_BIN" ]] || return 0
  local rc=0
  CNI_PLUGINS_BIN="$("$HERE/build-cni-plugins.sh" | tail -1)" || rc=$?
  ((rc != 3)) || die "Calico and Multus are not available (no source snapshot, see build-cni-plugins.sh)"
  ((rc == 0)) || die "building Calico and Multus failed"
}

cluster_objects() { # network: the API objects and user credentials the plugin needs (idempotent)
  local K=("$BIN/kubectl" --kubeconfig="$DIR/cp/admin.kubeconfig") u="$DIR/users"
  mkdir -p "$u"
  if [[ ! -f "$u/calico-cni.kubeconfig" ]]; then
    sign_client calico-cni spinneret:cni "$u/calico-cni.key" "$u/calico-cni.crt"
    write_kubeconfig calico-cni "$u/calico-cni.crt" "$u/calico-cni.key" "$u/calico-cni.kubeconfig"
  fi
  "${K[@]}" apply -f - >/dev/null <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterinformations.crd.projectcalico.org
spec:
  group: crd.projectcalico.org
  names: {kind: ClusterInformation, listKind: ClusterInformationList, plural: clusterinformations, singular: clusterinformation}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: spinneret-local-calico-cni}
rules:
- {apiGroups: [""], resources: [pods, namespaces], verbs: [get]}
- {apiGroups: [""], resources: [pods/status], verbs: [patch]}
- {apiGroups: [crd.projectcalico.org], resources: [clusterinformations], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: spinneret-local-calico-cni}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: spinneret-local-calico-cni}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: calico-cni}]
EOF
  "${K[@]}" wait --for=condition=Established --timeout=60s crd/clusterinformations.crd.projectcalico.org >/dev/null
  "${K[@]}" apply -f - >/dev/null <<EOF
apiVersion: crd.projectcalico.org/v1
kind: ClusterInformation
metadata: {name: default}
spec: {datastoreReady: true}
EOF
  [[ "$1" == multus ]] || return 0
  if [[ ! -f "$u/multus.kubeconfig" ]]; then
    sign_client multus spinneret:cni "$u/multus.key" "$u/multus.crt"
    write_kubeconfig multus "$u/multus.crt" "$u/multus.key" "$u/multus.kubeconfig"
  fi
  "${K[@]}" apply --server-side --force-conflicts -f "$ROOT/src/test/resources/crds/network-attachment-definitions.yaml" >/dev/null
  "${K[@]}" apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: spinneret-local-multus}
rules:
- {apiGroups: [k8s.cni.cncf.io], resources: ["*"], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [pods, pods/status], verbs: [get, update, patch]}
- {apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: spinneret-local-multus}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: spinneret-local-multus}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: multus}]
EOF
  "${K[@]}" wait --for=condition=Established --timeout=60s crd/network-attachment-definitions.k8s.cni.cncf.io >/dev/null
}

SPINNERET_IPAM='{"type": "spinneret", "kubeconfig": "/etc/cni/net.d/spinneret.d/spinneret.kubeconfig", "log_file_path": "/var/log/spinneret/cni.log", "timeout_seconds": 30}'

# the pod network config (see the header): containerd reads the first file of conf_dir by name
write_cni_conf() { # node network [eth0 ipam of calico/multus]
  local n="$1" net="$2" i d="$DIR/nodes/$1" ipam_json plugin
  local conf="$d/fs/etc/cni/net.d" ipam="${3:-spinneret}"
  i="$(node_index "$n")"
  case "$net" in spinneret|host-local) ipam="$net" ;; calico|multus) ;; *) die "unknown network $net (spinneret, host-local, calico, multus)" ;; esac
  case "$ipam" in
    # timeout_seconds: the whole ADD on a shared, loaded machine
    spinneret) ipam_json="$SPINNERET_IPAM" ;;
    host-local)
      # per node: 10.244.24<i>.0/24 of the pod network, never used by the pools of the tests and the demo
      local base="${POD_CIDR%.*.*/*}"
      ipam_json="{\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"$POD_CIDR\", \"rangeStart\": \"$base.24$i.1\", \"rangeEnd\": \"$base.24$i.254\"}]], \"dataDir\": \"/var/lib/cni/networks\"}" ;;
    *) die "unknown ipam $ipam (spinneret, host-local)" ;;
  esac
  case "$net" in
    calico|multus)
      for plugin in calico multus; do cp "$CNI_PLUGINS_BIN/$plugin" "$d/fs/opt/cni/bin/.$plugin.new"; mv -f "$d/fs/opt/cni/bin/.$plugin.new" "$d/fs/opt/cni/bin/$plugin"; done
      # no Felix: nothing waits for a policy; nodename set per node (kubelet runs with --hostname-override)
      plugin="{\"type\": \"calico\", \"datastore_type\": \"kubernetes\", \"calico_api_group\": \"crd.projectcalico.org/v1\",
     \"nodename\": \"$n\", \"nodename_file_optional\": true, \"mtu\": 1500,
     \"log_level\": \"info\", \"log_file_path\": \"/var/log/spinneret/calico.log\", \"policy\": {\"type\": \"k8s\"},
     \"kubernetes\": {\"kubeconfig\": \"$DIR/users/calico-cni.kubeconfig\"},
     \"ipam\": $ipam_json}" ;;
    *) plugin="{\"type\": \"bridge\", \"bridge\": \"spn0\", \"isGateway\": false, \"ipMasq\": false, \"hairpinMode\": true,
     \"ipam\": $ipam_json}" ;;
  esac
  cat >"$conf/.10-pods.conflist.new" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pods",
  "plugins": [
    $plugin,
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  mv -f "$conf/.10-pods.conflist.new" "$conf/10-pods.conflist"
  if [[ "$net" == multus ]]; then
    # sorts first: every pod goes through Multus, eth0 from the calico network above
    cat >"$conf/.00-multus.conf.new" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "multus-cni-network",
  "type": "multus",
  "kubeconfig": "$DIR/users/multus.kubeconfig",
  "clusterNetwork": "/etc/cni/net.d/10-pods.conflist",
  "binDir": "/opt/cni/bin",
  "cniDir": "/var/lib/cni/multus",
  "logFile": "/var/log/spinneret/multus.log",
  "logLevel": "verbose"
}
EOF
    mv -f "$conf/.00-multus.conf.new" "$conf/00-multus.conf"
  else
    rm -f "$conf/00-multus.conf"
  fi
  echo "$net $ipam" >"$d/network"
}

start_containerd() { # node
  local n="$1" d="$DIR/nodes/$1"
  launch "containerd@$n" "$d/containerd.log" nsenter --net="/run/netns/$(ns_name "$n")" --mount="$(mnt_file "$n")" -- \
    containerd --config "$d/containerd.toml"
  local t=$((SECONDS + 30))
  until ctr -a "$d/containerd.sock" version >/dev/null 2>&1; do
    ((SECONDS < t)) || { tail -20 "$d/containerd.log" >&2; die "containerd of $n did not answer within 30s"; }
    sleep 0.1
  done
}

start_kubelet() { # node
  local n="$1" d="$DIR/nodes/$1"
  launch "kubelet@$n" "$d/kubelet.log" nsenter --net="/run/netns/$(ns_name "$n")" --mount="$(mnt_file "$n")" -- \
    "$BIN/kubelet" --config="$d/kubelet.yaml" --kubeconfig="$d/kubelet.kubeconfig" \
    --node-ip="$NET_PREFIX.$(node_index "$n")" --hostname-override="$n" --root-dir=/var/lib/kubelet \
    --cert-dir="$d/kubelet-pki" --v=1
}

import_images() { # node tar...
  local n="$1" f; shift
  for f in "$@"; do
    ctr -a "$DIR/nodes/$n/containerd.sock" -n k8s.io images import --snapshotter overlayfs "$f" >/dev/null \
      || die "importing $f into $n failed"
  done
}

setup_node() { # node
  local n="$1" i d="$DIR/nodes/$1" ns
  i="$(node_index "$n")"
  ns="$(ns_name "$n")"
  mkdir -p "$d"/{containerd-root,containerd-state,kubelet-pki,volume-plugins,pod-logs}
  local b
  for b in "${NODE_BINDS[@]}"; do mkdir -p "$d/fs$b"; done

  # network namespace, its uplink to the host bridge, and the pod bridge spn0
  ip netns add "$ns"
  ip link add "spn$ID${n: -1}" type veth peer name eth0 netns "$ns"
  ip link set "spn$ID${n: -1}" master "$BR" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$NET_PREFIX.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add "$SERVICE_CIDR" dev eth0
  ip -n "$ns" link add spn0 type bridge
  ip -n "$ns" addr add "${POD_CIDR%.*.*/*}.0.$i/${POD_CIDR#*/}" dev spn0
  ip -n "$ns" link set spn0 up
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  # for calico (harmless for the bridge): pods' next hop 169.254.1.1 is the node, answered by proxy ARP on each
  # cali… veth; across nodes each node answers ARP on spn0 for the /32s it routes to its own pods
  ip -n "$ns" addr add 169.254.1.1/32 dev lo
  ip netns exec "$ns" sysctl -qw net.ipv4.conf.spn0.proxy_arp=1 net.ipv4.neigh.spn0.proxy_delay=0

  # mount namespace: private, with the node's own copies of the fixed paths
  touch "$(mnt_file "$n")"
  unshare --mount="$(mnt_file "$n")" --propagation private true
  for b in "${NODE_BINDS[@]}"; do
    bind_target "$b"
    nsenter --mount="$(mnt_file "$n")" -- mount --bind "$d/fs$b" "$b"
  done
  local p
  for p in bridge loopback portmap host-local macvlan; do
    [[ -x "/usr/lib/cni/$p" ]] || die "/usr/lib/cni/$p missing (apt-get install containernetworking-plugins)"
    cp "/usr/lib/cni/$p" "$d/fs/opt/cni/bin/"
  done
  # what calico-node writes for Calico's plugin; its DEL through Multus reads it even with "nodename" in the config
  echo "$n" >"$d/fs/var/lib/calico/nodename"
  write_cni_conf "$n" "$NETWORK"
  make_cgroups "spn$ID-$n"

  cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd-root"
state = "$d/containerd-state"
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/spinneret/pause:dev"
  # runc cannot lower oom_score_adj without CAP_SYS_RESOURCE (not in this machine's bounding set)
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
    max_conf_num = 1
EOF
  printf 'nameserver 127.0.0.1\n' >"$d/resolv.conf"
  cat >"$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /spn$ID-$n
containerRuntimeEndpoint: unix://$d/containerd.sock
enforceNodeAllocatable: []
failSwapOn: false
evictionHard: {memory.available: "0%", nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
volumePluginDir: $d/volume-plugins
podLogsDir: /var/log/pods
resolvConf: $d/resolv.conf
clusterDomain: cluster.local
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $DIR/cp/pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $d/kubelet.crt
tlsPrivateKeyFile: $d/kubelet.key
readOnlyPort: 0
serializeImagePulls: false
maxPods: 200
nodeStatusReportFrequency: 10s
EOF
  node_cert "$n" "$d"
  cat >"$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $DIR/cp/admin.kubeconfig}
hostnameOverride: $n
clusterCIDR: $POD_CIDR
bindAddress: $NET_PREFIX.$i
healthzBindAddress: $NET_PREFIX.$i:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false, masqueradeAll: false}
nodePortAddresses: ["$NET_PREFIX.0/24"]
EOF
}

do_start() {
  mkdir -p "$DIR"
  [[ "$DIR" != "/" && "$DIR" != "$HOME" ]] || die "refusing to use $DIR"
  if [[ -e "$DIR/$MARKER" ]]; then
    log "stale node dir $DIR: stopping what it recorded"
    do_stop
    find "$DIR" -mindepth 1 -delete
  elif [[ -n "$(ls -A "$DIR")" ]]; then
    die "$DIR is not empty and was not created by this script (no $MARKER)"
  fi
  case "$NETWORK" in spinneret|host-local|calico|multus) ;; *) die "SPINNERET_POD_NETWORK=$NETWORK: spinneret, host-local, calico or multus" ;; esac
  [[ "$(id -u)" == 0 ]] || die "node.sh needs root (network and mount namespaces, cgroups)"
  local c
  for c in containerd containerd-shim-runc-v2 runc ctr ip nsenter unshare iptables openssl flock; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (integration-tests/scripts/install-ci-deps.sh installs it)"
  done
  touch "$DIR/$MARKER"
  trap on_start_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local t0=$SECONDS

  BIN="$("$HERE/build-binaries.sh" | tail -1)" || die "could not get the Kubernetes binaries"
  for c in kubelet kube-scheduler kube-proxy; do [[ -x "$BIN/$c" ]] || die "missing $BIN/$c"; done
  local IMG
  IMG="$("$ROOT/integration-tests/images/build-images.sh" pause busybox | tail -1)" || die "could not build the node images"

  pick_net
  local cidr
  for cidr in "$POD_CIDR" "$UNDERLAY_CIDR" "$SERVICE_CIDR" "$NET_PREFIX.0/24"; do
    ip route add unreachable "$cidr" metric "$METRIC"
  done
  mkdir -p "$DIR/ns"
  mount --bind "$DIR/ns" "$DIR/ns"
  mount --make-private "$DIR/ns"

  SPINNERET_APISERVER_ADDRESS="$NET_PREFIX.1" \
    SPINNERET_KCM_CONTROLLERS="${SPINNERET_KCM_CONTROLLERS:-$(sed -n 's/^KCM_CONTROLLERS_DEFAULT="\(.*\)"$/\1/p' "$HERE/control-plane.sh"),$KCM_NODE_CONTROLLERS}" \
    SPINNERET_KCM_EXTRA_ARGS="${SPINNERET_KCM_EXTRA_ARGS:-} --node-monitor-grace-period=20s" \
    SPINNERET_APISERVER_EXTRA_ARGS="${SPINNERET_APISERVER_EXTRA_ARGS:-} --enable-aggregator-routing=true --kubelet-client-certificate=$DIR/cp/pki/admin.crt --kubelet-client-key=$DIR/cp/pki/admin.key --kubelet-preferred-address-types=InternalIP" \
    "$HERE/control-plane.sh" start "$DIR/cp"
  # shellcheck disable=SC1091
  source "$DIR/cp/env"
  local K=("$BIN/kubectl" --kubeconfig="$DIR/cp/admin.kubeconfig")
  # the control plane runs RBAC without the Node authorizer: kubelets get system:node as a group
  "${K[@]}" create clusterrolebinding spinneret-local-nodes --clusterrole=system:node --group=system:nodes >/dev/null

  launch kube-scheduler "$DIR/cp/logs/kube-scheduler.log" "$BIN/kube-scheduler" \
    --kubeconfig="$DIR/cp/admin.kubeconfig" --authentication-kubeconfig="$DIR/cp/admin.kubeconfig" \
    --authorization-kubeconfig="$DIR/cp/admin.kubeconfig" --leader-elect=false --secure-port=0 --profiling=false

  case "$NETWORK" in calico|multus) need_cni_plugins; cluster_objects "$NETWORK" ;; esac
  local n
  for n in "${NODES[@]}"; do setup_node "$n"; done
  # the pod network: one L2 segment across the nodes' spn0 bridges
  ip link add "spn${ID}pa" netns "$(ns_name node-a)" type veth peer name "spn${ID}pb" netns "$(ns_name node-b)"
  ip -n "$(ns_name node-a)" link set "spn${ID}pa" master spn0 up
  ip -n "$(ns_name node-b)" link set "spn${ID}pb" master spn0 up
  # the macvlan secondaries' L2 (no addresses of the nodes on it): under0 in each node namespace
  ip link add "spn${ID}ua" netns "$(ns_name node-a)" type veth peer name "spn${ID}ub" netns "$(ns_name node-b)"
  ip -n "$(ns_name node-a)" link set "spn${ID}ua" name under0 up
  ip -n "$(ns_name node-b)" link set "spn${ID}ub" name under0 up

  # shellcheck disable=SC2206
  local images=("$IMG/pause.tar" "$IMG/busybox.tar" ${SPINNERET_NODE_IMAGES:-})
  local importers=()
  for n in "${NODES[@]}"; do
    start_containerd "$n"
    import_images "$n" "${images[@]}" &
    importers+=($!)
  done
  for n in "${importers[@]}"; do wait "$n" || die "importing images failed"; done
  for n in "${NODES[@]}"; do
    start_kubelet "$n"
    launch "kube-proxy@$n" "$DIR/nodes/$n/kube-proxy.log" nsenter --net="/run/netns/$(ns_name "$n")" \
      --mount="$(mnt_file "$n")" -- "$BIN/kube-proxy" --config="$DIR/nodes/$n/kube-proxy.yaml" --v=1
  done

  local deadline=$((SECONDS + ${SPINNERET_NODE_TIMEOUT:-120}))
  for n in "${NODES[@]}"; do
    until [[ "$("${K[@]}" get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]] \
      && [[ -z "$("${K[@]}" get node "$n" -o jsonpath='{.spec.taints}' 2>/dev/null)" ]]; do
      is_ours "$(awk -v n="kubelet@$n" '$1==n {p=$2} END {print p}' "$DIR/pids")" kubelet \
        || { tail -30 "$DIR/nodes/$n/kubelet.log" >&2; die "kubelet of $n exited"; }
      ((SECONDS < deadline)) || { tail -30 "$DIR/nodes/$n/kubelet.log" >&2; die "$n not Ready and untainted within ${SPINNERET_NODE_TIMEOUT:-120}s"; }
      sleep 0.5
    done
  done

  cat "$DIR/cp/env" >"$DIR/env"
  cat >>"$DIR/env" <<EOF
# node.sh
export SPINNERET_NODES_DIR='$DIR'
export NODE_NET='$NET_PREFIX.0/24'
export NODE_BRIDGE='$BR'
export POD_CIDR='$POD_CIDR'
export UNDERLAY_CIDR='$UNDERLAY_CIDR'
export NODE_A_IP='$NET_PREFIX.2'
export NODE_B_IP='$NET_PREFIX.3'
export IMAGES_DIR='$IMG'
EOF
  START_OK=1
  trap - EXIT INT TERM
  log "nodes ${NODES[*]} Ready in $((SECONDS - t0))s: source $DIR/env"
}

do_restart() { # node component
  local n="$1" what="$2"
  node_index "$n" >/dev/null
  load_net "$DIR" || die "no node network recorded in $DIR"
  # shellcheck disable=SC1091
  source "$DIR/cp/env"
  BIN="$BIN_DIR"
  API_URL="$API_URL"
  case "$what" in
    kubelet|containerd)
      kill_recorded "^$what@$n\$" KILL
      wait_recorded_gone "^$what@$n\$" 50 || die "$what of $n did not die"
      forget "$what@$n"
      if [[ "$what" == kubelet ]]; then start_kubelet "$n"; else start_containerd "$n"; fi ;;
    *) die "restart: kubelet or containerd" ;;
  esac
}

do_cni() { # network [ipam]
  local n
  load_net "$DIR" || die "no node network recorded in $DIR"
  # shellcheck disable=SC1091
  source "$DIR/cp/env"
  BIN="$BIN_DIR"
  case "$1" in calico|multus) need_cni_plugins; cluster_objects "$1" ;; esac
  for n in "${NODES[@]}"; do write_cni_conf "$n" "$1" "${2:-spinneret}"; done
  sleep 1.5 # containerd re-reads conf_dir on change (fsnotify) and syncs within a second
}

[[ $# -ge 2 ]] || usage
cmd="$1"
mkdir -p "$2" 2>/dev/null || true
DIR="$(cd "$2" 2>/dev/null && pwd)" || { [[ "$cmd" == stop ]] && { log "$2 does not exist"; exit 0; }; die "no dir $2"; }
shift 2
case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  import)
    load_net "$DIR" || die "no nodes in $DIR"
    for n in "${NODES[@]}"; do import_images "$n" "$@"; done ;;
  restart) [[ $# -eq 2 ]] || usage; do_restart "$1" "$2" ;;
  exec) [[ $# -ge 2 ]] || usage; load_net "$DIR" || die "no nodes in $DIR"; n="$1"; shift; in_node "$n" "$@" ;;
  cni) [[ $# -eq 1 || $# -eq 2 ]] || usage; do_cni "$@" ;;
  *) usage ;;
esac
