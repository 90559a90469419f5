package io.cohort.samples.kv.cluster;

import io.cohort.runtime.JvmFlags;
import io.cohort.samples.kv.server.KvReplicaMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The README's main job: a replicated key-value store of three replicas, each its own JVM on this
 * machine, speaking the Redis protocol. Data lives under {@code --dir} (default {@code kv-data}),
 * so running it again restarts the same cluster from disk. Ctrl-C stops every replica cleanly.
 */
@Command(name = "kv-cluster", mixinStandardHelpOptions = true, version = "Cohort 0.1.0",
        description = "Starts a local replicated key-value cluster (Redis protocol), one JVM per replica.")
public final class LocalCluster implements Callable<Integer> {

    @Option(names = "--dir", paramLabel = "DIR", description = "data, configuration and logs (default: ${DEFAULT-VALUE})")
    private Path dir = Path.of("kv-data");

    @Option(names = "--replicas", description = "number of replicas, 1 to 9 (default: ${DEFAULT-VALUE})")
    private int replicas = 3;

    @Option(names = "--redis-port", description = "first replica's Redis port; the others follow (default: ${DEFAULT-VALUE})")
    private int redisPort = 6401;

    @Option(names = "--admin-port", description = "first replica's admin HTTP port (default: ${DEFAULT-VALUE})")
    private int adminPort = 8401;

    @Option(names = "--group-port", description = "first replica's group (member-to-member) port (default: ${DEFAULT-VALUE})")
    private int groupPort = 7401;

    @Option(names = "--durability", description = "MEMORY, LOG or SYNC, for new configurations (default: ${DEFAULT-VALUE})")
    private String durability = "LOG";

    @Option(names = "--heap", description = "heap of each replica JVM (default: ${DEFAULT-VALUE})")
    private String heap = "512m";

    @Option(names = "--ready-timeout", description = "seconds to wait for the replicas to form the group (default: ${DEFAULT-VALUE})")
    private long readyTimeoutSeconds = 120;

    /**
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalCluster()).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (replicas < 1 || replicas > 9) {
            System.err.println("kv-cluster: --replicas must be 1 to 9");
            return 2;
        }
        if (!List.of("MEMORY", "LOG", "SYNC").contains(durability.toUpperCase(Locale.ROOT))) {
            System.err.println("kv-cluster: --durability must be MEMORY, LOG or SYNC");
            return 2;
        }
        Path home = dir.toAbsolutePath().normalize();
        Files.createDirectories(home);
        List<ReplicaLayout> layouts = new ArrayList<>();
        for (int i = 1; i <= replicas; i++) {
            ReplicaLayout layout = new ReplicaLayout("kv" + i, redisPort + i - 1, adminPort + i - 1, groupPort + i - 1);
            String busy = busyPort(layout);
            if (busy != null) {
                System.err.println("kv-cluster: " + busy + " is in use (is a cluster already running? stop it, or pick "
                        + "other ports with --redis-port, --admin-port and --group-port)");
                return 1;
            }
            layouts.add(layout);
        }
        List<ReplicaProcess> started = new ArrayList<>();
        for (ReplicaLayout layout : layouts) {
            Path config = home.resolve(layout.name() + ".yaml");
            if (!Files.exists(config)) {
                Files.writeString(config, layout.yaml(seeds(), durability.toUpperCase(Locale.ROOT)));
            }
            started.add(ReplicaProcess.start(layout, config, home, childCommand(config)));
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            System.out.println();
            System.out.println("Stopping the cluster...");
            started.forEach(ReplicaProcess::requestStop);
            started.forEach(ReplicaProcess::stop);
            System.out.println("Stopped. Run the same command again to restart from " + home + ".");
            stopped.countDown();
        }, "kv-cluster-shutdown"));
        System.out.println("Starting " + replicas + " replicas (data, configuration and logs in " + home + ")...");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeoutSeconds);
        for (ReplicaProcess p : started) {
            if (!p.awaitReady(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                String what = p.exitCode() >= 0 ? "exited with code " + p.exitCode()
                        : "did not join within " + readyTimeoutSeconds + " s";
                System.err.println("kv-cluster: " + p.layout().name() + " " + what + "; see " + p.log());
                return 1; // the shutdown hook stops the others
            }
        }
        printBanner(started, home);
        for (ReplicaProcess p : started) {
            p.onExit(code -> {
                if (!stopping.get()) {
                    System.out.println(p.layout().name() + " exited (code " + code + "); see " + p.log());
                }
            });
        }
        stopped.await();
        return 0;
    }

    private List<String> seeds() {
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            seeds.add("127.0.0.1:" + (groupPort + i));
        }
        return seeds;
    }

    private void printBanner(List<ReplicaProcess> started, Path home) {
        System.out.println();
        System.out.println("Cohort key-value cluster is up: " + replicas + " replicas, data in " + home);
        System.out.println();
        System.out.printf("  %-8s %-18s %-32s %s%n", "replica", "redis", "admin", "log");
        for (ReplicaProcess p : started) {
            ReplicaLayout l = p.layout();
            System.out.printf("  %-8s %-18s %-32s %s%n", l.name(), "127.0.0.1:" + l.redisPort(),
                    "http://127.0.0.1:" + l.adminPort() + "/view", p.log());
        }
        System.out.println();
        int other = started.get(started.size() > 1 ? 1 : 0).layout().redisPort();
        System.out.println("Try it (any replica reads and writes):");
        System.out.println("  redis-cli -p " + started.get(0).layout().redisPort() + " SET greeting hello && redis-cli -p "
                + other + " GET greeting");
        System.out.println("  redis-benchmark -p " + other + " -t set,get -n 100000 -c 50 -q");
        System.out.println();
        System.out.println("Ctrl-C stops the cluster; running the same command again restarts it from its data.");
        System.out.flush();
    }

    /** @return a description of the first port of this replica that cannot be bound, or null */
    private static String busyPort(ReplicaLayout layout) {
        for (int port : new int[] {layout.redisPort(), layout.adminPort(), layout.groupPort()}) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress("127.0.0.1", port));
            } catch (IOException e) {
                return "port " + port + " (" + layout.name() + ")";
            }
        }
        return null;
    }

    private List<String> childCommand(Path config) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JvmFlags.required());
        cmd.add("-Xmx" + heap);
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        cmd.add("-cp");
        cmd.add(Classpath.current());
        cmd.add(KvReplicaMain.class.getName());
        cmd.add("--config");
        cmd.add(config.toString());
        cmd.add("--exit-on-stdin-eof");
        return cmd;
    }
}
