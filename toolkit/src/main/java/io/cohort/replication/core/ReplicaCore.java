package io.cohort.replication.core;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;
import io.cohort.api.View;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The replicated-state-machine logic of one replica, without I/O: it turns client requests into
 * entries to multicast, applies delivered entries to the {@link AppliedState}, answers the clients
 * that asked here, serves reads, runs the handler side of primary-backup and coordinator-cohort,
 * and compares state hashes. The real runtime ({@code io.cohort.replication.Replica}) and the
 * simulator's test kit drive the same class, so what the simulator checks is what runs.
 *
 * <p>Single-threaded: every method is called on the replica's apply thread, in the order the group
 * produced the events (deliveries, views, confirmations), interleaved with client requests.
 */
public final class ReplicaCore {

    /** Identifies a client command across replicas and retries. */
    private record Key(long clientId, long sequence) {
    }

    /** A linearizable read waiting for its proof. */
    private record Read(ClientRequest request, Consumer<ClientResponse> sink) {
    }

    /** A request seen in the group, waiting for its handler's update. */
    private record Watched(MemberId origin, Entry.Request request) {
    }

    private final ReplicationMode mode;
    private final RequestExecutor executor;
    private final ReplicaSettings settings;
    private final ReplicaOutput output;
    private final ReplicaObserver observer;
    private final AppliedState state;
    private final DivergenceMonitor divergence = new DivergenceMonitor();
    private final LinearizableReads<Read> reads = new LinearizableReads<>();

    private MemberId self;
    private View view;
    /** In a view with the state in place, not wedged: requests can be served. */
    private boolean serving;

    /** Clients waiting here for a command's result, by command. */
    private final Map<Key, List<Consumer<ClientResponse>>> waiters = new HashMap<>();
    /** Requests seen in the group without an applied update yet (primary-backup, coordinator-cohort). */
    private final LinkedHashMap<Key, Watched> watched = new LinkedHashMap<>();
    /** Requests this member must execute, in arrival order. */
    private final ArrayDeque<Key> toExecute = new ArrayDeque<>();
    /** Requests this member executed whose update has not come back yet. */
    private final Set<Key> executedHere = new HashSet<>();
    /**
     * Primary-backup: results of updates applied here ahead of their delivery, all produced by
     * {@link #speculativeOwner}: the primary itself, or a joiner whose snapshot came from a primary
     * (it inherits the primary's lead, and confirms those updates as they are delivered).
     */
    private final Map<Key, StoredResult> speculative = new LinkedHashMap<>();
    private MemberId speculativeOwner;
    /** Primary-backup primary: confirmed reads waiting until no update is applied ahead of delivery. */
    private final List<Read> awaitingQuiescence = new ArrayList<>();
    /** Work that needs a state with no update applied ahead of delivery (checkpoints); pauses execution. */
    private final List<Runnable> quiescenceActions = new ArrayList<>();
    private final DurabilityGate durability = new DurabilityGate();
    /** Commands and updates delivered so far: the log sequence of the last one. */
    private long logSequence;
    /** Last own log progress multicast to the group. */
    private long announcedLogProgress;
    /** Applying entries from a log (recovery, catch-up): nothing is multicast and nobody is answered. */
    private boolean replaying;

    /**
     * @param mode     how requests become updates
     * @param machine  the user's state machine, in its initial state
     * @param executor executes requests in primary-backup and coordinator-cohort modes; may be null for active
     * @param settings tunables
     * @param output   the group and clock
     * @param observer hooks for metrics and tests
     */
    public ReplicaCore(ReplicationMode mode, StateMachine machine, RequestExecutor executor, ReplicaSettings settings,
                       ReplicaOutput output, ReplicaObserver observer) {
        this.mode = Objects.requireNonNull(mode, "mode");
        if (mode != ReplicationMode.ACTIVE && executor == null) {
            throw new IllegalArgumentException(mode + " needs a RequestExecutor");
        }
        this.executor = executor;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.output = Objects.requireNonNull(output, "output");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.state = new AppliedState(Objects.requireNonNull(machine, "machine"), settings);
    }

    // =====================================================================================
    // Group events
    // =====================================================================================

    /**
     * A new incarnation of this member starts (before it joins).
     *
     * @param self the incarnation
     */
    public void onIncarnation(MemberId self) {
        this.self = self;
    }

