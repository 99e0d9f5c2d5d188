#!/usr/bin/env bash
# Build the images the local nodes run, as image tars (no registry, no container daemon):
#   pause.tar          localhost/spinneret/pause:dev          pod sandbox: a static C program (pause.c)
#   busybox.tar        localhost/spinneret/busybox:dev        workload image: Debian's busybox-static + applet links
#   jre17.tar          localhost/spinneret/jre17:dev          JVM base: jlink'ed Java 17 runtime from the JDK here,
#                                                              the glibc/zlib/libstdc++ it links, busybox, uid 185
#   spinneret.tar      localhost/spinneret/spinneret:dev      the service: Jib (integration-tests/images/service/pom.xml)
#                                                              puts target/quarkus-app on jre17 under /deployments
#   spinneret-cni.tar  localhost/spinneret/spinneret-cni:dev  the CNI installer: busybox + the plugin distribution
#                                                              ($SPINNERET_CNI_DIST) + src/main/cni/install.sh
#   kubectl.tar        localhost/spinneret/kubectl:dev        busybox + the kubectl of build-binaries.sh (the chart's
#                                                              default-pool Job)
# Each tar holds an OCI layout (ctr images import) and a manifest.json (docker load, Jib's tar:// base images).
#
#   build-images.sh [image...]     default: all six; stdout: ONLY the output dir (last line)
#
# Env:
#   SPINNERET_CACHE       cache root (default ~/.cache/spinneret); images go to $SPINNERET_CACHE/images/
#   SPINNERET_CNI_DIST    plugin distribution copied into the installer image at /opt/spinneret-cni (default
#                         target/cni, built by src/main/cni/build.sh, for the Go plugin; target/cni-dist, built
#                         by src/main/cni/build-dist.sh --no-archive, for the Java one); the one path to change
#   SPINNERET_CNI_INSTALLER  the installer script of that image (default src/main/cni/install.sh)
#   SPINNERET_JDK17       JDK with jlink and jmods for the base image (default /usr/lib/jvm/java-17-openjdk-amd64)
#   SPINNERET_IMAGE_PREFIX  repository prefix of the image names (default localhost/spinneret, what node.sh imports)
#   SPINNERET_IMAGE_TAG     their tag (default dev). With either set, the tars go to
#                           $SPINNERET_CACHE/images/<prefix>/<tag>/ instead. The chart's default names are
#                           SPINNERET_IMAGE_PREFIX=ghcr.io/spinneret SPINNERET_IMAGE_TAG=<Chart.yaml appVersion>;
#                           docs/install.md says how to push them to a registry.
# Needs: go, gcc (static libc), busybox-static, a JDK 17 with jmods, mvn; target/quarkus-app for the service image
# (mvn -B package -DskipTests). An image whose inputs did not change is not rebuilt (inputs hash in <name>.key).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPINNERET_CACHE:-$HOME/.cache/spinneret}"
PREFIX="${SPINNERET_IMAGE_PREFIX:-localhost/spinneret}"
TAG="${SPINNERET_IMAGE_TAG:-dev}"
OUT="$CACHE/images"
if [[ "$PREFIX" != localhost/spinneret || "$TAG" != dev ]]; then
  [[ "$PREFIX" =~ ^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?$ && "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] \
    || { echo "[build-images] ERROR: bad SPINNERET_IMAGE_PREFIX '$PREFIX' or SPINNERET_IMAGE_TAG '$TAG'" >&2; exit 1; }
  OUT="$CACHE/images/$PREFIX/$TAG"
fi
JDK17="${SPINNERET_JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}"
# the plugin: the Go binary of src/main/cni/build.sh (target/cni/) where that script exists, else the Java dist
if [[ -x "$ROOT/src/main/cni/build.sh" ]]; then
  CNI_DIST="${SPINNERET_CNI_DIST:-$ROOT/target/cni}"
else
  CNI_DIST="${SPINNERET_CNI_DIST:-$ROOT/target/cni-dist}"
fi
CNI_INSTALLER="${SPINNERET_CNI_INSTALLER:-$ROOT/src/main/cni/install.sh}"

log() { printf '[build-images] %s\n' "$*" >&2; }
die() { printf '[build-images] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$OUT"
WORK="$(mktemp -d "$OUT/.work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- the archive writer (Go, standard library only)
OCITAR="$OUT/.ocitar"
ocitar_key="$(cat "$HERE/ocitar/go.mod" "$HERE/ocitar/main.go" | sha256sum | cut -c1-16) $(go env GOVERSION)"
if [[ ! -x "$OCITAR" || "$(cat "$OCITAR.key" 2>/dev/null)" != "$ocitar_key" ]]; then
  (cd "$HERE/ocitar" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go build -trimpath -o "$OCITAR.new" .) \
    || die "building ocitar failed"
  mv -f "$OCITAR.new" "$OCITAR"
  echo "$ocitar_key" >"$OCITAR.key"
fi

# fresh NAME KEY -> 0 if $OUT/NAME.tar was built from the same inputs
fresh() { [[ -f "$OUT/$1.tar" && "$(cat "$OUT/$1.key" 2>/dev/null)" == "$2" ]]; }
done_image() { echo "$2" >"$OUT/$1.key"; log "built $1.tar ($(du -h "$OUT/$1.tar" | cut -f1)) in $3 s"; }
tree_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

busybox_tree() { # dir: /bin/busybox and one link per applet
  local d="$1" b
  b="$(command -v busybox)" || die "busybox not found (apt-get install busybox-static)"
  file -L "$b" 2>/dev/null | grep -q 'statically linked' || ldd "$b" 2>&1 | grep -q 'not a dynamic' \
    || die "$b is not static (apt-get install busybox-static)"
  mkdir -p "$d/bin" "$d/sbin" "$d/usr/bin" "$d/usr/sbin" "$d/tmp" "$d/etc"
  chmod 1777 "$d/tmp"
  cp "$b" "$d/bin/busybox"
  while read -r applet; do
    [[ "$applet" == bin/busybox || -e "$d/$applet" ]] || ln -s /bin/busybox "$d/$applet"
  done < <("$d/bin/busybox" --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nspinneret:x:185:185:spinneret:/deployments:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$d/etc/passwd"
  printf 'root:x:0:\nspinneret:x:185:\nnogroup:x:65534:\n' >"$d/etc/group"
  echo 'hosts: files dns' >"$d/etc/nsswitch.conf"
}

build_pause() {
  local t=$SECONDS key
  key="$(sha256sum "$HERE/pause.c" | cut -c1-16) $(gcc -dumpfullversion)"
  fresh pause "$key" && return 0
  mkdir -p "$WORK/pause"
  gcc -static -O2 -Wall -o "$WORK/pause/pause" "$HERE/pause.c" || die "gcc -static pause.c failed (libc6-dev)"
  strip "$WORK/pause/pause"
  "$OCITAR" -o "$OUT/pause.tar" -ref "$PREFIX/pause:$TAG" -layer "$WORK/pause" -entrypoint '["/pause"]'
  done_image pause "$key" $((SECONDS - t))
}

build_busybox() {
  local t=$SECONDS key
  key="$(sha256sum "$(command -v busybox)" | cut -c1-16)"
  fresh busybox "$key" && return 0
  busybox_tree "$WORK/busybox"
  "$OCITAR" -o "$OUT/busybox.tar" -ref "$PREFIX/busybox:$TAG" -layer "$WORK/busybox" -cmd '["sh"]' \
    -env PATH=/usr/sbin:/usr/bin:/sbin:/bin
  done_image busybox "$key" $((SECONDS - t))
}

# Modules: what Quarkus, Vert.x/Netty, fabric8 and JOSDK use (jdeps on target/quarkus-app, plus the TLS providers).
JRE_MODULES=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.scripting,java.security.jgss,java.sql,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.naming.dns,jdk.unsupported,jdk.zipfs

build_jre() {
  local t=$SECONDS key
  [[ -x "$JDK17/bin/jlink" && -d "$JDK17/jmods" ]] || die "$JDK17 has no jlink/jmods (apt-get install openjdk-17-jdk-headless openjdk-17-jmods, or set SPINNERET_JDK17)"
  key="$("$JDK17/bin/java" -version 2>&1 | head -1 | tr -d '"') $JRE_MODULES $(sha256sum "$(command -v busybox)" | cut -c1-16) $(sha256sum /lib/x86_64-linux-gnu/libc.so.6 | cut -c1-16)"
  fresh jre17 "$key" && return 0
  local r="$WORK/jre"
  busybox_tree "$r"
  mkdir -p "$r/opt" "$r/deployments"
  "$JDK17/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$r/opt/java" 2>&1 | grep -v 'is deprecated' >&2 || true
  [[ -x "$r/opt/java/bin/java" ]] || die "jlink did not produce $r/opt/java/bin/java"
  # the shared libraries the runtime links (glibc, zlib, libstdc++, libgcc_s) and the loader, at their own paths
  local lib
  while read -r lib; do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done < <(find "$r/opt/java" -name '*.so' -o -path '*/bin/java' | xargs ldd 2>/dev/null \
             | awk -v r="$r" '$2 == "=>" && $3 ~ /^\// && index($3, r) != 1 {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' \
             | sort -u)
  for lib in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
    [[ -e "/lib/x86_64-linux-gnu/$lib" ]] && cp -L "/lib/x86_64-linux-gnu/$lib" "$r/lib/x86_64-linux-gnu/"
  done
  [[ -e "$r/lib64/ld-linux-x86-64.so.2" ]] || die "the dynamic loader was not found by ldd"
  mkdir -p "$r/proc"
  unshare --fork --pid --mount --mount-proc --root="$r" /opt/java/bin/java -version >/dev/null 2>&1 \
    || die "the base image's java does not start in its own root (missing shared library?)"
  "$OCITAR" -o "$OUT/jre17.tar" -ref "$PREFIX/jre17:$TAG" -layer "$r" \
    -env PATH=/opt/java/bin:/usr/sbin:/usr/bin:/sbin:/bin -env JAVA_HOME=/opt/java -workdir /deployments -user 185
  done_image jre17 "$key" $((SECONDS - t))
}

build_spinneret() {
  local t=$SECONDS key app="$ROOT/target/quarkus-app"
  [[ -f "$app/quarkus-run.jar" ]] || die "no $app/quarkus-run.jar: run 'mvn -B package -DskipTests' first"
  key="$(tree_hash "$app") $(cat "$OUT/jre17.key") $(sha256sum "$HERE/service/pom.xml" | cut -c1-16)"
  fresh spinneret "$key" && return 0
  local mvnlog="$WORK/jib.log" target="$WORK/service-target"
  # own build dir: never touches the main build's target/
  if ! mvn -B -f "$HERE/service/pom.xml" -Dspinneret.image.build="$target" \
      -Dspinneret.app="$app" -Djib.from.image="tar://$OUT/jre17.tar" -Dimage="$PREFIX/spinneret:$TAG" \
      -Djib.outputPaths.tar="$OUT/spinneret.tar.new" -Djib.console=plain \
      package jib:buildTar >"$mvnlog" 2>&1; then
    tail -40 "$mvnlog" >&2
    die "Jib failed (log above)"
  fi
  mv -f "$OUT/spinneret.tar.new" "$OUT/spinneret.tar"
  done_image spinneret "$key" $((SECONDS - t))
}

build_cni() {
  local t=$SECONDS key
  if [[ ! -x "$CNI_DIST/spinneret" ]]; then
    [[ -z "${SPINNERET_CNI_DIST:-}" ]] || die "SPINNERET_CNI_DIST=$CNI_DIST has no executable 'spinneret'"
    if [[ -x "$ROOT/src/main/cni/build.sh" ]]; then
      log "no plugin in $CNI_DIST: building it (src/main/cni/build.sh)"
      "$ROOT/src/main/cni/build.sh" >&2 || die "src/main/cni/build.sh failed"
      [[ -x "$CNI_DIST/spinneret" ]] || die "src/main/cni/build.sh did not write $CNI_DIST/spinneret"
    else
      log "no plugin distribution in $CNI_DIST: building it (src/main/cni/build-dist.sh --no-archive --skip-mvn)"
      [[ -f "$ROOT/target/spinneret-cni.jar" ]] || die "no target/spinneret-cni.jar: run 'mvn -B package -DskipTests' first"
      "$ROOT/src/main/cni/build-dist.sh" --no-archive --skip-mvn --out "$CNI_DIST" >&2 || die "build-dist.sh failed"
    fi
  fi
  key="$(tree_hash "$CNI_DIST") $(sha256sum "$CNI_INSTALLER" | cut -c1-16) $(cat "$OUT/busybox.key")"
  fresh spinneret-cni "$key" && return 0
  mkdir -p "$WORK/cni/opt"
  cp -a "$CNI_DIST" "$WORK/cni/opt/spinneret-cni"
  install -m 0755 "$CNI_INSTALLER" "$WORK/cni/opt/spinneret-cni/install.sh"
  busybox_tree "$WORK/cni-base"
  "$OCITAR" -o "$OUT/spinneret-cni.tar" -ref "$PREFIX/spinneret-cni:$TAG" \
    -layer "$WORK/cni-base" -layer "$WORK/cni" -env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    -entrypoint '["/opt/spinneret-cni/install.sh"]'
  done_image spinneret-cni "$key" $((SECONDS - t))
}

build_kubectl() {
  local t=$SECONDS key kubectl
  kubectl="$("$ROOT/integration-tests/scripts/build-binaries.sh" | tail -1)/kubectl" || die "no kubectl"
  key="$(sha256sum "$kubectl" | cut -c1-16) $(cat "$OUT/busybox.key")"
  fresh kubectl "$key" && return 0
  busybox_tree "$WORK/kubectl"
  install -m 0755 "$kubectl" "$WORK/kubectl/bin/kubectl"
  "$OCITAR" -o "$OUT/kubectl.tar" -ref "$PREFIX/kubectl:$TAG" -layer "$WORK/kubectl" \
    -env PATH=/usr/sbin:/usr/bin:/sbin:/bin -entrypoint '["/bin/kubectl"]'
  done_image kubectl "$key" $((SECONDS - t))
}

wanted=("$@")
((${#wanted[@]})) || wanted=(pause busybox jre17 spinneret spinneret-cni kubectl)
for w in "${wanted[@]}"; do
  case "$w" in
    pause) build_pause ;;
    busybox) build_busybox ;;
    jre17) build_jre ;;
    spinneret) [[ -f "$OUT/jre17.key" ]] || build_jre; build_spinneret ;;
    spinneret-cni) [[ -f "$OUT/busybox.key" ]] || build_busybox; build_cni ;;
    kubectl) [[ -f "$OUT/busybox.key" ]] || build_busybox; build_kubectl ;;
    *) die "unknown image $w (pause busybox jre17 spinneret spinneret-cni kubectl)" ;;
  esac
done
echo "$OUT"
