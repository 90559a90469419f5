package io.cohort.samples.kv.resp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The Redis protocol server's meters, all tagged with the member name:
 * <ul>
 *   <li>{@code cohort.kv.resp.connections} (gauge): open client connections;
 *   <li>{@code cohort.kv.resp.connections.accepted}: connections accepted;
 *   <li>{@code cohort.kv.resp.connections.closed{reason}}: closed by the client, by QUIT, after a
 *       protocol error, after an I/O error, or by the server stopping;
 *   <li>{@code cohort.kv.resp.requests{route}}: requests by route (write, read, connection);
 *   <li>{@code cohort.kv.resp.errors{kind}}: error replies: protocol, unknown_command,
 *       wrong_arity, unavailable (TRYAGAIN: no primary view in time), rejected, other;
 *   <li>{@code cohort.kv.resp.latency{route}}: time from a request's arrival to its reply being
 *       ready (writes and reads; waiting behind earlier pipelined requests included).
 * </ul>
 */
final class RespMetrics {

    /** Why a connection closed. */
    enum CloseReason { CLIENT, QUIT, PROTOCOL_ERROR, IO_ERROR, SERVER }

    /** Kinds of error replies. */
    enum ErrorKind { PROTOCOL, UNKNOWN_COMMAND, WRONG_ARITY, UNAVAILABLE, REJECTED, OTHER }

    private final Counter accepted;
    private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
    private final Map<CommandTable.Route, Counter> requests = new EnumMap<>(CommandTable.Route.class);
    private final Map<CommandTable.Route, Timer> latency = new EnumMap<>(CommandTable.Route.class);
    private final Map<ErrorKind, Counter> errors = new EnumMap<>(ErrorKind.class);

    RespMetrics(MeterRegistry registry, String member, IntSupplier openConnections) {
        Gauge.builder("cohort.kv.resp.connections", openConnections::getAsInt).tag("member", member)
                .description("open Redis protocol connections").register(registry);
        accepted = Counter.builder("cohort.kv.resp.connections.accepted").tag("member", member)
                .description("Redis protocol connections accepted").register(registry);
        for (CloseReason r : CloseReason.values()) {
            closed.put(r, Counter.builder("cohort.kv.resp.connections.closed").tag("member", member)
                    .tag("reason", r.name().toLowerCase(java.util.Locale.ROOT))
                    .description("Redis protocol connections closed, by reason").register(registry));
        }
        for (CommandTable.Route route : CommandTable.Route.values()) {
            String tag = route.name().toLowerCase(java.util.Locale.ROOT);
            requests.put(route, Counter.builder("cohort.kv.resp.requests").tag("member", member).tag("route", tag)
                    .description("Redis protocol requests, by route").register(registry));
            latency.put(route, Timer.builder("cohort.kv.resp.latency").tag("member", member).tag("route", tag)
                    .description("from a request's arrival to its reply being ready").register(registry));
        }
        for (ErrorKind k : ErrorKind.values()) {
            errors.put(k, Counter.builder("cohort.kv.resp.errors").tag("member", member)
                    .tag("kind", k.name().toLowerCase(java.util.Locale.ROOT))
                    .description("error replies, by kind").register(registry));
        }
    }

    void accepted() {
        accepted.increment();
    }

    void closed(CloseReason reason) {
        closed.get(reason).increment();
    }

    void request(CommandTable.Route route) {
        requests.get(route).increment();
    }

    void answered(CommandTable.Route route, long nanos) {
        latency.get(route).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void error(ErrorKind kind) {
        errors.get(kind).increment();
    }

    /**
     * Counts an error reply by its text.
     *
     * @param reply any reply; only error replies are counted
     */
    void errorReply(byte[] reply) {
        if (reply.length == 0 || reply[0] != '-') {
            return;
        }
        error(kindOf(reply));
    }

    private static ErrorKind kindOf(byte[] reply) {
        String head = new String(reply, 1, Math.min(reply.length - 1, 40), java.nio.charset.StandardCharsets.UTF_8);
        if (head.startsWith("TRYAGAIN")) {
            return ErrorKind.UNAVAILABLE;
        }
        if (head.startsWith("ERR unknown command")) {
            return ErrorKind.UNKNOWN_COMMAND;
        }
        if (head.startsWith("ERR wrong number of arguments")) {
            return ErrorKind.WRONG_ARITY;
        }
        if (head.startsWith("ERR Protocol error")) {
            return ErrorKind.PROTOCOL;
        }
        if (head.startsWith("ERR rejected")) {
            return ErrorKind.REJECTED;
        }
        return ErrorKind.OTHER;
    }
}