    /**
     * A view is installed here (for a joiner, after {@link #readSnapshot}).
     *
     * @param next the view
     */
    public void onView(View next) {
        if (!speculative.isEmpty() && !next.contains(speculativeOwner)) {
            // The primary whose updates this state includes ahead of delivery is gone, and the flush
            // delivered all of its updates any survivor held: the rest were dropped, so this state
            // holds updates the group does not. Only a fresh state can repair it.
            String reason = "this replica's state holds " + speculative.size() + " update(s) of " + speculativeOwner
                    + ", which is not in view " + next.viewId() + ", that the group dropped";
            abandonSpeculation();
            output.resync(reason);
            return;
        }
        view = next;
        serving = true;
        durability.viewInstalled(next);
        // Members new to the view have heard nothing from this one: announce the log progress again.
        announcedLogProgress = 0;
        // executedHere survives the view change: an update this member sent is delivered in the old
        // view or, if sent while wedged, in this one (a live sender's messages are never dropped).
        toExecute.clear();
        // Handlers may have left: every member recomputes, and the new handlers take over.
        for (Map.Entry<Key, Watched> e : watched.entrySet()) {
            if (self.equals(handlerOf(e.getKey()))) {
                toExecute.add(e.getKey());
            }
        }
        executePending();
    }

    /**
     * The group is agreeing on the next view: nothing is delivered until it is installed, and
     * handlers stop executing (the next view may give the request to another member).
     *
     * @param viewId the view being closed
     */
    public void onFlush(long viewId) {
        serving = false;
    }

    /**
     * This incarnation is out of the group (excluded, left, or closing): every client waiting here
     * is told to retry elsewhere. Its state is discarded by the next state transfer.
     */
    public void onExit() {
        serving = false;
        view = null;
        long viewId = 0;
        for (Map.Entry<Key, List<Consumer<ClientResponse>>> e : waiters.entrySet()) {
            for (Consumer<ClientResponse> sink : e.getValue()) {
                sink.accept(new ClientResponse(e.getKey().clientId(), e.getKey().sequence(), ResponseStatus.RETRY,
                        viewId, utf8("the replica left the group before the command completed; retry elsewhere")));
                observer.rejected(ResponseStatus.RETRY);
            }
        }
        waiters.clear();
        durability.exited();
        announcedLogProgress = 0;
        quiescenceActions.clear();
        for (Read r : reads.takeAll()) {
            failRead(r, ResponseStatus.RETRY, "the replica left the group");
        }
        for (Read r : awaitingQuiescence) {
            failRead(r, ResponseStatus.RETRY, "the replica left the group");
        }
        awaitingQuiescence.clear();
        watched.clear();
        toExecute.clear();
        executedHere.clear();
        speculative.clear();
        speculativeOwner = null;
        divergence.reset();
    }

    private void abandonSpeculation() {
        serving = false;
        view = null;
        for (Key key : speculative.keySet()) {
            List<Consumer<ClientResponse>> sinks = waiters.remove(key);
            if (sinks != null) {
                for (Consumer<ClientResponse> sink : sinks) {
                    respond(sink, key, new StoredResult(ResponseStatus.RETRY,
                            utf8("the replica is re-syncing its state; retry elsewhere")));
                }
            }
        }
        speculative.clear();
        speculativeOwner = null;
        quiescenceActions.clear();
    }

    /**
     * A multicast is delivered here.
     *
     * @param sender  the member that multicast it
     * @param viewId  the view it is delivered in
     * @param payload the encoded entry
     * @throws EntryCodec.MalformedEntryException if the payload is not an entry (nothing changes)
     */
    public void onDelivery(MemberId sender, long viewId, byte[] payload) {
        Entry entry = EntryCodec.decode(payload);
        if (entry instanceof Entry.Command || entry instanceof Entry.Update) {
            deliverLogged(sender, viewId, payload, entry);
        } else if (entry instanceof Entry.Request r) {
            onRequest(sender, r);
        } else if (entry instanceof Entry.LogProgress p) {
            if (view != null && view.contains(sender)) {
                durability.reported(sender.name(), p.sequence());
            }
        } else if (entry instanceof Entry.HashReport h) {
            if (!sender.equals(self) && view != null) {
                noteDivergence(divergence.report(sender.name(), h.index(), h.hash(), view.majority(), observer));
            }
        }
    }

