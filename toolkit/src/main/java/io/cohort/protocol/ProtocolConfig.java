package io.cohort.protocol;

/**
 * Settings of the protocol core.
 *
 * @param retransmitMillis  how long an unacknowledged frame waits before it is sent again
 * @param joinRetryMillis   how long a joiner waits before asking again
 * @param maxBatchMessages  most multicasts packed into one Data message
 * @param maxBatchBytes     most payload bytes packed into one Data message (a single larger payload travels alone)
 * @param maxDeferredFrames most frames of a later view held while waiting to install it; beyond, they are dropped and counted
 * @param variant           {@link ProtocolVariant#CORRECT} except in tests of the test suite
 */
public record ProtocolConfig(long retransmitMillis, long joinRetryMillis, int maxBatchMessages, int maxBatchBytes,
                             int maxDeferredFrames, ProtocolVariant variant) {

    /** Validates the settings. */
    public ProtocolConfig {
        if (retransmitMillis < 1 || joinRetryMillis < 1) {
            throw new IllegalArgumentException("timer intervals must be positive");
        }
        if (maxBatchMessages < 1 || maxBatchBytes < 1 || maxDeferredFrames < 1) {
            throw new IllegalArgumentException("batch and buffer limits must be positive");
        }
        if (variant == null) {
            throw new IllegalArgumentException("variant must not be null");
        }
    }

    /** @return defaults suited to a LAN */
    public static ProtocolConfig defaults() {
        return new ProtocolConfig(50, 500, 1024, 1 << 20, 100_000, ProtocolVariant.CORRECT);
    }

    /**
     * @param v a variant
     * @return a copy running that variant
     */
    public ProtocolConfig withVariant(ProtocolVariant v) {
        return new ProtocolConfig(retransmitMillis, joinRetryMillis, maxBatchMessages, maxBatchBytes, maxDeferredFrames, v);
    }
}
