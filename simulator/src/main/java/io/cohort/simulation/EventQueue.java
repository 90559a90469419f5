package io.cohort.simulation;

import java.util.PriorityQueue;

/**
 * Simulated time: actions run in time order, ties broken by the order they were scheduled, so a
 * run is a pure function of its seed.
 */
final class EventQueue {

    private record Scheduled(long time, long order, Runnable action) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            int byTime = Long.compare(time, o.time);
            return byTime != 0 ? byTime : Long.compare(order, o.order);
        }
    }

    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private long now;
    private long scheduled;
    private long executed;

    long now() {
        return now;
    }

    long executed() {
        return executed;
    }

    void at(long time, Runnable action) {
        queue.add(new Scheduled(Math.max(time, now), scheduled++, action));
    }

    void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    /** Runs every action due up to {@code end}; simulated time then stands at {@code end}. */
    void runUntil(long end) {
        while (!queue.isEmpty() && queue.peek().time() <= end) {
            Scheduled s = queue.poll();
            now = s.time();
            executed++;
            s.action().run();
        }
        now = end;
    }
}
