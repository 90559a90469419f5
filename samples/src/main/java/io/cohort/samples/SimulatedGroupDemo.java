package io.cohort.samples;

import io.cohort.api.MemberId;
import io.cohort.protocol.ProtocolVariant;
import io.cohort.simulation.Scenario;
import io.cohort.simulation.Simulation;
import io.cohort.simulation.check.Violation;
import io.cohort.simulation.history.HistoryEvent;

import java.util.Map;
import java.util.TreeMap;

/**
 * The README's main job until the key-value sample exists: a simulated 5-member group under
 * crashes, restarts, partitions, leaves and joins, with its view sequence, per-member delivery
 * counts and the checker's verdict. Run with {@code mvn -B -q package exec:java} (optionally
 * {@code -Dexec.args=SEED}).
 */
public final class SimulatedGroupDemo {

    private SimulatedGroupDemo() {
    }

    /**
     * @param args optional seed
     */
    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 42;
        Scenario scenario = new Scenario(seed, ProtocolVariant.CORRECT, 5, 7, 0.02, 0.01, 0.02, 4000, 5000, 8, 400);
        System.out.println("Simulating a 5-member Cohort group: " + scenario);
        Simulation.Result result = new Simulation(scenario).run();

        System.out.println();
        System.out.println("Views, in the order the group installed them:");
        Map<Long, String> views = new TreeMap<>();
        Map<MemberId, Integer> deliveries = new TreeMap<>();
        for (HistoryEvent e : result.history().events()) {
            if (e instanceof HistoryEvent.ViewInstalled v) {
                views.putIfAbsent(v.viewId(), v.members().toString());
            } else if (e instanceof HistoryEvent.Delivered d) {
                deliveries.merge(d.member(), 1, Integer::sum);
            } else if (e instanceof HistoryEvent.Crashed c) {
                System.out.println("  (" + c.member() + " crashed)");
            } else if (e instanceof HistoryEvent.Excluded x) {
                System.out.println("  (" + x.member() + " was excluded after view " + x.lastViewId() + ")");
            } else if (e instanceof HistoryEvent.Left l) {
                System.out.println("  (" + l.member() + " left after view " + l.lastViewId() + ")");
            }
        }
        views.forEach((id, members) -> System.out.println("  view " + id + ": " + members));

        System.out.println();
        System.out.println("Messages delivered, per member incarnation:");
        deliveries.forEach((m, n) -> System.out.printf("  %-6s %6d%n", m, n));

        System.out.println();
        System.out.println("Faults injected: " + result.faults());
        System.out.println("Members alive at the end: " + result.history().liveAtEnd());
        if (result.passed()) {
            System.out.println("Checker: all properties hold (view agreement, integrity, sending-view delivery, "
                    + "virtual synchrony, FIFO/causal/total order, SAFE uniformity, liveness, state transfer).");
        } else {
            System.out.println("Checker found " + result.violations().size() + " violation(s):");
            for (Violation v : result.violations()) {
                System.out.println("  " + v);
            }
        }
    }
}
