package dev.spinneret.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The requests for one pool, handed to {@code apply} in batches by one drainer at a time: whatever arrived while a
 * batch was being applied forms the next batch. A request may linger: if it finds the queue idle, the drain starts
 * only after {@code lingerMillis}, so that requests that can wait (releases) share one write; a request that
 * cannot wait, arriving meanwhile, starts the drain at once and takes the lingering ones along.
 */
final class BatchQueue<T> {
    private final Queue<T> pending = new ConcurrentLinkedQueue<>();
    /** A drain is running, scheduled or lingering: at most one applies batches at a time. */
    private final AtomicBoolean draining = new AtomicBoolean();
    /** draining is set but the drain has not started: it waits for the linger to end. */
    private final AtomicBoolean lingering = new AtomicBoolean();
    private final Executor workers;
    private final ScheduledExecutorService timer;
    private final Consumer<List<T>> apply;

    /** {@code apply} must not throw: it answers every request of the batch itself, failures included. */
    BatchQueue(Executor workers, ScheduledExecutorService timer, Consumer<List<T>> apply) {
        this.workers = workers;
        this.timer = timer;
        this.apply = apply;
    }

    void submit(T request, long lingerMillis) {
        pending.add(request);
        if (draining.compareAndSet(false, true)) {
            if (lingerMillis > 0) {
                lingering.set(true);
                timer.schedule(this::startLingering, lingerMillis, TimeUnit.MILLISECONDS);
            } else {
                workers.execute(this::drain);
            }
        } else if (lingerMillis <= 0) {
            startLingering();
        }
    }

    /** Exactly one caller (the timer or a request that cannot wait) starts a lingering drain. */
    private void startLingering() {
        if (lingering.compareAndSet(true, false)) {
            workers.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            List<T> batch = new ArrayList<>();
            for (T r; (r = pending.poll()) != null;) {
                batch.add(r);
            }
            if (batch.isEmpty()) {
                draining.set(false);
                // a request added after the poll and before the flag cleared found the drain still running
                if (pending.isEmpty() || !draining.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            apply.accept(batch);
        }
    }
}
