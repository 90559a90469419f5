package io.cohort.recovery;

import io.cohort.recovery.log.CommandLog;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Level SYNC: forces the command log to the device on a thread of its own, so that the apply
 * thread never waits for the disk. Batches prepared while a sync runs are merged and forced
 * together by the next one (group commit); each completed sync reports the highest log sequence it
 * covers.
 */
final class GroupCommit {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    private final String name;
    private final Executor syncThread;
    private final Object lock = new Object();
    private CommandLog.SyncBatch pending;
    private long pendingSequence;
    private LongConsumer pendingListener;
    private boolean running;
    private volatile boolean failed;

    GroupCommit(String name, Executor syncThread) {
        this.name = name;
        this.syncThread = syncThread;
    }

    /**
     * Queues a batch (prepared on the writer thread) covering the log through {@code sequence}.
     *
     * @param batch    what to force
     * @param sequence the last log sequence the batch covers
     * @param synced   told the sequence once it is on the device (on the sync thread)
     */
    void submit(CommandLog.SyncBatch batch, long sequence, LongConsumer synced) {
        synchronized (lock) {
            if (pending == null) {
                pending = batch;
            } else {
                pending.merge(batch);
            }
            pendingSequence = Math.max(pendingSequence, sequence);
            pendingListener = synced;
            if (running) {
                return;
            }
            running = true;
        }
        syncThread.execute(this::drain);
    }

    /** @return whether a sync is running or waiting to run */
    boolean busy() {
        synchronized (lock) {
            return running || pending != null;
        }
    }

    /** @return whether a sync failed: nothing after it counts as durable */
    boolean failed() {
        return failed;
    }

    private void drain() {
        while (true) {
            CommandLog.SyncBatch batch;
            long sequence;
            LongConsumer listener;
            synchronized (lock) {
                if (pending == null) {
                    running = false;
                    return;
                }
                batch = pending;
                sequence = pendingSequence;
                listener = pendingListener;
                pending = null;
            }
            if (failed) {
                continue;
            }
            try {
                batch.run();
                listener.accept(sequence);
            } catch (RuntimeException e) {
                // After a failed fsync the kernel may have dropped the dirty pages: retrying could
                // report success for data that is gone. Stop reporting progress instead: commands
                // are no longer acknowledged through this replica, which must be restarted.
                failed = true;
                LOG.error("{}: syncing the command log failed; this replica stops counting anything as durable"
                        + " and must be restarted", name, e);
            }
        }
    }
}
