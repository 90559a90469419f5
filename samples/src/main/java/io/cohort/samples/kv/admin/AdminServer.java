package io.cohort.samples.kv.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint of a key-value replica: health, view and Prometheus metrics.
 *
 * <ul>
 *   <li>{@code GET /health}: 200 {@code {"status":"UP","viewId":..,"role":..,"lag":..}} when the
 *       replica is {@linkplain ReplicaStatus#healthy() healthy}, otherwise 503
 *       {@code {"status":"DOWN","reason":".."}} saying why in words.</li>
 *   <li>{@code GET /view}: 200 with the whole {@link ReplicaStatus} as JSON.</li>
 *   <li>{@code GET /metrics}: 200 with the registry's Prometheus text.</li>
 * </ul>
 *
 * <p>{@code HEAD} on these answers the headers only; other methods get 405 with {@code Allow: GET, HEAD};
 * other paths get 404. If the status supplier throws, the request gets a 500 with a JSON error and
 * the server carries on. Every answer is counted in the counter {@value #REQUESTS_METER}, tagged with
 * {@code endpoint} ({@code health}, {@code view}, {@code metrics} or {@code other}) and {@code status}
 * (the HTTP code).
 *
 * <p>Requests run on two daemon threads of its own, named {@code cohort-admin-<n>}, so a slow scrape
 * or a stuck status supplier never holds up the replication protocol, and a busy protocol never
 * starves the health check. The status supplier is therefore called from those threads and must be
 * safe to call from any thread. The JDK server's own dispatcher thread is not a daemon:
 * {@linkplain #close() close} the server when the replica stops.
 */
public final class AdminServer implements AutoCloseable {

    /** The name of the request counter registered in the self-metrics registry. */
    public static final String REQUESTS_METER = "cohort.kv.admin.requests";

    /** The Prometheus text exposition format that {@link PrometheusMeterRegistry#scrape()} writes. */
    static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String JSON_CONTENT_TYPE = "application/json; charset=utf-8";
    static final String TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
    static final String ALLOWED_METHODS = "GET, HEAD";

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int THREADS = 2;
    /** Process-wide, so the servers of several replicas in one JVM (the local cluster) get distinct thread names. */
    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();
    /** How long {@link #close()} waits for a request in progress: only long enough for a well-behaved one. */
    private static final long CLOSE_WAIT_MILLIS = 1_000;
    private static final String NOT_FOUND_BODY =
            "not found; endpoints: GET /health, GET /view, GET /metrics (HEAD also allowed)\n";

    /** The paths served; {@code OTHER} is everything else, so the counter's tags stay bounded. */
    private enum Endpoint {
        HEALTH("/health"), VIEW("/view"), METRICS("/metrics"), OTHER(null);

        private final String path;
        private final String tag;

        Endpoint(String path) {
            this.path = path;
            this.tag = name().toLowerCase(Locale.ROOT);
        }

        /** Exact match: {@code HttpServer} contexts match by prefix, which would serve {@code /healthz}. */
        static Endpoint of(String path) {
            for (Endpoint endpoint : values()) {
                if (endpoint.path != null && endpoint.path.equals(path)) {
                    return endpoint;
                }
            }
            return OTHER;
        }
    }

    /** One answer, built completely before anything is sent, so a failure can still become a 500. */
    private record Response(int status, String contentType, byte[] body, boolean allowHeader) {
        static Response json(int status, ObjectNode node) {
            try {
                return new Response(status, JSON_CONTENT_TYPE, bytes(JSON.writeValueAsString(node)), false);
            } catch (JsonProcessingException e) {
                // Only strings, numbers and booleans go in, so this would be a Jackson bug.
                throw new IllegalStateException("cannot write JSON", e);
            }
        }

        static Response text(int status, String contentType, String body) {
            return new Response(status, contentType, bytes(body), false);
        }

        private static byte[] bytes(String body) {
            return (body.endsWith("\n") ? body : body + "\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Supplier<ReplicaStatus> status;
    private final PrometheusMeterRegistry registry;
    private final MeterRegistry selfMetrics;
    /** Counters by endpoint and status, so a request does not rebuild the meter id. */
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private AdminServer(HttpServer server, ExecutorService executor, Supplier<ReplicaStatus> status,
                        PrometheusMeterRegistry registry, MeterRegistry selfMetrics) {
        this.server = server;
        this.executor = executor;
        this.status = status;
        this.registry = registry;
        this.selfMetrics = selfMetrics;
    }

    /**
     * Binds and starts an admin server.
     *
     * @param host        the address to listen on, e.g. {@code "127.0.0.1"} or {@code "0.0.0.0"}
     * @param port        the port, or 0 for a free one (see {@link #address()})
     * @param status      reads the replica's status; called on an admin thread for every
     *                    {@code /health} and {@code /view} request, so it must be thread-safe and quick
     * @param registry    the registry {@code GET /metrics} scrapes
     * @param selfMetrics where the admin server counts its requests; may be {@code registry} itself
     * @return the running server
     * @throws UncheckedIOException if the address cannot be bound (e.g. the port is in use)
     */
    public static AdminServer start(String host, int port, Supplier<ReplicaStatus> status,
                                    PrometheusMeterRegistry registry, MeterRegistry selfMetrics) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(selfMetrics, "selfMetrics");
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the admin server to " + host + ":" + port, e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread thread = new Thread(runnable, "cohort-admin-" + THREAD_NUMBER.incrementAndGet());
            // Daemon: a forgotten admin server's workers must not keep the replica's JVM alive.
            thread.setDaemon(true);
            return thread;
        });
        AdminServer admin = new AdminServer(server, executor, status, registry, selfMetrics);
        // One root context dispatching on the exact path, so unknown paths get our 404 rather than the JDK's.
        server.createContext("/", admin::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("Admin HTTP server listening on {}", admin.address());
        return admin;
    }

    /** @return the address the server is bound to, with the actual port when 0 was asked for */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /**
     * Stops the server at once, dropping any open connection, and shuts down its threads. Later calls
     * do nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // 0: a health probe or scrape can simply be retried, so there is nothing worth waiting for.
        server.stop(0);
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("Admin HTTP threads still busy after close (a status supplier ignoring interrupts?)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Answers one request; never throws, so the JDK server never has to cope with a failed handler. */
    private void handle(HttpExchange exchange) {
        try (exchange) {
            String method = exchange.getRequestMethod();
            Endpoint endpoint = Endpoint.of(exchange.getRequestURI().getPath());
            Response response;
            try {
                response = respond(endpoint, method);
            } catch (Exception e) {
                LOG.warn("Admin request {} {} failed", method, exchange.getRequestURI(), e);
                response = error(endpoint, e);
            }
            // Counted before sending, so a client that has its answer also sees it counted.
            count(endpoint, response.status());
            send(exchange, method, response);
        } catch (IOException e) {
            // The client went away mid-answer: its problem, not the server's.
            LOG.debug("Admin response not sent: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.warn("Admin request handling failed", e);
        }
    }

    private Response respond(Endpoint endpoint, String method) {
        if (endpoint == Endpoint.OTHER) {
            return Response.text(404, TEXT_CONTENT_TYPE, NOT_FOUND_BODY);
        }
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return new Response(405, TEXT_CONTENT_TYPE,
                    Response.bytes("method " + method + " not allowed; allowed: " + ALLOWED_METHODS), true);
        }
        return switch (endpoint) {
            case HEALTH -> health(readStatus());
            case VIEW -> view(readStatus());
            case METRICS -> Response.text(200, PROMETHEUS_CONTENT_TYPE, registry.scrape());
            case OTHER -> throw new AssertionError("handled above");
        };
    }

    private ReplicaStatus readStatus() {
        ReplicaStatus current = status.get();
        if (current == null) {
            throw new IllegalStateException("the status supplier returned null");
        }
        return current;
    }

    private static Response health(ReplicaStatus status) {
        ObjectNode node = JSON.createObjectNode();
        if (status.healthy()) {
            node.put("status", "UP");
            node.put("viewId", status.viewId());
            node.put("role", status.role());
            node.put("lag", status.lag());
            return Response.json(200, node);
        }
        node.put("status", "DOWN");
        node.put("reason", unhealthyReason(status));
        // 503 rather than 200-with-DOWN: load balancers and Kubernetes probes read only the code.
        return Response.json(503, node);
    }

    /**
     * Why a replica is not healthy, in words for an operator; not being in the primary view comes
     * first, because the lag means little outside it.
     */
    static String unhealthyReason(ReplicaStatus status) {
        if (status.viewId() <= 0) {
            return "not in the primary view (no view installed)";
        }
        if (status.members().stream().noneMatch(ReplicaStatus.ViewMember::self)) {
            return "not in the primary view (view " + status.viewId() + " does not include this member)";
        }
        if (!status.inPrimaryView()) {
            return "not in the primary view (role " + status.role() + " in view " + status.viewId() + ")";
        }
        if (status.lag() > status.maxHealthyLag()) {
            return "lag " + status.lag() + " entries exceeds maxHealthyLag " + status.maxHealthyLag();
        }
        return "unhealthy";
    }

    private static Response view(ReplicaStatus status) {
        ObjectNode node = JSON.createObjectNode();
        node.put("cluster", status.cluster());
        node.put("member", status.member());
        node.put("incarnation", status.incarnation());
        node.put("viewId", status.viewId());
        ArrayNode members = node.putArray("members");
        for (ReplicaStatus.ViewMember member : status.members()) {
            members.addObject()
                    .put("name", member.name())
                    .put("incarnation", member.incarnation())
                    .put("rank", member.rank())
                    .put("role", member.role())
                    .put("self", member.self());
        }
        node.put("role", status.role());
        node.put("appliedIndex", status.appliedIndex());
        node.put("logSequence", status.logSequence());
        node.put("groupLogSequence", status.groupLogSequence());
        node.put("lag", status.lag());
        node.put("maxHealthyLag", status.maxHealthyLag());
        node.put("healthy", status.healthy());
        node.put("inPrimaryView", status.inPrimaryView());
        try {
            // Pretty: this one is read by people with curl more than by programs.
            String body = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
            return Response.text(200, JSON_CONTENT_TYPE, body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static Response error(Endpoint endpoint, Exception e) {
        ObjectNode node = JSON.createObjectNode();
        node.put("status", "ERROR");
        node.put("error", endpoint == Endpoint.METRICS ? "cannot scrape the metrics" : "cannot read the replica status");
        node.put("exception", e.toString());
        return Response.json(500, node);
    }

    private void count(Endpoint endpoint, int code) {
        String status = Integer.toString(code);
        counters.computeIfAbsent(endpoint.tag + ' ' + status, key -> Counter.builder(REQUESTS_METER)
                        .description("Admin HTTP requests answered, by endpoint and HTTP status")
                        .tag("endpoint", endpoint.tag)
                        .tag("status", status)
                        .register(selfMetrics))
                .increment();
    }

    private static void send(HttpExchange exchange, String method, Response response) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", response.contentType());
        headers.set("Cache-Control", "no-store");
        if (response.allowHeader()) {
            headers.set("Allow", ALLOWED_METHODS);
        }
        if ("HEAD".equals(method)) {
            // The JDK server wants -1 for HEAD and the length set by hand; it is what GET would send.
            headers.set("Content-Length", Integer.toString(response.body().length));
            exchange.sendResponseHeaders(response.status(), -1);
            return;
        }
        exchange.sendResponseHeaders(response.status(), response.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(response.body());
        }
    }
}
