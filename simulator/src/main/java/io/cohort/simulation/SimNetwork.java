package io.cohort.simulation;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A faulty network between named simulated hosts: each frame may be lost, duplicated, delayed or
 * sent on a long detour (which reorders it); partitions block chosen directions between hosts.
 * Draws from the run's random source, so it is as deterministic as the run.
 */
public final class SimNetwork {

    private final EventQueue events;
    private final SplittableRandom random;
    private final double lossRate;
    private final double duplicateRate;
    private final double slowRate;
    /** Blocked directions, as "from>to". */
    private final Set<String> blocked = new HashSet<>();
    long framesSent;
    long framesLost;

    SimNetwork(EventQueue events, SplittableRandom random, Scenario scenario) {
        this(events, random, scenario.lossRate(), scenario.duplicateRate(), scenario.slowRate());
    }

    /**
     * @param events        the run's simulated time
     * @param random        the run's random source
     * @param lossRate      probability a frame is lost
     * @param duplicateRate probability a frame is delivered twice
     * @param slowRate      probability a frame takes a long detour (which reorders it)
     */
    public SimNetwork(EventQueue events, SplittableRandom random, double lossRate, double duplicateRate,
                      double slowRate) {
        this.events = events;
        this.random = random;
        this.lossRate = lossRate;
        this.duplicateRate = duplicateRate;
        this.slowRate = slowRate;
    }

    /**
     * Carries {@code bytes} from host {@code from} to host {@code to}, subject to faults.
     *
     * @param from    sending host
     * @param to      receiving host
     * @param bytes   what is carried (handed to {@code deliver} as is)
     * @param deliver called at the receiving end (it checks the host is still up)
     */
    public void send(String from, String to, byte[] bytes, Consumer<byte[]> deliver) {
        framesSent++;
        if (blocked.contains(from + ">" + to)) {
            framesLost++;
            return;
        }
        if (random.nextDouble() < lossRate) {
            framesLost++;
            return;
        }
        int copies = random.nextDouble() < duplicateRate ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long delay = 1 + random.nextInt(5);
            if (random.nextDouble() < slowRate) {
                delay += 20 + random.nextInt(150);
            }
            events.after(delay, () -> deliver.accept(bytes));
        }
    }

    /**
     * Drops every frame from {@code from} to {@code to} until {@link #healAll()}.
     *
     * @param from sending host
     * @param to   receiving host
     */
    public void block(String from, String to) {
        blocked.add(from + ">" + to);
    }

    /** Ends every partition. */
    public void healAll() {
        blocked.clear();
    }

    /** @return whether any direction is blocked */
    public boolean partitioned() {
        return !blocked.isEmpty();
    }

    /** @return frames offered to the network so far */
    public long framesSent() {
        return framesSent;
    }

    /** @return frames lost so far (random loss and partitions) */
    public long framesLost() {
        return framesLost;
    }
}
