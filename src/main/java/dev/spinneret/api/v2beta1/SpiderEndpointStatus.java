package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderEndpointStatus {
    public PodIPAllocation current;
    public String ownerControllerType;
    public String ownerControllerName;
}
