package io.cohort.integration.history;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.integration.history.HistoryFormat.Line;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Builds one {@link History} from the history files of several member processes (see
 * {@link HistoryFormat}), plus the crashes the test inflicted on them.
 *
 * <p><b>Merging.</b> Lines of different processes are interleaved by wall-clock time; the lines
 * of one process keep their file order whatever their timestamps say, because the checker reads
 * each member's events in the order the member did them.
 *
 * <p><b>Killed processes.</b> A member records its own sends from a listener on its application
 * thread, which runs behind the protocol thread. A process killed with SIGKILL may therefore
 * have put a message on the wire (and the survivors deliver it) without having recorded its
 * {@code SENT} line yet. For killed processes only, each message that the process requested,
 * that some member delivered, and whose {@code SENT} line is missing everywhere, gets a
 * synthesized {@code SENT} in the view the deliverers name, appended to the killed process's
 * lines in request order (the order the process handed them to the protocol), each with a
 * {@code NOTE}. The {@code CRASHED} event follows, for the process's last incarnation. For
 * processes that were not killed nothing is synthesized: a missing line there is a finding.
 */
public final class HistoryAssembler {

    /** The assembled run. */
    public record Assembled(List<Line> lines, History history, List<String> notes) {
        /** Copies the lists. */
        public Assembled {
            lines = List.copyOf(lines);
            notes = List.copyOf(notes);
        }
    }

    /** What one history file held. */
    public record FileContents(List<Line> lines, boolean partialLastLine) {
        /** Copies the lines. */
        public FileContents {
            lines = List.copyOf(lines);
        }
    }

    private record Source(String label, List<Line> lines, Long killedAtMicros) {
    }

    private final List<Source> sources = new ArrayList<>();

    /**
     * Reads a history file. A last line without a line terminator (the writer was killed
     * mid-line) is left out and reported.
     *
     * @param file the file
     * @return its lines
     * @throws IOException if the file cannot be read
     */
    public static FileContents read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        String[] parts = text.split("\n", -1);
        List<Line> lines = new ArrayList<>(parts.length);
        // The last element is what follows the last '\n': empty for a complete file.
        boolean partial = !parts[parts.length - 1].isEmpty();
        for (int i = 0; i < parts.length - 1; i++) {
            if (!parts[i].isBlank()) {
                lines.add(HistoryFormat.parse(parts[i]));
            }
        }
        return new FileContents(lines, partial);
    }

    /**
     * Adds one process's lines.
     *
     * @param label          names the process in notes (e.g. the file name)
     * @param lines          its lines, in file order
     * @param killedAtMicros wall time at which the test killed it with SIGKILL, or null if it was not killed
     * @return this
     */
    public HistoryAssembler add(String label, List<Line> lines, Long killedAtMicros) {
        sources.add(new Source(label, List.copyOf(lines), killedAtMicros));
        return this;
    }

    /**
     * Merges the sources into one history.
     *
     * @return the merged lines, the history of their events (without {@link History#end}), and notes
     *         on what was synthesized
     */
    public Assembled assemble() {
        List<String> notes = new ArrayList<>();
        Set<String> sent = new HashSet<>();
        Map<String, HistoryEvent.Delivered> firstDelivery = new HashMap<>();
        for (Source s : sources) {
            for (Line l : s.lines()) {
                if (l.event() instanceof HistoryEvent.Sent x) {
                    sent.add(x.messageId());
                } else if (l.event() instanceof HistoryEvent.Delivered d) {
                    firstDelivery.putIfAbsent(d.messageId(), d);
                }
            }
        }
        List<List<Line>> completed = new ArrayList<>();
        for (Source s : sources) {
            completed.add(s.killedAtMicros() == null ? s.lines() : completeKilled(s, sent, firstDelivery, notes));
        }
        List<Line> merged = merge(completed);
        History history = new History();
        for (Line l : merged) {
            if (l.event() != null) {
                history.record(l.event());
            }
        }
        return new Assembled(merged, history, notes);
    }

    private static List<Line> completeKilled(Source s, Set<String> sent,
                                             Map<String, HistoryEvent.Delivered> firstDelivery, List<String> notes) {
        List<Line> out = new ArrayList<>(s.lines());
        if (out.isEmpty()) {
            notes.add(s.label() + ": killed before it recorded anything");
            return out;
        }
        long lastMicros = out.get(out.size() - 1).wallMicros();
        MemberId last = null;
        for (Line l : out) {
            last = l.member(); // the last incarnation the process recorded anything for
        }
        for (Line l : s.lines()) {
            if (!(l.event() instanceof HistoryEvent.MulticastRequested r) || sent.contains(r.messageId())) {
                continue;
            }
            HistoryEvent.Delivered d = firstDelivery.get(r.messageId());
            if (d == null) {
                continue; // nobody delivered it: it simply died with the process
            }
            MemberId sender = d.sender();
            DeliveryOrder order = r.order();
            if (!sender.equals(r.member())) {
                // Requested while one incarnation was current, sent by the next (see RecordingNode).
                out.add(line(lastMicros, new HistoryEvent.MulticastRequested(sender, r.messageId(), order)));
            }
            out.add(line(lastMicros, new HistoryEvent.Sent(sender, r.messageId(), order, d.viewId())));
            String note = "synthesized SENT " + r.messageId() + " by " + sender + " in view " + d.viewId()
                    + " (delivered by " + d.member() + "; the killed process had not recorded its send)";
            out.add(new Line(lastMicros, HistoryFormat.NOTE, sender, null, List.of(note)));
            notes.add(s.label() + ": " + note);
        }
        out.add(line(Math.max(lastMicros, s.killedAtMicros()), new HistoryEvent.Crashed(last)));
        return out;
    }

    private static Line line(long micros, HistoryEvent e) {
        return HistoryFormat.parse(HistoryFormat.format(micros, e));
    }

    /** K-way merge on wall time; only each source's head competes, so a source's own order is kept. */
    private static List<Line> merge(List<List<Line>> sources) {
        record Head(int source, int position, long micros) {
        }
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparingLong(Head::micros)
                .thenComparingInt(Head::source));
        int total = 0;
        for (int i = 0; i < sources.size(); i++) {
            total += sources.get(i).size();
            if (!sources.get(i).isEmpty()) {
                heads.add(new Head(i, 0, sources.get(i).get(0).wallMicros()));
            }
        }
        List<Line> out = new ArrayList<>(total);
        while (!heads.isEmpty()) {
            Head h = heads.poll();
            List<Line> src = sources.get(h.source());
            out.add(src.get(h.position()));
            int next = h.position() + 1;
            if (next < src.size()) {
                heads.add(new Head(h.source(), next, src.get(next).wallMicros()));
            }
        }
        return out;
    }
}
