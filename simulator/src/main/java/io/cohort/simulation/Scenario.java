package io.cohort.simulation;

import io.cohort.protocol.ProtocolVariant;

import java.util.SplittableRandom;

/**
 * The shape of one simulated run, drawn entirely from its seed: group size, network quality and
 * how often each kind of fault strikes. Two runs of the same seed and variant are identical.
 *
 * @param seed            the seed everything is drawn from
 * @param variant         protocol variant under test
 * @param initialMembers  members that bootstrap the group (3 to 5)
 * @param maxMembers      distinct member names the run may use (up to 7)
 * @param lossRate        probability a frame is lost
 * @param duplicateRate   probability a frame is delivered twice
 * @param slowRate        probability a frame takes a long detour (reordering)
 * @param faultPhaseMillis how long faults and traffic go on
 * @param settleMillis    quiet time after healing, before liveness is judged
 * @param sendIntervalMillis mean time between application multicasts
 * @param faultIntervalMillis mean time between faults
 */
public record Scenario(long seed, ProtocolVariant variant, int initialMembers, int maxMembers, double lossRate,
                       double duplicateRate, double slowRate, long faultPhaseMillis, long settleMillis,
                       long sendIntervalMillis, long faultIntervalMillis) {

    /**
     * @param seed    the seed
     * @param variant the protocol variant
     * @return the scenario that seed describes
     */
    public static Scenario fromSeed(long seed, ProtocolVariant variant) {
        SplittableRandom r = new SplittableRandom(seed);
        int initial = 3 + r.nextInt(3);
        int max = Math.min(7, initial + 1 + r.nextInt(2));
        double loss = 0.002 + r.nextDouble() * 0.08;
        double dup = 0.002 + r.nextDouble() * 0.03;
        double slow = 0.005 + r.nextDouble() * 0.05;
        long faultPhase = 2500 + r.nextInt(1500);
        long interval = 4 + r.nextInt(10);
        long faultInterval = 250 + r.nextInt(500);
        return new Scenario(seed, variant, initial, max, loss, dup, slow, faultPhase, 5000, interval, faultInterval);
    }

    @Override
    public String toString() {
        return String.format("seed=%d variant=%s members=%d..%d loss=%.3f dup=%.3f slow=%.3f faults=%dms every~%dms sends every~%dms",
                seed, variant, initialMembers, maxMembers, lossRate, duplicateRate, slowRate, faultPhaseMillis,
                faultIntervalMillis, sendIntervalMillis);
    }
}
