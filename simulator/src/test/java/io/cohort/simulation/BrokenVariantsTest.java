package io.cohort.simulation;

import io.cohort.protocol.ProtocolVariant;
import io.cohort.simulation.check.Property;
import io.cohort.simulation.check.Violation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A simulator that never fails proves nothing: each deliberately broken protocol variant must be
 * caught, by a safety property, within the default seed budget. READS_WITHOUT_CONFIRMATION breaks
 * linearizable reads, which this simulator's workload never makes: the replica simulation catches
 * it ({@code replica.ReplicaSimulationTest}, and the test kit's ledger test).
 */
class BrokenVariantsTest {

    private static final long BUDGET = 2000;

    @ParameterizedTest
    @EnumSource(value = ProtocolVariant.class, names = {"CORRECT", "READS_WITHOUT_CONFIRMATION"},
            mode = EnumSource.Mode.EXCLUDE)
    void theSimulatorCatchesTheBrokenVariant(ProtocolVariant variant) {
        Simulation.Result caught = SimulationCampaign.firstMatching(1, BUDGET, variant, SimulationSuiteTest::unsafe);

        assertThat(caught).as("%s was not caught within %d seeds", variant, BUDGET).isNotNull();
        Set<Property> broken = caught.violations().stream().map(Violation::property)
                .filter(p -> p != Property.LIVENESS).collect(Collectors.toSet());
        System.out.println(variant + " caught by seed " + caught.scenario().seed() + " violating " + broken
                + "; replay: " + Replay.command(caught.scenario().seed(), variant));
        assertThat(broken).isNotEmpty();
    }
}
