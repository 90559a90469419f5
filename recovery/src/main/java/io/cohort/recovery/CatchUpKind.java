package io.cohort.recovery;

/** How a donor brings a joining replica up to date. */
enum CatchUpKind {
    /** The log entries after the joiner's own position: the joiner kept its state on disk. */
    SUFFIX(1),
    /** A checkpoint streamed from the donor's disk, then the log after it. */
    SNAPSHOT(2),
    /** The donor's live state, when its disk has no checkpoint and log that cover it. */
    LIVE(3);

    final int code;

    CatchUpKind(int code) {
        this.code = code;
    }

    String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static CatchUpKind of(int code) throws java.io.IOException {
        for (CatchUpKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new java.io.IOException("unknown catch-up kind " + code);
    }
}
