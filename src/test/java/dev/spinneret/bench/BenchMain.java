package dev.spinneret.bench;

/** Runs a benchmark body and always exits: the API clients' thread pools would otherwise keep the JVM alive. */
final class BenchMain {
    interface Body {
        void run(String[] args) throws Exception;
    }

    private BenchMain() {
    }

    /** Writes bench/results/&lt;today&gt;-&lt;name&gt;.md and says where. */
    static java.nio.file.Path writeReport(String name, CharSequence report) throws java.io.IOException {
        java.nio.file.Path out = java.nio.file.Path.of("bench/results/" + java.time.LocalDate.now() + "-" + name + ".md");
        java.nio.file.Files.createDirectories(out.getParent());
        java.nio.file.Files.writeString(out, report);
        System.out.println("report: " + out);
        return out;
    }

    static void run(String[] args, Body body) {
        try {
            body.run(args);
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1); // the shutdown hook stops the control plane
        }
    }
}
