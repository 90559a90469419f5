package io.cohort.simulation;

import java.util.PriorityQueue;

/**
 * Simulated time: actions run in time order, ties broken by the order they were scheduled, so a
 * run is a pure function of its seed. Single-threaded: one run owns one queue.
 */
public final class EventQueue {

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

    /** Creates an empty queue at simulated time 0. */
    public EventQueue() {
    }

    /** @return the current simulated time, in milliseconds */
    public long now() {
        return now;
    }

    /** @return how many actions have run */
    public long executed() {
        return executed;
    }

    /**
     * Schedules an action; a time in the past means now.
     *
     * @param time   simulated time to run it at
     * @param action the action
     */
    public void at(long time, Runnable action) {
        queue.add(new Scheduled(Math.max(time, now), scheduled++, action));
    }

    /**
     * Schedules an action {@code delay} milliseconds from now.
     *
     * @param delay  milliseconds from now
     * @param action the action
     */
    public void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    /**
     * Runs every action due up to {@code end}; simulated time then stands at {@code end}.
     *
     * @param end simulated time to run up to
     */
    public void runUntil(long end) {
        while (!queue.isEmpty() && queue.peek().time() <= end) {
            Scheduled s = queue.poll();
            now = s.time();
            executed++;
            s.action().run();
        }
        now = end;
    }
}