    /** A command or update takes the next log sequence, goes to the log (write-ahead), then applies. */
    private void deliverLogged(MemberId sender, long viewId, byte[] payload, Entry entry) {
        logSequence++;
        if (!replaying) {
            output.append(logSequence, viewId, sender, payload);
        }
        if (entry instanceof Entry.Command c) {
            AppliedState.Outcome o = state.offer(sender, viewId, c.clientId(), c.sequence(), c.firstUnacknowledged(),
                    c.timeMillis(), false, c.payload());
            applied(o, c.clientId(), c.sequence());
        } else {
            onUpdate(sender, viewId, (Entry.Update) entry);
        }
    }

    /**
     * A view-confirmation round succeeded; every delivery it covers came before this call.
     *
     * @param token  the round
     * @param viewId the view confirmed
     */
    public void onViewConfirmed(long token, long viewId) {
        List<Read> done = reads.finish(token);
        if (mode == ReplicationMode.PRIMARY_BACKUP && !speculative.isEmpty()) {
            // The primary's state runs ahead of delivery; answer once it does not, pausing execution meanwhile.
            awaitingQuiescence.addAll(done);
        } else {
            for (Read r : done) {
                answerRead(r);
            }
        }
        startNextRound();
    }

    /**
     * A view-confirmation round failed.
     *
     * @param token the round
     */
    public void onViewNotConfirmed(long token) {
        for (Read r : reads.finish(token)) {
            failRead(r, ResponseStatus.UNAVAILABLE,
                    "this replica could not prove it is in the current view; retry elsewhere");
        }
        startNextRound();
    }

    // =====================================================================================
    // Durability
    // =====================================================================================

    /**
     * Answers (command results, linearizable reads) wait until a majority of the view holds the
     * commands they depend on in its command log. Durability levels LOG and SYNC turn this on.
     */
    public void requireDurableAnswers() {
        durability.enable();
    }

    /**
     * This member's command log now holds everything through {@code sequence} (appended, and
     * synced where the durability level asks for it). Tells the group, once per call at most.
     *
     * @param sequence the last log sequence held
     */
    public void onLogProgress(long sequence) {
        if (!durability.enabled() || self == null) {
            return;
        }
        durability.reported(self.name(), sequence);
        if (view != null && sequence > announcedLogProgress) {
            announcedLogProgress = sequence;
            output.multicast(DeliveryOrder.FIFO, EntryCodec.encode(new Entry.LogProgress(sequence)));
        }
    }

    /** @return whether this primary's state includes updates not yet delivered (so not in any log) */
    public boolean appliedAheadOfDelivery() {
        return !speculative.isEmpty();
    }

    /** @return the log sequence of the last command or update delivered (or replayed) here */
    public long logSequence() {
        return logSequence;
    }

    /**
     * @return the highest log sequence any member of the view has reported holding, or this
     *         member's own when no member reports (answers not held back); how far this replica
     *         trails the group is the difference to {@link #logSequence()}
     */
    public long groupLogSequence() {
        return Math.max(logSequence, durability.highestReported());
    }

    /** @return the highest log sequence a majority of the view holds in its logs (all, if answers are not held back) */
    public long durableThrough() {
        return durability.durableThrough();
    }

    /**
     * Applies a command or update read from a log (after a restart, or sent by a peer to catch up)
     * as if delivered: nothing is multicast and nobody is answered.
     *
     * @param sequence its log sequence; must be the next one
     * @param sender   the member that multicast it
     * @param viewId   the view it was delivered in
     * @param payload  the encoded entry
     * @param append   whether to hand it to {@link ReplicaOutput#append} (a peer's entry) or not (read from the own log)
     * @throws IllegalArgumentException if the sequence is not the next one or the entry is not a command or update
     */
    public void replay(long sequence, MemberId sender, long viewId, byte[] payload, boolean append) {
        if (sequence != logSequence + 1) {
            throw new IllegalArgumentException("log sequence " + sequence + " does not follow " + logSequence);
        }
        Entry entry = EntryCodec.decode(payload);
        if (!(entry instanceof Entry.Command) && !(entry instanceof Entry.Update)) {
            throw new IllegalArgumentException("a " + entry.getClass().getSimpleName() + " is not a logged entry");
        }
        replaying = !append;
        try {
            deliverLogged(sender, viewId, payload, entry);
        } finally {
            replaying = false;
        }
    }

