package io.cohort.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JVM flags Chronicle needs are set once, in the parent pom. Maven's own JVM (which runs
 * {@code exec:java}) can only take them from {@code .mvn/jvm.config}, a file Maven reads before any
 * pom: this test keeps that copy identical to the pom's.
 */
class JvmFlagsTest {

    @Test
    void mavensOwnJvmGetsExactlyThePomsFlags() throws Exception {
        Path config = Path.of("..", ".mvn", "jvm.config");
        assertThat(config).as("run from the toolkit module directory").exists();
        List<String> mavenJvm = Arrays.stream(Files.readString(config, StandardCharsets.UTF_8).trim().split("\\s+"))
                .toList();
        assertThat(mavenJvm).containsExactlyElementsOf(JvmFlags.required());
        assertThat(JvmFlags.required()).contains("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED");
    }
}
