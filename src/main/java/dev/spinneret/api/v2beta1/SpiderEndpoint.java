package dev.spinneret.api.v2beta1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Per-pod record named like the pod; status only, as in Spiderpool, and like Spiderpool's without a status
 * subresource (the CNI plugin's confirm is one server-side apply; contract in docs/cni.md).
 */
@Group(SpiderApi.GROUP)
@Version(SpiderApi.VERSION)
@ShortNames("se")
@Plural("spiderendpoints")
@Singular("spiderendpoint")
@NoStatusSubresource
@AdditionalPrinterColumn(name = "INTERFACE", jsonPath = ".status.current.ips[0].interface", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "IPV4POOL", jsonPath = ".status.current.ips[0].ipv4Pool", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "IPV4", jsonPath = ".status.current.ips[0].ipv4", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "IPV6POOL", jsonPath = ".status.current.ips[0].ipv6Pool", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "IPV6", jsonPath = ".status.current.ips[0].ipv6", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "NODE", jsonPath = ".status.current.node", type = AdditionalPrinterColumn.Type.STRING)
public class SpiderEndpoint extends CustomResource<Void, SpiderEndpointStatus> implements Namespaced {
}
