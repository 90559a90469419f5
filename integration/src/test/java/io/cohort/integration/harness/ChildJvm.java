package io.cohort.integration.harness;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Command lines for child JVMs that run a main class from this module's test classpath, with the
 * JVM flags every Cohort JVM needs.
 */
public final class ChildJvm {

    /** Heap and GC for a member JVM: several run at once on a small machine next to the test JVM. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC",
            // C1 only: start-up and warm-up cost far less CPU, which on two cores otherwise shows up
            // as heartbeat gaps and false suspicions; the tests need only a few hundred messages per second.
            "-XX:TieredStopAtLevel=1",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");

    private ChildJvm() {
    }

    /**
     * The classpath to give children: this JVM's test classpath. Under Surefire's default
     * manifest-only jar, {@code java.class.path} is only the booter jar, while the
     * {@code surefire.test.class.path} property holds the real classpath.
     *
     * @return the classpath
     */
    public static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return cp;
    }

    /**
     * The flags from the parent pom's {@code cohort.jvm.flags}, passed to this JVM by Surefire as a system property.
     *
     * @return the flags, one per element
     */
    public static List<String> cohortFlags() {
        String flags = System.getProperty("cohort.jvm.flags", "");
        if (flags.isBlank() || flags.contains("${")) {
            throw new IllegalStateException("system property cohort.jvm.flags is not set (run the tests through "
                    + "Maven, whose Surefire configuration passes it): '" + flags + "'");
        }
        return Arrays.stream(flags.trim().split("\\s+")).toList();
    }

    /**
     * Builds a command line.
     *
     * @param mainClass  the main class; it must be on {@link #classpath()}
     * @param properties system properties for the child
     * @return the command
     */
    public static List<String> command(Class<?> mainClass, Map<String, String> properties) {
        checkOnClasspath(mainClass);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(cohortFlags());
        cmd.addAll(JVM_OPTIONS);
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(mainClass.getName());
        return cmd;
    }

    /** Fails early with a clear message rather than leaving a child to die of ClassNotFoundException. */
    private static void checkOnClasspath(Class<?> mainClass) {
        Path location;
        try {
            location = Path.of(mainClass.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        for (String entry : classpath().split(File.pathSeparator)) {
            if (!entry.isBlank() && Path.of(entry).toAbsolutePath().normalize().equals(location.toAbsolutePath().normalize())) {
                return;
            }
        }
        throw new IllegalStateException(mainClass.getName() + " comes from " + location
                + " which is not on the child classpath " + classpath());
    }
}
