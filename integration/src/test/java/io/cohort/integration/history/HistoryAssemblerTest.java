package io.cohort.integration.history;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.check.HistoryChecker;
import io.cohort.simulation.check.Property;
import io.cohort.simulation.check.Violation;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Merging member files into one history, and completing the files of killed members. */
class HistoryAssemblerTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId A2 = MemberId.of("a", 2);
    private static final MemberId B = MemberId.of("b", 1);

    private static HistoryFormat.Line line(long micros, HistoryEvent e) {
        return HistoryFormat.parse(HistoryFormat.format(micros, e));
    }

    private static HistoryFormat.Line diag(long micros, String kind, MemberId m) {
        return HistoryFormat.parse(HistoryFormat.diagnostic(micros, kind, m));
    }

    @Test
    void interleavesByWallTimeButKeepsEachFileInItsOwnOrder() {
        // a's clock stepped back between its 2nd and 3rd line: its own order must still win.
        List<HistoryFormat.Line> a = List.of(line(10, new HistoryEvent.Crashed(A)), line(30, new HistoryEvent.Left(A, 1)),
                line(20, new HistoryEvent.Excluded(A, 2)));
        List<HistoryFormat.Line> b = List.of(line(15, new HistoryEvent.Left(B, 1)), line(25, new HistoryEvent.Left(B, 2)));
        List<HistoryFormat.Line> merged = new HistoryAssembler().add("a", a, null).add("b", b, null).assemble().lines();
        assertThat(merged).extracting(HistoryFormat.Line::wallMicros).containsExactly(10L, 15L, 25L, 30L, 20L);
    }

    @Test
    void equalTimesKeepSourceOrder() {
        List<HistoryFormat.Line> a = List.of(line(5, new HistoryEvent.Left(A, 1)));
        List<HistoryFormat.Line> b = List.of(line(5, new HistoryEvent.Left(B, 1)));
        assertThat(new HistoryAssembler().add("a", a, null).add("b", b, null).assemble().history().events())
                .extracting(HistoryEvent::member).containsExactly(A, B);
    }

    @Test
    void readLeavesOutAnUnterminatedLastLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.history");
        String complete = HistoryFormat.format(1, new HistoryEvent.ViewInstalled(A, 1, List.of(A))) + "\n"
                + HistoryFormat.diagnostic(2, HistoryFormat.FLUSH, A, "1") + "\n";
        Files.writeString(f, complete + "3\tDELIVERED\ta#1\ta#1:1\ta", StandardCharsets.UTF_8);
        HistoryAssembler.FileContents c = HistoryAssembler.read(f);
        assertThat(c.partialLastLine()).isTrue();
        assertThat(c.lines()).hasSize(2);
        Files.writeString(f, complete, StandardCharsets.UTF_8);
        assertThat(HistoryAssembler.read(f).partialLastLine()).isFalse();
        Files.writeString(f, "", StandardCharsets.UTF_8);
        assertThat(HistoryAssembler.read(f).lines()).isEmpty();
    }

    /**
     * a sent m2 and was killed before recording it; b delivered it. The assembled history gets a
     * synthesized SENT for m2 (not for m3, which nobody delivered) and a CRASHED, and then checks clean.
     */
    @Test
    void completesAKilledMembersUnrecordedSends() {
        String m1 = A + ":1";
        String m2 = A + ":2";
        String m3 = A + ":3";
        List<HistoryFormat.Line> a = List.of(
                diag(1, HistoryFormat.INCARNATION, A),
                line(2, new HistoryEvent.ViewInstalled(A, 1, List.of(A, B))),
                line(3, new HistoryEvent.MulticastRequested(A, m1, DeliveryOrder.FIFO)),
                line(4, new HistoryEvent.Sent(A, m1, DeliveryOrder.FIFO, 1)),
                line(5, new HistoryEvent.MulticastRequested(A, m2, DeliveryOrder.FIFO)),
                line(6, new HistoryEvent.MulticastRequested(A, m3, DeliveryOrder.FIFO)));
        List<HistoryFormat.Line> b = List.of(
                diag(1, HistoryFormat.INCARNATION, B),
                line(2, new HistoryEvent.ViewInstalled(B, 1, List.of(A, B))),
                line(7, new HistoryEvent.Delivered(B, m1, A, DeliveryOrder.FIFO, 1)),
                line(8, new HistoryEvent.Delivered(B, m2, A, DeliveryOrder.FIFO, 1)),
                line(20, new HistoryEvent.ViewInstalled(B, 2, List.of(B))));

        HistoryAssembler.Assembled killed = new HistoryAssembler().add("a", a, 10L).add("b", b, null).assemble();
        List<HistoryEvent> aEvents = killed.history().events().stream().filter(e -> e.member().equals(A)).toList();
        assertThat(aEvents.subList(aEvents.size() - 2, aEvents.size())).containsExactly(
                new HistoryEvent.Sent(A, m2, DeliveryOrder.FIFO, 1), new HistoryEvent.Crashed(A));
        assertThat(killed.notes()).singleElement().asString().contains("synthesized SENT " + m2);
        History h = killed.history();
        h.end(Set.of(B), true);
        assertThat(new HistoryChecker().check(h)).isEmpty();

        // The same files without the kill: the missing SENT is a finding, not something to repair.
        History notKilled = new HistoryAssembler().add("a", a, null).add("b", b, null).assemble().history();
        notKilled.end(Set.of(B), true);
        assertThat(new HistoryChecker().check(notKilled)).extracting(Violation::property).contains(Property.INTEGRITY);
    }

    @Test
    void theCrashGoesToTheLastIncarnationAfterTheKillTime() {
        List<HistoryFormat.Line> a = new ArrayList<>(List.of(
                diag(1, HistoryFormat.INCARNATION, A),
                line(2, new HistoryEvent.Excluded(A, 1)),
                diag(3, HistoryFormat.INCARNATION, A2)));
        List<HistoryFormat.Line> merged = new HistoryAssembler().add("a", a, 50L).assemble().lines();
        HistoryFormat.Line last = merged.get(merged.size() - 1);
        assertThat(last.event()).isEqualTo(new HistoryEvent.Crashed(A2));
        assertThat(last.wallMicros()).isEqualTo(50L);
    }
}
