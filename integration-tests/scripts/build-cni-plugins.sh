#!/usr/bin/env bash
# Build (once) the third-party CNI plugins of node.sh's pod networks "calico" and "multus":
#   calico   Calico's CNI plugin, cni-plugin/cmd/calico of github.com/projectcalico/calico at $CALICO_VERSION
#   multus   Multus' thin plugin, cmd/multus of github.com/k8snetworkplumbingwg/multus-cni at $MULTUS_VERSION
#            (the release still vendors its modules: built offline)
# Both are built from their public source, never committed. The Go module proxy refuses these two modules, so their
# source is a snapshot (git archive of the tag) unpacked by hand into the cache, or named by SPINNERET_CALICO_SRC /
# SPINNERET_MULTUS_SRC; Calico's dependencies come from the Go module proxy.
#
# Output: ${SPINNERET_CACHE:-$HOME/.cache/spinneret}/bin/cni-calico-<ver>-multus-<ver>/{calico,multus}, reused while its
# .stamp matches. Source looked for in: $SPINNERET_CALICO_SRC, else <cache>/src/calico-<ver>/ (same for multus).
# stdout: ONLY the bin dir, as the last line. Exit 0 built/reused, 3 a source snapshot (or Go) is missing (nothing built:
# node.sh's calico/multus networks and the tests that need them are unavailable), 1 a build failed.
# Cold build on the 2-core machine: docs/cni.md, "The local harness".
set -euo pipefail
log() { printf '[build-cni-plugins] %s\n' "$*" >&2; }
die() { printf '[build-cni-plugins] ERROR: %s\n' "$*" >&2; exit 1; }

CALICO_VERSION=v3.32.1
MULTUS_VERSION=v4.3.0
CACHE="${SPINNERET_CACHE:-$HOME/.cache/spinneret}"
KEY="cni-calico-$CALICO_VERSION-multus-$MULTUS_VERSION"
OUT="$CACHE/bin/$KEY"
GO_VERSION="$(go env GOVERSION 2>/dev/null || echo none)"
STAMP_CONTENT="calico=$CALICO_VERSION multus=$MULTUS_VERSION go=$GO_VERSION"

ready() { [[ -x "$OUT/calico" && -x "$OUT/multus" && -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$STAMP_CONTENT" ]]; }
if ready; then log "reusing $OUT"; echo "$OUT"; exit 0; fi

CALICO_SRC="${SPINNERET_CALICO_SRC:-$CACHE/src/calico-$CALICO_VERSION}"
MULTUS_SRC="${SPINNERET_MULTUS_SRC:-$CACHE/src/multus-$MULTUS_VERSION}"
missing=0
[[ -f "$CALICO_SRC/go.mod" && -d "$CALICO_SRC/cni-plugin/cmd/calico" ]] || {
  log "no Calico source at $CALICO_SRC: unpack github.com/projectcalico/calico at tag $CALICO_VERSION there (git archive $CALICO_VERSION | tar -x -C $CALICO_SRC)"
  missing=1
}
[[ -f "$MULTUS_SRC/go.mod" && -d "$MULTUS_SRC/vendor" ]] || {
  log "no Multus source at $MULTUS_SRC: unpack github.com/k8snetworkplumbingwg/multus-cni at tag $MULTUS_VERSION there"
  missing=1
}
((missing == 0)) || exit 3
command -v go >/dev/null 2>&1 || { log "go not found in PATH: nothing built"; exit 3; }

mkdir -p "$CACHE/bin"
exec 9>"$CACHE/bin/.$KEY.lock"
flock -w 3600 9 || die "timed out waiting for another build holding $CACHE/bin/.$KEY.lock"
if ready; then log "reusing $OUT (built by a concurrent run)"; echo "$OUT"; exit 0; fi

TMP="$CACHE/bin/.$KEY.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local
t0=$SECONDS
log "building Calico's CNI plugin $CALICO_VERSION (its modules from the Go module proxy) ..."
(cd "$CALICO_SRC" && GOFLAGS="-buildvcs=false -mod=readonly" go build -trimpath -pgo=off \
  -ldflags "-s -w -X main.VERSION=$CALICO_VERSION" -o "$TMP/calico" ./cni-plugin/cmd/calico </dev/null >&2) \
  || die "building Calico's CNI plugin failed"
t1=$SECONDS
log "built calico in $((t1 - t0)) s; building Multus $MULTUS_VERSION (vendored, offline) ..."
(cd "$MULTUS_SRC" && GOFLAGS="-buildvcs=false -mod=vendor" GOPROXY=off go build -trimpath -pgo=off \
  -ldflags "-s -w" -o "$TMP/multus" ./cmd/multus </dev/null >&2) || die "building Multus failed"
log "built multus in $((SECONDS - t1)) s"
rm -rf "$OUT"
mv "$TMP" "$OUT"
echo "$STAMP_CONTENT" >"$OUT/.stamp"
trap - EXIT
log "calico + multus built in $((SECONDS - t0)) s -> $OUT"
echo "$OUT"
