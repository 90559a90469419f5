package io.cohort.samples.kv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A {@link RespServer} on a loopback port in front of a {@link FakeKvService}, with its meters in
 * a {@link SimpleMeterRegistry}; a fresh one for every test. Clients are raw sockets.
 */
abstract class RespServerTestBase {

    /** Bound of {@link #await}: a guard against a hang, not a timing assertion. */
    static final long AWAIT_MILLIS = 10_000;

    protected FakeKvService fake;
    protected SimpleMeterRegistry registry;
    protected RespServer server;
    private final List<RespTestClient> clients = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        startServer(b -> b);
    }

    /** (Re)starts the server, with a new fake and registry, configured by {@code options}. */
    protected void startServer(UnaryOperator<RespServer.Builder> options) throws IOException {
        stopServer();
        fake = new FakeKvService();
        registry = new SimpleMeterRegistry();
        server = options.apply(RespServer.builder("test", fake).host("127.0.0.1").port(0).meterRegistry(registry))
                .build();
    }

    @AfterEach
    void stopServer() throws IOException {
        for (RespTestClient c : clients) {
            c.close();
        }
        clients.clear();
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** @return a new connection to the server, closed after the test */
    protected RespTestClient connect() throws IOException {
        RespTestClient c = new RespTestClient(server.localAddress());
        clients.add(c);
        return c;
    }

    /** @return a new connection that has been served once (PING), so the server surely counts it */
    protected RespTestClient connectAndPing() throws IOException {
        RespTestClient c = connect();
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        return c;
    }

    /**
     * Waits until a condition holds, polling it; fails after {@link #AWAIT_MILLIS} (a hang guard:
     * no test relies on how long anything takes).
     */
    protected static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("still not true after " + AWAIT_MILLIS + " ms: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** @return the count of the counter {@code name} with the tag {@code key=value} */
    protected double count(String name, String key, String value) {
        Counter c = registry.find(name).tag(key, value).counter();
        assertThat(c).as(name + "{" + key + "=" + value + "}").isNotNull();
        return c.count();
    }

    protected double errors(String kind) {
        return count("cohort.kv.resp.errors", "kind", kind);
    }

    protected double closed(String reason) {
        return count("cohort.kv.resp.connections.closed", "reason", reason);
    }

    protected double closedTotal() {
        return registry.find("cohort.kv.resp.connections.closed").counters().stream().mapToDouble(Counter::count)
                .sum();
    }

    protected double requests(String route) {
        return count("cohort.kv.resp.requests", "route", route);
    }

    /** Waits until the server has exactly {@code n} open connections. */
    protected void awaitConnections(int n) {
        await("the server has " + n + " open connections (has " + server.connectionCount() + ")",
                () -> server.connectionCount() == n);
    }

    /** Checks that a connection works: PING, and a SET then GET of a key of its own. */
    protected static void assertServes(RespTestClient c, String key) throws IOException {
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        assertThat(c.call("SET", key, "served")).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", key)).isEqualTo("$6\r\nserved\r\n");
    }
}
