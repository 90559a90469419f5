package io.cohort.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.config.CohortConfig.Builder;
import io.cohort.config.CohortConfig.HostPort;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CohortConfigTest {

    private static Builder valid() {
        return CohortConfig.builder("orders", "node-1");
    }

    @Test
    void defaults() {
        CohortConfig c = valid().build();

        assertThat(c.clusterName()).isEqualTo("orders");
        assertThat(c.memberName()).isEqualTo("node-1");
        assertThat(c.bindHost()).isEqualTo("127.0.0.1");
        assertThat(c.bindPort()).isEqualTo(7600);
        assertThat(c.advertisedHost()).isNull();
        assertThat(c.seeds()).isEmpty();
        assertThat(c.heartbeatIntervalMillis()).isEqualTo(100);
        assertThat(c.suspectTimeoutMillis()).isEqualTo(1000);
        assertThat(c.retransmitMillis()).isEqualTo(200);
        assertThat(c.joinRetryMillis()).isEqualTo(500);
        assertThat(c.connectTimeoutMillis()).isEqualTo(1000);
        assertThat(c.reconnectBackoffMinMillis()).isEqualTo(50);
        assertThat(c.reconnectBackoffMaxMillis()).isEqualTo(2000);
        assertThat(c.bootstrapTimeoutMillis()).isEqualTo(3000);
        assertThat(c.maxFrameBytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(c.outboundQueueBytes()).isEqualTo(32L * 1024 * 1024);
        assertThat(c.maxInFlightMulticasts()).isEqualTo(4096);
        assertThat(c.stateChunkBytes()).isEqualTo(256 * 1024);
        assertThat(c.dataDir()).isNull();
        assertThat(c.effectiveDataDir()).isEqualTo(Path.of("data", "node-1"));
        assertThat(c.advertisedAddress()).isEqualTo("127.0.0.1:7600");
    }

    @Test
    void keysAreTheComponentNamesInOrder() {
        assertThat(CohortConfig.keys()).containsExactly("clusterName", "memberName", "bindHost", "bindPort",
                "advertisedHost", "seeds", "heartbeatIntervalMillis", "suspectTimeoutMillis", "retransmitMillis",
                "joinRetryMillis", "connectTimeoutMillis", "reconnectBackoffMinMillis", "reconnectBackoffMaxMillis",
                "bootstrapTimeoutMillis", "maxFrameBytes", "outboundQueueBytes", "maxInFlightMulticasts",
                "stateChunkBytes", "dataDir");
        assertThat(CohortConfig.keys()).containsExactlyElementsOf(
                Arrays.stream(CohortConfig.class.getRecordComponents()).map(rc -> rc.getName()).toList());
    }

    @Test
    void builderRoundTrip() {
        CohortConfig c = CohortConfig.builder("a", "b").clusterName("orders").memberName("node-2")
                .bindHost("0.0.0.0").bindPort(7602).advertisedHost("10.0.0.2")
                .seeds("10.0.0.1:7601", "[fe80::1]:7602").heartbeatIntervalMillis(20).suspectTimeoutMillis(40)
                .retransmitMillis(30).joinRetryMillis(60).connectTimeoutMillis(70).reconnectBackoffMinMillis(5)
                .reconnectBackoffMaxMillis(5).bootstrapTimeoutMillis(0).maxFrameBytes(65_536)
                .outboundQueueBytes(65_536).maxInFlightMulticasts(1).stateChunkBytes(65_536 - 4096)
                .dataDir(Path.of("/var/lib/cohort")).build();

        assertThat(c.clusterName()).isEqualTo("orders");
        assertThat(c.memberName()).isEqualTo("node-2");
        assertThat(c.bindHost()).isEqualTo("0.0.0.0");
        assertThat(c.bindPort()).isEqualTo(7602);
        assertThat(c.advertisedHost()).isEqualTo("10.0.0.2");
        assertThat(c.seeds()).containsExactly(new HostPort("10.0.0.1", 7601), new HostPort("fe80::1", 7602));
        assertThat(c.heartbeatIntervalMillis()).isEqualTo(20);
        assertThat(c.suspectTimeoutMillis()).isEqualTo(40);
        assertThat(c.retransmitMillis()).isEqualTo(30);
        assertThat(c.joinRetryMillis()).isEqualTo(60);
        assertThat(c.connectTimeoutMillis()).isEqualTo(70);
        assertThat(c.reconnectBackoffMinMillis()).isEqualTo(5);
        assertThat(c.reconnectBackoffMaxMillis()).isEqualTo(5);
        assertThat(c.bootstrapTimeoutMillis()).isZero();
        assertThat(c.maxFrameBytes()).isEqualTo(65_536);
        assertThat(c.outboundQueueBytes()).isEqualTo(65_536);
        assertThat(c.maxInFlightMulticasts()).isEqualTo(1);
        assertThat(c.stateChunkBytes()).isEqualTo(61_440);
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/cohort"));
        assertThat(c.effectiveDataDir()).isEqualTo(Path.of("/var/lib/cohort"));
        assertThat(c.advertisedAddress()).isEqualTo("10.0.0.2:7602");

        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toBuilder().bindPort(7603).build().bindPort()).isEqualTo(7603);
    }

    @Test
    void largestValuesAreAccepted() {
        CohortConfig c = valid().bindPort(65535).heartbeatIntervalMillis(60_000).suspectTimeoutMillis(120_000)
                .retransmitMillis(60_000).joinRetryMillis(600_000).connectTimeoutMillis(600_000)
                .bootstrapTimeoutMillis(600_000).maxFrameBytes(1_073_741_824).outboundQueueBytes(1_073_741_824)
                .maxInFlightMulticasts(10_000_000).stateChunkBytes(1_073_741_824 - 4096)
                .clusterName("x".repeat(64)).build();

        assertThat(c.clusterName()).hasSize(64);
        assertThat(c.stateChunkBytes()).isEqualTo(1_073_737_728);
    }

    @Test
    void seedsAreCopiedAndImmutable() {
        List<HostPort> seeds = new java.util.ArrayList<>(List.of(new HostPort("h", 1)));
        CohortConfig c = valid().seeds(seeds).build();
        seeds.add(new HostPort("h", 2));

        assertThat(c.seeds()).containsExactly(new HostPort("h", 1));
        assertThatThrownBy(() -> c.seeds().add(new HostPort("h", 3))).isInstanceOf(UnsupportedOperationException.class);
        assertThat(valid().seeds((List<HostPort>) null).build().seeds()).isEmpty();
    }

    @Test
    void advertisedAddressBracketsIpv6AndPrefersAdvertisedHost() {
        assertThat(valid().bindHost("::1").bindPort(7601).build().advertisedAddress()).isEqualTo("[::1]:7601");
        assertThat(valid().bindHost("::").advertisedHost("fd00::7").build().advertisedAddress())
                .isEqualTo("[fd00::7]:7600");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::"})
    void wildcardBindNeedsAdvertisedHost(String wildcard) {
        assertThatThrownBy(() -> valid().bindHost(wildcard).build())
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("advertisedHost"))
                .hasMessage("advertisedHost must be set when bindHost=" + wildcard
                        + " is a wildcard address: other members need an address they can connect to");

        assertThat(valid().bindHost(wildcard).advertisedHost("10.1.2.3").build().advertisedAddress())
                .isEqualTo("10.1.2.3:7600");
    }

    @Test
    void suspectTimeoutMessageNamesKeyValueAndRule() {
        assertThatThrownBy(() -> valid().heartbeatIntervalMillis(100).suspectTimeoutMillis(150).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("suspectTimeoutMillis=150 must be at least 2 x heartbeatIntervalMillis (100)");
        assertThat(valid().heartbeatIntervalMillis(100).suspectTimeoutMillis(200).build().suspectTimeoutMillis())
                .isEqualTo(200);
    }

    static Stream<Arguments> brokenRules() {
        return Stream.of(
                rule(b -> b.clusterName(null), "clusterName", "clusterName is required"),
                rule(b -> b.clusterName("my cluster"), "clusterName", "clusterName=\"my cluster\" must be 1 to 64"),
                rule(b -> b.clusterName(""), "clusterName", "clusterName=\"\" must be"),
                rule(b -> b.clusterName("x".repeat(65)), "clusterName", "must be 1 to 64 characters"),
                rule(b -> b.memberName(null), "memberName", "memberName is required"),
                rule(b -> b.memberName("a/b"), "memberName", "memberName=\"a/b\" must be"),
                rule(b -> b.bindHost(""), "bindHost", "bindHost must not be empty"),
                rule(b -> b.bindHost("[::1]"), "bindHost", "bindHost=\"[::1]\" must be a host name or IP address"),
                rule(b -> b.bindPort(-1), "bindPort", "bindPort=-1 must be between 0 and 65535"),
                rule(b -> b.bindPort(65536), "bindPort", "bindPort=65536 must be between 0 and 65535"),
                rule(b -> b.advertisedHost("0.0.0.0"), "advertisedHost", "advertisedHost=0.0.0.0 is a wildcard"),
                rule(b -> b.advertisedHost("a b"), "advertisedHost", "advertisedHost=\"a b\" must be a host"),
                rule(b -> b.seeds(Arrays.asList(new HostPort("h", 1), null)), "seeds", "must not contain null"),
                rule(b -> b.heartbeatIntervalMillis(0), "heartbeatIntervalMillis",
                        "heartbeatIntervalMillis=0 must be between 1 and 60000"),
                rule(b -> b.heartbeatIntervalMillis(60_001), "heartbeatIntervalMillis",
                        "heartbeatIntervalMillis=60001 must be between 1 and 60000"),
                rule(b -> b.heartbeatIntervalMillis(600), "suspectTimeoutMillis",
                        "suspectTimeoutMillis=1000 must be at least 2 x heartbeatIntervalMillis (600)"),
                rule(b -> b.retransmitMillis(0), "retransmitMillis", "retransmitMillis=0 must be between 1 and 60000"),
                rule(b -> b.retransmitMillis(60_001), "retransmitMillis", "retransmitMillis=60001 must be between"),
                rule(b -> b.joinRetryMillis(0), "joinRetryMillis", "joinRetryMillis=0 must be between 1 and 600000"),
                rule(b -> b.joinRetryMillis(600_001), "joinRetryMillis", "joinRetryMillis=600001 must be between"),
                rule(b -> b.connectTimeoutMillis(0), "connectTimeoutMillis",
                        "connectTimeoutMillis=0 must be between 1 and 600000"),
                rule(b -> b.connectTimeoutMillis(600_001), "connectTimeoutMillis", "connectTimeoutMillis=600001"),
                rule(b -> b.reconnectBackoffMinMillis(0), "reconnectBackoffMinMillis",
                        "reconnectBackoffMinMillis=0 must be at least 1"),
                rule(b -> b.reconnectBackoffMinMillis(100).reconnectBackoffMaxMillis(99), "reconnectBackoffMaxMillis",
                        "reconnectBackoffMaxMillis=99 must be at least reconnectBackoffMinMillis (100)"),
                rule(b -> b.bootstrapTimeoutMillis(-1), "bootstrapTimeoutMillis",
                        "bootstrapTimeoutMillis=-1 must be between 0 and 600000"),
                rule(b -> b.bootstrapTimeoutMillis(600_001), "bootstrapTimeoutMillis", "=600001 must be between"),
                rule(b -> b.maxFrameBytes(65_535), "maxFrameBytes", "maxFrameBytes=65535 must be between 65536 and"),
                rule(b -> b.maxFrameBytes(1_073_741_825), "maxFrameBytes", "and 1073741824"),
                rule(b -> b.outboundQueueBytes(16 * 1024 * 1024 - 1), "outboundQueueBytes",
                        "outboundQueueBytes=16777215 must be at least maxFrameBytes (16777216)"),
                rule(b -> b.maxInFlightMulticasts(0), "maxInFlightMulticasts",
                        "maxInFlightMulticasts=0 must be between 1 and 10000000"),
                rule(b -> b.maxInFlightMulticasts(10_000_001), "maxInFlightMulticasts", "=10000001 must be between"),
                rule(b -> b.stateChunkBytes(1023), "stateChunkBytes",
                        "stateChunkBytes=1023 must be between 1024 and maxFrameBytes - 4096 (16773120)"),
                rule(b -> b.maxFrameBytes(65_536).outboundQueueBytes(65_536), "stateChunkBytes",
                        "stateChunkBytes=262144 must be between 1024 and maxFrameBytes - 4096 (61440)"));
    }

    private static Arguments rule(Consumer<Builder> breakIt, String key, String message) {
        return Arguments.of(breakIt, key, message);
    }

    @ParameterizedTest
    @MethodSource("brokenRules")
    void eachRuleIsEnforcedAndNamesTheKey(Consumer<Builder> breakIt, String key, String message) {
        Builder b = valid();
        breakIt.accept(b);

        assertThatThrownBy(b::build)
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo(key))
                .hasMessageContaining(message);
    }

    @Test
    void hostPortParsesNamesAndIpv6() {
        assertThat(HostPort.parse("127.0.0.1:7600")).isEqualTo(new HostPort("127.0.0.1", 7600));
        assertThat(HostPort.parse(" db-1.example.com:80 ")).isEqualTo(new HostPort("db-1.example.com", 80));
        HostPort v6 = HostPort.parse("[::1]:7601");
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.port()).isEqualTo(7601);
        assertThat(v6).hasToString("[::1]:7601");
        assertThat(HostPort.parse(v6.toString())).isEqualTo(v6);
        assertThat(new HostPort("10.0.0.1", 7602)).hasToString("10.0.0.1:7602");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "localhost", "::1:7600", "[::1]7600", "[::1", "host:abc", "host:", ":7600", "host:0",
        "host:65536", "bad host:1"})
    void hostPortRejectsBadValuesNamingThem(String bad) {
        assertThatThrownBy(() -> HostPort.parse(bad))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("seeds"))
                .hasMessageStartingWith("seeds entry \"" + bad + "\" must be host:port");
    }

    @Test
    void builderSeedsFailsFastOnBadEntry() {
        assertThatThrownBy(() -> valid().seeds("127.0.0.1:7601", "127.0.0.1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("\"127.0.0.1\"").hasMessageContaining("the port is missing");
    }
}
