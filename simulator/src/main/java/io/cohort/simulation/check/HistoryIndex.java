package io.cohort.simulation.check;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;
import io.cohort.simulation.history.HistoryEvent.Delivered;
import io.cohort.simulation.history.HistoryEvent.Sent;
import io.cohort.simulation.history.HistoryEvent.StateTransferred;
import io.cohort.simulation.history.HistoryEvent.ViewInstalled;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Indexes of one history, built in a single pass so that every property check is linear (or
 * n log n) in the history size instead of rescanning all events for every question.
 */
final class HistoryIndex {

    /**
     * The per-sender delivery streams in which a receiver must see a sender's messages as a prefix
     * of what it sent: TOTAL and SAFE share one stream because they share one order.
     */
    enum Stream {
        FIFO, CAUSAL, TOTAL_SAFE;

        static Stream of(DeliveryOrder order) {
            return switch (order) {
                case FIFO -> FIFO;
                case CAUSAL -> CAUSAL;
                case TOTAL, SAFE -> TOTAL_SAFE;
            };
        }
    }

    /** One sender's messages of one stream in one view. */
    record StreamKey(long viewId, MemberId sender, Stream stream) {
    }

    /** A member passing from view {@code from} directly to view {@code to} (consecutive installs). */
    record Transition(long from, long to) {
    }

    private final History history;
    private final Map<HistoryEvent, Integer> positions = new IdentityHashMap<>();
    private final Map<MemberId, MemberTrace> traces = new LinkedHashMap<>();
    private final NavigableMap<Long, List<MemberId>> views = new TreeMap<>();
    private final Map<String, Sent> sentById = new HashMap<>();
    private final List<Sent> repeatedSends = new ArrayList<>();
    private final Map<StreamKey, List<String>> sentStreams = new HashMap<>();
    private final Map<String, Integer> streamPosition = new HashMap<>();

    private HistoryIndex(History history) {
        this.history = history;
    }

    /**
     * Indexes a history.
     *
     * @param history the history
     * @return its index
     */
    static HistoryIndex of(History history) {
        HistoryIndex index = new HistoryIndex(history);
        List<HistoryEvent> events = history.events();
        for (int i = 0; i < events.size(); i++) {
            index.add(events.get(i), i);
        }
        return index;
    }

    private void add(HistoryEvent event, int position) {
        positions.put(event, position);
        traces.computeIfAbsent(event.member(), MemberTrace::new).add(event);
        if (event instanceof ViewInstalled v) {
            // The first installation seen defines the view; disagreements are property 1's business.
            views.putIfAbsent(v.viewId(), v.members());
        } else if (event instanceof Sent s) {
            addSent(s);
        }
    }

    private void addSent(Sent s) {
        if (sentById.putIfAbsent(s.messageId(), s) != null) {
            // Ids are unique per run: a second Sent is an integrity problem, not a second message.
            repeatedSends.add(s);
            return;
        }
        List<String> stream = sentStreams.computeIfAbsent(
                new StreamKey(s.viewId(), s.member(), Stream.of(s.order())), k -> new ArrayList<>());
        streamPosition.put(s.messageId(), stream.size());
        stream.add(s.messageId());
    }

    /** @return the history indexed */
    History history() {
        return history;
    }

    /** @return one trace per member incarnation, in order of first appearance */
    Collection<MemberTrace> traces() {
        return traces.values();
    }

    /**
     * @param member a member incarnation
     * @return its trace, or null if it recorded nothing
     */
    MemberTrace trace(MemberId member) {
        return traces.get(member);
    }

    /** @return every installed view id with the member list of its first installation, by id */
    NavigableMap<Long, List<MemberId>> views() {
        return views;
    }

    /**
     * @param viewId an installed view id
     * @return the next installed view id (by anyone), or null if none
     */
    Long successor(long viewId) {
        return views.higherKey(viewId);
    }

