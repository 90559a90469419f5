package io.cohort.config;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The settings of one Cohort member. Immutable, and valid by construction: the constructor checks every
 * rule below and throws {@link ConfigException} naming the key, the value and the rule.
 *
 * <p>Build one in code with {@link #builder(String, String)}, or load one from a JSON or YAML file,
 * environment variables and system properties with {@link ConfigLoader}. The component names are the
 * keys of the file format, in {@link #keys()} order.
 *
 * @param clusterName               required; 1..64 characters of {@code [A-Za-z0-9._-]}. Members only talk to
 *                                  members of the same cluster (the name is hashed into every frame)
 * @param memberName                required; same character rule. Unique in the cluster; a restarted process
 *                                  reuses it with a new incarnation
 * @param bindHost                  address to listen on; default {@code "127.0.0.1"}
 * @param bindPort                  port to listen on, 0..65535; default 7600. 0 picks a free port (for tests)
 * @param advertisedHost            host other members dial; default null, meaning {@link #bindHost()}. Must be
 *                                  set when bindHost is a wildcard ({@code "0.0.0.0"} or {@code "::"})
 * @param seeds                     members to contact when joining; default empty. Written {@code host:port},
 *                                  IPv6 as {@code [::1]:7600}
 * @param heartbeatIntervalMillis   how often a member heartbeats its peers, 1..60000; default 100
 * @param suspectTimeoutMillis      silence after which a peer is suspected; at least
 *                                  2 x heartbeatIntervalMillis; default 1000
 * @param retransmitMillis          how long before unacknowledged protocol messages are resent, 1..60000;
 *                                  default 200
 * @param joinRetryMillis           how often a joiner retries its join request, 1..600000; default 500
 * @param connectTimeoutMillis      how long one TCP connect may take, 1..600000; default 1000
 * @param reconnectBackoffMinMillis first wait before redialling a peer, at least 1; default 50
 * @param reconnectBackoffMaxMillis longest wait before redialling a peer, at least
 *                                  reconnectBackoffMinMillis; default 2000
 * @param bootstrapTimeoutMillis    how long a seed waits for lower-addressed seeds before it may start a new
 *                                  group, 0..600000; default 3000
 * @param maxFrameBytes             largest frame sent or accepted, 65536..1073741824; default 16 MiB
 * @param outboundQueueBytes        most bytes queued for one peer, at least maxFrameBytes; default 32 MiB
 * @param maxInFlightMulticasts     multicasts sent but not yet delivered before senders wait, 1..10000000;
 *                                  default 4096
 * @param stateChunkBytes           size of one state-transfer chunk, 1024..(maxFrameBytes - 4096); default
 *                                  256 KiB
 * @param dataDir                   where the member keeps its files; default null, meaning
 *                                  {@code data/<memberName>} under the working directory (see
 *                                  {@link #effectiveDataDir()})
 */
public record CohortConfig(
        String clusterName,
        String memberName,
        String bindHost,
        int bindPort,
        String advertisedHost,
        List<HostPort> seeds,
        long heartbeatIntervalMillis,
        long suspectTimeoutMillis,
        long retransmitMillis,
        long joinRetryMillis,
        long connectTimeoutMillis,
        long reconnectBackoffMinMillis,
        long reconnectBackoffMaxMillis,
        long bootstrapTimeoutMillis,
        int maxFrameBytes,
        long outboundQueueBytes,
        int maxInFlightMulticasts,
        int stateChunkBytes,
        Path dataDir) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final String NAME_RULE = "1 to 64 characters of A-Z a-z 0-9 . _ -";
    // Host names and IP literals (IPv6 with an optional %zone); no brackets, spaces or commas, which
    // would break the host:port and comma-separated seed syntax.
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:%-]+");
    private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0");
    // Room in a frame for the envelope around a state chunk.
    private static final int FRAME_OVERHEAD = 4096;

    // Derived from the components so that it cannot drift from them.
    private static final List<String> KEYS = Arrays.stream(CohortConfig.class.getRecordComponents())
            .map(RecordComponent::getName).toList();

    /**
     * Checks every rule and makes the configuration. Rules are checked in {@link #keys()} order, so the
     * first broken one is reported. A null seeds list means none; the list is copied.
     *
     * @param clusterName               see {@link #clusterName()}
     * @param memberName                see {@link #memberName()}
     * @param bindHost                  see {@link #bindHost()}
     * @param bindPort                  see {@link #bindPort()}
     * @param advertisedHost            see {@link #advertisedHost()}
     * @param seeds                     see {@link #seeds()}
     * @param heartbeatIntervalMillis   see {@link #heartbeatIntervalMillis()}
     * @param suspectTimeoutMillis      see {@link #suspectTimeoutMillis()}
     * @param retransmitMillis          see {@link #retransmitMillis()}
     * @param joinRetryMillis           see {@link #joinRetryMillis()}
     * @param connectTimeoutMillis      see {@link #connectTimeoutMillis()}
     * @param reconnectBackoffMinMillis see {@link #reconnectBackoffMinMillis()}
     * @param reconnectBackoffMaxMillis see {@link #reconnectBackoffMaxMillis()}
     * @param bootstrapTimeoutMillis    see {@link #bootstrapTimeoutMillis()}
     * @param maxFrameBytes             see {@link #maxFrameBytes()}
     * @param outboundQueueBytes        see {@link #outboundQueueBytes()}
     * @param maxInFlightMulticasts     see {@link #maxInFlightMulticasts()}
     * @param stateChunkBytes           see {@link #stateChunkBytes()}
     * @param dataDir                   see {@link #dataDir()}
     * @throws ConfigException naming the key, the bad value and the rule
     */
    public CohortConfig {
        checkName("clusterName", clusterName);
        checkName("memberName", memberName);
        checkHost("bindHost", bindHost);
        checkRange("bindPort", bindPort, 0, 65535);
        if (advertisedHost != null) {
            checkHost("advertisedHost", advertisedHost);
            if (WILDCARDS.contains(advertisedHost)) {
                throw new ConfigException("advertisedHost", "advertisedHost=" + advertisedHost
                        + " is a wildcard address; it must be an address other members can connect to");
            }
        } else if (WILDCARDS.contains(bindHost)) {
            throw new ConfigException("advertisedHost", "advertisedHost must be set when bindHost=" + bindHost
                    + " is a wildcard address: other members need an address they can connect to");
        }
        seeds = checkSeeds(seeds);
        checkRange("heartbeatIntervalMillis", heartbeatIntervalMillis, 1, 60_000);
        if (suspectTimeoutMillis < 2 * heartbeatIntervalMillis) {
            throw new ConfigException("suspectTimeoutMillis", "suspectTimeoutMillis=" + suspectTimeoutMillis
                    + " must be at least 2 x heartbeatIntervalMillis (" + heartbeatIntervalMillis + ")");
        }
        checkRange("retransmitMillis", retransmitMillis, 1, 60_000);
        checkRange("joinRetryMillis", joinRetryMillis, 1, 600_000);
        checkRange("connectTimeoutMillis", connectTimeoutMillis, 1, 600_000);
        checkAtLeast("reconnectBackoffMinMillis", reconnectBackoffMinMillis, 1, null);
        checkAtLeast("reconnectBackoffMaxMillis", reconnectBackoffMaxMillis, reconnectBackoffMinMillis,
                "reconnectBackoffMinMillis");
        checkRange("bootstrapTimeoutMillis", bootstrapTimeoutMillis, 0, 600_000);
        checkRange("maxFrameBytes", maxFrameBytes, 65_536, 1_073_741_824);
        checkAtLeast("outboundQueueBytes", outboundQueueBytes, maxFrameBytes, "maxFrameBytes");
        checkRange("maxInFlightMulticasts", maxInFlightMulticasts, 1, 10_000_000);
        if (stateChunkBytes < 1024 || stateChunkBytes > maxFrameBytes - FRAME_OVERHEAD) {
            throw new ConfigException("stateChunkBytes", "stateChunkBytes=" + stateChunkBytes
                    + " must be between 1024 and maxFrameBytes - " + FRAME_OVERHEAD + " ("
                    + (maxFrameBytes - FRAME_OVERHEAD) + ")");
        }
    }

    /**
     * Starts a builder holding every default.
     *
     * @param clusterName the cluster to join (required)
     * @param memberName  this member's name, unique in the cluster (required)
     * @return a builder; nothing is checked until {@link Builder#build()}
     */
    public static Builder builder(String clusterName, String memberName) {
        return new Builder(clusterName, memberName);
    }

    /**
     * Starts a builder holding this configuration's values, to derive a variant of it.
     *
     * @return a builder initialised from this configuration
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Every key, in component order; these are the names used in files, and (converted) in environment
     * variables and system properties.
     *
     * @return an immutable list of the component names, {@code clusterName} first and {@code dataDir} last
     */
    public static List<String> keys() {
        return KEYS;
    }

    /**
     * The address other members should dial to reach this one.
     *
     * @return {@code host:port}, where host is advertisedHost or else bindHost, and an IPv6 host is bracketed
     *         ({@code [::1]:7600}). With bindPort 0 the port is 0, not the port actually bound.
     */
    public String advertisedAddress() {
        return HostPort.format(advertisedHost != null ? advertisedHost : bindHost, bindPort);
    }

    /**
     * The directory this member keeps its files in.
     *
     * @return dataDir if set, else {@code data/<memberName>} relative to the working directory
     */
    public Path effectiveDataDir() {
        return dataDir != null ? dataDir : Path.of("data", memberName);
    }

    private static void checkName(String key, String value) {
        if (value == null) {
            throw new ConfigException(key, key + " is required: " + NAME_RULE);
        }
        if (!NAME.matcher(value).matches()) {
            throw new ConfigException(key, key + "=\"" + value + "\" must be " + NAME_RULE);
        }
    }

    private static void checkHost(String key, String value) {
        if (value == null || value.isEmpty()) {
            throw new ConfigException(key, key + " must not be empty");
        }
        if (!HOST.matcher(value).matches()) {
            throw new ConfigException(key, key + "=\"" + value
                    + "\" must be a host name or IP address (IPv6 without brackets)");
        }
    }

    private static void checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key, key + "=" + value + " must be between " + min + " and " + max);
        }
    }

    /** Checks a lower bound that is either a constant ({@code minKey} null) or another key's value. */
    private static void checkAtLeast(String key, long value, long min, String minKey) {
        if (value < min) {
            throw new ConfigException(key, key + "=" + value + " must be at least "
                    + (minKey == null ? String.valueOf(min) : minKey + " (" + min + ")"));
        }
    }

    private static List<HostPort> checkSeeds(List<HostPort> seeds) {
        if (seeds == null) {
            return List.of();
        }
        for (HostPort seed : seeds) {
            if (seed == null) {
                throw new ConfigException("seeds", "seeds must not contain null entries");
            }
        }
        return List.copyOf(seeds);
    }

    /**
     * A {@code host:port} address of a seed member.
     *
     * @param host host name or IP address, IPv6 without brackets
     * @param port 1..65535
     */
    public record HostPort(String host, int port) {

        /**
         * Checks the host and port.
         *
         * @param host see {@link #host()}
         * @param port see {@link #port()}
         * @throws ConfigException (key {@code seeds}) if the host is empty or malformed or the port out of range
         */
        public HostPort {
            if (host == null || !HOST.matcher(host).matches()) {
                throw new ConfigException("seeds", "seeds entry host " + (host == null ? "null" : "\"" + host + "\"")
                        + " must be a host name or IP address");
            }
            if (port < 1 || port > 65535) {
                throw new ConfigException("seeds", "seeds entry " + format(host, port)
                        + " must have a port between 1 and 65535");
            }
        }

        /**
         * Parses {@code host:port}, or {@code [ipv6]:port}. Surrounding whitespace is ignored.
         *
         * @param value the text to parse
         * @return the address
         * @throws ConfigException (key {@code seeds}) naming the value and what is wrong with it
         */
        public static HostPort parse(String value) {
            if (value == null || value.isBlank()) {
                throw bad(value, "it is empty");
            }
            String text = value.strip();
            String host;
            String port;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                    throw bad(value, "a bracketed IPv6 address must be followed by :port");
                }
                host = text.substring(1, close);
                port = text.substring(close + 2);
            } else {
                int colon = text.lastIndexOf(':');
                if (colon < 0) {
                    throw bad(value, "the port is missing");
                }
                host = text.substring(0, colon);
                port = text.substring(colon + 1);
                if (host.indexOf(':') >= 0) {
                    // "::1:7600" is ambiguous: is 7600 the port or part of the address?
                    throw bad(value, "an IPv6 address must be bracketed");
                }
            }
            int number;
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw bad(value, "the port \"" + port + "\" is not a number");
            }
            if (!HOST.matcher(host).matches()) {
                throw bad(value, host.isEmpty() ? "the host is missing" : "the host is not a host name or IP address");
            }
            if (number < 1 || number > 65535) {
                throw bad(value, "the port must be between 1 and 65535");
            }
            return new HostPort(host, number);
        }

        /**
         * Formats this address so that {@link #parse(String)} reads it back.
         *
         * @return {@code host:port}, or {@code [host]:port} for an IPv6 host
         */
        @Override
        public String toString() {
            return format(host, port);
        }

        static String format(String host, int port) {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }

        private static ConfigException bad(String value, String reason) {
            return new ConfigException("seeds", "seeds entry " + (value == null ? "null" : "\"" + value + "\"")
                    + " must be host:port (e.g. 127.0.0.1:7600, or [::1]:7600 for IPv6): " + reason);
        }
    }

    /**
     * Collects settings for a {@link CohortConfig}; starts from the defaults, checks nothing until
     * {@link #build()}. Each setter is named like the component it sets and returns this builder.
     */
    public static final class Builder {
        private String clusterName;
        private String memberName;
        private String bindHost = "127.0.0.1";
        private int bindPort = 7600;
        private String advertisedHost;
        private List<HostPort> seeds = List.of();
        private long heartbeatIntervalMillis = 100;
        private long suspectTimeoutMillis = 1000;
        private long retransmitMillis = 200;
        private long joinRetryMillis = 500;
        private long connectTimeoutMillis = 1000;
        private long reconnectBackoffMinMillis = 50;
        private long reconnectBackoffMaxMillis = 2000;
        private long bootstrapTimeoutMillis = 3000;
        private int maxFrameBytes = 16 * 1024 * 1024;
        private long outboundQueueBytes = 32L * 1024 * 1024;
        private int maxInFlightMulticasts = 4096;
        private int stateChunkBytes = 256 * 1024;
        private Path dataDir;

        private Builder(String clusterName, String memberName) {
            this.clusterName = clusterName;
            this.memberName = memberName;
        }

        private Builder(CohortConfig c) {
            this(c.clusterName, c.memberName);
            bindHost = c.bindHost;
            bindPort = c.bindPort;
            advertisedHost = c.advertisedHost;
            seeds = c.seeds;
            heartbeatIntervalMillis = c.heartbeatIntervalMillis;
            suspectTimeoutMillis = c.suspectTimeoutMillis;
            retransmitMillis = c.retransmitMillis;
            joinRetryMillis = c.joinRetryMillis;
            connectTimeoutMillis = c.connectTimeoutMillis;
            reconnectBackoffMinMillis = c.reconnectBackoffMinMillis;
            reconnectBackoffMaxMillis = c.reconnectBackoffMaxMillis;
            bootstrapTimeoutMillis = c.bootstrapTimeoutMillis;
            maxFrameBytes = c.maxFrameBytes;
            outboundQueueBytes = c.outboundQueueBytes;
            maxInFlightMulticasts = c.maxInFlightMulticasts;
            stateChunkBytes = c.stateChunkBytes;
            dataDir = c.dataDir;
        }

        /**
         * Sets {@link CohortConfig#clusterName()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder clusterName(String v) {
            clusterName = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#memberName()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder memberName(String v) {
            memberName = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#bindHost()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder bindHost(String v) {
            bindHost = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#bindPort()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder bindPort(int v) {
            bindPort = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#advertisedHost()}; null means bindHost.
         *
         * @param v the value
         * @return this builder
         */
        public Builder advertisedHost(String v) {
            advertisedHost = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#seeds()}; null means none.
         *
         * @param v the value
         * @return this builder
         */
        public Builder seeds(List<HostPort> v) {
            seeds = v == null ? null : new ArrayList<>(v);
            return this;
        }

        /**
         * Sets the seeds from text.
         *
         * @param hostPorts each {@code host:port}, IPv6 as {@code [::1]:7600}; replaces any seeds set before
         * @return this builder
         * @throws ConfigException at once if an entry does not parse (see {@link HostPort#parse(String)})
         */
        public Builder seeds(String... hostPorts) {
            seeds = Arrays.stream(hostPorts).map(HostPort::parse).toList();
            return this;
        }

        /**
         * Sets {@link CohortConfig#heartbeatIntervalMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder heartbeatIntervalMillis(long v) {
            heartbeatIntervalMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#suspectTimeoutMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder suspectTimeoutMillis(long v) {
            suspectTimeoutMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#retransmitMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder retransmitMillis(long v) {
            retransmitMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#joinRetryMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder joinRetryMillis(long v) {
            joinRetryMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#connectTimeoutMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder connectTimeoutMillis(long v) {
            connectTimeoutMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#reconnectBackoffMinMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder reconnectBackoffMinMillis(long v) {
            reconnectBackoffMinMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#reconnectBackoffMaxMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder reconnectBackoffMaxMillis(long v) {
            reconnectBackoffMaxMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#bootstrapTimeoutMillis()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder bootstrapTimeoutMillis(long v) {
            bootstrapTimeoutMillis = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#maxFrameBytes()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxFrameBytes(int v) {
            maxFrameBytes = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#outboundQueueBytes()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder outboundQueueBytes(long v) {
            outboundQueueBytes = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#maxInFlightMulticasts()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxInFlightMulticasts(int v) {
            maxInFlightMulticasts = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#stateChunkBytes()}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder stateChunkBytes(int v) {
            stateChunkBytes = v;
            return this;
        }

        /**
         * Sets {@link CohortConfig#dataDir()}; null means {@code data/<memberName>}.
         *
         * @param v the value
         * @return this builder
         */
        public Builder dataDir(Path v) {
            dataDir = v;
            return this;
        }

        /**
         * Checks the settings and makes the configuration.
         *
         * @return the configuration
         * @throws ConfigException naming the first key, in {@link #keys()} order, that breaks a rule
         */
        public CohortConfig build() {
            return new CohortConfig(clusterName, memberName, bindHost, bindPort, advertisedHost, seeds,
                    heartbeatIntervalMillis, suspectTimeoutMillis, retransmitMillis, joinRetryMillis,
                    connectTimeoutMillis, reconnectBackoffMinMillis, reconnectBackoffMaxMillis,
                    bootstrapTimeoutMillis, maxFrameBytes, outboundQueueBytes, maxInFlightMulticasts,
                    stateChunkBytes, dataDir);
        }
    }
}
