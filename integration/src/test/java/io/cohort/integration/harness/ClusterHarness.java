package io.cohort.integration.harness;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.integration.history.HistoryAssembler;
import io.cohort.integration.history.HistoryFormat;
import io.cohort.integration.node.RecordingNode;
import io.cohort.recovery.fs.DurableFiles;
import io.cohort.simulation.check.HistoryChecker;
import io.cohort.simulation.check.Violation;
import io.cohort.simulation.history.History;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A group of {@link RecordingNode} member JVMs on 127.0.0.1 for one test: starts, stops, kills,
 * pauses and drives them, waits for what they report, and at the end merges their history files
 * and judges the run with the simulator's {@link HistoryChecker}.
 *
 * <p>Files go to {@code target/integration/<run name>/}: per process {@code <name>-<k>.history}
 * (its history), {@code <name>-<k>.log} (its stderr, i.e. the runtime's log) and
 * {@code <name>-<k>.out} (its stdout answers, timestamped), plus {@code merged.history}.
 *
 * <p>Every wait has a deadline and waits for an event (a line from a member, or a condition
 * polled by Awaitility), never for a fixed time.
 */
public final class ClusterHarness implements AutoCloseable {

    /** Default time to wait for a member's answer to a command. */
    public static final Duration ANSWER = Duration.ofSeconds(20);
    /** Default time to wait for membership to settle. */
    public static final Duration SETTLE = Duration.ofSeconds(45);

    /**
     * Group settings for a run.
     *
     * @param heartbeatMillis        heartbeat interval
     * @param suspectMillis          silence after which a member is suspected
     * @param bootstrapTimeoutMillis start-up: how long lower seeds may stay silent
     * @param joinRetryMillis        join request retry period
     * @param retransmitMillis       link retransmission period
     * @param maxInFlightMulticasts  flow-control window per member
     * @param payloadBytes           size of each test multicast
     */
    public record Settings(long heartbeatMillis, long suspectMillis, long bootstrapTimeoutMillis, long joinRetryMillis,
                           long retransmitMillis, int maxInFlightMulticasts, int payloadBytes) {

        /** @return fast timeouts for tests on loopback: heartbeat 50 ms, suspicion after 500 ms */
        public static Settings fast() {
            return new Settings(50, 500, 1_500, 200, 50, 256, 1024);
        }

        /**
         * @param millis suspect timeout
         * @return a copy with that suspect timeout
         */
        public Settings withSuspectMillis(long millis) {
            return new Settings(heartbeatMillis, millis, bootstrapTimeoutMillis, joinRetryMillis, retransmitMillis,
                    maxInFlightMulticasts, payloadBytes);
        }
    }

    /** A view as a member printed it ({@code VIEW <id> <members>}). */
    public record ViewLine(long viewId, List<MemberId> members) {
        /**
         * @param line a {@code VIEW <id> <members>} line
         * @return the view it names
         */
        public static ViewLine parse(String line) {
            String[] w = line.split(" ");
            return new ViewLine(Long.parseLong(w[1]), HistoryFormat.parseMembers(w[2]));
        }
    }

    /** A member's answer to {@code status}. */
    public record Status(MemberId member, long viewId, List<MemberId> members, long count) {
        /**
         * @param line a {@code STATUS ...} line
         * @return the status it gives
         */
        public static Status parse(String line) {
            String[] w = line.split(" ");
            List<MemberId> members = w[3].equals("-") ? List.of() : HistoryFormat.parseMembers(w[3]);
            return new Status(HistoryFormat.parseMember(w[1]), Long.parseLong(w[2]), members, Long.parseLong(w[4]));
        }
    }

    /** One member process that ran during the test (a node restarted gets a new one). */
    private static final class Run {
        final Node node;
        final ChildProcess process;
        final Path historyFile;
        Long killedAtMicros;

        Run(Node node, ChildProcess process, Path historyFile) {
            this.node = node;
            this.process = process;
            this.historyFile = historyFile;
        }
    }

    /** A member host: a name and port, and the process currently running it. */
    public final class Node {
        private final String name;
        private final int port;
        private Run run;
        private int generation;

        private Node(String name, int port) {
            this.name = name;
            this.port = port;
        }

        /** @return the member name */
        public String name() {
            return name;
        }

        /** @return its current process */
        public ChildProcess process() {
            if (run == null) {
                throw new IllegalStateException(name + " was never started");
            }
            return run.process;
        }

        /** @return its current incarnation, as its last {@code INCARNATION} line said */
        public MemberId incarnation() {
            LineLog.Match m = process().stdout().last(0, l -> l.startsWith("INCARNATION "));
            if (m == null) {
                throw new AssertionError(name + " has not announced an incarnation yet");
            }
            return HistoryFormat.parseMember(m.line().substring("INCARNATION ".length()));
        }

        /** @return the last view it printed, or null */
        public ViewLine lastView() {
            LineLog.Match m = process().stdout().last(0, l -> l.startsWith("VIEW "));
            return m == null ? null : ViewLine.parse(m.line());
        }

        /**
         * @param command a command
         * @param prefix  how its answer starts
         * @return the answer
         */
        public String request(String command, String prefix) {
            return process().request(command, prefix, ANSWER);
        }

        /** @return its answer to {@code status} */
        public Status status() {
            return Status.parse(request("status", "STATUS "));
        }

        /**
         * @param meter a counter name
         * @return the sum of that counter over its tags
         * @throws AssertionError if the member has no such counter
         */
        public double counter(String meter) {
            String[] w = request("metrics " + meter, "METRIC " + meter + " ").split(" ");
            if (w[2].equals("none")) {
                throw new AssertionError(name + " has no counter named " + meter);
            }
            return Double.parseDouble(w[2]);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** What the checker said about a run, with the evidence. */
    public record CheckResult(List<Violation> violations, String convergenceFailure, History history,
                              HistoryAssembler.Assembled assembled, Path mergedFile, List<Path> historyFiles,
                              List<Path> logFiles, Map<String, Status> finalStatus) {

        /** @return whether the run converged and the checker found nothing */
        public boolean passed() {
            return violations.isEmpty() && convergenceFailure == null;
        }

        /** @return a report for an assertion message */
        public String report() {
            StringBuilder b = new StringBuilder();
            if (convergenceFailure != null) {
                b.append("the live members did not converge: ").append(convergenceFailure).append('\n');
            }
            b.append(violations.size()).append(" violation(s)").append(violations.isEmpty() ? "" : ":").append('\n');
            violations.forEach(v -> b.append("  ").append(v).append('\n'));
            b.append("final status: ").append(finalStatus).append('\n');
            if (!assembled.notes().isEmpty()) {
                b.append("harness notes:\n");
                assembled.notes().forEach(n -> b.append("  ").append(n).append('\n'));
            }
            b.append("merged history: ").append(mergedFile).append('\n');
            b.append("histories: ").append(historyFiles).append('\n');
            b.append("member logs: ").append(logFiles).append('\n');
            return b.toString();
        }
    }

    private final String runName;
    private final Path dir;
    private final Settings settings;
    private final List<Node> nodes = new ArrayList<>();
    private final List<String> seeds = new ArrayList<>();
    private final List<Run> runs = new ArrayList<>();

    /**
     * Prepares a group whose first {@code seedCount} members are its seeds; nothing starts yet.
     *
     * @param runName   names the run's directory under target/integration
     * @param seedCount number of seed members (n1..n{seedCount})
     * @param settings  group settings
     */
    public ClusterHarness(String runName, int seedCount, Settings settings) {
        this.runName = runName;
        this.settings = settings;
        this.dir = Path.of(System.getProperty("cohort.integration.dir", "target/integration")).resolve(runName);
        try {
            DurableFiles.deleteTree(dir);
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 1; i <= seedCount; i++) {
            Node n = new Node("n" + i, freePort());
            nodes.add(n);
            seeds.add("127.0.0.1:" + n.port);
        }
    }

    /** @return the nodes, in creation order */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /**
     * @param i zero-based index in creation order
     * @return the node
     */
    public Node node(int i) {
        return nodes.get(i);
    }

    /** @return the run's directory */
    public Path dir() {
        return dir;
    }

    // --------------------------------------------------------------------------------- processes

    /** Starts a process for every node that has none yet, all at once, and waits until each has announced its incarnation. */
    public void startAll() {
        List<Node> fresh = nodes.stream().filter(n -> n.run == null).toList();
        fresh.forEach(this::launch);
        fresh.forEach(this::awaitReady);
    }

    /**
     * Adds a node that is not a seed and starts its process (it does not join yet).
     *
     * @return the node
     */
    public Node addNode() {
        Node n = new Node("n" + (nodes.size() + 1), freePort());
        nodes.add(n);
        launch(n);
        awaitReady(n);
        return n;
    }

    /**
     * Starts a new process for a node whose process is gone (e.g. killed): a new incarnation.
     *
     * @param n the node
     */
    public void restart(Node n) {
        if (n.run != null && n.run.process.isAlive()) {
            throw new IllegalStateException(n + " is still running");
        }
        launch(n);
        awaitReady(n);
    }

    private void launch(Node n) {
        n.generation++;
        String label = n.name + "-" + n.generation;
        Path history = dir.resolve(label + ".history");
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cohort.clusterName", "it-" + runName);
        props.put("cohort.memberName", n.name);
        props.put("cohort.bindHost", "127.0.0.1");
        props.put("cohort.bindPort", Integer.toString(n.port));
        props.put("cohort.seeds", String.join(",", seeds));
        props.put("cohort.heartbeatIntervalMillis", Long.toString(settings.heartbeatMillis()));
        props.put("cohort.suspectTimeoutMillis", Long.toString(settings.suspectMillis()));
        props.put("cohort.bootstrapTimeoutMillis", Long.toString(settings.bootstrapTimeoutMillis()));
        props.put("cohort.joinRetryMillis", Long.toString(settings.joinRetryMillis()));
        props.put("cohort.retransmitMillis", Long.toString(settings.retransmitMillis()));
        props.put("cohort.maxInFlightMulticasts", Integer.toString(settings.maxInFlightMulticasts()));
        props.put("node.history", history.toString());
        props.put("node.payloadBytes", Integer.toString(settings.payloadBytes()));
        try {
            ChildProcess p = new ChildProcess(label, ChildJvm.command(RecordingNode.class, props), dir);
            Run r = new Run(n, p, history);
            runs.add(r);
            n.run = r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + label, e);
        }
    }

    private void awaitReady(Node n) {
        n.process().await(0, l -> l.startsWith("INCARNATION "), Duration.ofSeconds(30));
    }

    /**
     * Sends {@code join} to every given node at once, then waits for each one's {@code JOINED}.
     *
     * @param members the nodes
     */
    public void join(Collection<Node> members) {
        Map<Node, Integer> marks = new LinkedHashMap<>();
        for (Node n : members) {
            marks.put(n, n.process().stdout().size());
            n.process().send("join");
        }
        marks.forEach((n, mark) -> n.process().await(mark, l -> l.startsWith("JOINED "), SETTLE));
    }

    /**
     * Starts load on each node.
     *
     * @param members   the nodes
     * @param perSecond multicasts per second per node
     * @param orders    orders, used round-robin
     */
    public void load(Collection<Node> members, int perSecond, DeliveryOrder... orders) {
        String list = Arrays.stream(orders).map(Enum::name).collect(Collectors.joining(","));
        for (Node n : members) {
            n.request("load " + list + " " + perSecond, "OK load");
        }
    }

    /**
     * Kills a node's process with SIGKILL; the history gets a {@code CRASHED} event for its last incarnation.
     *
     * @param n the node
     */
    public void kill9(Node n) {
        n.run.killedAtMicros = n.run.process.kill9();
    }

    /**
     * Stops a node's process with SIGSTOP.
     *
     * @param n the node
     */
    public void sigstop(Node n) {
        n.process().sigstop();
    }

    /**
     * Continues a node's process with SIGCONT.
     *
     * @param n the node
     */
    public void sigcont(Node n) {
        n.process().sigcont();
    }

    // ------------------------------------------------------------------------------------- waits

    /**
     * Waits until every given node's last printed view consists of exactly the given nodes'
     * current incarnations, and they all printed the same view.
     *
     * @param members the nodes
     * @param timeout how long
     * @return the view
     */
    public ViewLine awaitOneView(Collection<Node> members, Duration timeout) {
        awaitCondition("one view of exactly " + members, timeout, () -> {
            Set<MemberId> expected = incarnations(members);
            Set<ViewLine> views = new HashSet<>();
            for (Node n : members) {
                ViewLine v = n.lastView();
                if (v == null || !Set.copyOf(v.members()).equals(expected)) {
                    return false;
                }
                views.add(v);
            }
            return views.size() == 1;
        }, () -> describeViews(members));
        return members.iterator().next().lastView();
    }

    /**
     * Waits until every given node's application state holds at least {@code count} messages.
     *
     * @param members the nodes
     * @param count   the minimum
     * @param timeout how long
     */
    public void awaitProgress(Collection<Node> members, long count, Duration timeout) {
        awaitCondition("every one of " + members + " holding at least " + count + " messages", timeout,
                () -> members.stream().allMatch(n -> n.status().count() >= count), () -> describeStatus(members));
    }

    /**
     * Polls a condition until it holds.
     *
     * @param what      what is awaited, for the failure message
     * @param timeout   how long
     * @param condition the condition
     * @param state     describes the current state for the failure message
     */
    public static void awaitCondition(String what, Duration timeout, Callable<Boolean> condition,
                                      Supplier<String> state) {
        awaitCondition(what, timeout, Duration.ofMillis(100), condition, state);
    }

    /**
     * Polls a condition until it holds.
     *
     * @param what      what is awaited, for the failure message
     * @param timeout   how long
     * @param poll      how often to evaluate the condition
     * @param condition the condition
     * @param state     describes the current state for the failure message
     */
    public static void awaitCondition(String what, Duration timeout, Duration poll, Callable<Boolean> condition,
                                      Supplier<String> state) {
        try {
            Awaitility.await(what).atMost(timeout).pollDelay(Duration.ZERO)
                    .pollInterval(poll)
                    .until(condition);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what + "; "
                    + state.get(), e);
        }
    }

    private static Set<MemberId> incarnations(Collection<Node> members) {
        Set<MemberId> out = new LinkedHashSet<>();
        members.forEach(n -> out.add(n.incarnation()));
        return out;
    }

    private String describeViews(Collection<Node> members) {
        StringBuilder b = new StringBuilder("last views:");
        for (Node n : members) {
            b.append(' ').append(n.name).append('=').append(n.lastView());
        }
        return b.append("; logs in ").append(dir).toString();
    }

    private String describeStatus(Collection<Node> members) {
        StringBuilder b = new StringBuilder("status:");
        for (Node n : members) {
            String s;
            try {
                s = n.process().isStopped() ? "stopped" : n.request("status", "STATUS ");
            } catch (AssertionError e) {
                s = "no answer";
            }
            b.append(' ').append(n.name).append("=[").append(s).append(']');
        }
        return b.append("; logs in ").append(dir).toString();
    }

    // ------------------------------------------------------------------------------- the verdict

    /**
     * Ends the run: stops the load on the live nodes, waits until their multicasts have all
     * completed and they agree on one view of exactly themselves holding the same number of
     * messages, then merges every process's history (killed ones get their {@code CRASHED}),
     * declares the live nodes' incarnations as live with liveness owed, and runs the checker.
     * If the nodes do not converge, the history is still checked, and the result says so.
     *
     * @param live the nodes alive and in the group at the end
     * @return the verdict
     */
    public CheckResult quiesceAndCheck(Collection<Node> live) {
        String convergence = null;
        Map<String, Status> finalStatus = new LinkedHashMap<>();
        try {
            Map<Node, Integer> marks = new LinkedHashMap<>();
            for (Node n : live) {
                marks.put(n, n.process().stdout().size());
                n.process().send("stopload");
            }
            marks.forEach((n, m) -> n.process().await(m, l -> l.startsWith("LOAD STOPPED"), SETTLE));
            marks.clear();
            for (Node n : live) {
                marks.put(n, n.process().stdout().size());
                n.process().send("quiesce");
            }
            marks.forEach((n, m) -> n.process().await(m, l -> l.startsWith("QUIESCED") || l.startsWith("ERROR"),
                    SETTLE));
            awaitCondition("the live members " + live + " to agree on one view of exactly themselves and hold the "
                    + "same messages", SETTLE, () -> {
                Set<MemberId> expected = incarnations(live);
                List<Status> all = live.stream().map(Node::status).toList();
                return all.stream().allMatch(s -> Set.copyOf(s.members()).equals(expected))
                        && all.stream().map(Status::viewId).distinct().count() == 1
                        && all.stream().map(Status::count).distinct().count() == 1;
            }, () -> describeStatus(live));
        } catch (AssertionError e) {
            convergence = e.getMessage();
        }
        for (Node n : live) {
            try {
                finalStatus.put(n.name, n.status());
            } catch (AssertionError e) {
                finalStatus.put(n.name, null);
            }
        }
        Set<MemberId> liveIds = new LinkedHashSet<>();
        live.forEach(n -> liveIds.add(n.incarnation()));
        HistoryAssembler.Assembled assembled = assemble();
        History history = assembled.history();
        history.end(liveIds, true);
        List<Violation> violations = new HistoryChecker().check(history);
        Path merged = dir.resolve("merged.history");
        try {
            Files.write(merged, assembled.lines().stream().map(l -> l.event() != null
                    ? HistoryFormat.format(l.wallMicros(), l.event())
                    : HistoryFormat.diagnostic(l.wallMicros(), l.kind(), l.member(), l.fields().toArray(String[]::new)))
                    .toList(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new CheckResult(violations, convergence, history, assembled, merged,
                runs.stream().map(r -> r.historyFile).toList(),
                runs.stream().map(r -> r.process.stderrFile()).toList(), finalStatus);
    }

    /**
     * Merges the history files of every process run so far (read as they are now).
     *
     * @return the merged history, without its end declared
     */
    public HistoryAssembler.Assembled assemble() {
        HistoryAssembler assembler = new HistoryAssembler();
        for (Run r : runs) {
            try {
                HistoryAssembler.FileContents contents = Files.exists(r.historyFile)
                        ? HistoryAssembler.read(r.historyFile) : new HistoryAssembler.FileContents(List.of(), false);
                assembler.add(r.process.label(), contents.lines(), r.killedAtMicros);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return assembler.assemble();
    }

    /** Kills every process the run started; safe to call more than once. */
    @Override
    public void close() {
        for (Run r : runs) {
            r.process.destroy();
        }
    }

    // ------------------------------------------------------------------------------------ helpers

    /** Ports given to members by any harness in this JVM: never handed out twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * Picks a port for a member. Binding {@code ServerSocket(0)} was tried first and failed in
     * practice: after the probe socket closes, the kernel hands the same port to the next probe
     * (two members got one port), and the port lies in the ephemeral range, where any outgoing
     * connection of a running member may take it before the child binds it. So: a random port
     * below the ephemeral range, never handed out before, that binds right now.
     */
    private static int freePort() {
        int low = 10_000;
        int high = ephemeralRangeStart();
        if (high - low > 1_000) {
            for (int attempt = 0; attempt < 1_000; attempt++) {
                int port = low + ThreadLocalRandom.current().nextInt(high - low);
                if (HANDED_OUT.add(port) && canBind(port)) {
                    return port;
                }
            }
        }
        for (int attempt = 0; attempt < 1_000; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port found");
    }

    private static boolean canBind(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return the first port of the kernel's ephemeral range (Linux), or 32768 if unknown */
    private static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

}
