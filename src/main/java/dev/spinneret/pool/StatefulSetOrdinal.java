package dev.spinneret.pool;

/**
 * The ordinal in a StatefulSet pod's name, read as the StatefulSet controller writes it: {@code <set name>-<ordinal>}
 * with the ordinal in plain decimal — no sign, no leading zero (except {@code 0} itself), within an int. So
 * {@code web-01}, {@code web-+1}, {@code web--1} and {@code web-1x} are no pods of StatefulSet {@code web}, and
 * {@code web-1} is not a pod of StatefulSet {@code we}.
 */
public final class StatefulSetOrdinal {
    private StatefulSetOrdinal() {
    }

    /** The ordinal of pod {@code podName} of StatefulSet {@code setName}, or -1 when the name is not one of its. */
    public static int of(String setName, String podName) {
        if (setName == null || podName == null || setName.isEmpty()
                || podName.length() < setName.length() + 2 || !podName.startsWith(setName)
                || podName.charAt(setName.length()) != '-') {
            return -1;
        }
        int start = setName.length() + 1;
        int digits = podName.length() - start;
        if (digits > 10 || digits > 1 && podName.charAt(start) == '0') {
            return -1;
        }
        long value = 0;
        for (int i = start; i < podName.length(); i++) {
            char c = podName.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value > Integer.MAX_VALUE ? -1 : (int) value;
    }
}
