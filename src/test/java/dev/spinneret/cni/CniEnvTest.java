package dev.spinneret.cni;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CniEnvTest {
    static Map<String, String> env(String cmd) {
        Map<String, String> e = new HashMap<>();
        e.put("CNI_COMMAND", cmd);
        e.put("CNI_CONTAINERID", "c0ffee");
        e.put("CNI_NETNS", "/var/run/netns/x");
        e.put("CNI_IFNAME", "eth0");
        e.put("CNI_PATH", "/opt/cni/bin");
        e.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=nginx-0;K8S_POD_INFRA_CONTAINER_ID=c0ffee;K8S_POD_UID=1234-abcd");
        return e;
    }

    @Test
    void parsesArgs() throws Exception {
        CniEnv e = CniEnv.from(env("ADD"));
        assertEquals("default", e.podNamespace);
        assertEquals("nginx-0", e.podName);
        assertEquals("1234-abcd", e.podUid);
        assertEquals("1", e.args.get("IgnoreUnknown"));
    }

    @Test
    void argsEdgeCases() throws Exception {
        assertEquals(Map.of(), CniEnv.parseArgs(null));
        assertEquals(Map.of(), CniEnv.parseArgs(""));
        assertEquals(Map.of("A", "1"), CniEnv.parseArgs("A=1;"));
        assertEquals(Map.of("A", "1", "B", ""), CniEnv.parseArgs(";A=1;;B="));
        assertEquals(Map.of("A", "x=y"), CniEnv.parseArgs("A=x=y"));
    }

    @Test
    void malformedArgsAreInvalidEnv() {
        for (String bad : new String[]{"K8S_POD_NAME", "A=1;junk", "=x", " =x", "A=1;A=2"}) {
            CniError e = assertThrows(CniError.class, () -> CniEnv.parseArgs(bad), bad);
            assertEquals(CniError.INVALID_ENV, e.code(), bad);
            assertTrue(e.getMessage().startsWith("malformed CNI_ARGS"), e.getMessage());
        }
    }

    @Test
    void missingVariables() {
        for (String var : new String[]{"CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS"}) {
            Map<String, String> m = env("ADD");
            m.remove(var);
            CniError e = assertThrows(CniError.class, () -> CniEnv.from(m), var);
            assertEquals(CniError.INVALID_ENV, e.code());
            assertTrue(e.getMessage().contains(var), e.getMessage());
        }
        Map<String, String> m = env("ADD");
        m.put("CNI_ARGS", "K8S_POD_NAMESPACE=default");
        CniError e = assertThrows(CniError.class, () -> CniEnv.from(m));
        assertTrue(e.getMessage().contains("K8S_POD_NAME"), e.getMessage());
        m.put("CNI_COMMAND", "BOGUS");
        assertEquals(CniError.INVALID_ENV, assertThrows(CniError.class, () -> CniEnv.from(m)).code());
        m.put("CNI_COMMAND", "ADD");
        m.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=../../secrets");
        assertTrue(assertThrows(CniError.class, () -> CniEnv.from(m)).getMessage().contains("not a valid pod name"));
        m.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=x");
        m.put("CNI_IFNAME", "eth0/../x");
        assertEquals(CniError.INVALID_ENV, assertThrows(CniError.class, () -> CniEnv.from(m)).code());
    }

    @Test
    void delToleratesMissingPodArgsAndVersionNeedsNothing() throws Exception {
        Map<String, String> m = env("DEL");
        m.remove("CNI_NETNS");
        m.put("CNI_ARGS", "");
        CniEnv e = CniEnv.from(m);
        assertNull(e.podName);
        assertTrue(!e.hasPodArgs());
        assertEquals("VERSION", CniEnv.from(Map.of("CNI_COMMAND", "VERSION")).command);
    }
}
