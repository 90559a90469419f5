package io.cohort.simulation.replica;

import java.util.Objects;

/**
 * One way in which a replica run broke a {@link ReplicaProperty}.
 *
 * @param property the property broken
 * @param detail   what happened, naming replicas, clients, commands and indexes
 */
public record ReplicaViolation(ReplicaProperty property, String detail) {

    /** Validates the fields. */
    public ReplicaViolation {
        Objects.requireNonNull(property, "property");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return property + ": " + detail;
    }
}
