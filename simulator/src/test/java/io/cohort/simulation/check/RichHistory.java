package io.cohort.simulation.check;

import static io.cohort.api.DeliveryOrder.CAUSAL;
import static io.cohort.api.DeliveryOrder.FIFO;
import static io.cohort.api.DeliveryOrder.SAFE;
import static io.cohort.api.DeliveryOrder.TOTAL;
import static io.cohort.simulation.check.HistoryBuilder.member;

import io.cohort.api.MemberId;
import io.cohort.simulation.history.History;

/**
 * A correct run that touches every property: three members, three views, a join by state
 * transfer, a crash, all four delivery orders interleaved differently at different members where
 * the orders allow it, and liveness owed at the end.
 */
final class RichHistory {

    static final MemberId A = member("a");
    static final MemberId B = member("b");
    static final MemberId C = member("c");

    private RichHistory() {
    }

    /** @return a fresh copy of the history */
    static History build() {
        HistoryBuilder h = new HistoryBuilder();

        // View 1: a and b.
        h.install(1, A, B)
                .multicast(A, "f1", FIFO)
                .multicast(B, "c1", CAUSAL)
                .multicast(A, "t1", TOTAL)
                .multicast(B, "s1", SAFE)
                // FIFO and CAUSAL from different senders may interleave differently at a and b.
                .deliver(A, "c1", "f1")
                .deliver(B, "f1", "c1")
                // a has seen c1, so c2 causally follows it.
                .multicast(A, "c2", CAUSAL)
                .deliver(B, "c2")
                .deliver(A, "c2")
                // One total order for TOTAL and SAFE together.
                .deliver(A, "t1", "s1")
                .deliver(B, "t1", "s1")
                // A request made now is only sent in the next view.
                .request(B, "f2", FIFO);

        // View 2: c joins with the state of everything delivered in view 1.
        h.stateTransfer(C, 2, "f1", "c1", "c2", "t1", "s1")
                .install(2, A, B, C)
                .send(B, "f2", FIFO, 2)
                .multicast(C, "f3", FIFO)
                .multicast(A, "t2", TOTAL)
                .multicast(B, "s2", SAFE)
                .multicast(C, "c3", CAUSAL)
                .deliver(C, "f3", "c3", "t2", "f2")
                .deliver(A, "f2", "t2", "c3", "f3")
                // a has seen c3 and now sends c4 after it.
                .multicast(A, "c4", CAUSAL)
                .deliver(B, "t2", "f2", "f3", "s2")
                .deliver(A, "s2", "c4")
                .deliver(C, "s2", "c4")
                // b crashes without c3 and c4: allowed, as it passes into no further view.
                .crash(B);

        // View 3: a and c carry on.
        h.install(3, A, C)
                .multicast(A, "f4", FIFO)
                .multicast(C, "s3", SAFE)
                .multicast(A, "t3", TOTAL)
                .deliver(C, "s3", "f4", "t3")
                .deliver(A, "f4", "s3", "t3")
                .end(true, A, C);
        return h.build();
    }
}
