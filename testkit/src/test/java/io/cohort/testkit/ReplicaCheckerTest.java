package io.cohort.testkit;

import io.cohort.api.MemberId;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.wire.ResponseStatus;
import io.cohort.simulation.replica.ReplicaChecker;
import io.cohort.simulation.replica.ReplicaEvent.Acknowledged;
import io.cohort.simulation.replica.ReplicaEvent.Applied;
import io.cohort.simulation.replica.ReplicaEvent.Confirmed;
import io.cohort.simulation.replica.ReplicaEvent.Divergent;
import io.cohort.simulation.replica.ReplicaEvent.FinalState;
import io.cohort.simulation.replica.ReplicaEvent.Hashed;
import io.cohort.simulation.replica.ReplicaEvent.InvariantBroken;
import io.cohort.simulation.replica.ReplicaEvent.NotSettled;
import io.cohort.simulation.replica.ReplicaEvent.Outstanding;
import io.cohort.simulation.replica.ReplicaEvent.ReadAnswered;
import io.cohort.simulation.replica.ReplicaEvent.ReadInvoked;
import io.cohort.simulation.replica.ReplicaEvent.RunError;
import io.cohort.simulation.replica.ReplicaEvent.StateInPlace;
import io.cohort.simulation.replica.ReplicaEvent.Stopped;
import io.cohort.simulation.replica.ReplicaEvent.UnexpectedAnswer;
import io.cohort.simulation.replica.ReplicaHistory;
import io.cohort.simulation.replica.ReplicaProperty;
import io.cohort.simulation.replica.ReplicaViolation;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A check that cannot fail proves nothing: each check of the kit fires on a hand-built history
 * made to break it, stays silent on the same history without the fault, and the whole checker
 * passes a clean history.
 */
class ReplicaCheckerTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId C = MemberId.of("c", 1);
    private static final MemberId C2 = MemberId.of("c", 2);
    private static final long X = 101;
    private static final long Y = 202;

    private final ReplicaChecker checker = new ReplicaChecker();

    /** Three replicas that applied x#1 then y#1 and ended settled and equal, a client acked and reading. */
    private static ReplicaHistory clean() {
        ReplicaHistory h = new ReplicaHistory();
        for (MemberId r : List.of(A, B, C)) {
            h.record(new StateInPlace(r, null, 0));
        }
        for (MemberId r : List.of(A, B, C)) {
            h.record(new Applied(r, 1, X, 1, false));
            h.record(new Hashed(r, 1, 11));
        }
        h.record(new Acknowledged(X, 1, A, 1));
        h.record(new ReadInvoked(Y, 1, ReadConsistency.LINEARIZABLE));
        h.record(new ReadAnswered(Y, 1, B, 1));
        for (MemberId r : List.of(A, B, C)) {
            h.record(new Applied(r, 2, Y, 1, false));
        }
        h.record(new Acknowledged(Y, 1, B, 2));
        for (MemberId r : List.of(A, B, C)) {
            h.record(new FinalState(r, 1, 2, 22));
        }
        return h.end(true, true);
    }

    @Test
    void aCleanHistoryPassesEveryCheck() {
        assertThat(checker.check(clean())).isEmpty();
    }

    // ------------------------------------------------------------------ agreement

    @Test
    void twoReplicasApplyingDifferentCommandsAtOneIndexDisagree() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false));
        h.record(new Applied(B, 1, Y, 1, false));

        assertThat(checker.agreement(h)).singleElement().satisfies(v -> {
            assertThat(v.property()).isEqualTo(ReplicaProperty.AGREEMENT);
            assertThat(v.detail()).contains("index 1", "a#1", "b#1", "client " + X + " #1", "client " + Y + " #1");
        });
    }

    @Test
    void differentHashesAtOneIndexDisagree() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false)).record(new Hashed(A, 1, 11));
        h.record(new Applied(B, 1, X, 1, false)).record(new Hashed(B, 1, 12));

        assertThat(checker.agreement(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("state hash at applied index 1");
    }

    @Test
    void differentEndStatesAtOneIndexDisagree() {
        ReplicaHistory h = clean();
        h.record(new FinalState(MemberId.of("d", 1), 1, 2, 23));

        assertThat(checker.agreement(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("at the end", "their states differ");
        // An unsettled group may still have deliveries in flight: its end states are not compared.
        assertThat(checker.agreement(h.end(true, false))).isEmpty();
    }

    @Test
    void aJoinerThatRestoredAWrongStateDisagreesThroughItsSnapshot() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false)).record(new Applied(A, 2, Y, 1, false));
        h.record(new Applied(B, 1, Y, 1, false)); // b's state is wrong at index 1
        h.record(new StateInPlace(C2, B, 1));
        h.record(new Applied(C2, 2, Y, 2, false));

        List<ReplicaViolation> violations = checker.agreement(h);
        assertThat(violations).extracting(ReplicaViolation::detail)
                .anyMatch(d -> d.contains("c#2") && d.contains("restored from a snapshot"));
    }

    @Test
    void theCoresOwnDivergenceFindingIsADisagreement() {
        ReplicaHistory h = new ReplicaHistory().record(new Divergent(A, 5, 1, 2));

        assertThat(checker.agreement(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("diverged");
    }

    @Test
    void aDeadPrimarysUnconfirmedUpdateIsNotTheGroupsUnlessPassedOnInASnapshot() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, true)).record(new Confirmed(A, X, 1));
        h.record(new Applied(A, 2, X, 2, true)); // applied ahead, never delivered: died with a
        h.record(new Stopped(A, "crashed"));
        h.record(new Applied(B, 1, X, 1, false)).record(new Applied(B, 2, Y, 1, false));
        assertThat(checker.agreement(h)).isEmpty();

        h.record(new StateInPlace(C2, A, 2)); // but a joiner that got it by snapshot holds it
        assertThat(checker.agreement(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("c#2", "index 2");
    }

    // ------------------------------------------------------------------ exactly-once

    @Test
    void aCommandAppliedTwiceIsCaught() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false)).record(new Applied(A, 2, X, 1, false));

        assertThat(checker.exactlyOnce(h)).singleElement().satisfies(v -> {
            assertThat(v.property()).isEqualTo(ReplicaProperty.EXACTLY_ONCE);
            assertThat(v.detail()).contains("a#1 applied client " + X + " #1 twice", "index 1", "index 2");
        });
    }

    @Test
    void aJoinerApplyingACommandItsSnapshotAlreadyHoldsAppliesItTwice() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false));
        h.record(new StateInPlace(C2, A, 1));
        h.record(new Applied(C2, 2, X, 1, false)); // the retry got past the session table

        assertThat(checker.exactlyOnce(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("c#2 applied client " + X + " #1 twice");
    }

    @Test
    void aClientRefusedACommandItNeverHadAnsweredIsCaught() {
        ReplicaHistory h = new ReplicaHistory()
                .record(new UnexpectedAnswer(X, 3, ResponseStatus.REJECTED, "already acknowledged"));

        assertThat(checker.exactlyOnce(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("REJECTED", "#3");
    }

    // ------------------------------------------------------------------ durability

    @Test
    void anAcknowledgedCommandMissingFromALiveReplicaAtTheEndIsCaught() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false)).record(new Acknowledged(X, 1, A, 1));
        h.record(new Applied(B, 1, Y, 1, false)).record(new Applied(A, 2, Y, 1, false));
        h.record(new FinalState(B, 2, 1, 5)).end(true, true);

        assertThat(checker.durability(h)).singleElement().satisfies(v -> {
            assertThat(v.property()).isEqualTo(ReplicaProperty.DURABILITY);
            assertThat(v.detail()).contains("client " + X + " #1", "missing from live replica b#1");
        });
    }

    @Test
    void anAcknowledgementFromAReplicaThatNeverAppliedTheCommandIsCaught() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, Y, 1, false)).record(new Acknowledged(X, 1, A, 1));

        assertThat(checker.durability(h)).singleElement().extracting(ReplicaViolation::detail)
                .asString().contains("acknowledged OK by a#1", "does not include it");
    }

    @Test
    void endStatesAreNotJudgedWhenTheGroupDidNotSettle() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false)).record(new Acknowledged(X, 1, A, 1));
        h.record(new FinalState(B, 2, 0, 5)).end(true, false);

        assertThat(checker.durability(h)).isEmpty();
    }

    // ------------------------------------------------------------------ read freshness

    @Test
    void aLinearizableReadMissingACommandAcknowledgedBeforeItBeganIsStale() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false)).record(new Applied(A, 2, X, 2, false));
        h.record(new Acknowledged(X, 2, A, 2));
        h.record(new ReadInvoked(Y, 7, ReadConsistency.LINEARIZABLE));
        h.record(new ReadAnswered(Y, 7, B, 1));

        assertThat(checker.readFreshness(h)).singleElement().satisfies(v -> {
            assertThat(v.property()).isEqualTo(ReplicaProperty.READ_FRESHNESS);
            assertThat(v.detail()).contains("stale read", "read 7", "b#1 at applied index 1", "applied index 2");
        });
    }

    @Test
    void aReadConcurrentWithTheAcknowledgementOrStaleByRequestIsNotStale() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new Applied(A, 1, X, 1, false));
        h.record(new ReadInvoked(Y, 1, ReadConsistency.LINEARIZABLE)); // invoked before the ack arrived
        h.record(new Acknowledged(X, 1, A, 1));
        h.record(new ReadAnswered(Y, 1, B, 0));
        h.record(new ReadInvoked(Y, 2, ReadConsistency.STALE));
        h.record(new ReadAnswered(Y, 2, B, 0));

        assertThat(checker.readFreshness(h)).isEmpty();
    }

    // ------------------------------------------------------------------ liveness and invariants

    @Test
    void hangingOperationsAndAnUnsettledGroupBreakLivenessOnlyWhereItIsOwed() {
        ReplicaHistory h = new ReplicaHistory();
        h.record(new NotSettled("b#1 JOINING without state"));
        h.record(new Outstanding(X, "command #4 (last sent to b)", 3, 1200));

        assertThat(checker.liveness(h.end(true, false))).extracting(ReplicaViolation::detail)
                .containsExactly("the group did not settle after the network healed: b#1 JOINING without state",
                        "client " + X + "'s command #4 (last sent to b), invoked at 1200 ms and sent 3 time(s), never completed");
        assertThat(checker.liveness(h.end(false, false))).isEmpty();
    }

    @Test
    void aBrokenUserInvariantIsReported() {
        ReplicaHistory h = new ReplicaHistory()
                .record(new InvariantBroken(B, "money is conserved", 12, "does not hold after applying client 1 #2"));

        assertThat(checker.invariants(h)).singleElement().satisfies(v -> {
            assertThat(v.property()).isEqualTo(ReplicaProperty.INVARIANT);
            assertThat(v.detail()).contains("\"money is conserved\"", "b#1", "applied index 12");
        });
    }

    @Test
    void aRunErrorIsReported() {
        ReplicaHistory h = new ReplicaHistory().record(new RunError("java.io.IOException: disk full"));

        assertThat(checker.check(h)).extracting(ReplicaViolation::property).containsExactly(ReplicaProperty.RUN_ERROR);
    }

    @Test
    void violationsAreCappedPerPropertyWithACount() {
        ReplicaHistory h = new ReplicaHistory();
        for (int i = 1; i <= 25; i++) {
            h.record(new Applied(A, i, X, i, false)).record(new Applied(B, i, Y, i, false));
        }

        List<ReplicaViolation> violations = checker.agreement(h);
        assertThat(violations).hasSize(ReplicaChecker.MAX_PER_PROPERTY + 1);
        assertThat(violations.get(ReplicaChecker.MAX_PER_PROPERTY).detail()).isEqualTo("... and 15 more like these");
    }
}
