package io.cohort.replication.core;

import io.cohort.replication.wire.ResponseStatus;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated record of client sessions that makes retried commands exactly-once: for each
 * client, the results of its commands that it may still ask for again. Part of every snapshot and
 * of the state hash.
 *
 * <p>Everything here is a function of the command sequence: sessions expire by logical time (the
 * time carried in the log, never a replica's clock) and the table is capped by evicting the least
 * recently used session, so every replica expires the same sessions at the same index.
 */
public final class SessionTable {

    /** What the table knows about a command. */
    public enum Verdict {
        /** Never applied: apply it. */
        NEW,
        /** Applied before: answer with the stored result, do not apply again. */
        DUPLICATE,
        /** Applied and acknowledged, result already forgotten: the client cannot be waiting for it. */
        FORGOTTEN,
        /** The session expired; whether the command was applied can no longer be told. */
        EXPIRED
    }

    /** One client's window of results. */
    private static final class Session {
        long lastActiveMillis;
        /** Every sequence below this was acknowledged to the client, and its result dropped. */
        long forgottenBelow = 1;
        final TreeMap<Long, StoredResult> results = new TreeMap<>();
    }

    private final long expiryMillis;
    private final int maxSessions;
    /**
     * In order of last activity, oldest first, which makes expiry a scan from the head. Only
     * {@link #record} and {@link #touch} move a session (to the end): lookups must not, because
     * replicas look up different sessions (for the clients they serve) and the order is replicated.
     */
    private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>();

    /**
     * @param expiryMillis logical time without activity after which a session is dropped
     * @param maxSessions  most sessions kept; beyond, the least recently used is dropped
     */
    public SessionTable(long expiryMillis, int maxSessions) {
        this.expiryMillis = expiryMillis;
        this.maxSessions = maxSessions;
    }

    /**
     * Classifies a command without changing anything.
     *
     * @param clientId            the session
     * @param sequence            the command's number
     * @param firstUnacknowledged the client's lowest unanswered number
     * @return the verdict
     */
    public Verdict classify(long clientId, long sequence, long firstUnacknowledged) {
        Session s = sessions.get(clientId);
        if (s == null) {
            // A client that had answers before (firstUnacknowledged > 1) had a session: it expired.
            return firstUnacknowledged > 1 ? Verdict.EXPIRED : Verdict.NEW;
        }
        if (s.results.containsKey(sequence)) {
            return Verdict.DUPLICATE;
        }
        return sequence < s.forgottenBelow ? Verdict.FORGOTTEN : Verdict.NEW;
    }

    /**
     * @param clientId the session
     * @param sequence a command classified {@link Verdict#DUPLICATE}
     * @return its stored result
     */
    public StoredResult result(long clientId, long sequence) {
        Session s = sessions.get(clientId);
        return s == null ? null : s.results.get(sequence);
    }

    /**
     * Records the result of an applied command, forgets results the client has acknowledged, and
     * expires idle sessions. Call for every command applied, in log order.
     *
     * @param clientId            the session
     * @param sequence            the command's number
     * @param firstUnacknowledged the client's lowest unanswered number
     * @param nowMillis           the command's logical time
     * @param result              its outcome
     */
    public void record(long clientId, long sequence, long firstUnacknowledged, long nowMillis, StoredResult result) {
        Session s = sessions.remove(clientId);
        if (s == null) {
            s = new Session();
        }
        sessions.put(clientId, s);
        s.lastActiveMillis = Math.max(s.lastActiveMillis, nowMillis);
        s.results.put(sequence, result);
        acknowledge(s, firstUnacknowledged);
        expire(nowMillis);
    }

    /**
     * A command of a known session was seen again (a duplicate): the client is alive, and tells
     * what it has acknowledged since.
     *
     * @param clientId            the session
     * @param firstUnacknowledged the client's lowest unanswered number
     * @param nowMillis           the command's logical time
     */
    public void touch(long clientId, long firstUnacknowledged, long nowMillis) {
        Session s = sessions.remove(clientId);
        if (s != null) {
            sessions.put(clientId, s);
            s.lastActiveMillis = Math.max(s.lastActiveMillis, nowMillis);
            acknowledge(s, firstUnacknowledged);
        }
        expire(nowMillis);
    }

    private static void acknowledge(Session s, long firstUnacknowledged) {
        if (firstUnacknowledged > s.forgottenBelow) {
            s.forgottenBelow = firstUnacknowledged;
            s.results.headMap(firstUnacknowledged).clear();
        }
    }

    private void expire(long nowMillis) {
        Iterator<Map.Entry<Long, Session>> it = sessions.entrySet().iterator();
        while (it.hasNext()) {
            Session s = it.next().getValue();
            if (sessions.size() > maxSessions || nowMillis - s.lastActiveMillis > expiryMillis) {
                it.remove();
            } else {
                break;
            }
        }
    }

    /** @return how many sessions are kept */
    public int size() {
        return sessions.size();
    }

    /**
     * Writes the table, oldest session first, so that reading it back restores the same order.
     *
     * @param out where to write
     * @throws IOException if writing fails
     */
    public void writeTo(DataOutputStream out) throws IOException {
        out.writeInt(sessions.size());
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            Session s = e.getValue();
            out.writeLong(e.getKey());
            out.writeLong(s.lastActiveMillis);
            out.writeLong(s.forgottenBelow);
            out.writeInt(s.results.size());
            for (Map.Entry<Long, StoredResult> r : s.results.entrySet()) {
                out.writeLong(r.getKey());
                out.writeByte(r.getValue().status().ordinal());
                out.writeInt(r.getValue().payload().length);
                out.write(r.getValue().payload());
            }
        }
    }

    /**
     * Replaces the table with one written by {@link #writeTo}.
     *
     * @param in where to read
     * @throws IOException if the bytes are not a table
     */
    public void readFrom(DataInputStream in) throws IOException {
        sessions.clear();
        int count = nonNegative(in.readInt(), "session count");
        ResponseStatus[] statuses = ResponseStatus.values();
        for (int i = 0; i < count; i++) {
            long clientId = in.readLong();
            Session s = new Session();
            s.lastActiveMillis = in.readLong();
            s.forgottenBelow = in.readLong();
            int results = nonNegative(in.readInt(), "result count");
            for (int j = 0; j < results; j++) {
                long seq = in.readLong();
                int status = in.readUnsignedByte();
                if (status >= statuses.length) {
                    throw new IOException("unknown result status " + status + " in the session table");
                }
                byte[] payload = new byte[nonNegative(in.readInt(), "result length")];
                in.readFully(payload);
                s.results.put(seq, new StoredResult(statuses[status], payload));
            }
            sessions.put(clientId, s);
        }
    }

    private static int nonNegative(int value, String what) throws IOException {
        if (value < 0) {
            throw new IOException("negative " + what + " (" + value + ") in the session table");
        }
        return value;
    }
}
