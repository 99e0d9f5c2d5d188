package dev.spinneret.autopool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** How many pods a workload wants, read from its spec (or status for a DaemonSet), per workload kind. */
@Tag("pure")
class WorkloadScaleTest {
    @Test
    void replicasPerWorkloadKind() throws Exception {
        ObjectMapper m = new ObjectMapper();
        assertEquals(OptionalInt.of(3), WorkloadScale.replicas("apps/v1", "Deployment",
                m.readTree("{\"spec\":{\"replicas\":3}}")));
        assertEquals(OptionalInt.of(1), WorkloadScale.replicas("apps/v1", "StatefulSet", m.readTree("{\"spec\":{}}")));
        assertEquals(OptionalInt.of(4), WorkloadScale.replicas("apps/v1", "DaemonSet",
                m.readTree("{\"status\":{\"desiredNumberScheduled\":4}}")));
        assertEquals(OptionalInt.of(1), WorkloadScale.replicas("apps/v1", "DaemonSet", m.readTree("{}")));
        assertEquals(OptionalInt.of(2), WorkloadScale.replicas("batch/v1", "Job",
                m.readTree("{\"spec\":{\"parallelism\":5,\"completions\":2}}")));
        assertEquals(OptionalInt.of(3), WorkloadScale.replicas("batch/v1", "CronJob",
                m.readTree("{\"spec\":{\"jobTemplate\":{\"spec\":{\"parallelism\":3}}}}")));
        assertEquals(OptionalInt.empty(), WorkloadScale.replicas("apps.kruise.io/v1alpha1", "CloneSet",
                m.readTree("{\"spec\":{\"replicas\":3}}")));
        assertEquals("apps.kruise.io/v1alpha1", AutoPoolReconciler.apiVersion("apps.kruise.io_v1alpha1"));
        assertEquals("v1", AutoPoolReconciler.apiVersion("v1"));
    }
}
