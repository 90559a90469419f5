package io.cohort.simulation.replica;

import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the user brings to a simulated run: the state machine, how requests are executed (for
 * primary-backup and coordinator-cohort), what clients send, and what must always hold. Every
 * function must be deterministic given the random source it is handed, or runs will not replay.
 *
 * @param machines        a fresh state machine, in its initial state, for each replica incarnation
 * @param executors       the request executor of a replica, given its state machine; null in active mode
 * @param commands        the next command of client {@code clientIndex}, drawn from {@code random}
 * @param queries         the next query, drawn from {@code random}; null if clients never read
 * @param invariants      checked on every live replica at the end (and after every command, if asked)
 * @param checkInvariantsAfterEveryCommand whether to check the invariants after every applied command too
 */
public record ReplicaWorkload(Supplier<? extends StateMachine> machines,
                              Function<StateMachine, RequestExecutor> executors,
                              BiFunction<SplittableRandom, Integer, byte[]> commands,
                              Function<SplittableRandom, byte[]> queries,
                              List<Invariant> invariants,
                              boolean checkInvariantsAfterEveryCommand) {

    /** Validates the fields. */
    public ReplicaWorkload {
        Objects.requireNonNull(machines, "machines");
        Objects.requireNonNull(commands, "commands");
        invariants = List.copyOf(invariants);
    }
}
