#!/bin/bash
# Builds the CNI plugin distribution (docs/cni.md):
#   <out>/spinneret, <out>/spiderpool            launcher (identical copies)
#   <out>/spinneret.d/spinneret-cni.jar          the plugin (JDK-only)
#   <out>/spinneret.d/jre/                       jlink'ed runtime (java.base + jdk.crypto.ec)
#   <out>/spinneret.d/app.aot | app.jsa          AOT cache (JDK 25+) or AppCDS dynamic archive (JDK 17), from a
#                                                training ADD against the fake API server (test sources)
# Usage: src/main/cni/build-dist.sh [--jdk DIR] [--out DIR] [--no-archive] [--skip-mvn]
# Default JDK: /usr/lib/jvm/temurin-25-jdk-amd64 when present, else $JAVA_HOME, else the java on PATH.
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
JDK=""
OUT="$ROOT/target/cni-dist"
ARCHIVE=1
MVN=1
while [ $# -gt 0 ]; do
  case "$1" in
    --jdk) JDK="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --no-archive) ARCHIVE=0; shift ;;
    --skip-mvn) MVN=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$JDK" ]; then
  if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink ]; then JDK=/usr/lib/jvm/temurin-25-jdk-amd64
  elif [ -n "${JAVA_HOME:-}" ]; then JDK="$JAVA_HOME"
  else JDK="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"; fi
fi
FEATURE=$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
echo "build-dist: JDK $JDK (Java $FEATURE) -> $OUT"

if [ "$MVN" = 1 ]; then
  mvn -B -q -o compile antrun:run@spinneret-cni-jar || mvn -B -q compile antrun:run@spinneret-cni-jar
