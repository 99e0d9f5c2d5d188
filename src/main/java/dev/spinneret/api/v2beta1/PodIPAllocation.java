package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodIPAllocation {
    public String uid;
    public String node;
    public List<IPAllocationDetail> ips;
    /** Spinneret: the reservation made at admission (the pod annotation's {@code id}). */
    public String reservationID;
    /** Spinneret: recorded by the CNI plugin when it confirms the reservation. */
    public String containerID;
}
