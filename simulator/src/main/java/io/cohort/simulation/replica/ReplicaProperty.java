package io.cohort.simulation.replica;

/**
 * What the replica checks judge a run against: DESIGN.md section 2, property 9 and the client
 * guarantees of section 1, plus the user's own invariants.
 */
public enum ReplicaProperty {

    /** Replicas applied the same command at every index and hashed the same state there. */
    AGREEMENT("replica agreement: the same command at every applied index, the same state hash at every hashed index"),
    /** No replica applied a command twice; no client was told a pending command was already done. */
    EXACTLY_ONCE("exactly-once: no replica applies a command twice, no client is refused a command it never had answered"),
    /** A command acknowledged OK was applied by the replica that said so, and is on every live replica at the end. */
    DURABILITY("durability: a command acknowledged OK is applied where it was acknowledged and on every live replica at the end"),
    /** A linearizable read reflects every command acknowledged to anyone before it was invoked. */
    READ_FRESHNESS("read freshness: a LINEARIZABLE read reflects every command acknowledged before it was invoked"),
    /** After healing, the group settles and every client operation completes. */
    LIVENESS("liveness: after the network heals, replicas settle in one view at one index and every client operation completes"),
    /** The user's invariants hold on every replica. */
    INVARIANT("user invariant: holds at every replica checked"),
    /** The run could not complete: user code or the simulation threw. */
    RUN_ERROR("run error: the simulation could not complete");

    private final String description;

    ReplicaProperty(String description) {
        this.description = description;
    }

    /** @return a one-line statement of the property */
    public String description() {
        return description;
    }
}
