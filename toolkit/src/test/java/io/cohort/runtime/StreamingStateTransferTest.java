package io.cohort.runtime;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.Message;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.group.Group;
import io.cohort.group.GroupListener;
import io.cohort.group.StateProvider;
import io.cohort.group.StateRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The joiner's consumer reads the state while it arrives (over TCP, through the runtime), and the
 * ways such a transfer can end early: the consumer fails, the joiner closes.
 */
@Timeout(120)
class StreamingStateTransferTest {

    private static final int MIB = 1 << 20;
    private static final int CHUNK = 256 * 1024;

    private final List<Group> groups = new ArrayList<>();

    @AfterEach
    void close() {
        for (Group g : groups) {
            g.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static CohortConfig config(String cluster, String name, int port, int seedPort) {
        return CohortConfig.builder(cluster, name).bindPort(port).seeds("127.0.0.1:" + seedPort)
                .heartbeatIntervalMillis(50).suspectTimeoutMillis(1000).bootstrapTimeoutMillis(500)
                .stateChunkBytes(CHUNK).build();
    }

    /** Writes {@code bytes} pseudo-random bytes made from {@code seed}, calling {@code afterFirst} after the first MiB. */
    private static long writeState(OutputStream out, long bytes, long seed, Runnable afterFirst) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[MIB];
        long x = seed;
        for (long done = 0; done < bytes; done += buf.length) {
            for (int i = 0; i < buf.length; i += 8) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                for (int k = 0; k < 8; k++) {
                    buf[i + k] = (byte) (x >>> (8 * k));
                }
            }
            out.write(buf);
            crc.update(buf);
            if (done == 0) {
                afterFirst.run();
            }
        }
        return crc.getValue();
    }

    /** The donor: a group of one whose state is {@code bytes} made-up bytes. */
    private Group donor(String cluster, int port, long bytes, Runnable afterFirst, CompletableFuture<Long> sentCrc) {
        Group g = Group.builder(config(cluster, "donor", port, port))
                .stateTransfer(out -> sentCrc.complete(writeState(out, bytes, 42, afterFirst)), in -> { })
                .build();
        groups.add(g);
        g.joinAsync().join();
        return g;
    }

