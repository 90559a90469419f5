package io.cohort.integration.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;

/**
 * Redis's own command-line tools, unmodified, against a three-replica cluster: {@code redis-cli}
 * writes at one replica and reads at another, and {@code redis-benchmark -t set,get,incr,mset -n
 * 10000 -q} gets every request answered without an error.
 *
 * <p>The tools come from the Debian package {@code redis-tools}, which {@code .ci/run} installs.
 * On a machine without them the tests are skipped, unless the environment variable
 * {@code COHORT_REQUIRE_REDIS_TOOLS} is {@code 1} (as in CI), when a missing tool fails them.
 */
@ExtendWith(KvCluster.LogsOnFailure.class)
class KvRedisToolsTest {

    /** Hang guard for one tool run. */
    private static final long TOOL_TIMEOUT_SECONDS = 300;
    private static final Pattern REQUESTS_PER_SECOND = Pattern.compile("^([A-Z]+).*: ([0-9.]+) requests per second");

    private static KvCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        requireTool("redis-cli");
        requireTool("redis-benchmark");
        cluster = KvCluster.start(KvRedisToolsTest.class.getSimpleName(), 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void redisCliWritesAtOneReplicaAndReadsAtAnother() throws Exception {
        int first = cluster.replica(0).redis().getPort();
        int second = cluster.replica(1).redis().getPort();
        assertThat(run("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(first), "SET", "tools:k", "v").stdout())
                .isEqualTo("OK\n");
        assertThat(run("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(second), "GET", "tools:k").stdout())
                .isEqualTo("v\n");
        assertThat(run("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(second), "PING").stdout())
                .isEqualTo("PONG\n");
        String info = run("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(second), "INFO", "replication").stdout();
        var fields = KvCluster.parseInfo(info.replace("\r\n", "\n").replace("\n", "\r\n"));
        assertThat(fields).containsEntry("role", "master").containsKey("cohort_view_id");
        assertThat(fields.get("cohort_members").split(",")).containsExactlyInAnyOrder(
                cluster.replicas().stream().map(KvCluster.Replica::name).toArray(String[]::new));
        // redis-cli's own error display for an unknown command, through the exit code and the text.
        ToolRun unknown = run("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(second), "NOSUCH", "x");
        assertThat(unknown.stdout()).startsWith("ERR unknown command 'NOSUCH'");
    }

    @Test
    void redisBenchmarkGetsEveryRequestAnsweredWithoutErrors() throws Exception {
        KvCluster.Replica target = cluster.replica(2);
        ToolRun bench = run("redis-benchmark", "-h", "127.0.0.1", "-p", String.valueOf(target.redis().getPort()),
                "-t", "set,get,incr,mset", "-n", "10000", "-q");
        assertThat(bench.exitCode()).as(bench.describe()).isZero();
        List<String> results = new ArrayList<>();
        for (String line : bench.stdout().split("[\r\n]+")) {
            Matcher m = REQUESTS_PER_SECOND.matcher(line.trim());
            if (m.find()) {
                results.add(m.group(1));
                assertThat(Double.parseDouble(m.group(2))).as(line).isPositive();
            }
        }
        // redis-benchmark prints a test's line only once all its requests are answered.
        assertThat(results).as(bench.describe()).containsExactly("SET", "GET", "INCR", "MSET");
        assertThat(bench.stdout() + bench.stderr()).as(bench.describe())
                .doesNotContainIgnoringCase("error").doesNotContain("WARNING");
        // The INCR test increments one key (no -r): every increment was applied exactly once,
        // and every replica agrees.
        for (KvCluster.Replica r : cluster.replicas()) {
            try (Jedis j = r.jedis()) {
                assertThat(j.get("counter:__rand_int__")).as("at " + r.name()).isEqualTo("10000");
            }
        }
        // The replica counted no error reply.
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(target.adminUrl()
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("cohort_kv_resp_requests_total");
        assertThat(Arrays.stream(metrics.split("\n")).filter(l -> l.startsWith("cohort_kv_resp_errors_total")))
                .isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(" 0.0"));
    }

    private record ToolRun(List<String> command, int exitCode, String stdout, String stderr) {
        String describe() {
            return String.join(" ", command) + " exited " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    private static ToolRun run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = readAll(p.getInputStream());
        CompletableFuture<String> err = readAll(p.getErrorStream());
        if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + TOOL_TIMEOUT_SECONDS
                    + " s; partial output: " + out.getNow(""));
        }
        return new ToolRun(List.of(command), p.exitValue(), out.join(), err.join());
    }

    private static CompletableFuture<String> readAll(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
    }

    /** Skips the class on a machine without the tool, unless CI asks for it (then a missing tool fails). */
    private static void requireTool(String tool) {
        boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
        if ("1".equals(System.getenv("COHORT_REQUIRE_REDIS_TOOLS"))) {
            assertThat(found).as(tool + " is required (COHORT_REQUIRE_REDIS_TOOLS=1) but is not on the PATH; "
                    + "install the Debian package redis-tools").isTrue();
        }
        assumeThat(found).as(tool + " is not installed (Debian package redis-tools)").isTrue();
    }
}
