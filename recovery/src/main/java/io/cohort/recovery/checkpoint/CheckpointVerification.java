package io.cohort.recovery.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Read-only checks of one checkpoint on disk. It only reports; what to do about a failure (log,
 * count, move aside) is decided by {@link CheckpointStore}, so that {@link CheckpointInspector} can
 * run the same checks against a live directory without changing it.
 */
final class CheckpointVerification {

    private CheckpointVerification() {
    }

    /** Which file of a checkpoint is bad: the {@code file} tag of the corruption counter. */
    enum FileKind {
        /** The data file. */
        CHECKPOINT,
        /** The manifest. */
        MANIFEST;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What is wrong with it: the {@code kind} tag of the corruption counter. */
    enum Kind {
        /** The content differs from what the manifest records (CRC32C, or a file longer than recorded). */
        CHECKSUM,
        /** The file is shorter than the manifest records. */
        TRUNCATED,
        /** The file is not there (a manifest without data, or data without manifest). */
        MISSING,
        /**
         * The manifest cannot be trusted: not JSON, a field missing or malformed, an unknown format
         * version, or a sequence or data file name that disagrees with the manifest's own file name.
         */
        UNPARSABLE;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Why a checkpoint failed.
     *
     * @param file   which of its files is bad
     * @param kind   what is wrong
     * @param detail one human-readable sentence naming the file and the problem
     */
    record Failure(FileKind file, Kind kind, String detail) {
    }

    /**
     * The outcome of reading a manifest or verifying a checkpoint: exactly one of the two is set.
     *
     * @param manifest the manifest, if it (and, for a full verification, its data) checks out
     * @param failure  the reason it does not
     */
    record Result(CheckpointManifest manifest, Failure failure) {

        boolean ok() {
            return failure == null;
        }

        static Result ok(CheckpointManifest manifest) {
            return new Result(manifest, null);
        }

        static Result failed(FileKind file, Kind kind, String detail) {
            return new Result(null, new Failure(file, kind, detail));
        }
    }

    /**
     * Reads and checks a manifest: it parses, has a known format version, and describes the
     * checkpoint its file name says (same sequence, the matching data file name; the latter also
     * keeps a manifest from pointing outside the directory).
     *
     * @param manifestFile     the manifest file
     * @param expectedSequence the sequence in its file name
     * @return the manifest, or why it cannot be used
     */
    static Result readManifest(Path manifestFile, long expectedSequence) {
        String name = manifestFile.getFileName().toString();
        CheckpointManifest manifest;
        try (InputStream in = Files.newInputStream(manifestFile)) {
            manifest = CheckpointFiles.JSON.readValue(in, CheckpointManifest.class);
        } catch (NoSuchFileException e) {
            return Result.failed(FileKind.MANIFEST, Kind.MISSING, "manifest " + name + " is missing");
        } catch (IOException | RuntimeException e) {
            // Jackson reports bad JSON, missing fields and constructor rejections all as
            // exceptions; an I/O error reading the file leaves it just as unusable.
            return Result.failed(FileKind.MANIFEST, Kind.UNPARSABLE,
                    "manifest " + name + " is unparsable: " + oneLine(e));
        }
        if (manifest == null) {
            return Result.failed(FileKind.MANIFEST, Kind.UNPARSABLE, "manifest " + name + " is empty (JSON null)");
        }
        if (manifest.formatVersion() != CheckpointManifest.CURRENT_FORMAT_VERSION) {
            return Result.failed(FileKind.MANIFEST, Kind.UNPARSABLE, "manifest " + name
                    + " has unknown format version " + manifest.formatVersion()
                    + " (this code reads version " + CheckpointManifest.CURRENT_FORMAT_VERSION + ")");
        }
        if (manifest.sequence() != expectedSequence) {
            return Result.failed(FileKind.MANIFEST, Kind.UNPARSABLE, "manifest " + name + " says sequence "
                    + manifest.sequence() + ", its file name says " + expectedSequence);
        }
        String expectedData = CheckpointFiles.dataName(expectedSequence);
        if (!manifest.dataFile().equals(expectedData)) {
            return Result.failed(FileKind.MANIFEST, Kind.UNPARSABLE, "manifest " + name + " names data file '"
                    + manifest.dataFile() + "', expected " + expectedData);
        }
        return Result.ok(manifest);
    }

