package dev.spinneret.subnet;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.cluster.ClusterCache;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Pools as the subnet reconciler's secondary resources, served from {@link ClusterCache}'s pool informer instead of a
 * second informer of its own (a second watch deserialised every pool update twice, the status writes of the pool
 * counts included). Subnet status depends only on pools' spec and labels, so status-only updates (same generation
 * and labels) trigger nothing.
 */
final class PoolSpecEvents extends AbstractEventSource<SpiderIPPool, SpiderSubnet> {
    private final ClusterCache cache;
    private final EventSourceContext<SpiderSubnet> context;

    PoolSpecEvents(ClusterCache cache, EventSourceContext<SpiderSubnet> context) {
        super(SpiderIPPool.class, "pool-spec-events");
        this.cache = cache;
        this.context = context;
    }

    @Override
    public void start() {
        cache.onPools(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpiderIPPool pool) {
                fire(pool);
            }

            @Override
            public void onUpdate(SpiderIPPool before, SpiderIPPool after) {
                if (!Objects.equals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration())
                        || !Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels())
                        || !Objects.equals(before.getMetadata().getAnnotations(), after.getMetadata().getAnnotations())) {
                    fire(after);
                }
            }

            @Override
            public void onDelete(SpiderIPPool pool, boolean unknown) {
                fire(pool);
            }
        });
        cache.start(); // idempotent; Startup starts it too
        super.start();
    }

    private void fire(SpiderIPPool pool) {
        if (!isRunning() || pool.getSpec() == null) {
            return;
        }
        context.getPrimaryCache().list().filter(s -> sameCidr(s, pool))
                .forEach(s -> getEventHandler().handleEvent(new Event(ResourceID.fromResource(s))));
    }

    @Override
    public Set<SpiderIPPool> getSecondaryResources(SpiderSubnet subnet) {
        return cache.pools().stream().filter(p -> sameCidr(subnet, p)).collect(Collectors.toSet());
    }

    private static boolean sameCidr(SpiderSubnet s, SpiderIPPool p) {
        return s.getSpec() != null && p.getSpec() != null && Objects.equals(s.getSpec().subnet, p.getSpec().subnet);
    }
}
