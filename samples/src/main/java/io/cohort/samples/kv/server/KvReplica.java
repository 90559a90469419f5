package io.cohort.samples.kv.server;

import io.cohort.api.View;
import io.cohort.recovery.DurableStorage;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import io.cohort.samples.kv.KeyValueStore;
import io.cohort.samples.kv.admin.AdminServer;
import io.cohort.samples.kv.admin.PrometheusMeters;
import io.cohort.samples.kv.admin.ReplicaStatus;
import io.cohort.samples.kv.resp.RespServer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One replica of the replicated key-value store: a {@link KeyValueStore} in an active
 * {@link Replica} (durable unless configured MEMORY), a Redis protocol server any replica's
 * clients can read and write through, and the admin HTTP endpoints.
 *
 * <pre>{@code
 * try (KvReplica replica = KvReplica.start(KvReplicaConfig.load(Path.of("kv1.yaml")))) {
 *     replica.joined().join();
 *     ...
 * }
 * }</pre>
 *
 * <p>The servers listen before the replica has joined: until it has, /health answers 503 and Redis
 * requests wait (up to {@code redis.requestTimeoutMillis}) for it.
 */
public final class KvReplica implements AutoCloseable {

    private final KvReplicaConfig config;
    private final PrometheusMeters meters;
    private final ScheduledExecutorService scheduler;
    private final Replica replica;
    private final ReplicaKvService service;
    private final RespServer redis;
    private final AdminServer admin;
    private final ExpiryTicker ticker;
    private final CompletableFuture<View> joined;

    private KvReplica(KvReplicaConfig config) throws IOException {
        this.config = config;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            String name = config.group().memberName();
            meters = new PrometheusMeters();
            opened.add(meters);
            scheduler = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("cohort-kv-" + name, true));
            opened.add(scheduler::shutdownNow);
            KeyValueStore store = new KeyValueStore();
            Replica.Builder builder = Replica.builder(config.group(), store)
                    .mode(ReplicationMode.ACTIVE)
                    .clientPort(0)
                    .meterRegistry(meters.registry());
            KvReplicaConfig.Storage s = config.storage();
            DurableStorage storage = null;
            if (s.durability() != Durability.MEMORY) {
                storage = DurableStorage.builder(config.group().effectiveDataDir())
                        .durability(s.durability())
                        .memberName(name)
                        .checkpointEveryCommands(s.checkpointEveryCommands())
                        .keepCheckpoints(s.keepCheckpoints())
                        .rollCycle(s.rollCycle())
                        .meterRegistry(meters.registry())
                        .build();
                opened.add(storage);
                builder.storage(storage);
            }
            replica = builder.build();
            opened.remove(storage); // the replica owns it now and closes it
            opened.add(replica);
            service = new ReplicaKvService(replica, store, scheduler, config.redis().reads(),
                    config.redis().requestTimeoutMillis(), config.group().clusterName(), config.admin().maxHealthyLag());
            redis = RespServer.builder(name, service)
                    .host(config.redis().host())
                    .port(config.redis().port())
                    .ioThreads(config.redis().ioThreads())
                    .maxPendingPerConnection(config.redis().maxPendingPerConnection())
                    .meterRegistry(meters.registry())
                    .build();
            opened.add(redis);
            service.redisPort(redis.localAddress().getPort());
            admin = AdminServer.start(config.admin().host(), config.admin().port(), service::status, meters.registry(),
                    meters.registry());
            opened.add(admin);
            ticker = new ExpiryTicker(replica, store, service, scheduler, config.expiry().tickMillis());
            joined = replica.joinAsync();
        } catch (IOException | RuntimeException e) {
            Collections.reverse(opened);
            try {
                closeAll(opened);
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * Starts a replica: opens its storage (restoring what is on disk), binds its ports and starts
     * joining the group.
     *
     * @param config the configuration
     * @return the running replica
     * @throws IOException if storage cannot be opened or a port cannot be bound
     */
    public static KvReplica start(KvReplicaConfig config) throws IOException {
        return new KvReplica(config);
    }

    /** @return completes with the first view this replica installs */
    public CompletableFuture<View> joined() {
        return joined;
    }

    /** @return the Redis protocol address */
    public InetSocketAddress redisAddress() {
        return redis.localAddress();
    }

    /** @return the admin HTTP address */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** @return the member's name */
    public String name() {
        return config.group().memberName();
    }

    /** @return the replica's state now, as /view reports it */
    public ReplicaStatus status() {
        return service.status();
    }

    /** @return the replica underneath */
    public Replica replica() {
        return replica;
    }

    /**
     * Stops serving clients, leaves the group cleanly and closes the log. Redis clients connected
     * here see their connection close and reconnect to another replica.
     */
    @Override
    public void close() {
        ticker.close();
        List<AutoCloseable> all = List.of(redis, admin, replica, scheduler::shutdownNow, meters);
        closeAll(all);
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("closing the replica failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
