package io.cohort.simulation.replica;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;
import io.cohort.api.View;
import io.cohort.protocol.Effect;
import io.cohort.protocol.GroupMember;
import io.cohort.protocol.ProtocolConfig;
import io.cohort.simulation.GroupHost;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.core.Entry;
import io.cohort.replication.core.EntryCodec;
import io.cohort.replication.core.ReplicaCore;
import io.cohort.replication.core.ReplicaObserver;
import io.cohort.replication.core.ReplicaOutput;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.runtime.ChunkingOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One simulated replica host: the protocol core and the {@link ReplicaCore} of its current
 * incarnation (each with a fresh user state machine), a heartbeat failure detector, state transfer
 * in small chunks, and the recording of what the replica applies and answers. It plays the part
 * the real runtime plays: it carries out the protocol core's effects and feeds the replica core.
 */
final class ReplicaNode extends GroupHost {

    /** Small chunks, so that every snapshot travels in several pieces. */
    static final int STATE_CHUNK_BYTES = 64;
    /** How long a linearizable read's confirmation round may take before the host fails it. */
    static final long READ_TIMEOUT_MILLIS = 1000;

    /** A response on its way to a client, with what the checks need to know about who gave it. */
    record Answer(ClientResponse response, MemberId replica, long appliedIndex) {
    }

    private record Key(long clientId, long sequence) {
    }

    private final ReplicaSimulation sim;
    private final ReplicaSettings settings;
    /** This host's clock runs a little ahead of simulated time: entries carry different clocks. */
    private final long clockSkew;

    private ReplicaCore replica;
    private StateMachine machine;
    /** Leaving because the core found this replica diverged: comes straight back as the next incarnation. */
    private boolean rejoining;
    private final ByteArrayOutputStream incomingState = new ByteArrayOutputStream();
    private final Set<Long> openRounds = new HashSet<>();
    /** Applied index of the last apply seen: an apply that does not move it was a failed execution. */
    private long lastIndex;
    /** Primary-backup: the update being delivered, so that an apply of anything else is the primary's own, ahead of delivery. */
    private Key delivering;
    private final Set<Key> speculative = new HashSet<>();
    private final Set<String> brokenInvariants = new HashSet<>();

    ReplicaNode(String name, ReplicaSimulation sim, ProtocolConfig config, ReplicaSettings settings, long clockSkew) {
        super(name, sim.events(), config);
        this.sim = sim;
        this.settings = settings;
        this.clockSkew = clockSkew;
    }

    GroupMember group() {
        return member();
    }

    ReplicaCore replica() {
        return replica;
    }

    /** @return in a view with its state in place, not leaving: a replica that serves */
    boolean serving() {
        return up() && member().status() == GroupMember.Status.MEMBER && member().hasState() && replica.view() != null;
    }

    // ------------------------------------------------------------------ lifecycle

    void bootstrap(View initial) {
        GroupMember core = startIncarnation();
        sim.record(new ReplicaEvent.StateInPlace(core.self(), null, 0));
        core.bootstrap(initial);
        pump();
    }

    /** Starts the next incarnation of this host, with a fresh state machine, and asks to join. */
    void startAndJoin() {
        startIncarnation().join();
        pump();
    }

    @Override
    protected void onNewIncarnation(MemberId self) {
        machine = sim.workload().machines().get();
        RequestExecutor executor = sim.scenario().config().mode() == ReplicationMode.ACTIVE ? null
                : sim.workload().executors().apply(machine);
        replica = new ReplicaCore(sim.scenario().config().mode(), machine, executor, settings, new Output(member()),
                new Observer(self));
        replica.onIncarnation(self);
        rejoining = false;
        incomingState.reset();
        openRounds.clear();
        lastIndex = 0;
        delivering = null;
        speculative.clear();
        brokenInvariants.clear();
    }

    /** The process dies: nothing it held survives, and nobody waiting on it hears back. */
    void crash() {
        if (stop()) {
            sim.record(new ReplicaEvent.Stopped(member().self(), "crashed"));
        }
    }

    void leave() {
        member().leave();
        pump();
    }

    private void rejoin(long forIncarnation) {
        if (!up() || forIncarnation != incarnation() || member().status() != GroupMember.Status.MEMBER) {
            rejoining = false;
            return;
        }
        sim.record(new ReplicaEvent.Fault("rejoin", member().self() + " leaves to rejoin with a fresh state"));
        member().leave();
        pump();
    }

