package io.cohort.testkit;

import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;
import io.cohort.protocol.ProtocolVariant;
import io.cohort.replication.ReplicationMode;
import io.cohort.simulation.replica.Invariant;
import io.cohort.simulation.replica.ReplicaRunConfig;
import io.cohort.simulation.replica.ReplicaSimulation;
import io.cohort.simulation.replica.ReplicaViolation;
import io.cohort.simulation.replica.ReplicaWorkload;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs your {@link StateMachine} in Cohort's deterministic simulator, from a JUnit (or any) test:
 * a group of replicas on a faulty simulated network, crashed and restarted (with state transfer),
 * partitioned and healed, leaving and joining, while simulated clients send your commands and
 * queries and fail over between replicas. Each schedule is drawn from a seed and replays exactly.
 * After each run the kit checks:
 * <ul>
 *   <li>replica agreement: the same command at every applied index, the same state hash wherever
 *       replicas hashed, the same state at the end;</li>
 *   <li>exactly-once: no replica applies a command twice, across retries, failovers and state transfer;</li>
 *   <li>durability: a command acknowledged OK is in the state of the replica that said so, and of
 *       every live replica at the end;</li>
 *   <li>read freshness: a LINEARIZABLE read reflects every command acknowledged before it began;</li>
 *   <li>liveness: after the network heals, the group settles and every client operation completes;</li>
 *   <li>your invariants, on every live replica at the end (and after every command, if asked).</li>
 * </ul>
 *
 * <pre>{@code
 * TestKitReport report = StateMachineTestKit.forMachine(BankLedger::new)
 *         .commands((random, client) -> BankLedger.randomTransfer(random))
 *         .queries(BankLedger::randomQuery)
 *         .invariant("money is conserved", ledger -> ledger.total() == BankLedger.INITIAL_TOTAL)
 *         .schedules(500)
 *         .run();          // throws AssertionError naming each failing seed and how to replay it
 * }</pre>
 *
 * <p>A failing schedule is replayed with {@code -Dcohort.testkit.seed=N} (the failure message
 * gives the whole command); add {@code -Dcohort.testkit.trace=true} to print its history.
 *
 * <p>Your code must be deterministic given what the kit hands it (the random source, the command
 * context), or runs will not replay. Runs execute in parallel, one thread each, so the suppliers
 * and generators must not share mutable state between the instances they create.
 *
 * <p>Not thread-safe: configure and run from one thread.
 *
 * @param <M> your state machine's type
 */
public final class StateMachineTestKit<M extends StateMachine> {

    /** System property: first seed of a soak run in place of the test's own range. */
    public static final String SOAK_FIRST_SEED_PROPERTY = "cohort.testkit.soakFirstSeed";
    /** System property: number of schedules of a soak run in place of the test's own count. */
    public static final String SOAK_SCHEDULES_PROPERTY = "cohort.testkit.soakSchedules";


    /** Violations listed per failing seed in the failure message. */
    private static final int VIOLATIONS_SHOWN = 6;
    /** Failing seeds listed in the failure message. */
    private static final int SEEDS_SHOWN = 5;

    private final Supplier<? extends M> machines;
    private ReplicationMode mode = ReplicationMode.ACTIVE;
    private Function<? super M, ? extends RequestExecutor> executors;
    private BiFunction<SplittableRandom, Integer, byte[]> commands;
    private Function<SplittableRandom, byte[]> queries;
    private final List<Invariant> invariants = new ArrayList<>();
    private boolean afterEveryCommand;
    private ReplicaRunConfig config = ReplicaRunConfig.defaults(ReplicationMode.ACTIVE);
    private Faults faults = Faults.standard();
    private int schedules = 100;
    private long firstSeed = 1;
    private boolean stopAtFirstFailure;

    private StateMachineTestKit(Supplier<? extends M> machines) {
        this.machines = Objects.requireNonNull(machines, "machines");
    }

    /**
     * Starts configuring a test of a state machine.
     *
     * @param machines makes a fresh machine in its initial state; called once per replica
     *                 incarnation (each restart starts from a new instance and receives the state
     *                 by snapshot)
     * @param <M>      the machine's type
     * @return the kit, with defaults: active replication, 3 to 5 replicas, 6 clients, every kind
     *         of fault, 100 schedules from seed 1
     */
    public static <M extends StateMachine> StateMachineTestKit<M> forMachine(Supplier<? extends M> machines) {
        return new StateMachineTestKit<>(machines);
    }

