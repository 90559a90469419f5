package io.cohort.samples.kv.server;

import io.cohort.api.View;
import io.cohort.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code kv-replica --config kv1.yaml}: runs one replica of the key-value store, for deployments
 * across machines (docs/kv.md has a three-host example). Stops cleanly, leaving the group, on
 * SIGTERM or Ctrl-C.
 */
@Command(name = "kv-replica", mixinStandardHelpOptions = true, version = "Cohort 0.1.0",
        description = "Runs one replica of the Cohort replicated key-value store (Redis protocol).")
public final class KvReplicaMain implements Callable<Integer> {

    /** The line printed to standard output once the replica is in a view; launchers wait for it. */
    public static final String READY = "READY";

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "the replica's configuration (.yaml, .yml or .json)")
    private Path config;

    @Option(names = "--exit-on-stdin-eof", description = "stop when standard input closes (used by launchers, "
            + "so that a replica never outlives the process that started it)")
    private boolean exitOnStdinEof;

    /**
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new KvReplicaMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        KvReplicaConfig loaded;
        try {
            loaded = KvReplicaConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("kv-replica: " + e.getMessage());
            return 2;
        }
        KvReplica replica;
        try {
            replica = KvReplica.start(loaded);
        } catch (IOException e) {
            System.err.println("kv-replica: cannot start " + loaded.group().memberName() + ": " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            replica.close();
            stopped.countDown();
        }, "kv-replica-shutdown"));
        replica.joined().thenAccept(view -> ready(replica, view));
        if (exitOnStdinEof) {
            waitForEndOfInput(System.in);
            return 0; // System.exit runs the shutdown hook
        }
        stopped.await();
        return 0;
    }

    private static void ready(KvReplica replica, View view) {
        System.out.printf("%s %s redis=%s:%d admin=http://%s:%d view=%d members=%s%n", READY, replica.name(),
                replica.redisAddress().getHostString(), replica.redisAddress().getPort(),
                replica.adminAddress().getHostString(), replica.adminAddress().getPort(), view.viewId(),
                view.members());
        System.out.flush();
    }

    private static void waitForEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Input is ignored; only its end matters.
            }
        } catch (IOException e) {
            // A broken pipe means the launcher is gone: stop, as at end of input.
        }
    }
}
