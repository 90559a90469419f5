package io.cohort.group;

/**
 * A {@link Group#confirmView} round failed: this member changed view, wedged for a view change,
 * was excluded or left, holds no state yet, or did not hear from a majority of its view in time.
 * A read that needed the proof must not be answered here; retry it (usually at another member).
 */
public final class ViewNotConfirmedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message why
     */
    public ViewNotConfirmedException(String message) {
        super(message);
    }
}
