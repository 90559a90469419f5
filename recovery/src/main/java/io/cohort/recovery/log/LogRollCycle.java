package io.cohort.recovery.log;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;

/**
 * How often the {@link CommandLog} starts a new cycle file. Whole cycle files are the unit that
 * {@link CommandLog#removeCoveredCycles} deletes, so a shorter cycle frees disk sooner after a
 * checkpoint, at the cost of more files.
 *
 * <p>Each constant maps to a Chronicle Queue 2026.4 roll cycle; where Chronicle has a {@code FAST_}
 * variant (cheaper index arithmetic) that is the one used. Chronicle has no fast minutely cycle, so
 * {@link #MINUTELY} uses the legacy one.
 */
public enum LogRollCycle {
    /** One file an hour (Chronicle {@code RollCycles.FAST_HOURLY}). */
    HOURLY(RollCycles.FAST_HOURLY),
    /** One file a minute (Chronicle {@code LegacyRollCycles.MINUTELY}; there is no fast variant). */
    MINUTELY(LegacyRollCycles.MINUTELY),
    /** One file every five minutes (Chronicle {@code RollCycles.FIVE_MINUTELY}). */
    FIVE_MINUTELY(RollCycles.FIVE_MINUTELY),
    /** One file every ten minutes (Chronicle {@code RollCycles.TEN_MINUTELY}). */
    TEN_MINUTELY(RollCycles.TEN_MINUTELY),
    /** One file every twenty minutes (Chronicle {@code RollCycles.TWENTY_MINUTELY}). */
    TWENTY_MINUTELY(RollCycles.TWENTY_MINUTELY),
    /** One file every half hour (Chronicle {@code RollCycles.HALF_HOURLY}). */
    HALF_HOURLY(RollCycles.HALF_HOURLY),
    /** One file every two hours (Chronicle {@code RollCycles.TWO_HOURLY}). */
    TWO_HOURLY(RollCycles.TWO_HOURLY),
    /** One file a day (Chronicle {@code RollCycles.FAST_DAILY}). */
    DAILY(RollCycles.FAST_DAILY),
    /** One file a second, for tests that need many files (Chronicle {@code TestRollCycles.TEST_SECONDLY}). */
    TEST_SECONDLY(TestRollCycles.TEST_SECONDLY);

    private final RollCycle chronicle;

    LogRollCycle(RollCycle chronicle) {
        this.chronicle = chronicle;
    }

    /** The Chronicle roll cycle; package-private so Chronicle types stay out of the public API. */
    RollCycle chronicle() {
        return chronicle;
    }
}
