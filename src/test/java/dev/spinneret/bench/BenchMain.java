package dev.spinneret.bench;

/** Runs a benchmark body and always exits: the API clients' thread pools would otherwise keep the JVM alive. */
final class BenchMain {
    interface Body {
        void run(String[] args) throws Exception;
    }

    private BenchMain() {
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
