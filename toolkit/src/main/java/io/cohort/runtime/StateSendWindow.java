package io.cohort.runtime;

/**
 * Donor side of a state transfer: how many bytes the joiner has not acknowledged yet, so that the
 * donor's writer waits while a window is full. The joiner stops reading its socket while its state
 * consumer is behind, so its acknowledgements (and with them this window) follow the consumer's
 * pace end to end: nothing piles up in queues or buffers on either side, whatever the state's size.
 *
 * <p>The writer (application executor) counts each chunk it hands over; the protocol thread sets
 * the true figure from the reliable link after sending a chunk and after each batch of incoming
 * frames (which carries the acknowledgements).
 */
final class StateSendWindow {

    private final long limit;
    private long unacknowledged;

    /**
     * @param limit bytes the joiner may have unacknowledged before the writer waits
     */
    StateSendWindow(long limit) {
        this.limit = limit;
    }

    /**
     * Waits until the window has room.
     *
     * @param timeoutMillis the longest wait
     * @return whether there is room now
     * @throws InterruptedException if interrupted
     */
    synchronized boolean awaitRoom(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (unacknowledged >= limit) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** The writer hands over a chunk: counted until the protocol thread reports the link's figure. */
    synchronized void handedOver(long bytes) {
        unacknowledged += bytes;
    }

    /** The protocol thread's figure: bytes sent to the joiner and not acknowledged. */
    synchronized void unacknowledged(long bytes) {
        unacknowledged = bytes;
        notifyAll();
    }
}
