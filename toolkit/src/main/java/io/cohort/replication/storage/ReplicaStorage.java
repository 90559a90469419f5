package io.cohort.replication.storage;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.group.RecoveryClaim;
import io.cohort.group.StateProvider;
import io.cohort.group.StateRequest;
import io.cohort.replication.core.CapturedState;
import io.cohort.replication.core.ReplicaCore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.LongConsumer;

/**
 * Where a {@link io.cohort.replication.Replica} keeps its state durably: a command log and
 * checkpoints. The {@code cohort-recovery} module implements it ({@code DurableStorage}); without
 * one a replica keeps everything in memory ({@link Durability#MEMORY}).
 *
 * <p>Threads: every method runs on the replica's apply thread, between deliveries, unless it says
 * otherwise; methods that take a {@link ReplicaCore} may call it only during that call.
 */
public interface ReplicaStorage extends AutoCloseable {

    /** @return the durability level */
    Durability durability();

    /**
     * At start-up: restores the newest valid checkpoint into {@code core} and replays the log after
     * it. Corrupt files are reported and skipped; the replica catches up what is missing from peers.
     *
     * @param core the replica's core, in its initial state
     * @throws IOException if the disk cannot be read at all
     */
    void recover(ReplicaCore core) throws IOException;

    /**
     * Appends a delivered command or update, before it is applied.
     *
     * @param sequence its log sequence (the next one)
     * @param viewId   the view it was delivered in
     * @param sender   who multicast it
     * @param payload  the encoded entry
     */
    void append(long sequence, long viewId, MemberId sender, byte[] payload);

    /**
     * The end of a batch of deliveries. At {@link Durability#LOG} everything appended is held
     * already: {@code held} is told at once, on this thread. At {@link Durability#SYNC} the log is
     * forced to the device on the storage's own thread (group commit: batches that arrive while a
     * sync runs are forced together by the next), and {@code held} is told from that thread once it
     * is done.
     *
     * @param held told the last log sequence held at this storage's durability level
     */
    void flush(LongConsumer held);

    /** Publishes where the log ends now, for the hint of the next join; no sync, nobody told. */
    void publishPosition();

    /**
     * A view was installed: recorded durably as the last view (it decides who may restart the
     * group after a total failure).
     *
     * @param view     the view
     * @param sequence the log sequence at the install
     */
    void viewInstalled(View view, long sequence);

    /**
     * @param sequence the current log sequence
     * @return whether a checkpoint is due (by command count or log size) and none is being written
     */
    boolean checkpointDue(long sequence);

    /**
     * Writes a checkpoint of {@code state} on the storage's own thread, then removes log files the
     * checkpoint covers (and that no retention rule keeps).
     *
     * @param state the captured state
     */
    void checkpoint(CapturedState state);

    /**
     * Thread-safe.
     *
     * @return what this replica holds on disk, for the restart rule after a total failure
     */
    RecoveryClaim claim();

    /**
     * Thread-safe.
     *
     * @return the hint sent with this replica's join requests: where its log ends, so that a donor
     *         can send only the missing suffix; empty to ask for the whole state
     */
    byte[] joinHint();

    /**
     * The next join must receive the whole state (the replica's state is no longer trusted, for
     * example after divergence): {@link #joinHint()} is empty until the state is replaced.
     */
    void distrustLocalState();

    /**
     * Donor, at the joiner's cut: writes what the joiner needs, the log suffix after the joiner's
     * position if this log still holds it and it matches, otherwise a checkpoint streamed from
     * disk plus the log after it, otherwise the live state.
     *
     * @param out     where to write; not closed
     * @param request the joiner and its hint
     * @param core    this replica's core (the live state, at the cut)
     * @throws IOException if writing fails
     */
    void writeCatchUp(OutputStream out, StateRequest request, ReplicaCore core) throws IOException;

    /**
     * Donor, at the joiner's cut: captures what {@link #writeCatchUp} would write, when it comes
     * from disk (a log suffix, a checkpoint and the log after it), so that it is written off the
     * apply thread while the replica goes on applying; what it reads stays on disk until then.
     *
     * @param request the joiner and its hint
     * @param core    this replica's core (read now, during the call)
     * @return the deferred writer, or null if only the live state will do (then
     *         {@link #writeCatchUp} is called at the cut)
     * @throws IOException if the disk cannot be read
     */
    StateProvider.Deferred deferCatchUp(StateRequest request, ReplicaCore core) throws IOException;

    /**
     * Joiner: reads what {@link #writeCatchUp} wrote into {@code core} and makes it durable here.
     *
     * @param in   the stream
     * @param core this replica's core
     * @throws IOException if the stream is not valid; the replica then leaves and retries
     */
    void readCatchUp(InputStream in, ReplicaCore core) throws IOException;

    /** Closes the log and stops the checkpoint thread (waiting for a checkpoint in progress). */
    @Override
    void close();
}
