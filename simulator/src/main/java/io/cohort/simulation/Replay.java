package io.cohort.simulation;

import io.cohort.protocol.ProtocolVariant;
import io.cohort.simulation.check.Violation;
import io.cohort.simulation.history.HistoryEvent;

/**
 * Replays simulation seeds from the command line: {@code ./sim-replay SEED [VARIANT] [--history]},
 * or a range with {@code ./sim-replay --from N --count K [VARIANT]}. A seed replays exactly: the
 * printed history digest is the same on every run.
 */
public final class Replay {

    private Replay() {
    }

    /**
     * @param args see the class description
     */
    public static void main(String[] args) {
        ProtocolVariant variant = ProtocolVariant.CORRECT;
        boolean printHistory = false;
        long from = -1;
        long count = 1;
        Long seed = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--history" -> printHistory = true;
                case "--from" -> from = Long.parseLong(args[++i]);
                case "--count" -> count = Long.parseLong(args[++i]);
                default -> {
                    if (args[i].matches("-?\\d+")) {
                        seed = Long.parseLong(args[i]);
                    } else {
                        variant = ProtocolVariant.valueOf(args[i]);
                    }
                }
            }
        }
        if (seed == null && from < 0) {
            System.err.println("usage: sim-replay SEED [VARIANT] [--history] | --from N --count K [VARIANT]");
            System.exit(2);
        }
        long start = seed != null ? seed : from;
        long n = seed != null ? 1 : count;
        int failures = 0;
        for (long s = start; s < start + n; s++) {
            Simulation.Result result = new Simulation(Scenario.fromSeed(s, variant)).run();
            System.out.println(result.summary());
            if (printHistory) {
                for (HistoryEvent e : result.history().events()) {
                    System.out.println("  " + e);
                }
            }
            for (Violation v : result.violations()) {
                System.out.println("  " + v);
            }
            failures += result.passed() ? 0 : 1;
        }
        System.out.println(n + " run(s), " + failures + " failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /**
     * @param seed    a seed
     * @param variant a protocol variant
     * @return the one-line command that replays the seed
     */
    public static String command(long seed, ProtocolVariant variant) {
        return "./sim-replay " + seed + (variant == ProtocolVariant.CORRECT ? "" : " " + variant) + " --history";
    }
}
