/**
 * Pool selection for a pod, as pure functions: annotation parsing, wildcard matching, the precedence order and
 * the filters. No Kubernetes, Quarkus or I/O imports: facts about the pod, its namespace and the pools come in as
 * plain values.
 */
package dev.spinneret.selection;
