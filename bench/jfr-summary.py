#!/usr/bin/env python3
"""Where a Spinneret JVM spent its sampled CPU, from a JFR recording (jdk.ExecutionSample), as a markdown table.

  bench/jfr-summary.py recording.jfr [--from HH:MM[:SS]] [--to HH:MM[:SS]]   (UTC, both ends included)

Each sample goes to the first category (in the order below) any frame of its stack matches, so a JSON decode inside
a watch callback counts as "watch events", not as "JSON". Start the service with deep stacks, e.g.
SPINNERET_JAVA_OPTS="-XX:FlightRecorderOptions=stackdepth=256 -XX:StartFlightRecording=filename=x.jfr,settings=profile".
"""
import argparse, collections, json, re, subprocess, sys

CATEGORIES = [
    ("watch events (decode + informer store)", ("AbstractWatchManager", "WatchConnectionManager", "informers.impl")),
    ("ledger writer (plan, encode, write, answer)", ("PoolLedgerWriter", "dev.spinneret.blocks")),
    ("reaper (confirm deletion, release)", ("ReservationReaper",)),
    ("pod webhook (parse, select, reserve, patch)", ("PodReservationWebhook", "PodReservations")),
    ("other admission handling", ("dev.spinneret.admission",)),
    ("other Spinneret code", ("dev.spinneret",)),
    ("API responses decoded (fabric8 OperationSupport)", ("OperationSupport",)),
    ("metrics (micrometer)", ("micrometer",)),
    ("HTTP server (RESTEasy Reactive)", ("resteasy",)),
    ("TLS (JSSE)", ("sun.security.ssl", "com.sun.crypto", "sun.security.provider", "java.math.BigInteger")),
    ("JSON (Jackson) elsewhere", ("com.fasterxml.jackson",)),
    ("HTTP client/server I/O (fabric8 vert.x, netty)", ("io.fabric8.kubernetes.client.vertx", "io.netty", "io.vertx")),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("recording")
    ap.add_argument("--from", dest="start", default="00:00")
    ap.add_argument("--to", dest="end", default="99:99")
    a = ap.parse_args()
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "512", "--events", "jdk.ExecutionSample",
                          a.recording], check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    cats, threads, leaves = collections.Counter(), collections.Counter(), collections.Counter()
    n = 0
    for e in events:
        t = e["values"]["startTime"][11:19]  # HH:MM:SS; --from/--to may name minutes or seconds
        if not (a.start <= t and t[:len(a.end)] <= a.end):
            continue
        frames = [f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"]
                  for f in e["values"]["stackTrace"]["frames"]]
        n += 1
        cat = next((name for name, pats in CATEGORIES if any(p in f for f in frames for p in pats)), "other")
        cats[cat] += 1
        threads[re.sub(r"\d+", "N", e["values"]["sampledThread"]["javaName"] or "?")] += 1
        if frames:
            leaves[frames[0]] += 1
    if n == 0:
        sys.exit("no execution samples in that window")
    print(f"{n} execution samples ({a.start}-{a.end} UTC)\n")
    print("| where (first match, in this order) | samples | share |\n|---|---|---|")
    for name, _ in CATEGORIES + [("other", ())]:
        print(f"| {name} | {cats[name]} | {100 * cats[name] / n:.0f}% |")
    print("\nby thread: " + ", ".join(f"{k} {v}" for k, v in threads.most_common(8)))
    print("\nhot methods (top 10):")
    for k, v in leaves.most_common(10):
        print(f"- `{k}` {v} ({100 * v / n:.1f}%)")


if __name__ == "__main__":
    main()
