package dev.spinneret.cni;

import dev.spinneret.cni.kube.P256Provider;
import dev.spinneret.cni.kube.TlsPrewarm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * CNI IPAM plugin entry point ({@code type: "spinneret"}, also installed as {@code "spiderpool"}).
 * stdout carries exactly one result or error JSON; logs go to a file only.
 */
public final class Main {
    private static final AtomicBoolean OUTPUT_CLAIMED = new AtomicBoolean();

    private Main() {
    }

    public static void main(String[] args) {
        startOwnProcess(System.getenv("CNI_COMMAND"));
        PrintStream stdout = System.out;
        // nothing else may write to stdout
        System.setOut(new PrintStream(OutputStreamNull.INSTANCE));
        long start = System.nanoTime();
        int rc = execute(System.getenv(), System.in, stdout, start, true);
        stdout.flush();
        Log.close();
        System.exit(rc);
    }

    /**
     * What only the plugin's own process does (not tests that call {@link #execute} in their JVM): start the TLS
     * warm-up thread unless the command needs no API server, and allow P256Provider into the JVM's provider list.
     */
    static void startOwnProcess(String command) {
        if (!"VERSION".equals(command)) TlsPrewarm.start();
        P256Provider.allowInstall();
    }

    /**
     * Runs one invocation. Returns the exit code. Public for tests (which pass their own env/stdin/stdout and no
     * watchdog).
     */
    public static int execute(Map<String, String> envMap, InputStream stdin, PrintStream stdout, long startNanos, boolean watchdog) {
        String errVersion = NetConf.LATEST_VERSION;
        String command = envMap.get("CNI_COMMAND");
        try {
            CniEnv env = CniEnv.from(envMap);
            if (env.command.equals("VERSION")) {
                emit(stdout, Plugin.versionJson());
                return 0;
            }
            String input = readAll(stdin);
            errVersion = NetConf.versionForErrors(input);
            NetConf conf = NetConf.parse(input);
            Log.open(conf.logFile, conf.logLevel, conf.logMaxBytes);
            Log.context(env.command + " " + shortId(env.containerId) + " " + env.podNamespace + "/" + env.podName + " " + env.ifName);
            if (Log.debugEnabled()) Log.debug("netconf " + input.replaceAll("\\s+", " "));
            long deadline = startNanos + (long) (conf.timeoutSeconds * 1e9);
            if (watchdog) startWatchdog(deadline, env.command, conf.cniVersion, stdout);
            String out = new Plugin(envMap, IpcoreLedger.INSTANCE, deadline).run(env, conf);
            if (out != null) emit(stdout, out);
            Log.debug("done in " + (System.nanoTime() - startNanos) / 1_000_000 + " ms in main");
            return 0;
        } catch (CniError e) {
            Log.error(e.toString());
            if ("DEL".equals(command) && e.code() != CniError.INVALID_ENV && e.code() != CniError.DECODE_FAILURE
                    && e.code() != CniError.INVALID_NETCONF && e.code() != CniError.INCOMPATIBLE_VERSION) {
                return 0;
            }
            emit(stdout, e.toJson(errVersion));
            return 1;
        } catch (RuntimeException | Error e) {
            Log.error("internal error: " + e);
            if ("DEL".equals(command)) return 0;
            emit(stdout, new CniError(CniError.IO_FAILURE, "internal error: " + e, null).toJson(errVersion));
            return 1;
        }
    }

    private static String shortId(String id) {
        return id == null ? "-" : id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** Prints one line on stdout unless something (the watchdog) already did. */
    static void emit(PrintStream out, String text) {
        if (OUTPUT_CLAIMED.compareAndSet(false, true)) {
            out.print(text);
            out.print('\n');
            out.flush();
        }
    }

    /** Resets the output gate (tests run many invocations in one JVM). */
    public static void resetForTests() {
        OUTPUT_CLAIMED.set(false);
    }

    /**
     * Hard bound on the whole call: network timeouts already follow the deadline, this catches anything they do not
     * cover (DNS resolution, a stuck file read). ADD/CHECK print a "try again later" error; DEL exits 0.
     */
    private static void startWatchdog(long deadlineNanos, String command, String cniVersion, PrintStream stdout) {
        Thread t = new Thread(new Watchdog(deadlineNanos, command, cniVersion, stdout), "watchdog");
        t.setDaemon(true);
        t.start();
    }

    /** A class, not a lambda: a lambda's call site is linked at run time, which costs a few ms in a fresh JVM. */
    private static final class Watchdog implements Runnable {
        private final long deadlineNanos;
        private final String command;
        private final String cniVersion;
        private final PrintStream stdout;

        Watchdog(long deadlineNanos, String command, String cniVersion, PrintStream stdout) {
            this.deadlineNanos = deadlineNanos;
            this.command = command;
            this.cniVersion = cniVersion;
            this.stdout = stdout;
        }

        @Override
        public void run() {
            long graceNanos = 300_000_000L;
            while (true) {
                long left = deadlineNanos + graceNanos - System.nanoTime();
                if (left <= 0) break;
                try {
                    Thread.sleep(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    return;
                }
            }
            Log.error("watchdog: call exceeded its time budget; aborting");
            if (command.equals("DEL")) {
                Runtime.getRuntime().halt(0);
            }
            emit(stdout, new CniError(CniError.TRY_AGAIN_LATER, "timed out waiting for the Kubernetes API server", null).toJson(cniVersion));
            Runtime.getRuntime().halt(1);
        }
    }

    static String readAll(InputStream in) throws CniError {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                b.write(buf, 0, r);
                if (b.size() > (4 << 20)) throw new CniError(CniError.DECODE_FAILURE, "network configuration larger than 4 MiB", null);
            }
            return b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "cannot read stdin: " + e, null);
        }
    }

    private static final class OutputStreamNull extends java.io.OutputStream {
        static final OutputStreamNull INSTANCE = new OutputStreamNull();

        @Override
        public void write(int b) {
            // discard
        }

        @Override
        public void write(byte[] b, int off, int len) {
            // discard
        }
    }
}
