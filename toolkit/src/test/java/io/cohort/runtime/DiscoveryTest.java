package io.cohort.runtime;

import io.cohort.transport.DiscoveryStatus;
import io.cohort.transport.Endpoint;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up rule, driven with explicit clock values (no threads, no sockets). */
class DiscoveryTest {

    private static final Endpoint S1 = new Endpoint("127.0.0.1", 7601);
    private static final Endpoint S2 = new Endpoint("127.0.0.1", 7602);
    private static final Endpoint S3 = new Endpoint("127.0.0.1", 7603);
    private static final List<Endpoint> SEEDS = List.of(S1, S2, S3);
    private static final long ROUND_MS = 100;
    private static final long TIMEOUT_MS = 3000;

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    private static Discovery seed(Endpoint self, long startMs) {
        return new Discovery(SEEDS, self, TIMEOUT_MS, ROUND_MS, ms(startMs));
    }

    @Test
    void inASimultaneousStartOnlyTheLowestSeedStartsTheGroup() {
        Discovery d1 = seed(S1, 0);
        Discovery d2 = seed(S2, 0);
        Discovery d3 = seed(S3, 0);
        long now = ms(100);
        // Everyone backs the lowest seed that is looking.
        d1.reply(S2, DiscoveryStatus.DISCOVERING, d2.backs(now), now);
        d1.reply(S3, DiscoveryStatus.DISCOVERING, d3.backs(now), now);
        d2.reply(S1, DiscoveryStatus.DISCOVERING, d1.backs(now), now);
        d3.reply(S1, DiscoveryStatus.DISCOVERING, d1.backs(now), now);

        assertThat(d2.backs(now)).isEqualTo(S1);
        assertThat(d1.decide(now)).isEqualTo(Discovery.Decision.BOOTSTRAP);
        assertThat(d2.decide(now)).isEqualTo(Discovery.Decision.WAIT);
        assertThat(d3.decide(now)).isEqualTo(Discovery.Decision.WAIT);

        d2.reply(S1, DiscoveryStatus.MEMBER, null, ms(200));
        assertThat(d2.decide(ms(200))).isEqualTo(Discovery.Decision.JOIN);
    }

    @Test
    void aMinorityNeverStartsAGroup() {
        Discovery d1 = seed(S1, 0);
        assertThat(d1.decide(ms(100))).isEqualTo(Discovery.Decision.WAIT);
        assertThat(d1.decide(ms(60_000))).isEqualTo(Discovery.Decision.WAIT);
    }

    @Test
    void aSilentLowerSeedIsPassedOverOnlyAfterTheBootstrapTimeout() {
        Discovery d2 = seed(S2, 0);
        Discovery d3 = seed(S3, 0);
        long early = ms(1000);
        d2.reply(S3, DiscoveryStatus.DISCOVERING, d3.backs(early), early);
        assertThat(d3.backs(early)).isEqualTo(S1);
        assertThat(d2.decide(early)).isEqualTo(Discovery.Decision.WAIT);

        // After the timeout, S3 changes its backing to S2, but only after abstaining long enough
        // for its old answers to expire.
        long t = ms(3000);
        d3.reply(S2, DiscoveryStatus.DISCOVERING, S2, t);
        assertThat(d3.backs(t)).isNull();
        d3.reply(S2, DiscoveryStatus.DISCOVERING, S2, t + ms(300));
        assertThat(d3.backs(t + ms(300))).isNull();
        long later = t + ms(4 * ROUND_MS);
        d3.reply(S2, DiscoveryStatus.DISCOVERING, S2, later);
        Endpoint backs = d3.backs(later);
        assertThat(backs).isEqualTo(S2);
        d2.reply(S3, DiscoveryStatus.DISCOVERING, backs, later);
        // S2 too backed S1 before, so it abstains as long before backing itself.
        assertThat(d2.decide(later)).isEqualTo(Discovery.Decision.WAIT);
        long after = later + ms(4 * ROUND_MS);
        d3.reply(S2, DiscoveryStatus.DISCOVERING, null, after);
        d2.reply(S3, DiscoveryStatus.DISCOVERING, d3.backs(after), after);
        assertThat(d2.decide(after)).isEqualTo(Discovery.Decision.BOOTSTRAP);
    }

    @Test
    void aLowestSeedStartingLateCannotStartASecondGroup() {
        // S2 and S3 started long ago without S1, S3 backs S2, and S2 has started the group.
        Discovery d3 = seed(S3, 0);
        assertThat(d3.backs(ms(100))).isEqualTo(S1);    // at first, the silent lowest seed is excused
        long t = ms(10_000);
        d3.reply(S2, DiscoveryStatus.DISCOVERING, S2, t);
        assertThat(d3.backs(t)).isNull();               // changing from S1 to S2: abstains first
        d3.reply(S2, DiscoveryStatus.DISCOVERING, S2, t + ms(400));
        assertThat(d3.backs(t + ms(400))).isEqualTo(S2);
        // S1 appears, looking. S3 would now prefer S1, but first withdraws its backing of S2.
        Discovery d1 = seed(S1, 10_400);
        long t1 = t + ms(450);
        d3.reply(S1, DiscoveryStatus.DISCOVERING, S1, t1);
        Endpoint s3Backs = d3.backs(t1);
        assertThat(s3Backs).isNull();
        d1.reply(S3, DiscoveryStatus.DISCOVERING, s3Backs, t1);
        d1.reply(S2, DiscoveryStatus.MEMBER, null, t1);
        assertThat(d1.decide(t1)).isEqualTo(Discovery.Decision.JOIN);
        // Even without hearing S2 at all, S1 has no majority while S3 abstains.
        Discovery isolated = seed(S1, 10_400);
        isolated.reply(S3, DiscoveryStatus.DISCOVERING, s3Backs, t1);
        assertThat(isolated.decide(t1)).isEqualTo(Discovery.Decision.WAIT);
    }

    @Test
    void aLowerSeedThatLeftDoesNotBlockTheStart() {
        Discovery d2 = seed(S2, 0);
        Discovery d3 = seed(S3, 0);
        long now = ms(5000);
        d2.reply(S1, DiscoveryStatus.INACTIVE, null, now);
        d3.reply(S1, DiscoveryStatus.INACTIVE, null, now);
        long later = now + ms(400);
        d3.reply(S2, DiscoveryStatus.DISCOVERING, S2, later);
        d2.reply(S3, DiscoveryStatus.DISCOVERING, d3.backs(later), later);
        assertThat(d2.decide(later)).isEqualTo(Discovery.Decision.BOOTSTRAP);
    }
}
