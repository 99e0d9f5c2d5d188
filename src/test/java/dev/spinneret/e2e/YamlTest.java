package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The workloads the ITs write parse as the objects they mean (a YAML slip would only show in an IT run). */
@Tag("pure")
class YamlTest {
    static final KubernetesSerialization S = new KubernetesSerialization();

    @Test
    void defaultsAreNginxPodsAndParallelStatefulSets() {
        StatefulSet s = S.unmarshal(Yaml.statefulSet("ns", "db", 3, "{\"ipv4\":[\"p\"]}"), StatefulSet.class);
        assertEquals("ns", s.getMetadata().getNamespace());
        assertEquals(3, s.getSpec().getReplicas());
        assertEquals("Parallel", s.getSpec().getPodManagementPolicy());
        assertEquals("db", s.getSpec().getServiceName());
        assertEquals(Map.of("app", "db"), s.getSpec().getSelector().getMatchLabels());
        assertEquals(Map.of("app", "db"), s.getSpec().getTemplate().getMetadata().getLabels());
        assertEquals(Map.of("ipam.spidernet.io/ippool", "{\"ipv4\":[\"p\"]}"),
                s.getSpec().getTemplate().getMetadata().getAnnotations());
        assertEquals("nginx", s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        Deployment d = S.unmarshal(Yaml.workload("Deployment", "ns", "web", 2, "a: '1'", "b: \"+2\""), Deployment.class);
        assertEquals(Map.of("a", "1", "b", "+2"), d.getSpec().getTemplate().getMetadata().getAnnotations());
    }

    @Test
    void aCustomPodSpecWithoutAnnotationsAndOrderedReady() {
        StatefulSet s = S.unmarshal(new Yaml.Workload("StatefulSet", "ns", "db", 1).orderedReady().podSpec("""
                terminationGracePeriodSeconds: 1
                containers:
                - name: app
                  image: busybox
                  command: ["httpd", "-f"]
                """).yaml(), StatefulSet.class);
        assertNull(s.getSpec().getPodManagementPolicy());
        assertEquals(Map.of(), s.getSpec().getTemplate().getMetadata().getAnnotations());
        assertEquals(1L, s.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
        assertEquals(List.of("httpd", "-f"), s.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand());
    }
}
