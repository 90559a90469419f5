package io.cohort.group;

import io.cohort.api.MulticastOutcome;

/**
 * A multicast that will not be seen delivered by this member. The outcome says whether anyone
 * may have delivered it: {@link MulticastOutcome#NOT_SENT} (nobody did) or
 * {@link MulticastOutcome#UNKNOWN} (all survivors did, or none did).
 */
public final class MulticastException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final MulticastOutcome outcome;

    /**
     * @param outcome what became of the message
     * @param message why
     */
    public MulticastException(MulticastOutcome outcome, String message) {
        super(message + " (outcome " + outcome + ")");
        this.outcome = outcome;
    }

    /** @return what became of the message */
    public MulticastOutcome outcome() {
        return outcome;
    }
}
