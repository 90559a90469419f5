package io.cohort.recovery.checkpoint;

import io.cohort.recovery.checkpoint.CheckpointFiles.Entry;
import io.cohort.recovery.checkpoint.CheckpointVerification.Failure;
import io.cohort.recovery.checkpoint.CheckpointVerification.FileKind;
import io.cohort.recovery.checkpoint.CheckpointVerification.Kind;
import io.cohort.recovery.checkpoint.CheckpointVerification.Result;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The durable checkpoints of one replica, in one directory: writes them crash-safely, keeps the
 * newest {@code keep}, and finds the newest one that is intact after a restart.
 *
 * <h2>On disk</h2>
 * A checkpoint of sequence {@code s} is two files: {@code checkpoint-<s>.data} (the state, as the
 * {@link StateWriter} produced it) and {@code checkpoint-<s>.json} (its {@link CheckpointManifest}),
 * {@code <s>} zero-padded to 20 digits. Files are written under a {@code .tmp} name, fsynced, then
 * renamed atomically; the manifest is renamed last, so <em>a checkpoint exists exactly when its
 * manifest does</em> and a crash at any point leaves either the complete checkpoint or none (plus
 * leftovers that are recognised as such).
 *
 * <h2>Corruption</h2>
 * {@link #newestValid()} verifies checkpoints newest first and falls back to older ones. Each bad
 * checkpoint is logged (one WARN line), counted in {@code cohort.recovery.corruption} (tags
 * {@code file} = {@code checkpoint}|{@code manifest}, {@code kind} =
 * {@code checksum}|{@code truncated}|{@code missing}|{@code unparsable}) and its files are renamed
 * with the suffix {@code .corrupt}: out of the way of later restarts, kept for inspection. A manifest
 * whose sequence or data file name disagrees with its own file name counts as {@code unparsable}
 * (it cannot be trusted to describe the file it sits next to), which keeps the tag values to the
 * four above.
 *
 * <h2>Meters</h2>
 * {@code cohort.recovery.checkpoint.duration} (Timer, each successful write),
 * {@code cohort.recovery.checkpoint.size} (DistributionSummary, bytes of each checkpoint written),
 * {@code cohort.recovery.checkpoint.written} (Counter), {@code cohort.recovery.checkpoint.verify.duration}
 * (Timer, each checkpoint verified by {@link #newestValid()}, pass or fail) and the corruption
 * counter above.
 *
 * <h2>Threads</h2>
 * The store is thread-safe. The state is streamed to disk without holding the store's lock, so a
 * long write does not hold up {@link #newestValid()}; renaming, retention and verification are
 * serialized, so verification never sees a half-pruned checkpoint. One store per directory: two
 * stores (or processes) on the same directory are not coordinated.
 */
public final class CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

    private static final String NO_VALID_LEFT = "no valid checkpoint left: the replica starts empty and catches up from peers";

    private final Path directory;
    private final int keep;
    private final MeterRegistry registry;
    private final Timer writeDuration;
    private final DistributionSummary size;
    private final Counter written;
    private final Timer verifyDuration;
    /** Serializes everything that renames, deletes or verifies files. */
    private final Object lock = new Object();
    /** Sequences being streamed right now: two writes of one sequence would share a temp file. */
    private final Set<Long> writing = ConcurrentHashMap.newKeySet();

    private CheckpointStore(Path directory, int keep, MeterRegistry registry) {
        this.directory = directory;
        this.keep = keep;
        this.registry = registry;
        this.writeDuration = Timer.builder("cohort.recovery.checkpoint.duration")
                .description("Time to write a checkpoint: stream the state, sync, rename, write the manifest")
                .register(registry);
        this.size = DistributionSummary.builder("cohort.recovery.checkpoint.size")
                .description("Size of the data file of each checkpoint written")
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
        this.written = Counter.builder("cohort.recovery.checkpoint.written")
                .description("Checkpoints written")
                .register(registry);
        this.verifyDuration = Timer.builder("cohort.recovery.checkpoint.verify.duration")
                .description("Time to verify one checkpoint (manifest and full data checksum)")
                .register(registry);
    }

    /**
     * Opens (creating it if needed) a checkpoint directory. Leftover {@code checkpoint-*.tmp} files,
     * from a write interrupted by a crash, are deleted: they never became checkpoints.
     *
     * @param directory where the checkpoints are; created if missing
     * @param keep      how many checkpoints to retain, at least 1; older ones are deleted after each write
     * @param registry  where the store's meters go
     * @return the store
     * @throws IOException              if the directory cannot be created or cleaned
     * @throws IllegalArgumentException if {@code keep < 1}
     */
    public static CheckpointStore open(Path directory, int keep, MeterRegistry registry) throws IOException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(registry, "registry");
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be >= 1, was " + keep);
        }
        Files.createDirectories(directory);
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(directory,
                CheckpointFiles.PREFIX + "*" + CheckpointFiles.TMP_SUFFIX)) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
                LOG.info("Deleted {}: left over from a checkpoint write interrupted by a crash", leftover);
            }
        }
        return new CheckpointStore(directory, keep, registry);
    }

    /**
     * Writes a checkpoint, crash-safely, then deletes the oldest checkpoints beyond {@code keep}.
     *
     * <p>Steps: the writer's bytes go through a buffer to {@code checkpoint-<s>.data.tmp}, CRC32C and
     * size computed on the way (the state is never held in memory); the file is fsynced and renamed
     * atomically to {@code checkpoint-<s>.data}; the directory is fsynced (so the data file's name is
     * durable before a manifest can name it); the manifest is written the same way
     * ({@code .json.tmp}, fsync, atomic rename); the directory is fsynced again.
     *
     * <p>A sequence is checkpointed once: if a checkpoint (a manifest) for this sequence already
     * exists the write is rejected before the writer runs. The state at a sequence is determined by
     * the commands up to it, so a second checkpoint would hold the same state, and replacing one in
     * place would open a window in which the old manifest describes new data. A checkpoint that
     * {@link #newestValid()} moved aside as corrupt no longer exists and can be written again. A
     * data file without manifest at this sequence (a crash window) is moved aside as an orphan.
     *
     * <p>A checkpoint older than the {@code keep} newest ones is deleted by retention right after it
     * is written.
     *
     * @param metadata what the state is
     * @param writer   produces the state
     * @return the manifest written
     * @throws FileAlreadyExistsException if a checkpoint of this sequence exists
     * @throws IllegalStateException      if another thread is writing a checkpoint of this sequence
     * @throws IOException                if the writer or the file system fails. The temp file is
     *                                    deleted and the previous checkpoints are untouched; if only
     *                                    the final directory sync failed, the new checkpoint may exist
     *                                    (complete and valid) or not. The writer's exceptions,
     *                                    unchecked ones included, propagate as thrown.
     */
    public CheckpointManifest write(CheckpointMetadata metadata, StateWriter writer) throws IOException {
        return write(metadata, writer, metadata::stateHash);
    }

    /**
     * Writes a checkpoint whose state hash is known only once the state has been written (it is
     * computed while streaming); otherwise as {@link #write(CheckpointMetadata, StateWriter)}.
     *
     * @param metadata  what the checkpoint covers ({@code stateHash} is ignored)
     * @param writer    produces the state bytes
     * @param stateHash read after the writer has finished, for the manifest
     * @return the manifest written
     * @throws IOException if the checkpoint could not be written
     */
    public CheckpointManifest write(CheckpointMetadata metadata, StateWriter writer, java.util.function.LongSupplier stateHash)
            throws IOException {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(writer, "writer");
        long sequence = metadata.sequence();
        if (!writing.add(sequence)) {
            throw new IllegalStateException("checkpoint " + sequence + " is already being written");
        }
        try {
            synchronized (lock) {
                // Checked up front so that a rejected write does not first stream gigabytes.
                rejectExisting(sequence);
            }
            Timer.Sample sample = Timer.start(registry);
            String dataName = CheckpointFiles.dataName(sequence);
            Path data = directory.resolve(dataName);
            Path dataTmp = temp(data);
            CheckpointManifest manifest;
            try {
                Streamed streamed = stream(dataTmp, writer);
                manifest = new CheckpointManifest(CheckpointManifest.CURRENT_FORMAT_VERSION, sequence,
                        metadata.viewId(), metadata.appliedIndex(), stateHash.getAsLong(),
                        metadata.lastViewId(), metadata.lastViewMembers(),
                        streamed.size(), CheckpointFiles.hex(streamed.crc()), Instant.now().toString(), dataName);
                synchronized (lock) {
                    commit(manifest, dataTmp, data);
                    prune();
                }
            } catch (Throwable t) {
                deleteAfterFailure(dataTmp, t);
                throw t;
            }
            sample.stop(writeDuration);
            size.record(manifest.sizeBytes());
            written.increment();
            LOG.info("Wrote checkpoint {} ({} bytes, crc32c {}) to {}", sequence, manifest.sizeBytes(),
                    manifest.checksum(), data);
            return manifest;
        } finally {
            writing.remove(sequence);
        }
    }

    /**
     * Finds the newest checkpoint that passes verification, for a restart or for a peer that needs
     * the full state.
     *
     * <p>Candidates are taken newest first. A checkpoint passes if its manifest parses, has a known
     * format version and matches its file name, and its data file exists with exactly the recorded
     * size and CRC32C (the whole file is read). Each one that fails is logged, counted and moved
     * aside (see the class description), and the next older one is tried. A data file without
     * manifest met on the way is an orphan: counted as {@code file=manifest, kind=missing} and moved
     * aside. Checkpoints older than the one returned are not looked at.
     *
     * @return the newest valid checkpoint, or empty if there is none (the replica then starts from
     *         the empty state and catches up from its peers)
     * @throws UncheckedIOException if the directory cannot be listed: not a sign of corruption, so
     *                              it is not answered by starting empty, which would silently
     *                              discard local state that may be intact
     */
    public Optional<Checkpoint> newestValid() {
        synchronized (lock) {
            NavigableMap<Long, Entry> entries = listOrThrow();
            for (Entry entry : entries.descendingMap().values()) {
                long sequence = entry.sequence();
                if (entry.manifest() == null) {
                    reject(entry, new Failure(FileKind.MANIFEST, Kind.MISSING, "data file "
                            + entry.data().getFileName() + " has no manifest (a crash before its manifest was"
                            + " written, or a deleted manifest)"), fallback(entries, sequence));
                    continue;
                }
                Timer.Sample sample = Timer.start(registry);
                Result result = CheckpointVerification.verify(directory, entry.manifest(), sequence);
                sample.stop(verifyDuration);
                if (result.ok()) {
                    LOG.debug("Checkpoint {} verified", sequence);
                    return Optional.of(new Checkpoint(result.manifest(), directory.resolve(result.manifest().dataFile())));
                }
                reject(entry, result.failure(), fallback(entries, sequence));
            }
            return Optional.empty();
        }
    }

    /**
     * The manifests in the directory, newest first. Only the manifests are read and checked (they
     * parse, have a known format version, match their file names); data files are not verified and
     * nothing is counted or moved. Unreadable manifests are left out.
     *
     * @return the readable manifests, highest sequence first
     * @throws UncheckedIOException if the directory cannot be listed
     */
    public List<CheckpointManifest> manifests() {
        return manifestsNewestFirst();
    }

    /**
     * A checkpoint this store has just written, or verified earlier, without reading it again: its
     * {@link Checkpoint#open() stream} still checks the size and CRC32C as it is read.
     *
     * @param manifest the manifest {@link #write} returned (or of a checkpoint {@link #newestValid()} returned)
     * @return the checkpoint
     */
    public Checkpoint checkpointOf(CheckpointManifest manifest) {
        return new Checkpoint(manifest, directory.resolve(manifest.dataFile()));
    }

    private List<CheckpointManifest> manifestsNewestFirst() {
        List<CheckpointManifest> manifests = new ArrayList<>();
        for (Entry entry : listOrThrow().descendingMap().values()) {
            if (entry.manifest() == null) {
                continue;
            }
            Result result = CheckpointVerification.readManifest(entry.manifest(), entry.sequence());
            if (result.ok()) {
                manifests.add(result.manifest());
            } else {
                LOG.debug("Skipping {}: {}", entry.manifest(), result.failure().detail());
            }
        }
        return manifests;
    }

    /**
     * The directory this store keeps its checkpoints in.
     *
     * @return the directory, as passed to {@link #open}
     */
    public Path directory() {
        return directory;
    }

    // ---------------------------------------------------------------- writing

    private void rejectExisting(long sequence) throws FileAlreadyExistsException {
        Path manifest = directory.resolve(CheckpointFiles.manifestName(sequence));
        if (Files.exists(manifest)) {
            throw new FileAlreadyExistsException(manifest.toString(), null,
                    "checkpoint " + sequence + " already exists; a sequence is checkpointed once");
        }
    }

    private record Streamed(long size, int crc) {
    }

    private static Streamed stream(Path temp, StateWriter writer) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            // Buffer above the checksum, so the CRC is computed over large chunks even when the
            // writer writes byte by byte.
            ChecksummingOutputStream checksummed = new ChecksummingOutputStream(Channels.newOutputStream(channel));
            BufferedOutputStream buffered = new BufferedOutputStream(checksummed, CheckpointFiles.BUFFER_SIZE);
            WriterStream forWriter = new WriterStream(buffered);
            try {
                writer.writeTo(forWriter);
            } finally {
                forWriter.seal();
            }
            buffered.flush();
            channel.force(true);
            return new Streamed(checksummed.count, (int) checksummed.crc.getValue());
        }
    }

    /** Called with the lock held. */
    private void commit(CheckpointManifest manifest, Path dataTmp, Path data) throws IOException {
        long sequence = manifest.sequence();
        rejectExisting(sequence);
        if (Files.exists(data)) {
            reject(new Entry(sequence, null, data), new Failure(FileKind.MANIFEST, Kind.MISSING, "data file "
                    + data.getFileName() + " has no manifest (a crash before its manifest was written,"
                    + " or a deleted manifest)"), "writing checkpoint " + sequence + " anew");
        }
        Files.move(dataTmp, data, StandardCopyOption.ATOMIC_MOVE);
        Path manifestFile = directory.resolve(CheckpointFiles.manifestName(sequence));
        Path manifestTmp = temp(manifestFile);
        try {
            // The data file's new name must be durable before a manifest can name it: otherwise a
            // crash could leave a manifest whose data file is still called .tmp (and gets deleted).
            CheckpointFiles.syncDirectory(directory);
            byte[] json = CheckpointFiles.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
            try (FileChannel channel = FileChannel.open(manifestTmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(json);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            // The checkpoint comes into existence here.
            Files.move(manifestTmp, manifestFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable t) {
            // No manifest: the data file is not a checkpoint; remove it rather than leave an orphan.
            deleteAfterFailure(manifestTmp, t);
            deleteAfterFailure(data, t);
            throw t;
        }
        CheckpointFiles.syncDirectory(directory);
    }

    /**
     * Deletes the checkpoints beyond {@code keep}, and data files without manifest older than every
     * retained checkpoint (what an interrupted deletion leaves behind). Called with the lock held.
     * A failure here does not fail the write (the new checkpoint is durable): it is logged and the
     * files are tried again after the next write.
     */
    private void prune() {
        NavigableMap<Long, Entry> entries;
        try {
            entries = CheckpointFiles.list(directory);
        } catch (IOException e) {
            LOG.warn("Cannot list {} to delete old checkpoints: {}; retrying after the next checkpoint", directory, e.toString());
            return;
        }
        List<Entry> checkpoints = entries.descendingMap().values().stream().filter(e -> e.manifest() != null).toList();
        for (Entry old : checkpoints.subList(Math.min(keep, checkpoints.size()), checkpoints.size())) {
            // Manifest first: without it the checkpoint no longer exists, so a crash between the two
            // deletions leaves an old orphan data file (cleaned below next time), never a manifest
            // without its data.
            if (delete(old.manifest()) && old.data() != null) {
                delete(old.data());
            }
        }
        if (checkpoints.size() >= keep) {
            long oldestKept = checkpoints.get(keep - 1).sequence();
            for (Entry orphan : entries.headMap(oldestKept, false).values()) {
                if (orphan.manifest() == null && orphan.data() != null && delete(orphan.data())) {
                    LOG.info("Deleted {}: a data file without manifest older than every retained checkpoint"
                            + " (left by an interrupted deletion)", orphan.data());
                }
            }
        }
    }

    /**
     * Deletes every checkpoint (manifests first), before a whole state received from a peer
     * replaces this replica's: none of the old ones may be restored after that.
     *
     * @throws IOException if one cannot be deleted (the caller must not go on: an old checkpoint
     *                     could come back after a restart)
     */
    public void deleteAll() throws IOException {
        synchronized (lock) {
            NavigableMap<Long, Entry> entries = CheckpointFiles.list(directory);
            for (Entry e : entries.values()) {
                if (e.manifest() != null) {
                    Files.deleteIfExists(e.manifest());
                }
            }
            CheckpointFiles.syncDirectory(directory);
            for (Entry e : entries.values()) {
                if (e.data() != null) {
                    Files.deleteIfExists(e.data());
                }
            }
            CheckpointFiles.syncDirectory(directory);
        }
    }

    private static boolean delete(Path file) {
        try {
            Files.deleteIfExists(file);
            return true;
        } catch (IOException e) {
            LOG.warn("Cannot delete old checkpoint file {}: {}; retrying after the next checkpoint", file, e.toString());
            return false;
        }
    }

    private static void deleteAfterFailure(Path file, Throwable failure) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private static Path temp(Path file) {
        return file.resolveSibling(file.getFileName() + CheckpointFiles.TMP_SUFFIX);
    }

    // ---------------------------------------------------------------- corruption

    private NavigableMap<Long, Entry> listOrThrow() {
        try {
            return CheckpointFiles.list(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoint directory " + directory, e);
        }
    }

    /** What happens after a checkpoint below {@code sequence} is rejected. */
    private static String fallback(NavigableMap<Long, Entry> entries, long sequence) {
        return entries.headMap(sequence, false).descendingMap().values().stream()
                .filter(e -> e.manifest() != null)
                .findFirst()
                .map(e -> "falling back to checkpoint " + e.sequence())
                .orElse(NO_VALID_LEFT);
    }

    /** Counts, moves aside and logs (one WARN line) a checkpoint that failed. Called with the lock held. */
    private void reject(Entry entry, Failure failure, String action) {
        Counter.builder("cohort.recovery.corruption")
                .description("Corrupt or incomplete checkpoint files found (and moved aside)")
                .tag("file", failure.file().tag())
                .tag("kind", failure.kind().tag())
                .register(registry)
                .increment();
        StringBuilder moved = new StringBuilder();
        // Manifest first, for the same reason as in retention: the checkpoint stops existing at once.
        for (Path file : new Path[] {entry.manifest(), entry.data()}) {
            if (file != null) {
                moved.append(moved.length() == 0 ? "" : ", ").append(moveAside(file));
            }
        }
        LOG.warn("Corrupt checkpoint {} in {} ({} {}): {}; {}; {}", entry.sequence(), directory,
                failure.file().tag(), failure.kind().tag(), failure.detail(), moved, action);
    }

    /**
     * Renames a bad file to {@code <name>.corrupt} (or {@code <name>.<n>.corrupt} if that is taken,
     * so earlier evidence is never overwritten).
     *
     * @return what was done, for the log line
     */
    private static String moveAside(Path file) {
        String name = file.getFileName().toString();
        try {
            Path target = file.resolveSibling(name + CheckpointFiles.CORRUPT_SUFFIX);
            for (int n = 2; Files.exists(target); n++) {
                target = file.resolveSibling(name + "." + n + CheckpointFiles.CORRUPT_SUFFIX);
            }
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            return "moved " + name + " aside to " + target.getFileName();
        } catch (IOException e) {
            return "could not move " + name + " aside (" + e + ")";
        }
    }

    // ---------------------------------------------------------------- streams

    /** Passes bytes on while computing their count and CRC32C. */
    private static final class ChecksummingOutputStream extends OutputStream {

        private final OutputStream out;
        private final CRC32C crc = new CRC32C();
        private long count;

        ChecksummingOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            crc.update(b, off, len);
            count += len;
        }
    }

    /**
     * What the {@link StateWriter} sees: closing it only flushes (the store still has to fsync the
     * file), and once the writer has returned it refuses writes, so a writer that kept a reference
     * cannot change a file that is already checksummed.
     */
    private static final class WriterStream extends OutputStream {

        private final OutputStream out;
        private volatile boolean open = true;

        WriterStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            ensureOpen();
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ensureOpen();
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            if (open) {
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            if (open) {
                out.flush();
                open = false;
            }
        }

        void seal() {
            open = false;
        }

        private void ensureOpen() throws IOException {
            if (!open) {
                throw new IOException("the checkpoint stream is closed");
            }
        }
    }
}
