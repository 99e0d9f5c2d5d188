package dev.spinneret.cni;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Append-only file logger. Never writes to stdout (stdout carries the CNI result). If the file cannot be opened,
 * logging is silently disabled. Each line is written with a single write() on an O_APPEND stream, so concurrent
 * plugin processes interleave whole lines. One rotation step (file.1) when the file exceeds the size limit.
 */
public final class Log {
    public enum Level {
        DEBUG, INFO, WARN, ERROR;

        public static Level parse(String s) {
            if (s == null) return null;
            switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "debug": case "trace": return DEBUG;
                case "info": return INFO;
                case "warn": case "warning": return WARN;
                case "error": case "fatal": case "panic": return ERROR;
                default: return null;
            }
        }
    }

    private static OutputStream out;
    private static Level level = Level.INFO;
    private static String prefix = "";

    private Log() {
    }

    public static synchronized void open(String path, Level lvl, long maxBytes) {
        close();
        level = lvl == null ? Level.INFO : lvl;
        if (path == null || path.isEmpty()) return;
        try {
            File f = new File(path);
            File dir = f.getAbsoluteFile().getParentFile();
            if (dir != null && !dir.isDirectory()) dir.mkdirs();
            if (maxBytes > 0 && f.length() > maxBytes) {
                File old = new File(path + ".1");
                old.delete();
                f.renameTo(old);
            }
            out = new FileOutputStream(f, true);
        } catch (IOException | SecurityException e) {
            out = null;
        }
    }

    public static synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing to do
            }
            out = null;
        }
    }

    /** A short context string put on every line (command, container id, pod). */
    public static synchronized void context(String ctx) {
        prefix = ctx == null ? "" : ctx + " ";
    }

    public static boolean debugEnabled() {
        return out != null && level == Level.DEBUG;
    }

    public static void debug(String msg) {
        write(Level.DEBUG, msg);
    }

    public static void info(String msg) {
        write(Level.INFO, msg);
    }

    public static void warn(String msg) {
        write(Level.WARN, msg);
    }

    public static void error(String msg) {
        write(Level.ERROR, msg);
    }

    private static synchronized void write(Level l, String msg) {
        if (out == null || l.ordinal() < level.ordinal()) return;
        String line = Instant.now() + " " + l + " [" + ProcessHandle.current().pid() + "] " + prefix + msg + "\n";
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            out = null;
        }
    }
}
