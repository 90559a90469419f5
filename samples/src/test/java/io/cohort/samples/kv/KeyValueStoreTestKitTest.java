package io.cohort.samples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.testkit.StateMachineTestKit;
import io.cohort.testkit.TestKitReport;
import org.junit.jupiter.api.Test;

/**
 * The key-value store replicated in the deterministic simulator, under crashes, partitions, leaves
 * and joins: every replica applies the same commands to the same state (expiry included, since it
 * runs on the log's time), each acknowledged command exactly once, and reads are fresh.
 */
class KeyValueStoreTestKitTest {

    @Test
    void replicasAgreeUnderFaultsWithExpiringKeys() {
        TestKitReport report = StateMachineTestKit.forMachine(KeyValueStore::new)
                .commands((random, client) -> {
                    String key = "k" + random.nextInt(6);
                    return switch (random.nextInt(6)) {
                        case 0 -> KvCommand.of("SET", key, "v" + random.nextInt(100)).encode();
                        case 1 -> KvCommand.of("SET", key, "t", "PX", Integer.toString(1 + random.nextInt(50))).encode();
                        case 2 -> KvCommand.of("INCR", "counter").encode();
                        case 3 -> KvCommand.of("APPEND", key, "x").encode();
                        case 4 -> KvCommand.of("DEL", key).encode();
                        default -> KvCommand.of("EXPIRE", key, Integer.toString(random.nextInt(3))).encode();
                    };
                })
                .queries(random -> KvCommand.of("MGET", "k0", "k1", "k2", "counter").encode())
                .schedules(60)
                .run();
        if (!report.replay()) {
            assertThat(report.commandsAcknowledged()).isPositive();
        }
    }
}
