package io.cohort.simulation.check;

import java.util.Objects;

/**
 * One way in which a recorded history breaks a {@link Property}.
 *
 * @param property the property broken
 * @param detail   what happened, naming the members, views and message ids involved
 */
public record Violation(Property property, String detail) {

    /**
     * Validates the violation.
     *
     * @throws NullPointerException if either component is null
     */
    public Violation {
        Objects.requireNonNull(property, "property");
        Objects.requireNonNull(detail, "detail");
    }

    /** Renders as {@code P<n> NAME: detail}, so a failing seed's report reads without the enum at hand. */
    @Override
    public String toString() {
        return "P" + property.number() + " " + property.name() + ": " + detail;
    }
}
