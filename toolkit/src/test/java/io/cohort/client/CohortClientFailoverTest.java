package io.cohort.client;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.server.ClientServer;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CohortClientFailoverTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** A replica stand-in: records every request it sees and answers as told. */
    private final class FakeReplica implements AutoCloseable {

        final List<ClientRequest> seen = new CopyOnWriteArrayList<>();
        /** Futures of requests answered with {@link #hold}, by sequence. */
        final Map<Long, CompletableFuture<ClientResponse>> held = new ConcurrentHashMap<>();
        volatile Function<ClientRequest, CompletableFuture<ClientResponse>> behaviour = FakeReplica::echo;
        final ClientServer server;

        FakeReplica(String name) throws IOException {
            server = ClientServer.builder(name, r -> {
                seen.add(r);
                return behaviour.apply(r);
            }).host("127.0.0.1").port(0).meterRegistry(registry).start();
            closeables.add(this);
        }

        static CompletableFuture<ClientResponse> echo(ClientRequest r) {
            return CompletableFuture.completedFuture(new ClientResponse(r.clientId(), r.sequence(), ResponseStatus.OK,
                    1, r.payload()));
        }

        FakeReplica echoing() {
            behaviour = FakeReplica::echo;
            return this;
        }

        FakeReplica holding() {
            behaviour = this::hold;
            return this;
        }

        FakeReplica answering(ResponseStatus status, String why) {
            behaviour = r -> CompletableFuture.completedFuture(ClientResponse.failure(r, status, 1, why));
            return this;
        }

        CompletableFuture<ClientResponse> hold(ClientRequest r) {
            return held.computeIfAbsent(r.sequence(), s -> new CompletableFuture<>());
        }

        void release(long sequence) {
            ClientRequest r = seen.stream().filter(q -> q.sequence() == sequence).findFirst().orElseThrow();
            held.get(sequence).complete(new ClientResponse(r.clientId(), r.sequence(), ResponseStatus.OK, 1,
                    r.payload()));
        }

        ClientRequest request(long sequence) {
            return seen.stream().filter(q -> q.sequence() == sequence).findFirst().orElseThrow();
        }

        InetSocketAddress address() {
            return server.localAddress();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private CohortClient client(FakeReplica... replicas) {
        return client(b -> b, Arrays.stream(replicas).map(FakeReplica::address).toList());
    }

    private CohortClient client(Function<CohortClient.Builder, CohortClient.Builder> tune,
                                List<InetSocketAddress> endpoints) {
        CohortClient c = tune.apply(CohortClient.builder().endpoints(endpoints).shuffleEndpoints(false)
                .meterRegistry(registry).requestTimeout(Duration.ofSeconds(5))).build();
        closeables.add(c);
        return c;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String result(CompletableFuture<byte[]> f) throws Exception {
        return text(f.get(5, TimeUnit.SECONDS));
    }

    private double count(String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    /** The session identity of a request and what it asks: what must be the same on every resend. */
    private static List<Object> identity(ClientRequest r) {
        return List.of(r.kind(), r.clientId(), r.sequence(), r.firstUnacknowledged(), r.consistency(),
                text(r.payload()));
    }

    private static CohortClientException failure(CompletableFuture<byte[]> f) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> f.get(5, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(CohortClientException.class);
        return (CohortClientException) e.getCause();
    }

    // =====================================================================================

    @Test
    void losingTheReplicaInUseResendsTheSameRequestToTheNext() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        FakeReplica b = new FakeReplica("b").echoing();
        CohortClient client = client(a, b);
        assertThat(client.currentEndpoint()).isEqualTo(a.address());

        CompletableFuture<byte[]> f = client.submit(bytes("put x 1"));
        await().atMost(WAIT).until(() -> a.seen.size() == 1);
        a.close();

        assertThat(result(f)).isEqualTo("put x 1");
        assertThat(b.seen).hasSize(1);
        assertThat(identity(b.seen.get(0))).isEqualTo(identity(a.seen.get(0)));
        assertThat(b.seen.get(0).clientId()).isEqualTo(client.clientId());
        assertThat(b.seen.get(0).sequence()).isEqualTo(1);
        assertThat(client.currentEndpoint()).isEqualTo(b.address());
        assertThat(count("cohort.client.failovers")).isEqualTo(1);
        assertThat(count("cohort.client.retries")).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = ResponseStatus.class, names = {"RETRY", "UNAVAILABLE"})
    void aRetriableAnswerResendsTheSameRequestElsewhere(ResponseStatus status) throws Exception {
        FakeReplica a = new FakeReplica("a").answering(status, "wedged");
        FakeReplica b = new FakeReplica("b").echoing();
        CohortClient client = client(a, b);

        assertThat(result(client.query(bytes("get x"), ReadConsistency.LINEARIZABLE))).isEqualTo("get x");
        assertThat(result(client.submit(bytes("put x 2")))).isEqualTo("put x 2");

        assertThat(a.seen).hasSize(1);
        assertThat(b.seen).hasSize(2);
        assertThat(identity(b.seen.get(0))).isEqualTo(identity(a.seen.get(0)));
        assertThat(b.seen.get(1).sequence()).isEqualTo(2);
        assertThat(count("cohort.client.failovers")).isEqualTo(1);
    }

    @Test
    void everyOutstandingRequestIsResentAfterAFailover() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        FakeReplica b = new FakeReplica("b").echoing();
        CohortClient client = client(a, b);
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            futures.add(client.submit(bytes("c" + i)));
        }
        futures.add(client.query(bytes("q"), ReadConsistency.STALE));
        await().atMost(WAIT).until(() -> a.seen.size() == 6);
        a.close();
        for (int i = 0; i < 5; i++) {
            assertThat(result(futures.get(i))).isEqualTo("c" + (i + 1));
        }
        assertThat(result(futures.get(5))).isEqualTo("q");
        assertThat(b.seen.stream().map(CohortClientFailoverTest::identity).toList())
                .containsExactlyElementsOf(a.seen.stream().map(CohortClientFailoverTest::identity).toList());
        assertThat(count("cohort.client.retries")).isEqualTo(6);
    }

    @Test
    void aReplicaThatDoesNotAnswerInTimeIsLeft() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        FakeReplica b = new FakeReplica("b").echoing();
        CohortClient client = client(t -> t.requestTimeout(Duration.ofMillis(200)), List.of(a.address(), b.address()));

        assertThat(result(client.submit(bytes("slow")))).isEqualTo("slow");
        assertThat(identity(b.seen.get(0))).isEqualTo(identity(a.seen.get(0)));
        // At least one: on a loaded machine even b may miss the short deadline once.
        assertThat(count("cohort.client.failovers")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aRefusedEndpointIsSkipped() throws Exception {
        InetSocketAddress dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        FakeReplica b = new FakeReplica("b").echoing();
        CohortClient client = client(t -> t, List.of(dead, b.address()));

        assertThat(client.execute(bytes("hello"))).asString(StandardCharsets.UTF_8).isEqualTo("hello");
        assertThat(client.currentEndpoint()).isEqualTo(b.address());
    }

    @Test
    void theClientComesBackToAReplicaThatWasDownWhenItIsTheOnlyOneLeft() throws Exception {
        FakeReplica a = new FakeReplica("a").answering(ResponseStatus.RETRY, "joining");
        FakeReplica b = new FakeReplica("b").answering(ResponseStatus.UNAVAILABLE, "no majority");
        CohortClient client = client(a, b);
        CompletableFuture<byte[]> f = client.submit(bytes("eventually"));
        // Both refuse for a while: the client cycles (with backoff) until one accepts.
        await().atMost(WAIT).until(() -> a.seen.size() >= 2 && b.seen.size() >= 2);
        a.echoing();
        assertThat(result(f)).isEqualTo("eventually");
        assertThat(a.seen.stream().map(ClientRequest::sequence).distinct().toList()).containsExactly(1L);
        assertThat(b.seen.stream().map(ClientRequest::sequence).distinct().toList()).containsExactly(1L);
    }

    @Test
    void sessionExpiredFailsTheRequestWithoutRetry() throws Exception {
        FakeReplica a = new FakeReplica("a").answering(ResponseStatus.SESSION_EXPIRED, "session 7 expired");
        FakeReplica b = new FakeReplica("b").echoing();
        CohortClient client = client(a, b);

        CohortClientException e = failure(client.submit(bytes("late")));
        assertThat(e.status()).isEqualTo(ResponseStatus.SESSION_EXPIRED);
        assertThat(e.getMessage()).isEqualTo("session 7 expired");

        // The client stayed where it was: the next request goes to the same replica.
        a.echoing();
        assertThat(result(client.submit(bytes("next")))).isEqualTo("next");
        assertThat(a.seen).extracting(ClientRequest::sequence).containsExactly(1L, 2L);
        assertThat(b.seen).isEmpty();
        assertThat(count("cohort.client.failovers")).isZero();
        assertThat(count("cohort.client.retries")).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = ResponseStatus.class, names = {"REJECTED", "APPLICATION_ERROR"})
    void otherFinalStatusesThrowFromTheBlockingCalls(ResponseStatus status) throws Exception {
        FakeReplica a = new FakeReplica("a").answering(status, "no such key");
        CohortClient client = client(a);
        assertThatThrownBy(() -> client.execute(bytes("cmd"))).isInstanceOfSatisfying(CohortClientException.class,
                e -> {
                    assertThat(e.status()).isEqualTo(status);
                    assertThat(e.getMessage()).isEqualTo("no such key");
                });
        assertThatThrownBy(() -> client.read(bytes("q"), ReadConsistency.STALE))
                .isInstanceOfSatisfying(CohortClientException.class, e -> assertThat(e.status()).isEqualTo(status));
        a.echoing();
        assertThat(client.read(bytes("q"), ReadConsistency.STALE)).asString(StandardCharsets.UTF_8).isEqualTo("q");
    }

    @Test
    void firstUnacknowledgedIsTheLowestOutstandingCommandAndQueriesDoNotHoldItBack() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        CohortClient client = client(a);
        var f1 = client.submit(bytes("c1"));
        var f2 = client.submit(bytes("c2"));
        var f3 = client.submit(bytes("c3"));
        await().atMost(WAIT).until(() -> a.seen.size() == 3);
        assertThat(a.seen).extracting(ClientRequest::firstUnacknowledged).containsExactly(1L, 1L, 1L);

        a.release(2);
        result(f2);
        var f4 = client.submit(bytes("c4"));
        await().atMost(WAIT).until(() -> a.seen.size() == 4);
        assertThat(a.request(4).firstUnacknowledged()).as("1 is still outstanding").isEqualTo(1);

        a.release(1);
        result(f1);
        var q5 = client.query(bytes("q5"), ReadConsistency.LINEARIZABLE);
        await().atMost(WAIT).until(() -> a.seen.size() == 5);
        assertThat(a.request(5).firstUnacknowledged()).isEqualTo(3);

        a.release(3);
        a.release(4);
        result(f3);
        result(f4);
        var f6 = client.submit(bytes("c6"));
        await().atMost(WAIT).until(() -> a.seen.size() == 6);
        assertThat(a.request(6).firstUnacknowledged()).as("query 5 is outstanding, but does not count").isEqualTo(6);

        var f7 = client.submit(bytes("c7"));
        await().atMost(WAIT).until(() -> a.seen.size() == 7);
        assertThat(a.request(7).firstUnacknowledged()).isEqualTo(6);
        a.release(5);
        a.release(6);
        a.release(7);
        assertThat(result(q5)).isEqualTo("q5");
        assertThat(result(f6)).isEqualTo("c6");
        assertThat(result(f7)).isEqualTo("c7");
        assertThat(a.seen).extracting(ClientRequest::clientId).containsOnly(client.clientId());
    }

    @Test
    void closeFailsWhatIsOutstandingAndWhatComesAfter() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        CohortClient client = client(a);
        var f1 = client.submit(bytes("c1"));
        var f2 = client.query(bytes("q2"), ReadConsistency.STALE);
        await().atMost(WAIT).until(() -> a.seen.size() == 2);

        client.close();
        assertThat(f1).isCompletedExceptionally();
        assertThat(f2).isCompletedExceptionally();
        assertThat(failure(f1).status()).isNull();
        assertThat(failure(f2).getMessage()).isEqualTo("client closed");
        assertThat(failure(client.submit(bytes("c3"))).getMessage()).isEqualTo("client closed");
        assertThatThrownBy(() -> client.execute(bytes("c4"))).isInstanceOf(CohortClientException.class);
    }

    @Test
    void aRequestFailsWhenTheOverallTimeoutElapses() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        CohortClient client = client(t -> t.overallTimeout(Duration.ofMillis(200)), List.of(a.address()));
        CohortClientException e = failure(client.submit(bytes("never")));
        assertThat(e.status()).isNull();
        assertThat(e.getMessage()).contains("timed out");
        // A late answer for the finished request is ignored; the client goes on.
        a.release(1);
        a.echoing();
        assertThat(result(client.submit(bytes("next")))).isEqualTo("next");
    }

    @Test
    void aRequestLargerThanTheFrameLimitIsRefusedAtOnce() {
        FakeReplica a = assertDoesNotThrow(() -> new FakeReplica("a"));
        CohortClient client = client(t -> t.maxFrameBytes(1024), List.of(a.address()));
        CohortClientException e = failure(client.submit(new byte[2048]));
        assertThat(e.status()).isEqualTo(ResponseStatus.REJECTED);
        assertThat(a.seen).isEmpty();
    }

    private static <T> T assertDoesNotThrow(java.util.concurrent.Callable<T> c) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(c::call);
    }

    @Test
    void callbacksRunOnTheCallbackThreadAndBlockingThereIsRefused() throws Exception {
        FakeReplica a = new FakeReplica("a").holding();
        CohortClient client = client(a);
        var f = client.submit(bytes("c1"));
        CompletableFuture<String> thread = f.thenApply(x -> Thread.currentThread().getName());
        CompletableFuture<Throwable> nested = f.handle((x, err) -> {
            try {
                client.execute(bytes("nested"));
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        });
        await().atMost(WAIT).until(() -> a.seen.size() == 1);
        a.release(1);
        assertThat(thread.get(5, TimeUnit.SECONDS)).isEqualTo("cohort-client-callbacks");
        assertThat(nested.get(5, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentSubmittersGetDistinctSequencesAndAllAnswers() throws Exception {
        FakeReplica a = new FakeReplica("a").echoing();
        CohortClient client = client(a);
        int threads = 8;
        int each = 50;
        List<CompletableFuture<byte[]>> futures = new CopyOnWriteArrayList<>();
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    futures.add(i % 5 == 0 ? client.query(bytes(id + ":" + i), ReadConsistency.STALE)
                            : client.submit(bytes(id + ":" + i)));
                }
            });
            submitters.add(th);
            th.start();
        }
        for (Thread th : submitters) {
            th.join(5_000);
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(a.seen).hasSize(threads * each);
        assertThat(a.seen).extracting(ClientRequest::sequence).doesNotHaveDuplicates()
                .allMatch(s -> s >= 1 && s <= threads * each);
        assertThat(a.seen).allMatch(r -> r.firstUnacknowledged() <= r.sequence());
    }
}
