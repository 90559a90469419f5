package io.cohort.transport;

import java.util.Locale;

/**
 * Why the transport refused input from a connection. Each reason closes the connection, is
 * counted in {@code cohort.transport.rejected} with the reason as tag, and is logged with the peer.
 */
public enum RejectReason {
    /** The length prefix exceeds the configured maximum frame size (or is negative). */
    OVERSIZED,
    /** The envelope does not start with Cohort's magic number. */
    BAD_MAGIC,
    /** The envelope uses a protocol version this build does not speak. */
    BAD_VERSION,
    /** The sender belongs to another cluster. */
    WRONG_CLUSTER,
    /** The CRC32C check failed: the bytes were damaged. */
    BAD_CHECKSUM,
    /** The envelope's body does not parse. */
    MALFORMED,
    /** A valid envelope out of place, e.g. anything before HELLO. */
    UNEXPECTED,
    /** No HELLO arrived within the handshake timeout. */
    HANDSHAKE_TIMEOUT;

    /** @return the metric tag value */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
