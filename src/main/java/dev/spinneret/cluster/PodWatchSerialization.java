package dev.spinneret.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * How the pod informer decodes what it receives: a pod's spec, status and managedFields are skipped by the parser
 * (no objects are built for them), since everything Spinneret reads of a cached or deleted pod is in the rest of
 * its metadata ({@link PodMetadataStore}). Decoding pod watch events was the largest share of the service's CPU per
 * admitted pod, and a real node sends several status updates per pod. Used only by the pod informer's own client:
 * every other read of a pod gets the whole object.
 */
public final class PodWatchSerialization {
    private PodWatchSerialization() {
    }

    public static KubernetesSerialization create() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.addMixIn(Pod.class, SkipSpecAndStatus.class);
        mapper.addMixIn(ObjectMeta.class, SkipManagedFields.class);
        return new KubernetesSerialization(mapper, true);
    }

    @JsonIgnoreProperties({ "spec", "status" })
    private interface SkipSpecAndStatus {
    }

    @JsonIgnoreProperties({ "managedFields" })
    private interface SkipManagedFields {
    }
}
