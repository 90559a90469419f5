package io.cohort.samples.kv.server;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.samples.kv.KeyValueStore;
import io.cohort.samples.kv.admin.ReplicaStatus;
import io.cohort.samples.kv.resp.KvService;
import io.cohort.samples.kv.resp.RespServer;
import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The key-value store as one replica serves it: Redis sessions backed by the local
 * {@link Replica}, and what INFO and the admin endpoints report about it.
 */
final class ReplicaKvService implements KvService {

    private final Replica replica;
    private final KeyValueStore store;
    private final ScheduledExecutorService scheduler;
    private final ReadConsistency reads;
    private final long requestTimeoutMillis;
    private final String cluster;
    private final long maxHealthyLag;
    private final SecureRandom random = new SecureRandom();
    private volatile int redisPort;

    ReplicaKvService(Replica replica, KeyValueStore store, ScheduledExecutorService scheduler, ReadConsistency reads,
                     long requestTimeoutMillis, String cluster, long maxHealthyLag) {
        this.replica = replica;
        this.store = store;
        this.scheduler = scheduler;
        this.reads = reads;
        this.requestTimeoutMillis = requestTimeoutMillis;
        this.cluster = cluster;
        this.maxHealthyLag = maxHealthyLag;
    }

    /** @param port the Redis port, once bound, for INFO server */
    void redisPort(int port) {
        this.redisPort = port;
    }

    @Override
    public Session openSession() {
        return new ReplicaSession(replica, scheduler, reads, requestTimeoutMillis, this::newClientId);
    }

    /** Sessions from every replica share one replicated table: their ids must not collide. */
    private long newClientId() {
        long clientId;
        do {
            clientId = random.nextLong();
        } while (clientId == 0);
        return clientId;
    }

    @Override
    public String info(String section) {
        return switch (section) {
            case "server" -> serverInfo();
            case "replication" -> replicationInfo();
            case "keyspace" -> keyspaceInfo();
            default -> null;
        };
    }

    private String serverInfo() {
        return "redis_version:" + RespServer.REDIS_VERSION + "\r\n"
                + "redis_mode:standalone\r\n"
                + "cohort_cluster:" + cluster + "\r\n"
                + "cohort_member:" + replica.self().name() + "\r\n"
                + "process_id:" + ProcessHandle.current().pid() + "\r\n"
                + "tcp_port:" + redisPort + "\r\n"
                + "uptime_in_seconds:" + ManagementFactory.getRuntimeMXBean().getUptime() / 1000 + "\r\n";
    }

    private String replicationInfo() {
        ReplicaStatus s = status();
        StringJoiner members = new StringJoiner(",");
        int rank = -1;
        for (ReplicaStatus.ViewMember m : s.members()) {
            members.add(m.name());
            if (m.self()) {
                rank = m.rank();
            }
        }
        // "role:master" for Redis tools: every replica accepts writes. Cohort's own view follows.
        return "role:master\r\n"
                + "connected_slaves:0\r\n"
                + "cohort_role:" + s.role() + "\r\n"
                + "cohort_view_id:" + s.viewId() + "\r\n"
                + "cohort_members:" + members + "\r\n"
                + "cohort_rank:" + rank + "\r\n"
                + "cohort_applied_index:" + s.appliedIndex() + "\r\n"
                + "cohort_log_sequence:" + s.logSequence() + "\r\n"
                + "cohort_lag:" + s.lag() + "\r\n"
                + "cohort_healthy:" + (s.healthy() ? 1 : 0) + "\r\n";
    }

    private String keyspaceInfo() {
        int keys = store.keyCount();
        return keys == 0 ? "" : "db0:keys=" + keys + ",expires=" + store.volatileKeyCount() + ",avg_ttl=0\r\n";
    }

    /** @return what the admin endpoints report, read now */
    ReplicaStatus status() {
        View view = replica.view();
        MemberId self = replica.self();
        List<ReplicaStatus.ViewMember> members = new ArrayList<>();
        if (view != null) {
            for (int rank = 0; rank < view.size(); rank++) {
                MemberId m = view.members().get(rank);
                members.add(new ReplicaStatus.ViewMember(m.name(), m.incarnation(), rank, replica.mode().roleOf(rank == 0), m.equals(self)));
            }
        }
        return new ReplicaStatus(cluster, self.name(), self.incarnation(), view == null ? 0 : view.viewId(), members,
                replica.role(), replica.appliedIndex(), replica.logSequence(), replica.groupLogSequence(),
                maxHealthyLag);
    }
}
