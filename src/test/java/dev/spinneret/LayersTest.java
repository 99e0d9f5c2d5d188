package dev.spinneret;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The package layout (README, Layout): each package has one purpose and dependencies point one way,
 * <pre>
 * app → webhooks (reservation, ippool, subnet, reservedip, workload) and gc → adopt → autopool → ledger → cluster
 *     → pool
 *     → core (admission, api, selection, ip, tls)
 * </pre>
 * and the domain core — {@code ip}, {@code selection} and the ledger's planner — knows nothing of Kubernetes,
 * Quarkus or CDI, so it is tested without either.
 */
@Tag("pure")
class LayersTest {
    private static final String ROOT = "dev.spinneret";
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);

    private static String[] packages(String... names) {
        String[] p = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            p[i] = ROOT + "." + names[i] + "..";
        }
        return p;
    }

    @Test
    void noPackageCycle() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void layersPointOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("App").definedBy(packages("app"))
                .layer("Webhooks").definedBy(packages("reservation", "ippool", "subnet", "reservedip", "workload"))
                .layer("Gc").definedBy(packages("gc"))
                .layer("Adopt").definedBy(packages("adopt"))
                .layer("AutoPool").definedBy(packages("autopool"))
                .layer("Ledger").definedBy(packages("ledger"))
                .layer("Cluster").definedBy(packages("cluster"))
                .layer("Pool").definedBy(packages("pool"))
                .layer("Core").definedBy(packages("admission", "api", "selection", "ip", "tls"))
                .whereLayer("App").mayNotBeAccessedByAnyLayer()
                .whereLayer("Webhooks").mayOnlyBeAccessedByLayers("App")
                .whereLayer("Gc").mayOnlyBeAccessedByLayers("App")
                .whereLayer("Adopt").mayOnlyBeAccessedByLayers("App", "Webhooks")
                .whereLayer("AutoPool").mayOnlyBeAccessedByLayers("App", "Webhooks", "Gc", "Adopt")
                .whereLayer("Ledger").mayOnlyBeAccessedByLayers("App", "Webhooks", "Gc", "Adopt", "AutoPool")
                .whereLayer("Cluster").mayOnlyBeAccessedByLayers("App", "Webhooks", "Gc", "Adopt", "AutoPool",
                        "Ledger")
                .whereLayer("Pool").mayOnlyBeAccessedByLayers("App", "Webhooks", "Gc", "Adopt", "AutoPool",
                        "Ledger", "Cluster")
                .check(MAIN);
    }

    @Test
    void coreDependsOnlyOnTheAddressCore() {
        onlyOwnAnd("ip");
        onlyOwnAnd("selection", "ip");
        onlyOwnAnd("api", "ip");
        onlyOwnAnd("admission");
        onlyOwnAnd("tls");
        noClasses().that().resideInAPackage(ROOT + ".ip..").should().dependOnClassesThat()
                .resideOutsideOfPackages("java..", ROOT + ".ip..").check(MAIN);
    }

    /** Classes of package {@code p} use no Spinneret class outside {@code p} and {@code allowed}. */
    private static void onlyOwnAnd(String p, String... allowed) {
        String[] own = new String[allowed.length + 1];
        own[0] = p;
        System.arraycopy(allowed, 0, own, 1, allowed.length);
        noClasses().that().resideInAPackage(ROOT + "." + p + "..").should().dependOnClassesThat(
                resideInAPackage(ROOT + "..").and(resideOutsideOfPackages(packages(own)))).check(MAIN);
    }

    @Test
    void domainCoreImportsNoKubernetesQuarkusOrCdiType() {
        noClasses().that().resideInAnyPackage(packages("ip", "selection"))
                .or().haveFullyQualifiedName(ROOT + ".ledger.BlockPlanner")
                .or().haveFullyQualifiedName(ROOT + ".ledger.Block")
                .or().haveFullyQualifiedName(ROOT + ".ledger.BlockView")
                .should().dependOnClassesThat().resideInAnyPackage("io.fabric8..", "io.quarkus..", "jakarta..",
                        "org.eclipse.microprofile..", "io.micrometer..", "org.jboss..", "io.smallrye..",
                        "io.javaoperatorsdk..")
                .check(MAIN);
    }

    @Test
    void poolMeaningsReadNoClusterAndNeedNoContainer() {
        noClasses().that().resideInAPackage(ROOT + ".pool..").should().dependOnClassesThat()
                .resideInAnyPackage("io.fabric8.kubernetes.client.dsl..", "io.fabric8.kubernetes.client.informers..",
                        "io.quarkus..", "jakarta..", "org.eclipse.microprofile..", "io.micrometer..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.fabric8.kubernetes.client.KubernetesClient")
                .check(MAIN);
    }
}
