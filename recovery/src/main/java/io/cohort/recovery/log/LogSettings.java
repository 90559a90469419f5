package io.cohort.recovery.log;

import java.util.Objects;

/**
 * How a {@link CommandLog} lays out its files.
 *
 * @param rollCycle how often a new cycle file is started; not null
 */
public record LogSettings(LogRollCycle rollCycle) {

    /**
     * Validates the settings.
     *
     * @throws NullPointerException if the roll cycle is null
     */
    public LogSettings {
        Objects.requireNonNull(rollCycle, "rollCycle");
    }

    /**
     * The settings a replica uses unless configured otherwise: hourly files, a balance between the
     * number of files and how soon a checkpoint frees disk.
     *
     * @return settings with {@link LogRollCycle#HOURLY}
     */
    public static LogSettings defaults() {
        return new LogSettings(LogRollCycle.HOURLY);
    }
}
