package io.cohort.replication.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DivergenceMonitorTest {

    private final List<Boolean> checks = new ArrayList<>();
    private final ReplicaObserver observer = new ReplicaObserver() {
        @Override
        public void divergenceCheck(boolean match) {
            checks.add(match);
        }
    };

    @Test
    void aReplicaOutvotedByTheMajorityIsDivergentWhateverTheArrivalOrder() {
        DivergenceMonitor early = new DivergenceMonitor();
        assertThat(early.report("b", 10, 5, 2, observer)).isNull();
        assertThat(early.own(10, 6, 2, observer)).isNull();
        DivergenceMonitor.Verdict v = early.report("c", 10, 5, 2, observer);
        assertThat(v).isEqualTo(new DivergenceMonitor.Verdict(10, 6, 5));
        assertThat(checks).containsExactly(false, false);

        DivergenceMonitor late = new DivergenceMonitor();
        late.report("b", 10, 5, 2, observer);
        late.report("c", 10, 5, 2, observer);
        assertThat(late.own(10, 6, 2, observer)).isEqualTo(new DivergenceMonitor.Verdict(10, 6, 5));
    }

    @Test
    void theMajorityIsNotDivergentAndMatchesAreCounted() {
        DivergenceMonitor m = new DivergenceMonitor();
        assertThat(m.own(10, 5, 2, observer)).isNull();
        assertThat(m.report("b", 10, 5, 2, observer)).isNull();
        assertThat(m.report("c", 10, 6, 2, observer)).isNull();
        assertThat(checks).containsExactly(true, false);
    }

    @Test
    void withoutAMajorityNobodyIsBlamed() {
        DivergenceMonitor m = new DivergenceMonitor();
        m.own(10, 1, 3, observer);
        m.report("b", 10, 2, 3, observer);
        assertThat(m.report("c", 10, 3, 3, observer)).isNull();
        assertThat(checks).containsExactly(false, false);
    }
}
