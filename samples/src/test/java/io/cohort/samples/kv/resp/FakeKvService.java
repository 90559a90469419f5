package io.cohort.samples.kv.resp;

import io.cohort.api.CommandContext;
import io.cohort.api.MemberId;
import io.cohort.samples.kv.KeyValueStore;
import io.cohort.samples.kv.KvCommand;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link KvService} for the Redis protocol server's tests: one real {@link KeyValueStore}, no
 * group and no log.
 *
 * <p>A command is applied to the store and a query answered the moment it reaches the service, in
 * arrival order (what the replicated log would do with one replica's commands); only the
 * <em>answer</em> can be held back. By default answers are given at once (the futures come back
 * complete); after {@link #hold(boolean) hold(true)} they are kept until the test releases them,
 * from its own thread, in any order. Every call is recorded in arrival order.
 *
 * <p>Also checks, at every arrival, the connection's barrier rule: a command never arrives while a
 * query of the same session (connection) is unanswered, and vice versa ({@link #barrierViolations()});
 * and tracks the most answers ever outstanding at once ({@link #maxOutstanding()}).
 */
final class FakeKvService implements KvService {

    /** What reached the service. */
    enum Kind { COMMAND, QUERY }

    /** One command or query as it reached the service. */
    final class Call {
        final Kind kind;
        final KvCommand request;
        final int session;
        final CompletableFuture<byte[]> future = new CompletableFuture<>();
        private final byte[] reply;
        private final String failure;
        private boolean answered;

        private Call(Kind kind, KvCommand request, int session, byte[] reply, String failure) {
            this.kind = kind;
            this.request = request;
            this.session = session;
            this.reply = reply;
            this.failure = failure;
        }

        /** @return the request's words, the name first, e.g. "SET k 1" */
        String words() {
            List<String> w = new ArrayList<>();
            for (byte[] a : request.args()) {
                w.add(new String(a, StandardCharsets.ISO_8859_1));
            }
            return String.join(" ", w);
        }

        /** @return the reply the store gave, as text */
        String reply() {
            return reply == null ? null : new String(reply, StandardCharsets.ISO_8859_1);
        }

        /** Gives the answer to the server (from the calling thread); does nothing if already given. */
        void release() {
            synchronized (FakeKvService.this) {
                if (answered) {
                    return;
                }
                answered = true;
                outstanding--;
            }
            // Outside the lock: the server's callbacks run in here.
            if (failure != null) {
                future.completeExceptionally(new IllegalStateException(failure));
            } else {
                future.complete(reply);
            }
        }

        boolean answered() {
            synchronized (FakeKvService.this) {
                return answered;
            }
        }

        @Override
        public String toString() {
            return kind + " " + words();
        }
    }

    private final KeyValueStore store = new KeyValueStore();
    private final MemberId origin = MemberId.of("fake", 1);
    private final List<Call> calls = new ArrayList<>();
    private final AtomicInteger sessionsOpened = new AtomicInteger();
    private final AtomicInteger sessionsClosed = new AtomicInteger();
    private volatile long logicalTimeMillis = 1_700_000_000_000L;
    private long index;
    private boolean hold;
    private String failNext;
    private int outstanding;
    private int maxOutstanding;
    private final List<String> barrierViolations = new ArrayList<>();

    /** @param hold true: keep answers until released; false: answer at once (calls already held stay held) */
    synchronized void hold(boolean hold) {
        this.hold = hold;
    }

    /** @param millis the logical time the next commands are applied at */
    void logicalTimeMillis(long millis) {
        this.logicalTimeMillis = millis;
    }

    long logicalTimeMillis() {
        return logicalTimeMillis;
    }

    /** The next call, command or query, fails: its future completes exceptionally with this message. */
    synchronized void failNext(String message) {
        this.failNext = message;
    }

    /** @return every call so far, in arrival order */
    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** @return how many calls arrived */
    synchronized int callCount() {
        return calls.size();
    }

    /** @return the calls whose answers are held, in arrival order */
    synchronized List<Call> held() {
        List<Call> h = new ArrayList<>();
        for (Call c : calls) {
            if (!c.answered) {
                h.add(c);
            }
        }
        return h;
    }

    /** @return how many answers are held now */
    synchronized int outstanding() {
        return outstanding;
    }

    /** @return the most answers ever held at once */
    synchronized int maxOutstanding() {
        return maxOutstanding;
    }

    /** @return arrivals that broke the barrier rule (empty if none) */
    synchronized List<String> barrierViolations() {
        return List.copyOf(barrierViolations);
    }

    /**
     * Releases every held answer, the most recent first (out of order on purpose).
     *
     * @return how many were released
     */
    int releaseAllNewestFirst() {
        List<Call> h = held();
        Collections.reverse(h);
        h.forEach(Call::release);
        return h.size();
    }

    int sessionsOpened() {
        return sessionsOpened.get();
    }

    int sessionsClosed() {
        return sessionsClosed.get();
    }

    @Override
    public Session openSession() {
        int id = sessionsOpened.incrementAndGet();
        return new Session() {
            private boolean closed;

            @Override
            public CompletableFuture<byte[]> command(byte[] command) {
                return arrive(Kind.COMMAND, command, id);
            }

            @Override
            public CompletableFuture<byte[]> query(byte[] query) {
                return arrive(Kind.QUERY, query, id);
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    sessionsClosed.incrementAndGet();
                }
            }
        };
    }

    private CompletableFuture<byte[]> arrive(Kind kind, byte[] bytes, int session) {
        Call call;
        synchronized (this) {
            for (Call c : calls) {
                if (!c.answered && c.kind != kind && c.session == session) {
                    barrierViolations.add(kind + " " + KvCommand.decode(bytes).name() + " arrived while " + c
                            + " was unanswered");
                }
            }
            byte[] reply;
            if (kind == Kind.COMMAND) {
                long i = ++index;
                long now = logicalTimeMillis;
                reply = store.apply(new Context(i, now, origin), bytes);
            } else {
                reply = store.query(bytes);
            }
            call = new Call(kind, KvCommand.decode(bytes), session, reply, failNext);
            failNext = null;
            calls.add(call);
            outstanding++;
            maxOutstanding = Math.max(maxOutstanding, outstanding);
            if (hold) {
                return call.future;
            }
        }
        call.release();
        return call.future;
    }

    @Override
    public String info(String section) {
        return switch (section) {
            case "server" -> "redis_version:" + RespServer.REDIS_VERSION + "\r\nfake:1\r\n";
            case "replication" -> "role:master\r\n";
            case "keyspace" -> store.keyCount() == 0 ? "" : "db0:keys=" + store.keyCount() + ",expires=0\r\n";
            default -> null;
        };
    }

    private record Context(long index, long logicalTimeMillis, MemberId origin) implements CommandContext {
        @Override
        public long viewId() {
            return 1;
        }
    }
}
