package io.cohort.replication.wire;

/**
 * A client frame could not be decoded: bad magic, unsupported version, bad checksum, unknown code,
 * bad length, trailing bytes, or fields that break a request's invariants. The message names what
 * was wrong. Checked, like the peer protocol's {@code MalformedFrameException}, so that no caller
 * forgets that bytes from the network can be anything.
 */
public final class MalformedClientFrameException extends Exception {

    /**
     * @param message what was wrong with the frame
     */
    public MalformedClientFrameException(String message) {
        // No stack trace: bad input is an expected event, and the message says all there is to say.
        super(message, null, false, false);
    }
}
