package io.cohort.samples.kv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.config.CohortConfig;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.samples.kv.KeyValueStore;
import io.cohort.samples.kv.KvCommand;
import io.cohort.samples.kv.resp.KvService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis sessions against a real (single-member) replica: numbering, reads first, and a session the
 * replicated table has forgotten.
 */
class ReplicaSessionTest {

    private final KeyValueStore store = new KeyValueStore();
    private ScheduledExecutorService scheduler;
    private Replica replica;
    private ReplicaKvService service;

    @BeforeEach
    void start() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        CohortConfig config = CohortConfig.builder("session-test", "r1").bindPort(port)
                .seeds("127.0.0.1:" + port).build();
        // Sessions idle for 1 ms of log time are forgotten: any later command from another session expires them.
        replica = Replica.builder(config, store).mode(ReplicationMode.ACTIVE).clientPort(0)
                .settings(ReplicaSettings.defaults().withSessionExpiry(1))
                .meterRegistry(new SimpleMeterRegistry()).build();
        replica.join(Duration.ofSeconds(30));
        scheduler = Executors.newSingleThreadScheduledExecutor();
        service = new ReplicaKvService(replica, store, scheduler, ReadConsistency.LINEARIZABLE, 10_000, "session-test",
                1000);
    }

    @AfterEach
    void stop() {
        if (replica != null) {
            replica.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    @Test
    void aSessionWhoseFirstRequestsAreReadsCanWrite() {
        try (KvService.Session s = service.openSession()) {
            assertThat(text(s.query(cmd("GET", "k")).join())).isEqualTo("$-1\r\n");
            assertThat(text(s.query(cmd("EXISTS", "k")).join())).isEqualTo(":0\r\n");
            assertThat(text(s.command(cmd("SET", "k", "v")).join())).isEqualTo("+OK\r\n");
            assertThat(text(s.command(cmd("INCR", "n")).join())).isEqualTo(":1\r\n");
            assertThat(text(s.query(cmd("GET", "k")).join())).isEqualTo("$1\r\nv\r\n");
        }
    }

    @Test
    void aSessionTheTableForgotStartsAgainAndItsCommandIsAppliedOnce() {
        try (KvService.Session idle = service.openSession(); KvService.Session busy = service.openSession()) {
            assertThat(text(idle.command(cmd("INCR", "n")).join())).isEqualTo(":1\r\n");
            long after = store.logicalNow();
            // Move the log's time on from another session until the idle one has expired.
            for (int i = 0; i < 1_000_000 && store.logicalNow() <= after + 1; i++) {
                busy.command(cmd("SET", "other", Integer.toString(i))).join();
            }
            assertThat(store.logicalNow()).isGreaterThan(after + 1);
            assertThat(text(idle.command(cmd("INCR", "n")).join())).as("refused as expired, then sent afresh")
                    .isEqualTo(":2\r\n");
            assertThat(text(idle.command(cmd("INCR", "n")).join())).isEqualTo(":3\r\n");
            assertThat(text(idle.query(cmd("GET", "n")).join())).isEqualTo("$1\r\n3\r\n");
        }
    }

    private static byte[] cmd(String... words) {
        return KvCommand.of(words).encode();
    }

    private static String text(byte[] reply) {
        return new String(reply, StandardCharsets.UTF_8);
    }
}
