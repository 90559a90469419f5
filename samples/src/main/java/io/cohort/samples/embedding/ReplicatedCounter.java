package io.cohort.samples.embedding;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.Message;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.group.Group;
import io.cohort.group.GroupListener;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The smallest useful embedding of a Cohort group: a counter every member holds, changed only by
 * TOTAL-order multicasts, so every member applies the same additions in the same order; a new
 * member receives the counter by state transfer.
 *
 * <p>Run one member per terminal (configuration from a file and/or {@code -Dcohort.*} properties,
 * see docs/configuration.md):
 * <pre>
 * java -Dcohort.clusterName=counter -Dcohort.memberName=a -Dcohort.bindPort=7601 \
 *      -Dcohort.seeds=127.0.0.1:7601,127.0.0.1:7602 ... io.cohort.samples.embedding.ReplicatedCounter [config.yaml]
 * </pre>
 * or all three in one JVM: {@code ReplicatedCounter --local}.
 */
public final class ReplicatedCounter implements GroupListener, AutoCloseable {

    private final AtomicLong value = new AtomicLong();
    /** The counter right after each of this member's own additions, until add() picks it up. */
    private final Map<Message, Long> results = new ConcurrentHashMap<>();
    private final Group group;

    /**
     * Starts a member and joins the group.
     *
     * @param config the member's configuration
     * @throws Exception if the member cannot join within 30 seconds
     */
    public ReplicatedCounter(CohortConfig config) throws Exception {
        group = Group.builder(config)
                .listener(this)
                .stateTransfer(out -> new DataOutputStream(out).writeLong(value.get()),
                        in -> value.set(new DataInputStream(in).readLong()))
                .build();
        group.join(Duration.ofSeconds(30));
    }

    /**
     * Adds to the counter on every member; returns once this member applied it.
     *
     * @param delta how much to add
     * @return the counter's value right after this addition, as every member sees it
     * @throws Exception if the addition was not delivered here (see {@link io.cohort.group.MulticastException})
     */
    public long add(long delta) throws Exception {
        byte[] payload = ByteBuffer.allocate(Long.BYTES).putLong(delta).array();
        Message m = group.send(DeliveryOrder.TOTAL, payload, Duration.ofSeconds(10));
        return lastApplied(m);
    }

    private long lastApplied(Message m) {
        Long v = results.remove(m);
        return v == null ? value.get() : v;
    }

    @Override
    public void onDelivery(Message m) {
        long after = value.addAndGet(ByteBuffer.wrap(m.payload()).getLong());
        if (m.sender().equals(group.self())) {
            results.put(m, after);
        }
    }

    @Override
    public void onView(View view) {
        System.out.printf("%s: view %d %s, counter %d%n", group.self(), view.viewId(), view.members(), value.get());
    }

    /** @return the counter's current value here */
    public long value() {
        return value.get();
    }

    @Override
    public void close() {
        group.close();
    }

    /**
     * @param args {@code --local} for a three-member demo in this JVM, else an optional configuration file
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--local")) {
            localDemo();
            return;
        }
        CohortConfig config = args.length > 0 ? ConfigLoader.load(Path.of(args[0]))
                : ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        try (ReplicatedCounter counter = new ReplicatedCounter(config)) {
            for (int i = 1; ; i++) {
                System.out.printf("added 1: counter %d%n", counter.add(1));
                Thread.sleep(1000);
            }
        }
    }

    private static void localDemo() throws Exception {
        String[] seeds = {"127.0.0.1:7701", "127.0.0.1:7702", "127.0.0.1:7703"};
        ReplicatedCounter[] members = new ReplicatedCounter[3];
        Thread[] starters = new Thread[3];
        Exception[] failures = new Exception[3];
        for (int i = 0; i < 3; i++) {
            int n = i;
            starters[i] = new Thread(() -> {
                try {
                    members[n] = new ReplicatedCounter(CohortConfig.builder("counter-demo", "m" + (n + 1))
                            .bindPort(7701 + n).seeds(seeds).build());
                } catch (Exception e) {
                    failures[n] = e;
                }
            });
            starters[i].start();
        }
        for (int i = 0; i < 3; i++) {
            starters[i].join();
            if (failures[i] != null) {
                throw failures[i];
            }
        }
        for (int round = 0; round < 10; round++) {
            for (ReplicatedCounter m : members) {
                m.add(round + 1);
            }
        }
        System.out.printf("after 30 additions: m1=%d m2=%d m3=%d%n", members[0].value(), members[1].value(),
                members[2].value());
        members[1].close();
        System.out.printf("m2 left; m1 adds 100: %d%n", members[0].add(100));
        for (ReplicatedCounter m : new ReplicatedCounter[] {members[0], members[2]}) {
            m.close();
        }
    }
}
