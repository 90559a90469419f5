package io.cohort.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM flags every Cohort JVM needs (Chronicle Queue on Java 17+), as set once in the parent
 * pom and copied into the toolkit jar at build time. Launchers of member JVMs (tests, benchmarks,
 * the local cluster) pass these on.
 */
public final class JvmFlags {

    private static final String RESOURCE = "/io/cohort/jvm-flags.args";

    private JvmFlags() {
    }

    /** @return the flags, one per element */
    public static List<String> required() {
        try (InputStream in = JvmFlags.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the toolkit jar");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return Arrays.stream(text.split("\\s+")).filter(s -> !s.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
