package io.cohort.simulation.check;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;
import io.cohort.simulation.history.HistoryEvent.Crashed;
import io.cohort.simulation.history.HistoryEvent.Delivered;
import io.cohort.simulation.history.HistoryEvent.MulticastRequested;
import io.cohort.simulation.history.HistoryEvent.Sent;
import io.cohort.simulation.history.HistoryEvent.StateTransferred;
import io.cohort.simulation.history.HistoryEvent.ViewInstalled;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes hand-made histories for checker tests in the vocabulary of the protocol: install a view,
 * multicast, deliver, transfer state, crash. Deliveries look up the sender, order and view of the
 * recorded send so a correct history reads as a list of who delivered what; the raw methods let a
 * test record exactly the wrong event it needs.
 */
final class HistoryBuilder {

    private final History history = new History();
    private final Map<MemberId, Long> currentView = new HashMap<>();
    private final Map<String, Sent> sends = new HashMap<>();

    /**
     * First incarnation of a member.
     *
     * @param name the name
     * @return {@code name#1}
     */
    static MemberId member(String name) {
        return MemberId.of(name, 1);
    }

    /**
     * Every listed member installs the view, in list order.
     *
     * @param viewId  the view
     * @param members its members, in rank order
     * @return this builder
     */
    HistoryBuilder install(long viewId, MemberId... members) {
        for (MemberId m : members) {
            installAt(m, viewId, members);
        }
        return this;
    }

    /**
     * One member installs a view with the given member list.
     *
     * @param installer the member installing
     * @param viewId    the view
     * @param members   the member list it installs
     * @return this builder
     */
    HistoryBuilder installAt(MemberId installer, long viewId, MemberId... members) {
        currentView.put(installer, viewId);
        return event(new ViewInstalled(installer, viewId, List.of(members)));
    }

    /**
     * The member is asked to multicast and sends at once in its current view.
     *
     * @param sender the sender
     * @param id     message id
     * @param order  delivery order
     * @return this builder
     */
    HistoryBuilder multicast(MemberId sender, String id, DeliveryOrder order) {
        request(sender, id, order);
        Long view = currentView.get(sender);
        if (view == null) {
            throw new IllegalStateException(sender + " has no view to send " + id + " in");
        }
        return send(sender, id, order, view);
    }

    /**
     * Records only the multicast request.
     *
     * @param sender the member asked
     * @param id     message id
     * @param order  delivery order
     * @return this builder
     */
    HistoryBuilder request(MemberId sender, String id, DeliveryOrder order) {
        return event(new MulticastRequested(sender, id, order));
    }

    /**
     * Records only the send, in the given view.
     *
     * @param sender the sender
     * @param id     message id
     * @param order  delivery order
     * @param viewId view the message is sent in
     * @return this builder
     */
    HistoryBuilder send(MemberId sender, String id, DeliveryOrder order, long viewId) {
        Sent sent = new Sent(sender, id, order, viewId);
        sends.putIfAbsent(id, sent);
        return event(sent);
    }

    /**
     * The receiver delivers already-sent messages, in order, each as sent (sender, order, sending view).
     *
     * @param receiver the member delivering
     * @param ids      message ids, in delivery order
     * @return this builder
     */
    HistoryBuilder deliver(MemberId receiver, String... ids) {
        for (String id : ids) {
            Sent sent = sends.get(id);
            if (sent == null) {
                throw new IllegalStateException(id + " was not sent; use deliverAs for a delivery out of nowhere");
            }
            deliverAs(receiver, id, sent.member(), sent.order(), sent.viewId());
        }
        return this;
    }

    /**
     * Each listed member delivers one already-sent message.
     *
     * @param id        message id
     * @param receivers members delivering it, in this order
     * @return this builder
     */
    HistoryBuilder deliverAt(String id, MemberId... receivers) {
        for (MemberId r : receivers) {
            deliver(r, id);
        }
        return this;
    }

    /**
     * Records a delivery exactly as given, whether or not it matches a send.
     *
     * @param receiver the member delivering
     * @param id       message id
     * @param sender   claimed sender
     * @param order    claimed order
     * @param viewId   claimed view
     * @return this builder
     */
    HistoryBuilder deliverAs(MemberId receiver, String id, MemberId sender, DeliveryOrder order, long viewId) {
        return event(new Delivered(receiver, id, sender, order, viewId));
    }

    /**
     * A joiner receives its state for a view.
     *
     * @param joiner the joiner
     * @param viewId the view it joins
     * @param ids    ids of the messages its state reflects
     * @return this builder
     */
    HistoryBuilder stateTransfer(MemberId joiner, long viewId, String... ids) {
        return event(new StateTransferred(joiner, viewId, Set.of(ids)));
    }

    /**
     * The member crashes.
     *
     * @param member the member
     * @return this builder
     */
    HistoryBuilder crash(MemberId member) {
        return event(new Crashed(member));
    }

    /**
     * Records any event as is.
     *
     * @param event the event
     * @return this builder
     */
    HistoryBuilder event(HistoryEvent event) {
        history.record(event);
        return this;
    }

    /**
     * Declares how the run ended.
     *
     * @param livenessExpected whether property 7 applies
     * @param live             members alive at the end
     * @return this builder
     */
    HistoryBuilder end(boolean livenessExpected, MemberId... live) {
        history.end(Set.of(live), livenessExpected);
        return this;
    }

    /** @return the history built so far */
    History build() {
        return history;
    }
}
