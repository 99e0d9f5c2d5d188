#!/usr/bin/env bash
# Build (once) Spiderpool's agent, controller and IPAM CNI plugin from its public source, for the benchmarks and the
# adoption tests that run Spiderpool itself:
#   spiderpool-agent        cmd/spiderpool-agent of github.com/spidernet-io/spiderpool at $SPIDERPOOL_VERSION
#   spiderpool-controller   cmd/spiderpool-controller
#   spiderpool              cmd/spiderpool (the IPAM plugin; it talks to the agent over a unix socket)
#   crds/                   charts/spiderpool/crds of the same tag
#   VERSION                 "spiderpool <tag> <commit>"
# Built from the tag's source, never committed. The Go module proxy refuses the module (403), so the source is a
# snapshot: the tag archived out of a bare git dir of the public repository ($SPINNERET_SPIDERPOOL_GIT, else
# /work/.mirror/spidernet-io+spiderpool/repo) into <cache>/src/spiderpool-<ver>/, or an unpacked tree named by
# SPINNERET_SPIDERPOOL_SRC. The release vendors its modules: built offline (-mod=vendor, GOPROXY=off), CGO_ENABLED=0,
# with the release Makefile's flags (-s -w, -tags osusergo).
#
# Output: ${SPINNERET_CACHE:-$HOME/.cache/spinneret}/bin/spiderpool-<ver>-<shortsha>/, reused while its .stamp matches.
# stdout: ONLY the bin dir, as the last line. Exit 0 built/reused, 3 no source snapshot (or no Go): nothing built, the
# callers skip Spiderpool; 1 a build failed.
# Cold build on the 2-core machine: 281 s (agent 259 s, controller 14 s, plugin 7 s; empty Go build cache, load 10-13
# beside the Kubernetes build, 2026-12-06); reused: instant.
set -euo pipefail
log() { printf '[build-spiderpool] %s\n' "$*" >&2; }
die() { printf '[build-spiderpool] ERROR: %s\n' "$*" >&2; exit 1; }

# v1.2.1 is the release whose API (spiderpool.spidernet.io/v2beta1) Spinneret speaks; the tag, not a branch head, so
# that every machine builds the same source
SPIDERPOOL_VERSION=v1.2.1
SPIDERPOOL_COMMIT=7ab604794cff3319f79996df4b7ddfc5549e9b51
SHORT="${SPIDERPOOL_COMMIT:0:7}"
CACHE="${SPINNERET_CACHE:-$HOME/.cache/spinneret}"
KEY="spiderpool-$SPIDERPOOL_VERSION-$SHORT"
OUT="$CACHE/bin/$KEY"
GO_VERSION="$(go env GOVERSION 2>/dev/null || echo none)"
STAMP_CONTENT="spiderpool=$SPIDERPOOL_VERSION commit=$SPIDERPOOL_COMMIT go=$GO_VERSION"
BINS=(spiderpool-agent spiderpool-controller spiderpool)

ready() {
  local b
  for b in "${BINS[@]}"; do [[ -x "$OUT/$b" ]] || return 1; done
  [[ -d "$OUT/crds" && -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$STAMP_CONTENT" ]]
}
if ready; then log "reusing $OUT"; echo "$OUT"; exit 0; fi
command -v go >/dev/null 2>&1 || { log "go not found in PATH: nothing built"; exit 3; }

mkdir -p "$CACHE/bin" "$CACHE/src"
exec 9>"$CACHE/bin/.$KEY.lock"
flock -w 3600 9 || die "timed out waiting for another build holding $CACHE/bin/.$KEY.lock"
if ready; then log "reusing $OUT (built by a concurrent run)"; echo "$OUT"; exit 0; fi

SRC="${SPINNERET_SPIDERPOOL_SRC:-$CACHE/src/spiderpool-$SPIDERPOOL_VERSION}"
if [[ -z "${SPINNERET_SPIDERPOOL_SRC:-}" && ! -f "$SRC/.unpacked" ]]; then
  GIT_DIR_SNAPSHOT="${SPINNERET_SPIDERPOOL_GIT:-/work/.mirror/spidernet-io+spiderpool/repo}"
  if ! git --git-dir="$GIT_DIR_SNAPSHOT" rev-parse -q --verify "$SPIDERPOOL_VERSION^{commit}" >/dev/null 2>&1; then
    log "no Spiderpool source: neither $SRC nor a git dir with tag $SPIDERPOOL_VERSION at $GIT_DIR_SNAPSHOT" \
      "(SPINNERET_SPIDERPOOL_GIT names another snapshot of github.com/spidernet-io/spiderpool)"
    exit 3
  fi
  got="$(git --git-dir="$GIT_DIR_SNAPSHOT" rev-parse "$SPIDERPOOL_VERSION^{commit}")"
  [[ "$got" == "$SPIDERPOOL_COMMIT" ]] \
    || die "tag $SPIDERPOOL_VERSION in $GIT_DIR_SNAPSHOT is $got, not $SPIDERPOOL_COMMIT: refusing a moved tag"
  log "unpacking $SPIDERPOOL_VERSION ($SHORT) from $GIT_DIR_SNAPSHOT into $SRC ..."
  rm -rf "$SRC"; mkdir -p "$SRC"
  git --git-dir="$GIT_DIR_SNAPSHOT" archive "$SPIDERPOOL_VERSION" | tar -x -C "$SRC" || die "git archive failed"
  echo "$SPIDERPOOL_COMMIT" >"$SRC/.unpacked"
fi
[[ -f "$SRC/go.mod" && -d "$SRC/vendor" && -d "$SRC/charts/spiderpool/crds" ]] \
  || { log "no vendored Spiderpool source at $SRC (go.mod, vendor/, charts/spiderpool/crds)"; exit 3; }

TMP="$CACHE/bin/.$KEY.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=vendor" GOPROXY=off
t0=$SECONDS
for b in "${BINS[@]}"; do
  t1=$SECONDS
  log "building $b $SPIDERPOOL_VERSION (vendored, offline) ..."
  (cd "$SRC" && go build -trimpath -pgo=off -tags osusergo -ldflags "-s -w" -o "$TMP/$b" "./cmd/$b" </dev/null >&2) \
    || die "building $b failed"
  log "built $b in $((SECONDS - t1)) s"
done
cp -r "$SRC/charts/spiderpool/crds" "$TMP/crds"
echo "spiderpool $SPIDERPOOL_VERSION $SPIDERPOOL_COMMIT" >"$TMP/VERSION"
rm -rf "$OUT"
mv "$TMP" "$OUT"
echo "$STAMP_CONTENT" >"$OUT/.stamp"
trap - EXIT
log "${BINS[*]} built in $((SECONDS - t0)) s -> $OUT"
echo "$OUT"
