package dev.spinneret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Addresses of a block that a pending pool update removes (see {@link SpinneretIPBlockSpec#withdrawn}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpinneretIPBlockWithdrawal {
    /** The pool's generation before the update that removes them. */
    public Long generation;
    /** When the pool webhook wrote the mark (RFC 3339). */
    public String since;
    /** Identifies the admission request that wrote it (a denied request takes its own marks back). */
    public String token;
    /** Addresses and ranges ({@code 10.0.0.5}, {@code 10.0.0.8-10.0.0.9}). */
    public List<String> ips;
}
