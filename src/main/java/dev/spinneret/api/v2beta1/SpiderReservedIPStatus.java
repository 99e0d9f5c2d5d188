package dev.spinneret.api.v2beta1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Spiderpool's reserved-IP status is empty; Spinneret records nothing here yet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SpiderReservedIPStatus {
}
