package io.cohort.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The joiner's hand-off of state chunks from the protocol thread to the consumer. */
@Timeout(30)
class StateHandoffTest {

    private static final int CHUNK = 64 * 1024;
    private static final long HIGH = 8 * CHUNK;
    private static final long LOW = 2 * CHUNK;

    /** Chunk {@code i} of a made-up state: its bytes depend on i and the position in it. */
    private static byte[] chunk(int i, int size) {
        byte[] b = new byte[size];
        for (int k = 0; k < size; k++) {
            b[k] = (byte) (i * 31 + k * 7);
        }
        return b;
    }

    @Test
    void theReaderGetsEveryByteInOrderThenTheEnd() throws Exception {
        StateHandoff h = new StateHandoff(HIGH, LOW, () -> { });
        CRC32 sent = new CRC32();
        for (int i = 0; i < 5; i++) {
            byte[] c = chunk(i, 1000 + i);
            sent.update(c);
            assertThat(h.offer(c, false)).isTrue();
        }
        h.offer(new byte[0], true);
        CRC32 got = new CRC32();
        byte[] all = h.readAllBytes();
        got.update(all);
        assertThat(all).hasSize(5 * 1000 + 10);
        assertThat(got.getValue()).isEqualTo(sent.getValue());
        assertThat(h.read()).isEqualTo(-1);
        assertThat(h.received()).isEqualTo(all.length);
        assertThat(h.buffered()).isZero();
        assertThat(h.receiving()).isFalse();
    }

    @Test
    void singleByteReadsAndSkipsFollowTheChunks() throws Exception {
        StateHandoff h = new StateHandoff(HIGH, LOW, () -> { });
        h.offer(new byte[] {1, 2, 3}, false);
        h.offer(new byte[0], false);
        h.offer(new byte[] {4, (byte) 200}, true);
        assertThat(h.read()).isEqualTo(1);
        assertThat(h.skip(3)).isEqualTo(3);
        assertThat(h.read()).isEqualTo(200);
        assertThat(h.read()).isEqualTo(-1);
    }