    /**
     * @param viewId an installed view id
     * @return the previous installed view id (by anyone), or null if none
     */
    Long predecessor(long viewId) {
        return views.lowerKey(viewId);
    }

    /**
     * @param messageId a message id
     * @return its first Sent event, or null if it was never sent
     */
    Sent sent(String messageId) {
        return sentById.get(messageId);
    }

    /** @return Sent events whose id had already been sent */
    List<Sent> repeatedSends() {
        return repeatedSends;
    }

    /**
     * @param key a sender's stream in a view
     * @return the ids the sender sent in that stream, in send order (empty if none)
     */
    List<String> sentStream(StreamKey key) {
        return sentStreams.getOrDefault(key, List.of());
    }

    /**
     * @param messageId a sent message id
     * @return its index in its sender's stream for its view
     */
    int streamPosition(String messageId) {
        return streamPosition.get(messageId);
    }

    /**
     * Names where an event sits in the history, so a report can be matched against the raw run.
     *
     * @param event an event of this history
     * @return e.g. {@code "event #12"}
     */
    String at(HistoryEvent event) {
        return "event #" + positions.get(event);
    }

    /** Everything one member incarnation did, in its own order, with the lookups the checks need. */
    static final class MemberTrace {

        private final MemberId member;
        private final List<HistoryEvent> events = new ArrayList<>();
        private final List<ViewInstalled> installs = new ArrayList<>();
        private final Set<Long> installedViews = new HashSet<>();
        private final List<Transition> transitions = new ArrayList<>();
        private final Set<String> deliveredIds = new HashSet<>();
        private final Map<Long, Set<String>> deliveredByView = new HashMap<>();

        MemberTrace(MemberId member) {
            this.member = member;
        }

        private void add(HistoryEvent event) {
            events.add(event);
            if (event instanceof ViewInstalled v) {
                if (!installs.isEmpty()) {
                    transitions.add(new Transition(installs.get(installs.size() - 1).viewId(), v.viewId()));
                }
                installs.add(v);
                installedViews.add(v.viewId());
            } else if (event instanceof Delivered d) {
                deliveredIds.add(d.messageId());
                // Grouped by the view the delivery claims, as properties 4 and 6 compare per view.
                deliveredByView.computeIfAbsent(d.viewId(), k -> new LinkedHashSet<>()).add(d.messageId());
            }
        }

        /** @return the member incarnation */
        MemberId member() {
            return member;
        }

        /** @return its events in the order it did them */
        List<HistoryEvent> events() {
            return events;
        }

        /** @return its view installations, in order */
        List<ViewInstalled> installs() {
            return installs;
        }

        /**
         * @param viewId a view id
         * @return whether this member installed it
         */
        boolean installed(long viewId) {
            return installedViews.contains(viewId);
        }

        /** @return each pair of consecutive installations */
        List<Transition> transitions() {
            return transitions;
        }

        /**
         * @param messageId a message id
         * @return whether this member delivered it (in any view)
         */
        boolean delivered(String messageId) {
            return deliveredIds.contains(messageId);
        }

        /**
         * @param viewId a view id
         * @return ids of the deliveries recorded with that view id, in delivery order
         */
        Set<String> deliveredIn(long viewId) {
            return deliveredByView.getOrDefault(viewId, Set.of());
        }

        /**
         * What the member held when it installed a view: the states it received by transfer before
         * that, plus every message it delivered before that.
         *
         * @param viewId a view the member installed
         * @return the ids it held at that point
         */
        Set<String> holdingsWhenInstalling(long viewId) {
            Set<String> held = new HashSet<>();
            for (HistoryEvent e : events) {
                if (e instanceof ViewInstalled v && v.viewId() == viewId) {
                    break;
                }
                if (e instanceof StateTransferred st) {
                    held.addAll(st.stateMessageIds());
                } else if (e instanceof Delivered d) {
                    held.add(d.messageId());
                }
            }
            return held;
        }
    }
}
