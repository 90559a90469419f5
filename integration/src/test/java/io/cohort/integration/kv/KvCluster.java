package io.cohort.integration.kv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.integration.harness.ChildJvm;
import io.cohort.integration.harness.ChildProcess;
import io.cohort.integration.harness.ClusterHarness;
import io.cohort.recovery.fs.DurableFiles;
import io.cohort.samples.kv.server.KvReplicaMain;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestWatcher;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A cluster of key-value replicas ({@link KvReplicaMain}), each in its own child JVM on
 * 127.0.0.1, for tests that drive it with a real Redis client.
 *
 * <p>Files go to {@code <cohort.integration.dir>/kv/<run name>/}: per replica its configuration
 * {@code <name>.yaml}, its data directory {@code data/<name>}, and per process (a restart is a new
 * process, {@code <name>-<generation>}) its stderr in {@code <name>-<generation>.log} and its
 * stdout in {@code <name>-<generation>.out}. The directory is emptied when the cluster is created.
 *
 * <p>Every wait waits for an event (the replica's {@code READY} line, or a condition polled on the
 * admin endpoint); the timeouts only guard against hangs.
 */
public final class KvCluster implements AutoCloseable {

    /** Hang guard for a replica's READY line and for the group to settle. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    /** Longer than the replicas' request timeout (10 s), so a request waiting out a view change is not cut off. */
    private static final int SOCKET_TIMEOUT_MILLIS = 20_000;

    private static final JedisClientConfig CLIENT_CONFIG = DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(5_000)
            .socketTimeoutMillis(SOCKET_TIMEOUT_MILLIS)
            .build();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One replica: fixed name, ports, configuration and data across restarts. */
    public final class Replica {
        private final String name;
        private final int groupPort;
        private final int redisPort;
        private final int adminPort;
        private final Path config;
        private final Path dataDir;
        private ChildProcess process;
        private int generation;

        private Replica(String name, int groupPort, int redisPort, int adminPort) {
            this.name = name;
            this.groupPort = groupPort;
            this.redisPort = redisPort;
            this.adminPort = adminPort;
            this.config = dir.resolve(name + ".yaml");
            this.dataDir = dir.resolve("data").resolve(name);
        }

        /** @return the member name */
        public String name() {
            return name;
        }

        /** @return the Redis protocol address */
        public HostAndPort redis() {
            return new HostAndPort("127.0.0.1", redisPort);
        }

        /** @return the admin HTTP base address, e.g. {@code http://127.0.0.1:8401} */
        public URI adminUrl() {
            return URI.create("http://127.0.0.1:" + adminPort);
        }

        /** @return the replica's data directory */
        public Path dataDir() {
            return dataDir;
        }

        /** @return the current (latest) process */
        public ChildProcess process() {
            return process;
        }

        /** @return whether its current process is running */
        public boolean isAlive() {
            return process != null && process.isAlive();
        }

        /**
         * @return a new client connected to this replica (the caller closes it)
         */
        public Jedis jedis() {
            return new Jedis(redis(), CLIENT_CONFIG);
        }