    /**
     * Runs {@code action} at the next point where the state includes nothing applied ahead of its
     * delivery: at once, except at a primary with updates in flight, whose execution then pauses
     * until they are delivered. Checkpoints are taken there, so a checkpoint never holds an update
     * the group could still drop.
     *
     * @param action what to run, on the caller's thread
     */
    public void atDeliveredState(Runnable action) {
        if (speculative.isEmpty()) {
            action.run();
        } else {
            quiescenceActions.add(action);
        }
    }

    // =====================================================================================
    // Clients
    // =====================================================================================

    /**
     * A client command arrived here.
     *
     * @param request the command
     * @param sink    receives the response, exactly once
     */
    public void submit(ClientRequest request, Consumer<ClientResponse> sink) {
        if (view == null) {
            // During a flush the view is still set: the multicast waits in the group for the next view.
            sink.accept(ClientResponse.failure(request, ResponseStatus.RETRY, viewId(),
                    "this replica is not in the group (joining, or excluded); retry elsewhere"));
            observer.rejected(ResponseStatus.RETRY);
            return;
        }
        Key key = new Key(request.clientId(), request.sequence());
        StoredResult settled = settledAnswer(key, request.firstUnacknowledged());
        if (settled != null) {
            respond(sink, key, settled);
            return;
        }
        // In flight here already, or applied by this primary ahead of its delivery: the answer
        // comes with the delivery (the group could still drop an update not yet delivered).
        boolean inFlight = waiters.containsKey(key) || speculative.containsKey(key);
        waiters.computeIfAbsent(key, k -> new ArrayList<>()).add(sink);
        if (inFlight) {
            return;
        }
        observer.submitted();
        long now = output.nowMillis();
        if (mode == ReplicationMode.ACTIVE) {
            output.multicast(DeliveryOrder.SAFE, EntryCodec.encode(new Entry.Command(key.clientId(), key.sequence(),
                    request.firstUnacknowledged(), now, request.payload())));
        } else {
            output.multicast(DeliveryOrder.FIFO, EntryCodec.encode(new Entry.Request(key.clientId(), key.sequence(),
                    request.firstUnacknowledged(), now, request.payload())));
        }
    }

    /**
     * A client query arrived here. Never enters the command sequence.
     *
     * @param request the query
     * @param sink    receives the response, exactly once
     */
    public void query(ClientRequest request, Consumer<ClientResponse> sink) {
        Read read = new Read(request, sink);
        if (view == null) {
            failRead(read, ResponseStatus.RETRY, "this replica holds no state yet; retry elsewhere");
            return;
        }
        if (request.consistency() == ReadConsistency.STALE) {
            answerRead(read);
            return;
        }
        long token = reads.add(read);
        if (token != 0) {
            output.confirmView(token);
        }
    }

    // =====================================================================================
    // Snapshots and state
    // =====================================================================================

    /**
     * Writes the replicated state for a joiner (or a checkpoint): a primary's updates applied ahead
     * of delivery, the requests still waiting for a handler (so that a joiner can take them over),
     * then the applied state.
     *
     * @param out where to write; not closed
     * @throws IOException if writing fails
     */
    public void writeSnapshot(DataOutputStream out) throws IOException {
        writeHead(out);
        state.writeSnapshot(out);
    }