    /**
     * A producer that, like the runtime, stops when offer says the buffer is full and goes on only
     * when told it drained, against a reader that lets the buffer fill up before each time it reads:
     * the reader gets every byte in order, and the buffer never holds more than the high mark plus
     * one chunk, however much passes through.
     */
    @Test
    void aProducerThatHonoursTheMarksKeepsTheBufferBounded() throws Exception {
        Semaphore drained = new Semaphore(0);
        StateHandoff h = new StateHandoff(HIGH, LOW, drained::release);
        int chunks = 600; // ~37 MiB through a 512 KiB buffer
        AtomicLong peak = new AtomicLong();
        AtomicInteger pauses = new AtomicInteger();
        Semaphore paused = new Semaphore(0);
        AtomicBoolean finished = new AtomicBoolean();
        CRC32 sent = new CRC32();
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < chunks; i++) {
                    byte[] c = chunk(i, CHUNK);
                    sent.update(c);
                    boolean more = h.offer(c, i == chunks - 1);
                    peak.accumulateAndGet(h.buffered(), Math::max);
                    if (!more) {
                        pauses.incrementAndGet();
                        paused.release();
                        // Reading "resumes" only once the reader took the buffer below the low mark.
                        while (h.buffered() >= LOW) {
                            drained.tryAcquire(10, TimeUnit.MILLISECONDS);
                        }
                        drained.drainPermits();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                finished.set(true);
                paused.release();
            }
        });
        producer.start();
        CRC32 got = new CRC32();
        long total = 0;
        byte[] buf = new byte[10_000];
        int n;
        reading:
        while (true) {
            // Slower than the producer: read only once it has filled the buffer and paused (or finished),
            // then take the buffer below the low mark, which lets it go on.
            paused.acquire();
            do {
                n = h.read(buf, 0, buf.length);
                if (n < 0) {
                    break reading;
                }
                got.update(buf, 0, n);
                total += n;
            } while (h.buffered() >= LOW || finished.get());
        }
        producer.join();
        assertThat(total).isEqualTo((long) chunks * CHUNK);
        assertThat(got.getValue()).isEqualTo(sent.getValue());
        assertThat(pauses.get()).as("the producer had to pause").isPositive();
        assertThat(peak.get()).isLessThanOrEqualTo(HIGH + CHUNK);
    }

    @Test
    void offerNeverBlocksAndReportsTheHighMark() {
        StateHandoff h = new StateHandoff(HIGH, LOW, () -> { });
        for (int i = 0; i < 7; i++) {
            assertThat(h.offer(chunk(i, CHUNK), false)).isTrue();
        }
        assertThat(h.offer(chunk(7, CHUNK), false)).as("at the high mark").isFalse();
        // Nobody reads: still no blocking, the caller is only told to stop.
        assertThat(h.offer(chunk(8, CHUNK), false)).isFalse();
        assertThat(h.buffered()).isEqualTo(9L * CHUNK);
    }

    @Test
    void drainedRunsWhenTheReaderCrossesTheLowMark() throws Exception {
        AtomicInteger drained = new AtomicInteger();
        StateHandoff h = new StateHandoff(HIGH, LOW, drained::incrementAndGet);
        for (int i = 0; i < 4; i++) {
            h.offer(chunk(i, CHUNK), false);
        }
        byte[] buf = new byte[CHUNK];
        h.readNBytes(buf, 0, CHUNK); // takes chunk 0: 3 left, still >= LOW
        assertThat(drained.get()).isZero();
        h.readNBytes(buf, 0, CHUNK); // takes chunk 1: 2 left
        assertThat(drained.get()).isZero();
        h.readNBytes(buf, 0, CHUNK); // takes chunk 2: 1 left, below LOW
        assertThat(drained.get()).isEqualTo(1);
        h.readNBytes(buf, 0, CHUNK);
        assertThat(drained.get()).isEqualTo(1);
    }

    @Test
    void anAbortFailsAWaitingReader() throws Exception {
        StateHandoff h = new StateHandoff(HIGH, LOW, () -> { });
        h.offer(chunk(0, 100), false);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                h.readNBytes(100);
                h.read(); // waits for more
                failure.complete(null);
            } catch (IOException e) {
                failure.complete(e);
            }
        });
        reader.start();
        awaitBlocked(reader);
        assertThat(failure).isNotDone();
        assertThat(h.abort("a new view")).isTrue();
        assertThat(failure.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class).hasMessageContaining("a new view");
        assertThat(h.aborted()).isTrue();
        assertThat(h.receiving()).isFalse();
    }

    @Test
    void anAbortFailsTheReaderInTheMiddleOfAChunkAndDropsWhatIsQueued() throws Exception {
        AtomicInteger drained = new AtomicInteger();
        StateHandoff h = new StateHandoff(HIGH, LOW, drained::incrementAndGet);
        h.offer(chunk(0, 1000), false);
        h.offer(chunk(1, 1000), false);
        assertThat(h.read(new byte[10], 0, 10)).isEqualTo(10);
        assertThat(h.abort("closing")).isTrue();
        assertThat(h.buffered()).isZero();
        assertThat(drained.get()).isEqualTo(1);
        assertThatThrownBy(() -> h.read(new byte[10], 0, 10)).isInstanceOf(IOException.class)
                .hasMessageContaining("closing");
        assertThatThrownBy(h::read).isInstanceOf(IOException.class);
        // Later chunks are dropped without blocking or failing the producer.
        assertThat(h.offer(chunk(2, 1000), false)).isTrue();
        assertThat(h.buffered()).isZero();
        assertThat(h.abort("again")).isFalse();
    }

    @Test
    void aStateThatEndedIsNotAborted() throws Exception {
        StateHandoff h = new StateHandoff(HIGH, LOW, () -> { });
        h.offer(chunk(0, 100), true);
        assertThat(h.abort("late")).isFalse();
        assertThat(h.readAllBytes()).hasSize(100);
    }

    @Test
    void aReaderThatClosesEarlyLetsTheRestBeDropped() throws Exception {
        AtomicInteger drained = new AtomicInteger();
        StateHandoff h = new StateHandoff(HIGH, LOW, drained::incrementAndGet);
        h.offer(chunk(0, 100), false);
        h.offer(chunk(1, 100), false);
        try (InputStream in = h) {
            assertThat(in.read()).isNotNegative();
        }
        assertThat(h.buffered()).isZero();
        assertThat(drained.get()).isEqualTo(1);
        assertThat(h.offer(chunk(2, CHUNK), false)).isTrue();
        assertThat(h.offer(chunk(3, CHUNK), true)).isTrue();
        assertThat(h.buffered()).isZero();
        assertThat(h.received()).isEqualTo(200 + 2L * CHUNK);
        assertThatThrownBy(h::read).isInstanceOf(IOException.class);
    }

    @Test
    void anInterruptedReaderGetsInterruptedIoException() throws Exception {
        StateHandoff h = new StateHandoff(HIGH, LOW, () -> { });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                h.read();
            } catch (IOException e) {
                failure.set(e);
            }
        });
        reader.start();
        awaitBlocked(reader);
        reader.interrupt();
        reader.join(5000);
        assertThat(failure.get()).isInstanceOf(InterruptedIOException.class);
    }

    /** Waits until {@code t} is parked waiting for more of the state. */
    private static void awaitBlocked(Thread t) {
        await().atMost(Duration.ofSeconds(10)).until(() -> t.getState() == Thread.State.WAITING
                || t.getState() == Thread.State.TIMED_WAITING);
    }
}
