package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

/** A route handed to the pod: destination CIDR via a gateway inside the pool's subnet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Route {
    @Required
    public String dst;
    @Required
    public String gw;

    public Route() {
    }

    public Route(String dst, String gw) {
        this.dst = dst;
        this.gw = gw;
    }
}
