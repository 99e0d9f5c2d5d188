package dev.spinneret.api;

import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v2beta1.NoStatusSubresource;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderReservedIP;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the CRDs from the Java classes with fabric8's CRD generator (the same one QOSDK runs in the build),
 * then restores the printer-column order declared on each class: the generator sorts columns by JSON path, but
 * {@code kubectl get sp} must print VERSION SUBNET ALLOCATED-IP-COUNT TOTAL-IP-COUNT DEFAULT DISABLE as the seed does;
 * and drops the status subresource of classes annotated {@link NoStatusSubresource}.
 */
public final class CrdFiles {
    public static final List<Class<? extends CustomResource<?, ?>>> RESOURCES = List.of(SpiderIPPool.class,
            SpiderSubnet.class, SpiderReservedIP.class, SpiderEndpoint.class, SpinneretIPBlock.class);
    public static final String REGENERATE = "mvn -B test -Dtest=CrdDriftTest -Dspinneret.crds.write=true";

    private CrdFiles() {
    }

    /** File name → YAML, e.g. {@code spiderippools.spiderpool.spidernet.io.yaml}. */
    public static Map<String, String> render() throws IOException {
        Path dir = Files.createTempDirectory("crds");
        @SuppressWarnings({ "unchecked", "rawtypes" })
        Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>[] classes = RESOURCES.toArray(new Class[0]);
        new CRDGenerator().customResourceClasses(classes).forCRDVersions("v1").inOutputDir(dir.toFile()).generate();
        KubernetesSerialization ser = new KubernetesSerialization();
        Map<String, String> out = new LinkedHashMap<>();
        for (Class<? extends CustomResource<?, ?>> c : RESOURCES) {
            String crdName = CustomResource.getCRDName(c);
            Path file = dir.resolve(crdName + "-v1.yml");
            CustomResourceDefinition crd = ser.unmarshal(Files.readString(file), CustomResourceDefinition.class);
            List<AdditionalPrinterColumn> declared = List.of(c.getAnnotationsByType(AdditionalPrinterColumn.class));
            crd.getSpec().getVersions().forEach(v -> {
                List<CustomResourceColumnDefinition> cols = new ArrayList<>(v.getAdditionalPrinterColumns());
                cols.sort(Comparator.comparingInt(col -> indexOf(declared, col.getName())));
                v.setAdditionalPrinterColumns(cols);
                if (c.isAnnotationPresent(NoStatusSubresource.class)) {
                    v.setSubresources(null);
                }
            });
            String yaml = "# Generated from " + c.getName() + " — do not edit.\n"
                    + "# Regenerate with: " + REGENERATE + "\n" + ser.asYaml(crd);
            out.put(crdName + ".yaml", yaml);
            Files.delete(file);
        }
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
        return out;
    }

    private static int indexOf(List<AdditionalPrinterColumn> declared, String name) {
        for (int i = 0; i < declared.size(); i++) {
            if (declared.get(i).name().equals(name)) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }
}
