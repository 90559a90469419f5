package io.cohort.samples.rsm;

import io.cohort.testkit.StateMachineTestKit;
import io.cohort.testkit.TestKitReport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The test of docs/first-replicated-state-machine.md, section 5. */
class NamedCountersTestKitTest {

    @Test
    void countersStayEqualAndNeverGoNegativeUnderFaults() {
        TestKitReport report = StateMachineTestKit.forMachine(NamedCounters::new)
                .commands((random, client) -> NamedCounters.add("c" + random.nextInt(4), 1 + random.nextInt(10)))
                .queries(random -> NamedCounters.get("c" + random.nextInt(4)))
                .invariant("no counter is negative", counters -> counters.lowest() >= 0)
                .schedules(100)
                .run();
        if (!report.replay()) {
            assertThat(report.crashes()).isPositive();
            assertThat(report.commandsAcknowledged()).isPositive();
        }
    }
}
