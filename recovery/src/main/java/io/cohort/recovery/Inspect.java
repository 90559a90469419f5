package io.cohort.recovery;

import io.cohort.recovery.checkpoint.CheckpointInspector;
import io.cohort.recovery.log.LogInspector;
import java.util.Arrays;

/**
 * Command line for looking at a replica's disk, read-only:
 * {@code Inspect log <log-directory> [--from N] [--limit N]} or
 * {@code Inspect checkpoints <checkpoint-directory>}. Run by the {@code cohort-inspect} script.
 */
public final class Inspect {

    private Inspect() {
    }

    /**
     * @param args {@code log ...} or {@code checkpoints ...}
     */
    public static void main(String[] args) {
        if (args.length >= 1 && args[0].equals("log")) {
            LogInspector.main(Arrays.copyOfRange(args, 1, args.length));
        } else if (args.length >= 1 && args[0].equals("checkpoints")) {
            CheckpointInspector.main(Arrays.copyOfRange(args, 1, args.length));
        } else {
            System.err.println("usage: cohort-inspect log <log-directory> [--from <sequence>] [--limit <n>]\n"
                    + "       cohort-inspect checkpoints <checkpoint-directory>");
            System.exit(2);
        }
    }
}
