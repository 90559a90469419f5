package io.cohort.testkit;

import io.cohort.simulation.replica.ReplicaProperty;
import io.cohort.simulation.replica.ReplicaSimulation;
import io.cohort.simulation.replica.ReplicaViolation;
import io.cohort.simulation.replica.RunStats;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link StateMachineTestKit} campaign did and found: totals over every run, so that a test
 * can assert the faults it relies on really happened, and every run that broke a guarantee, with
 * the command that replays it.
 */
public final class TestKitReport {

    /**
     * One run that broke at least one guarantee.
     *
     * @param seed          its seed
     * @param scenario      the shape its seed drew (group size, network, timing)
     * @param violations    what broke
     * @param replayCommand the one-line command that replays it exactly
     * @param trace         the run's history, one event per line
     */
    public record FailedRun(long seed, String scenario, List<ReplicaViolation> violations, String replayCommand,
                            List<String> trace) {

        /** @return the properties broken */
        public Set<ReplicaProperty> properties() {
            Set<ReplicaProperty> all = EnumSet.noneOf(ReplicaProperty.class);
            violations.forEach(v -> all.add(v.property()));
            return all;
        }
    }

    private final int runs;
    private final List<FailedRun> failures;
    private final long commandsAcknowledged;
    private final long linearizableReads;
    private final long staleReads;
    private final int crashes;
    private final int restarts;
    private final int partitions;
    private final int isolations;
    private final int leaves;
    private final int joins;
    private final int divergences;
    private final int rejoins;
    private final int runsWithoutLiveness;
    private final long simulatedMillis;
    private final Duration elapsed;
    private final boolean replay;

    TestKitReport(List<ReplicaSimulation.Result> results, List<FailedRun> failures, Duration elapsed, boolean replay) {
        this.replay = replay;
        this.runs = results.size();
        this.failures = Collections.unmodifiableList(new ArrayList<>(failures));
        this.elapsed = elapsed;
        long acked = 0;
        long lin = 0;
        long stale = 0;
        int c = 0;
        int r = 0;
        int p = 0;
        int iso = 0;
        int l = 0;
        int j = 0;
        int d = 0;
        int rj = 0;
        int noLiveness = 0;
        long simulated = 0;
        for (ReplicaSimulation.Result result : results) {
            RunStats s = result.stats();
            acked += s.commandsAcknowledged();
            lin += s.linearizableReads();
            stale += s.staleReads();
            c += s.crashes();
            r += s.restarts();
            p += s.partitions();
            iso += s.isolations();
            l += s.leaves();
            j += s.joins();
            d += s.divergences();
            rj += s.rejoins();
            noLiveness += result.history().livenessOwed() ? 0 : 1;
            simulated += s.simulatedMillis();
        }
        this.commandsAcknowledged = acked;
        this.linearizableReads = lin;
        this.staleReads = stale;
        this.crashes = c;
        this.restarts = r;
        this.partitions = p;
        this.isolations = iso;
        this.leaves = l;
        this.joins = j;
        this.divergences = d;
        this.rejoins = rj;
        this.runsWithoutLiveness = noLiveness;
        this.simulatedMillis = simulated;
    }

    /**
     * Whether this was the replay of one seed ({@code -Dcohort.testkit.seed}) instead of the whole
     * campaign: a test's assertions on totals do not apply then.
     *
     * @return whether one seed was replayed
     */
    public boolean replay() {
        return replay;
    }

    /** @return whether every run kept every guarantee */
    public boolean passed() {
        return failures.isEmpty();
    }

    /** @return the runs (schedules) simulated */
    public int runs() {
        return runs;
    }

    /** @return the runs that broke a guarantee, in seed order */
    public List<FailedRun> failures() {
        return failures;
    }

    /** @return commands acknowledged OK to clients, over every run */
    public long commandsAcknowledged() {
        return commandsAcknowledged;
    }

    /** @return LINEARIZABLE reads answered OK */
    public long linearizableReads() {
        return linearizableReads;
    }

    /** @return STALE reads answered OK */
    public long staleReads() {
        return staleReads;
    }

    /** @return members crashed */
    public int crashes() {
        return crashes;
    }

    /** @return members restarted as a new incarnation (after a crash, exclusion or leave) */
    public int restarts() {
        return restarts;
    }

    /** @return network partitions, isolations included */
    public int partitions() {
        return partitions;
    }

    /** @return partitions that cut one replica off from all others */
    public int isolations() {
        return isolations;
    }

    /** @return clean leaves */
    public int leaves() {
        return leaves;
    }

    /** @return joins: new members, or members restarted to join again */
    public int joins() {
        return joins;
    }

    /** @return times a replica was found to diverge by the replicas' own hash comparison */
    public int divergences() {
        return divergences;
    }

    /** @return divergent replicas that left and rejoined with a fresh state */
    public int rejoins() {
        return rejoins;
    }

    /**
     * Runs where the nemesis could not keep a majority alive (it cannot see a view being agreed
     * on), so liveness and the end-state checks were not owed; safety was still checked.
     *
     * @return how many
     */
    public int runsWithoutLiveness() {
        return runsWithoutLiveness;
    }

    /** @return simulated time over every run */
    public Duration simulated() {
        return Duration.ofMillis(simulatedMillis);
    }

    /** @return wall-clock time the campaign took */
    public Duration elapsed() {
        return elapsed;
    }

    /** @return one line of totals */
    public String summary() {
        return String.format("%d run(s), %d failed; %d commands acknowledged, %d linearizable + %d stale reads; "
                        + "%d crashes, %d restarts, %d partitions (%d isolating), %d leaves, %d joins, %d divergences, "
                        + "%d rejoins; liveness not owed in %d; %.0f simulated s in %.1f s",
                runs, failures.size(), commandsAcknowledged, linearizableReads, staleReads, crashes, restarts,
                partitions, isolations, leaves, joins, divergences, rejoins, runsWithoutLiveness,
                simulatedMillis / 1000.0, elapsed.toMillis() / 1000.0);
    }

    @Override
    public String toString() {
        return summary();
    }
}
