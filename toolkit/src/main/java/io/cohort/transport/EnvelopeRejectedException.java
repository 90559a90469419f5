package io.cohort.transport;

/** An envelope failed validation; the connection it came on is closed. */
final class EnvelopeRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    EnvelopeRejectedException(RejectReason reason, String detail) {
        super(reason + ": " + detail, null, false, false);
        this.reason = reason;
    }

    RejectReason reason() {
        return reason;
    }
}
