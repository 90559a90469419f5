package io.cohort.samples.kv.cluster;

import io.cohort.samples.kv.server.KvReplicaMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * One replica JVM of the local cluster. Its output goes to {@code <name>.log} in the cluster's
 * directory; the launcher watches it for the replica's ready line. The replica's standard input
 * stays open while the launcher lives, and the replica stops when it closes, so a killed launcher
 * leaves no replica behind.
 */
final class ReplicaProcess {

    private final ReplicaLayout layout;
    private final Process process;
    private final Path log;
    private final CountDownLatch ready = new CountDownLatch(1);

    private ReplicaProcess(ReplicaLayout layout, Process process, Path log) {
        this.layout = layout;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts the replica's JVM in {@code home}.
     *
     * @param layout  its ports and name
     * @param config  its configuration file
     * @param home    the cluster's directory (the JVM's working directory)
     * @param command the command line
     * @return the running process
     * @throws IOException if it cannot be started
     */
    static ReplicaProcess start(ReplicaLayout layout, Path config, Path home, List<String> command) throws IOException {
        Path log = home.resolve(layout.name() + ".log");
        Process process = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true).start();
        ReplicaProcess p = new ReplicaProcess(layout, process, log);
        Thread copier = new Thread(p::copyOutput, "kv-cluster-log-" + layout.name());
        copier.setDaemon(true);
        copier.start();
        return p;
    }

    /** Copies the replica's output to its log file, noticing the ready line on the way. */
    private void copyOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
             Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                     StandardOpenOption.APPEND)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.write(line);
                out.write(System.lineSeparator());
                out.flush();
                if (line.startsWith(KvReplicaMain.READY + " ")) {
                    ready.countDown();
                }
            }
        } catch (IOException e) {
            // The replica is gone; its exit is reported by onExit.
        }
    }

    ReplicaLayout layout() {
        return layout;
    }

    Path log() {
        return log;
    }

    /**
     * @param timeout how long to wait
     * @return whether the replica printed its ready line in time (false at once if it exited)
     * @throws InterruptedException if interrupted
     */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.await(100, TimeUnit.MILLISECONDS)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                return false;
            }
        }
        return true;
    }

    /** @return the exit code, or -1 while the process runs */
    int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** @param listener told the exit code when the process ends */
    void onExit(IntConsumer listener) {
        process.onExit().thenAccept(p -> listener.accept(p.exitValue()));
    }

    /** Asks the replica to stop cleanly (leaving the group) by closing its input. */
    void requestStop() {
        try {
            OutputStream in = process.getOutputStream();
            in.close();
        } catch (IOException e) {
            // Already closed: the process is going anyway.
        }
    }

    /** Asks for a clean stop and waits for it: SIGTERM after 10 s, SIGKILL after 15 s more. */
    void stop() {
        requestStop();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
