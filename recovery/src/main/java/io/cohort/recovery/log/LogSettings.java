package io.cohort.recovery.log;

import java.util.Objects;

/**
 * How a {@link CommandLog} lays out its files.
 *
 * <p>The roll cycle applies to a new log only: Chronicle records it in the queue and keeps using it
 * for an existing log whatever the settings say later (it logs the override at WARN), so changed
 * settings never misread old files. A log rewritten after corruption takes the current settings.
 *
 * @param rollCycle how often a new cycle file is started; not null
 */
public record LogSettings(LogRollCycle rollCycle) {

    /**
     * Validates the settings.
     *
     * @param rollCycle how often a new cycle file is started
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
