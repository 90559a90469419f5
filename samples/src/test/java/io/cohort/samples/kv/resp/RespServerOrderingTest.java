package io.cohort.samples.kv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Pipelining with answers the store holds back: which requests may be in flight together (the
 * barrier between writes and reads), replies in request order whatever order the store answers
 * in, and back-pressure on a client that pipelines deeper than the server lets it.
 */
class RespServerOrderingTest extends RespServerTestBase {

    private static byte[] pipeline(String... inlineRequests) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String r : inlineRequests) {
            out.writeBytes(RespTestClient.encode(r.split(" ")));
        }
        return out.toByteArray();
    }

    private List<String> callsSeen() {
        return fake.calls().stream().map(FakeKvService.Call::toString).toList();
    }

    /** @return how many answers of this route the connection has taken from the store */
    private long answered(String route) {
        Timer t = registry.find("cohort.kv.resp.latency").tag("route", route).timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void consecutiveWritesAreInFlightTogetherButAReadWaitsUntilTheyAreAnswered() throws Exception {
        fake.hold(true);
        RespTestClient c = connect();
        c.send(pipeline("SET k 1", "SET k 2", "GET k", "PING"));

        await("both SETs reached the store", () -> fake.callCount() == 2);
        // The PING after the GET has been read, so the GET has been read and decided on.
        await("the PING was read", () -> requests("connection") == 1);
        assertThat(requests("read")).isEqualTo(1);
        assertThat(callsSeen()).containsExactly("COMMAND SET k 1", "COMMAND SET k 2");

        // The store answers the second SET first: the GET still waits for the first.
        fake.calls().get(1).release();
        await("the connection took the second SET's answer", () -> answered("write") == 1);
        assertThat(callsSeen()).as("GET must wait for every SET before it").hasSize(2);

        fake.calls().get(0).release();
        await("the GET reached the store", () -> fake.callCount() == 3);
        FakeKvService.Call get = fake.calls().get(2);
        assertThat(get.toString()).isEqualTo("QUERY GET k");
        assertThat(get.reply()).isEqualTo("$1\r\n2\r\n");
        get.release();

        c.expect("+OK\r\n+OK\r\n$1\r\n2\r\n+PONG\r\n");
        assertThat(fake.barrierViolations()).isEmpty();
    }

    @Test
    void consecutiveReadsAreInFlightTogetherButAWriteWaitsUntilTheyAreAnswered() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("SET", "k", "old")).isEqualTo("+OK\r\n");
        fake.hold(true);
        c.send(pipeline("GET k", "STRLEN k", "SET k new", "GET k", "PING"));

        await("both reads reached the store", () -> fake.callCount() == 3);
        await("the PING was read", () -> requests("connection") == 1);
        assertThat(callsSeen()).containsExactly("COMMAND SET k old", "QUERY GET k", "QUERY STRLEN k");

        fake.calls().get(2).release();
        await("the connection took the STRLEN's answer", () -> answered("read") == 1);
        assertThat(callsSeen()).as("SET must wait for every read before it").hasSize(3);

        fake.calls().get(1).release();
        await("the SET reached the store", () -> fake.callCount() == 4);
        assertThat(callsSeen().get(3)).isEqualTo("COMMAND SET k new");
        assertThat(callsSeen()).as("the GET after the SET waits for it").hasSize(4);

        fake.calls().get(3).release();
        await("the last GET reached the store", () -> fake.callCount() == 5);
        assertThat(fake.calls().get(4).reply()).isEqualTo("$3\r\nnew\r\n");
        fake.calls().get(4).release();

        c.expect("$3\r\nold\r\n:3\r\n+OK\r\n$3\r\nnew\r\n+PONG\r\n");
        assertThat(fake.barrierViolations()).isEmpty();
    }

    @Test
    void repliesComeInRequestOrderWhenTheStoreAnswersInReverse() throws Exception {
        fake.hold(true);
        RespTestClient c = connect();
        c.send(pipeline("INCRBY a 5", "INCRBY b 7", "APPEND c xyz", "PING", "ECHO between"));
        await("the three writes reached the store", () -> fake.callCount() == 3);
        await("PING and ECHO were read", () -> requests("connection") == 2);
        assertThat(fake.releaseAllNewestFirst()).isEqualTo(3);
        c.expect(":5\r\n:7\r\n:3\r\n+PONG\r\n$7\r\nbetween\r\n");

        c.send(pipeline("GET a", "GET b", "STRLEN c", "MGET a b"));
        await("the four reads reached the store", () -> fake.callCount() == 7);
        assertThat(fake.releaseAllNewestFirst()).isEqualTo(4);
        c.expect("$1\r\n5\r\n$1\r\n7\r\n:3\r\n*2\r\n$1\r\n5\r\n$1\r\n7\r\n");
        assertThat(fake.barrierViolations()).isEmpty();
    }

    @Test
    void anotherConnectionIsNotHeldBackByThisOnesUnansweredWrites() throws Exception {
        fake.hold(true);
        RespTestClient writer = connect();
        RespTestClient reader = connect();
        writer.sendCommand("SET", "k", "1");
        await("the SET reached the store", () -> fake.callCount() == 1);
        reader.sendCommand("GET", "k");
        await("the other connection's GET reached the store", () -> fake.callCount() == 2);
        fake.calls().get(1).release();
        reader.expect("$1\r\n1\r\n");
        fake.calls().get(0).release();
        writer.expect("+OK\r\n");
        assertThat(fake.barrierViolations()).isEmpty();
    }

    @Test
    void aLongMixedPipelineWithAnswersReleasedInRandomOrderIsAnsweredInOrder() throws Exception {
        startServer(b -> b.maxPendingPerConnection(4));
        fake.hold(true);
        RespTestClient c = connect();
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        StringBuilder expected = new StringBuilder();
        long counter = 0;
        int storeRequests = 0;
        for (int i = 0; i < 100; i++) {
            switch (i % 5) {
                case 0, 1 -> {
                    requests.writeBytes(RespTestClient.encode("INCR", "n"));
                    expected.append(':').append(++counter).append("\r\n");
                    storeRequests++;
                }
                case 2, 3 -> {
                    requests.writeBytes(RespTestClient.encode("GET", "n"));
                    String v = Long.toString(counter);
                    expected.append('$').append(v.length()).append("\r\n").append(v).append("\r\n");
                    storeRequests++;
                }
                default -> {
                    requests.writeBytes(RespTestClient.encode("PING"));
                    expected.append("+PONG\r\n");
                }
            }
        }
        c.send(requests.toByteArray());

        Random random = new Random(42);
        int released = 0;
        while (released < storeRequests) {
            int sofar = released;
            await("more requests reached the store (" + sofar + " answered)", () -> fake.outstanding() > 0);
            List<FakeKvService.Call> held = new ArrayList<>(fake.held());
            Collections.shuffle(held, random);
            held.forEach(FakeKvService.Call::release);
            released += held.size();
        }
        c.expect(expected.toString());
        assertThat(fake.callCount()).isEqualTo(storeRequests);
        assertThat(fake.barrierViolations()).isEmpty();
    }

    @Test
    void withOnePendingRequestAllowedAPipelineIsStillServedCompletely() throws Exception {
        startServer(b -> b.maxPendingPerConnection(1));
        RespTestClient c = connect();
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            requests.writeBytes(RespTestClient.encode("INCR", "n"));
            requests.writeBytes(RespTestClient.encode("GET", "n"));
            expected.append(':').append(i + 1).append("\r\n");
            String v = Integer.toString(i + 1);
            expected.append('$').append(v.length()).append("\r\n").append(v).append("\r\n");
        }
        c.send(requests.toByteArray());
        c.expect(expected.toString());
    }

    /**
     * What back-pressure guarantees: a read loop of the connection only starts while fewer than
     * {@code maxPending} requests are unanswered, and {@link RespConnection} stops reading when a
     * loop ends with {@code maxPending} or more. One loop is at most 16 reads of at most 64 KiB
     * (Netty's defaults for a socket), so it can complete at most 1 MiB / request size requests,
     * plus one already partly read. With 128 KiB requests and {@code maxPending} 4 no more than
     * 3 + 8 + 1 (+1 for one more read the decoder may ask for) = 13 answers can ever be
     * outstanding; the test allows 20. Requests held by the store are far below the 100 sent.
     *
     * <p>Requests are as large as that on purpose: many small requests arrive in one read and are
     * all decoded at once, so with small requests nothing bounds the number reaching the store
     * (see {@link #aLongMixedPipelineWithAnswersReleasedInRandomOrderIsAnsweredInOrder}, which
     * only checks completeness and order).
     */
    @Test
    void backPressureBoundsTheRequestsReachingTheStoreWhileItHoldsTheAnswers() throws Exception {
        int maxPending = 4;
        int count = 100;
        int valueBytes = 128 * 1024;
        int bound = 20;
        startServer(b -> b.maxPendingPerConnection(maxPending));
        fake.hold(true);
        RespTestClient c = connect();

        ExecutorService writerThread = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < count; i++) {
                        byte[] value = new byte[valueBytes + i];
                        Arrays.fill(value, (byte) ('a' + i % 26));
                        c.sendCommand("APPEND", "k" + i, new String(value, StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, writerThread);

            int released = 0;
            int rounds = 0;
            while (released < count) {
                int remaining = count - released;
                await("the connection read up to its limit again (" + released + " answered)",
                        () -> fake.outstanding() >= Math.min(maxPending, remaining));
                assertThat(fake.outstanding()).as("answers held by the store now").isLessThanOrEqualTo(bound);
                released += fake.releaseAllNewestFirst();
                rounds++;
            }
            writer.get(AWAIT_MILLIS, TimeUnit.MILLISECONDS);

            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < count; i++) {
                expected.append(':').append(valueBytes + i).append("\r\n");
            }
            c.expect(expected.toString());
            assertThat(fake.maxOutstanding()).as("most answers ever held at once").isLessThanOrEqualTo(bound)
                    .isGreaterThanOrEqualTo(maxPending);
            assertThat(rounds).isGreaterThanOrEqualTo(count / bound);
            assertThat(fake.callCount()).isEqualTo(count);
        } finally {
            writerThread.shutdownNow();
        }
    }
}
