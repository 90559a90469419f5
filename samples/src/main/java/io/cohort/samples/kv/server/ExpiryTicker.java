package io.cohort.samples.kv.server;

import io.cohort.api.View;
import io.cohort.replication.Replica;
import io.cohort.samples.kv.KeyValueStore;
import io.cohort.samples.kv.KvCommand;
import io.cohort.samples.kv.resp.KvService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Moves the store's logical time on while no client writes, so that keys expire on time.
 *
 * <p>Expiry uses the time the log assigns to each command, never a replica's clock; with no
 * commands, time stands still and a key past its TTL would still be read. So when the store's
 * next expiry has passed on this replica's clock but not in the log, a replica submits a no-op
 * {@link KeyValueStore#TICK}. The coordinator (rank 0) ticks as soon as a key is due; the others
 * only when it has been due for {@code 10 x tickMillis}, in case the coordinator is slow. Ticks go
 * through the log like any command, so every replica expires the same keys at the same index.
 */
final class ExpiryTicker implements AutoCloseable {

    private final Replica replica;
    private final KeyValueStore store;
    private final long tickMillis;
    private final KvService.Session session;
    private final byte[] tick = KvCommand.of(KeyValueStore.TICK).encode();
    private final ScheduledFuture<?> task;
    private volatile boolean ticking;

    ExpiryTicker(Replica replica, KeyValueStore store, KvService service, ScheduledExecutorService scheduler,
                 long tickMillis) {
        this.replica = replica;
        this.store = store;
        this.tickMillis = tickMillis;
        this.session = service.openSession();
        this.task = scheduler.scheduleWithFixedDelay(this::check, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    private void check() {
        View view = replica.view();
        long due = store.nextExpiryMillis();
        if (ticking || view == null || due == Long.MAX_VALUE || store.logicalNow() >= due) {
            return;
        }
        boolean coordinator = view.coordinator().equals(replica.self());
        long overdue = System.currentTimeMillis() - due;
        if (overdue >= 0 && (coordinator || overdue >= 10 * tickMillis)) {
            ticking = true; // one tick in flight at a time
            session.command(tick).whenComplete((r, e) -> ticking = false);
        }
    }

    @Override
    public void close() {
        task.cancel(false);
        session.close();
    }
}
