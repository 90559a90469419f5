package io.cohort.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.group.RecoveryClaim;
import io.cohort.transport.DiscoveryStatus;
import io.cohort.transport.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The restart rule after a total failure: the group restarts from the most advanced disk among a
 * majority of the last view, never from an older one, at the view after the last one.
 */
class RecoveryDiscoveryTest {

    private static final Endpoint S1 = new Endpoint("127.0.0.1", 7601);
    private static final Endpoint S2 = new Endpoint("127.0.0.1", 7602);
    private static final Endpoint S3 = new Endpoint("127.0.0.1", 7603);
    private static final List<Endpoint> SEEDS = List.of(S1, S2, S3);
    private static final List<String> LAST_VIEW = List.of("n1", "n2", "n3");
    private static final long ROUND_MS = 100;
    private static final long TIMEOUT_MS = 3000;

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    private static RecoveryClaim claim(long viewId, long position) {
        return new RecoveryClaim(viewId, position, LAST_VIEW);
    }

    private static Discovery seed(Endpoint self, String name, RecoveryClaim claim) {
        return new Discovery(SEEDS, self, TIMEOUT_MS, ROUND_MS, 0, name, claim);
    }

    /** Delivers {@code from}'s answer (with its current backing and claim) to {@code to}. */
    private static void answer(Discovery to, Discovery from, Endpoint fromAddress, String name, RecoveryClaim claim,
                               long now) {
        to.reply(fromAddress, name, DiscoveryStatus.DISCOVERING, from.backs(now), claim, now);
    }

    @Test
    void theMostAdvancedDiskStartsTheGroupEvenIfItIsNotTheLowestSeed() {
        RecoveryClaim c1 = claim(7, 100);
        RecoveryClaim c2 = claim(7, 140);
        RecoveryClaim c3 = claim(6, 900);
        Discovery d1 = seed(S1, "n1", c1);
        Discovery d2 = seed(S2, "n2", c2);
        Discovery d3 = seed(S3, "n3", c3);
        long now = 0;
        // A seed that first backed another candidate abstains for a few rounds before switching.
        for (int round = 1; round <= 10; round++) {
            now = ms(round * ROUND_MS);
            answer(d1, d2, S2, "n2", c2, now);
            answer(d1, d3, S3, "n3", c3, now);
            answer(d2, d1, S1, "n1", c1, now);
            answer(d2, d3, S3, "n3", c3, now);
            answer(d3, d1, S1, "n1", c1, now);
            answer(d3, d2, S2, "n2", c2, now);
        }

        // View 7 beats view 6 whatever its position; within view 7 the longer log wins.
        assertThat(d1.backs(now)).isEqualTo(S2);
        assertThat(d3.backs(now)).isEqualTo(S2);
        assertThat(d2.decide(now)).isEqualTo(Discovery.Decision.BOOTSTRAP);
        assertThat(d1.decide(now)).isEqualTo(Discovery.Decision.WAIT);
        assertThat(d3.decide(now)).isEqualTo(Discovery.Decision.WAIT);
        assertThat(d2.firstViewId()).isEqualTo(8);
    }

    @Test
    void aRestartWaitsForAMajorityOfTheLastViewWithStateOnDisk() {
        RecoveryClaim c2 = claim(7, 140);
        Discovery d2 = seed(S2, "n2", c2);
        Discovery d3 = seed(S3, "n3", RecoveryClaim.NONE);
        long now = 0;
        // n3 lost its disk: it backs n2 (the seeds are a majority) but does not count towards the
        // majority of the last view, so n2 alone must not restart the group from its own disk.
        for (int round = 1; round <= 10; round++) {
            now = ms(round * ROUND_MS);
            answer(d2, d3, S3, "n3", RecoveryClaim.NONE, now);
            answer(d3, d2, S2, "n2", c2, now);
        }
        assertThat(d3.backs(now)).isEqualTo(S2);
        assertThat(d2.recoveryQuorum(now)).isFalse();
        assertThat(d2.decide(now)).isEqualTo(Discovery.Decision.WAIT);

        // n1 comes back with its disk: now two of the three members of view 7 are present.
        RecoveryClaim c1 = claim(7, 100);
        Discovery d1 = seed(S1, "n1", c1);
        answer(d1, d2, S2, "n2", c2, now);
        answer(d2, d1, S1, "n1", c1, now);
        assertThat(d2.recoveryQuorum(now)).isTrue();
        assertThat(d2.decide(now)).isEqualTo(Discovery.Decision.BOOTSTRAP);
    }

    @Test
    void aMemberWithAnOlderDiskJoinsALiveGroupInsteadOfStartingOne() {
        Discovery d1 = seed(S1, "n1", claim(3, 10));
        long now = ms(100);
        d1.reply(S2, "n2", DiscoveryStatus.MEMBER, null, RecoveryClaim.NONE, now);
        assertThat(d1.decide(now)).isEqualTo(Discovery.Decision.JOIN);
    }

    @Test
    void withoutClaimsTheLowestSeedStillStartsAFreshGroupAtViewOne() {
        Discovery d1 = seed(S1, "n1", RecoveryClaim.NONE);
        Discovery d2 = seed(S2, "n2", RecoveryClaim.NONE);
        long now = ms(100);
        answer(d1, d2, S2, "n2", RecoveryClaim.NONE, now);
        answer(d2, d1, S1, "n1", RecoveryClaim.NONE, now);
        answer(d1, d2, S2, "n2", RecoveryClaim.NONE, now);
        assertThat(d1.decide(now)).isEqualTo(Discovery.Decision.BOOTSTRAP);
        assertThat(d1.firstViewId()).isEqualTo(1);
    }
}
