#!/usr/bin/env bash
# Install the OS packages the integration tests need (Debian/Ubuntu, as root). Idempotent:
# packages already installed are skipped, and apt-get is not called at all when nothing is missing.
#   openssl                       PKI for the throwaway control plane
#   iproute2                      ip netns / veth for CNI tests
#   containernetworking-plugins   reference CNI plugins (bridge, host-local, ...) in /usr/lib/cni
#   python3                       free-port picking and small helpers
#   containerd runc iptables      the real nodes of node.sh (each node's containerd; kube-proxy's iptables mode)
#   busybox-static gcc libc6-dev  the images of integration-tests/images (workload/installer base, static pause);
#                                 gcc/libc6-dev are also cgo for `go test -race` of the CNI plugin (src/main/cni)
#   openjdk-17-jdk-headless       jlink + jmods for the Java 17 base image of the service image
# Then Calico's CNI plugin and Multus for node.sh's calico and multus pod networks (build-cni-plugins.sh: built once
# from their source snapshots into ~/.cache/spinneret, reused after; without a snapshot the tests and the demo parts
# that need them say so and are skipped).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PKGS=(openssl iproute2 containernetworking-plugins python3 curl containerd runc iptables busybox-static gcc libc6-dev
  openjdk-17-jdk-headless)

log() { printf '[install-ci-deps] %s\n' "$*" >&2; }

command -v dpkg-query >/dev/null 2>&1 || { log "not a Debian-based system (no dpkg-query); install by hand: ${PKGS[*]}"; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

cni_plugins() {
  local rc=0
  "$HERE/build-cni-plugins.sh" >/dev/null || rc=$?
  case $rc in
    0) ;;
    3) log "Calico and Multus not built (no source snapshot): their node networks are unavailable" ;;
    *) log "building Calico and Multus failed"; exit 1 ;;
  esac
}

if ((${#missing[@]} == 0)); then
  log "all present: ${PKGS[*]}"
  cni_plugins
  exit 0
fi

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
log "installing: ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
log "installed: ${missing[*]}"
cni_plugins
