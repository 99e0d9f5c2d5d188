package dev.spinneret.reservation;

import java.security.SecureRandom;

/**
 * Names a pod created with {@code generateName} the way the API server does (the prefix, cut to 58 characters,
 * and five random characters of {@code bcdfghjklmnpqrstvwxz2456789}). The API server names such a pod only after
 * mutating admission; the pod webhook needs the name earlier, because the ledger binds a reservation to the pod's
 * namespace and name.
 */
final class PodNames {
    static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    static final int RANDOM_LENGTH = 5;
    static final int MAX_PREFIX = 63 - RANDOM_LENGTH;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PodNames() {
    }

    /** A generated name when the pod has no name but a generateName, else null (the pod keeps its name). */
    static String generateIfUnnamed(String name, String generateName) {
        if (name != null && !name.isEmpty()) {
            return null;
        }
        if (generateName == null || generateName.isEmpty()) {
            return null;
        }
        String prefix = generateName.length() > MAX_PREFIX ? generateName.substring(0, MAX_PREFIX) : generateName;
        StringBuilder sb = new StringBuilder(prefix);
        for (int i = 0; i < RANDOM_LENGTH; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** Whether {@code name} is a valid pod name (a DNS-1123 subdomain, as the API server checks it). */
    static boolean valid(String name) {
        if (name == null || name.isEmpty() || name.length() > 253) {
            return false;
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                    return false;
                }
            }
        }
        return true;
    }
}