    // ------------------------------------------------------------------ clients

    /**
     * A client command reaches this host.
     *
     * @param reply carries the response back (called at most once, perhaps much later)
     */
    void command(ClientRequest request, Consumer<Answer> reply) {
        if (!up()) {
            return;
        }
        ReplicaCore r = replica;
        MemberId self = member().self();
        r.submit(request, response -> reply.accept(new Answer(response, self, r.state().appliedIndex())));
        pump();
    }

    /** A client query reaches this host. */
    void query(ClientRequest request, Consumer<Answer> reply) {
        if (!up()) {
            return;
        }
        ReplicaCore r = replica;
        MemberId self = member().self();
        r.query(request, response -> reply.accept(new Answer(response, self, r.state().appliedIndex())));
        pump();
    }

    // ------------------------------------------------------------------ network and timers

    @Override
    protected void sendHeartbeat(MemberId to) {
        sim.sendHeartbeat(this, to);
    }

    private void roundTimedOut(long forIncarnation, long token) {
        if (up() && forIncarnation == incarnation() && openRounds.remove(token)) {
            replica.onViewNotConfirmed(token);
            pump();
        }
    }

    // ------------------------------------------------------------------ effects

    @Override
    protected void carryOut(Effect e) {
        MemberId self = member().self();
        if (e instanceof Effect.Send s) {
            sim.sendFrame(this, s.to(), s.frame());
        } else if (e instanceof Effect.SendToSeeds s) {
            sim.sendToSeeds(this, s.frame());
        } else if (e instanceof Effect.SetTimer t) {
            setTimer(t);
        } else if (e instanceof Effect.Deliver d) {
            deliver(d);
        } else if (e instanceof Effect.ViewInstalled v) {
            sim.record(new ReplicaEvent.ViewInstalled(self, v.view().viewId(), v.view().members()));
            replica.onView(v.view());
        } else if (e instanceof Effect.Wedged w) {
            replica.onFlush(w.viewId());
        } else if (e instanceof Effect.ViewConfirmed c) {
            if (openRounds.remove(c.token())) {
                replica.onViewConfirmed(c.token(), c.viewId());
            }
        } else if (e instanceof Effect.ViewConfirmFailed c) {
            if (openRounds.remove(c.token())) {
                replica.onViewNotConfirmed(c.token());
            }
        } else if (e instanceof Effect.SnapshotRequested r) {
            streamState(r.joiner(), r.viewId());
        } else if (e instanceof Effect.StateChunkReceived c) {
            receiveChunk(c);
        } else if (e instanceof Effect.Excluded) {
            exit("excluded");
            sim.scheduleRestart(this);
        } else if (e instanceof Effect.Left) {
            exit(rejoining ? "left to rejoin" : "left");
            if (rejoining) {
                long inc = incarnation();
                sim.events().after(1, () -> {
                    if (up() && inc == incarnation()) {
                        sim.rejoined();
                        startAndJoin();
                    }
                });
            } else {
                sim.scheduleRestart(this);
            }
        }
        // Sent and MulticastAborted need nothing: the replica core learns of an exit through onExit.
    }

    private void deliver(Effect.Deliver d) {
        Key key = null;
        if (sim.scenario().config().mode() == ReplicationMode.PRIMARY_BACKUP
                && EntryCodec.decode(d.payload()) instanceof Entry.Update u) {
            key = new Key(u.clientId(), u.sequence());
        }
        sim.delivered();
        delivering = key;
        try {
            replica.onDelivery(d.sender(), d.viewId(), d.payload());
        } finally {
            delivering = null;
        }
        if (key != null && d.sender().equals(member().self()) && speculative.remove(key)) {
            sim.record(new ReplicaEvent.Confirmed(member().self(), key.clientId(), key.sequence()));
        }
    }

    private void exit(String reason) {
        replica.onExit();
        sim.record(new ReplicaEvent.Stopped(member().self(), reason));
    }