    /** Everything of a snapshot before the applied state: log sequence, updates ahead, watched requests. */
    private void writeHead(DataOutputStream out) throws IOException {
        out.writeLong(logSequence);
        // A primary's state may include updates not yet delivered (the joiner will see them
        // delivered, or, if the group drops them, learn so at the next view and re-sync): they go
        // with the state, so the joiner confirms them instead of applying them twice.
        out.writeInt(speculative.size());
        if (!speculative.isEmpty()) {
            out.writeUTF(speculativeOwner.name());
            out.writeLong(speculativeOwner.incarnation());
            for (Map.Entry<Key, StoredResult> e : speculative.entrySet()) {
                out.writeLong(e.getKey().clientId());
                out.writeLong(e.getKey().sequence());
                out.writeByte(e.getValue().status().ordinal());
                out.writeInt(e.getValue().payload().length);
                out.write(e.getValue().payload());
            }
        }
        out.writeInt(watched.size());
        for (Watched w : watched.values()) {
            out.writeUTF(w.origin().name());
            out.writeLong(w.origin().incarnation());
            byte[] bytes = EntryCodec.encode(w.request());
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    /**
     * Captures the replicated state for a checkpoint, to be written later on another thread while
     * this core goes on applying. Call it from {@link #atDeliveredState}: the capture then holds no
     * update applied ahead of its delivery. The small parts (log sequence, watched requests,
     * sessions) are copied now; the machine's state is captured with
     * {@link io.cohort.api.ConcurrentSnapshots} if it supports that, otherwise copied into memory now.
     *
     * @return the captured state, in the format of {@link #writeSnapshot}
     * @throws IOException if the machine cannot write its state
     */
    public CapturedState captureState() throws IOException {
        if (!speculative.isEmpty()) {
            throw new IllegalStateException("capture the state only where nothing is applied ahead of delivery");
        }
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(head);
        writeHead(data);
        data.flush();
        return new CapturedState(head.toByteArray(), state.capture(), logSequence, state.appliedIndex(), viewId());
    }

    /**
     * Replaces the replicated state with one written by {@link #writeSnapshot}.
     *
     * @param in where to read
     * @throws IOException if the bytes are not a replica snapshot
     */
    public void readSnapshot(DataInputStream in) throws IOException {
        long sequence = in.readLong();
        if (sequence < 0) {
            throw new IOException("negative log sequence " + sequence + " in a replica snapshot");
        }
        logSequence = sequence;
        announcedLogProgress = 0;
        speculative.clear();
        speculativeOwner = null;
        int ahead = in.readInt();
        if (ahead < 0) {
            throw new IOException("negative update count " + ahead + " in a replica snapshot");
        }
        if (ahead > 0) {
            speculativeOwner = MemberId.of(in.readUTF(), in.readLong());
            ResponseStatus[] statuses = ResponseStatus.values();
            for (int i = 0; i < ahead; i++) {
                Key key = new Key(in.readLong(), in.readLong());
                int status = in.readUnsignedByte();
                int length = in.readInt();
                if (status >= statuses.length || length < 0) {
                    throw new IOException("bad update result in a replica snapshot");
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                speculative.put(key, new StoredResult(statuses[status], payload));
            }
        }
        watched.clear();
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("negative request count " + count + " in a replica snapshot");
        }
        for (int i = 0; i < count; i++) {
            MemberId origin = MemberId.of(in.readUTF(), in.readLong());
            int length = in.readInt();
            if (length < 0) {
                throw new IOException("negative entry length " + length + " in a replica snapshot");
            }
            byte[] bytes = new byte[length];
            in.readFully(bytes);
            Entry e;
            try {
                e = EntryCodec.decode(bytes);
            } catch (IllegalArgumentException ex) {
                throw new IOException("bad request in a replica snapshot: " + ex.getMessage(), ex);
            }
            if (!(e instanceof Entry.Request r)) {
                throw new IOException("a replica snapshot lists a " + e.getClass().getSimpleName() + " as a request");
            }
            watched.put(new Key(r.clientId(), r.sequence()), new Watched(origin, r));
        }
        state.readSnapshot(in);
        divergence.reset();
    }

    /** @return the replicated state (index, clock, sessions, machine) */
    public AppliedState state() {
        return state;
    }

    /** @return the current view, or null */
    public View view() {
        return view;
    }

    /** @return this member's role in the current view: "primary", "backup", "handler" or "replica" */
    public String role() {
        if (view == null) {
            return "none";
        }
        return mode.roleOf(view.coordinator().equals(self));
    }

    // =====================================================================================
    // Primary-backup and coordinator-cohort
    // =====================================================================================

    private MemberId handlerOf(Key key) {
        List<MemberId> members = view.members();
        if (mode == ReplicationMode.PRIMARY_BACKUP) {
            return members.get(0);
        }
        return members.get((int) Long.remainderUnsigned(mix(key.clientId() * 31 + key.sequence()), members.size()));
    }

    /** SplitMix64's finaliser: consecutive sequences land on different ranks. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private void onRequest(MemberId origin, Entry.Request r) {
        Key key = new Key(r.clientId(), r.sequence());
        StoredResult settled = settledAnswer(key, r.firstUnacknowledged());
        if (settled != null) {
            // Already decided (a retry of an applied command): whoever waits here gets that answer.
            resolveWaiters(key, settled);
            return;
        }
        if (state.classify(key.clientId(), key.sequence(), r.firstUnacknowledged()) != SessionTable.Verdict.NEW) {
            // Applied ahead of delivery by the primary (answered when its update is delivered), or
            // looks expired here: the client's retry decides it once this replica has caught up.
            return;
        }
        if (watched.putIfAbsent(key, new Watched(origin, r)) == null && view != null && self.equals(handlerOf(key))) {
            toExecute.add(key);
            executePending();
        }
    }

    /**
     * The answer for a command this replica's session table has settled for good (applied, or
     * applied and acknowledged), or null: the command is new here, was applied here only ahead of
     * its delivery (its answer waits for the delivery), or looks expired, which a replica lagging
     * behind the client's first command also sees, so only the log can decide it. Reads the table
     * without changing it: requests reach replicas in different orders.
     */
    private StoredResult settledAnswer(Key key, long firstUnacknowledged) {
        SessionTable.Verdict verdict = state.classify(key.clientId(), key.sequence(), firstUnacknowledged);
        if (verdict == SessionTable.Verdict.NEW || verdict == SessionTable.Verdict.EXPIRED
                || speculative.containsKey(key)) {
            return null;
        }
        if (verdict == SessionTable.Verdict.DUPLICATE) {
            observer.deduplicated();
        }
        return state.answerFor(verdict, key.clientId(), key.sequence());
    }

    private void onUpdate(MemberId handler, long viewId, Entry.Update u) {
        Key key = new Key(u.clientId(), u.sequence());
        watched.remove(key);
        executedHere.remove(key);
        StoredResult ahead = handler.equals(speculativeOwner) ? speculative.remove(key) : null;
        if (ahead != null) {
            // The primary applied this update when it produced it; now the group holds it everywhere.
            resolveWaiters(key, ahead);
            if (speculative.isEmpty() && (!awaitingQuiescence.isEmpty() || !quiescenceActions.isEmpty())) {
                List<Read> ready = new ArrayList<>(awaitingQuiescence);
                awaitingQuiescence.clear();
                List<Runnable> actions = new ArrayList<>(quiescenceActions);
                quiescenceActions.clear();
                ready.forEach(this::answerRead);
                actions.forEach(Runnable::run);
                executePending();
            }
            return;
        }
        AppliedState.Outcome o = state.offer(handler, viewId, u.clientId(), u.sequence(), u.firstUnacknowledged(),
                u.timeMillis(), u.failed(), u.payload());
        applied(o, u.clientId(), u.sequence());
    }

    /** Executes the requests this member handles, unless paused by a view change or waiting reads. */
    private void executePending() {
        while (serving && awaitingQuiescence.isEmpty() && quiescenceActions.isEmpty() && !toExecute.isEmpty()) {
            Key key = toExecute.poll();
            Watched w = watched.get(key);
            if (w == null || executedHere.contains(key)) {
                continue;
            }
            Entry.Request r = w.request();
            if (state.classify(key.clientId(), key.sequence(), r.firstUnacknowledged()) != SessionTable.Verdict.NEW) {
                continue;
            }
            execute(key, w);
        }
    }

    private void execute(Key key, Watched w) {
        Entry.Request r = w.request();
        long now = output.nowMillis();
        boolean primary = mode == ReplicationMode.PRIMARY_BACKUP;
        byte[] update;
        boolean failed = false;
        try {
            update = executor.execute(state.executionContext(primary ? speculative.size() : 0, view.viewId(), now,
                    w.origin()), r.payload());
            Objects.requireNonNull(update, "the RequestExecutor returned null");
            if (update.length > output.maxEntryBytes() - EntryCodec.HEADER_BYTES) {
                throw new IllegalArgumentException("the update of " + update.length + " bytes exceeds the largest entry ("
                        + output.maxEntryBytes() + " bytes)");
            }
        } catch (RuntimeException e) {
            failed = true;
            update = utf8(String.valueOf(e.getMessage()));
        }
        executedHere.add(key);
        if (primary) {
            // Apply at once, so the next request executes against a state that includes this one.
            AppliedState.Outcome o = state.offer(self, view.viewId(), r.clientId(), r.sequence(),
                    r.firstUnacknowledged(), now, failed, update);
            speculative.put(key, o.result());
            speculativeOwner = self;
            afterApply(o, r.clientId(), r.sequence());
        }
        output.multicast(DeliveryOrder.SAFE, EntryCodec.encode(new Entry.Update(r.clientId(), r.sequence(),
                r.firstUnacknowledged(), now, failed, update)));
    }

    // =====================================================================================
    // Applying and answering
    // =====================================================================================

    private void applied(AppliedState.Outcome o, long clientId, long sequence) {
        if (o.verdict() == SessionTable.Verdict.DUPLICATE) {
            observer.deduplicated();
        }
        afterApply(o, clientId, sequence);
        resolveWaiters(new Key(clientId, sequence), o.result());
    }

    private void afterApply(AppliedState.Outcome o, long clientId, long sequence) {
        if (o.verdict() != SessionTable.Verdict.NEW) {
            return;
        }
        long index = state.appliedIndex();
        observer.applied(clientId, sequence, index);
        if (!replaying && settings.hashIntervalCommands() > 0 && index % settings.hashIntervalCommands() == 0
                && o.result().status() == ResponseStatus.OK) {
            long hash;
            try {
                hash = state.hash();
            } catch (RuntimeException e) {
                // The machine could not write its state: skip this check rather than abandon the
                // delivery half-way (its clients would never be answered here).
                observer.hashFailed(index, e);
                return;
            }
            observer.hashed(index, hash);
            output.multicast(DeliveryOrder.FIFO, EntryCodec.encode(new Entry.HashReport(index, hash)));
            if (view != null) {
                noteDivergence(divergence.own(index, hash, view.majority(), observer));
            }
        }
    }

    private void noteDivergence(DivergenceMonitor.Verdict v) {
        if (v != null) {
            output.divergent(v.index(), v.ownHash(), v.agreedHash());
        }
    }

    private void resolveWaiters(Key key, StoredResult result) {
        List<Consumer<ClientResponse>> sinks = waiters.remove(key);
        if (sinks != null) {
            for (Consumer<ClientResponse> sink : sinks) {
                respond(sink, key, result);
            }
        }
    }

    private void respond(Consumer<ClientResponse> sink, Key key, StoredResult result) {
        if (result.status() != ResponseStatus.OK) {
            observer.rejected(result.status());
        }
        ClientResponse response = new ClientResponse(key.clientId(), key.sequence(), result.status(), viewId(),
                result.payload());
        boolean revealsState = result.status() == ResponseStatus.OK || result.status() == ResponseStatus.APPLICATION_ERROR;
        if (!revealsState || !durability.enabled()) {
            sink.accept(response);
            return;
        }
        // The result reveals the state through the current log sequence: it waits until a
        // majority holds that much, so that no total failure can take back what a client saw.
        durability.whenDurable(logSequence, () -> sink.accept(response), () -> sink.accept(new ClientResponse(
                key.clientId(), key.sequence(), ResponseStatus.RETRY, 0,
                utf8("the replica left the group before the command was durable; retry elsewhere"))));
    }

    private void answerRead(Read r) {
        StoredResult answer = state.query(r.request().payload());
        observer.readAnswered(r.request().consistency());
        ClientResponse response = new ClientResponse(r.request().clientId(), r.request().sequence(), answer.status(),
                viewId(), answer.payload());
        if (r.request().consistency() == ReadConsistency.STALE || !durability.enabled()) {
            r.sink().accept(response);
            return;
        }
        durability.whenDurable(logSequence, () -> r.sink().accept(response),
                () -> r.sink().accept(ClientResponse.failure(r.request(), ResponseStatus.RETRY, 0,
                        "the replica left the group before the state it read was durable; retry elsewhere")));
    }

    private void failRead(Read r, ResponseStatus status, String reason) {
        observer.rejected(status);
        r.sink().accept(ClientResponse.failure(r.request(), status, viewId(), reason));
    }

    private void startNextRound() {
        long token = reads.next();
        if (token != 0) {
            output.confirmView(token);
        }
    }

    private long viewId() {
        return view == null ? 0 : view.viewId();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
