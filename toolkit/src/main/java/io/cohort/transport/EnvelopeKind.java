package io.cohort.transport;

/** What an envelope carries. The code is the byte on the wire. */
enum EnvelopeKind {
    /** First envelope on a connection, both ways: who the sender is and where it listens. */
    HELLO(1),
    /** A batch of protocol-core frames. */
    FRAMES(2),
    /** Nothing but proof of life, for the failure detector. */
    HEARTBEAT(3),
    /** Start-up: "is there a group?" */
    DISCOVER(4),
    /** The answer to {@link #DISCOVER}: the sender's status and view. */
    DISCOVER_REPLY(5),
    /** Addresses of members, passed on so that every member can reach every other. */
    ADDRESSES(6);

    private static final EnvelopeKind[] BY_CODE = new EnvelopeKind[7];

    static {
        for (EnvelopeKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    final byte code;

    EnvelopeKind(int code) {
        this.code = (byte) code;
    }

    /**
     * @param code a wire code
     * @return the kind, or null if unknown
     */
    static EnvelopeKind of(byte code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
