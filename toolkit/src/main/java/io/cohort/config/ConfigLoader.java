package io.cohort.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cohort.config.CohortConfig.Builder;
import io.cohort.config.CohortConfig.HostPort;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.ObjIntConsumer;
import java.util.function.ObjLongConsumer;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Loads a {@link CohortConfig} from a JSON or YAML file, environment variables and system properties.
 *
 * <p>Precedence, lowest first: defaults &lt; file &lt; environment variables &lt; system properties. The
 * file is a flat object whose keys are the {@link CohortConfig#keys()}. The environment variable for a
 * key is {@code COHORT_} plus the key in upper snake case ({@code maxInFlightMulticasts} &rarr;
 * {@code COHORT_MAX_IN_FLIGHT_MULTICASTS}); the system property is {@code cohort.} plus the key
 * ({@code cohort.memberName}). Override values are text; {@code seeds} is comma-separated.
 *
 * <p>Every failure is a {@link ConfigException} whose message names the key and where its value came
 * from. Variables and properties with the prefix that name no key are ignored here, because other tools
 * share the prefix; {@link #unknownOverrides(Map, Properties)} lists them so the caller can warn.
 */
public final class ConfigLoader {

    private static final String ENV_PREFIX = "COHORT_";
    private static final String PROPERTY_PREFIX = "cohort.";

    // A key written twice in a file is almost certainly a mistake; Jackson would silently keep the last.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Per key: convert the JSON value (checking its type) and hand it to the builder. */
    private static final Map<String, BiConsumer<Builder, JsonNode>> SETTERS = new LinkedHashMap<>();

    static {
        text("clusterName", Builder::clusterName);
        text("memberName", Builder::memberName);
        text("bindHost", Builder::bindHost);
        integer("bindPort", Builder::bindPort);
        optionalText("advertisedHost", Builder::advertisedHost);
        SETTERS.put("seeds", (b, n) -> b.seeds(seeds(n)));
        longInteger("heartbeatIntervalMillis", Builder::heartbeatIntervalMillis);
        longInteger("suspectTimeoutMillis", Builder::suspectTimeoutMillis);
        longInteger("retransmitMillis", Builder::retransmitMillis);
        longInteger("joinRetryMillis", Builder::joinRetryMillis);
        longInteger("connectTimeoutMillis", Builder::connectTimeoutMillis);
        longInteger("reconnectBackoffMinMillis", Builder::reconnectBackoffMinMillis);
        longInteger("reconnectBackoffMaxMillis", Builder::reconnectBackoffMaxMillis);
        longInteger("bootstrapTimeoutMillis", Builder::bootstrapTimeoutMillis);
        integer("maxFrameBytes", Builder::maxFrameBytes);
        longInteger("outboundQueueBytes", Builder::outboundQueueBytes);
        integer("maxInFlightMulticasts", Builder::maxInFlightMulticasts);
        integer("stateChunkBytes", Builder::stateChunkBytes);
        SETTERS.put("dataDir", (b, n) -> b.dataDir(path(n)));
        // Fail at class load, not in production, if a component is added without a way to load it.
        if (!List.copyOf(SETTERS.keySet()).equals(CohortConfig.keys())) {
            throw new AssertionError("ConfigLoader keys " + SETTERS.keySet() + " != " + CohortConfig.keys());
        }
    }

    private ConfigLoader() {
    }

    /** A value and where it came from, so that errors can say which file, variable or property to fix. */
    private record Setting(JsonNode value, String source) {
    }

    /**
     * Loads a file, then applies this process's environment variables and system properties over it.
     *
     * @param file a {@code .json}, {@code .yaml} or {@code .yml} file
     * @return the configuration
     * @throws ConfigException if the file cannot be read or parsed, or any value is missing, of the wrong
     *                         type or breaks a rule
     */
    public static CohortConfig load(Path file) {
        return load(file, System.getenv(), System.getProperties());
    }

    /**
     * Loads a file, then applies the given environment variables and system properties over it.
     *
     * @param file     a {@code .json}, {@code .yaml} or {@code .yml} file
     * @param env      environment variables, such as {@link System#getenv()}
     * @param sysProps system properties, such as {@link System#getProperties()}
     * @return the configuration
     * @throws ConfigException if the file cannot be read or parsed, or any value is missing, of the wrong
     *                         type or breaks a rule
     */
    public static CohortConfig load(Path file, Map<String, String> env, Properties sysProps) {
        Objects.requireNonNull(file, "file");
        Map<String, Setting> settings = readFile(file);
        applyOverrides(settings, env, sysProps);
        return build(settings, file.toString());
    }

    /**
     * Builds a configuration from an object already parsed, such as one section of a larger file that
     * also configures other things, then applies the given environment variables and system
     * properties over it.
     *
     * @param section  an object whose keys are the {@link CohortConfig#keys()}; null or empty sets nothing
     * @param source   where the object came from, for error messages (such as {@code "section group of kv.yaml"})
     * @param env      environment variables, such as {@link System#getenv()}
     * @param sysProps system properties, such as {@link System#getProperties()}
     * @return the configuration
     * @throws ConfigException if the object holds an unknown key, or any value is missing, of the wrong
     *                         type or breaks a rule
     */
    public static CohortConfig fromTree(JsonNode section, String source, Map<String, String> env,
                                        Properties sysProps) {
        Objects.requireNonNull(source, "source");
        Map<String, Setting> settings = settingsFrom(section, source, "Configuration " + source);
        applyOverrides(settings, env, sysProps);
        return build(settings, source);
    }

    /**
     * Builds a configuration from environment variables and system properties alone, over the defaults.
     *
     * @param env      environment variables, such as {@link System#getenv()}
     * @param sysProps system properties, such as {@link System#getProperties()}
     * @return the configuration
     * @throws ConfigException if any value is missing, of the wrong type or breaks a rule
     */
    public static CohortConfig fromOverrides(Map<String, String> env, Properties sysProps) {
        Map<String, Setting> settings = new LinkedHashMap<>();
        applyOverrides(settings, env, sysProps);
        return build(settings, null);
    }

    /**
     * Lists the environment variables starting {@code COHORT_} and system properties starting
     * {@code cohort.} that name no key, probably misspelt, so the caller can log a warning. System
     * properties with a further dot ({@code cohort.sim.seeds}) belong to other tools and are not listed.
     *
     * @param env      environment variables, such as {@link System#getenv()}
     * @param sysProps system properties, such as {@link System#getProperties()}
     * @return the unknown names, environment variables first, each group sorted
     */
    public static List<String> unknownOverrides(Map<String, String> env, Properties sysProps) {
        Set<String> envNames = CohortConfig.keys().stream().map(ConfigLoader::envVarName).collect(Collectors.toSet());
        Set<String> propertyNames = CohortConfig.keys().stream().map(ConfigLoader::systemPropertyName)
                .collect(Collectors.toSet());
        List<String> unknown = new ArrayList<>();
        env.keySet().stream().filter(n -> n.startsWith(ENV_PREFIX) && !envNames.contains(n)).sorted()
                .forEach(unknown::add);
        sysProps.stringPropertyNames().stream()
                .filter(n -> n.startsWith(PROPERTY_PREFIX) && n.indexOf('.', PROPERTY_PREFIX.length()) < 0)
                .filter(n -> !propertyNames.contains(n)).sorted().forEach(unknown::add);
        return List.copyOf(unknown);
    }

    /**
     * The environment variable that overrides a key.
     *
     * @param key a key such as {@code maxInFlightMulticasts}
     * @return {@code COHORT_} plus the key in upper snake case, such as {@code COHORT_MAX_IN_FLIGHT_MULTICASTS}
     */
    public static String envVarName(String key) {
        StringBuilder name = new StringBuilder(ENV_PREFIX);
        for (char c : key.toCharArray()) {
            if (Character.isUpperCase(c)) {
                name.append('_');
            }
            name.append(Character.toUpperCase(c));
        }
        return name.toString();
    }

    /**
     * The system property that overrides a key.
     *
     * @param key a key such as {@code memberName}
     * @return {@code cohort.} plus the key, such as {@code cohort.memberName}
     */
    public static String systemPropertyName(String key) {
        return PROPERTY_PREFIX + key;
    }

    // ---- reading ----

    private static Map<String, Setting> readFile(Path file) {
        ObjectMapper mapper = mapperFor(file);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(null, "Cannot read configuration file " + file + ": it does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException(null, "Cannot read configuration file " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new ConfigException(null, "Cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = mapper.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ConfigException(null, "Cannot parse configuration file " + file + at(e.getLocation()) + ": "
                    + problem(e), e);
        } catch (IOException e) {
            throw new ConfigException(null, "Cannot parse configuration file " + file + ": " + e.getMessage(), e);
        }
        return settingsFrom(root, file.toString(), "Configuration file " + file);
    }

    /** The settings an already parsed object holds, each remembered with where it came from. */
    private static Map<String, Setting> settingsFrom(JsonNode root, String source, String described) {
        Map<String, Setting> settings = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return settings; // an empty file sets nothing
        }
        if (!root.isObject()) {
            throw new ConfigException(null, described + " must hold an object of keys ("
                    + String.join(", ", CohortConfig.keys()) + "), found " + describe(root));
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (!SETTERS.containsKey(field.getKey())) {
                throw unknownKey(field.getKey(), source);
            }
            if (!field.getValue().isNull()) { // an explicit null means "use the default"
                settings.put(field.getKey(), new Setting(field.getValue(), source));
            }
        }
        return settings;
    }

    private static ObjectMapper mapperFor(Path file) {
        Path name = file.getFileName();
        String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".json")) {
            return JSON;
        }
        if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            return YAML;
        }
        throw new ConfigException(null, "Cannot read configuration file " + file
                + ": unsupported file type; the name must end in .json, .yaml or .yml");
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Jackson's message without its location; for YAML, SnakeYAML's without its multi-line excerpt. */
    private static String problem(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml) {
            return yaml.getContext() == null ? yaml.getProblem() : yaml.getContext() + ": " + yaml.getProblem();
        }
        return e.getOriginalMessage().strip();
    }

    private static ConfigException unknownKey(String key, String source) {
        String nearest = nearestKey(key);
        String hint = nearest != null ? "did you mean \"" + nearest + "\"?"
                : "the known keys are " + String.join(", ", CohortConfig.keys());
        return new ConfigException(key, "Unknown key \"" + key + "\" in " + source + "; " + hint);
    }

    /** The known key closest to a misspelt one, or null if none is close enough to be a plausible typo. */
    static String nearestKey(String key) {
        String wanted = normalize(key);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : CohortConfig.keys()) {
            int d = editDistance(wanted, normalize(candidate));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, wanted.length() / 2) ? best : null;
    }

    // So that member_name, MEMBER-NAME and membername all land on memberName.
    private static String normalize(String key) {
        return key.replaceAll("[_.\\-\\s]", "").toLowerCase(Locale.ROOT);
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static void applyOverrides(Map<String, Setting> settings, Map<String, String> env, Properties sysProps) {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(sysProps, "sysProps");
        // Environment first, then system properties, so that the later source wins.
        for (String key : CohortConfig.keys()) {
            String value = env.get(envVarName(key));
            if (value != null) {
                settings.put(key, new Setting(TextNode.valueOf(value), "environment variable " + envVarName(key)));
            }
        }
        for (String key : CohortConfig.keys()) {
            String value = sysProps.getProperty(systemPropertyName(key));
            if (value != null) {
                settings.put(key, new Setting(TextNode.valueOf(value), "system property " + systemPropertyName(key)));
            }
        }
    }

    // ---- converting ----

    private static CohortConfig build(Map<String, Setting> settings, String where) {
        Builder builder = CohortConfig.builder(null, null);
        for (Map.Entry<String, Setting> entry : settings.entrySet()) {
            try {
                SETTERS.get(entry.getKey()).accept(builder, entry.getValue().value());
            } catch (ConfigException e) {
                throw from(entry.getValue().source(), e);
            }
        }
        try {
            return builder.build();
        } catch (ConfigException e) {
            Setting setting = e.key() == null ? null : settings.get(e.key());
            throw setting != null ? from(setting.source(), e) : notSet(e, where);
        }
    }

    private static ConfigException from(String source, ConfigException e) {
        return new ConfigException(e.key(), "Invalid configuration in " + source + ": " + e.getMessage());
    }

    /** The rule broken is a required key left out, or a default that does not fit the other values. */
    private static ConfigException notSet(ConfigException e, String where) {
        if (e.key() == null) {
            return e;
        }
        return new ConfigException(e.key(), "Invalid configuration: " + e.getMessage() + " [" + e.key()
                + " is not set; set it " + (where != null ? "in " + where + ", " : "") + "with environment variable "
                + envVarName(e.key()) + " or with system property " + systemPropertyName(e.key()) + "]");
    }

    private static void text(String key, BiConsumer<Builder, String> setter) {
        SETTERS.put(key, (b, n) -> setter.accept(b, string(key, n)));
    }

    /** Blank means unset, so an override can clear a value the file sets. */
    private static void optionalText(String key, BiConsumer<Builder, String> setter) {
        SETTERS.put(key, (b, n) -> {
            String value = string(key, n);
            setter.accept(b, value.isBlank() ? null : value);
        });
    }

    private static void integer(String key, ObjIntConsumer<Builder> setter) {
        SETTERS.put(key, (b, n) -> {
            long value = number(key, n, "an integer");
            if (value != (int) value) {
                throw typeError(key, "an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE, n);
            }
            setter.accept(b, (int) value);
        });
    }

    private static void longInteger(String key, ObjLongConsumer<Builder> setter) {
        SETTERS.put(key, (b, n) -> setter.accept(b, number(key, n, "an integer")));
    }

    private static String string(String key, JsonNode node) {
        if (!node.isTextual()) {
            throw typeError(key, "a string", node);
        }
        return node.textValue();
    }

    /** Numbers may be JSON numbers or text holding one: overrides are always text. */
    private static long number(String key, JsonNode node, String expected) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.textValue().strip());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw typeError(key, expected, node);
    }

    private static List<HostPort> seeds(JsonNode node) {
        if (node.isTextual()) {
            return Arrays.stream(node.textValue().split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .map(HostPort::parse).toList();
        }
        if (!node.isArray()) {
            throw typeError("seeds", "a list of \"host:port\" strings or one comma-separated string", node);
        }
        List<HostPort> seeds = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isTextual()) {
                throw typeError("seeds", "a list of \"host:port\" strings", element);
            }
            seeds.add(HostPort.parse(element.textValue()));
        }
        return seeds;
    }

    private static Path path(JsonNode node) {
        String text = string("dataDir", node);
        if (text.isBlank()) {
            return null;
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new ConfigException("dataDir", "dataDir=\"" + text + "\" is not a valid path: " + e.getReason());
        }
    }

    private static ConfigException typeError(String key, String expected, JsonNode actual) {
        return new ConfigException(key, key + " must be " + expected + ", got " + describe(actual));
    }

    private static String describe(JsonNode node) {
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "an object";
        }
        String text = node.toString(); // JSON form: strings quoted, so "" and " 1" are visible
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
