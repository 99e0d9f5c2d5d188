package dev.spinneret.bench;

import java.util.TreeMap;

/** Lets the e2e package reuse the bench's histogram arithmetic. */
public final class PodAdmissionBenchAccess {
    private PodAdmissionBenchAccess() {
    }

    public static double[] quantiles(TreeMap<Double, Double> buckets) {
        return PodAdmissionBench.quantiles(buckets);
    }
}
