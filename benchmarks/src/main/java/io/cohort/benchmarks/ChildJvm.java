package io.cohort.benchmarks;

import io.cohort.runtime.JvmFlags;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * How the cluster benchmarks launch member JVMs: this JVM's java and class path, plus the flags
 * every Cohort JVM needs.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * @param jvmOptions options after the required flags ({@code -Xmx..}, {@code -D..})
     * @param main       the class to run
     * @return the command line: java, {@link JvmFlags#required()}, the options, this JVM's class path, the class
     */
    public static List<String> command(List<String> jvmOptions, Class<?> main) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(JvmFlags.required());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        return cmd;
    }

    /**
     * @return a port that was free a moment ago on this host
     * @throws IOException if no socket can be opened
     */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
