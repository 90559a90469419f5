package io.cohort.benchmarks.recovery;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SimpleMeterRegistry} whose timers of the given names also record every value into an
 * HdrHistogram {@link Recorder}, so that a benchmark can read exact percentiles and the maximum of
 * an interval ({@link #interval}) instead of Micrometer's time-decaying ones. All timers of one name
 * (whatever their tags) share one recorder.
 */
final class RecordingMeterRegistry extends SimpleMeterRegistry {

    private final Set<String> recorded;
    private final Map<String, Recorder> recorders = new ConcurrentHashMap<>();

    /** @param recorded the names of the timers to record */
    RecordingMeterRegistry(Set<String> recorded) {
        this.recorded = Set.copyOf(recorded);
        recorded.forEach(name -> recorders.put(name, new Recorder(3)));
    }

    @Override
    protected Timer newTimer(Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
        Recorder recorder = recorders.get(id.getName());
        if (recorder == null || !recorded.contains(id.getName())) {
            return super.newTimer(id, config, pauseDetector);
        }
        return new CumulativeTimer(id, clock, config, pauseDetector, getBaseTimeUnit(), false) {
            @Override
            protected void recordNonNegative(long amount, TimeUnit unit) {
                super.recordNonNegative(amount, unit);
                recorder.recordValue(Math.max(0, unit.toNanos(amount)));
            }
        };
    }

    /**
     * @param name a recorded timer's name
     * @return its values (nanoseconds) since the previous call (or since the start)
     */
    Histogram interval(String name) {
        Recorder r = recorders.get(name);
        if (r == null) {
            throw new IllegalArgumentException(name + " is not recorded");
        }
        return r.getIntervalHistogram();
    }
}
