package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class ThreadKindTest {
    @Test
    void hotSpotThreadNamesAreClassified() {
        assertEquals(ThreadKind.JIT, ThreadKind.of("C2 CompilerThre"));
        assertEquals(ThreadKind.JIT, ThreadKind.of("C1 CompilerThre"));
        assertEquals(ThreadKind.GC_VM, ThreadKind.of("GC Thread#1"));
        assertEquals(ThreadKind.GC_VM, ThreadKind.of("G1 Conc#0"));
        assertEquals(ThreadKind.GC_VM, ThreadKind.of("VM Thread"));
        assertEquals(ThreadKind.APPLICATION, ThreadKind.of("vert.x-eventloo"));
        assertEquals(ThreadKind.APPLICATION, ThreadKind.of("java"));
    }

    @Test
    void thisJvmSpendsCpuInItsOwnThreads() {
        long x = 0;
        for (int i = 0; i < 50_000_000; i++) {
            x += i % 7;
        }
        Map<ThreadKind, Double> cpu = ThreadKind.cpuSeconds(String.valueOf(ProcessHandle.current().pid()));
        assertTrue(cpu.getOrDefault(ThreadKind.APPLICATION, 0.0) > 0, "application threads used no CPU? " + cpu + x);
    }
}
