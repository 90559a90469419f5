package io.cohort.benchmarks.recovery;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches this JVM's heap for {@link LargeStateTransferBenchmark}: the most heap in use (sampled
 * every 2 ms and taken from every GC's "before" figure), the most still in use after a GC (the
 * live set), and the sum of the heap pools' peaks (an upper bound).
 */
final class LargeStateHeapWatch implements AutoCloseable {

    private final AtomicLong maxUsed = new AtomicLong();
    private final AtomicLong maxAfterGc = new AtomicLong();
    private final AtomicLong gcs = new AtomicLong();
    private final Thread sampler;
    private volatile boolean running = true;

    LargeStateHeapWatch() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((n, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                        GarbageCollectionNotificationInfo info =
                                GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                        gcs.incrementAndGet();
                        maxUsed.accumulateAndGet(heapSum(info.getGcInfo().getMemoryUsageBeforeGc()), Math::max);
                        maxAfterGc.accumulateAndGet(heapSum(info.getGcInfo().getMemoryUsageAfterGc()), Math::max);
                    }
                }, null, null);
            }
        }
        sampler = new Thread(() -> {
            while (running) {
                maxUsed.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    // The sampling period of a measurement, not a wait for anything: between GCs
                    // (which the notifications above report exactly) the heap only grows.
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-watch");
        sampler.setDaemon(true);
        sampler.start();
    }

    private static long heapSum(Map<String, MemoryUsage> byPool) {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = byPool.get(p.getName());
            if (p.getType() == MemoryType.HEAP && u != null) {
                sum += u.getUsed();
            }
        }
        return sum;
    }

    /** @return {@code key=value} pairs: peak heap used, peak live set after GC, sum of pool peaks, max heap, GCs */
    String report() {
        long poolPeaks = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                poolPeaks += p.getPeakUsage().getUsed();
            }
        }
        return "heapPeakUsed=" + maxUsed.get() + " heapPeakAfterGc=" + maxAfterGc.get() + " heapPoolPeaksSum=" + poolPeaks
                + " heapMax=" + Runtime.getRuntime().maxMemory() + " gcs=" + gcs.get();
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
    }
}
