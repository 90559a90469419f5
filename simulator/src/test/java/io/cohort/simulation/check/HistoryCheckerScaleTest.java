package io.cohort.simulation.check;

import static io.cohort.simulation.check.HistoryBuilder.member;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;
import io.cohort.simulation.history.HistoryEvent.Crashed;
import io.cohort.simulation.history.HistoryEvent.Delivered;
import io.cohort.simulation.history.HistoryEvent.MulticastRequested;
import io.cohort.simulation.history.HistoryEvent.Sent;
import io.cohort.simulation.history.HistoryEvent.StateTransferred;
import io.cohort.simulation.history.HistoryEvent.ViewInstalled;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

/**
 * Large generated histories: a correct one must pass (no false positives once orders, joins and
 * crashes mix at scale), a single planted fault must be found, and the check must stay linear:
 * the simulator runs it on thousands of histories per test run.
 */
class HistoryCheckerScaleTest {

    private static final DeliveryOrder[] ORDERS = DeliveryOrder.values();

    /**
     * A correct run: in each view every message is delivered by every member at once, in send
     * order, which satisfies every order at the same time. d crashes in the middle of the run and
     * e joins by state transfer.
     */
    private static List<HistoryEvent> generate(long seed, int views, int messagesPerView) {
        Random random = new Random(seed);
        MemberId a = member("a");
        MemberId b = member("b");
        MemberId c = member("c");
        MemberId d = member("d");
        MemberId e = member("e");
        List<HistoryEvent> events = new ArrayList<>();
        Set<String> delivered = new LinkedHashSet<>();
        List<MemberId> members = List.of(a, b, c, d);
        int crashAt = views / 3;
        int joinAt = 2 * views / 3;
        int next = 0;
        for (long v = 1; v <= views; v++) {
            if (v == crashAt) {
                events.add(new Crashed(d));
                members = List.of(a, b, c);
            }
            if (v == joinAt) {
                events.add(new StateTransferred(e, v, delivered));
                members = List.of(a, b, c, e);
            }
            for (MemberId m : members) {
                events.add(new ViewInstalled(m, v, members));
            }
            for (int i = 0; i < messagesPerView; i++) {
                MemberId sender = members.get(random.nextInt(members.size()));
                DeliveryOrder order = ORDERS[random.nextInt(ORDERS.length)];
                String id = "m" + next++;
                events.add(new MulticastRequested(sender, id, order));
                events.add(new Sent(sender, id, order, v));
                for (MemberId m : members) {
                    events.add(new Delivered(m, id, sender, order, v));
                }
                delivered.add(id);
            }
        }
        return events;
    }

    private static History historyOf(List<HistoryEvent> events, Predicate<HistoryEvent> keep) {
        History history = new History();
        events.stream().filter(keep).forEach(history::record);
        history.end(Set.of(member("a"), member("b"), member("c"), member("e")), true);
        return history;
    }

    @Test
    void largeCorrectHistoryPassesInLinearTime() {
        List<HistoryEvent> events = generate(42, 30, 4_000);
        History history = historyOf(events, ev -> true);
        assertThat(history.events()).hasSizeGreaterThan(500_000);

        long start = System.nanoTime();
        List<Violation> violations = new HistoryChecker().check(history);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(violations).isEmpty();
        // Half a million events; a check quadratic in the history would take hours, a linear one well under a second.
        assertThat(millis).isLessThan(20_000);
    }

    @Test
    void manyTypicalHistoriesPass() {
        HistoryChecker checker = new HistoryChecker();
        for (long seed = 0; seed < 200; seed++) {
            History history = historyOf(generate(seed, 6, 120), ev -> true);
            assertThat(checker.check(history)).as("seed %d", seed).isEmpty();
        }
    }

    @Test
    void oneDroppedDeliveryInALargeHistoryIsFound() {
        List<HistoryEvent> events = generate(7, 30, 2_000);
        // b misses one message in view 10, which it then leaves for view 11 alongside a and c.
        Delivered victim = events.stream()
                .filter(ev -> ev instanceof Delivered d && d.viewId() == 10 && d.member().equals(member("b")))
                .map(Delivered.class::cast)
                .skip(500)
                .findFirst()
                .orElseThrow();
        History history = historyOf(events, ev -> ev != victim);

        List<Violation> violations = new HistoryChecker().check(history);

        assertThat(violations).extracting(Violation::property).contains(Property.VIRTUAL_SYNCHRONY, Property.LIVENESS);
        assertThat(violations).filteredOn(v -> v.property() == Property.VIRTUAL_SYNCHRONY)
                .allSatisfy(v -> assertThat(v.detail()).contains(victim.messageId()));
    }
}
