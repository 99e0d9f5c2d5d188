package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderSubnetSpec {
    public Long ipVersion;
    @Required
    public String subnet;
    public List<String> ips;
    public List<String> excludeIPs;
    public String gateway;
    public List<Route> routes;
}
