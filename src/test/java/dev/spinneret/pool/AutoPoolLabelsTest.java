package dev.spinneret.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.IpFamily;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class AutoPoolLabelsTest {
    static final Owner NGINX = new Owner("apps/v1", "Deployment", "default", "nginx",
            "0d3c3e1a-6a0f-4f2b-9c57-452e737e5e12");

    @Test
    void nameHasTheSeedsShapeAndStaysAValidObjectName() {
        assertEquals("auto-nginx-v4-eth0-452e737e5e12", AutoPoolLabels.poolName(NGINX, IpFamily.V4, "eth0"));
        assertEquals("auto-nginx-v6-net1-452e737e5e12", AutoPoolLabels.poolName(NGINX, IpFamily.V6, "net1"));
        Owner longName = new Owner("apps/v1", "Deployment", "ns", "a".repeat(250), "not-a-uuid");
        String n = AutoPoolLabels.poolName(longName, IpFamily.V4, "Eth_0");
        assertTrue(n.length() <= 253, n);
        assertTrue(n.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?"), n);
        assertTrue(n.endsWith("-v4-eth-0-" + AutoPoolLabels.uidHash("not-a-uuid")), n);
    }

    @Test
    void labelsAndAffinityFollowSpiderpool() {
        Map<String, String> l = AutoPoolLabels.poolLabels(NGINX, "nginx-subnet-v4", IpFamily.V4, "eth0", true);
        assertEquals("apps_v1", l.get(AutoPoolLabels.GV));
        assertEquals("Deployment", l.get(AutoPoolLabels.KIND));
        assertEquals("IPv4", l.get(AutoPoolLabels.IP_VERSION));
        assertEquals("true", l.get(AutoPoolLabels.RECLAIM));
        assertEquals("nginx-subnet-v4", l.get("ipam.spidernet.io/owner-spider-subnet"));
        assertEquals("apps_v1_Deployment_default_nginx", AutoPoolLabels.applicationKey(NGINX));
        Map<String, String> a = AutoPoolLabels.affinity(NGINX);
        assertEquals("apps", a.get("ipam.spidernet.io/app-api-group"));
        assertEquals("v1", a.get("ipam.spidernet.io/app-api-version"));
        String long1 = "x".repeat(70) + "1";
        String long2 = "x".repeat(70) + "2";
        assertTrue(AutoPoolLabels.labelValue(long1).length() <= 63);
        assertNotEquals(AutoPoolLabels.labelValue(long1), AutoPoolLabels.labelValue(long2));
    }

    @Test
    void podsCannotClaimAnotherWorkloadsPoolWithTheirOwnLabels() {
        Map<String, String> forged = Map.of("app", "x", "ipam.spidernet.io/app-name", "nginx",
                "ipam.spidernet.io/app-kind", "Deployment");
        Owner other = new Owner("apps/v1", "StatefulSet", "default", "db", "u");
        Map<String, String> seen = AutoPoolLabels.selectionLabels(forged, other);
        assertEquals("db", seen.get("ipam.spidernet.io/app-name"));
        assertEquals("StatefulSet", seen.get("ipam.spidernet.io/app-kind"));
        assertEquals("x", seen.get("app"));
        assertFalse(AutoPoolLabels.selectionLabels(forged, null).containsKey("ipam.spidernet.io/app-name"));
    }
}
