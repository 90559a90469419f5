package io.cohort.integration.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Every line a child process wrote to stdout, in order, with blocking waits for a line that
 * matches. Lines are never consumed: each wait searches from an index the caller chooses (for
 * a command's answer, the size of the log just before sending the command), so waiting for one
 * line never hides another line from a later wait.
 */
public final class LineLog {

    /** A line found by a wait, with its index in the log. */
    public record Match(int index, String line) {
    }

    private final List<String> lines = new ArrayList<>();
    private boolean closed;

    /**
     * Appends a line and wakes the waiters.
     *
     * @param line the line
     */
    public synchronized void add(String line) {
        lines.add(line);
        notifyAll();
    }

    /** Marks the end of the stream (the process exited or closed stdout). */
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** @return the number of lines so far: the index the next line will get */
    public synchronized int size() {
        return lines.size();
    }

    /** @return a copy of all lines so far */
    public synchronized List<String> snapshot() {
        return new ArrayList<>(lines);
    }

    /**
     * @param from    the first index to search
     * @param matches what to look for
     * @return the last matching line at or after {@code from}, or null
     */
    public synchronized Match last(int from, Predicate<String> matches) {
        for (int i = lines.size() - 1; i >= from; i--) {
            if (matches.test(lines.get(i))) {
                return new Match(i, lines.get(i));
            }
        }
        return null;
    }

    /**
     * Waits for the first line at or after index {@code from} that matches.
     *
     * @param from    the first index to search
     * @param matches what to look for
     * @param timeout how long to wait
     * @param context describes the process for the failure message (e.g. where its log is)
     * @return the matching line
     * @throws AssertionError if no such line arrives in time, or the stream ends first
     */
    public synchronized Match await(int from, Predicate<String> matches, Duration timeout, Supplier<String> context) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int next = from;
        while (true) {
            for (; next < lines.size(); next++) {
                if (matches.test(lines.get(next))) {
                    return new Match(next, lines.get(next));
                }
            }
            long left = deadline - System.nanoTime();
            if (closed || left <= 0) {
                List<String> tail = lines.subList(Math.max(0, lines.size() - 15), lines.size());
                throw new AssertionError((closed ? "stdout ended" : "timed out after " + timeout.toMillis() + " ms")
                        + " while waiting for a line; " + context.get() + "; last lines: " + tail);
            }
            try {
                // A bounded wait on this monitor: add() and close() notify it.
                wait(Math.max(1, left / 1_000_000), 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for a line; " + context.get(), e);
            }
        }
    }
}
