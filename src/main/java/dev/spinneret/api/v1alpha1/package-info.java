/**
 * Spinneret's own, private API ({@code ipam.spinneret.dev/v1alpha1}): storage the service keeps for itself and that
 * no user writes. The CRD YAML under {@code crds/} is generated from these classes (never edit it by hand).
 */
package dev.spinneret.api.v1alpha1;
