package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderReservedIPSpec {
    public Long ipVersion;
    public List<String> ips;
}