fi
JAR="$ROOT/target/spinneret-cni.jar"
[ -f "$JAR" ] || { echo "missing $JAR (run without --skip-mvn)" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/spinneret.d"
D="$OUT/spinneret.d"
cp "$JAR" "$D/spinneret-cni.jar"
touch -d '2026-01-01 00:00:00 UTC' "$D/spinneret-cni.jar"   # stable mtime; archives check it, installers must cp -p
cp src/main/cni/spinneret "$OUT/spinneret"
cp src/main/cni/spinneret "$OUT/spiderpool"
chmod 0755 "$OUT/spinneret" "$OUT/spiderpool"

# --- runtime: java.base + jdk.crypto.ec (SunEC: ECDHE/ECDSA for TLS on JDK 17; an empty shim on 22+)
MODULES=java.base
"$JDK/bin/java" --list-modules | grep -q '^jdk.crypto.ec@' && MODULES="$MODULES,jdk.crypto.ec"
if [ "$FEATURE" -ge 21 ]; then
  "$JDK/bin/jlink" --add-modules "$MODULES" --no-header-files --no-man-pages --strip-debug \
    --compress=zip-6 --generate-cds-archive --output "$D/jre" > "$ROOT/target/cni-jlink.log" 2>&1 \
    || { cat "$ROOT/target/cni-jlink.log" >&2; exit 1; }
  rm -f "$D/jre/lib/server/classes_nocoops.jsa"
else
  STRIP=()
  command -v objcopy >/dev/null && STRIP=(--strip-native-debug-symbols=objcopy="$(command -v objcopy)")
  "$JDK/bin/jlink" --add-modules "$MODULES" --no-header-files --no-man-pages --strip-debug "${STRIP[@]}" \
    --compress=2 --output "$D/jre"
  "$D/jre/bin/java" -Xshare:dump -Xlog:disable >/dev/null
fi

# --- training run: one ADD against the fake API server (exercises JSON, kubeconfig, TLS, HTTP, endpoint create+patch)
if [ "$ARCHIVE" = 1 ]; then
  TRAIN="$ROOT/target/cni-train"
  rm -rf "$TRAIN"; mkdir -p "$TRAIN/classes" "$TRAIN/work"
  T=src/test/java/dev/spinneret/cni
  "$JDK/bin/javac" -q --release 17 -nowarn -d "$TRAIN/classes" -cp "$ROOT/target/classes" \
    "$T/FakeApiServer.java" "$T/TestTls.java" "$T/Fixtures.java" 2>/dev/null || \
  "$JDK/bin/javac" --release 17 -nowarn -d "$TRAIN/classes" -cp "$ROOT/target/classes" \
    "$T/FakeApiServer.java" "$T/TestTls.java" "$T/Fixtures.java"
  # one fake API server per kind of cluster: RSA 2048 (kubeadm) and EC P-256 (k3s, RKE2) serving certificates, each
  # with the ServiceAccount token the chart's installer writes, and with an RSA / EC client certificate (mTLS)
  K=src/test/resources/dev/spinneret/cni/kube
  SERVERS=()
  trap 'kill "${SERVERS[@]}" 2>/dev/null || true' EXIT
  CONFS=()
  for variant in RSA:token EC:token RSA:rsa EC:ec; do
    alg=${variant%:*}; auth=${variant#*:}
    W="$TRAIN/work/$alg-$auth"; mkdir -p "$W"
    CLIENT=(); [ "$auth" = token ] || CLIENT=("$ROOT/$K/$auth.crt" "$ROOT/$K/$auth-pkcs8.key")
    "$JDK/bin/java" -Dspinneret.test.keyalg="$alg" -cp "$TRAIN/classes:$ROOT/target/classes" dev.spinneret.cni.FakeApiServer "$W" "${CLIENT[@]}" > "$W/server.out" 2>&1 &
    SERVERS+=($!)
    printf '{"cniVersion":"1.0.0","name":"train","ipam":{"type":"spinneret","kubeconfig":"%s/spinneret.kubeconfig","log_file_path":"%s/cni.log","log_level":"debug"}}' "$W" "$W" > "$W/conf.json"
    CONFS+=("$W/conf.json")
  done
  for c in "${CONFS[@]}"; do
    W="$(dirname "$c")"
    for _ in $(seq 1 300); do grep -q '^port ' "$W/server.out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^port ' "$W/server.out" || { cat "$W/server.out" >&2; exit 1; }
  done
  export CNI_COMMAND=ADD CNI_CONTAINERID=train0 CNI_NETNS=/var/run/netns/train CNI_IFNAME=eth0 \
    CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench;K8S_POD_UID=uid-bench" CNI_PATH=/opt/cni/bin
  # same flags and the same (relative) class path as the launcher
  FLAGS=(-XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=12 -XX:+UseSerialGC -XX:-UsePerfData -Xlog:disable -Xlog:all=warning:stderr)  # -Xshare:* conflicts with AOTCacheOutput
  if [ "$FEATURE" -ge 25 ]; then
    OUTPUT=(-XX:AOTCacheOutput=app.aot)
  else
    OUTPUT=(-XX:ArchiveClassesAtExit=app.jsa)
  fi
  (cd "$D" && ./jre/bin/java "${FLAGS[@]}" "${OUTPUT[@]}" -cp spinneret-cni.jar dev.spinneret.cni.TrainingRun "${CONFS[@]}" >"$TRAIN/train.out" 2>"$TRAIN/train.err") \
    || { echo "training run failed:" >&2; cat "$TRAIN/train.err" >&2; exit 1; }
  unset CNI_COMMAND CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_ARGS CNI_PATH
  kill "${SERVERS[@]}" 2>/dev/null || true
  trap - EXIT
  rm -f "$D"/*.config
  # verify the archive maps with the launcher's exact command line (fails loudly instead of silently falling back)
  if [ "$FEATURE" -ge 25 ]; then CHECK=(-XX:AOTMode=on -XX:AOTCache=app.aot); else CHECK=(-Xshare:on -XX:SharedArchiveFile=app.jsa); fi
  (cd "$D" && CNI_COMMAND=VERSION ./jre/bin/java -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=12 -XX:+UseSerialGC -XX:-UsePerfData "${CHECK[@]}" \
     -Xlog:disable -Xlog:all=warning:stderr -cp spinneret-cni.jar dev.spinneret.cni.Main </dev/null >/dev/null) \
    || { echo "archive does not map" >&2; exit 1; }
fi
echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$OUT/spinneret"
du -sh "$OUT" "$D/jre" "$D"/app.* 2>/dev/null || true
