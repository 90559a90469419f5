package io.cohort.integration.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.integration.harness.ChildJvm;
import io.cohort.recovery.fs.DurableFiles;
import io.cohort.samples.kv.cluster.LocalCluster;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The README's main job: the launcher starts three replica JVMs, prints their ports, serves a
 * write at one replica and a read at another, stops every replica on SIGTERM (as on Ctrl-C), and
 * a second start from the same directory has the data.
 */
class LocalClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void startsThreeReplicasStopsThemAllAndRestartsFromTheSameData() throws Exception {
        Path dir = KvCluster.directory(LocalClusterTest.class.getSimpleName());
        DurableFiles.deleteTree(dir);
        Files.createDirectories(dir);
        int base = freeBase();

        Launcher first = Launcher.start(dir, base);
        try {
            first.awaitLine("cluster is up");
            assertThat(first.output()).as("the banner").anyMatch(l -> l.contains("127.0.0.1:" + base))
                    .anyMatch(l -> l.contains("redis-cli -p " + base + " SET greeting hello && redis-cli -p "
                            + (base + 1) + " GET greeting"));
            assertThat(first.replicaJvms()).hasSize(3);
            try (Jedis one = new Jedis("127.0.0.1", base); Jedis two = new Jedis("127.0.0.1", base + 1)) {
                assertThat(one.set("k", "v")).isEqualTo("OK");
                assertThat(two.get("k")).isEqualTo("v");
            }
        } finally {
            first.stop();
        }
        assertThat(first.exitCode()).as("the JVM's code for a SIGTERM it handled").isEqualTo(143);
        assertThat(first.replicaJvms()).as("no replica outlives the launcher").noneMatch(ProcessHandle::isAlive);
        for (String name : List.of("kv1", "kv2", "kv3")) {
            assertThat(Files.readString(dir.resolve(name + ".log"))).as(name + " left the group cleanly")
                    .contains("left the group after view");
        }
        assertThat(dir.resolve("kv1.yaml")).exists();

        Launcher second = Launcher.start(dir, base);
        try {
            second.awaitLine("cluster is up");
            try (Jedis three = new Jedis("127.0.0.1", base + 2)) {
                assertThat(three.get("k")).as("restarted from the same data").isEqualTo("v");
            }
        } finally {
            second.stop();
        }
        assertThat(second.replicaJvms()).noneMatch(ProcessHandle::isAlive);
    }

    /** The launcher JVM, its output lines, and the replica JVMs it started. */
    private static final class Launcher {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final List<ProcessHandle> replicas = new ArrayList<>();
        private final CompletableFuture<Void> outputEnded;

        private Launcher(Process process) {
            this.process = process;
            this.outputEnded = CompletableFuture.runAsync(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        lines.add(line);
                        synchronized (this) {
                            notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the launcher is gone
                }
            });
        }

        static Launcher start(Path dir, int base) throws IOException {
            List<String> command = new ArrayList<>(ChildJvm.command(LocalCluster.class, Map.of()));
            command.addAll(List.of("--dir", dir.toString(), "--redis-port", String.valueOf(base),
                    "--admin-port", String.valueOf(base + 10), "--group-port", String.valueOf(base + 20),
                    "--heap", "256m"));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("COHORT_"));
            return new Launcher(pb.start());
        }

        synchronized void awaitLine(String text) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (lines.stream().noneMatch(l -> l.contains(text))) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || !process.isAlive()) {
                    throw new AssertionError("the launcher did not print '" + text + "'; its output:\n"
                            + String.join("\n", lines));
                }
                wait(Math.min(left, 500));
            }
            // The launcher's only children are the replica JVMs.
            replicas.addAll(process.children().collect(Collectors.toList()));
        }

        List<String> output() {
            return lines;
        }

        List<ProcessHandle> replicaJvms() {
            return replicas;
        }

        /** SIGTERM, as Ctrl-C: the launcher's shutdown hook stops the replicas and waits for them. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                replicas.forEach(ProcessHandle::destroyForcibly);
                throw new AssertionError("the launcher did not stop; its output:\n" + String.join("\n", lines));
            }
            for (ProcessHandle r : replicas) {
                r.onExit().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).exceptionally(e -> r).join();
            }
            outputEnded.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        }

        int exitCode() {
            return process.exitValue();
        }
    }

    /** A base port with the 30 ports from it free (Redis, admin and group ports of three replicas). */
    private static int freeBase() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int base;
            try (ServerSocket s = new ServerSocket(0)) {
                base = s.getLocalPort();
            }
            if (base > 65000) {
                continue;
            }
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int p = base; p < base + 30; p++) {
                    held.add(new ServerSocket(p));
                }
                return base;
            } catch (IOException busy) {
                // try another range
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no range of 30 free ports found");
    }

}