    @Test
    void theConsumerReadsTheStateWhileTheDonorIsStillWritingIt() throws Exception {
        String cluster = "streaming-" + System.nanoTime();
        int port = freePort();
        long size = 64L * MIB;
        CountDownLatch consumerStarted = new CountDownLatch(1);
        CompletableFuture<Long> sentCrc = new CompletableFuture<>();
        // The donor writes the first MiB, then waits until the joiner's consumer has read from it:
        // with a consumer started only after the last chunk, this would never happen.
        donor(cluster, port, size, () -> {
            try {
                if (!consumerStarted.await(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the joiner's consumer did not start before the state ended");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, sentCrc);

        CompletableFuture<Long> gotCrc = new CompletableFuture<>();
        long[] received = new long[1];
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Group joiner = Group.builder(config(cluster, "joiner", freePort(), port)).meterRegistry(registry)
                .stateTransfer(out -> { }, in -> {
                    CRC32 crc = new CRC32();
                    byte[] buf = new byte[100_000];
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        consumerStarted.countDown();
                        crc.update(buf, 0, n);
                        received[0] += n;
                    }
                    gotCrc.complete(crc.getValue());
                })
                .build();
        groups.add(joiner);
        View v = joiner.join(Duration.ofSeconds(60));
        assertThat(v.size()).isEqualTo(2);
        assertThat(gotCrc.get(10, TimeUnit.SECONDS)).isEqualTo(sentCrc.get(10, TimeUnit.SECONDS));
        assertThat(received[0]).isEqualTo(size);
        assertThat(registry.find("cohort.statetransfer.bytes").tag("role", "joiner").counter().count())
                .isGreaterThanOrEqualTo(size);
        assertThat(registry.find("cohort.statetransfer.failures").counter().count()).isZero();
        assertThat(registry.find("cohort.membership.suspicions").counters().stream().mapToDouble(c -> c.count()).sum())
                .isZero();
    }

    @Test
    void aDeferredStateIsWrittenOffTheApplicationExecutorWhichGoesOnDelivering() throws Exception {
        String cluster = "deferred-" + System.nanoTime();
        int port = freePort();
        CountDownLatch deferred = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch deliveredDuringTransfer = new CountDownLatch(1);
        CompletableFuture<Long> sentCrc = new CompletableFuture<>();
        StateProvider provider = new StateProvider() {
            @Override
            public void writeState(OutputStream out) {
                throw new AssertionError("a provider that defers is not asked to write at the cut");
            }

            @Override
            public Deferred defer(StateRequest request) {
                deferred.countDown();
                return out -> {
                    try {
                        if (!release.await(30, TimeUnit.SECONDS)) {
                            throw new IOException("never released");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException();
                    }
                    sentCrc.complete(StreamingStateTransferTest.writeState(out, 4L * MIB, 7, () -> { }));
                };
            }
        };
        Group donor = Group.builder(config(cluster, "donor", port, port)).stateTransfer(provider, in -> { })
                .listener(new GroupListener() {
                    @Override
                    public void onDelivery(Message m) {
                        deliveredDuringTransfer.countDown();
                    }
                })
                .build();
        groups.add(donor);
        donor.joinAsync().join();

        CompletableFuture<Long> gotCrc = new CompletableFuture<>();
        Group joiner = Group.builder(config(cluster, "joiner", freePort(), port))
                .stateTransfer(out -> { }, in -> {
                    CRC32 crc = new CRC32();
                    crc.update(in.readAllBytes());
                    gotCrc.complete(crc.getValue());
                })
                .build();
        groups.add(joiner);
        joiner.joinAsync();
        assertThat(deferred.await(30, TimeUnit.SECONDS)).as("the donor captured the state").isTrue();

        // The state is not written yet, and the donor's application executor is free: it delivers.
        donor.multicast(DeliveryOrder.FIFO, new byte[] {1});
        assertThat(deliveredDuringTransfer.await(30, TimeUnit.SECONDS))
                .as("delivered at the donor while its deferred state waits").isTrue();
        assertThat(gotCrc).isNotDone();

        release.countDown();
        assertThat(joiner.join(Duration.ofSeconds(60)).size()).isEqualTo(2);
        assertThat(gotCrc.get(10, TimeUnit.SECONDS)).isEqualTo(sentCrc.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aFailingConsumerMakesTheJoinerLeaveWithoutWaitingForTheRest() throws Exception {
        String cluster = "streaming-fail-" + System.nanoTime();
        int port = freePort();
        CompletableFuture<Long> sentCrc = new CompletableFuture<>();
        Group donor = donor(cluster, port, 32L * MIB, () -> { }, sentCrc);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CompletableFuture<Void> left = new CompletableFuture<>();
        Group joiner = Group.builder(config(cluster, "joiner", freePort(), port)).meterRegistry(registry)
                .listener(new GroupListener() {
                    @Override
                    public void onLeft(io.cohort.api.MemberId self, long lastViewId) {
                        left.complete(null);
                    }
                })
                .stateTransfer(out -> { }, in -> {
                    in.readNBytes(2 * MIB);
                    throw new IOException("this state is not for me");
                })
                .build();
        groups.add(joiner);
        joiner.joinAsync();
        left.get(30, TimeUnit.SECONDS);
        assertThat(registry.find("cohort.statetransfer.failures").counter().count()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> donor.view() != null && donor.view().size() == 1);
    }

    @Test
    void closingTheJoinerReleasesAConsumerWaitingForChunks() throws Exception {
        String cluster = "streaming-close-" + System.nanoTime();
        int port = freePort();
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> sentCrc = new CompletableFuture<>();
        // The donor sends one MiB, then stalls: the joiner's consumer waits for the next chunk.
        donor(cluster, port, 8L * MIB, () -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, sentCrc);

        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean leftCleanly = new java.util.concurrent.atomic.AtomicBoolean();
        Group joiner = Group.builder(config(cluster, "joiner", freePort(), port))
                .listener(new GroupListener() {
                    @Override
                    public void onLeft(io.cohort.api.MemberId self, long lastViewId) {
                        leftCleanly.set(true);
                    }
                })
                .stateTransfer(out -> { }, in -> {
                    try {
                        // Of the first MiB, the full chunks are sent; the fourth waits for more bytes.
                        assertThat(in.readNBytes(3 * CHUNK)).hasSize(3 * CHUNK);
                        waiting.countDown();
                        in.read();
                        outcome.complete(null);
                    } catch (IOException e) {
                        outcome.complete(e);
                        throw e;
                    }
                })
                .build();
        joiner.joinAsync();
        assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
        joiner.close();
        // The leave completes on the application executor, which the consumer held: close released
        // it, so the member left cleanly before close returned.
        assertThat(leftCleanly).as("left cleanly before close returned").isTrue();
        release.countDown();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class)
                .hasMessageContaining("closing");
    }
}