    /** Donor: the snapshot, preceded by who wrote it, streamed in small chunks as it is written. */
    private void streamState(MemberId joiner, long viewId) {
        GroupMember g = member();
        ChunkingOutputStream chunks = new ChunkingOutputStream(STATE_CHUNK_BYTES,
                (bytes, last) -> g.sendStateChunk(joiner, viewId, bytes, last));
        try {
            DataOutputStream out = new DataOutputStream(chunks);
            out.writeUTF(name());
            out.writeLong(incarnation());
            replica.writeSnapshot(out);
            out.flush();
            chunks.finish();
        } catch (IOException e) {
            // As the real runtime does: a donor that cannot write the state leaves, and the next
            // view gives the joiner another donor. The unfinished stream is never completed.
            sim.record(new ReplicaEvent.Fault("donor-refused", g.self() + ": " + e.getMessage()));
            g.leave();
        }
    }

    /** Joiner: a simulated joiner may gather the chunks in memory; the real runtime streams them. */
    private void receiveChunk(Effect.StateChunkReceived c) {
        if (c.offset() == 0) {
            incomingState.reset();
        }
        incomingState.writeBytes(c.bytes());
        if (!c.last()) {
            return;
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(incomingState.toByteArray()));
            MemberId donor = MemberId.of(in.readUTF(), in.readLong());
            replica.readSnapshot(in);
            lastIndex = replica.state().appliedIndex();
            sim.record(new ReplicaEvent.StateInPlace(member().self(), donor, lastIndex));
        } catch (IOException e) {
            throw new UncheckedIOException(member().self() + " could not restore the snapshot it received", e);
        }
        incomingState.reset();
    }

    private void checkInvariants(MemberId self, String when) {
        for (Invariant inv : sim.workload().invariants()) {
            String why = inv.check(machine);
            if (why != null && brokenInvariants.add(inv.name())) {
                sim.record(new ReplicaEvent.InvariantBroken(self, inv.name(), replica.state().appliedIndex(),
                        why + " " + when));
            }
        }
    }

    /** Checks the invariants on this replica's state as it ends the run. */
    void checkInvariantsAtEnd() {
        checkInvariants(member().self(), "at the end of the run");
    }

    // ------------------------------------------------------------------ what the replica core sees

    /** The group and clock of one incarnation; a stale incarnation's calls go nowhere. */
    private final class Output implements ReplicaOutput {
        private final GroupMember g;

        Output(GroupMember g) {
            this.g = g;
        }

        @Override
        public void multicast(DeliveryOrder order, byte[] payload) {
            if (g == member()) {
                g.multicast(order, payload);
            }
        }

        @Override
        public void confirmView(long token) {
            if (g != member()) {
                return;
            }
            openRounds.add(token);
            g.confirmView(token);
            long inc = incarnation();
            sim.events().after(READ_TIMEOUT_MILLIS, () -> roundTimedOut(inc, token));
        }

        @Override
        public void resync(String reason) {
            if (g != member()) {
                return;
            }
            sim.record(new ReplicaEvent.Fault("resync", g.self() + ": " + reason));
            if (!rejoining) {
                rejoining = true;
                long inc = incarnation();
                sim.events().after(0, () -> rejoin(inc));
            }
        }

        @Override
        public void divergent(long index, long ownHash, long agreedHash) {
            if (g != member()) {
                return;
            }
            sim.record(new ReplicaEvent.Divergent(g.self(), index, ownHash, agreedHash));
            sim.diverged();
            if (sim.scenario().config().rejoinOnDivergence() && !rejoining) {
                rejoining = true;
                long inc = incarnation();
                sim.events().after(0, () -> rejoin(inc));
            }
        }

        @Override
        public long nowMillis() {
            return sim.events().now() + clockSkew;
        }
    }

    /** Records what one incarnation applies and hashes. */
    private final class Observer implements ReplicaObserver {
        private final MemberId self;

        Observer(MemberId self) {
            this.self = self;
        }

        @Override
        public void applied(long clientId, long sequence, long index) {
            if (index == lastIndex) {
                return; // a failed execution: its error is the command's result, nothing was applied
            }
            lastIndex = index;
            Key key = new Key(clientId, sequence);
            boolean ahead = sim.scenario().config().mode() == ReplicationMode.PRIMARY_BACKUP && !key.equals(delivering);
            if (ahead) {
                speculative.add(key);
            }
            sim.record(new ReplicaEvent.Applied(self, index, clientId, sequence, ahead));
            if (sim.workload().checkInvariantsAfterEveryCommand()) {
                checkInvariants(self, "after applying " + new ReplicaLogs.Command(clientId, sequence));
            }
        }

        @Override
        public void hashed(long index, long hash) {
            sim.record(new ReplicaEvent.Hashed(self, index, hash));
        }
    }
}
