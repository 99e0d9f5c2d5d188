package dev.spinneret.e2e;

/** A cluster the tests drive with kubectl: the shared control plane ({@link RealCluster}) or the nodes ({@link NodeCluster}). */
interface Kubectl {
    RealCluster.Result kubectl(String... args);

    /** {@code kubectl apply -f -} of {@code yaml}, with {@code extra} flags. */
    RealCluster.Result kubectlApply(String yaml, String... extra);
}
