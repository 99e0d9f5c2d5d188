#!/usr/bin/env bash
# Builds (once) Whereabouts' CNI IPAM binary from the Go module proxy, for bench/run.sh FairBench.
# The module here only pins github.com/k8snetworkplumbingwg/whereabouts (a `tool` directive for its cmd package);
# `go install …/cmd@v0.9.2` is refused because whereabouts' go.mod has a replace directive.
#
# Output: ${SPINNERET_CACHE:-$HOME/.cache/spinneret}/bin/whereabouts-<ver>/whereabouts (reused while .stamp matches).
# stdout: two lines, `BIN=<binary>` and `CRDS=<dir of the module's doc/crds>` (the CRDs are read from the module
# cache at run time and never copied into this repository). stderr: progress and errors.
set -euo pipefail
log() { printf '[whereabouts-bin] %s\n' "$*" >&2; }
die() { printf '[whereabouts-bin] ERROR: %s\n' "$*" >&2; exit 1; }

cd "$(dirname "${BASH_SOURCE[0]}")"
command -v go >/dev/null 2>&1 || die "go not found in PATH (Go >= 1.26 needed)"
MOD=github.com/k8snetworkplumbingwg/whereabouts
VERSION="$(awk -v m="$MOD" '$1==m && $2 ~ /^v/ {print $2; exit}' go.mod)"
[[ -n "$VERSION" ]] || die "cannot read the $MOD version from go.mod"
OUT="${SPINNERET_CACHE:-$HOME/.cache/spinneret}/bin/whereabouts-$VERSION"
STAMP_CONTENT="whereabouts=$VERSION go=$(go env GOVERSION) mods=$(cat go.mod go.sum | sha256sum | cut -c1-16)"

DIR="$(timeout 600 go mod download -json "$MOD@$VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
  || die "go mod download $MOD@$VERSION failed"
[[ -f "$DIR/doc/crds/whereabouts.cni.cncf.io_ippools.yaml" ]] || die "no doc/crds in $DIR"

if [[ "${SPINNERET_FORCE_BUILD:-0}" != 1 && -x "$OUT/whereabouts" && "$(cat "$OUT/.stamp" 2>/dev/null)" == "$STAMP_CONTENT" ]]; then
  log "reusing $OUT ($STAMP_CONTENT)"
else
  log "building $MOD/cmd $VERSION into $OUT (about 2 min on 2 cores)"
  mkdir -p "$OUT"
  rm -f "$OUT/.stamp"
  CGO_ENABLED=0 GOTOOLCHAIN=local timeout "${SPINNERET_BUILD_TIMEOUT:-3600}" go build -trimpath -mod=readonly \
    -ldflags "-s -w -X $MOD/pkg/version.Version=$VERSION" -o "$OUT/whereabouts.tmp" "$MOD/cmd" || die "go build failed"
  mv "$OUT/whereabouts.tmp" "$OUT/whereabouts"
  echo "$STAMP_CONTENT" > "$OUT/.stamp"
fi
echo "BIN=$OUT/whereabouts"
echo "CRDS=$DIR/doc/crds"
