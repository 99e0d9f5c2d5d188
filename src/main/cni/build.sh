#!/usr/bin/env bash
# Builds the Spinneret CNI IPAM plugin (a static Go binary) and prints its path on stdout (nothing else goes to
# stdout). Stable interface for the installer image and the tests:
#   src/main/cni/build.sh [--out DIR]      default DIR: <repo>/target/cni  -> DIR/spinneret
# The installer ships the same file as "spinneret" and "spiderpool". Needs Go (go.mod's version or newer) and the
# Go module proxy (or a warm module cache); Go's build cache (~/.cache/go-build) makes rebuilds take about a second.
# Environment: GOOS/GOARCH to cross-build (e.g. GOARCH=arm64), SPINNERET_VERSION (default: git describe).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="$repo/target/cni"
while (($#)); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--out DIR]" >&2; exit 2 ;;
  esac
done
version="${SPINNERET_VERSION:-$(git -C "$repo" describe --always --dirty 2>/dev/null || echo dev)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here"
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.Version=$version" -o "$out/spinneret.new" ./cmd/spinneret >&2
mv -f "$out/spinneret.new" "$out/spinneret"
echo "$out/spinneret"
