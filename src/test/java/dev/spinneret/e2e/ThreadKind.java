package dev.spinneret.e2e;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Which part of a JVM a native thread works for, from its name in {@code /proc/<pid>/task/<tid>/comm} (HotSpot names
 * its own threads; the kernel keeps the first 15 characters). Lets a benchmark split a process's CPU into JIT
 * compilation, garbage collection and VM housekeeping, and the application's own threads.
 */
public enum ThreadKind {
    JIT, GC_VM, APPLICATION;

    static ThreadKind of(String comm) {
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            return JIT;
        }
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.equals("VM Thread")
                || comm.startsWith("VM Periodic") || comm.startsWith("Sweeper") || comm.startsWith("GC ")) {
            return GC_VM;
        }
        return APPLICATION;
    }

    /**
     * CPU seconds (user + system) of the live threads of {@code pid}, by kind. Threads that already ended are not
     * counted (their time shows only in the process total), so APPLICATION is best taken as total minus the others.
     */
    public static Map<ThreadKind, Double> cpuSeconds(String pid) {
        Map<ThreadKind, Double> out = new EnumMap<>(ThreadKind.class);
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", pid, "task"))) {
            for (Path task : tasks) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    String[] stat = Files.readString(task.resolve("stat")).split("\\) ")[1].split(" ");
                    double secs = (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) / 100.0;
                    out.merge(of(comm), secs, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we read it
                }
            }
        } catch (IOException e) {
            // the process is gone: nothing to add
        }
        return out;
    }
}
