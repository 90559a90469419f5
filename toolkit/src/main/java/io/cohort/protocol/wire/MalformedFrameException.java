package io.cohort.protocol.wire;

/** A frame could not be decoded: truncated, garbled, or with a value out of its allowed range. */
public final class MalformedFrameException extends Exception {

    /**
     * @param message what was wrong with the frame
     */
    public MalformedFrameException(String message) {
        super(message, null, false, false);
    }
}
