package io.cohort.benchmarks.cluster;

import io.cohort.benchmarks.ChildJvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A group of {@link BenchmarkMember} JVMs on loopback, started and driven over their stdin and stdout. */
final class BenchmarkCluster implements AutoCloseable {

    /** One member process. */
    record Member(String name, Process process, BufferedReader out, PrintWriter in) {

        /** Reads stdout until a line starting with {@code prefix}; returns it. */
        String expect(String prefix) throws IOException {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            throw new IOException(name + " exited before printing " + prefix);
        }

        void command(String line) {
            in.println(line);
            in.flush();
        }
    }

    final List<Member> members = new ArrayList<>();
    /** The coordinator of the first full view, as the members reported it. */
    final String coordinator;

    /**
     * Starts {@code n} members and waits until they are all in one view.
     *
     * @param n          group size
     * @param heap       member heap, e.g. "1g"
     * @param extraProps more -D options for every member
     */
    BenchmarkCluster(int n, String heap, List<String> extraProps) throws IOException {
        List<String> seeds = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int port = ChildJvm.freePort();
            ports.add(port);
            seeds.add("127.0.0.1:" + port);
        }
        for (int i = 0; i < n; i++) {
            List<String> options = new ArrayList<>(List.of("-Xmx" + heap, "-XX:+UseParallelGC",
                    "-Dcohort.clusterName=bench", "-Dcohort.memberName=b" + (i + 1),
                    "-Dcohort.bindPort=" + ports.get(i),
                    "-Dcohort.seeds=" + String.join(",", seeds), "-Dbench.members=" + n,
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
            options.addAll(extraProps);
            Process p = new ProcessBuilder(ChildJvm.command(options, BenchmarkMember.class))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            members.add(new Member("b" + (i + 1), p,
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                    new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)));
        }
        String coord = null;
        for (Member m : members) {
            String[] ready = m.expect("READY").split(" ");
            coord = ready[3];
        }
        coordinator = coord;
    }

    @Override
    public void close() throws InterruptedException {
        for (Member m : members) {
            if (m.process().isAlive()) {
                m.command("exit");
            }
        }
        for (Member m : members) {
            if (!m.process().waitFor(15, TimeUnit.SECONDS)) {
                m.process().destroyForcibly();
            }
        }
    }
}
