package io.cohort.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cohort.config.CohortConfig.HostPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final Map<String, String> NO_ENV = Map.of();

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private static ConfigException failure(Runnable r) {
        try {
            r.run();
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected a ConfigException");
    }

    @Test
    void jsonFileWithEveryKey() throws IOException {
        Path file = write("cohort.json", """
                {
                  "clusterName": "orders",
                  "memberName": "node-2",
                  "bindHost": "0.0.0.0",
                  "bindPort": 7602,
                  "advertisedHost": "10.0.0.2",
                  "seeds": ["10.0.0.1:7601", "10.0.0.2:7602", "[fd00::3]:7603"],
                  "heartbeatIntervalMillis": 50,
                  "suspectTimeoutMillis": 500,
                  "retransmitMillis": 150,
                  "joinRetryMillis": 400,
                  "connectTimeoutMillis": 900,
                  "reconnectBackoffMinMillis": 20,
                  "reconnectBackoffMaxMillis": 1000,
                  "bootstrapTimeoutMillis": 0,
                  "maxFrameBytes": 1048576,
                  "outboundQueueBytes": 4194304,
                  "maxInFlightMulticasts": 128,
                  "stateChunkBytes": 65536,
                  "dataDir": "/var/lib/cohort/node-2"
                }
                """);

        CohortConfig c = ConfigLoader.load(file, NO_ENV, new Properties());

        assertThat(c).isEqualTo(CohortConfig.builder("orders", "node-2").bindHost("0.0.0.0").bindPort(7602)
                .advertisedHost("10.0.0.2").seeds("10.0.0.1:7601", "10.0.0.2:7602", "[fd00::3]:7603")
                .heartbeatIntervalMillis(50).suspectTimeoutMillis(500).retransmitMillis(150).joinRetryMillis(400)
                .connectTimeoutMillis(900).reconnectBackoffMinMillis(20).reconnectBackoffMaxMillis(1000)
                .bootstrapTimeoutMillis(0).maxFrameBytes(1_048_576).outboundQueueBytes(4_194_304)
                .maxInFlightMulticasts(128).stateChunkBytes(65_536).dataDir(Path.of("/var/lib/cohort/node-2"))
                .build());
    }

    @Test
    void yamlFileWithDefaultsForTheRest() throws IOException {
        Path file = write("cohort.yaml", """
                # member 1 of 3
                clusterName: orders
                memberName: node-1
                bindPort: 7601
                seeds:
                  - 127.0.0.1:7601
                  - 127.0.0.1:7602
                  - "[::1]:7603"
                heartbeatIntervalMillis: 50
                advertisedHost: null
                """);

        CohortConfig c = ConfigLoader.load(file, NO_ENV, new Properties());

        assertThat(c).isEqualTo(CohortConfig.builder("orders", "node-1").bindPort(7601)
                .seeds("127.0.0.1:7601", "127.0.0.1:7602", "[::1]:7603").heartbeatIntervalMillis(50).build());
        assertThat(c.seeds().get(2)).isEqualTo(new HostPort("::1", 7603));
    }

    @Test
    void ymlExtensionAndCommaSeparatedSeedsInFile() throws IOException {
        Path file = write("member.YML", """
                clusterName: orders
                memberName: node-1
                seeds: "127.0.0.1:7601, 127.0.0.1:7602,127.0.0.1:7603"
                """);

        assertThat(ConfigLoader.load(file, NO_ENV, new Properties()).seeds()).containsExactly(
                new HostPort("127.0.0.1", 7601), new HostPort("127.0.0.1", 7602), new HostPort("127.0.0.1", 7603));
    }

    @Test
    void environmentOverridesFileAndSystemPropertyOverridesEnvironment() throws IOException {
        Path file = write("cohort.json", """
                {"clusterName": "orders", "memberName": "from-file", "bindPort": 7601, "maxInFlightMulticasts": 10}
                """);
        Map<String, String> env = Map.of("COHORT_MEMBER_NAME", "from-env", "COHORT_BIND_PORT", "7602",
                "COHORT_MAX_IN_FLIGHT_MULTICASTS", "20");

        CohortConfig envOnly = ConfigLoader.load(file, env, new Properties());
        assertThat(envOnly.memberName()).isEqualTo("from-env");
        assertThat(envOnly.bindPort()).isEqualTo(7602);
        assertThat(envOnly.maxInFlightMulticasts()).isEqualTo(20);
        assertThat(envOnly.clusterName()).isEqualTo("orders");

        CohortConfig both = ConfigLoader.load(file, env, props("cohort.memberName", "from-prop"));
        assertThat(both.memberName()).isEqualTo("from-prop");
        assertThat(both.bindPort()).isEqualTo(7602);
    }

    @Test
    void fromOverridesAloneWithCommaSeparatedAndIpv6Seeds() {
        Map<String, String> env = Map.of("COHORT_CLUSTER_NAME", "orders", "COHORT_MEMBER_NAME", "node-1",
                "COHORT_SEEDS", "127.0.0.1:7601, [::1]:7602 ,,host-3:7603");

        CohortConfig c = ConfigLoader.fromOverrides(env, props("cohort.suspectTimeoutMillis", " 3000 ",
                "cohort.dataDir", "/tmp/cohort-data"));

        assertThat(c.seeds()).containsExactly(new HostPort("127.0.0.1", 7601), new HostPort("::1", 7602),
                new HostPort("host-3", 7603));
        assertThat(c.seeds().get(1)).hasToString("[::1]:7602");
        assertThat(c.suspectTimeoutMillis()).isEqualTo(3000);
        assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/cohort-data"));
        assertThat(c.bindPort()).isEqualTo(7600);
    }

    @Test
    void blankOverrideClearsAnOptionalValueFromTheFile() throws IOException {
        Path file = write("cohort.yaml", "clusterName: c\nmemberName: m\nadvertisedHost: 10.0.0.9\nseeds: [h:1]\n");

        CohortConfig c = ConfigLoader.load(file, Map.of("COHORT_ADVERTISED_HOST", "", "COHORT_SEEDS", ""),
                new Properties());

        assertThat(c.advertisedHost()).isNull();
        assertThat(c.seeds()).isEmpty();
    }

    @Test
    void overrideNames() {
        assertThat(ConfigLoader.envVarName("memberName")).isEqualTo("COHORT_MEMBER_NAME");
        assertThat(ConfigLoader.envVarName("maxInFlightMulticasts")).isEqualTo("COHORT_MAX_IN_FLIGHT_MULTICASTS");
        assertThat(ConfigLoader.envVarName("dataDir")).isEqualTo("COHORT_DATA_DIR");
        assertThat(ConfigLoader.systemPropertyName("memberName")).isEqualTo("cohort.memberName");
    }

    @Test
    void everyKeyCanBeOverriddenByItsEnvironmentVariableAndSystemProperty() {
        Map<String, String> values = Map.ofEntries(Map.entry("clusterName", "c"), Map.entry("memberName", "m"),
                Map.entry("bindHost", "0.0.0.0"), Map.entry("bindPort", "1"), Map.entry("advertisedHost", "h"),
                Map.entry("seeds", "h:2"), Map.entry("heartbeatIntervalMillis", "3"),
                Map.entry("suspectTimeoutMillis", "7"), Map.entry("retransmitMillis", "5"),
                Map.entry("joinRetryMillis", "6"), Map.entry("connectTimeoutMillis", "8"),
                Map.entry("reconnectBackoffMinMillis", "9"), Map.entry("reconnectBackoffMaxMillis", "10"),
                Map.entry("bootstrapTimeoutMillis", "11"), Map.entry("maxFrameBytes", "70000"),
                Map.entry("outboundQueueBytes", "70001"), Map.entry("maxInFlightMulticasts", "12"),
                Map.entry("stateChunkBytes", "2000"), Map.entry("dataDir", "d"));
        assertThat(values.keySet()).containsExactlyInAnyOrderElementsOf(CohortConfig.keys());
        CohortConfig expected = CohortConfig.builder("c", "m").bindHost("0.0.0.0").bindPort(1).advertisedHost("h")
                .seeds("h:2").heartbeatIntervalMillis(3).suspectTimeoutMillis(7).retransmitMillis(5)
                .joinRetryMillis(6).connectTimeoutMillis(8).reconnectBackoffMinMillis(9)
                .reconnectBackoffMaxMillis(10).bootstrapTimeoutMillis(11).maxFrameBytes(70_000)
                .outboundQueueBytes(70_001).maxInFlightMulticasts(12).stateChunkBytes(2000).dataDir(Path.of("d"))
                .build();

        Map<String, String> env = new HashMap<>();
        Properties props = new Properties();
        values.forEach((key, value) -> {
            env.put(ConfigLoader.envVarName(key), value);
            props.setProperty("cohort." + key, value);
        });

        assertThat(ConfigLoader.fromOverrides(env, new Properties())).isEqualTo(expected);
        assertThat(ConfigLoader.fromOverrides(NO_ENV, props)).isEqualTo(expected);
    }

    @Test
    void unknownKeyInFileIsNamedWithTheNearestKnownKey() throws IOException {
        Path file = write("cohort.yaml", "clusterName: c\nmemberName: m\nhartbeatIntervalMillis: 50\n");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isEqualTo("hartbeatIntervalMillis");
        assertThat(e).hasMessage("Unknown key \"hartbeatIntervalMillis\" in " + file
                + "; did you mean \"heartbeatIntervalMillis\"?");
    }

    @Test
    void unknownKeySuggestionsIgnoreCaseAndSeparators() throws IOException {
        Path file = write("cohort.json", "{\"clusterName\": \"c\", \"member_name\": \"m\"}");

        assertThatThrownBy(() -> ConfigLoader.load(file, NO_ENV, new Properties()))
                .hasMessageContaining("\"member_name\"").hasMessageContaining("did you mean \"memberName\"?");
    }

    @Test
    void unknownKeyFarFromAnyKnownKeyListsTheKnownKeys() throws IOException {
        Path file = write("cohort.yaml", "cohort:\n  clusterName: c\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, NO_ENV, new Properties()))
                .hasMessageContaining("Unknown key \"cohort\" in " + file)
                .hasMessageContaining("the known keys are clusterName, memberName, bindHost")
                .hasMessageNotContaining("did you mean");
    }

    @Test
    void wrongTypeInFileNamesKeyExpectedTypeAndFile() throws IOException {
        Path file = write("cohort.json", "{\"clusterName\": \"c\", \"memberName\": \"m\", \"bindPort\": \"abc\"}");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isEqualTo("bindPort");
        assertThat(e).hasMessage("Invalid configuration in " + file + ": bindPort must be an integer, got \"abc\"");
    }

    @Test
    void otherWrongTypesInFile() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(write("a.yaml", "clusterName: c\nmemberName: 7\n"), NO_ENV,
                new Properties())).hasMessageEndingWith("memberName must be a string, got 7");
        assertThatThrownBy(() -> ConfigLoader.load(write("b.json", "{\"heartbeatIntervalMillis\": 1.5}"), NO_ENV,
                new Properties())).hasMessageEndingWith("heartbeatIntervalMillis must be an integer, got 1.5");
        assertThatThrownBy(() -> ConfigLoader.load(write("c.json", "{\"seeds\": {\"a\": 1}}"), NO_ENV,
                new Properties())).hasMessageContaining("seeds must be a list of \"host:port\" strings or one")
                .hasMessageEndingWith("got an object");
        assertThatThrownBy(() -> ConfigLoader.load(write("d.json", "{\"seeds\": [7601]}"), NO_ENV,
                new Properties())).hasMessageEndingWith("seeds must be a list of \"host:port\" strings, got 7601");
        assertThatThrownBy(() -> ConfigLoader.load(write("e.json", "{\"maxFrameBytes\": 99999999999}"), NO_ENV,
                new Properties())).hasMessageContaining("maxFrameBytes must be an integer between")
                .hasMessageEndingWith("got 99999999999");
    }

    @Test
    void wrongTypeInOverrideNamesTheVariableOrProperty() {
        Map<String, String> env = Map.of("COHORT_CLUSTER_NAME", "c", "COHORT_MEMBER_NAME", "m",
                "COHORT_BIND_PORT", "76OO");

        assertThatThrownBy(() -> ConfigLoader.fromOverrides(env, new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration in environment variable COHORT_BIND_PORT: "
                        + "bindPort must be an integer, got \"76OO\"");
        assertThatThrownBy(() -> ConfigLoader.fromOverrides(env, props("cohort.bindPort", "x")))
                .hasMessage("Invalid configuration in system property cohort.bindPort: "
                        + "bindPort must be an integer, got \"x\"");
    }

    @Test
    void ruleBrokenInFileNamesFileKeyValueAndRule() throws IOException {
        Path file = write("cohort.yaml", "clusterName: c\nmemberName: m\nsuspectTimeoutMillis: 150\n");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isEqualTo("suspectTimeoutMillis");
        assertThat(e).hasMessage("Invalid configuration in " + file
                + ": suspectTimeoutMillis=150 must be at least 2 x heartbeatIntervalMillis (100)");
    }

    @Test
    void badSeedInOverrideNamesTheVariable() {
        Map<String, String> env = Map.of("COHORT_CLUSTER_NAME", "c", "COHORT_MEMBER_NAME", "m",
                "COHORT_SEEDS", "127.0.0.1:7601,::1:7602");

        assertThatThrownBy(() -> ConfigLoader.fromOverrides(env, new Properties()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("seeds"))
                .hasMessageStartingWith("Invalid configuration in environment variable COHORT_SEEDS: "
                        + "seeds entry \"::1:7602\"")
                .hasMessageEndingWith("an IPv6 address must be bracketed");
    }

    @Test
    void missingRequiredKeySaysWhereItCanBeSet() throws IOException {
        Path file = write("cohort.json", "{\"clusterName\": \"orders\"}");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isEqualTo("memberName");
        assertThat(e).hasMessageStartingWith("Invalid configuration: memberName is required")
                .hasMessageEndingWith("[memberName is not set; set it in " + file
                        + ", with environment variable COHORT_MEMBER_NAME or with system property cohort.memberName]");
    }

    @Test
    void wildcardBindWithoutAdvertisedHostInFile() throws IOException {
        Path file = write("cohort.yaml", "clusterName: c\nmemberName: m\nbindHost: 0.0.0.0\n");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isEqualTo("advertisedHost");
        assertThat(e).hasMessageContaining("advertisedHost must be set when bindHost=0.0.0.0 is a wildcard address")
                .hasMessageContaining("COHORT_ADVERTISED_HOST");
        assertThat(ConfigLoader.load(file, Map.of("COHORT_ADVERTISED_HOST", "10.0.0.1"), new Properties())
                .advertisedAddress()).isEqualTo("10.0.0.1:7600");
    }

    @Test
    void malformedJsonReportsPathAndPosition() throws IOException {
        Path file = write("cohort.json", "{\n  \"clusterName\": \"c\",\n  \"memberName\": \"m\",\n}\n");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isNull();
        assertThat(e).hasMessageStartingWith("Cannot parse configuration file " + file + " at line 4, column 1: ")
                .hasMessageNotContaining("[Source:");
    }

    @Test
    void malformedYamlReportsPathAndLine() throws IOException {
        Path file = write("cohort.yaml", "clusterName: c\nmemberName: m\n  bindPort: 7601\n");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isNull();
        assertThat(e).hasMessage("Cannot parse configuration file " + file
                + " at line 3, column 11: mapping values are not allowed here");
    }

    @Test
    void duplicateKeyInFileIsAnError() throws IOException {
        Path file = write("cohort.json", "{\"clusterName\": \"c\", \"memberName\": \"m\", \"memberName\": \"n\"}");

        assertThatThrownBy(() -> ConfigLoader.load(file, NO_ENV, new Properties()))
                .hasMessageStartingWith("Cannot parse configuration file " + file + " at line 1")
                .hasMessageContaining("Duplicate field 'memberName'");
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("nope.yaml");

        ConfigException e = failure(() -> ConfigLoader.load(file, NO_ENV, new Properties()));

        assertThat(e.key()).isNull();
        assertThat(e).hasMessage("Cannot read configuration file " + file + ": it does not exist");
    }

    @Test
    void unsupportedExtension() throws IOException {
        Path file = write("cohort.toml", "clusterName = \"c\"\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, NO_ENV, new Properties()))
                .hasMessage("Cannot read configuration file " + file
                        + ": unsupported file type; the name must end in .json, .yaml or .yml");
    }

    @Test
    void fileMustHoldAnObject() throws IOException {
        Path file = write("cohort.json", "[\"clusterName\"]");

        assertThatThrownBy(() -> ConfigLoader.load(file, NO_ENV, new Properties()))
                .hasMessageStartingWith("Configuration file " + file + " must hold an object of keys")
                .hasMessageEndingWith("found a list");
    }

    @Test
    void emptyFileSetsNothing() throws IOException {
        Path file = write("cohort.yaml", "");

        CohortConfig c = ConfigLoader.load(file, Map.of("COHORT_CLUSTER_NAME", "c"), props("cohort.memberName", "m"));

        assertThat(c).isEqualTo(CohortConfig.builder("c", "m").build());
    }

    @Test
    void unknownOverridesAreIgnoredButListed() {
        Map<String, String> env = Map.of("COHORT_CLUSTER_NAME", "c", "COHORT_MEMBER_NAME", "m",
                "COHORT_BIND_PROT", "1", "COHORT_HOME", "/opt/cohort", "PATH", "/bin");
        Properties props = props("cohort.bindProt", "2", "cohort.sim.seeds", "100", "cohort.bindPort", "7605",
                "user.home", "/root");

        assertThat(ConfigLoader.fromOverrides(env, props).bindPort()).isEqualTo(7605);
        assertThat(ConfigLoader.unknownOverrides(env, props))
                .containsExactly("COHORT_BIND_PROT", "COHORT_HOME", "cohort.bindProt");
    }

    @Test
    void aSectionOfALargerFileIsReadLikeAFileAndNamedInErrors() throws IOException {
        var mapper = new JsonMapper();
        var section = mapper.readTree("{\"clusterName\":\"kv\",\"memberName\":\"kv1\",\"bindPort\":7601}");
        Properties props = new Properties();
        props.setProperty("cohort.bindPort", "7700");
        CohortConfig config = ConfigLoader.fromTree(section, "section group of kv.yaml", Map.of(), props);
        assertThat(config.memberName()).isEqualTo("kv1");
        assertThat(config.bindPort()).as("system properties override the section").isEqualTo(7700);

        assertThatThrownBy(() -> ConfigLoader.fromTree(mapper.readTree("{\"clusterName\":\"kv\",\"memberNme\":\"x\"}"),
                "section group of kv.yaml", Map.of(), new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Unknown key \"memberNme\" in section group of kv.yaml")
                .hasMessageContaining("did you mean \"memberName\"?");
        assertThatThrownBy(() -> ConfigLoader.fromTree(mapper.readTree("{\"clusterName\":\"kv\"}"),
                "section group of kv.yaml", Map.of(), new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("in section group of kv.yaml");
        assertThatThrownBy(() -> ConfigLoader.fromTree(mapper.readTree("[1]"), "section group of kv.yaml", Map.of(),
                new Properties()))
                .hasMessageStartingWith("Configuration section group of kv.yaml must hold an object of keys");
    }
}
