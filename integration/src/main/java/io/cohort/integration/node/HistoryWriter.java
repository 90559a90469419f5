package io.cohort.integration.node;

import io.cohort.api.MemberId;
import io.cohort.integration.history.HistoryFormat;
import io.cohort.simulation.history.HistoryEvent;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Appends a member process's history to its file in {@link HistoryFormat}, one line per event,
 * flushed to the operating system after each line so that a SIGKILL loses at most the line being
 * written. Thread-safe: the application thread and the load thread both record; the time is
 * taken under the same lock as the write, so a file's timestamps follow its line order (as far as
 * the wall clock itself does).
 */
public final class HistoryWriter implements Closeable {

    private final BufferedWriter out;

    /**
     * Creates (or truncates) the file.
     *
     * @param file the history file
     * @throws IOException if it cannot be opened
     */
    public HistoryWriter(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    /**
     * Records a checker event.
     *
     * @param event the event
     */
    public synchronized void record(HistoryEvent event) {
        write(HistoryFormat.format(nowMicros(), event));
    }

    /**
     * Records a diagnostic line.
     *
     * @param kind   a diagnostic kind of {@link HistoryFormat}
     * @param member the member incarnation
     * @param fields further fields
     */
    public synchronized void diagnostic(String kind, MemberId member, String... fields) {
        write(HistoryFormat.diagnostic(nowMicros(), kind, member, fields));
    }

    private void write(String line) {
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            // A history with holes would make the checker's verdict meaningless: fail loudly.
            throw new UncheckedIOException("cannot write the history file", e);
        }
    }

    /** @return wall-clock microseconds since the epoch, comparable across JVMs on one host */
    public static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
