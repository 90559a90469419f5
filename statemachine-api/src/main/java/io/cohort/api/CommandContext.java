package io.cohort.api;

/**
 * Facts about the command being applied that every replica sees identically, so that a
 * {@link StateMachine} stays deterministic. Never read the wall clock inside
 * {@link StateMachine#apply}; use {@link #logicalTimeMillis()}.
 */
public interface CommandContext {

    /**
     * Position of the command in the replicated command sequence, starting at 1; the same at every replica.
     *
     * @return the applied index
     */
    long index();

    /**
     * The view in which the command was delivered.
     *
     * @return the view id
     */
    long viewId();

    /**
     * Time assigned to the command when it was ordered, identical at every replica. Use it for
     * expiry and time-based logic instead of a local clock.
     *
     * @return milliseconds since the epoch, as assigned in the log
     */
    long logicalTimeMillis();

    /**
     * The member that submitted the command.
     *
     * @return the submitting member
     */
    MemberId origin();
}
