package io.cohort.integration.node;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.Message;
import io.cohort.api.MulticastOutcome;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.group.Group;
import io.cohort.group.GroupListener;
import io.cohort.group.MulticastException;
import io.cohort.integration.history.HistoryFormat;
import io.cohort.simulation.history.HistoryEvent;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One group member in its own JVM, driven by a test harness over stdin and stdout, recording
 * everything its listener sees into a history file for the history checker.
 *
 * <p><b>Configuration.</b> The group's settings come from {@code -Dcohort.<key>} system
 * properties (read by {@link ConfigLoader#fromOverrides}); {@code -Dnode.history=<path>} names
 * the history file (required) and {@code -Dnode.payloadBytes=<n>} the multicast payload size
 * (default 1024).
 *
 * <p><b>Application.</b> Like the simulator's test application, its state is the sorted set of
 * ids of the messages it has delivered; state transfer writes and reads that set, one id per
 * line. A payload is the message id ({@link Payloads}).
 *
 * <p><b>History.</b> Each listener call becomes one line of the history file
 * ({@link HistoryFormat}); a load request is recorded as {@code REQUESTED} just before the
 * multicast call. When a state arrives, the next view installation is recorded as
 * {@code STATE} (with the ids received) followed by {@code VIEW}, as the checker expects.
 * Message ids name the incarnation that was current when the load thread made the request. A
 * {@link Group} outlives incarnations, and a request made just as the group excluded that
 * incarnation can be sent by the next one; the history then also records the request at the
 * incarnation that sent it (with a {@code NOTE}), since the checker expects a sender to have
 * requested what it sends.
 *
 * <p><b>Commands</b> (stdin, one per line) and answers (stdout):
 * <ul>
 *   <li>{@code join} → {@code JOINED <viewId>} once the first view is installed;</li>
 *   <li>{@code load <ORDER,...> <msgsPerSecond>} → {@code OK load}; a background thread multicasts
 *       round-robin over the orders at that rate until {@code stopload};</li>
 *   <li>{@code stopload} → {@code LOAD STOPPED <requested>} once the load thread has ended (no
 *       further requests are made after this line);</li>
 *   <li>{@code quiesce} → {@code QUIESCED <count>} once the load thread has ended and every
 *       multicast future has completed;</li>
 *   <li>{@code leave} → the spontaneous {@code LEFT} line below;</li>
 *   <li>{@code status} → {@code STATUS <name#incarnation> <viewId> <members comma-separated> <count>}
 *       ({@code 0 -} before the first view);</li>
 *   <li>{@code metrics <meterName>} → {@code METRIC <name> <sum of counts>}, or
 *       {@code METRIC <name> none} if no counter of that name is registered;</li>
 *   <li>{@code loadstats} → {@code LOADSTATS <requested> <inFlight> <failed NOT_SENT> <failed UNKNOWN>};</li>
 *   <li>{@code exit} → {@code BYE}, then the process closes the group and exits.</li>
 * </ul>
 * {@code <count>} is the size of the application state: the ids received by state transfer plus
 * those delivered since. Printed spontaneously: {@code INCARNATION <name#inc>},
 * {@code VIEW <viewId> <members>}, {@code EXCLUDED <name#inc> <lastViewId>},
 * {@code LEFT <name#inc> <lastViewId>}. Unknown commands get {@code ERROR <text>}. Logs go to
 * stderr; stdout carries only these lines. End of stdin (the harness went away) ends the process.
 */
public final class RecordingNode {

    private final HistoryWriter history;
    private final PrintStream console;
    private final int payloadBytes;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Group group;

    // Application state: guarded by itself (the app thread writes, status reads).
    private final TreeSet<String> state = new TreeSet<>();
    // App thread only.
    private boolean stateArrived;

    private volatile MemberId current;
    private volatile View view;

    // Load and quiescence.
    private final AtomicLong counter = new AtomicLong();
    private final Object inFlightLock = new Object();
    private long inFlight; // guarded by inFlightLock
    private final AtomicLong failedNotSent = new AtomicLong();
    private final AtomicLong failedUnknown = new AtomicLong();
    private volatile Thread loadThread;
    private volatile boolean loadRunning;

    private RecordingNode(CohortConfig config, HistoryWriter history, PrintStream console, int payloadBytes) {
        this.history = history;
        this.console = console;
        this.payloadBytes = payloadBytes;
        this.group = Group.builder(config)
                .meterRegistry(registry)
                .listener(new Recorder())
                .stateTransfer(this::writeState, this::readState)
                .build();
    }

    /**
     * Starts the member (it binds its port but takes part only after {@code join}) and serves
     * commands until {@code exit} or the end of stdin.
     *
     * @param args unused; settings are system properties
     * @throws Exception if the member cannot start
     */
    public static void main(String[] args) throws Exception {
        String historyPath = System.getProperty("node.history");
        if (historyPath == null || historyPath.isBlank()) {
            throw new IllegalArgumentException("-Dnode.history=<file> is required");
        }
        int payloadBytes = Integer.getInteger("node.payloadBytes", 1024);
        CohortConfig config = ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        // stdout is the harness's channel: keep it to our own lines, flushed one by one.
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        HistoryWriter writer = new HistoryWriter(Path.of(historyPath));
        RecordingNode node = new RecordingNode(config, writer, console, payloadBytes);
        node.serve(System.in);
        node.shutdown();
        System.exit(0);
    }

    // ------------------------------------------------------------------------------- commands

    private void serve(InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            if (words.length == 0 || words[0].isEmpty()) {
                continue;
            }
            try {
                if (!command(words)) {
                    return;
                }
            } catch (RuntimeException e) {
                print("ERROR " + words[0] + ": " + e);
            }
        }
    }

    /** @return false on {@code exit} */
    private boolean command(String[] w) {
        switch (w[0]) {
            case "join" -> group.joinAsync().whenComplete((v, e) -> print(e == null
                    ? "JOINED " + v.viewId() : "ERROR join: " + e));
            case "load" -> {
                if (w.length != 3) {
                    throw new IllegalArgumentException("usage: load <ORDER,ORDER,...> <msgsPerSecond>");
                }
                DeliveryOrder[] orders = Arrays.stream(w[1].split(","))
                        .map(s -> DeliveryOrder.valueOf(s.toUpperCase(Locale.ROOT))).toArray(DeliveryOrder[]::new);
                startLoad(orders, Double.parseDouble(w[2]));
                print("OK load");
            }
            case "stopload" -> stopLoad();
            case "quiesce" -> quiesce();
            case "leave" -> group.leaveAsync();
            case "status" -> print(status());
            case "metrics" -> {
                if (w.length != 2) {
                    throw new IllegalArgumentException("usage: metrics <meterName>");
                }
                print("METRIC " + w[1] + " " + counterSum(w[1]));
            }
            case "loadstats" -> {
                long inFlightNow;
                synchronized (inFlightLock) {
                    inFlightNow = inFlight;
                }
                print("LOADSTATS " + counter.get() + " " + inFlightNow + " " + failedNotSent.get() + " "
                        + failedUnknown.get());
            }
            case "exit" -> {
                print("BYE");
                return false;
            }
            default -> print("ERROR unknown command: " + String.join(" ", w));
        }
        return true;
    }

    private String status() {
        View v = view;
        int count;
        synchronized (state) {
            count = state.size();
        }
        return "STATUS " + current + " " + (v == null ? "0 -" : v.viewId() + " " + HistoryFormat.members(v.members()))
                + " " + count;
    }

    private String counterSum(String name) {
        Search search = registry.find(name);
        List<Double> values = new ArrayList<>();
        search.counters().forEach(c -> values.add(c.count()));
        search.functionCounters().forEach(c -> values.add(c.count()));
        if (values.isEmpty()) {
            return "none";
        }
        double sum = values.stream().mapToDouble(Double::doubleValue).sum();
        return sum == Math.rint(sum) ? Long.toString((long) sum) : Double.toString(sum);
    }

    private void shutdown() {
        loadRunning = false;
        group.close();
        try {
            history.close();
        } catch (IOException e) {
            System.err.println("cannot close the history file: " + e);
        }
    }

    private void print(String line) {
        synchronized (console) {
            console.println(line);
            console.flush();
        }
    }

    // ----------------------------------------------------------------------------------- load

    private synchronized void startLoad(DeliveryOrder[] orders, double perSecond) {
        if (loadRunning || (loadThread != null && loadThread.isAlive())) {
            throw new IllegalStateException("load already running; stopload first");
        }
        if (orders.length == 0 || !(perSecond > 0)) {
            throw new IllegalArgumentException("need at least one order and a positive rate");
        }
        loadRunning = true;
        Thread t = new Thread(() -> runLoad(orders, perSecond), "load");
        t.setDaemon(true);
        loadThread = t;
        t.start();
    }

    /** Multicasts at a steady rate; a multicast may block (flow control), after which it catches up within a second. */
    private void runLoad(DeliveryOrder[] orders, double perSecond) {
        long period = (long) (1_000_000_000L / perSecond);
        long next = System.nanoTime();
        int i = 0;
        while (loadRunning) {
            long now = System.nanoTime();
            if (now < next) {
                LockSupport.parkNanos(next - now);
                continue;
            }
            next = now - next > 1_000_000_000L ? now + period : next + period;
            DeliveryOrder order = orders[i++ % orders.length];
            MemberId me = group.self();
            String id = Payloads.messageId(me, counter.incrementAndGet());
            history.record(new HistoryEvent.MulticastRequested(me, id, order));
            synchronized (inFlightLock) {
                inFlight++;
            }
            CompletableFuture<Message> f;
            try {
                f = group.multicast(order, Payloads.encode(id, payloadBytes));
            } catch (RuntimeException e) {
                // The API promises a future, not an exception; count it like a failed future so
                // that quiesce still ends, and keep the evidence.
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((m, e) -> completed(me, id, e));
        }
    }

    private void completed(MemberId requester, String id, Throwable e) {
        if (e != null) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            String outcome = cause instanceof MulticastException me ? me.outcome().name() : cause.toString();
            if (cause instanceof MulticastException me && me.outcome() == MulticastOutcome.NOT_SENT) {
                failedNotSent.incrementAndGet();
            } else {
                failedUnknown.incrementAndGet();
            }
            history.diagnostic(HistoryFormat.ABORTED, requester, id, outcome);
        }
        synchronized (inFlightLock) {
            inFlight--;
            inFlightLock.notifyAll();
        }
    }

    private void stopLoad() {
        loadRunning = false;
        Thread t = loadThread;
        // Waiting for the thread may take a while if it is blocked by flow control: not on the command thread.
        Thread waiter = new Thread(() -> {
            joinQuietly(t);
            print("LOAD STOPPED " + counter.get());
        }, "stopload");
        waiter.setDaemon(true);
        waiter.start();
    }

    private void quiesce() {
        Thread t = loadThread;
        Thread waiter = new Thread(() -> {
            if (loadRunning) {
                print("ERROR quiesce: load is running; stopload first");
                return;
            }
            joinQuietly(t);
            synchronized (inFlightLock) {
                while (inFlight > 0) {
                    try {
                        inFlightLock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            int count;
            synchronized (state) {
                count = state.size();
            }
            print("QUIESCED " + count);
        }, "quiesce");
        waiter.setDaemon(true);
        waiter.start();
    }

    private static void joinQuietly(Thread t) {
        if (t == null) {
            return;
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------- state transfer

    private void writeState(OutputStream out) throws IOException {
        List<String> ids;
        synchronized (state) {
            ids = new ArrayList<>(state);
        }
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        for (String id : ids) {
            w.write(id);
            w.write('\n');
        }
        w.flush(); // not close: the stream belongs to the runtime
    }

    private void readState(InputStream in) throws IOException {
        TreeSet<String> received = new TreeSet<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (!line.isEmpty()) {
                received.add(line);
            }
        }
        synchronized (state) {
            state.clear();
            state.addAll(received);
        }
        stateArrived = true;
    }

    // -------------------------------------------------------------------------------- listener

    /** Turns each listener call into a history line (and, for membership events, a stdout line). */
    private final class Recorder implements GroupListener {

        @Override
        public void onIncarnation(MemberId self) {
            current = self;
            view = null;
            stateArrived = false;
            synchronized (state) {
                state.clear(); // a new incarnation starts empty and gets its state by transfer
            }
            history.diagnostic(HistoryFormat.INCARNATION, self);
            print("INCARNATION " + self);
        }

        @Override
        public void onView(View v) {
            MemberId me = current;
            if (stateArrived) {
                TreeSet<String> ids;
                synchronized (state) {
                    ids = new TreeSet<>(state);
                }
                history.record(new HistoryEvent.StateTransferred(me, v.viewId(), ids));
                stateArrived = false;
            }
            history.record(new HistoryEvent.ViewInstalled(me, v.viewId(), v.members()));
            view = v;
            print("VIEW " + v.viewId() + " " + HistoryFormat.members(v.members()));
        }

        @Override
        public void onFlush(long viewId) {
            history.diagnostic(HistoryFormat.FLUSH, current, Long.toString(viewId));
        }

        @Override
        public void onDelivery(Message m) {
            String id = Payloads.decode(m.payload());
            synchronized (state) {
                state.add(id);
            }
            history.record(new HistoryEvent.Delivered(current, id, m.sender(), m.order(), m.viewId()));
        }

        @Override
        public void onSent(Message m) {
            String id = Payloads.decode(m.payload());
            MemberId requester = Payloads.requester(id);
            if (!requester.equals(m.sender())) {
                // The load thread asked the Group while `requester` was current, but the runtime
                // handed the request to its next incarnation (a Group spans incarnations). The
                // history records a request at the incarnation that sent it, so the checker sees
                // who really owned the message; the original request stays at the old one.
                history.diagnostic(HistoryFormat.NOTE, m.sender(), "request " + id + " of " + requester
                        + " carried over to " + m.sender());
                history.record(new HistoryEvent.MulticastRequested(m.sender(), id, m.order()));
            }
            history.record(new HistoryEvent.Sent(m.sender(), id, m.order(), m.viewId()));
        }

        @Override
        public void onExcluded(MemberId self, long lastViewId) {
            history.record(new HistoryEvent.Excluded(self, lastViewId));
            view = null;
            print("EXCLUDED " + self + " " + lastViewId);
        }

        @Override
        public void onLeft(MemberId self, long lastViewId) {
            history.record(new HistoryEvent.Left(self, lastViewId));
            view = null;
            print("LEFT " + self + " " + lastViewId);
        }
    }
}
