package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderIPPoolSpec {
    /** 4 or 6; defaulted from {@link #subnet} by the mutating webhook; immutable. */
    public Long ipVersion;
    /** The CIDR in canonical form, e.g. 10.244.0.0/16; immutable. */
    @Required
    public String subnet;
    /** Single addresses or {@code first-last} ranges. */
    public List<String> ips;
    public List<String> excludeIPs;
    public String gateway;
    public List<Route> routes;
    public LabelSelector podAffinity;
    public LabelSelector namespaceAffinity;
    /** Overrides {@link #namespaceAffinity} when set. */
    public List<String> namespaceName;
    public LabelSelector nodeAffinity;
    /** Overrides {@link #nodeAffinity} when set. */
    public List<String> nodeName;
    public List<String> multusName;
    @JsonProperty("default")
    @Default("false")
    public Boolean isDefault;
    @Default("false")
    public Boolean disable;
}
