package io.cohort.simulation;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.Effect;
import io.cohort.protocol.GroupMember;
import io.cohort.protocol.ProtocolConfig;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * One simulated host: the protocol core of its current incarnation, a tiny application whose
 * state is the set of message ids it has delivered, a heartbeat failure detector, and the
 * recording of everything it does into the run's {@link History}. It plays the role the real
 * runtime plays: it carries out the core's effects.
 */
final class SimNode extends GroupHost {

    /** Small chunks, so that even small states are streamed in several pieces. */
    static final int STATE_CHUNK_BYTES = 48;

    private final Simulation sim;
    private final History history;

    private final TreeSet<String> appState = new TreeSet<>();
    private final ByteArrayOutputStream incomingState = new ByteArrayOutputStream();
    private final Map<Long, String> localIds = new HashMap<>();
    private long sendCounter;
    /** A state transfer just completed: the next view installation is the joiner's first. */
    private boolean stateCompleted;

    SimNode(String name, Simulation sim, ProtocolConfig config, History history) {
        super(name, sim.events(), config);
        this.sim = sim;
        this.history = history;
    }

    GroupMember core() {
        return member();
    }

    // ------------------------------------------------------------------ lifecycle

    void bootstrap(View initial) {
        startIncarnation().bootstrap(initial);
        pump();
    }

    /** Starts the next incarnation of this host and asks to join. */
    void startAndJoin() {
        startIncarnation().join();
        pump();
    }

    @Override
    protected void onNewIncarnation(MemberId self) {
        appState.clear();
        incomingState.reset();
        localIds.clear();
        sendCounter = 0;
        stateCompleted = false;
    }

    void crash() {
        if (stop()) {
            history.record(new HistoryEvent.Crashed(member().self()));
        }
    }

    void leave() {
        member().leave();
        pump();
    }

    void multicast(DeliveryOrder order) {
        GroupMember core = member();
        String id = core.self() + ":" + (++sendCounter);
        history.record(new HistoryEvent.MulticastRequested(core.self(), id, order));
        long localId = core.multicast(order, id.getBytes(StandardCharsets.UTF_8));
        localIds.put(localId, id);
        pump();
    }

    // ------------------------------------------------------------------ effects

    @Override
    protected void sendHeartbeat(MemberId to) {
        sim.sendHeartbeat(this, to);
    }

    @Override
    protected void carryOut(Effect e) {
        MemberId me = member().self();
        if (e instanceof Effect.Send s) {
            sim.sendFrame(this, s.to(), s.frame());
        } else if (e instanceof Effect.SendToSeeds s) {
            sim.sendToSeeds(this, s.frame());
        } else if (e instanceof Effect.SetTimer t) {
            setTimer(t);
        } else if (e instanceof Effect.Deliver d) {
            String id = new String(d.payload(), StandardCharsets.UTF_8);
            appState.add(id);
            history.record(new HistoryEvent.Delivered(me, id, d.sender(), d.order(), d.viewId()));
        } else if (e instanceof Effect.Sent s) {
            history.record(new HistoryEvent.Sent(me, localIds.get(s.localId()), s.order(), s.viewId()));
        } else if (e instanceof Effect.ViewInstalled v) {
            if (stateCompleted) {
                history.record(new HistoryEvent.StateTransferred(me, v.view().viewId(), appState));
                stateCompleted = false;
            }
            history.record(new HistoryEvent.ViewInstalled(me, v.view().viewId(), v.view().members()));
        } else if (e instanceof Effect.SnapshotRequested r) {
            streamState(r.joiner(), r.viewId());
        } else if (e instanceof Effect.StateChunkReceived c) {
            if (c.offset() == 0) {
                incomingState.reset();
            }
            incomingState.writeBytes(c.bytes());
            if (c.last()) {
                restoreState();
            }
        } else if (e instanceof Effect.Excluded x) {
            history.record(new HistoryEvent.Excluded(me, x.lastViewId()));
            sim.scheduleRestart(this);
        } else if (e instanceof Effect.Left l) {
            history.record(new HistoryEvent.Left(me, l.lastViewId()));
            sim.scheduleRestart(this);
        }
        // Wedged and MulticastAborted need no action from this application.
    }

    private void streamState(MemberId joiner, long viewId) {
        byte[] state = String.join("\n", appState).getBytes(StandardCharsets.UTF_8);
        int offset = 0;
        do {
            int len = Math.min(STATE_CHUNK_BYTES, state.length - offset);
            byte[] chunk = Arrays.copyOfRange(state, offset, offset + len);
            offset += len;
            member().sendStateChunk(joiner, viewId, chunk, offset >= state.length);
        } while (offset < state.length);
    }

    private void restoreState() {
        appState.clear();
        String text = incomingState.toString(StandardCharsets.UTF_8);
        if (!text.isEmpty()) {
            appState.addAll(Arrays.asList(text.split("\n")));
        }
        incomingState.reset();
        stateCompleted = true;
    }
}
