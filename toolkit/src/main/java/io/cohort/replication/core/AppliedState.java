package io.cohort.replication.core;

import io.cohort.api.CommandContext;
import io.cohort.api.ConcurrentSnapshots;
import io.cohort.api.MemberId;
import io.cohort.api.StateMachine;
import io.cohort.replication.wire.ResponseStatus;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The replicated state of one replica: the user's state machine, the applied index, the logical
 * clock and the session table. Everything that changes it is a function of the command sequence,
 * so equal prefixes give equal states (and equal {@link #hash()}es) at every replica.
 */
public final class AppliedState {

    /** The outcome of offering one command to the state. */
    public record Outcome(SessionTable.Verdict verdict, StoredResult result) {
    }

    private record Context(long index, long viewId, long logicalTimeMillis, MemberId origin) implements CommandContext {
    }

    private static final int SNAPSHOT_MAGIC = 0x43525331; // "CRS1"

    private final StateMachine machine;
    private final SessionTable sessions;
    private long appliedIndex;
    private long logicalTimeMillis;

    /**
     * @param machine  the user's state machine, in its initial state
     * @param settings session expiry and cap
     */
    public AppliedState(StateMachine machine, ReplicaSettings settings) {
        this.machine = machine;
        this.sessions = new SessionTable(settings.sessionExpiryMillis(), settings.maxSessions());
    }

    /**
     * Offers a command: applies it if the session table has never seen it, else returns what the
     * table says. Advances the logical clock either way (time only moves forward).
     *
     * @param origin              the member that sent it into the group
     * @param viewId              the view it is delivered in
     * @param clientId            its session
     * @param sequence            its number
     * @param firstUnacknowledged the client's lowest unanswered number
     * @param timeMillis          the time recorded in the entry
     * @param failedExecution     the handler's execution threw; {@code payload} is the message
     * @param payload             the command or update
     * @return the verdict and the result to answer with
     */
    public Outcome offer(MemberId origin, long viewId, long clientId, long sequence, long firstUnacknowledged,
                         long timeMillis, boolean failedExecution, byte[] payload) {
        logicalTimeMillis = Math.max(logicalTimeMillis, timeMillis);
        SessionTable.Verdict verdict = sessions.classify(clientId, sequence, firstUnacknowledged);
        switch (verdict) {
            case NEW -> {
                StoredResult result;
                if (failedExecution) {
                    result = new StoredResult(ResponseStatus.APPLICATION_ERROR, payload);
                } else {
                    appliedIndex++;
                    result = applyToMachine(new Context(appliedIndex, viewId, logicalTimeMillis, origin), payload);
                }
                sessions.record(clientId, sequence, firstUnacknowledged, logicalTimeMillis, result);
                return new Outcome(verdict, result);
            }
            case DUPLICATE, FORGOTTEN -> {
                StoredResult answer = answerFor(verdict, clientId, sequence);
                sessions.touch(clientId, firstUnacknowledged, logicalTimeMillis);
                return new Outcome(verdict, answer);
            }
            default -> {
                return new Outcome(verdict, answerFor(verdict, clientId, sequence));
            }
        }
    }

    /**
     * The answer for a command the session table has already decided on, without changing anything.
     *
     * @param verdict  DUPLICATE, FORGOTTEN or EXPIRED
     * @param clientId the session
     * @param sequence the command's number
     * @return the stored result, or the refusal
     */
    public StoredResult answerFor(SessionTable.Verdict verdict, long clientId, long sequence) {
        return switch (verdict) {
            case DUPLICATE -> sessions.result(clientId, sequence);
            case FORGOTTEN -> new StoredResult(ResponseStatus.REJECTED,
                    utf8("command " + sequence + " of client " + clientId + " was already acknowledged"));
            case EXPIRED -> new StoredResult(ResponseStatus.SESSION_EXPIRED,
                    utf8("the session of client " + clientId + " expired; command " + sequence
                            + " may or may not have been applied before"));
            case NEW -> throw new IllegalArgumentException("a new command has no answer yet");
        };
    }

    private StoredResult applyToMachine(CommandContext context, byte[] payload) {
        try {
            byte[] result = machine.apply(context, payload);
            return new StoredResult(ResponseStatus.OK, result == null ? new byte[0] : result);
        } catch (RuntimeException e) {
            // Recorded as the command's result at every replica; a deterministic machine throws everywhere.
            return new StoredResult(ResponseStatus.APPLICATION_ERROR, utf8(String.valueOf(e.getMessage())));
        }
    }

    /**
     * @param clientId a session
     * @param sequence a command number
     * @return what the session table says about it now
     */
    public SessionTable.Verdict classify(long clientId, long sequence, long firstUnacknowledged) {
        return sessions.classify(clientId, sequence, firstUnacknowledged);
    }


    /**
     * Context for executing a request whose update will be applied after {@code ahead} updates
     * not yet applied here.
     *
     * @param ahead   updates already produced but not yet applied here
     * @param viewId  the current view
     * @param nowMillis the handler's clock
     * @param origin  the member that received the request
     * @return the context
     */
    public CommandContext executionContext(long ahead, long viewId, long nowMillis, MemberId origin) {
        return new Context(appliedIndex + ahead + 1, viewId, Math.max(logicalTimeMillis, nowMillis), origin);
    }

    /**
     * Answers a query from the state as it is.
     *
     * @param query the query bytes
     * @return the answer
     */
    public StoredResult query(byte[] query) {
        try {
            byte[] answer = machine.query(query);
            return new StoredResult(ResponseStatus.OK, answer == null ? new byte[0] : answer);
        } catch (RuntimeException e) {
            return new StoredResult(ResponseStatus.APPLICATION_ERROR, utf8(String.valueOf(e.getMessage())));
        }
    }

    /** @return commands applied so far */
    public long appliedIndex() {
        return appliedIndex;
    }

    /** @return the logical clock */
    public long logicalTimeMillis() {
        return logicalTimeMillis;
    }

    /** @return the number of client sessions kept */
    public int sessionCount() {
        return sessions.size();
    }

    /** @return the user's state machine */
    public StateMachine machine() {
        return machine;
    }

    /**
     * The hash of the replicated state: the first 8 bytes of SHA-256 over the applied index, the
     * logical clock, the session table and the machine's snapshot, streamed (never buffered whole).
     * Requires {@link StateMachine#writeSnapshot} to be deterministic (for example, maps written in
     * key order).
     *
     * @return the hash
     */
    public long hash() {
        MessageDigest digest = sha256();
        try (DataOutputStream out = new DataOutputStream(new DigestOutputStream(OutputStream.nullOutputStream(), digest))) {
            writeHeader(out);
            machine.writeSnapshot(out);
        } catch (IOException e) {
            throw new IllegalStateException("the state machine could not write its state for hashing", e);
        }
        return firstEightBytes(digest.digest());
    }

    private static long firstEightBytes(byte[] d) {
        long h = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            h = (h << 8) | (d[i] & 0xff);
        }
        return h;
    }

    /**
     * Captures the state for writing later on another thread: the header is copied now, the
     * machine's state captured with {@link ConcurrentSnapshots} if it supports that, otherwise
     * written into memory now.
     *
     * @return header bytes and the machine's captured state
     * @throws IOException if the machine cannot write its state
     */
    Capture capture() throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(header);
        writeHeader(out);
        out.flush();
        ConcurrentSnapshots.CapturedSnapshot machinePart;
        if (machine instanceof ConcurrentSnapshots concurrent) {
            machinePart = Objects.requireNonNull(concurrent.captureSnapshot(), "captureSnapshot() returned null");
        } else {
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            machine.writeSnapshot(new NonClosingOutputStream(copy));
            byte[] bytes = copy.toByteArray();
            machinePart = o -> {
                // In chunks: one write of a large array runs checksums over all of it without a
                // safepoint poll, stalling every thread of the process at the next GC.
                for (int off = 0; off < bytes.length; off += WRITE_CHUNK) {
                    o.write(bytes, off, Math.min(WRITE_CHUNK, bytes.length - off));
                }
            };
        }
        return new Capture(header.toByteArray(), machinePart);
    }

    /**
     * The applied state captured at one point.
     *
     * @param header      index, clock and sessions, as {@link #writeSnapshot} writes them
     * @param machinePart the machine's state
     */
    record Capture(byte[] header, ConcurrentSnapshots.CapturedSnapshot machinePart) {

        /**
         * Writes the captured state (the format of {@link #writeSnapshot}) and returns its hash,
         * the same value {@link #hash()} gave at the capture point.
         */
        long writeTo(OutputStream out) throws IOException {
            MessageDigest digest = sha256();
            DigestOutputStream hashing = new DigestOutputStream(new NonClosingOutputStream(out), digest);
            hashing.write(header);
            machinePart.writeTo(new NonClosingOutputStream(hashing));
            hashing.flush();
            return firstEightBytes(digest.digest());
        }
    }

    /**
     * Writes the state: a header (index, clock, sessions), then the machine's own snapshot.
     *
     * @param out where to write; not closed
     * @throws IOException if writing fails
     */
    public void writeSnapshot(DataOutputStream out) throws IOException {
        writeHeader(out);
        out.flush();
        machine.writeSnapshot(new NonClosingOutputStream(out));
        out.flush();
    }

    /**
     * Replaces the state with one written by {@link #writeSnapshot}.
     *
     * @param in where to read
     * @throws IOException if the bytes are not such a state
     */
    public void readSnapshot(DataInputStream in) throws IOException {
        int magic = in.readInt();
        if (magic != SNAPSHOT_MAGIC) {
            throw new IOException(String.format("not a replica snapshot (magic %08x)", magic));
        }
        appliedIndex = in.readLong();
        logicalTimeMillis = in.readLong();
        sessions.readFrom(in);
        machine.restoreSnapshot(new NonClosingInputStream(in));
    }

    private void writeHeader(DataOutputStream out) throws IOException {
        out.writeInt(SNAPSHOT_MAGIC);
        out.writeLong(appliedIndex);
        out.writeLong(logicalTimeMillis);
        sessions.writeTo(out);
    }

    private static final int WRITE_CHUNK = 64 * 1024;

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Lets the machine close "its" stream without closing the one it is part of. */
    private static final class NonClosingOutputStream extends java.io.FilterOutputStream {
        NonClosingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Lets the machine close "its" stream without closing the one it is part of. */
    private static final class NonClosingInputStream extends java.io.FilterInputStream {
        NonClosingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
        }
    }
}