    /**
     * @param replicationMode ACTIVE (default), PRIMARY_BACKUP or COORDINATOR_COHORT; the latter two
     *                        need {@link #executor}
     * @return this kit
     */
    public StateMachineTestKit<M> mode(ReplicationMode replicationMode) {
        this.mode = Objects.requireNonNull(replicationMode, "replicationMode");
        return this;
    }

    /**
     * How requests are executed in primary-backup and coordinator-cohort modes.
     *
     * @param executorOfMachine makes the executor of one replica, given that replica's machine
     *                          (so that execution can read the state it runs against)
     * @return this kit
     */
    public StateMachineTestKit<M> executor(Function<? super M, ? extends RequestExecutor> executorOfMachine) {
        this.executors = Objects.requireNonNull(executorOfMachine, "executorOfMachine");
        return this;
    }

    /**
     * What clients send. Required.
     *
     * @param generator the next command of client {@code clientIndex} (0 to clients - 1), drawn
     *                  from {@code random} only
     * @return this kit
     */
    public StateMachineTestKit<M> commands(BiFunction<SplittableRandom, Integer, byte[]> generator) {
        this.commands = Objects.requireNonNull(generator, "generator");
        return this;
    }

    /**
     * What clients read; without it, clients only send commands.
     *
     * @param generator the next query, drawn from {@code random} only
     * @return this kit
     */
    public StateMachineTestKit<M> queries(Function<SplittableRandom, byte[]> generator) {
        this.queries = Objects.requireNonNull(generator, "generator");
        return this;
    }

    /**
     * @param percent      share of client operations that are queries (default 30)
     * @param stalePercent share of queries sent as STALE reads rather than LINEARIZABLE (default 20)
     * @return this kit
     */
    public StateMachineTestKit<M> reads(int percent, int stalePercent) {
        config = config.withReads(percent, stalePercent);
        return this;
    }

    /**
     * Adds a property your machine must always satisfy; checked on every live replica at the end
     * of each run, and after every applied command with {@link #checkInvariantsAfterEveryCommand()}.
     *
     * @param name  how failures name it
     * @param holds true when the property holds (an exception counts as broken)
     * @return this kit
     */
    @SuppressWarnings("unchecked")
    public StateMachineTestKit<M> invariant(String name, Predicate<? super M> holds) {
        Objects.requireNonNull(holds, "holds");
        invariants.add(new Invariant(name, machine -> holds.test((M) machine)));
        return this;
    }

    /**
     * Also checks the invariants on each replica right after every command it applies: finds the
     * first command that breaks one, at some cost per command.
     *
     * @return this kit
     */
    public StateMachineTestKit<M> checkInvariantsAfterEveryCommand() {
        this.afterEveryCommand = true;
        return this;
    }

    /**
     * @param min fewest replicas a run starts with (at least 3)
     * @param max most replicas a run starts with (joiners may add up to 2 more, 7 at most in all)
     * @return this kit
     */
    public StateMachineTestKit<M> replicas(int min, int max) {
        config = config.withReplicas(min, max);
        return this;
    }

    /**
     * @param clients simulated clients per run (default 6); each has one operation in flight
     * @return this kit
     */
    public StateMachineTestKit<M> clients(int clients) {
        config = config.withClients(clients);
        return this;
    }

    /**
     * @param faultsToInject which faults to inject (default {@link Faults#standard()})
     * @return this kit
     */
    public StateMachineTestKit<M> faults(Faults faultsToInject) {
        this.faults = Objects.requireNonNull(faultsToInject, "faultsToInject");
        return this;
    }

    /**
     * @param rejoin whether a replica that the others' state hashes show diverged leaves and
     *               rejoins with a fresh state, as the real runtime can be told to (default true)
     * @return this kit
     */
    public StateMachineTestKit<M> rejoinOnDivergence(boolean rejoin) {
        config = config.withRejoinOnDivergence(rejoin);
        return this;
    }

    /**
     * Runs a deliberately broken version of Cohort's protocol. For testing the kit itself (a check
     * that cannot fail proves nothing); never useful for testing your machine.
     *
     * @param variant the variant; {@link ProtocolVariant#CORRECT} is the default and the only correct one
     * @return this kit
     */
    public StateMachineTestKit<M> protocolVariant(ProtocolVariant variant) {
        config = config.withVariant(variant);
        return this;
    }

