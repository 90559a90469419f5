package io.cohort.recovery;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.group.RecoveryClaim;
import io.cohort.group.StateProvider;
import io.cohort.group.StateRequest;
import io.cohort.recovery.LastViewFile.LastView;
import io.cohort.recovery.checkpoint.Checkpoint;
import io.cohort.recovery.checkpoint.CheckpointManifest;
import io.cohort.recovery.checkpoint.CheckpointMetadata;
import io.cohort.recovery.checkpoint.CheckpointStore;
import io.cohort.recovery.fs.DurableFiles;
import io.cohort.recovery.log.CommandLog;
import io.cohort.recovery.log.LogReader;
import io.cohort.recovery.log.LogRecord;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.recovery.log.LogSettings;
import io.cohort.replication.core.CapturedState;
import io.cohort.replication.core.ReplicaCore;
import io.cohort.replication.storage.Durability;
import io.cohort.replication.storage.ReplicaStorage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * A replica's durable state: a Chronicle Queue command log, checkpoints, and the last view, under
 * one directory ({@code log/}, {@code checkpoints/}, {@code last-view.json}).
 *
 * <pre>{@code
 * Replica replica = Replica.builder(config, machine)
 *         .storage(DurableStorage.builder(Path.of("data/n1")).durability(Durability.LOG).build())
 *         .build();
 * }</pre>
 *
 * <p>What it does, and where: every delivered command is appended before it is applied (apply
 * thread); at the end of each batch of deliveries the log is synced at {@link Durability#SYNC}
 * (group commit) and the replica tells the group how far its log goes; checkpoints are captured on
 * the apply thread and written on this storage's own thread; log files a checkpoint covers are then
 * removed. At start-up the newest valid checkpoint is restored and the log after it replayed; a
 * joining replica is sent only the log suffix it lacks when the donor still holds it, otherwise a
 * checkpoint streamed from the donor's disk.
 */
public final class DurableStorage implements ReplicaStorage {

    private static final Logger LOG = LoggerFactory.getLogger(DurableStorage.class);

    private final String name;
    private final Durability durability;
    private final Path directory;
    private final Path logDirectory;
    private final LogSettings logSettings;
    private final MeterRegistry registry;
    private final long checkpointEveryCommands;
    private final long checkpointEveryLogBytes;
    private final CheckpointStore checkpoints;
    private final LastViewFile lastViewFile;
    private final RecoveryMetrics metrics;
    private final ExecutorService checkpointThread;
    private final ExecutorService syncThread;
    private final GroupCommit groupCommit;
    private CommandLog log;

    // Apply thread only.
    private LastView lastView = LastView.NONE;
    private long lastViewId;
    private byte[] lastPayload;
    private long lastRecordViewId;
    private long logBytesSinceCheckpoint;
    private long lastCheckpointSequence;
    private long removedThrough;

    // Read by other threads.
    private volatile boolean checkpointInProgress;
    private volatile long coveredByCheckpoint;
    private volatile RecoveryClaim claim = RecoveryClaim.NONE;
    private volatile byte[] joinHint = new byte[0];
    private volatile boolean distrusted;
    /** The newest checkpoint written or verified (null: none); what a donor streams. */
    private volatile Checkpoint latestCheckpoint;
    /** Log ranges catch-ups are reading, by token: not removed meanwhile. */
    private final java.util.Map<Object, Long> pins = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long firstLogSequence;
    private volatile long lastLogSequence;

    private DurableStorage(Builder b) throws IOException {
        this.name = b.memberName;
        this.durability = b.durability;
        this.directory = b.directory;
        this.logDirectory = directory.resolve("log");
        this.logSettings = new LogSettings(b.rollCycle);
        this.registry = b.registry;
        this.checkpointEveryCommands = b.checkpointEveryCommands;
        this.checkpointEveryLogBytes = b.checkpointEveryLogBytes;
        Files.createDirectories(directory);
        this.checkpoints = CheckpointStore.open(directory.resolve("checkpoints"), b.keepCheckpoints, registry);
        this.lastViewFile = new LastViewFile(directory.resolve("last-view.json"));
        this.metrics = new RecoveryMetrics(registry, Tags.of("member", name));
        this.log = CommandLog.open(logDirectory, logSettings, registry);
        this.checkpointThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cohort-checkpoint-" + name);
            t.setDaemon(true);
            return t;
        });
        this.syncThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cohort-sync-" + name);
            t.setDaemon(true);
            return t;
        });
        this.groupCommit = new GroupCommit(name, syncThread);
    }

    /**
     * @param directory where this replica keeps its log, checkpoints and last view (one directory per replica)
     * @return a builder
     */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    @Override
    public Durability durability() {
        return durability;
    }

    /** @return the directory holding the log, checkpoints and last view */
    public Path directory() {
        return directory;
    }

    // =====================================================================================
    // Start-up
    // =====================================================================================

    @Override
    public void recover(ReplicaCore core) throws IOException {
        long start = System.nanoTime();
        Optional<Checkpoint> newest = checkpoints.newestValid();
        CheckpointManifest manifest = newest.map(Checkpoint::manifest).orElse(null);
        if (newest.isPresent()) {
            try (InputStream in = newest.get().open()) {
                core.readSnapshot(new DataInputStream(new BufferedInputStream(in, 1 << 16)));
            }
            lastCheckpointSequence = manifest.sequence();
            coveredByCheckpoint = manifest.sequence();
            latestCheckpoint = newest.get();
        }
        long base = core.logSequence();
        long replayed = 0;
        if (!logEmpty() && (log.firstSequence() > base + 1 || log.lastSequence() < base)) {
            // The log does not continue the checkpoint (a gap, or a log behind a checkpoint that
            // came from a peer): it cannot be replayed; peers supply what follows the checkpoint.
            LOG.warn("{}: the command log holds sequences {}..{}, which do not continue the checkpoint at {};"
                    + " discarding the log and catching up from peers", name, log.firstSequence(), log.lastSequence(), base);
            metrics.corruption("log", "gap");
            resetLog();
        } else if (!logEmpty() && log.lastSequence() > base) {
            try (LogReader reader = log.readFrom(base + 1)) {
                while (reader.hasNext()) {
                    LogRecord r = reader.next();
                    core.replay(r.sequence(), MemberId.of(r.senderName(), r.senderIncarnation()), r.viewId(),
                            r.payload(), false);
                    remember(r.viewId(), r.payload());
                    replayed++;
                }
            }
        }
        if (lastPayload == null && !logEmpty() && log.lastSequence() == core.logSequence()) {
            LogRecord last = log.lastRecord();
            remember(last.viewId(), last.payload());
        }
        lastView = readLastView(manifest);
        lastViewId = lastView.viewId();
        publishPosition(core.logSequence());
        metrics.recovered(System.nanoTime() - start, replayed);
        LOG.info("{}: recovered from {}: checkpoint {}, {} log entries replayed, at log sequence {} (last view {} {})",
                name, directory, manifest == null ? "none" : manifest.sequence(), replayed, core.logSequence(),
                lastView.viewId(), lastView.members());
    }

    private LastView readLastView(CheckpointManifest manifest) {
        try {
            LastView v = lastViewFile.read();
            if (v != null) {
                return v;
            }
        } catch (IOException e) {
            LOG.warn("{}: the last-view file {} is unreadable ({}); using the checkpoint's", name, lastViewFile.path(),
                    e.getMessage());
            metrics.corruption("view", "unparsable");
        }
        return manifest == null ? LastView.NONE : new LastView(manifest.lastViewId(), manifest.lastViewMembers());
    }

    // =====================================================================================
    // Apply path
    // =====================================================================================

    @Override
    public void append(long sequence, long viewId, MemberId sender, byte[] payload) {
        log.append(new LogRecord(sequence, viewId, sender.name(), sender.incarnation(), payload));
        remember(viewId, payload);
        logBytesSinceCheckpoint += payload.length;
    }

    private void remember(long viewId, byte[] payload) {
        lastRecordViewId = viewId;
        lastPayload = payload;
    }

    @Override
    public void flush(LongConsumer held) {
        long covered = coveredByCheckpoint;
        for (long pinnedFrom : pins.values()) {
            covered = Math.min(covered, pinnedFrom - 1);
        }
        if (covered > removedThrough) {
            removedThrough = covered;
            log.removeCoveredCycles(covered);
        }
        long appended = log.lastSequence() == 0 ? lastCheckpointSequence : log.lastSequence();
        publishPosition(appended);
        if (durability == Durability.SYNC) {
            CommandLog.SyncBatch batch = log.prepareSync();
            if (!batch.isEmpty()) {
                groupCommit.submit(batch, appended, held);
                return;
            }
            if (groupCommit.failed() || groupCommit.busy()) {
                // Nothing new to force, but what was appended before may still be syncing: the
                // sync in progress reports it when it is on the device.
                return;
            }
        }
        held.accept(appended);
    }

    /** Publishes where the log ends, for the hint of the next join (apply thread). */
    @Override
    public void publishPosition() {
        publishPosition(log.lastSequence() == 0 ? lastCheckpointSequence : log.lastSequence());
    }

    /** @return the first sequence the command log holds (0 if empty), as of the last batch */
    public long firstLogSequence() {
        return firstLogSequence;
    }

    /** @return the last sequence the command log holds (0 if empty), as of the last batch */
    public long lastLogSequence() {
        return lastLogSequence;
    }

    /** Publishes, for other threads, where this replica's durable state ends. */
    private void publishPosition(long sequence) {
        firstLogSequence = log.firstSequence();
        lastLogSequence = log.lastSequence();
        JoinHint hint = sequence == 0 ? JoinHint.EMPTY_STATE
                : lastPayload == null ? null : new JoinHint(sequence, lastRecordViewId, JoinHint.crcOf(lastPayload));
        joinHint = distrusted || hint == null ? new byte[0] : hint.encode();
        claim = sequence == 0 && lastView.viewId() == 0 ? RecoveryClaim.NONE
                : new RecoveryClaim(lastView.viewId(), sequence, lastView.members());
    }

    @Override
    public void viewInstalled(View view, long sequence) {
        if (view.viewId() == lastViewId) {
            return;
        }
        lastViewId = view.viewId();
        LastView next = LastView.of(view);
        try {
            if (durability == Durability.SYNC) {
                log.sync();
            }
            lastViewFile.write(next);
            lastView = next;
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": could not record view " + view.viewId() + " on disk", e);
        }
        publishPosition(log.lastSequence() == 0 ? lastCheckpointSequence : log.lastSequence());
    }

    @Override
    public boolean checkpointDue(long sequence) {
        return !checkpointInProgress && sequence > lastCheckpointSequence
                && (sequence - lastCheckpointSequence >= checkpointEveryCommands
                || logBytesSinceCheckpoint >= checkpointEveryLogBytes);
    }

    @Override
    public void checkpoint(CapturedState state) {
        checkpointInProgress = true;
        lastCheckpointSequence = state.logSequence();
        logBytesSinceCheckpoint = 0;
        LastView view = lastView;
        checkpointThread.execute(() -> {
            try {
                long[] hash = new long[1];
                CheckpointMetadata meta = new CheckpointMetadata(state.logSequence(), state.viewId(), state.appliedIndex(),
                        0, view.viewId(), view.members());
                CheckpointManifest written = checkpoints.write(meta, out -> hash[0] = state.writeTo(out), () -> hash[0]);
                latestCheckpoint = checkpoints.checkpointOf(written);
                coveredByCheckpoint = state.logSequence();
            } catch (IOException | RuntimeException e) {
                LOG.error("{}: checkpoint at log sequence {} failed; the log is kept until a later one succeeds",
                        name, state.logSequence(), e);
            } finally {
                checkpointInProgress = false;
            }
        });
    }

    // =====================================================================================
    // Catch-up of joiners
    // =====================================================================================

    @Override
    public RecoveryClaim claim() {
        return claim;
    }

    @Override
    public byte[] joinHint() {
        return joinHint.clone();
    }

    @Override
    public void distrustLocalState() {
        distrusted = true;
        joinHint = new byte[0];
    }

    @Override
    public void writeCatchUp(OutputStream out, StateRequest request, ReplicaCore core) throws IOException {
        StateProvider.Deferred fromDisk = deferCatchUp(request, core);
        if (fromDisk != null) {
            fromDisk.writeTo(out);
            return;
        }
        long start = System.nanoTime();
        CatchUpStream.Writer writer = new CatchUpStream.Writer(out);
        writer.beginLive(core);
        writer.end(core.logSequence());
        caughtUp(request, CatchUpKind.LIVE, core.logSequence(), writer.bytes(), start);
    }

    /**
     * At the joiner's cut: decides what the joiner needs and captures it from disk, to be written
     * later off the apply thread: the log range is pinned against removal and the checkpoint file
     * opened, so neither changes under the writer. Null if only the live state will do.
     */
    @Override
    public StateProvider.Deferred deferCatchUp(StateRequest request, ReplicaCore core) throws IOException {
        long current = core.logSequence();
        JoinHint hint = JoinHint.decode(request.joinerHint());
        CommandLog source = log;
        if (hint != null && suffixFits(hint, current)) {
            long from = hint.sequence() + 1;
            Object pin = pin(from);
            return out -> {
                try {
                    long start = System.nanoTime();
                    CatchUpStream.Writer writer = new CatchUpStream.Writer(out);
                    writer.beginSuffix(from);
                    writeRecords(source, writer, from, current);
                    writer.end(current);
                    caughtUp(request, CatchUpKind.SUFFIX, current, writer.bytes(), start);
                } finally {
                    unpin(pin);
                }
            };
        }
        Checkpoint newest = latestCheckpoint;
        if (newest == null || newest.manifest().sequence() > current
                || !logHolds(newest.manifest().sequence() + 1, current)) {
            return null;
        }
        CheckpointManifest m = newest.manifest();
        Object pin = pin(m.sequence() + 1);
        InputStream data;
        try {
            data = newest.open();
        } catch (IOException | RuntimeException e) {
            unpin(pin);
            LOG.warn("{}: cannot open checkpoint {} for {}: {}; sending the live state", name, m.sequence(),
                    request.joiner(), e.toString());
            return null;
        }
        return out -> {
            try (InputStream in = data) {
                long start = System.nanoTime();
                CatchUpStream.Writer writer = new CatchUpStream.Writer(out);
                writer.beginSnapshot(m, in);
                writeRecords(source, writer, m.sequence() + 1, current);
                writer.end(current);
                caughtUp(request, CatchUpKind.SNAPSHOT, current, writer.bytes(), start);
            } finally {
                unpin(pin);
            }
        };
    }

    private void caughtUp(StateRequest request, CatchUpKind kind, long current, long bytes, long start) {
        metrics.caughtUp(RecoveryMetrics.Role.DONOR, kind, bytes, System.nanoTime() - start);
        LOG.info("{}: caught {} up by {} to log sequence {} ({} bytes)", name, request.joiner(), kind.tag(), current,
                bytes);
    }

    /** Keeps log records from {@code from} on disk until {@link #unpin}: a catch-up is reading them. */
    private Object pin(long from) {
        Object token = new Object();
        pins.put(token, from);
        return token;
    }

    private void unpin(Object token) {
        pins.remove(token);
    }

    private boolean suffixFits(JoinHint hint, long current) {
        if (hint.sequence() > current || !logHolds(hint.sequence() + 1, current)) {
            return false;
        }
        if (hint.sequence() == 0) {
            return true;
        }
        LogRecord mine = log.read(hint.sequence());
        return mine != null && mine.viewId() == hint.viewId() && JoinHint.crcOf(mine.payload()) == hint.payloadCrc();
    }

    /** Whether the log holds every sequence in {@code from..to} (an empty range always fits). */
    private boolean logHolds(long from, long to) {
        if (from > to) {
            return true;
        }
        return !logEmpty() && log.firstSequence() <= from && log.lastSequence() >= to;
    }

    private boolean logEmpty() {
        return log.lastSequence() == 0;
    }

    private static void writeRecords(CommandLog source, CatchUpStream.Writer writer, long from, long to)
            throws IOException {
        if (from > to) {
            return;
        }
        try (LogReader reader = source.readFrom(from)) {
            while (reader.hasNext()) {
                LogRecord r = reader.next();
                if (r.sequence() > to) {
                    break;
                }
                writer.record(r);
            }
        }
    }

    @Override
    public void readCatchUp(InputStream in, ReplicaCore core) throws IOException {
        long start = System.nanoTime();
        CatchUpStream.Reader reader = new CatchUpStream.Reader(in);
        CatchUpKind kind = reader.kind();
        switch (kind) {
            case SUFFIX -> {
                long from = reader.suffixStart();
                // The hint may lag this replica's log by a few entries (it is published once per
                // batch): the donor then starts a little early, and what this replica has is skipped.
                if (from > core.logSequence() + 1) {
                    throw new IOException("the donor sent the log from " + from + " but this replica is at "
                            + core.logSequence());
                }
            }
            case SNAPSHOT -> {
                startAfresh();
                CheckpointMetadata meta = reader.snapshotMetadata();
                checkpoints.write(meta, reader::copySnapshotTo);
                Checkpoint stored = checkpoints.newestValid()
                        .orElseThrow(() -> new IOException("the checkpoint received from the donor did not verify"));
                latestCheckpoint = stored;
                try (InputStream data = stored.open()) {
                    core.readSnapshot(new DataInputStream(new BufferedInputStream(data, 1 << 16)));
                }
                lastCheckpointSequence = meta.sequence();
            }
            case LIVE -> {
                startAfresh();
                core.readSnapshot(new DataInputStream(reader.liveState()));
                CapturedState state = core.captureState();
                long[] hash = new long[1];
                CheckpointManifest written = checkpoints.write(new CheckpointMetadata(state.logSequence(), state.viewId(),
                        state.appliedIndex(), 0, lastView.viewId(), lastView.members()), out -> hash[0] = state.writeTo(out),
                        () -> hash[0]);
                latestCheckpoint = checkpoints.checkpointOf(written);
                lastCheckpointSequence = state.logSequence();
            }
        }
        LogRecord r;
        long records = 0;
        while ((r = reader.nextRecord()) != null) {
            if (r.sequence() <= core.logSequence()) {
                continue;
            }
            core.replay(r.sequence(), MemberId.of(r.senderName(), r.senderIncarnation()), r.viewId(), r.payload(), true);
            records++;
        }
        reader.expectEnd(core.logSequence());
        distrusted = false;
        if (durability == Durability.SYNC) {
            log.sync();
        }
        publishPosition(core.logSequence());
        metrics.caughtUp(RecoveryMetrics.Role.JOINER, kind, reader.bytes(), System.nanoTime() - start);
        LOG.info("{}: caught up by {} ({} log entries, {} bytes) to log sequence {}", name, kind.tag(), records,
                reader.bytes(), core.logSequence());
    }

    /** Before a whole state replaces this one: nothing of the old log or checkpoints may be used again. */
    private void startAfresh() throws IOException {
        // A checkpoint of the old state still being written would otherwise land after the reset.
        try {
            checkpointThread.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for a checkpoint to finish");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("the checkpoint thread failed", e.getCause());
        }
        checkpoints.deleteAll();
        latestCheckpoint = null;
        resetLog();
        lastPayload = null;
        lastCheckpointSequence = 0;
        coveredByCheckpoint = 0;
        removedThrough = 0;
        logBytesSinceCheckpoint = 0;
    }

    private void resetLog() throws IOException {
        log.close();
        DurableFiles.deleteTree(logDirectory);
        log = CommandLog.open(logDirectory, logSettings, registry);
    }

    // =====================================================================================
    // Lifecycle
    // =====================================================================================

    @Override
    public void close() {
        syncThread.shutdown();
        try {
            if (!syncThread.awaitTermination(10, TimeUnit.SECONDS)) {
                syncThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            syncThread.shutdownNow();
        }
        checkpointThread.shutdown();
        try {
            if (!checkpointThread.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("{}: a checkpoint was still being written at close; it is abandoned (the previous one stays)", name);
                checkpointThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            checkpointThread.shutdownNow();
        }
        log.close();
    }

    /** Builds a {@link DurableStorage}. */
    public static final class Builder {
        private final Path directory;
        private Durability durability = Durability.LOG;
        private String memberName = "replica";
        private long checkpointEveryCommands = 100_000;
        private long checkpointEveryLogBytes = 256L << 20;
        private int keepCheckpoints = 2;
        private LogRollCycle rollCycle = LogSettings.defaults().rollCycle();
        private MeterRegistry registry = Metrics.globalRegistry;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * @param durability {@link Durability#LOG} (default) or {@link Durability#SYNC}; for
         *                   {@link Durability#MEMORY} use no storage at all
         * @return this
         */
        public Builder durability(Durability durability) {
            if (Objects.requireNonNull(durability, "durability") == Durability.MEMORY) {
                throw new IllegalArgumentException("MEMORY durability keeps nothing on disk: build the replica without storage");
            }
            this.durability = durability;
            return this;
        }

        /**
         * @param name the member's name, for logs, thread names and meter tags
         * @return this
         */
        public Builder memberName(String name) {
            this.memberName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param commands take a checkpoint after this many logged commands (default 100000)
         * @return this
         */
        public Builder checkpointEveryCommands(long commands) {
            if (commands < 1) {
                throw new IllegalArgumentException("checkpoint interval " + commands + " < 1");
            }
            this.checkpointEveryCommands = commands;
            return this;
        }

        /**
         * @param bytes take a checkpoint after this many bytes of log entries (default 256 MiB)
         * @return this
         */
        public Builder checkpointEveryLogBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("checkpoint log size " + bytes + " < 1");
            }
            this.checkpointEveryLogBytes = bytes;
            return this;
        }

        /**
         * @param count checkpoints kept on disk (default 2: a corrupt newest one falls back to the previous)
         * @return this
         */
        public Builder keepCheckpoints(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("keep at least one checkpoint, not " + count);
            }
            this.keepCheckpoints = count;
            return this;
        }

        /**
         * @param cycle how often the log starts a new file (files are removed whole once a
         *              checkpoint covers them; default hourly)
         * @return this
         */
        public Builder rollCycle(LogRollCycle cycle) {
            this.rollCycle = Objects.requireNonNull(cycle, "cycle");
            return this;
        }

        /**
         * @param registry where the meters go (default {@link Metrics#globalRegistry})
         * @return this
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Opens (creating if needed) the directory, the log and the checkpoint store. Nothing is
         * restored yet: the replica does that when it is built with this storage.
         *
         * @return the storage
         * @throws IOException if the directory cannot be used
         */
        public DurableStorage build() throws IOException {
            return new DurableStorage(this);
        }
    }
}
