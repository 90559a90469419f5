package io.cohort.samples.kv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.config.ConfigException;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.storage.Durability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvReplicaConfigTest {

    @TempDir
    Path dir;

    @Test
    void everySectionIsReadAndOmittedKeysTakeTheirDefaults() throws IOException {
        Path file = write("kv1.yaml", """
                group:
                  clusterName: kv
                  memberName: kv1
                  bindPort: 7401
                  seeds: ["127.0.0.1:7401", "127.0.0.1:7402"]
                redis:
                  port: 6401
                  reads: stale
                admin:
                  port: 8401
                  maxHealthyLag: 50
                storage:
                  durability: SYNC
                  rollCycle: MINUTELY
                expiry:
                  tickMillis: 250
                """);
        KvReplicaConfig c = KvReplicaConfig.load(file, Map.of(), new Properties());
        assertThat(c.group().memberName()).isEqualTo("kv1");
        assertThat(c.group().bindPort()).isEqualTo(7401);
        assertThat(c.redis()).isEqualTo(new KvReplicaConfig.Redis("127.0.0.1", 6401, ReadConsistency.STALE, 10_000,
                1024, 1));
        assertThat(c.admin()).isEqualTo(new KvReplicaConfig.Admin("127.0.0.1", 8401, 50));
        assertThat(c.storage()).isEqualTo(new KvReplicaConfig.Storage(Durability.SYNC, 100_000, 2,
                LogRollCycle.MINUTELY));
        assertThat(c.expiry().tickMillis()).isEqualTo(250);
    }

    @Test
    void onlyTheGroupSectionIsRequiredAndPropertiesOverrideIt() throws IOException {
        Path file = write("kv.json", "{\"group\": {\"clusterName\": \"kv\", \"memberName\": \"kv1\"}}");
        Properties props = new Properties();
        props.setProperty("cohort.memberName", "kv2");
        KvReplicaConfig c = KvReplicaConfig.load(file, Map.of(), props);
        assertThat(c.group().memberName()).isEqualTo("kv2");
        assertThat(c.redis().port()).isEqualTo(6379);
        assertThat(c.admin().port()).isEqualTo(8080);
        assertThat(c.storage().durability()).isEqualTo(Durability.LOG);
        assertThat(c.expiry().tickMillis()).isEqualTo(100);
    }

    @Test
    void mistakesAreNamedWithTheFileAndTheKey() throws IOException {
        String group = "group: {clusterName: kv, memberName: kv1}\n";
        assertThatThrownBy(() -> load("a.yaml", group + "redis: {prot: 6379}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("Unknown key \"prot\" in section redis of")
                .hasMessageContaining("a.yaml");
        assertThatThrownBy(() -> load("b.yaml", group + "cache: {}\n"))
                .hasMessageContaining("Unknown section \"cache\"");
        assertThatThrownBy(() -> load("c.yaml", group + "redis: {port: 70000}\n"))
                .hasMessageContaining("redis.port").hasMessageContaining("must be 0 to 65535, got 70000");
        assertThatThrownBy(() -> load("d.yaml", group + "storage: {durability: ALWAYS}\n"))
                .hasMessageContaining("storage.durability").hasMessageContaining("one of [MEMORY, LOG, SYNC]");
        assertThatThrownBy(() -> load("e.yaml", group + "admin: {port: \"x\"}\n"))
                .hasMessageContaining("admin.port").hasMessageContaining("must be an integer");
        assertThatThrownBy(() -> load("f.yaml", "group: {clusterName: kv, membrName: kv1}\n"))
                .hasMessageContaining("did you mean \"memberName\"?").hasMessageContaining("section group of");
        assertThatThrownBy(() -> load("g.txt", group)).hasMessageContaining("must end in .yaml, .yml or .json");
        assertThatThrownBy(() -> load("h.yaml", "group: [1, 2]\n")).hasMessageContaining("must hold an object");
        assertThatThrownBy(() -> KvReplicaConfig.load(dir.resolve("missing.yaml"), Map.of(), new Properties()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("missing.yaml");
    }

    private KvReplicaConfig load(String name, String text) throws IOException {
        return KvReplicaConfig.load(write(name, text), Map.of(), new Properties());
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }
}