        /**
         * Reads {@code GET /view} from the admin endpoint.
         *
         * @return the replica's status as JSON
         */
        public JsonNode view() {
            HttpRequest request = HttpRequest.newBuilder(adminUrl().resolve("/view")).timeout(Duration.ofSeconds(5))
                    .GET().build();
            try {
                HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(name + " /view answered " + response.statusCode() + ": "
                            + response.body());
                }
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(name + " /view failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        private void launch() throws IOException {
            generation++;
            List<String> command = new ArrayList<>(ChildJvm.command(KvReplicaMain.class, Map.of()));
            command.addAll(List.of("--config", config.toString(), "--exit-on-stdin-eof"));
            process = new ChildProcess(name + "-" + generation, command, dir);
        }

        private void awaitReady() {
            String line = process.await(0, l -> l.startsWith(KvReplicaMain.READY + " "), WAIT).line();
            // The replica reports where it listens: it must be where its configuration says.
            if (!line.contains(" redis=127.0.0.1:" + redisPort + " ") || !line.contains(" admin=" + adminUrl() + " ")) {
                throw new AssertionError(name + " is not listening where configured: " + line);
            }
        }

        /**
         * Kills the replica's JVM with SIGKILL ({@link Process#destroyForcibly()}) and waits for it to be gone.
         */
        public void kill9() {
            process.kill9();
        }

        /**
         * Starts a new process for this replica, from the same configuration and data directory,
         * and waits for its READY line. The previous process must be gone.
         *
         * @throws IOException if it cannot start
         */
        public void restart() throws IOException {
            if (isAlive()) {
                throw new IllegalStateException(process.describe() + " is still running");
            }
            launch();
            awaitReady();
        }

        /** @return a description for failure messages */
        public String describe() {
            return process == null ? name + " (not started)" : process.describe();
        }

        private String yaml(String seeds) {
            return """
                    group:
                      clusterName: %1$s
                      memberName: %2$s
                      bindHost: 127.0.0.1
                      bindPort: %3$d
                      seeds: [%4$s]
                      dataDir: "%5$s"
                      heartbeatIntervalMillis: 100
                      suspectTimeoutMillis: 2000
                      bootstrapTimeoutMillis: 1500
                      joinRetryMillis: 200
                    redis:
                      host: 127.0.0.1
                      port: %6$d
                    admin:
                      host: 127.0.0.1
                      port: %7$d
                    storage:
                      durability: LOG
                    """.formatted(clusterName, name, groupPort, seeds, dataDir.toAbsolutePath(), redisPort, adminPort);
        }
    }

    private final String clusterName;
    private final Path dir;
    private final List<Replica> replicas = new ArrayList<>();

    private KvCluster(String runName, int size) throws IOException {
        this.clusterName = "kv-" + runName.replaceAll("[^A-Za-z0-9._-]", "-");
        this.dir = directory(runName);
        DurableFiles.deleteTree(dir);
        Files.createDirectories(dir);
        int[] ports = freePorts(3 * size);
        for (int i = 0; i < size; i++) {
            replicas.add(new Replica("kv" + (i + 1), ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]));
        }
        String seeds = replicas.stream().map(r -> "\"127.0.0.1:" + r.groupPort + "\"").collect(Collectors.joining(", "));
        for (Replica r : replicas) {
            Files.writeString(r.config, r.yaml(seeds), StandardCharsets.UTF_8);
        }
    }

