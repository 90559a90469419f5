package io.cohort.protocol;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.MulticastOutcome;
import io.cohort.api.View;
import io.cohort.protocol.ProtocolCounters.Kind;
import io.cohort.protocol.link.LinkTable;
import io.cohort.protocol.link.ReliableLink;
import io.cohort.protocol.membership.LeaderAttempt;
import io.cohort.protocol.membership.ProposalCheck;
import io.cohort.protocol.membership.ProposalPlanner;
import io.cohort.protocol.membership.ViewConfirmations;
import io.cohort.protocol.multicast.ViewMessages;
import io.cohort.protocol.wire.Frame;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.protocol.wire.MalformedFrameException;
import io.cohort.protocol.wire.MulticastMessage;
import io.cohort.protocol.wire.Proposal;
import io.cohort.protocol.wire.ProtocolMessage;
import io.cohort.protocol.wire.Report;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The sans-IO protocol core of one member incarnation: membership, view change with flush,
 * reliable FIFO / causal / total / safe multicast, stability and state transfer.
 *
 * <p>It is a deterministic state machine. Feed it events ({@link #receive}, {@link #timerFired},
 * {@link #suspect}, {@link #multicast}, {@link #join}, {@link #leave}, {@link #sendStateChunk}),
 * then take the resulting {@link Effect}s with {@link #takeEffects()} and carry them out in order.
 * It owns no thread, socket, clock or random source, so a simulator can drive it through any
 * schedule and replay it exactly. Not thread-safe: one thread drives one instance.
 *
 * <p>Bad input from the network (garbage, frames for other incarnations, stale or future views,
 * duplicates, members that are not in the view) never throws: it is ignored and counted in
 * {@link #counters()}.
 */
public final class GroupMember {

    /** Lifecycle of an incarnation. */
    public enum Status {
        /** Created; neither bootstrapped nor joining. */
        IDLE,
        /** Asking to join; not in a view yet. */
        JOINING,
        /** In a view (a joiner is one from the moment it is in a view, even before its state arrives). */
        MEMBER,
        /** Excluded by the group: terminal. */
        EXCLUDED,
        /** Left cleanly: terminal. */
        LEFT
    }

    /** While wedged, probe the view every this many retransmission rounds. */
    static final int WEDGED_PROBE_ROUNDS = 10;
    /** Back-off after a refused ballot: (rank + 1) times this many retransmission intervals. */
    static final int BALLOT_BACKOFF_FACTOR = 2;

    private record PendingSend(long localId, DeliveryOrder order, byte[] payload) {
    }

    private record Deferred(MemberId from, ProtocolMessage message) {
    }

    private final MemberId self;
    private final ProtocolConfig config;
    private final ProtocolCounters counters = new ProtocolCounters();
    private final LinkTable links;
    private final List<Effect> effects = new ArrayList<>();
    private final ArrayDeque<ProtocolMessage> selfQueue = new ArrayDeque<>();

    private Status status = Status.IDLE;
    private View view;
    private ViewMessages messages;
    /** Whether the application holds state for {@link #view}; false for a joiner until its state arrives. */
    private boolean stateful;

    // Joiner side of a state transfer.
    private long stateViewId = -1;
    private MemberId expectedDonor;
    private long expectedOffset;
    // Donor side: bytes sent so far, per joiner, for the current view.
    private final java.util.Map<MemberId, Long> donorOffsets = new java.util.HashMap<>();

    // The previous view, kept to serve late members its commit and messages.
    private View previousView;
    private ViewMessages previousMessages;
    private Proposal lastCommit;
    private final Set<MemberId> commitResentTo = new HashSet<>();
    /** Incarnations that were members and are no longer: never readmitted. */
    private final Set<MemberId> departed = new HashSet<>();
    /** Members of the current view known to hold the application state (joiners once they say so). */
    private final Set<MemberId> statefulMembers = new HashSet<>();

    // What this member knows must change.
    private final Set<MemberId> suspected = new LinkedHashSet<>();
    private final Set<MemberId> leaving = new LinkedHashSet<>();
    private final LinkedHashSet<MemberId> pendingJoiners = new LinkedHashSet<>();
    /** State hints of joiners (pending, or in the view while they still wait for state). */
    private final Map<MemberId, byte[]> joinHints = new HashMap<>();
    private static final byte[] NO_HINT = new byte[0];
    private byte[] ownJoinHint = NO_HINT;
    /** Another member suspects this one: it will be excluded, so it must not lead. */
    private boolean doomed;
    private boolean leaveRequested;

    // Acceptor state for the current view.
    private long promisedBallot;
    private long acceptedBallot;
    private Proposal acceptedProposal;
    private long maxRoundSeen;
    private ProtocolMessage.Accept pendingAccept;
    private MemberId pendingAcceptFrom;
    private Proposal pendingInstall;
    /** Turns the fetch target among the members that can serve it. */
    private long fetchRotation;

    // Leader state for the current view.
    private LeaderAttempt attempt;
    /** A ballot was refused: wait for {@link TimerKind#BALLOT_RETRY} before leading again. */
    private boolean backingOff;

    private final ArrayDeque<PendingSend> pendingSends = new ArrayDeque<>();
    /** Open rounds proving the view current, for linearizable reads. */
    private final ViewConfirmations confirmations = new ViewConfirmations();
    private long nextLocalId = 1;
    private final List<Deferred> deferred = new ArrayList<>();

    private long retransmitRound;
    private boolean retransmitTimerSet;
    private boolean joinTimerSet;

    /**
     * @param self   this incarnation
     * @param config protocol settings
     */
    public GroupMember(MemberId self, ProtocolConfig config) {
        this.self = Objects.requireNonNull(self, "self");
        this.config = Objects.requireNonNull(config, "config");
        this.links = new LinkTable(self);
    }

    // =====================================================================================
    // Events from the application and the runtime
    // =====================================================================================

    /**
     * Starts a new group: every initial member calls this with the same view and an empty state.
     *
     * @param initial the first view; must contain this member
     */
    public void bootstrap(View initial) {
        requireStatus(Status.IDLE);
        if (!initial.contains(self)) {
            throw new IllegalArgumentException(self + " is not in " + initial);
        }
        status = Status.MEMBER;
        stateful = true;
        enterView(initial);
        effects.add(new Effect.ViewInstalled(initial));
        settle();
    }

    /** Asks the seeds to let this incarnation in, with no state hint; retried until it is in a view. */
    public void join() {
        join(NO_HINT);
    }

    /**
     * Asks the seeds to let this incarnation in; retried until it is in a view.
     *
     * @param stateHint opaque bytes handed to the donor with {@link Effect.SnapshotRequested} (at
     *                  most {@link FrameCodec#MAX_STATE_HINT_BYTES}), for example the position up to
     *                  which this member still holds the state on disk
     */
    public void join(byte[] stateHint) {
        FrameCodec.checkHint(Objects.requireNonNull(stateHint, "stateHint"));
        requireStatus(Status.IDLE);
        status = Status.JOINING;
        ownJoinHint = stateHint.clone();
        effects.add(new Effect.SendToSeeds(FrameCodec.encodeJoinRequest(self, ownJoinHint)));
        setJoinTimer();
        settle();
    }

    /**
     * Multicasts a message to the current view (or the next one, if the view is changing).
     *
     * @param order   delivery order
     * @param payload application bytes (not copied; do not modify afterwards)
     * @return the local id that later {@link Effect.Sent}, {@link Effect.Deliver} and
     *         {@link Effect.MulticastAborted} effects refer to
     */
    public long multicast(DeliveryOrder order, byte[] payload) {
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(payload, "payload");
        long id = nextLocalId++;
        if (status == Status.EXCLUDED || status == Status.LEFT) {
            effects.add(new Effect.MulticastAborted(id, MulticastOutcome.NOT_SENT));
            return id;
        }
        pendingSends.add(new PendingSend(id, order, payload));
        sendPending();
        settle();
        return id;
    }

    /**
     * Starts a round proving that this member's view is still the current one, the freshness proof
     * of a linearizable read: the core later emits {@link Effect.ViewConfirmed} (after delivering
     * everything it held when the round began) or {@link Effect.ViewConfirmFailed}. No log write and
     * no multicast: one small message to each member and its answer. Rounds may overlap; a driver
     * usually runs one for every batch of reads that arrived meanwhile.
     *
     * @param token names the round in the resulting effect; must differ from every open round's
     */
    public void confirmView(long token) {
        if (status != Status.MEMBER || !stateful || messages.wedged() || leaveRequested
                || !confirmations.start(token, view.viewId(), view.rankOf(self), messages.totalHeld())) {
            effects.add(new Effect.ViewConfirmFailed(token));
            return;
        }
        broadcast(new ProtocolMessage.ConfirmView(view.viewId(), token));
    }

    /** Leaves the group cleanly: the group installs a view without this member, after a flush. */
    public void leave() {
        if (status == Status.JOINING || status == Status.IDLE) {
            exit(Status.LEFT);
            return;
        }
        if (status != Status.MEMBER || leaveRequested) {
            return;
        }
        leaveRequested = true;
        if (view.size() == 1) {
            sendPending();
            deliverReady();
            exit(Status.LEFT);
            return;
        }
        leaving.add(self);
        broadcast(new ProtocolMessage.Leave(view.viewId()));
        maybeLead();
        settle();
    }

    /**
     * The failure detector suspects {@code member}. Suspicions are never withdrawn: a suspected
     * incarnation is excluded and must come back as a new incarnation.
     *
     * @param member the suspected incarnation
     */
    public void suspect(MemberId member) {
        if (status != Status.MEMBER || member.equals(self)) {
            return;
        }
        addSuspicion(member, true);
        settle();
    }

    /**
     * A frame arrived from the network.
     *
     * @param bytes the frame
     */
    public void receive(byte[] bytes) {
        Frame frame;
        try {
            frame = FrameCodec.decode(bytes);
        } catch (MalformedFrameException e) {
            counters.increment(Kind.MALFORMED_FRAME);
            return;
        }
        if (status == Status.EXCLUDED || status == Status.LEFT || status == Status.IDLE) {
            counters.increment(Kind.AFTER_EXIT);
            return;
        }
        if (frame.kind() != Frame.Kind.JOIN_REQUEST && !frame.to().equals(self)) {
            counters.increment(Kind.MISADDRESSED_FRAME);
            if (frame.kind() == Frame.Kind.RELIABLE && status == Status.MEMBER
                    && frame.message().viewId() < view.viewId() && !view.contains(frame.from())) {
                // Meant for an earlier incarnation at this address, from a member of an older view
                // that is not in this one: views are one sequence, so the sender was excluded.
                // Tell it; it may have nobody else left to hear it from.
                sendExcludedNotice(frame.from());
            }
            return;
        }
        switch (frame.kind()) {
            case JOIN_REQUEST -> onJoinRequest(frame.from(), frame.stateHint());
            case EXCLUDED_NOTICE -> onExcludedNotice(frame.viewId());
            case LINK_ACK -> {
                ReliableLink link = links.existing(frame.from());
                if (link != null) {
                    link.acknowledge(frame.linkAck());
                }
            }
            case RELIABLE -> onReliable(frame);
        }
        settle();
    }

    /**
     * A timer the core asked for has fired.
     *
     * @param timer which one
     */
    public void timerFired(TimerKind timer) {
        switch (timer) {
            case RETRANSMIT -> {
                retransmitTimerSet = false;
                retransmitRound++;
                for (ReliableLink link : links.all()) {
                    for (byte[] frame : link.retransmit(retransmitRound)) {
                        counters.increment(Kind.RETRANSMISSION);
                        effects.add(new Effect.Send(link.peer(), frame));
                    }
                }
                if (isWedged() && status == Status.MEMBER && retransmitRound % WEDGED_PROBE_ROUNDS == 0) {
                    // A wedged member waits on others. If they moved on without it (and the notice
                    // saying so was lost), a reliable probe makes them answer again until it arrives.
                    broadcast(messages.probeAck(stateful));
                    if (pendingInstall != null) {
                        fetchMissing(null);
                    }
                    // And if the member that wedged us gave up (it learned it is suspected), the
                    // next one in line must take over the change.
                    maybeLead();
                }
            }
            case BALLOT_RETRY -> {
                backingOff = false;
                maybeLead();
            }
            case JOIN_RETRY -> {
                joinTimerSet = false;
                if (status == Status.JOINING) {
                    effects.add(new Effect.SendToSeeds(FrameCodec.encodeJoinRequest(self, ownJoinHint)));
                    setJoinTimer();
                }
            }
        }
        settle();
    }

    /**
     * Bytes sent to {@code peer} that it has not acknowledged yet: a donor streaming a state waits
     * while this exceeds a window, so that the joiner's pace (it stops reading while its consumer is
     * behind) holds the donor back instead of filling queues and buffers on both sides.
     *
     * @param peer a member incarnation
     * @return unacknowledged bytes on the link to it (0 without a link)
     */
    public long unacknowledgedBytesTo(MemberId peer) {
        ReliableLink link = links.existing(peer);
        return link == null ? 0 : link.unackedBytes();
    }

    /**
     * Donor: sends the next piece of the snapshot asked for by {@link Effect.SnapshotRequested}.
     * Chunks for a view that is no longer current are dropped: the joiner gets a new donor then.
     *
     * @param joiner the joiner
     * @param viewId the view it joins
     * @param bytes  the next bytes of the snapshot
     * @param last   whether this is the end of the snapshot
     */
    public void sendStateChunk(MemberId joiner, long viewId, byte[] bytes, boolean last) {
        if (status != Status.MEMBER || view.viewId() != viewId || !view.contains(joiner)) {
            return;
        }
        long offset = donorOffsets.getOrDefault(joiner, 0L);
        donorOffsets.put(joiner, offset + bytes.length);
        sendTo(joiner, new ProtocolMessage.StateChunk(viewId, offset, bytes, last));
        settle();
    }

    /**
     * Takes the effects produced since the last call, in the order they must be carried out.
     *
     * @return the effects
     */
    public List<Effect> takeEffects() {
        flushOutput();
        List<Effect> out = new ArrayList<>(effects);
        effects.clear();
        return out;
    }

    // =====================================================================================
    // Queries
    // =====================================================================================

    /** @return this incarnation */
    public MemberId self() {
        return self;
    }

    /** @return lifecycle status */
    public Status status() {
        return status;
    }

    /** @return the current view, or null before the first */
    public View view() {
        return view;
    }

    /** @return whether the application state is in place for the current view */
    public boolean hasState() {
        return stateful;
    }

    /** @return whether sending and delivery are stopped for a view change */
    public boolean isWedged() {
        return messages != null && messages.wedged();
    }

    /** @return counts of ignored input and unusual events */
    public ProtocolCounters counters() {
        return counters;
    }

    /** @return messages of the current view held in memory (bounded under steady load) */
    public int retainedMessages() {
        return messages == null ? 0 : messages.retainedMessages();
    }

    /** @return application multicasts waiting for a view to be sent in */
    public int pendingMulticasts() {
        return pendingSends.size();
    }

    // =====================================================================================
    // Inbound dispatch
    // =====================================================================================

    private void onReliable(Frame frame) {
        MemberId from = frame.from();
        if (isDeparted(from)) {
            counters.increment(Kind.FROM_EXCLUDED_MEMBER);
            sendExcludedNotice(from);
            return;
        }
        ReliableLink link = links.to(from);
        link.acknowledge(frame.linkAck());
        List<ProtocolMessage> ready;
        try {
            ready = link.receive(frame.linkSeq(), frame.message());
        } catch (ReliableLink.DuplicateFrameException e) {
            counters.increment(Kind.DUPLICATE_FRAME);
            return;
        }
        for (ProtocolMessage m : ready) {
            dispatch(from, m);
        }
    }

    private boolean isDeparted(MemberId m) {
        if (view != null && view.contains(m)) {
            return false;
        }
        if (departed.contains(m)) {
            return true;
        }
        if (view != null) {
            for (MemberId member : view.members()) {
                if (member.name().equals(m.name()) && member.incarnation() > m.incarnation()) {
                    return true;
                }
            }
        }
        return false;
    }

    private void dispatch(MemberId from, ProtocolMessage m) {
        if (status != Status.MEMBER && status != Status.JOINING) {
            counters.increment(Kind.AFTER_EXIT);
            return;
        }
        if (m instanceof ProtocolMessage.Commit c) {
            onCommit(from, c.proposal());
            return;
        }
        long current = view == null ? 0 : view.viewId();
        if (m.viewId() > current) {
            defer(from, m, current);
            return;
        }
        if (view == null) {
            // A joiner has no view yet; no real view has id 0.
            counters.increment(Kind.STALE_VIEW);
            return;
        }
        if (m.viewId() < current) {
            onStale(from, m);
            return;
        }
        if (!view.contains(from)) {
            counters.increment(Kind.FROM_NON_MEMBER);
            return;
        }
        if (m instanceof ProtocolMessage.Data d) {
            onData(from, d);
        } else if (m instanceof ProtocolMessage.Order o) {
            if (!from.equals(view.coordinator()) || !messages.receiveOrder(o.firstPosition(), o.runs())) {
                counters.increment(Kind.INVALID_CONTENT);
            }
        } else if (m instanceof ProtocolMessage.Ack a) {
            if (!messages.receiveAck(view.rankOf(from), a.totalHeld(), a.frontiers())) {
                counters.increment(Kind.INVALID_CONTENT);
            } else if (a.stateful() && statefulMembers.add(from)) {
                // A joiner now holds the state: a leave or exclusion that waited for it can go ahead.
                maybeLead();
            }
        } else if (m instanceof ProtocolMessage.Suspect s) {
            onSuspectGossip(s.target());
        } else if (m instanceof ProtocolMessage.Leave) {
            leaving.add(from);
            maybeLead();
        } else if (m instanceof ProtocolMessage.JoinForward j) {
            considerJoiner(j.joiner(), j.stateHint(), false);
        } else if (m instanceof ProtocolMessage.Prepare p) {
            onPrepare(from, p);
        } else if (m instanceof ProtocolMessage.Promise p) {
            onPromise(from, p);
        } else if (m instanceof ProtocolMessage.Nack n) {
            onNack(n);
        } else if (m instanceof ProtocolMessage.Accept a) {
            onAccept(from, a);
        } else if (m instanceof ProtocolMessage.Accepted a) {
            onAccepted(from, a);
        } else if (m instanceof ProtocolMessage.Fetch f) {
            sendTo(from, new ProtocolMessage.Fetched(f.viewId(), messages.bundleBeyond(f.frontiers(), f.orderLength())));
        } else if (m instanceof ProtocolMessage.Fetched f) {
            messages.merge(f.bundle());
            retryPendingAccept();
            retryPendingInstall();
        } else if (m instanceof ProtocolMessage.StateChunk s) {
            onStateChunk(from, s);
        } else if (m instanceof ProtocolMessage.ConfirmView c) {
            // A member that promised a ballot may already be part of a committed next view: silence.
            if (!messages.wedged()) {
                sendTo(from, new ProtocolMessage.ViewConfirmed(c.viewId(), c.token()));
            }
        } else if (m instanceof ProtocolMessage.ViewConfirmed c) {
            confirmations.confirmed(c.token(), c.viewId(), view.rankOf(from));
        }
    }

    /**
     * A message of a later view. A member can only be one view behind a view it belongs to, so
     * messages of the next view are held until it is installed; anything further is dropped.
     * A joiner (no view yet) cannot tell, and holds them within the deferral limit.
     */
    private void defer(MemberId from, ProtocolMessage m, long current) {
        boolean plausible = view == null || m.viewId() == current + 1;
        if (!plausible || deferred.size() >= config.maxDeferredFrames()) {
            counters.increment(Kind.FUTURE_VIEW_DROPPED);
            return;
        }
        counters.increment(Kind.FUTURE_VIEW_DEFERRED);
        deferred.add(new Deferred(from, m));
    }

    private void replayDeferred() {
        if (deferred.isEmpty()) {
            return;
        }
        List<Deferred> again = new ArrayList<>(deferred);
        deferred.clear();
        for (Deferred d : again) {
            dispatch(d.from(), d.message());
        }
    }

    /**
     * A message of an earlier view. A member of the current view still in the previous one missed
     * the commit: it gets the commit again (once). A member of neither is told it is out.
     */
    private void onStale(MemberId from, ProtocolMessage m) {
        counters.increment(Kind.STALE_VIEW);
        if (previousView == null || m.viewId() != previousView.viewId()) {
            if (!view.contains(from)) {
                sendExcludedNotice(from);
            }
            return;
        }
        if (m instanceof ProtocolMessage.Fetch f) {
            sendTo(from, new ProtocolMessage.Fetched(f.viewId(), previousMessages.bundleBeyond(f.frontiers(), f.orderLength())));
        } else if (view.contains(from)) {
            if (commitResentTo.add(from)) {
                sendTo(from, new ProtocolMessage.Commit(previousView.viewId(), lastCommit));
            }
        } else {
            sendExcludedNotice(from);
        }
    }

    private void onData(MemberId from, ProtocolMessage.Data d) {
        int rank = view.rankOf(from);
        for (MulticastMessage m : d.messages()) {
            if (m.senderRank() != rank || !messages.receive(m)) {
                counters.increment(Kind.INVALID_CONTENT);
            }
        }
    }

    // =====================================================================================
    // Membership: joins, suspicions, leaves, exclusion
    // =====================================================================================

    private void onJoinRequest(MemberId joiner, byte[] stateHint) {
        if (status != Status.MEMBER || view.contains(joiner)) {
            return;
        }
        if (isDeparted(joiner)) {
            counters.increment(Kind.FROM_EXCLUDED_MEMBER);
            sendExcludedNotice(joiner);
            return;
        }
        considerJoiner(joiner, stateHint, true);
    }

    private void considerJoiner(MemberId joiner, byte[] stateHint, boolean forward) {
        if (view.contains(joiner) || isDeparted(joiner) || suspected.contains(joiner)) {
            return;
        }
        joinHints.put(joiner, stateHint);
        // A new incarnation asking in means the old one is gone: suspect it.
        for (MemberId member : view.members()) {
            if (member.name().equals(joiner.name()) && member.incarnation() < joiner.incarnation()) {
                addSuspicion(member, true);
            }
        }
        pendingJoiners.add(joiner);
        // Forwarded on every request (the joiner retries), not only the first: a forward can be
        // lost with a leader that fails, or arrive after the view it was meant for.
        MemberId leader = currentLeader();
        if (forward && leader != null && !leader.equals(self)) {
            sendTo(leader, new ProtocolMessage.JoinForward(view.viewId(), joiner, stateHint));
        }
        maybeLead();
    }

    private void addSuspicion(MemberId member, boolean gossip) {
        if (!suspected.add(member)) {
            return;
        }
        if (gossip && view != null && view.contains(member)) {
            // Tell every member, the suspect included, before acting on it: the links are FIFO, so
            // anyone who later sees this member lead a view change already knows why, and the
            // suspect knows it will be excluded and stops competing for leadership.
            broadcast(new ProtocolMessage.Suspect(view.viewId(), member));
        }
        onSuspicionsChanged(member);
    }

    /**
     * Another member suspects {@code target}. The suspicion is passed on the first time it is
     * heard: if its author crashed after telling only some members, they would otherwise disagree
     * about who leads (the suspect steps aside while others still wait for it) and nobody would.
     */
    private void onSuspectGossip(MemberId target) {
        if (target.equals(self)) {
            if (!doomed) {
                doomed = true;
                broadcast(new ProtocolMessage.Suspect(view.viewId(), self));
            }
            if (attempt != null && !self.equals(currentLeader())) {
                attempt = null;
            }
            maybeLead();
            return;
        }
        addSuspicion(target, true);
    }

    private void onSuspicionsChanged(MemberId newlySuspected) {
        if (attempt != null && attempt.viewId() == currentViewId()) {
            if (attempt.phase() == LeaderAttempt.Phase.PREPARING) {
                checkPromises();
            } else if (attempt.phase() == LeaderAttempt.Phase.ACCEPTING && !tryCommit()
                    && !attempt.accepted().contains(newlySuspected) && view.contains(newlySuspected)) {
                // An acceptor we may need has failed: start over with a higher ballot, adopting
                // the proposal, so that the remaining members can still form a majority.
                attempt = null;
            }
        }
        maybeLead();
    }

    private void onExcludedNotice(long senderViewId) {
        if (status == Status.JOINING || (status == Status.MEMBER && senderViewId > view.viewId())) {
            // A member that asked to leave is out because it asked, even if the commit saying so was lost.
            exit(leaveRequested ? Status.LEFT : Status.EXCLUDED);
        }
    }

    private void sendExcludedNotice(MemberId to) {
        effects.add(new Effect.Send(to, FrameCodec.encodeExcludedNotice(self, to, currentViewId())));
    }

    private long currentViewId() {
        return view == null ? 0 : view.viewId();
    }

    /**
     * The lowest-ranked member this member does not suspect: the one that runs view changes.
     * Members on their way out lead only if nobody else can, so that the commit of a clean leave
     * comes from a member that stays to retransmit it. If every member is suspected by someone
     * (false suspicions during a partition can do that), each member falls back to leading
     * itself; the rank-ordered back-off after a refused ballot lets the lowest-ranked live one win.
     */
    private MemberId currentLeader() {
        MemberId outgoing = null;
        for (MemberId m : view.members()) {
            if (!suspected.contains(m) && !(m.equals(self) && doomed)) {
                if (!leaving.contains(m)) {
                    return m;
                }
                outgoing = outgoing == null ? m : outgoing;
            }
        }
        return outgoing != null ? outgoing : self;
    }

    private boolean changeNeeded() {
        if (isWedged()) {
            // Somebody started a view change and this member promised: it must be finished, even
            // if it changes nothing, or the group stays wedged.
            return true;
        }
        for (MemberId m : view.members()) {
            if ((suspected.contains(m) || leaving.contains(m)) && someoneElseKeepsState(m)) {
                return true;
            }
        }
        for (MemberId j : pendingJoiners) {
            if (!view.contains(j) && !suspected.contains(j) && !isDeparted(j)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether every member of the view announced it is leaving. (Suspected members do not
     * count: a suspicion may be false, and a leaver cut off from the rest must not take that
     * for a shutdown.)
     */
    private boolean nobodyStays() {
        for (MemberId m : view.members()) {
            if (!leaving.contains(m)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a member other than {@code leaver}, staying in the group, is known to hold the state.
     * Until one does, removing {@code leaver} (a leave, or an exclusion of a live suspect) waits,
     * so that it cannot take the last copy with it. A dead sole holder means the state is lost;
     * only recovery from disk can help then.
     */
    private boolean someoneElseKeepsState(MemberId leaver) {
        for (MemberId m : view.members()) {
            if (!m.equals(leaver) && !leaving.contains(m) && !suspected.contains(m) && statefulMembers.contains(m)) {
                return true;
            }
        }
        return false;
    }

    // =====================================================================================
    // View change: leader side
    // =====================================================================================

    private void maybeLead() {
        if (status == Status.MEMBER && leaveRequested && view != null && nobodyStays()) {
            // Every member is leaving: the group is shutting down. No member
            // stays to agree with, and the rule that the last holder of the state never goes
            // would otherwise keep every leaver waiting forever.
            exit(Status.LEFT);
            return;
        }
        if (status != Status.MEMBER || view == null || attempt != null || backingOff) {
            return;
        }
        if (!self.equals(currentLeader()) || !changeNeeded()) {
            return;
        }
        long round = Math.max(maxRoundSeen, LeaderAttempt.roundOf(promisedBallot)) + 1;
        maxRoundSeen = round;
        attempt = new LeaderAttempt(view.viewId(), LeaderAttempt.ballot(round, view.rankOf(self)));
        counters.increment(Kind.VIEW_CHANGE_ATTEMPT);
        ProtocolMessage.Prepare prepare = new ProtocolMessage.Prepare(view.viewId(), attempt.ballot(),
                messages.frontiers(), messages.orderLength());
        for (MemberId m : view.members()) {
            sendTo(m, prepare);
        }
    }

    private void onPromise(MemberId from, ProtocolMessage.Promise p) {
        if (attempt == null || p.ballot() != attempt.ballot() || attempt.phase() == LeaderAttempt.Phase.COMMITTED) {
            return;
        }
        if (p.report().frontiers().length != view.size() * io.cohort.protocol.wire.Streams.COUNT
                || (p.acceptedProposal() != null && ProposalCheck.problem(p.acceptedProposal(), view.size()) != null)) {
            counters.increment(Kind.INVALID_CONTENT);
            return;
        }
        attempt.promises().put(from, p);
        messages.merge(p.bundle());
        if (attempt.phase() == LeaderAttempt.Phase.ACCEPTING) {
            // A late promise: the proposal is already out, but this member's acceptance may be
            // the one the majority still needs (other promisers may have failed since).
            Report r = p.report();
            sendTo(from, new ProtocolMessage.Accept(view.viewId(), attempt.ballot(), attempt.proposal(),
                    messages.bundleBeyond(r.frontiers(), r.orderLength())));
            return;
        }
        checkPromises();
    }

    private int quorum() {
        return config.variant() == ProtocolVariant.MINORITY_VIEWS ? 1 : view.majority();
    }

    /**
     * Phase 1 is complete once every member has promised or is suspected, and the promisers are a
     * majority. Waiting for every unsuspected member keeps healthy members in the next view; the
     * failure detector guarantees the wait ends.
     */
    private void checkPromises() {
        if (attempt == null || attempt.phase() != LeaderAttempt.Phase.PREPARING) {
            return;
        }
        boolean waitForAll = config.variant() != ProtocolVariant.MINORITY_VIEWS;
        for (MemberId m : view.members()) {
            if (waitForAll && !attempt.promises().containsKey(m) && !suspected.contains(m)) {
                return;
            }
        }
        if (attempt.promises().size() < quorum()) {
            return;
        }
        ProtocolMessage.Promise adopted = attempt.highestAccepted();
        Proposal proposal = adopted != null ? adopted.acceptedProposal()
                : withHints(ProposalPlanner.plan(view, attempt.promises(), suspected, leaving, pendingJoiners,
                        messages.computeCut()));
        if (proposal == null) {
            // No member with state promised: nobody could give the next view its state.
            return;
        }
        attempt.propose(proposal);
        for (var e : attempt.promises().entrySet()) {
            Report r = e.getValue().report();
            sendTo(e.getKey(), new ProtocolMessage.Accept(view.viewId(), attempt.ballot(), proposal,
                    messages.bundleBeyond(r.frontiers(), r.orderLength())));
        }
    }

    private void onNack(ProtocolMessage.Nack n) {
        counters.increment(Kind.BALLOT_REJECTED);
        maxRoundSeen = Math.max(maxRoundSeen, LeaderAttempt.roundOf(n.promisedBallot()));
        if (attempt != null && attempt.phase() != LeaderAttempt.Phase.COMMITTED && attempt.ballot() < n.promisedBallot()) {
            // Another member is leading too. Retry later, the later the higher our rank: duelling
            // leaders would otherwise outbid each other forever; this way the lowest-ranked one
            // gets through first.
            attempt = null;
            if (!backingOff) {
                backingOff = true;
                effects.add(new Effect.SetTimer(TimerKind.BALLOT_RETRY,
                        (view.rankOf(self) + 1L) * BALLOT_BACKOFF_FACTOR * config.retransmitMillis()));
            }
        }
    }

    private void onAccepted(MemberId from, ProtocolMessage.Accepted a) {
        if (attempt == null || a.ballot() != attempt.ballot() || attempt.phase() != LeaderAttempt.Phase.ACCEPTING) {
            return;
        }
        attempt.accepted().add(from);
        tryCommit();
    }

    /**
     * Commits once a majority of the old view accepted (which makes the choice final) and every
     * member continuing into the next view that the leader does not suspect accepted too (so every
     * survivor holds the whole cut before anyone installs: members that leave or crash afterwards
     * cannot take part of the cut with them).
     *
     * @return whether the proposal was committed
     */
    private boolean tryCommit() {
        if (attempt == null || attempt.phase() != LeaderAttempt.Phase.ACCEPTING || attempt.accepted().size() < quorum()) {
            return false;
        }
        for (MemberId m : attempt.proposal().members()) {
            if (view.contains(m) && !suspected.contains(m) && !attempt.accepted().contains(m)
                    && config.variant() != ProtocolVariant.MINORITY_VIEWS) {
                return false;
            }
        }
        attempt.committed();
        Proposal p = attempt.proposal();
        Set<MemberId> recipients = new LinkedHashSet<>(view.members());
        recipients.addAll(p.members());
        ProtocolMessage.Commit commit = new ProtocolMessage.Commit(view.viewId(), p);
        for (MemberId m : recipients) {
            sendTo(m, commit);
        }
        return true;
    }

    // =====================================================================================
    // View change: acceptor side
    // =====================================================================================

    private void onPrepare(MemberId from, ProtocolMessage.Prepare p) {
        maxRoundSeen = Math.max(maxRoundSeen, LeaderAttempt.roundOf(p.ballot()));
        if (p.ballot() <= promisedBallot) {
            sendTo(from, new ProtocolMessage.Nack(view.viewId(), promisedBallot));
            return;
        }
        promisedBallot = p.ballot();
        wedge();
        sendTo(from, new ProtocolMessage.Promise(view.viewId(), p.ballot(), messages.report(stateful), acceptedBallot,
                acceptedProposal, messages.bundleBeyond(p.leaderFrontiers(), p.leaderOrderLength())));
    }

    private void onAccept(MemberId from, ProtocolMessage.Accept a) {
        if (a.ballot() < promisedBallot) {
            sendTo(from, new ProtocolMessage.Nack(view.viewId(), promisedBallot));
            return;
        }
        if (a.proposal().oldViewId() != view.viewId() || ProposalCheck.problem(a.proposal(), view.size()) != null) {
            counters.increment(Kind.INVALID_CONTENT);
            return;
        }
        promisedBallot = a.ballot();
        wedge();
        messages.merge(a.bundle());
        pendingAccept = a;
        pendingAcceptFrom = from;
        if (!retryPendingAccept()) {
            // Accept only while holding the whole cut, so a later leader can always recover it.
            sendTo(from, new ProtocolMessage.Fetch(view.viewId(), messages.frontiers(), messages.orderLength()));
        }
    }

    private boolean retryPendingAccept() {
        ProtocolMessage.Accept a = pendingAccept;
        if (a == null) {
            return false;
        }
        if (a.ballot() < promisedBallot) {
            pendingAccept = null;
            return false;
        }
        Proposal p = a.proposal();
        if (!messages.holds(p.cutFrontiers(), p.cutOrderPrefix())) {
            return false;
        }
        pendingAccept = null;
        acceptedBallot = a.ballot();
        acceptedProposal = p;
        sendTo(pendingAcceptFrom, new ProtocolMessage.Accepted(view.viewId(), a.ballot()));
        return true;
    }

    private void wedge() {
        failConfirmations();
        if (!messages.wedged()) {
            messages.wedge();
            if (stateful) {
                effects.add(new Effect.Wedged(view.viewId()));
            }
        }
    }

    // =====================================================================================
    // Installing the next view
    // =====================================================================================

    private void onCommit(MemberId from, Proposal p) {
        long current = currentViewId();
        if (p.newViewId() <= current) {
            return;
        }
        if (view != null && !view.contains(from) && !p.members().contains(from)) {
            counters.increment(Kind.FROM_NON_MEMBER);
            return;
        }
        int oldSize = view != null && p.oldViewId() == current ? view.size() : -1;
        if (ProposalCheck.problem(p, oldSize) != null) {
            counters.increment(Kind.INVALID_CONTENT);
            return;
        }
        if (view == null) {
            if (status == Status.JOINING && p.members().contains(self) && p.joiners().contains(self)) {
                startAsJoiner(p);
            }
            return;
        }
        if (p.oldViewId() != current) {
            defer(from, new ProtocolMessage.Commit(p.oldViewId(), p), current);
            return;
        }
        if (!p.members().contains(self)) {
            leaveView(p);
            return;
        }
        if (!messages.holds(p.cutFrontiers(), p.cutOrderPrefix())) {
            pendingInstall = p;
            fetchMissing(view.contains(from) ? from : null);
            return;
        }
        install(p);
    }

    /**
     * Asks for the part of the pending cut this member lacks. Only members of the old view that
     * continue into the next one hold it (a joiner holds nothing of the old view), so the request
     * goes to {@code preferred} if given, otherwise to the next such member in turn; the wedged
     * probe calls this again, so a dead target is replaced by the next one.
     */
    private void fetchMissing(MemberId preferred) {
        MemberId target = preferred;
        if (target == null || target.equals(self)) {
            List<MemberId> sources = new ArrayList<>();
            for (MemberId m : pendingInstall.members()) {
                if (view.contains(m) && !m.equals(self) && !suspected.contains(m)) {
                    sources.add(m);
                }
            }
            if (sources.isEmpty()) {
                return;
            }
            target = sources.get((int) (fetchRotation++ % sources.size()));
        }
        sendTo(target, new ProtocolMessage.Fetch(view.viewId(), messages.frontiers(), messages.orderLength()));
    }

    private void retryPendingInstall() {
        Proposal p = pendingInstall;
        if (p == null || p.oldViewId() != currentViewId()) {
            return;
        }
        if (messages.holds(p.cutFrontiers(), p.cutOrderPrefix())) {
            pendingInstall = null;
            install(p);
        } else {
            fetchMissing(null);
        }
    }

    /** The flush: deliver exactly the cut, then move to the next view. */
    private void install(Proposal p) {
        View next = nextViewOf(p);
        if (next == null) {
            return;
        }
        if (stateful && config.variant() != ProtocolVariant.INSTALL_WITHOUT_FLUSH) {
            messages.deliverCut(p.cutFrontiers(), p.cutOrderPrefix(), p.cutOrderTail(), this::deliver);
        }
        previousView = view;
        previousMessages = messages;
        lastCommit = p;
        commitResentTo.clear();
        for (MemberId m : view.members()) {
            if (!next.contains(m)) {
                departed.add(m);
            }
        }
        // Listed as a joiner because it had no state when it promised; if the state arrived since,
        // it delivered the cut like everyone else and simply moves on (the donor's copy is ignored).
        boolean joinAgain = p.joiners().contains(self) && !stateful;
        if (joinAgain) {
            stateful = false;
        }
        enterView(next);
        statefulMembers.removeAll(p.joiners());
        if (joinAgain) {
            awaitState(p);
        } else if (stateful) {
            effects.add(new Effect.ViewInstalled(next));
            requestSnapshots(p);
        }
        passCommitOn(p);
        if (leaveRequested) {
            // The leave was deferred (this member held the last copy of the state): ask again,
            // so that members new to this view know too.
            broadcast(new ProtocolMessage.Leave(next.viewId()));
        }
        sendPending();
        replayDeferred();
        maybeLead();
    }

    /**
     * Passes a commit on to the other members of the next view. The leader may not be one of them
     * (it can adopt a proposal that excludes itself) and may stop before its commit arrives
     * everywhere; every member that learns of the commit spreads it, over reliable links, so that
     * every member of the next view installs it as long as one of them stays up.
     */
    private void passCommitOn(Proposal p) {
        ProtocolMessage.Commit commit = new ProtocolMessage.Commit(p.oldViewId(), p);
        for (MemberId m : p.members()) {
            if (!m.equals(self)) {
                sendTo(m, commit);
            }
        }
    }

    /** The view a proposal describes, or null (counted) if it is not a valid view. */
    private View nextViewOf(Proposal p) {
        try {
            return new View(p.newViewId(), p.members());
        } catch (IllegalArgumentException e) {
            counters.increment(Kind.INVALID_CONTENT);
            return null;
        }
    }

    private void startAsJoiner(Proposal p) {
        View next = nextViewOf(p);
        if (next == null) {
            return;
        }
        status = Status.MEMBER;
        stateful = false;
        enterView(next);
        statefulMembers.removeAll(p.joiners());
        awaitState(p);
        passCommitOn(p);
        replayDeferred();
        maybeLead();
    }

    private void enterView(View next) {
        failConfirmations();
        View old = view;
        view = next;
        messages = new ViewMessages(next, next.rankOf(self), config.variant());
        promisedBallot = 0;
        acceptedBallot = 0;
        acceptedProposal = null;
        pendingAccept = null;
        pendingInstall = null;
        attempt = null;
        backingOff = false;
        statefulMembers.clear();
        statefulMembers.addAll(next.members());
        // A suspicion of this member was about the old view; it survived into this one.
        doomed = false;
        donorOffsets.clear();
        pendingJoiners.removeIf(j -> next.contains(j) || isDeparted(j));
        joinHints.keySet().removeIf(j -> !next.contains(j) && !pendingJoiners.contains(j));
        // Keep the links to members that just left cleanly until the next view: the commit that
        // tells them they are out must still be retransmitted if it was lost.
        Set<MemberId> keep = new HashSet<>(next.members());
        if (old != null) {
            for (MemberId m : leaving) {
                if (old.contains(m)) {
                    keep.add(m);
                }
            }
        }
        leaving.retainAll(next.members());
        links.retainOnly(keep);
    }

    private Proposal withHints(Proposal planned) {
        return planned == null ? null : planned.withJoinerHints(j -> joinHints.getOrDefault(j, NO_HINT));
    }

    private void awaitState(Proposal p) {
        stateViewId = p.newViewId();
        expectedDonor = p.donorFor(self);
        expectedOffset = 0;
    }

    private void requestSnapshots(Proposal p) {
        for (int i = 0; i < p.joiners().size(); i++) {
            if (p.donors().get(i).equals(self)) {
                effects.add(new Effect.SnapshotRequested(p.joiners().get(i), p.newViewId(), p.joinerHints().get(i)));
            }
        }
    }

    private void onStateChunk(MemberId from, ProtocolMessage.StateChunk s) {
        if (stateful || s.viewId() != stateViewId || !from.equals(expectedDonor) || s.offset() != expectedOffset) {
            counters.increment(Kind.UNEXPECTED_STATE_CHUNK);
            return;
        }
        effects.add(new Effect.StateChunkReceived(s.viewId(), s.offset(), s.bytes(), s.last()));
        expectedOffset += s.bytes().length;
        if (s.last()) {
            stateful = true;
            statefulMembers.add(self);
            effects.add(new Effect.ViewInstalled(view));
            sendPending();
        }
    }

    /** This member is not in the next view: it left (if it asked to) or was excluded. */
    private void leaveView(Proposal p) {
        if (leaveRequested && stateful && messages.holds(p.cutFrontiers(), p.cutOrderPrefix())) {
            messages.deliverCut(p.cutFrontiers(), p.cutOrderPrefix(), p.cutOrderTail(), this::deliver);
        }
        exit(leaveRequested ? Status.LEFT : Status.EXCLUDED);
    }

    private void exit(Status terminal) {
        failConfirmations();
        long lastView = currentViewId();
        if (messages != null) {
            for (long id : messages.undeliveredOwn()) {
                effects.add(new Effect.MulticastAborted(id, MulticastOutcome.UNKNOWN));
            }
        }
        for (PendingSend s : pendingSends) {
            effects.add(new Effect.MulticastAborted(s.localId(), MulticastOutcome.NOT_SENT));
        }
        pendingSends.clear();
        status = terminal;
        effects.add(terminal == Status.LEFT ? new Effect.Left(lastView) : new Effect.Excluded(lastView));
        links.retainOnly(Set.of());
        deferred.clear();
        selfQueue.clear();
        attempt = null;
    }

    // =====================================================================================
    // Sending and delivering
    // =====================================================================================

    private void sendPending() {
        if (status != Status.MEMBER || !stateful || messages.wedged()) {
            return;
        }
        while (!pendingSends.isEmpty()) {
            PendingSend s = pendingSends.poll();
            messages.send(s.order(), s.payload(), s.localId());
            effects.add(new Effect.Sent(s.localId(), view.viewId(), s.order()));
        }
    }

    private void deliver(MulticastMessage m) {
        MemberId sender = view.members().get(m.senderRank());
        effects.add(new Effect.Deliver(sender, view.viewId(), m.order(), m.payload(),
                sender.equals(self) ? m.localId() : -1));
    }

    private void deliverReady() {
        if (status == Status.MEMBER && stateful) {
            messages.deliverReady(this::deliver);
        }
    }

    private void finishConfirmations() {
        if (!confirmations.isEmpty() && stateful && !messages.wedged()) {
            boolean unchecked = config.variant() == ProtocolVariant.READS_WITHOUT_CONFIRMATION;
            for (long token : confirmations.takeSucceeded(unchecked ? 1 : view.majority(),
                    unchecked ? Long.MAX_VALUE : messages.totalDelivered())) {
                effects.add(new Effect.ViewConfirmed(token, view.viewId()));
            }
        }
    }

    private void failConfirmations() {
        for (long token : confirmations.takeAll()) {
            effects.add(new Effect.ViewConfirmFailed(token));
        }
    }

    private void sendTo(MemberId to, ProtocolMessage m) {
        if (to.equals(self)) {
            selfQueue.add(m);
            return;
        }
        ReliableLink link = links.to(to);
        effects.add(new Effect.Send(to, link.send(FrameCodec.encodeMessage(m), retransmitRound)));
    }

    private void broadcast(ProtocolMessage m) {
        byte[] bytes = null;
        for (MemberId to : view.members()) {
            if (!to.equals(self)) {
                if (bytes == null) {
                    bytes = FrameCodec.encodeMessage(m);
                }
                effects.add(new Effect.Send(to, links.to(to).send(bytes, retransmitRound)));
            }
        }
    }

    /** Runs messages this member sent itself (a leader is also an acceptor) until none is left. */
    private void settle() {
        while (!selfQueue.isEmpty()) {
            dispatch(self, selfQueue.poll());
        }
    }

    /** Packs what accumulated into as few messages as possible: the batching point of the core. */
    private void flushOutput() {
        settle();
        if (status == Status.MEMBER) {
            for (ProtocolMessage.Data d : messages.takeOutgoing(config.maxBatchMessages(), config.maxBatchBytes())) {
                broadcast(d);
            }
            ProtocolMessage.Order order = messages.takeOrder();
            if (order != null) {
                broadcast(order);
            }
            deliverReady();
            finishConfirmations();
            ProtocolMessage.Ack ack = messages.takeAck(stateful);
            if (ack != null && view.size() > 1) {
                broadcast(ack);
            }
        }
        for (ReliableLink link : links.all()) {
            if (link.ackOwed()) {
                effects.add(new Effect.Send(link.peer(), link.ackFrame()));
            }
        }
        if (!retransmitTimerSet && (links.anyUnacked() || (status == Status.MEMBER && isWedged()))) {
            retransmitTimerSet = true;
            effects.add(new Effect.SetTimer(TimerKind.RETRANSMIT, config.retransmitMillis()));
        }
    }

    private void setJoinTimer() {
        if (!joinTimerSet) {
            joinTimerSet = true;
            effects.add(new Effect.SetTimer(TimerKind.JOIN_RETRY, config.joinRetryMillis()));
        }
    }

    private void requireStatus(Status expected) {
        if (status != expected) {
            throw new IllegalStateException(self + " is " + status + ", expected " + expected);
        }
    }

    @Override
    public String toString() {
        return "GroupMember[" + self + " " + status + " " + view + (isWedged() ? " wedged" : "") + "]";
    }
}
