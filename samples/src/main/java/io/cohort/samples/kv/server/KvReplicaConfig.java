package io.cohort.samples.kv.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigException;
import io.cohort.config.ConfigLoader;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.storage.Durability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * Everything one key-value replica needs, read from a YAML or JSON file with four sections:
 *
 * <pre>
 * group:                      # the Cohort member: the keys of docs/configuration.md
 *   clusterName: kv
 *   memberName: kv1
 *   bindHost: 10.0.0.1
 *   bindPort: 7401
 *   seeds: [10.0.0.1:7401, 10.0.0.2:7401, 10.0.0.3:7401]
 *   dataDir: /var/lib/cohort-kv/kv1
 * redis:                      # the Redis protocol port
 *   host: 0.0.0.0
 *   port: 6379
 * admin:                      # /health, /view, /metrics
 *   host: 0.0.0.0
 *   port: 8080
 * storage:
 *   durability: LOG           # MEMORY, LOG or SYNC
 * </pre>
 *
 * Every key but {@code group.clusterName} and {@code group.memberName} has a default; an unknown
 * key is an error (with the nearest known key suggested for the group section). {@code cohort.*}
 * system properties and {@code COHORT_*} environment variables override the group section, as
 * for any Cohort member.
 *
 * @param group    the group member's configuration
 * @param redis    the Redis protocol server
 * @param admin    the admin HTTP server
 * @param storage  durability and checkpoints
 * @param expiry   logical-time ticks for key expiry
 */
public record KvReplicaConfig(CohortConfig group, Redis redis, Admin admin, Storage storage, Expiry expiry) {

    /**
     * The Redis protocol server.
     *
     * @param host                    address to listen on; default 127.0.0.1
     * @param port                    port; default 6379
     * @param reads                   freshness of reads: LINEARIZABLE (default) or STALE
     * @param requestTimeoutMillis    how long a request may keep being retried at this replica while it
     *                                is not serving the primary view, before the client gets
     *                                {@code -TRYAGAIN}; default 10000
     * @param maxPendingPerConnection unanswered pipelined requests per connection before it stops
     *                                being read; default 1024
     * @param ioThreads               I/O threads; default 1
     */
    public record Redis(String host, int port, ReadConsistency reads, long requestTimeoutMillis,
                        int maxPendingPerConnection, int ioThreads) {
    }

    /**
     * The admin HTTP server.
     *
     * @param host          address to listen on; default 127.0.0.1
     * @param port          port; default 8080 (0 picks a free port)
     * @param maxHealthyLag most log entries a replica may trail the group and still answer /health
     *                      with 200; default 1000
     */
    public record Admin(String host, int port, long maxHealthyLag) {
    }

    /**
     * Durability and checkpoints (see docs/recovery.md).
     *
     * @param durability              MEMORY (no files), LOG (default) or SYNC
     * @param checkpointEveryCommands a checkpoint after this many logged commands; default 100000
     * @param keepCheckpoints         checkpoints kept; default 2
     * @param rollCycle               how often the log starts a new file; default HOURLY
     */
    public record Storage(Durability durability, long checkpointEveryCommands, int keepCheckpoints,
                          LogRollCycle rollCycle) {
    }

    /**
     * Key expiry.
     *
     * @param tickMillis how often a replica checks whether a key is due and, if no command has
     *                   moved the log's time past it, submits a tick; default 100
     */
    public record Expiry(long tickMillis) {
    }

    private static final Set<String> SECTIONS = Set.of("group", "redis", "admin", "storage", "expiry");

    /**
     * Validates the sections.
     */
    public KvReplicaConfig {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(expiry, "expiry");
    }

    /**
     * Reads a file, with this process's environment and system properties over its group section.
     *
     * @param file a {@code .yaml}, {@code .yml} or {@code .json} file
     * @return the configuration
     * @throws ConfigException naming the key and the file, if anything is missing, unknown or wrong
     */
    public static KvReplicaConfig load(Path file) {
        return load(file, System.getenv(), System.getProperties());
    }

