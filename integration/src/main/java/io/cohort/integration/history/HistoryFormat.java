package io.cohort.integration.history;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.history.HistoryEvent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The text form of a member process's history: one event per line, tab-separated, so that a
 * history survives a kill -9 up to its last complete line and can be read (and grepped) by hand.
 *
 * <p>Every line starts with the wall-clock time in microseconds since the epoch (so the files of
 * several JVMs on one host can be merged), the kind, and the member incarnation ({@code name#n}):
 *
 * <pre>
 * micros  VIEW       member  viewId  members (comma-separated, rank order)
 * micros  REQUESTED  member  messageId  order
 * micros  SENT       member  messageId  order  viewId
 * micros  DELIVERED  member  messageId  sender  order  viewId
 * micros  STATE      member  viewId  messageIds (comma-separated, sorted; empty if none)
 * micros  CRASHED    member
 * micros  EXCLUDED   member  lastViewId
 * micros  LEFT       member  lastViewId
 * </pre>
 *
 * These eight kinds are exactly the {@link HistoryEvent} types the checker reads. Other kinds are
 * diagnostics that the checker ignores but a reader of a failed run wants next to the events:
 * {@code INCARNATION member}, {@code FLUSH member viewId},
 * {@code ABORTED member messageId outcome}, {@code NOTE member free text}.
 *
 * <p>Member names and message ids must not contain tabs, commas, line breaks or spaces; the
 * formatter refuses them rather than writing a line it could not read back.
 */
public final class HistoryFormat {

    /** Kind of the diagnostic line marking the start of an incarnation. */
    public static final String INCARNATION = "INCARNATION";
    /** Kind of the diagnostic line recording a flush (the member wedged in a view). */
    public static final String FLUSH = "FLUSH";
    /** Kind of the diagnostic line recording a failed multicast future. */
    public static final String ABORTED = "ABORTED";
    /** Kind of a free-text diagnostic line. */
    public static final String NOTE = "NOTE";

    private static final String SEP = "\t";

    private HistoryFormat() {
    }

    /**
     * One parsed line.
     *
     * @param wallMicros wall-clock time of the event, microseconds since the epoch
     * @param kind       the line's kind (e.g. {@code DELIVERED}, {@code INCARNATION})
     * @param member     the member incarnation the line is about
     * @param event      the checker's event, or null for a diagnostic line
     * @param fields     the fields after the member, as written
     */
    public record Line(long wallMicros, String kind, MemberId member, HistoryEvent event, List<String> fields) {
        /** Copies the fields. */
        public Line {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(member, "member");
            fields = List.copyOf(fields);
        }
    }

    /**
     * Formats a checker event.
     *
     * @param wallMicros wall-clock time, microseconds since the epoch
     * @param event      the event
     * @return the line, without a line terminator
     */
    public static String format(long wallMicros, HistoryEvent event) {
        if (event instanceof HistoryEvent.ViewInstalled v) {
            return line(wallMicros, "VIEW", v.member(), Long.toString(v.viewId()), members(v.members()));
        } else if (event instanceof HistoryEvent.MulticastRequested r) {
            return line(wallMicros, "REQUESTED", r.member(), token(r.messageId()), r.order().name());
        } else if (event instanceof HistoryEvent.Sent s) {
            return line(wallMicros, "SENT", s.member(), token(s.messageId()), s.order().name(),
                    Long.toString(s.viewId()));
        } else if (event instanceof HistoryEvent.Delivered d) {
            return line(wallMicros, "DELIVERED", d.member(), token(d.messageId()), member(d.sender()),
                    d.order().name(), Long.toString(d.viewId()));
        } else if (event instanceof HistoryEvent.StateTransferred st) {
            List<String> ids = new ArrayList<>(st.stateMessageIds().size());
            st.stateMessageIds().forEach(id -> ids.add(token(id)));
            return line(wallMicros, "STATE", st.member(), Long.toString(st.viewId()), String.join(",", ids));
        } else if (event instanceof HistoryEvent.Crashed c) {
            return line(wallMicros, "CRASHED", c.member());
        } else if (event instanceof HistoryEvent.Excluded x) {
            return line(wallMicros, "EXCLUDED", x.member(), Long.toString(x.lastViewId()));
        } else if (event instanceof HistoryEvent.Left l) {
            return line(wallMicros, "LEFT", l.member(), Long.toString(l.lastViewId()));
        }
        throw new IllegalArgumentException("unknown event type " + event);
    }

    /**
     * Formats a diagnostic line the checker ignores.
     *
     * @param wallMicros wall-clock time, microseconds since the epoch
     * @param kind       one of {@link #INCARNATION}, {@link #FLUSH}, {@link #ABORTED}, {@link #NOTE}
     * @param member     the member incarnation
     * @param fields     further fields; tabs and line breaks in them are replaced by spaces
     * @return the line, without a line terminator
     */
    public static String diagnostic(long wallMicros, String kind, MemberId member, String... fields) {
        if (!Set.of(INCARNATION, FLUSH, ABORTED, NOTE).contains(kind)) {
            throw new IllegalArgumentException("not a diagnostic kind: " + kind);
        }
        String[] clean = Arrays.stream(fields).map(f -> f.replaceAll("[\\t\\r\\n]", " ")).toArray(String[]::new);
        return line(wallMicros, kind, member, clean);
    }

    /**
     * Parses a line written by {@link #format} or {@link #diagnostic}.
     *
     * @param text the line, without its terminator
     * @return the parsed line
     * @throws IllegalArgumentException if the line is malformed
     */
    public static Line parse(String text) {
        String[] f = text.split(SEP, -1);
        if (f.length < 3) {
            throw new IllegalArgumentException("too few fields in history line: " + text);
        }
        try {
            long micros = Long.parseLong(f[0]);
            String kind = f[1];
            MemberId m = parseMember(f[2]);
            List<String> rest = List.of(Arrays.copyOfRange(f, 3, f.length));
            HistoryEvent event = switch (kind) {
                case "VIEW" -> {
                    expect(rest, 2);
                    yield new HistoryEvent.ViewInstalled(m, Long.parseLong(rest.get(0)), parseMembers(rest.get(1)));
                }
                case "REQUESTED" -> {
                    expect(rest, 2);
                    yield new HistoryEvent.MulticastRequested(m, rest.get(0), DeliveryOrder.valueOf(rest.get(1)));
                }
                case "SENT" -> {
                    expect(rest, 3);
                    yield new HistoryEvent.Sent(m, rest.get(0), DeliveryOrder.valueOf(rest.get(1)),
                            Long.parseLong(rest.get(2)));
                }
                case "DELIVERED" -> {
                    expect(rest, 4);
                    yield new HistoryEvent.Delivered(m, rest.get(0), parseMember(rest.get(1)),
                            DeliveryOrder.valueOf(rest.get(2)), Long.parseLong(rest.get(3)));
                }
                case "STATE" -> {
                    expect(rest, 2);
                    Set<String> ids = new LinkedHashSet<>();
                    if (!rest.get(1).isEmpty()) {
                        ids.addAll(Arrays.asList(rest.get(1).split(",", -1)));
                    }
                    yield new HistoryEvent.StateTransferred(m, Long.parseLong(rest.get(0)), ids);
                }
                case "CRASHED" -> {
                    expect(rest, 0);
                    yield new HistoryEvent.Crashed(m);
                }
                case "EXCLUDED" -> {
                    expect(rest, 1);
                    yield new HistoryEvent.Excluded(m, Long.parseLong(rest.get(0)));
                }
                case "LEFT" -> {
                    expect(rest, 1);
                    yield new HistoryEvent.Left(m, Long.parseLong(rest.get(0)));
                }
                case INCARNATION, FLUSH, ABORTED, NOTE -> null;
                default -> throw new IllegalArgumentException("unknown kind '" + kind + "'");
            };
            return new Line(micros, kind, m, event, rest);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed history line (" + e.getMessage() + "): " + text, e);
        }
    }

    /**
     * Parses {@code name#incarnation}, the form {@link MemberId#toString()} writes.
     *
     * @param text the text
     * @return the member id
     */
    public static MemberId parseMember(String text) {
        int hash = text.lastIndexOf('#');
        if (hash <= 0 || hash == text.length() - 1) {
            throw new IllegalArgumentException("not a member id (name#incarnation): '" + text + "'");
        }
        return MemberId.of(text.substring(0, hash), Long.parseLong(text.substring(hash + 1)));
    }

    /**
     * Parses a comma-separated member list as written in VIEW lines.
     *
     * @param text the list
     * @return the members in order
     */
    public static List<MemberId> parseMembers(String text) {
        List<MemberId> out = new ArrayList<>();
        for (String s : text.split(",", -1)) {
            out.add(parseMember(s));
        }
        return out;
    }

    /**
     * Writes a member list comma-separated, in order.
     *
     * @param members the members
     * @return the text
     */
    public static String members(List<MemberId> members) {
        List<String> out = new ArrayList<>(members.size());
        members.forEach(m -> out.add(member(m)));
        return String.join(",", out);
    }

    private static void expect(List<String> rest, int n) {
        if (rest.size() != n) {
            throw new IllegalArgumentException("expected " + n + " fields after the member, found " + rest.size());
        }
    }

    private static String member(MemberId m) {
        token(m.name());
        return m.toString();
    }

    /** Refuses text that would break the line structure. */
    private static String token(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\t' || c == ',' || c == '\n' || c == '\r' || c == ' ') {
                throw new IllegalArgumentException("names and message ids must not contain tabs, commas, spaces or "
                        + "line breaks: '" + s + "'");
            }
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty name or message id");
        }
        return s;
    }

    private static String line(long micros, String kind, MemberId member, String... fields) {
        StringBuilder b = new StringBuilder(64).append(micros).append(SEP).append(kind).append(SEP).append(member(member));
        for (String f : fields) {
            b.append(SEP).append(f);
        }
        return b.toString();
    }
}
