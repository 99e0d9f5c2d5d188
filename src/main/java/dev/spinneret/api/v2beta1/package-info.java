/**
 * Spiderpool's {@code spiderpool.spidernet.io/v2beta1} API, declared so that Spiderpool manifests apply unchanged.
 * The CRD YAML under {@code crds/} is generated from these classes by the build (never edit it by hand).
 */
package dev.spinneret.api.v2beta1;