    /**
     * Reads a file, with the given environment and system properties over its group section.
     *
     * @param file     a {@code .yaml}, {@code .yml} or {@code .json} file
     * @param env      environment variables
     * @param sysProps system properties
     * @return the configuration
     * @throws ConfigException naming the key and the file, if anything is missing, unknown or wrong
     */
    public static KvReplicaConfig load(Path file, Map<String, String> env, Properties sysProps) {
        JsonNode root = read(file);
        if (root == null || !root.isObject()) {
            throw new ConfigException(null, "Configuration file " + file + " must hold an object with the sections "
                    + String.join(", ", List.of("group", "redis", "admin", "storage", "expiry")));
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (!SECTIONS.contains(field.getKey())) {
                throw new ConfigException(field.getKey(), "Unknown section \"" + field.getKey() + "\" in " + file
                        + "; the sections are group, redis, admin, storage and expiry");
            }
        }
        CohortConfig group = ConfigLoader.fromTree(root.get("group"), "section group of " + file, env, sysProps);
        Section redis = new Section(root.get("redis"), "redis", file);
        Section admin = new Section(root.get("admin"), "admin", file);
        Section storage = new Section(root.get("storage"), "storage", file);
        Section expiry = new Section(root.get("expiry"), "expiry", file);
        KvReplicaConfig config = new KvReplicaConfig(group,
                new Redis(redis.text("host", "127.0.0.1"), (int) redis.number("port", 6379, 0, 65535),
                        redis.choice("reads", ReadConsistency.class, ReadConsistency.LINEARIZABLE),
                        redis.number("requestTimeoutMillis", 10_000, 1, 3_600_000),
                        (int) redis.number("maxPendingPerConnection", 1024, 1, 1 << 20),
                        (int) redis.number("ioThreads", 1, 1, 64)),
                new Admin(admin.text("host", "127.0.0.1"), (int) admin.number("port", 8080, 0, 65535),
                        admin.number("maxHealthyLag", 1000, 0, Long.MAX_VALUE)),
                new Storage(storage.choice("durability", Durability.class, Durability.LOG),
                        storage.number("checkpointEveryCommands", 100_000, 1, Long.MAX_VALUE),
                        (int) storage.number("keepCheckpoints", 2, 1, 100),
                        storage.choice("rollCycle", LogRollCycle.class, LogRollCycle.HOURLY)),
                new Expiry(expiry.number("tickMillis", 100, 1, 60_000)));
        for (Section s : List.of(redis, admin, storage, expiry)) {
            s.rejectUnread();
        }
        return config;
    }

    private static JsonNode read(Path file) {
        String lower = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        ObjectMapper mapper;
        if (lower.endsWith(".json")) {
            mapper = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        } else if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            mapper = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        } else {
            throw new ConfigException(null, "Cannot read configuration file " + file
                    + ": the name must end in .yaml, .yml or .json");
        }
        try {
            return mapper.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new ConfigException(null, "Cannot parse configuration file " + file + ": " + e.getOriginalMessage(),
                    e);
        } catch (IOException e) {
            throw new ConfigException(null, "Cannot read configuration file " + file + ": " + e, e);
        }
    }

    /** One optional section: typed reads with defaults, and a check that nothing else is in it. */
    private static final class Section {
        private final JsonNode node;
        private final String name;
        private final Path file;
        private final Set<String> read = new HashSet<>();

        Section(JsonNode node, String name, Path file) {
            if (node != null && !node.isNull() && !node.isObject()) {
                throw new ConfigException(name, "Section " + name + " of " + file + " must be an object of keys");
            }
            this.node = node == null || node.isNull() ? null : node;
            this.name = name;
            this.file = file;
        }

        private JsonNode value(String key) {
            read.add(key);
            JsonNode v = node == null ? null : node.get(key);
            return v == null || v.isNull() ? null : v;
        }

        String text(String key, String fallback) {
            JsonNode v = value(key);
            if (v == null) {
                return fallback;
            }
            if (!v.isTextual() || v.asText().isBlank()) {
                throw wrong(key, "a non-empty string", v);
            }
            return v.asText();
        }

        long number(String key, long fallback, long min, long max) {
            JsonNode v = value(key);
            if (v == null) {
                return fallback;
            }
            if (!v.canConvertToExactIntegral() || !v.canConvertToLong()) {
                throw wrong(key, "an integer", v);
            }
            long n = v.asLong();
            if (n < min || n > max) {
                throw new ConfigException(name + "." + key, name + "." + key + " in " + file + " must be " + min
                        + " to " + max + ", got " + n);
            }
            return n;
        }

        <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
            JsonNode v = value(key);
            if (v == null) {
                return fallback;
            }
            for (E e : type.getEnumConstants()) {
                if (v.isTextual() && e.name().equalsIgnoreCase(v.asText())) {
                    return e;
                }
            }
            throw wrong(key, "one of " + List.of(type.getEnumConstants()), v);
        }

        void rejectUnread() {
            if (node == null) {
                return;
            }
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (!read.contains(field.getKey())) {
                    throw new ConfigException(name + "." + field.getKey(), "Unknown key \"" + field.getKey()
                            + "\" in section " + name + " of " + file + "; the known keys are " + read);
                }
            }
        }

        private ConfigException wrong(String key, String expected, JsonNode v) {
            return new ConfigException(name + "." + key, name + "." + key + " in " + file + " must be " + expected
                    + ", got " + v);
        }
    }
}