    /**
     * Checks that a manifest's data file exists, has the recorded size and the recorded CRC32C.
     * The whole file is read, streaming, in {@link CheckpointFiles#BUFFER_SIZE} chunks.
     *
     * @param directory the checkpoint directory
     * @param manifest  a manifest that passed {@link #readManifest}
     * @return the manifest, or why its data cannot be used
     */
    static Result verifyData(Path directory, CheckpointManifest manifest) {
        Path data = directory.resolve(manifest.dataFile());
        String name = manifest.dataFile();
        long size;
        try {
            size = Files.size(data);
        } catch (NoSuchFileException e) {
            return Result.failed(FileKind.CHECKPOINT, Kind.MISSING, "data file " + name + " is missing");
        } catch (IOException e) {
            // Present but unreadable: the content cannot be confirmed, as with a read error below.
            return Result.failed(FileKind.CHECKPOINT, Kind.CHECKSUM, "data file " + name + " cannot be read: " + oneLine(e));
        }
        if (size < manifest.sizeBytes()) {
            return Result.failed(FileKind.CHECKPOINT, Kind.TRUNCATED, "data file " + name + " is truncated: "
                    + size + " bytes, manifest says " + manifest.sizeBytes());
        }
        if (size > manifest.sizeBytes()) {
            // Longer than written: its content is not what was checksummed.
            return Result.failed(FileKind.CHECKPOINT, Kind.CHECKSUM, "data file " + name + " is longer than recorded: "
                    + size + " bytes, manifest says " + manifest.sizeBytes());
        }
        CRC32C crc = new CRC32C();
        long read = 0;
        try (InputStream in = Files.newInputStream(data)) {
            byte[] buffer = new byte[CheckpointFiles.BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                crc.update(buffer, 0, n);
                read += n;
            }
        } catch (IOException e) {
            // A read error (a bad sector) means the content cannot be confirmed: same as a bad checksum.
            return Result.failed(FileKind.CHECKPOINT, Kind.CHECKSUM, "data file " + name
                    + " cannot be read to the end: " + oneLine(e));
        }
        if (read != manifest.sizeBytes()) {
            // The file changed size between the two checks; say what was actually read.
            return Result.failed(FileKind.CHECKPOINT, read < manifest.sizeBytes() ? Kind.TRUNCATED : Kind.CHECKSUM,
                    "data file " + name + " has " + read + " bytes, manifest says " + manifest.sizeBytes());
        }
        String actual = CheckpointFiles.hex((int) crc.getValue());
        if (!actual.equals(manifest.checksum())) {
            return Result.failed(FileKind.CHECKPOINT, Kind.CHECKSUM, "data file " + name + " fails its checksum: crc32c "
                    + actual + ", manifest says " + manifest.checksum());
        }
        return Result.ok(manifest);
    }

    /**
     * Full verification of one checkpoint: its manifest, then its data.
     *
     * @param directory    the checkpoint directory
     * @param manifestFile the manifest file
     * @param sequence     the sequence in its name
     * @return the manifest, or the first reason the checkpoint cannot be used
     */
    static Result verify(Path directory, Path manifestFile, long sequence) {
        Result manifest = readManifest(manifestFile, sequence);
        return manifest.ok() ? verifyData(directory, manifest.manifest()) : manifest;
    }

    private static String oneLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // Jackson messages span lines (source excerpt); a log line should not.
        return message.replaceAll("\\s*\\R\\s*", " ");
    }
}
