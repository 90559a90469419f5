package io.cohort.samples.kv.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin endpoints over real HTTP on a loopback port. */
class AdminServerTest {

    /**
     * Only a guard against a hung server failing the build by timeout instead of hanging it; nothing
     * asserts on how long a request takes.
     */
    private static final Duration GUARD = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(GUARD).build();

    /** Three members, this one the primary at rank 0, three entries behind with 1000 allowed. */
    private static final ReplicaStatus HEALTHY = new ReplicaStatus("kv-test", "a", 3, 7,
            List.of(new ReplicaStatus.ViewMember("a", 3, 0, "primary", true),
                    new ReplicaStatus.ViewMember("b", 5, 1, "backup", false),
                    new ReplicaStatus.ViewMember("c", 2, 2, "backup", false)),
            "primary", 120, 125, 128, 1000);

    private final AtomicReference<Supplier<ReplicaStatus>> status = new AtomicReference<>(() -> HEALTHY);
    private PrometheusMeters meters;
    private MeterRegistry selfMetrics;
    private AdminServer server;

    @BeforeEach
    void start() {
        meters = new PrometheusMeters();
        selfMetrics = new SimpleMeterRegistry();
        server = AdminServer.start("127.0.0.1", 0, () -> status.get().get(), meters.registry(), selfMetrics);
    }

    @AfterEach
    void stop() {
        server.close();
        meters.close();
    }

