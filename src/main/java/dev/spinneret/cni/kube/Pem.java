package dev.spinneret.cni.kube;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM certificates and private keys: PKCS#8 ("PRIVATE KEY"), PKCS#1 RSA ("RSA PRIVATE KEY"), SEC1 EC ("EC PRIVATE KEY"). */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
    private static final byte[] OID_RSA = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    /** 1.2.840.10045.3.1.7 (prime256v1, secp256r1), DER-encoded with its tag and length. */
    private static final byte[] OID_P256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
    private static final byte[] OID_EC = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private Pem() {
    }

    public static List<X509Certificate> certificates(byte[] pem, String what) throws GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE")) continue;
            byte[] der = decode(m.group(2), what);
            out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
        }
        if (out.isEmpty()) throw new GeneralSecurityException(what + ": no PEM CERTIFICATE block found");
        return out;
    }

    public static PrivateKey privateKey(byte[] pem, String what) throws GeneralSecurityException {
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            String type = m.group(1);
            switch (type) {
                case "PRIVATE KEY":
                    return pkcs8(decode(m.group(2), what), what);
                case "RSA PRIVATE KEY":
                    checkNotEncrypted(m.group(2), what);
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                            seq(cat(new byte[]{0x02, 0x01, 0x00}, seq(cat(OID_RSA, new byte[]{0x05, 0x00})),
                                    tlv(0x04, decode(m.group(2), what))))));
                case "EC PRIVATE KEY":
                    checkNotEncrypted(m.group(2), what);
                    byte[] sec1 = decode(m.group(2), what);
                    byte[] curve = ecCurveOid(sec1, what);
                    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                            seq(cat(new byte[]{0x02, 0x01, 0x00}, seq(cat(OID_EC, curve)), tlv(0x04, sec1)))));
                case "ENCRYPTED PRIVATE KEY":
                    throw new GeneralSecurityException(what + ": encrypted private keys are not supported");
                default:
                    // e.g. "EC PARAMETERS" written by openssl before the key; skip
            }
        }
        throw new GeneralSecurityException(what + ": no PEM private key block (PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY) found");
    }

    private static PrivateKey pkcs8(byte[] der, String what) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : new String[]{"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException(what + ": unsupported PKCS#8 private key", last);
    }

    /**
     * Whether any PEM block (certificate or key) carries the P-256 curve OID (prime256v1, as the named curve of an EC
     * key), read from the DER without parsing it: a cheap early hint, before the JDK's certificate parser is loaded.
     * Malformed input gives false; the real parse reports it.
     */
    public static boolean mentionsP256(byte[] pem) {
        if (pem == null) return false;
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            byte[] der;
            try {
                der = decode(m.group(2), "");
            } catch (GeneralSecurityException e) {
                return false;
            }
            if (indexOf(der, OID_P256) >= 0) return true;
        }
        return false;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    private static void checkNotEncrypted(String body, String what) throws GeneralSecurityException {
        if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
            throw new GeneralSecurityException(what + ": encrypted private keys are not supported");
        }
    }

    private static byte[] decode(String b64, String what) throws GeneralSecurityException {
        try {
            return Base64.getMimeDecoder().decode(b64.strip());
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException(what + ": bad base64 in PEM block");
        }
    }

    /** Finds the [0] parameters (namedCurve OID) of a SEC1 ECPrivateKey. */
    private static byte[] ecCurveOid(byte[] sec1, String what) throws GeneralSecurityException {
        int[] p = {0};
        expect(sec1, p, 0x30, what);
        readLen(sec1, p, what);
        while (p[0] < sec1.length) {
            int tag = sec1[p[0]++] & 0xff;
            int len = readLen(sec1, p, what);
            if (tag == 0xa0) {
                int q = p[0];
                if (q >= sec1.length || sec1[q] != 0x06) throw new GeneralSecurityException(what + ": EC key parameters are not a named curve");
                byte[] oid = new byte[len];
                System.arraycopy(sec1, q, oid, 0, len);
                return oid;
            }
            p[0] += len;
        }
        throw new GeneralSecurityException(what + ": EC PRIVATE KEY without curve parameters is not supported");
    }

    private static void expect(byte[] b, int[] p, int tag, String what) throws GeneralSecurityException {
        if (p[0] >= b.length || (b[p[0]] & 0xff) != tag) throw new GeneralSecurityException(what + ": malformed DER");
        p[0]++;
    }

    private static int readLen(byte[] b, int[] p, String what) throws GeneralSecurityException {
        if (p[0] >= b.length) throw new GeneralSecurityException(what + ": malformed DER");
        int l = b[p[0]++] & 0xff;
        if (l < 0x80) return l;
        int n = l & 0x7f;
        if (n > 3) throw new GeneralSecurityException(what + ": malformed DER");
        int v = 0;
        for (int k = 0; k < n; k++) {
            if (p[0] >= b.length) throw new GeneralSecurityException(what + ": malformed DER");
            v = (v << 8) | (b[p[0]++] & 0xff);
        }
        return v;
    }

    private static byte[] seq(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        int n = content.length;
        if (n < 0x80) {
            o.write(n);
        } else if (n < 0x100) {
            o.write(0x81);
            o.write(n);
        } else if (n < 0x10000) {
            o.write(0x82);
            o.write(n >> 8);
            o.write(n);
        } else {
            o.write(0x83);
            o.write(n >> 16);
            o.write(n >> 8);
            o.write(n);
        }
        o.writeBytes(content);
        return o.toByteArray();
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
