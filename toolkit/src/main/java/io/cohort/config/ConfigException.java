package io.cohort.config;

/**
 * A configuration value, or a configuration file, is not acceptable.
 *
 * <p>The message is meant for the operator: it names the key, the bad value and the rule it breaks
 * and, when the value came through {@link ConfigLoader}, where it came from (the file's path,
 * {@code environment variable COHORT_...} or {@code system property cohort....}). It is unchecked
 * because a bad configuration is a deployment mistake that callers cannot sensibly recover from.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The key at fault, or null when the problem is with the file as a whole. */
    private final String key;

    /**
     * Creates an exception about one key, or about the whole file.
     *
     * @param key     the key at fault (a {@link CohortConfig} component name), or null for file-level problems
     * @param message what is wrong, for a human
     */
    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /**
     * Creates an exception about one key, or about the whole file, caused by another exception.
     *
     * @param key     the key at fault (a {@link CohortConfig} component name), or null for file-level problems
     * @param message what is wrong, for a human
     * @param cause   the underlying failure, such as a parse or I/O error
     */
    public ConfigException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /**
     * The key at fault.
     *
     * @return a {@link CohortConfig} component name such as {@code "bindPort"} (for an unknown key in a file,
     *         the name as written there), or null when the problem is with the file as a whole (missing,
     *         unreadable, unparsable, of an unsupported type)
     */
    public String key() {
        return key;
    }
}