    /**
     * Starts {@code size} replicas at once, waits for each one's READY line, then for all of them
     * to be in one view of all of them.
     *
     * @param runName names the directory (e.g. the test class's simple name)
     * @param size    how many replicas
     * @return the running cluster
     * @throws IOException if a process cannot start
     */
    public static KvCluster start(String runName, int size) throws IOException {
        KvCluster cluster = new KvCluster(runName, size);
        try {
            for (Replica r : cluster.replicas) {
                r.launch();
            }
            for (Replica r : cluster.replicas) {
                r.awaitReady();
            }
            cluster.awaitView(cluster.replicas);
            return cluster;
        } catch (IOException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * @param runName a run name
     * @return where that run's files go
     */
    public static Path directory(String runName) {
        return Path.of(System.getProperty("cohort.integration.dir", "target/integration"), "kv", runName)
                .toAbsolutePath().normalize();
    }

    /** @return the run's directory */
    public Path dir() {
        return dir;
    }

    /** @return the replicas, in name order */
    public List<Replica> replicas() {
        return List.copyOf(replicas);
    }

    /**
     * @param i zero-based index
     * @return that replica
     */
    public Replica replica(int i) {
        return replicas.get(i);
    }

    /** @return the replicas whose process is running */
    public List<Replica> live() {
        return replicas.stream().filter(Replica::isAlive).toList();
    }

    /**
     * Waits until each given replica's /view shows one and the same view, holding exactly the given
     * replicas, with itself in it.
     *
     * @param members the replicas that should form the view
     */
    public void awaitView(List<Replica> members) {
        Set<String> names = members.stream().map(Replica::name).collect(Collectors.toSet());
        ClusterHarness.awaitCondition("one view of exactly " + names, WAIT, Duration.ofMillis(50), () -> {
            Set<Long> viewIds = new HashSet<>();
            for (Replica r : members) {
                JsonNode v = r.view();
                Set<String> inView = new HashSet<>();
                v.get("members").forEach(m -> inView.add(m.get("name").asText()));
                if (!inView.equals(names) || !v.get("inPrimaryView").asBoolean()) {
                    return false;
                }
                viewIds.add(v.get("viewId").asLong());
            }
            return viewIds.size() == 1;
        }, () -> describeViews(members));
    }

    /**
     * Waits until the given replicas are in one view of exactly them and have applied the same
     * number of commands.
     *
     * @param members the replicas
     */
    public void awaitConverged(List<Replica> members) {
        awaitView(members);
        ClusterHarness.awaitCondition("the same applied index at " + members.stream().map(Replica::name).toList(),
                WAIT, Duration.ofMillis(50),
                () -> members.stream().map(r -> r.view().get("appliedIndex").asLong()).distinct().count() == 1,
                () -> describeViews(members));
    }

    /**
     * @param members replicas
     * @return their /view answers (or why they could not be read), and where the logs are
     */
    public String describeViews(List<Replica> members) {
        Map<String, String> views = new LinkedHashMap<>();
        for (Replica r : members) {
            String v;
            try {
                JsonNode n = r.view();
                v = "view " + n.get("viewId") + " members " + n.get("members").findValues("name")
                        + " applied " + n.get("appliedIndex") + " logSequence " + n.get("logSequence")
                        + " lag " + n.get("lag") + " role " + n.get("role");
            } catch (RuntimeException e) {
                v = "unreadable: " + e + "; " + r.describe();
            }
            views.put(r.name(), v);
        }
        return "replicas: " + views + "; logs in " + dir;
    }

    /**
     * Stops every replica: SIGTERM first (a clean stop, leaving the group, through the same
     * shutdown hook as the end of standard input; {@link ChildProcess} offers no way to close a
     * child's standard input alone), then, for any still running after a grace period, SIGKILL;
     * {@link ChildProcess#destroy()} also closes its standard input.
     */
    @Override
    public void close() {
        List<ChildProcess> running = replicas.stream().filter(Replica::isAlive).map(r -> r.process).toList();
        for (ChildProcess p : running) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy);
        }
        for (ChildProcess p : running) {
            try {
                p.awaitExit(Duration.ofSeconds(10));
            } catch (AssertionError stuck) {
                System.err.println("KvCluster: " + stuck.getMessage() + "; killing it");
            }
        }
        for (Replica r : replicas) {
            if (r.process != null) {
                r.process.destroy();
            }
        }
    }

    /**
     * Parses an INFO reply.
     *
     * @param info the text of {@code INFO}
     * @return its {@code field:value} lines as a map (headings and blank lines skipped)
     */
    public static Map<String, String> parseInfo(String info) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : info.split("\r\n")) {
            int colon = line.indexOf(':');
            if (!line.isEmpty() && !line.startsWith("#") && colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return fields;
    }

    private static int[] freePorts(int n) throws IOException {
        // Held open together, so that no port is handed out twice.
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }


    /**
     * Prints where a test class's replica logs are when one of its tests, or its set-up or
     * tear-down, fails. The directory is {@link #directory(String)} of the class's simple name.
     */
    public static final class LogsOnFailure implements TestWatcher, LifecycleMethodExecutionExceptionHandler {

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            print(context, context.getDisplayName());
        }

        @Override
        public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable)
                throws Throwable {
            print(context, "@BeforeAll");
            throw throwable;
        }

        @Override
        public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable throwable)
                throws Throwable {
            print(context, "@AfterAll");
            throw throwable;
        }

        private static void print(ExtensionContext context, String what) {
            Path logs = directory(context.getRequiredTestClass().getSimpleName());
            System.err.println(context.getRequiredTestClass().getSimpleName() + " " + what
                    + " failed; replica logs (<name>-<generation>.log: stderr, .out: stdout) are in " + logs);
        }
    }
}
