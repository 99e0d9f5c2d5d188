#!/usr/bin/env bash
# Build (once) the binaries of a throwaway Kubernetes control plane:
#   kube-apiserver, kube-controller-manager, kubectl  (from integration-tests/k8s-bins, k8s.io/kubernetes as a Go module)
#   kubelet, kube-scheduler, kube-proxy               (same module; the local nodes of scripts/node.sh)
#   etcd                                              (from integration-tests/etcd-bin)
#   helm                                              (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)
#
# Output dir: ${SPINNERET_CACHE:-$HOME/.cache/spinneret}/bin/k8s-<k8sver>-etcd-<etcdver>-helm-<helmver>-<go.mod/sum hash>/
# A stamp file (.stamp) written last records a successful build; a dir with a matching stamp is reused.
#
# Env:
#   SPINNERET_K8S_BIN_DIR   use these binaries instead (nothing is built); must hold executable
#                           kube-apiserver, kube-controller-manager, kubectl, etcd (helm optional; kubelet,
#                           kube-scheduler, kube-proxy only for node.sh)
#   SPINNERET_CACHE         cache root (default $HOME/.cache/spinneret)
#   SPINNERET_HELM_VERSION  helm version to go-install (default v3.21.4); "none" skips helm
#   SPINNERET_BUILD_TIMEOUT seconds allowed per go build/install (default 3600)
#   SPINNERET_FORCE_BUILD=1 rebuild even if the stamp matches
#
# stdout: ONLY the bin dir path, as the last line (BIN=$(build-binaries.sh | tail -1)).
# stderr: progress and errors. Exit code != 0 on any failure.
set -euo pipefail

