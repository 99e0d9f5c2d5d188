package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/** One interface's addresses; also the element type of the pod annotation {@code ipam.spidernet.io/reserved-ips}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IPAllocationDetail {
    @Required
    @com.fasterxml.jackson.annotation.JsonProperty("interface")
    public String iface;
    public String ipv4;
    public String ipv6;
    public String ipv4Pool;
    public String ipv6Pool;
    @Min(0)
    @Max(4094)
    public Integer vlan;
    public String ipv4Gateway;
    public String ipv6Gateway;
    public Boolean cleanGateway;
    public List<Route> routes;
    public String mac;
}
