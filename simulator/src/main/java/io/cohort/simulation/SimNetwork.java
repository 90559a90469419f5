package io.cohort.simulation;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A faulty network between named simulated hosts: each frame may be lost, duplicated, delayed or
 * sent on a long detour (which reorders it); partitions block chosen directions between hosts.
 */
final class SimNetwork {

    private final EventQueue events;
    private final SplittableRandom random;
    private final Scenario scenario;
    /** Blocked directions, as "from>to". */
    private final Set<String> blocked = new HashSet<>();
    long framesSent;
    long framesLost;

    SimNetwork(EventQueue events, SplittableRandom random, Scenario scenario) {
        this.events = events;
        this.random = random;
        this.scenario = scenario;
    }

    /**
     * Carries {@code bytes} from host {@code from} to host {@code to}, subject to faults.
     *
     * @param deliver called at the receiving end (it checks the host is still up)
     */
    void send(String from, String to, byte[] bytes, Consumer<byte[]> deliver) {
        framesSent++;
        if (blocked.contains(from + ">" + to)) {
            framesLost++;
            return;
        }
        if (random.nextDouble() < scenario.lossRate()) {
            framesLost++;
            return;
        }
        int copies = random.nextDouble() < scenario.duplicateRate() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long delay = 1 + random.nextInt(5);
            if (random.nextDouble() < scenario.slowRate()) {
                delay += 20 + random.nextInt(150);
            }
            events.after(delay, () -> deliver.accept(bytes));
        }
    }

    void block(String from, String to) {
        blocked.add(from + ">" + to);
    }

    void healAll() {
        blocked.clear();
    }

    boolean partitioned() {
        return !blocked.isEmpty();
    }
}
