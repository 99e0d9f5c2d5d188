package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class BatchQueueTest {
    final ExecutorService workers = Executors.newCachedThreadPool();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        workers.shutdownNow();
        timer.shutdownNow();
    }

    BatchQueue<Integer> queue(CountDownLatch applied, int expected) {
        AtomicInteger seen = new AtomicInteger();
        return new BatchQueue<>(workers, timer, b -> {
            batches.add(new ArrayList<>(b));
            for (int i = 0; i < b.size(); i++) {
                if (seen.incrementAndGet() == expected) {
                    applied.countDown();
                }
            }
        });
    }

    @Test
    void lingeringRequestsShareOneBatch() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        BatchQueue<Integer> q = queue(done, 100);
        for (int i = 0; i < 100; i++) {
            q.submit(i, 2_000);
        }
        assertTrue(batches.isEmpty(), "nothing is applied while the requests linger");
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(1, batches.size(), batches::toString);
        assertEquals(100, batches.get(0).size());
    }

    @Test
    void aRequestThatCannotWaitStartsTheDrainAndTakesTheLingeringOnesAlong() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        BatchQueue<Integer> q = queue(done, 4);
        q.submit(1, 60_000);
        q.submit(2, 60_000);
        q.submit(3, 60_000);
        long start = System.nanoTime();
        q.submit(4, 0);
        assertTrue(done.await(10, TimeUnit.SECONDS), "not left waiting for the 60 s linger");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        assertEquals(List.of(List.of(1, 2, 3, 4)), batches);
    }

    @Test
    void requestsArrivingDuringABatchFormTheNextOneAndOnlyOneBatchRunsAtATime() throws Exception {
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch all = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        BatchQueue<Integer> q = new BatchQueue<>(workers, timer, b -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            batches.add(new ArrayList<>(b));
            first.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
            if (seen.addAndGet(b.size()) == 51) {
                all.countDown();
            }
        });
        q.submit(0, 0);
        assertTrue(first.await(10, TimeUnit.SECONDS));
        for (int i = 1; i <= 50; i++) {
            q.submit(i, i % 2 == 0 ? 0 : 5_000); // lingering or not: a drain is running, they queue behind it
        }
        release.countDown();
        assertTrue(all.await(10, TimeUnit.SECONDS));
        assertEquals(1, maxRunning.get());
        assertEquals(2, batches.size(), batches::toString);
        assertEquals(50, batches.get(1).size());
    }
}