    @Test
    void healthIsUpWithViewRoleAndLagWhenHealthy() throws Exception {
        HttpResponse<String> response = get("/health");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("status").asText()).isEqualTo("UP");
        assertThat(body.get("viewId").asLong()).isEqualTo(7);
        assertThat(body.get("role").asText()).isEqualTo("primary");
        assertThat(body.get("lag").asLong()).isEqualTo(3);
    }

    @Test
    void healthIsUpWhenTheLagIsExactlyTheLimit() throws Exception {
        status.set(() -> withLog(HEALTHY, 1000, 2000, 1000));

        HttpResponse<String> response = get("/health");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("lag").asLong()).isEqualTo(1000);
    }

    @Test
    void healthIsDownOutsideTheView() throws Exception {
        status.set(() -> new ReplicaStatus("kv-test", "a", 3, 0, List.of(), "none", 120, 125, 125, 1000));

        HttpResponse<String> response = get("/health");

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("status").asText()).isEqualTo("DOWN");
        assertThat(body.get("reason").asText()).isEqualTo("not in the primary view (no view installed)");
    }

    @Test
    void healthIsDownInAViewThatLeavesThisMemberOut() throws Exception {
        status.set(() -> new ReplicaStatus("kv-test", "a", 3, 8,
                List.of(new ReplicaStatus.ViewMember("b", 5, 0, "primary", false)), "none", 120, 125, 125, 1000));

        HttpResponse<String> response = get("/health");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(response.body()).get("reason").asText())
                .isEqualTo("not in the primary view (view 8 does not include this member)");
    }

    @Test
    void healthIsDownWhenTheLagExceedsTheLimit() throws Exception {
        status.set(() -> withLog(HEALTHY, 1000, 2234, 1000));

        HttpResponse<String> response = get("/health");

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("status").asText()).isEqualTo("DOWN");
        assertThat(body.get("reason").asText()).isEqualTo("lag 1234 entries exceeds maxHealthyLag 1000");
    }

    @Test
    void viewHasEveryFieldOfTheStatus() throws Exception {
        HttpResponse<String> response = get("/view");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        JsonNode body = JSON.readTree(response.body());
        assertThat(fieldNames(body)).containsExactly("cluster", "member", "incarnation", "viewId", "members",
                "role", "appliedIndex", "logSequence", "groupLogSequence", "lag", "maxHealthyLag", "healthy",
                "inPrimaryView");
        assertThat(body.get("cluster").asText()).isEqualTo(HEALTHY.cluster());
        assertThat(body.get("member").asText()).isEqualTo(HEALTHY.member());
        assertThat(body.get("incarnation").asLong()).isEqualTo(HEALTHY.incarnation());
        assertThat(body.get("viewId").asLong()).isEqualTo(HEALTHY.viewId());
        assertThat(body.get("role").asText()).isEqualTo(HEALTHY.role());
        assertThat(body.get("appliedIndex").asLong()).isEqualTo(HEALTHY.appliedIndex());
        assertThat(body.get("logSequence").asLong()).isEqualTo(HEALTHY.logSequence());
        assertThat(body.get("groupLogSequence").asLong()).isEqualTo(HEALTHY.groupLogSequence());
        assertThat(body.get("lag").asLong()).isEqualTo(HEALTHY.lag());
        assertThat(body.get("maxHealthyLag").asLong()).isEqualTo(HEALTHY.maxHealthyLag());
        assertThat(body.get("healthy").isBoolean()).isTrue();
        assertThat(body.get("healthy").asBoolean()).isEqualTo(HEALTHY.healthy());
        assertThat(body.get("inPrimaryView").asBoolean()).isEqualTo(HEALTHY.inPrimaryView());

        JsonNode members = body.get("members");
        assertThat(members.isArray()).isTrue();
        List<ReplicaStatus.ViewMember> parsed = new ArrayList<>();
        for (JsonNode member : members) {
            assertThat(fieldNames(member)).containsExactly("name", "incarnation", "rank", "role", "self");
            parsed.add(new ReplicaStatus.ViewMember(member.get("name").asText(), member.get("incarnation").asLong(),
                    member.get("rank").asInt(), member.get("role").asText(), member.get("self").asBoolean()));
        }
        assertThat(parsed).isEqualTo(HEALTHY.members());
    }

    @Test
    void viewOfAnUnhealthyReplicaSaysSo() throws Exception {
        status.set(() -> withLog(HEALTHY, 1000, 2234, 1000));

        JsonNode body = JSON.readTree(get("/view").body());

        // /view answers 200 whatever the health: it describes, /health judges.
        assertThat(body.get("lag").asLong()).isEqualTo(1234);
        assertThat(body.get("healthy").asBoolean()).isFalse();
        assertThat(body.get("inPrimaryView").asBoolean()).isTrue();
    }

    @Test
    void metricsHaveJvmProcessAndOwnMeters() throws Exception {
        Counter.builder("cohort.test.things").register(meters.registry()).increment(42);

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body())
                .contains("jvm_memory_used_bytes{")
                .contains("process_cpu_usage")
                .containsPattern("(?m)^cohort_test_things_total 42(\\.0)?$");
    }

    @Test
    void metricsIncludeTheRequestCounterWhenCountedInTheScrapedRegistry() throws Exception {
        // The usual wiring: one registry both scraped and counting the admin requests.
        try (AdminServer shared = AdminServer.start("127.0.0.1", 0, () -> HEALTHY, meters.registry(),
                meters.registry())) {
            assertThat(get(shared, "/health").statusCode()).isEqualTo(200);
            assertThat(get(shared, "/health").statusCode()).isEqualTo(200);

            String scrape = get(shared, "/metrics").body();

            assertThat(scrape).containsPattern(
                    "(?m)^cohort_kv_admin_requests_total\\{endpoint=\"health\",status=\"200\"} 2(\\.0)?$");
        }
    }

    @Test
    void headAnswersHeadersOnly() throws Exception {
        int getLength = get("/health").body().getBytes(StandardCharsets.UTF_8).length;

        HttpResponse<String> response = send("/health", "HEAD");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(getLength);
        assertThat(send("/metrics", "HEAD").statusCode()).isEqualTo(200);
        assertThat(send("/view", "HEAD").statusCode()).isEqualTo(200);
    }

    @Test
    void unknownPathIsNotFoundAndListsTheEndpoints() throws Exception {
        for (String path : List.of("/nope", "/", "/healthz", "/health/x")) {
            HttpResponse<String> response = get(path);

            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.body()).as(path).contains("/health", "/view", "/metrics");
        }
    }

    @Test
    void otherMethodsAreNotAllowed() throws Exception {
        for (String path : List.of("/health", "/view", "/metrics")) {
            for (String method : List.of("POST", "PUT", "DELETE")) {
                HttpResponse<String> response = send(path, method);

                assertThat(response.statusCode()).as(method + " " + path).isEqualTo(405);
                assertThat(response.headers().firstValue("Allow")).as(method + " " + path).hasValue("GET, HEAD");
            }
        }
    }

    @Test
    void failingStatusSupplierGives500AndTheServerCarriesOn() throws Exception {
        status.set(() -> {
            throw new IllegalStateException("replica is shutting down");
        });

        HttpResponse<String> health = get("/health");
        HttpResponse<String> view = get("/view");

        assertThat(health.statusCode()).isEqualTo(500);
        assertThat(view.statusCode()).isEqualTo(500);
        JsonNode body = JSON.readTree(health.body());
        assertThat(body.get("status").asText()).isEqualTo("ERROR");
        assertThat(body.get("exception").asText()).contains("replica is shutting down");

        status.set(() -> HEALTHY);
        assertThat(get("/health").statusCode()).isEqualTo(200);
        assertThat(get("/view").statusCode()).isEqualTo(200);
    }

    @Test
    void nullStatusGives500() throws Exception {
        status.set(() -> null);

        assertThat(get("/health").statusCode()).isEqualTo(500);
    }

    @Test
    void requestsAreCountedByEndpointAndStatus() throws Exception {
        get("/health");
        get("/health");
        send("/health", "HEAD");
        get("/view");
        get("/metrics");
        get("/nope");
        send("/health", "POST");
        status.set(() -> withLog(HEALTHY, 1000, 2234, 1000));
        get("/health");
        status.set(() -> {
            throw new IllegalStateException("boom");
        });
        get("/view");

        Map<String, Double> counts = new HashMap<>();
        for (Counter counter : selfMetrics.find(AdminServer.REQUESTS_METER).counters()) {
            assertThat(counter.getId().getTags()).extracting(t -> t.getKey()).containsExactly("endpoint", "status");
            counts.put(counter.getId().getTag("endpoint") + " " + counter.getId().getTag("status"), counter.count());
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of(
                "health 200", 3.0,
                "view 200", 1.0,
                "metrics 200", 1.0,
                "other 404", 1.0,
                "health 405", 1.0,
                "health 503", 1.0,
                "view 500", 1.0));
    }

    @Test
    void requestsRunOnTheAdminDaemonThreads() throws Exception {
        AtomicReference<Thread> caller = new AtomicReference<>();
        status.set(() -> {
            caller.set(Thread.currentThread());
            return HEALTHY;
        });

        assertThat(get("/health").statusCode()).isEqualTo(200);

        assertThat(caller.get().getName()).matches("cohort-admin-\\d+");
        assertThat(caller.get().isDaemon()).isTrue();
    }

    @Test
    void closeStopsTheServerAndItsThreads() throws Exception {
        AtomicReference<Thread> caller = new AtomicReference<>();
        status.set(() -> {
            caller.set(Thread.currentThread());
            return HEALTHY;
        });
        assertThat(get("/health").statusCode()).isEqualTo(200);

        server.close();
        server.close();

        assertThatThrownBy(() -> get("/health")).isInstanceOf(IOException.class);
        // join waits only as long as needed; the bound just keeps a failure from hanging the build.
        caller.get().join(GUARD.toMillis());
        assertThat(caller.get().isAlive()).isFalse();
    }

    @Test
    void portZeroBindsAFreePort() {
        assertThat(server.address().getPort()).isPositive();
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
    }

    private static ReplicaStatus withLog(ReplicaStatus base, long logSequence, long groupLogSequence,
                                         long maxHealthyLag) {
        return new ReplicaStatus(base.cluster(), base.member(), base.incarnation(), base.viewId(), base.members(),
                base.role(), base.appliedIndex(), logSequence, groupLogSequence, maxHealthyLag);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(server, path);
    }

    private static HttpResponse<String> get(AdminServer target, String path) throws IOException, InterruptedException {
        return send(target, path, "GET");
    }

    private HttpResponse<String> send(String path, String method) throws IOException, InterruptedException {
        return send(server, path, method);
    }

    private static HttpResponse<String> send(AdminServer target, String path, String method)
            throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + target.address().getPort() + path);
        HttpRequest.BodyPublisher body = "GET".equals(method) || "HEAD".equals(method) || "DELETE".equals(method)
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString("{}");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(GUARD).method(method, body).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
