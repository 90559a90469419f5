package io.cohort.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs tasks one at a time, in submission order, on an underlying executor of any parallelism:
 * the application sees callbacks in protocol order even on a shared thread pool. Remembers which
 * thread runs the current task, so that blocking calls from a callback can be refused.
 */
final class SerialExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor underlying;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean scheduled;
    private volatile Thread current;

    SerialExecutor(Executor underlying) {
        this.underlying = underlying;
    }

    @Override
    public void execute(Runnable task) {
        boolean schedule;
        synchronized (queue) {
            queue.addLast(task);
            schedule = !scheduled;
            scheduled = true;
        }
        if (schedule) {
            scheduleBatch();
        }
    }

    private void scheduleBatch() {
        try {
            underlying.execute(this::runBatch);
        } catch (RuntimeException e) {
            // A rejecting executor must not leave the queue marked as scheduled forever: the
            // next submission tries again.
            synchronized (queue) {
                scheduled = false;
            }
            LOG.error("the application executor refused a task; callbacks wait for the next attempt", e);
        }
    }

    private void runBatch() {
        current = Thread.currentThread();
        try {
            for (int i = 0; i < 1024; i++) {
                Runnable next;
                synchronized (queue) {
                    next = queue.pollFirst();
                    if (next == null) {
                        scheduled = false;
                        return;
                    }
                }
                try {
                    next.run();
                } catch (RuntimeException | Error e) {
                    LOG.error("application callback failed", e);
                }
            }
        } finally {
            current = null;
        }
        // Yield the thread to other work of a shared pool now and then; continue in a new task.
        scheduleBatch();
    }

    /** @return whether the calling thread is running one of this executor's tasks */
    boolean onThisExecutor() {
        return current == Thread.currentThread();
    }

    /** @return tasks waiting */
    int backlog() {
        synchronized (queue) {
            return queue.size();
        }
    }
}
