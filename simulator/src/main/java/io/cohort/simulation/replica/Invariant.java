package io.cohort.simulation.replica;

import io.cohort.api.StateMachine;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * A property of the user's state machine that must hold at every replica: checked on every live
 * replica at the end of a run and, if asked, after every command a replica applies.
 *
 * @param name  how violations name it
 * @param holds the predicate; false (or an exception) means broken
 */
public record Invariant(String name, Predicate<StateMachine> holds) {

    /** Validates the fields. */
    public Invariant {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(holds, "holds");
    }

    /**
     * @param machine a replica's state machine
     * @return null if the invariant holds, else why not
     */
    public String check(StateMachine machine) {
        try {
            return holds.test(machine) ? null : "does not hold";
        } catch (RuntimeException e) {
            return "threw " + e;
        }
    }
}
