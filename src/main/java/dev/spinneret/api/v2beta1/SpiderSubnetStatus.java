package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderSubnetStatus {
    /** JSON map pool name → {"ips": [ranges], "application": "gv_kind_ns_name"} as in Spiderpool. */
    public String controlledIPPools;
    public Long totalIPCount;
    /** Addresses handed to pools (auto and manual), not to pods. */
    public Long allocatedIPCount;
}