log() { printf '[build-binaries] %s\n' "$*" >&2; }
die() { printf '[build-binaries] ERROR: %s\n' "$*" >&2; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IT_DIR="$(cd "$HERE/.." && pwd)"
K8S_MOD="$IT_DIR/k8s-bins"
ETCD_MOD="$IT_DIR/etcd-bin"

REQUIRED_BINS=(kube-apiserver kube-controller-manager kubectl etcd)
NODE_BINS=(kubelet kube-scheduler kube-proxy)

check_bins() { # dir -> 0 if all required binaries are executable files
  local d="$1" b missing=()
  for b in "${REQUIRED_BINS[@]}"; do
    [[ -f "$d/$b" && -x "$d/$b" ]] || missing+=("$b")
  done
  if ((${#missing[@]})); then
    printf '%s\n' "${missing[@]}"
    return 1
  fi
}

# ---------------------------------------------------------------- user-provided binaries
if [[ -n "${SPINNERET_K8S_BIN_DIR:-}" ]]; then
  d="$SPINNERET_K8S_BIN_DIR"
  [[ -d "$d" ]] || die "SPINNERET_K8S_BIN_DIR=$d is not a directory"
  d="$(cd "$d" && pwd)"
  if ! missing_list="$(check_bins "$d")"; then
    die "SPINNERET_K8S_BIN_DIR=$d lacks executable: $(echo "$missing_list" | xargs) (need: ${REQUIRED_BINS[*]}; helm optional)"
  fi
  [[ -x "$d/helm" ]] || log "note: no helm in $d (only needed for chart tests)"
  log "using prebuilt binaries from SPINNERET_K8S_BIN_DIR"
  echo "$d"
  exit 0
fi

# ---------------------------------------------------------------- versions
command -v go >/dev/null 2>&1 || die "go not found in PATH (Go >= 1.26 needed to build the binaries; or set SPINNERET_K8S_BIN_DIR)"
[[ -f "$K8S_MOD/go.mod" && -f "$ETCD_MOD/go.mod" ]] || die "missing $K8S_MOD/go.mod or $ETCD_MOD/go.mod"

K8S_VERSION="$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$K8S_MOD/go.mod")"
ETCD_VERSION="$(awk '$1=="go.etcd.io/etcd/server/v3" && $2 ~ /^v/ {print $2; exit}' "$ETCD_MOD/go.mod")"
HELM_VERSION="${SPINNERET_HELM_VERSION:-v3.21.4}"
[[ -n "$K8S_VERSION" ]] || die "cannot read the k8s.io/kubernetes version from $K8S_MOD/go.mod"
[[ -n "$ETCD_VERSION" ]] || die "cannot read the go.etcd.io/etcd/server/v3 version from $ETCD_MOD/go.mod"
K8S_MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"
GO_VERSION="$(go env GOVERSION)"

CACHE="${SPINNERET_CACHE:-$HOME/.cache/spinneret}"
gosum_hash() { cat "$K8S_MOD/go.mod" "$K8S_MOD/go.sum" "$ETCD_MOD/go.mod" "$ETCD_MOD/go.sum" | sha256sum | cut -c1-16; }
# the module files are part of the key: checkouts whose tool lists differ (branches, worktrees) each keep their own
# directory instead of replacing each other's binaries
KEY="k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-helm-${HELM_VERSION}-$(gosum_hash | cut -c1-8)"
OUT="$CACHE/bin/$KEY"
STAMP="$OUT/.stamp"
STAMP_CONTENT="k8s=$K8S_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION go=$GO_VERSION mods=$(gosum_hash)"

if [[ "${SPINNERET_FORCE_BUILD:-0}" != 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" ]] && check_bins "$OUT" >/dev/null; then
  log "reusing $OUT ($STAMP_CONTENT)"
  echo "$OUT"
  exit 0
fi

mkdir -p "$CACHE/bin"
# one builder at a time per key; others wait (bounded) and then reuse the result
exec 9>"$CACHE/bin/.$KEY.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w "${SPINNERET_BUILD_TIMEOUT:-3600}" 9 || die "timed out waiting for another build holding $CACHE/bin/.$KEY.lock"
  if [[ "${SPINNERET_FORCE_BUILD:-0}" != 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" ]] && check_bins "$OUT" >/dev/null; then
    log "reusing $OUT (built by a concurrent run)"
    echo "$OUT"
    exit 0
  fi
fi

TMP="$CACHE/bin/.$KEY.tmp.$$"
rm -rf "$TMP"
mkdir -p "$TMP"
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT

TIMEOUT="${SPINNERET_BUILD_TIMEOUT:-3600}"
export CGO_ENABLED=0 GOTOOLCHAIN=local
# readonly: never rewrite the committed go.mod/go.sum; missing sums are an error, not a silent change
export GOFLAGS="-buildvcs=false -mod=readonly"

run_build() { # label, dir, cmd...
  local label="$1" dir="$2"; shift 2
  local start=$SECONDS rc=0
  log "building $label ... (cwd $dir)"
  (cd "$dir" && timeout --kill-after=30 "$TIMEOUT" "$@" </dev/null >&2) || rc=$?
  if ((rc == 124 || rc == 137)); then
    die "building $label timed out after ${TIMEOUT}s (SPINNERET_BUILD_TIMEOUT)"
  elif ((rc != 0)); then
    die "building $label failed (exit $rc). If module downloads fail checksum verification because sum.golang.org is unreachable, retry with GOSUMDB=off (go.sum is committed). Or point SPINNERET_K8S_BIN_DIR at existing binaries."
  fi
  log "built $label in $((SECONDS - start))s"
}

TOTAL_START=$SECONDS

VX="-X k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
VX+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${K8S_MINOR}"
VX+=" -X k8s.io/component-base/version.gitTreeState=clean"
VX+=" -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
VX+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${K8S_MINOR}"
run_build "kube-apiserver kube-controller-manager kubectl kubelet kube-scheduler kube-proxy $K8S_VERSION" "$K8S_MOD" \
  go build -trimpath -pgo=off -ldflags "-s -w $VX" -o "$TMP/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kube-proxy

run_build "etcd $ETCD_VERSION" "$ETCD_MOD" \
  go build -trimpath -pgo=off -ldflags "-s -w" -o "$TMP/etcd" go.etcd.io/etcd/server/v3

if [[ "$HELM_VERSION" != none ]]; then
  # go install pkg@version ignores the current module; run it outside any module
  HELM_WORK="$TMP/.helm-work"; mkdir -p "$HELM_WORK"
  GOFLAGS="-buildvcs=false" GOBIN="$TMP" run_build "helm $HELM_VERSION" "$HELM_WORK" \
    go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
      "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
  rm -rf "$HELM_WORK"
fi

REQUIRED_BINS+=("${NODE_BINS[@]}")
missing_list="$(check_bins "$TMP")" || die "build finished but binaries are missing: $(echo "$missing_list" | xargs)"
"$TMP/kube-apiserver" --version >&2 || die "$TMP/kube-apiserver does not run"

rm -rf "$OUT"
mv "$TMP" "$OUT"
echo "$STAMP_CONTENT" >"$STAMP"
trap - EXIT
log "all binaries built in $((SECONDS - TOTAL_START))s -> $OUT"
echo "$OUT"
