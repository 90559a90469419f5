package io.cohort.benchmarks.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the time from kill -9 of a member to the moment every survivor has installed the
 * view without it, with the default failure-detection settings (or those given as
 * {@code -Dcohort.*} options after the arguments). Alternates between killing the coordinator
 * (rank 0, also the sequencer) and another member; a fresh 3-member group per round, optionally
 * under load.
 *
 * <p>Usage: {@code KillToViewBenchmark [rounds] [loadMsgsPerSecondPerMember] [-Dcohort.key=value ...]}
 */
public final class KillToViewBenchmark {

    private KillToViewBenchmark() {
    }

    /**
     * @param args rounds (default 6), load per member (default 0), then -D options for the members
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int load = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        List<String> props = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            props.add(args[i]);
        }
        List<Long> coordinator = new ArrayList<>();
        List<Long> other = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            boolean killCoordinator = round % 2 == 0;
            try (BenchmarkCluster cluster = new BenchmarkCluster(3, "512m", props)) {
                List<BenchmarkCluster.Member> all = cluster.members;
                String coord = cluster.coordinator;
                BenchmarkCluster.Member victim = all.stream()
                        .filter(m -> m.name().equals(coord) == killCoordinator).findFirst().orElseThrow();
                if (load > 0) {
                    for (BenchmarkCluster.Member m : all) {
                        m.command("run TOTAL 30 0 " + load + " 1024");
                    }
                    Thread.sleep(2000); // a benchmark warm-up, not synchronisation
                }
                long killMicros = nowMicros();
                victim.process().destroyForcibly();
                long worst = 0;
                for (BenchmarkCluster.Member m : all) {
                    if (m == victim) {
                        continue;
                    }
                    long at;
                    while (true) {
                        String[] p = m.expect("VIEW").split(" ");
                        if (Integer.parseInt(p[2]) == 2) {
                            at = Long.parseLong(p[4]);
                            break;
                        }
                    }
                    worst = Math.max(worst, at - killMicros);
                }
                long ms = worst / 1000;
                (killCoordinator ? coordinator : other).add(ms);
                System.out.printf("round %d: killed %s (%s): every survivor had the new view after %d ms%n", round + 1,
                        victim.name(), killCoordinator ? "coordinator" : "member", ms);
            }
        }
        System.out.printf("coordinator killed: %s ms; other member killed: %s ms%n", coordinator, other);
        List<Long> allTimes = new ArrayList<>(coordinator);
        allTimes.addAll(other);
        allTimes.sort(null);
        System.out.printf("kill -9 to new view at every survivor: median %d ms, max %d ms over %d rounds%n",
                allTimes.get(allTimes.size() / 2), allTimes.get(allTimes.size() - 1), allTimes.size());
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }
}