    /**
     * @param count how many schedules (seeds) to run (default 100)
     * @return this kit
     */
    public StateMachineTestKit<M> schedules(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("need at least one schedule, got " + count);
        }
        this.schedules = count;
        return this;
    }

    /**
     * @param seed the first seed; runs use seeds {@code seed, seed + 1, ...} (default 1)
     * @return this kit
     */
    public StateMachineTestKit<M> firstSeed(long seed) {
        this.firstSeed = seed;
        return this;
    }

    /**
     * Stops after the first batch of seeds in which a run fails: for tests that expect a failure
     * and want it found quickly. Seeds run in fixed batches, so the result does not depend on the
     * machine.
     *
     * @return this kit
     */
    public StateMachineTestKit<M> stopAtFirstFailure() {
        this.stopAtFirstFailure = true;
        return this;
    }

    /**
     * Runs the schedules and checks every run.
     *
     * @return the report, when every run kept every guarantee
     * @throws AssertionError listing the failing seeds, what broke, and how to replay each
     */
    public TestKitReport run() {
        TestKitReport report = runAndReport();
        if (!report.passed()) {
            throw new AssertionError(failureMessage(report));
        }
        return report;
    }

    /**
     * Runs the schedules and checks every run, without failing: for tests that inspect the
     * failures themselves (or that expect some).
     *
     * @return the report
     */
    public TestKitReport runAndReport() {
        if (commands == null) {
            throw new IllegalStateException("no command generator: call commands(...) first");
        }
        if (mode != ReplicationMode.ACTIVE && executors == null) {
            throw new IllegalStateException(mode + " needs a request executor: call executor(...) first");
        }
        ReplayCommand replay = ReplayCommand.ofCaller();
        Long replayed = Long.getLong(ReplayCommand.SEED_PROPERTY);
        // A soak: -Dcohort.testkit.soakFirstSeed=N -Dcohort.testkit.soakSchedules=K runs other seeds than the test's.
        long first = replayed != null ? replayed : Long.getLong(SOAK_FIRST_SEED_PROPERTY, firstSeed);
        int count = replayed != null ? 1 : Integer.getInteger(SOAK_SCHEDULES_PROPERTY, schedules);
        ReplicaRunConfig runConfig = new ReplicaRunConfig(mode, config.variant(), config.minReplicas(),
                config.maxReplicas(), config.extraMembers(), config.clients(), queries == null ? 0 : config.readPercent(),
                config.stalePercent(), config.thinkMillis(), config.clientTimeoutMillis(), config.maxHashInterval(),
                config.rejoinOnDivergence(), config.settleMillis(), faults.plan());
        long started = System.nanoTime();
        List<ReplicaSimulation.Result> results = Campaign.run(runConfig, workload(), first, count,
                stopAtFirstFailure && replayed == null);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        boolean trace = Boolean.getBoolean(ReplayCommand.TRACE_PROPERTY);
        List<TestKitReport.FailedRun> failures = new ArrayList<>();
        for (ReplicaSimulation.Result r : results) {
            if (replayed != null) {
                System.out.println("cohort-testkit replay: " + r.summary());
                r.violations().forEach(v -> System.out.println("  " + v));
            }
            if (trace && (replayed != null || !r.passed())) {
                r.history().trace().forEach(line -> System.out.println("  " + line));
            }
            if (!r.passed()) {
                failures.add(new TestKitReport.FailedRun(r.scenario().seed(), r.scenario().toString(), r.violations(),
                        replay.command(r.scenario().seed()), r.history().trace()));
            }
        }
        return new TestKitReport(results, failures, elapsed, replayed != null);
    }

    @SuppressWarnings("unchecked")
    private ReplicaWorkload workload() {
        Function<StateMachine, RequestExecutor> executorOf = executors == null ? null
                : machine -> executors.apply((M) machine);
        return new ReplicaWorkload(machines, executorOf, commands, queries, invariants, afterEveryCommand);
    }

    private static String failureMessage(TestKitReport report) {
        StringBuilder b = new StringBuilder();
        b.append(report.failures().size()).append(" of ").append(report.runs())
                .append(" simulated schedule(s) broke a guarantee (").append(report.summary()).append(")");
        int shown = 0;
        for (TestKitReport.FailedRun f : report.failures()) {
            if (shown++ == SEEDS_SHOWN) {
                b.append("\n... and ").append(report.failures().size() - SEEDS_SHOWN).append(" more failing seed(s)");
                break;
            }
            b.append("\n\nseed ").append(f.seed()).append(": ").append(f.scenario());
            int v = 0;
            for (ReplicaViolation violation : f.violations()) {
                if (v++ == VIOLATIONS_SHOWN) {
                    b.append("\n  ... and ").append(f.violations().size() - VIOLATIONS_SHOWN).append(" more");
                    break;
                }
                b.append("\n  ").append(violation);
            }
            b.append("\n  replay: ").append(f.replayCommand());
        }
        return b.toString();
    }
}
