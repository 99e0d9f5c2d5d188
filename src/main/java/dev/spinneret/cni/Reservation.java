package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;
import dev.spinneret.cni.json.JsonException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The pod annotation {@code ipam.spidernet.io/reserved-ips} written by the admission webhook. */
public final class Reservation {
    public static final String ANNOTATION = "ipam.spidernet.io/reserved-ips";
    private static final Pattern ID = Pattern.compile("[a-z0-9]{1,16}");

    public final String id;
    public final List<Nic> interfaces;
    /** The interface entries exactly as found in the annotation (copied into the SpiderEndpoint status). */
    public final List<Object> rawInterfaces;

    private Reservation(String id, List<Nic> interfaces, List<Object> rawInterfaces) {
        this.id = id;
        this.interfaces = interfaces;
        this.rawInterfaces = rawInterfaces;
    }

    public static final class Route {
        public final String dst;
        public final String gw;

        Route(String dst, String gw) {
            this.dst = dst;
            this.gw = gw;
        }
    }

    /** One interface entry. Address fields are CIDR strings ("10.244.100.90/16"); absent family fields are null. */
    public static final class Nic {
        public final String name;
        public final String ipv4, ipv4Pool, ipv4Gateway;
        public final String ipv6, ipv6Pool, ipv6Gateway;
        public final boolean cleanGateway;
        public final long vlan;
        public final List<Route> routes;

        Nic(String name, String ipv4, String ipv4Pool, String ipv4Gateway, String ipv6, String ipv6Pool, String ipv6Gateway,
            boolean cleanGateway, long vlan, List<Route> routes) {
            this.name = name;
            this.ipv4 = ipv4;
            this.ipv4Pool = ipv4Pool;
            this.ipv4Gateway = ipv4Gateway;
            this.ipv6 = ipv6;
            this.ipv6Pool = ipv6Pool;
            this.ipv6Gateway = ipv6Gateway;
            this.cleanGateway = cleanGateway;
            this.vlan = vlan;
            this.routes = routes;
        }
    }

    public Nic forInterface(String ifName) {
        for (Nic n : interfaces) {
            if (n.name.equals(ifName)) return n;
        }
        return null;
    }

    /** Parses and validates the annotation value; every problem is a {@link CniError#BAD_RESERVATION}. */
    public static Reservation parse(String value) throws CniError {
        Map<String, Object> root;
        try {
            root = Json.parseObject(value);
        } catch (JsonException e) {
            throw bad("is not valid JSON: " + e.getMessage());
        }
        Object idO = root.get("id");
        if (!(idO instanceof String) || !ID.matcher((String) idO).matches()) {
            throw bad("has no valid \"id\" (expected [a-z0-9]{1,16}, got " + (idO == null ? "nothing" : Json.write(idO)) + ")");
        }
        Object ifs = root.get("interfaces");
        if (!(ifs instanceof List)) throw bad("has no \"interfaces\" array");
        @SuppressWarnings("unchecked")
        List<Object> raw = (List<Object>) ifs;
        List<Nic> nics = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int k = 0;
        for (Object o : raw) {
            k++;
            if (!(o instanceof Map)) throw bad("interfaces[" + (k - 1) + "] is not an object");
            String where = "interfaces[" + (k - 1) + "]";
            String name = str(o, "interface", where);
            if (name == null || name.isEmpty()) throw bad(where + " has no \"interface\" name");
            if (!seen.add(name)) throw bad("lists interface '" + name + "' twice");
            where = "interface '" + name + "'";
            String v4 = str(o, "ipv4", where), v4p = str(o, "ipv4Pool", where), v4g = str(o, "ipv4Gateway", where);
            String v6 = str(o, "ipv6", where), v6p = str(o, "ipv6Pool", where), v6g = str(o, "ipv6Gateway", where);
            v4 = emptyToNull(v4);
            v6 = emptyToNull(v6);
            v4g = emptyToNull(v4g);
            v6g = emptyToNull(v6g);
            try {
                if (v4 != null) {
                    Addr.cidrAddress(v4, 4);
                    if (v4p == null || v4p.isEmpty()) throw bad(where + " has ipv4 but no ipv4Pool");
                }
                if (v6 != null) {
                    Addr.cidrAddress(v6, 6);
                    if (v6p == null || v6p.isEmpty()) throw bad(where + " has ipv6 but no ipv6Pool");
                }
                if (v4g != null && Addr.parse(v4g).length != 4) throw bad(where + " ipv4Gateway '" + v4g + "' is not IPv4");
                if (v6g != null && Addr.parse(v6g).length != 16) throw bad(where + " ipv6Gateway '" + v6g + "' is not IPv6");
            } catch (IllegalArgumentException e) {
                throw bad(where + ": " + e.getMessage());
            }
            Object cg = Json.at(o, "cleanGateway");
            if (cg != null && !(cg instanceof Boolean)) throw bad(where + " cleanGateway is not a boolean");
            Object vl = Json.at(o, "vlan");
            if (vl != null && !(vl instanceof Long)) throw bad(where + " vlan is not an integer");
            List<Route> routes = new ArrayList<>();
            Object rs = Json.at(o, "routes");
            if (rs != null) {
                if (!(rs instanceof List)) throw bad(where + " routes is not an array");
                for (Object r : (List<?>) rs) {
                    String dst = str(r, "dst", where + " route");
                    String gw = str(r, "gw", where + " route");
                    try {
                        String da = Addr.cidrAddress(dst, 0);
                        if (gw == null || gw.isEmpty()) throw bad(where + " route to " + dst + " has no gw");
                        if (Addr.parse(gw).length != Addr.parse(da).length) throw bad(where + " route " + dst + " via " + gw + " mixes address families");
                    } catch (IllegalArgumentException e) {
                        throw bad(where + " route: " + e.getMessage());
                    }
                    routes.add(new Route(dst, gw));
                }
            }
            nics.add(new Nic(name, v4, v4p, v4g, v6, v6p, v6g, Boolean.TRUE.equals(cg), vl == null ? 0 : (Long) vl, routes));
        }
        return new Reservation((String) idO, nics, raw);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String str(Object o, String key, String where) throws CniError {
        Object v = Json.at(o, key);
        if (v == null) return null;
        if (!(v instanceof String)) throw bad(where + " field \"" + key + "\" is not a string");
        return (String) v;
    }

    private static CniError bad(String what) {
        return new CniError(CniError.BAD_RESERVATION, "reservation annotation " + ANNOTATION + " " + what, null);
    }
}
