package io.cohort.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that owns a member's protocol core. Other threads hand it work with
 * {@link #execute}; it runs due timers and queued tasks in batches, and after each batch calls
 * the {@code afterBatch} hook once, so that the core's effects are collected and the transport
 * flushed once per batch rather than once per event (the main batching lever under load).
 */
final class ProtocolLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ProtocolLoop.class);
    private static final int MAX_BATCH = 4096;

    private record Timer(long deadlineNanos, long seq, Runnable task) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadlineNanos - o.deadlineNanos, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final Thread thread;
    private final Runnable afterBatch;
    private long timerSeq;
    private volatile boolean running = true;

    /**
     * @param name       thread name
     * @param afterBatch run on the loop after each batch of tasks and timers
     */
    ProtocolLoop(String name, Runnable afterBatch) {
        this.afterBatch = afterBatch;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** @param task work to run on the loop; dropped once the loop stopped */
    void execute(Runnable task) {
        if (running) {
            tasks.add(task);
        }
    }

    /**
     * Runs {@code task} on the loop after {@code delayMillis}. Call from the loop thread only.
     *
     * @param delayMillis delay
     * @param task        the work
     */
    void schedule(long delayMillis, Runnable task) {
        timers.add(new Timer(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis), timerSeq++, task));
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Stops the loop after the current batch and waits for it. */
    void stop() {
        running = false;
        tasks.add(() -> { });
        if (!inLoop()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        List<Runnable> batch = new ArrayList<>();
        while (running) {
            try {
                long now = System.nanoTime();
                while (!timers.isEmpty() && timers.peek().deadlineNanos() - now <= 0) {
                    runSafely(timers.poll().task());
                }
                Runnable first;
                if (timers.isEmpty()) {
                    first = tasks.poll(1, TimeUnit.SECONDS);
                } else {
                    long wait = timers.peek().deadlineNanos() - System.nanoTime();
                    first = wait > 0 ? tasks.poll(wait, TimeUnit.NANOSECONDS) : tasks.poll();
                }
                if (first != null) {
                    runSafely(first);
                    tasks.drainTo(batch, MAX_BATCH);
                    for (Runnable r : batch) {
                        runSafely(r);
                    }
                    batch.clear();
                }
                runSafely(afterBatch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void runSafely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            // A bug in one event must not stop the member silently; it is logged loudly instead.
            LOG.error("protocol task failed", e);
        }
    }
}
