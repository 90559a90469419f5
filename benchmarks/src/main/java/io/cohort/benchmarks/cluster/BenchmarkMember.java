package io.cohort.benchmarks.cluster;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.Message;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.group.Group;
import io.cohort.group.GroupListener;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One member of a benchmark cluster, in its own JVM, driven over stdin by {@link ClusterBenchmark}.
 *
 * <p>Commands: {@code run ORDER SECONDS WARMUP_SECONDS RATE PAYLOAD} where RATE is messages per
 * second this member sends (0: as fast as flow control allows). It answers
 * {@code RESULT delivered=N seconds=S sent=N p50=.. p99=.. p999=.. max=..} with latencies in
 * microseconds from the intended send time (open loop, so queueing delay is not hidden) to this
 * member's own delivery. {@code exit} leaves and quits. Every view installed is printed as
 * {@code VIEW id size coordinator epochMicros}.
 */
public final class BenchmarkMember implements GroupListener {

    private final AtomicLong delivered = new AtomicLong();

    @Override
    public void onDelivery(Message m) {
        delivered.incrementAndGet();
    }

    /** Prints {@code VIEW id size coordinator epochMicros}, for the kill-to-view measurement. */
    @Override
    public void onView(View v) {
        java.time.Instant now = java.time.Instant.now();
        System.out.println("VIEW " + v.viewId() + " " + v.size() + " " + v.coordinator().name() + " "
                + (now.getEpochSecond() * 1_000_000L + now.getNano() / 1000));
    }

    /**
     * @param args none; configuration from {@code -Dcohort.*}, the expected group size from {@code -Dbench.members}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        CohortConfig config = ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        int members = Integer.getInteger("bench.members", 3);
        BenchmarkMember member = new BenchmarkMember();
        try (Group group = Group.builder(config).listener(member).build()) {
            group.join(Duration.ofSeconds(60));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (group.view() == null || group.view().size() < members) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the group did not reach " + members + " members: " + group.view());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            View v = group.view();
            System.out.println("READY " + v.viewId() + " " + v.size() + " " + v.coordinator().name());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                String[] p = line.trim().split("\\s+");
                if (p[0].equals("run")) {
                    System.out.println(member.run(group, DeliveryOrder.valueOf(p[1]), Integer.parseInt(p[2]),
                            Integer.parseInt(p[3]), Long.parseLong(p[4]), Integer.parseInt(p[5])));
                } else if (p[0].equals("exit")) {
                    break;
                }
            }
        }
    }

    private String run(Group group, DeliveryOrder order, int seconds, int warmup, long rate, int payloadBytes)
            throws Exception {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        byte[] payload = new byte[payloadBytes];
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
        long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        long deliveredAtStart = -1;
        long sent = 0;
        long intervalNanos = rate > 0 ? 1_000_000_000L / rate : 0;
        long next = start;
        CompletableFuture<Message> last = null;
        while (true) {
            long now = System.nanoTime();
            if (deliveredAtStart < 0 && now >= measureFrom) {
                deliveredAtStart = delivered.get();
            }
            if (now >= end) {
                break;
            }
            if (rate > 0) {
                if (now < next) {
                    LockSupport.parkNanos(Math.min(next - now, 200_000));
                    continue;
                }
            }
            long intended = rate > 0 ? next : now;
            next += intervalNanos;
            boolean measured = intended >= measureFrom;
            last = group.multicast(order, payload);
            sent++;
            if (measured) {
                last.thenRun(() -> {
                    synchronized (latency) {
                        latency.recordValue(Math.max(0, System.nanoTime() - intended));
                    }
                });
            }
        }
        long deliveredInWindow = delivered.get() - deliveredAtStart;
        if (last != null) {
            try {
                last.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // The last message's fate does not change the figures; it only drains the pipeline.
            }
        }
        synchronized (latency) {
            return String.format("RESULT delivered=%d seconds=%d sent=%d p50=%d p99=%d p999=%d max=%d",
                    deliveredInWindow, seconds, sent, latency.getValueAtPercentile(50) / 1000,
                    latency.getValueAtPercentile(99) / 1000, latency.getValueAtPercentile(99.9) / 1000,
                    latency.getMaxValue() / 1000);
        }
    }
}
