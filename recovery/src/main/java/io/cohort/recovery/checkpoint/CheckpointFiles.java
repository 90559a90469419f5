package io.cohort.recovery.checkpoint;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cohort.recovery.fs.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * File names, directory listing and JSON of the checkpoint directory, shared by the store, the
 * verification and the inspector so that all three agree on what a checkpoint file is.
 *
 * <p>Layout: {@code checkpoint-<sequence>.data} and {@code checkpoint-<sequence>.json}, the sequence
 * zero-padded to 20 digits (so names sort like sequences and any {@code long} fits);
 * {@code <name>.tmp} while being written; {@code <name>.corrupt} once moved aside.
 */
final class CheckpointFiles {

    /** Suffix of files being written; a leftover one is a crash mid-write. */
    static final String TMP_SUFFIX = ".tmp";
    /** Suffix of files moved aside by verification, kept for inspection. */
    static final String CORRUPT_SUFFIX = ".corrupt";
    /** Prefix of every file the store owns; files without it are never touched. */
    static final String PREFIX = "checkpoint-";

    private static final Pattern DATA = Pattern.compile("checkpoint-(\\d{20})\\.data");
    private static final Pattern MANIFEST = Pattern.compile("checkpoint-(\\d{20})\\.json");

    /**
     * Strict on everything that would let a damaged manifest slip through half-read (missing or null
     * fields, bytes after the object), lenient on unknown fields so that a manifest of a newer
     * format parses far enough for the version check to name the real problem.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Both streams of a checkpoint are read and written in chunks of this size. */
    static final int BUFFER_SIZE = 64 * 1024;

    private CheckpointFiles() {
    }

    static String dataName(long sequence) {
        return String.format(Locale.ROOT, "checkpoint-%020d.data", sequence);
    }

    static String manifestName(long sequence) {
        return String.format(Locale.ROOT, "checkpoint-%020d.json", sequence);
    }

    static String hex(int crc) {
        return String.format(Locale.ROOT, "%08x", crc);
    }

    /**
     * The checkpoint files in a directory, by sequence: each entry has a manifest, a data file, or
     * both. Temporary, moved-aside and foreign files are not listed.
     *
     * @param directory the checkpoint directory
     * @return the files, ordered by sequence
     * @throws IOException if the directory cannot be listed
     */
    static NavigableMap<Long, Entry> list(Path directory) throws IOException {
        NavigableMap<Long, Entry> entries = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, PREFIX + "*")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                Matcher data = DATA.matcher(name);
                Matcher manifest = MANIFEST.matcher(name);
                if (data.matches()) {
                    parseSequence(data.group(1)).ifPresent(seq -> entries.merge(seq,
                            new Entry(seq, null, file), Entry::merge));
                } else if (manifest.matches()) {
                    parseSequence(manifest.group(1)).ifPresent(seq -> entries.merge(seq,
                            new Entry(seq, file, null), Entry::merge));
                }
            }
        }
        return entries;
    }

    private static Optional<Long> parseSequence(String digits) {
        try {
            return Optional.of(Long.parseLong(digits));
        } catch (NumberFormatException beyondLong) {
            // 20 digits can exceed Long.MAX_VALUE: such a file was not written by the store.
            return Optional.empty();
        }
    }

    /**
     * Makes the directory's entries (renames, creations) durable.
     *
     * @param directory the directory to sync
     * @throws IOException if the sync fails on a platform that supports it
     */
    static void syncDirectory(Path directory) throws IOException {
        DurableFiles.syncDirectory(directory);
    }

    /**
     * The files of one sequence.
     *
     * @param sequence the sequence in the file names
     * @param manifest the manifest file, or null if there is none
     * @param data     the data file, or null if there is none
     */
    record Entry(long sequence, Path manifest, Path data) {

        Entry merge(Entry other) {
            return new Entry(sequence, manifest != null ? manifest : other.manifest,
                    data != null ? data : other.data);
        }
    }
}
