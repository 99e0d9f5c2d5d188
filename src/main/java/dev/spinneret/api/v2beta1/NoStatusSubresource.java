package dev.spinneret.api.v2beta1;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The CRD of this resource has no {@code status} subresource (as Spiderpool's SpiderEndpoint): status is written
 * with the object, so the CNI plugin creates or updates an endpoint, status included, with one server-side apply.
 * fabric8's generator adds the subresource for every class with a status type; the CRD rendering
 * ({@code CrdFiles}) removes it for classes carrying this annotation.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface NoStatusSubresource {
}
