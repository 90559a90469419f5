package io.cohort.integration.history;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.history.HistoryEvent;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The history text format reads back every event type exactly as written. */
class HistoryFormatTest {

    private static final MemberId A = MemberId.of("n1", 1764000000123L);
    private static final MemberId B = MemberId.of("n2", 7);

    /** One event of each type the checker knows, so a new type fails the exhaustiveness check below. */
    static List<HistoryEvent> oneOfEach() {
        return List.of(
                new HistoryEvent.ViewInstalled(A, 3, List.of(A, B)),
                new HistoryEvent.MulticastRequested(A, A + ":1", DeliveryOrder.CAUSAL),
                new HistoryEvent.Sent(A, A + ":1", DeliveryOrder.CAUSAL, 3),
                new HistoryEvent.Delivered(B, A + ":1", A, DeliveryOrder.CAUSAL, 3),
                new HistoryEvent.StateTransferred(B, 4, Set.of(A + ":1", B + ":2", A + ":10")),
                new HistoryEvent.StateTransferred(B, 5, Set.of()),
                new HistoryEvent.Crashed(A),
                new HistoryEvent.Excluded(B, 4),
                new HistoryEvent.Left(B, 5));
    }

    @Test
    void everyEventTypeRoundTrips() {
        long micros = 1_764_000_000_123_456L;
        for (HistoryEvent e : oneOfEach()) {
            String text = HistoryFormat.format(micros, e);
            HistoryFormat.Line line = HistoryFormat.parse(text);
            assertThat(line.event()).as(text).isEqualTo(e);
            assertThat(line.member()).isEqualTo(e.member());
            assertThat(line.wallMicros()).isEqualTo(micros);
            assertThat(HistoryFormat.format(micros, line.event())).isEqualTo(text);
        }
    }

    @Test
    void theSamplesCoverEveryPermittedSubtype() {
        Set<Class<?>> covered = new java.util.HashSet<>();
        oneOfEach().forEach(e -> covered.add(e.getClass()));
        assertThat(covered).containsExactlyInAnyOrder(HistoryEvent.class.getPermittedSubclasses());
    }

    @Test
    void everyDeliveryOrderRoundTrips() {
        for (DeliveryOrder o : DeliveryOrder.values()) {
            HistoryEvent e = new HistoryEvent.Delivered(A, B + ":9", B, o, 2);
            assertThat(HistoryFormat.parse(HistoryFormat.format(1, e)).event()).isEqualTo(e);
        }
    }

    @Test
    void diagnosticLinesParseWithoutAnEvent() {
        String text = HistoryFormat.diagnostic(5, HistoryFormat.ABORTED, A, A + ":3", "UNKNOWN");
        HistoryFormat.Line line = HistoryFormat.parse(text);
        assertThat(line.event()).isNull();
        assertThat(line.kind()).isEqualTo("ABORTED");
        assertThat(line.fields()).containsExactly(A + ":3", "UNKNOWN");
        assertThat(HistoryFormat.parse(HistoryFormat.diagnostic(5, HistoryFormat.NOTE, A, "a\tb\nc")).fields())
                .containsExactly("a b c");
        assertThat(HistoryFormat.parse(HistoryFormat.diagnostic(5, HistoryFormat.INCARNATION, A)).fields()).isEmpty();
    }

    @Test
    void viewLinesKeepRankOrder() {
        HistoryEvent e = new HistoryEvent.ViewInstalled(B, 9, List.of(B, A));
        assertThat(((HistoryEvent.ViewInstalled) HistoryFormat.parse(HistoryFormat.format(0, e)).event()).members())
                .containsExactly(B, A);
    }

    @Test
    void refusesWhatItCouldNotReadBack() {
        assertThatThrownBy(() -> HistoryFormat.format(1, new HistoryEvent.MulticastRequested(A, "a,b",
                DeliveryOrder.FIFO))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HistoryFormat.format(1, new HistoryEvent.Crashed(MemberId.of("has space", 1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsMalformedLines() {
        assertThatThrownBy(() -> HistoryFormat.parse("12\tVIEW")).hasMessageContaining("12\tVIEW");
        assertThatThrownBy(() -> HistoryFormat.parse("12\tSENT\tn1#1\tid\tFIFO")).hasMessageContaining("expected 3");
        assertThatThrownBy(() -> HistoryFormat.parse("12\tBOGUS\tn1#1")).hasMessageContaining("unknown kind");
        assertThatThrownBy(() -> HistoryFormat.parse("x\tCRASHED\tn1#1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HistoryFormat.parse("1\tCRASHED\tn1")).hasMessageContaining("name#incarnation");
        assertThatThrownBy(() -> HistoryFormat.parse("1\tSENT\tn1#1\tid\tBOGUS\t3")).isInstanceOf(IllegalArgumentException.class);
    }
}
