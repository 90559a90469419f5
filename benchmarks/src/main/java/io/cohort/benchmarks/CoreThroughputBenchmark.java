package io.cohort.benchmarks;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.Effect;
import io.cohort.protocol.GroupMember;
import io.cohort.protocol.ProtocolConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Throughput of the protocol core alone: N members in one JVM, no I/O, every member multicasting
 * fixed-size messages; frames are handed from one core to another directly (still encoded and
 * decoded, as on the wire). Reports messages delivered per second per member.
 *
 * <p>Run: {@code ./bench-core [ORDER] [members] [payloadBytes] [burst] [seconds]}; defaults
 * SAFE 3 100 256 10. One thread drives all members, so the figure is per core of the machine.
 */
public final class CoreThroughputBenchmark {

    private CoreThroughputBenchmark() {
    }

    /**
     * @param args order, members, payload bytes, burst per member per round, seconds
     */
    public static void main(String[] args) {
        DeliveryOrder order = args.length > 0 ? DeliveryOrder.valueOf(args[0]) : DeliveryOrder.SAFE;
        int members = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int payloadBytes = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int burst = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 10;

        System.out.printf("core benchmark: order=%s members=%d payload=%dB burst=%d duration=%ds java=%s cpus=%d%n",
                order, members, payloadBytes, burst, seconds, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        Group group = new Group(members, payloadBytes);
        group.runFor(order, burst, 3_000); // warm-up
        for (int i = 0; i < 3; i++) {
            long delivered = group.runFor(order, burst, seconds * 1000L / 3);
            double perMember = delivered / (double) members / (seconds / 3.0);
            System.out.printf("  run %d: %,.0f msgs/s delivered per member (retained in memory at end: %d)%n",
                    i + 1, perMember, group.retained());
        }
    }

    /** Members wired to each other in memory. */
    private static final class Group {
        private final List<GroupMember> members = new ArrayList<>();
        private final Map<MemberId, GroupMember> byId = new HashMap<>();
        private final byte[] payload;

        Group(int n, int payloadBytes) {
            List<MemberId> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ids.add(MemberId.of("m" + i, 1));
            }
            View view = new View(1, ids);
            for (MemberId id : ids) {
                GroupMember m = new GroupMember(id, ProtocolConfig.defaults());
                m.bootstrap(view);
                members.add(m);
                byId.put(id, m);
            }
            payload = new byte[payloadBytes];
            pump();
        }

        /** Multicasts in bursts from every member and moves frames until the time is up; returns deliveries. */
        long runFor(DeliveryOrder order, int burst, long millis) {
            long delivered = 0;
            long end = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < end) {
                for (GroupMember m : members) {
                    for (int i = 0; i < burst; i++) {
                        m.multicast(order, payload);
                    }
                }
                delivered += pump();
            }
            return delivered;
        }

        /** Carries every effect until all members are quiet; returns the number of deliveries. */
        long pump() {
            long delivered = 0;
            boolean moved = true;
            while (moved) {
                moved = false;
                for (GroupMember m : members) {
                    for (Effect e : m.takeEffects()) {
                        if (e instanceof Effect.Send s) {
                            byId.get(s.to()).receive(s.frame());
                            moved = true;
                        } else if (e instanceof Effect.Deliver) {
                            delivered++;
                        }
                    }
                }
            }
            return delivered;
        }

        int retained() {
            int total = 0;
            for (GroupMember m : members) {
                total += m.retainedMessages();
            }
            return total;
        }
    }
}
