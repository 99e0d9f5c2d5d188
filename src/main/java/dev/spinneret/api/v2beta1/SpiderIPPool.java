package dev.spinneret.api.v2beta1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.fabric8.kubernetes.client.CustomResource;

@Group(SpiderApi.GROUP)
@Version(SpiderApi.VERSION)
@ShortNames("sp")
@Plural("spiderippools")
@Singular("spiderippool")
@AdditionalPrinterColumn(name = "VERSION", jsonPath = ".spec.ipVersion", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "SUBNET", jsonPath = ".spec.subnet", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "ALLOCATED-IP-COUNT", jsonPath = ".status.allocatedIPCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "TOTAL-IP-COUNT", jsonPath = ".status.totalIPCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "DEFAULT", jsonPath = ".spec.default", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "DISABLE", jsonPath = ".spec.disable", type = AdditionalPrinterColumn.Type.BOOLEAN)
// -o wide only: Spiderpool's own wide columns first, in its order, names and paths (priority 10 as in its CRD;
// kubectl upper-cases the names: NODENAME, MULTUSNAME), then Spinneret's (priority 1). Plain `kubectl get sp` prints the
// seed's columns (Spiderpool's, with DISABLE as the seed shows it)
@AdditionalPrinterColumn(name = "NodeName", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING, priority = 10)
@AdditionalPrinterColumn(name = "MultusName", jsonPath = ".spec.multusName", type = AdditionalPrinterColumn.Type.STRING, priority = 10)
@AdditionalPrinterColumn(name = "APP-NAMESPACE", jsonPath = ".spec.podAffinity.matchLabels['ipam\\.spidernet\\.io/app\\-namespace']", type = AdditionalPrinterColumn.Type.STRING, priority = 10)
@AdditionalPrinterColumn(name = "FREE-IP-COUNT", jsonPath = ".status.freeIPCount", type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "RESTRICTED-BY", jsonPath = ".status.restrictedBy", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
public class SpiderIPPool extends CustomResource<SpiderIPPoolSpec, SpiderIPPoolStatus> {
}
