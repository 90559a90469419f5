package io.cohort.replication.server;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.wire.ClientFrameCodec;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientRequestHandler;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ClientServerTest {

    private static final int MAX_FRAME = 1 << 16;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private ClientServer start(ClientRequestHandler handler, int maxInFlight) throws IOException {
        ClientServer server = ClientServer.builder("m1", handler).host("127.0.0.1").port(0)
                .meterRegistry(registry).maxFrameBytes(MAX_FRAME).maxInFlightPerConnection(maxInFlight).start();
        closeables.add(server);
        return server;
    }

    /** Answers OK at once, echoing the payload. */
    private static CompletableFuture<ClientResponse> echo(ClientRequest r) {
        return CompletableFuture.completedFuture(new ClientResponse(r.clientId(), r.sequence(), ResponseStatus.OK, 3,
                r.payload()));
    }

    private Socket connect(ClientServer server) throws IOException {
        Socket s = new Socket("127.0.0.1", server.localAddress().getPort());
        s.setSoTimeout(10_000);
        closeables.add(s);
        return s;
    }

    private static byte[] request(long clientId, long seq, String payload) {
        return ClientFrameCodec.encodeRequest(new ClientRequest(ClientRequest.Kind.COMMAND, clientId, seq, 1,
                ReadConsistency.LINEARIZABLE, payload.getBytes(StandardCharsets.UTF_8)), MAX_FRAME);
    }

    private static ClientResponse readResponse(InputStream in) throws Exception {
        DataInputStream data = new DataInputStream(in);
        byte[] frame = new byte[data.readInt()];
        data.readFully(frame);
        return ClientFrameCodec.decodeResponse(frame, MAX_FRAME);
    }

    /** Reads until the server closes the connection; fails the test (socket timeout) if it does not. */
    private static void awaitClosedByServer(Socket s) throws IOException {
        byte[] sink = new byte[4096];
        InputStream in = s.getInputStream();
        try {
            while (in.read(sink) >= 0) {
                // drain
            }
        } catch (java.net.SocketException reset) {
            // closed with data unread on the server side: a reset is a close too
        }
    }

    private double counter(String name, String tag, String value) {
        var c = tag == null ? registry.find(name).tag("member", "m1").counter()
                : registry.find(name).tag("member", "m1").tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    private static String text(ClientResponse r) {
        return new String(r.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void pipelinedRequestsAreAnsweredInWhateverOrderTheyComplete() throws Exception {
        var held = new ConcurrentHashMap<Long, CompletableFuture<ClientResponse>>();
        var seen = new ConcurrentHashMap<Long, ClientRequest>();
        ClientServer server = start(r -> {
            seen.put(r.sequence(), r);
            return held.computeIfAbsent(r.sequence(), s -> new CompletableFuture<>());
        }, 1024);
        Socket s = connect(server);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int seq = 1; seq <= 100; seq++) {
            all.write(request(77, seq, "c" + seq));
        }
        s.getOutputStream().write(all.toByteArray());
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 100);
        for (long seq = 100; seq >= 1; seq--) {
            ClientRequest r = seen.get(seq);
            held.get(seq).complete(new ClientResponse(77, seq, ResponseStatus.OK, 1, r.payload()));
        }
        for (long expected = 100; expected >= 1; expected--) {
            ClientResponse r = readResponse(s.getInputStream());
            assertThat(r.sequence()).isEqualTo(expected);
            assertThat(text(r)).isEqualTo("c" + expected);
        }
        assertThat(counter("cohort.client.requests", "kind", "command")).isEqualTo(100);
        assertThat(counter("cohort.client.responses", "status", "ok")).isEqualTo(100);
        assertThat(registry.find("cohort.client.connections").tag("member", "m1").gauge().value()).isEqualTo(1);
    }

    @Test
    void malformedInputClosesOnlyThatConnectionAndIsCounted() throws Exception {
        ClientServer server = start(ClientServerTest::echo, 16);
        Socket good = connect(server);
        good.getOutputStream().write(request(1, 1, "before"));
        assertThat(text(readResponse(good.getInputStream()))).isEqualTo("before");

        Socket bad = connect(server);
        byte[] frame = request(2, 1, "x");
        frame[frame.length - 1] ^= 0x01;
        bad.getOutputStream().write(frame);
        awaitClosedByServer(bad);
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("cohort.client.malformed", null, null) == 1);

        good.getOutputStream().write(request(1, 2, "after"));
        ClientResponse after = readResponse(good.getInputStream());
        assertThat(after.sequence()).isEqualTo(2);
        assertThat(text(after)).isEqualTo("after");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 1);
    }

    @Test
    void aHugeLengthHeaderIsRefusedAtOnce() throws Exception {
        ClientServer server = start(ClientServerTest::echo, 16);
        Socket s = connect(server);
        // 1 GiB announced, 4 bytes sent: the server must hang up without waiting for (or allocating) the rest.
        s.getOutputStream().write(ByteBuffer.allocate(8).putInt(1 << 30).putInt(0x43434C49).array());
        awaitClosedByServer(s);
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("cohort.client.malformed", null, null) == 1);

        Socket negative = connect(server);
        negative.getOutputStream().write(ByteBuffer.allocate(4).putInt(-1).array());
        awaitClosedByServer(negative);
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("cohort.client.malformed", null, null) == 2);
    }

    @Test
    void aFutureThatFailsIsAnsweredRetry() throws Exception {
        ClientServer server = start(r -> CompletableFuture.failedFuture(new IllegalStateException("wedged")), 16);
        Socket s = connect(server);
        s.getOutputStream().write(request(5, 1, "x"));
        ClientResponse r = readResponse(s.getInputStream());
        assertThat(r.status()).isEqualTo(ResponseStatus.RETRY);
        assertThat(r.sequence()).isEqualTo(1);
        assertThat(text(r)).contains("wedged");
        assertThat(counter("cohort.client.responses", "status", "retry")).isEqualTo(1);
    }

    @Test
    void aHandlerThatThrowsIsAnsweredRejectedAndTheConnectionGoesOn() throws Exception {
        ClientServer server = start(r -> {
            if (r.sequence() == 1) {
                throw new IllegalArgumentException("cannot parse");
            }
            return echo(r);
        }, 16);
        Socket s = connect(server);
        s.getOutputStream().write(request(5, 1, "x"));
        ClientResponse first = readResponse(s.getInputStream());
        assertThat(first.status()).isEqualTo(ResponseStatus.REJECTED);
        assertThat(text(first)).contains("cannot parse");
        s.getOutputStream().write(request(5, 2, "y"));
        assertThat(readResponse(s.getInputStream()).status()).isEqualTo(ResponseStatus.OK);
    }

    @Test
    void aResponseTooLargeToSendIsAnsweredRejected() throws Exception {
        ClientServer server = start(r -> CompletableFuture.completedFuture(
                new ClientResponse(r.clientId(), r.sequence(), ResponseStatus.OK, 1, new byte[MAX_FRAME])), 16);
        Socket s = connect(server);
        s.getOutputStream().write(request(5, 1, "x"));
        ClientResponse r = readResponse(s.getInputStream());
        assertThat(r.status()).isEqualTo(ResponseStatus.REJECTED);
        assertThat(text(r)).contains("exceeds maxFrameBytes");
    }

    @Test
    void noMoreThanTheInFlightLimitReachesTheHandlerAndAllAreAnswered() throws Exception {
        int limit = 4;
        int total = 50;
        BlockingQueue<Held> held = new LinkedBlockingQueue<>();
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger maxOutstanding = new AtomicInteger();
        ClientServer server = start(r -> {
            maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            Held h = new Held(r, new CompletableFuture<>());
            held.add(h);
            return h.future();
        }, limit);
        Socket s = connect(server);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int seq = 1; seq <= total; seq++) {
            all.write(request(9, seq, "r" + seq));
        }
        s.getOutputStream().write(all.toByteArray());
        await().atMost(Duration.ofSeconds(5)).until(() -> outstanding.get() == limit);

        // Answer, one at a time, whatever the handler holds, until every request was answered.
        Thread answerer = new Thread(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    Held h = held.poll(10, TimeUnit.SECONDS);
                    if (h == null) {
                        return;
                    }
                    // Counted down before completing, so the count never lags behind the server.
                    outstanding.decrementAndGet();
                    h.future().complete(new ClientResponse(9, h.request().sequence(), ResponseStatus.OK, 1,
                            h.request().payload()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "answerer");
        answerer.setDaemon(true);
        answerer.start();
        var answered = new java.util.TreeSet<Long>();
        for (int i = 0; i < total; i++) {
            answered.add(readResponse(s.getInputStream()).sequence());
        }
        assertThat(answered).hasSize(total).first().isEqualTo(1L);
        assertThat(answered.last()).isEqualTo(total);
        assertThat(maxOutstanding.get()).as("most requests with the handler at once").isEqualTo(limit);
    }

    private record Held(ClientRequest request, CompletableFuture<ClientResponse> future) {
    }

    @Test
    void closingTheServerClosesItsConnections() throws Exception {
        ClientServer server = start(r -> new CompletableFuture<>(), 16);
        Socket s = connect(server);
        s.getOutputStream().write(request(5, 1, "x"));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 1);
        server.close();
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            in.readInt();
            throw new AssertionError("expected the connection to close");
        } catch (EOFException | java.net.SocketException expected) {
            // closed
        }
        assertThat(registry.find("cohort.client.connections").gauge()).as("gauge unregistered").isNull();
    }
}
