package io.cohort.recovery.checkpoint;

import io.cohort.recovery.checkpoint.CheckpointFiles.Entry;
import io.cohort.recovery.checkpoint.CheckpointVerification.Result;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.NavigableMap;

/**
 * Command-line inspector of a checkpoint directory:
 * {@code CheckpointInspector <checkpoint-directory>}.
 *
 * <p>Prints every checkpoint, newest first (sequence, view, applied index, state hash, size,
 * checksum, creation time, last view) and whether its data verifies, plus data files without
 * manifest and the number of files moved aside earlier. It only reads: unlike
 * {@link CheckpointStore#newestValid()} it moves nothing aside and deletes no temp files, so it is
 * safe to run against the directory of a live replica.
 *
 * <p>Exit status: 0 if the newest checkpoint (the one with the highest sequence that has a manifest)
 * verifies, 1 otherwise (including an empty or unreadable directory), 2 on a usage error.
 */
public final class CheckpointInspector {

    private CheckpointInspector() {
    }

    /**
     * What an inspection printed and how it ended.
     *
     * @param text     the report, one line per fact, ending with a newline
     * @param exitCode the process exit status (see the class description)
     */
    public record Report(String text, int exitCode) {
    }

    /**
     * Runs the inspector and exits with its status.
     *
     * @param args one argument: the checkpoint directory
     */
    public static void main(String[] args) {
        Report report = run(args);
        PrintStream out = report.exitCode() == 2 ? System.err : System.out;
        out.print(report.text());
        out.flush();
        System.exit(report.exitCode());
    }

    /**
     * Does what {@link #main} does without printing or exiting.
     *
     * @param args the command-line arguments
     * @return the report
     */
    public static Report run(String... args) {
        if (args == null || args.length != 1) {
            return new Report("usage: CheckpointInspector <checkpoint-directory>\n", 2);
        }
        return inspect(Path.of(args[0]));
    }

    /**
     * Inspects a checkpoint directory, read-only.
     *
     * @param directory the checkpoint directory
     * @return the report
     */
    public static Report inspect(Path directory) {
        StringBuilder text = new StringBuilder();
        line(text, "checkpoint directory %s", directory.toAbsolutePath());
        if (!Files.isDirectory(directory)) {
            line(text, "not a directory");
            return new Report(text.toString(), 1);
        }
        NavigableMap<Long, Entry> entries;
        try {
            entries = CheckpointFiles.list(directory);
        } catch (IOException e) {
            line(text, "cannot list the directory: %s", e);
            return new Report(text.toString(), 1);
        }
        Boolean newestVerifies = null;
        int checkpoints = 0;
        for (Entry entry : entries.descendingMap().values()) {
            if (entry.manifest() == null) {
                line(text, "%s: data file without manifest (not a checkpoint: a crash before the manifest"
                        + " was written, or a deleted manifest)", entry.data().getFileName());
                continue;
            }
            checkpoints++;
            Result manifest = CheckpointVerification.readManifest(entry.manifest(), entry.sequence());
            boolean ok;
            if (!manifest.ok()) {
                line(text, "checkpoint %d: %s", entry.sequence(), entry.manifest().getFileName());
                line(text, "  INVALID (manifest %s): %s", manifest.failure().kind().tag(), manifest.failure().detail());
                ok = false;
            } else {
                CheckpointManifest m = manifest.manifest();
                line(text, "checkpoint %d: %s", m.sequence(), entry.manifest().getFileName());
                line(text, "  view %d, applied index %d, state hash 0x%016x", m.viewId(), m.appliedIndex(), m.stateHash());
                line(text, "  size %d bytes, checksum crc32c %s, created %s, data file %s",
                        m.sizeBytes(), m.checksum(), m.createdAt(), m.dataFile());
                line(text, "  last view %d: %s", m.lastViewId(), m.lastViewMembers());
                Result data = CheckpointVerification.verifyData(directory, m);
                ok = data.ok();
                if (ok) {
                    line(text, "  data verifies");
                } else {
                    line(text, "  INVALID (%s %s): %s", data.failure().file().tag(), data.failure().kind().tag(),
                            data.failure().detail());
                }
            }
            if (newestVerifies == null) {
                newestVerifies = ok;
            }
        }
        long corrupt = countMovedAside(directory);
        if (corrupt > 0) {
            line(text, "%d file(s) moved aside earlier (*%s)", corrupt, CheckpointFiles.CORRUPT_SUFFIX);
        }
        if (newestVerifies == null) {
            line(text, "no checkpoint: a replica restarting here starts empty and catches up from peers");
            return new Report(text.toString(), 1);
        }
        line(text, "%d checkpoint(s); the newest %s", checkpoints, newestVerifies ? "verifies" : "does NOT verify");
        return new Report(text.toString(), newestVerifies ? 0 : 1);
    }

    private static long countMovedAside(Path directory) {
        long count = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory,
                CheckpointFiles.PREFIX + "*" + CheckpointFiles.CORRUPT_SUFFIX)) {
            for (Path ignored : stream) {
                count++;
            }
        } catch (IOException e) {
            // Only a courtesy count; the verdict does not depend on it.
            return 0;
        }
        return count;
    }

    private static void line(StringBuilder text, String format, Object... args) {
        text.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
