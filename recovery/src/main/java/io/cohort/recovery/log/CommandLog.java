package io.cohort.recovery.log;

import io.cohort.recovery.fs.DurableFiles;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The durable command log of one replica: every delivered state-changing command is appended here
 * before it is applied, replayed from a position after a crash, read by peers to catch up a
 * restarted replica, and trimmed by whole cycle files once a checkpoint covers them.
 *
 * <h2>Positions</h2>
 * Records are addressed by their own {@link LogRecord#sequence() sequence} (contiguous, the same at
 * every replica). The log is a Chronicle Queue (one {@code .cq4} file per roll cycle, see
 * {@link LogRollCycle}); Chronicle's indexes differ between replicas and across roll cycles, so they
 * are only used inside this class, through an in-memory table of runs of records ("segments") that
 * maps a sequence to the index Chronicle gave it in this process's queue.
 *
 * <h2>Threads</h2>
 * {@link #append}, {@link #sync}, {@link #removeCoveredCycles} and {@link #close} are called by one
 * writer thread (the same thread, or a hand-over with a happens-before edge: Chronicle's appender is
 * single-threaded). Any thread may call {@link #firstSequence}, {@link #lastSequence},
 * {@link #lastRecord}, {@link #read}, {@link #readFrom}, {@link #openReport} and {@link #directory}
 * while the writer appends. A {@link LogReader} has its own Chronicle tailer and is used by one thread;
 * it sees every record appended before {@code readFrom} returned, and later ones as they come.
 *
 * <h2>Record format</h2>
 * One Chronicle document per record, raw bytes without Wire field names (see {@link RecordCodec}):
 * format byte, sequence, view, sender name, sender incarnation, payload length, payload, CRC32C of
 * all of it. Appending allocates nothing per record: the header is assembled in a reused array, the
 * payload copied straight into the mapped file. Measured on the development machine (2 cores, JDK
 * 17, 100-byte payloads, 800,000 appends after warm-up): about 0.85 µs per append including the
 * Micrometer timer, 0 bytes allocated per append.
 *
 * <h2>Opening, and what Chronicle 2026.4 does with a killed writer</h2>
 * {@link #open} reads the whole log once, before any appender exists, and verifies every record
 * (checksum, decodable fields, contiguous sequences, every cycle file reachable). What was found in
 * Chronicle Queue 2026.4 (by killing a writer with {@code Runtime.halt} in the middle of a document
 * and by patching headers on disk):
 * <ul>
 *   <li>The writer holds the queue's write lock while it fills a document and publishes the
 *       document's 4-byte length header only when the document is closed (a compare-and-swap from
 *       0); on every close it also zeroes the 8 bytes after the document. A writer killed mid-record
 *       therefore leaves a <em>zero</em> header followed by a fragment of the record. Tailers treat
 *       the zero header as the end of the queue: nothing garbled is ever returned, and no tailer
 *       waits. The next writer forcibly releases the dead process's lock ({@code Forced unlocking
 *       ... which is now dead}, logged at WARN by Chronicle) and writes its next document over the
 *       fragment.</li>
 *   <li>A header marked "not complete" (Chronicle's own format for a document being written, found in
 *       queues written by other versions or produced by damage) also just ends reading. A writer
 *       that finds one where it is about to write overwrites it at once ({@code Incomplete header
 *       found ..., overwriting}). But the end-of-cycle marker that a new appender writes into older
 *       cycle files ({@code normaliseEOFs}) first waits {@code timeoutMS} (default 10 s) for such a
 *       header to complete. This class therefore sets {@code timeoutMS} to {@value #TIMEOUT_MS} ms,
 *       verifies with tailers only (which never wait), and rewrites the queue whenever a cycle file
 *       before the last one cannot be read to its end-of-cycle marker, so the appender never meets
 *       one.</li>
 *   <li>A cycle file that ends without an end-of-cycle marker while later cycle files exist stops a
 *       plain tailer in that file, silently: later files are never reached. Verification detects
 *       this by comparing the cycle the tailer stopped in with the newest cycle file
 *       ({@link CorruptionKind#UNREADABLE}).</li>
 *   <li>A cycle file whose own header Chronicle never finished writing (a crash while it created the
 *       file: the file is empty, or starts with a zero or "not complete" header) makes a tailer wait
 *       {@code timeoutMS} each time it reaches it (seconds in total for one open). So before Chronicle
 *       opens the queue, {@code open} checks the first header of every cycle file itself; the newest
 *       one uninitialised is a {@link CorruptionKind#TORN_TAIL} (nothing in it was a record), an
 *       older one {@link CorruptionKind#UNREADABLE}. In the moved-aside copy that file and the later
 *       ones are renamed {@code *.cq4.unreadable} so Chronicle reads only the files before it.</li>
 *   <li>A damaged {@code metadata.cq4t} (Chronicle's directory listing and locks; no records) makes
 *       Chronicle either open the queue read-only (appending then fails) or retry reading it for
 *       {@code chronicle.table.store.timeoutMS} (10 s by default, set to 1 s here) and fail. Then the
 *       file is moved aside ({@code metadata.cq4t.damaged-<n>}), Chronicle rebuilds it from the cycle
 *       files, every record is verified, and the whole log is rewritten like any damage
 *       ({@link CorruptionKind#UNREADABLE}, nothing dropped). A missing metadata file is simply
 *       rebuilt.</li>
 * </ul>
 * Because the zero header hides a torn record from the Chronicle API, verification also looks at the
 * raw bytes after the last document of the newest cycle file: a "not complete" header there, or a zero
 * header followed by record bytes (every record starts with a non-zero format byte, and Chronicle
 * zeroed those bytes when it closed the previous document), is reported as
 * {@link CorruptionKind#TORN_TAIL}. A writer killed before it wrote the first byte leaves nothing to
 * find. A fragment left as the first document of a new cycle file (the writer died right after a
 * roll) is not looked for: the file holding the last record is the one inspected. Either way only
 * the unfinished record is lost, and Chronicle writes the next record over the fragment.
 *
 * <p>On any defect, {@code open} logs one WARN line (what, where, what was done), increments
 * {@code cohort.recovery.corruption{file=log,kind=...}}, moves the queue directory aside to a sibling
 * {@code <name>.corrupt-<n>} (Chronicle cannot truncate a queue), and rewrites the valid prefix into a
 * fresh queue at the original path (all of it in the current cycle file), synced before {@code open}
 * returns. Records after the first defect are dropped even if some look fine: they cannot be trusted
 * to be contiguous, and the replica catches up from its peers. If the process dies during the
 * rewrite, the next open finds a shorter valid prefix, and the evidence is still in the moved
 * directory. A missing directory is an empty log (a first start looks the same).
 *
 * <h2>Meters</h2>
 * {@code cohort.recovery.log.append.latency} (Timer), {@code cohort.recovery.log.sync.latency}
 * (Timer), {@code cohort.recovery.log.appended.bytes} (Counter, record bytes without Chronicle's
 * 4-byte document header), {@code cohort.recovery.log.cycles.removed} (Counter) and
 * {@code cohort.recovery.corruption} (Counter, tags {@code file=log}, {@code kind}).
 */
public final class CommandLog implements AutoCloseable {

    static {
        // Chronicle prints a banner (and asks for an e-mail address) when it starts; suppress it
        // unless the operator decided otherwise. Must run before Chronicle's Jvm class initialises,
        // so it only helps if this class is the first Chronicle user in the process.
        if (System.getProperty("chronicle.announcer.disable") == null) {
            System.setProperty("chronicle.announcer.disable", "true");
        }
        // Chronicle retries a failing read of the queue's metadata file (metadata.cq4t) for this long,
        // 10 s by default, before giving up; a damaged metadata file would stall open that long.
        if (System.getProperty("chronicle.table.store.timeoutMS") == null) {
            System.setProperty("chronicle.table.store.timeoutMS", "1000");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CommandLog.class);

    /**
     * Chronicle's {@code timeoutMS}: how long Chronicle waits for a document header that another
     * writer has not finished (only the end-of-cycle marking of older cycle files waits, see the
     * class comment) or for the queue's write lock held by a live process. 10 s by default; short
     * here so that opening a damaged log can never hang for long.
     */
    static final long TIMEOUT_MS = 1_000;

    /**
     * Chronicle block size. A document must fit in Chronicle's overlap area, a quarter of the block
     * (16 MiB with the 64 MiB default: too small for a 16 MiB payload plus its header). Cycle files
     * are sparse, so the size costs address space, not disk.
     */
    static final long BLOCK_SIZE = 128L << 20;

    /** Chronicle's cycle file suffix. */
    static final String CYCLE_SUFFIX = ".cq4";

    /** Chronicle's queue metadata file (directory listing, locks), synced when a cycle file is created. */
    private static final String METADATA_FILE = "metadata.cq4t";

    /** Chronicle's end-of-cycle marker: a "not complete" metadata header of length 0. */
    private static final int EOF_HEADER = 0xC0000000;
    private static final int NOT_COMPLETE = 0x80000000;
    private static final int META_DATA = 0x40000000;
    private static final int LENGTH_MASK = 0x3FFFFFFF;

    private static final Segment[] NO_SEGMENTS = new Segment[0];

    private final Path directory;
    private final RollCycle rollCycle;
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final DateTimeFormatter fileNames;
    private final long epochMillis;
    private final Meters meters;
    private final Clock clock;
    private final RecordCodec.Encoder encoder = new RecordCodec.Encoder();

    // ---- state read by any thread; written by the writer thread only
    private volatile Segment[] segments = NO_SEGMENTS;
    private volatile long firstSequence;
    private volatile long lastSequence;
    private volatile LogRecord lastRecord;
    private volatile boolean closed;
    private volatile OpenReport openReport;

    // ---- writer-thread state
    /** Every cycle file of the queue, records or not, by cycle. */
    private final TreeMap<Integer, Path> cycleFiles = new TreeMap<>();
    private Thread owner;
    private int appendCycle = Integer.MIN_VALUE;
    private Path appendFile;
    /** Records were appended to {@link #appendFile} since the last sync. */
    private boolean dirty;
    /** Older cycle files written since the last sync (the last records before a roll, the EOF marker). */
    private final Set<Path> dirtyOlder = new LinkedHashSet<>();
    /** A cycle file was created since the last sync: its directory entry must be made durable too. */
    private boolean newCycleFile;

    private CommandLog(Path directory, SingleChronicleQueue queue, Meters meters, Scan scan) {
        this.directory = directory;
        // Chronicle keeps the roll cycle a queue was created with, whatever the settings say now.
        this.rollCycle = queue.rollCycle();
        this.queue = queue;
        this.meters = meters;
        this.clock = meters.clock;
        this.fileNames = fileNames(rollCycle);
        this.epochMillis = queue.epoch();
        if (scan != null) {
            this.segments = scan.segments.toArray(NO_SEGMENTS);
            this.cycleFiles.putAll(scan.cycleFiles);
            this.firstSequence = scan.firstSequence;
            this.lastSequence = scan.lastSequence;
            this.lastRecord = scan.lastRecord;
        }
        // Created only after verification: its constructor marks the end of older cycle files, which
        // could wait on a damaged header (see the class comment).
        this.appender = queue.createAppender();
        this.owner = Thread.currentThread();
    }

    /**
     * Opens (or creates) the log in {@code directory}, verifying every record first; see the class
     * comment for what happens to a damaged log. {@link #openReport()} tells what was found.
     *
     * @param directory the queue directory; created if missing
     * @param settings  file layout
     * @param registry  where the log's meters are registered
     * @return the open log, positioned after its last valid record
     * @throws IOException if the directory cannot be created, or a damaged log cannot be moved aside
     *                     or rewritten
     */
    public static CommandLog open(Path directory, LogSettings settings, MeterRegistry registry) throws IOException {
        return open(directory, settings, registry, SystemTimeProvider.INSTANCE);
    }

    /**
     * As {@link #open(Path, LogSettings, MeterRegistry)}, with Chronicle's clock replaced: tests use a
     * settable clock to produce several roll cycles without sleeping.
     */
    static CommandLog open(Path directory, LogSettings settings, MeterRegistry registry, TimeProvider time)
            throws IOException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(time, "time");
        Path dir = directory.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Meters meters = new Meters(registry);

        // A cycle file whose Chronicle header was never written (a crash while Chronicle created it)
        // makes every tailer wait for the header; find those before Chronicle sees them.
        Uninitialised uninitialised = uninitialisedCycleFile(dir);
        if (uninitialised != null) {
            return recover(dir, settings, time, meters, null, uninitialised);
        }
        SingleChronicleQueue queue = null;
        Scan scan;
        try {
            Opened opened = buildForOpen(dir, settings, time);
            queue = opened.queue;
            scan = scan(queue, dir, Long.MAX_VALUE, null);
            scan.metadataProblem = opened.metadataProblem;
            if (scan.corruption == null && readOnly(queue)) {
                scan.fail(CorruptionKind.UNREADABLE, dir.resolve(METADATA_FILE),
                        "Chronicle opened the queue read-only even with a new metadata file");
            }
        } catch (RuntimeException e) {
            closeQuietly(queue);
            queue = null;
            scan = Scan.unopenable(e);
        }
        if (scan.corruption == null && scan.metadataProblem != null) {
            // Every record is fine, but the queue's own metadata was not: rewrite it like any damage.
            scan.fail(CorruptionKind.UNREADABLE, dir.resolve(METADATA_FILE), scan.metadataProblem);
        }
        if (scan.corruption == null) {
            try {
                CommandLog log = new CommandLog(dir, queue, meters, scan);
                log.openReport = new OpenReport(scan.records, scan.firstSequence, scan.lastSequence, null, null);
                LOG.debug("Command log {} opened: {} records verified ({}..{})", dir, scan.records,
                        scan.firstSequence, scan.lastSequence);
                return log;
            } catch (RuntimeException e) {
                scan.fail(CorruptionKind.UNREADABLE, null, "Chronicle cannot append to the queue: " + e);
            }
        }
        closeQuietly(queue);
        return recover(dir, settings, time, meters, scan, null);
    }

    /**
     * Builds the queue for verification. If Chronicle cannot open it, or opens it read-only (both
     * happen when its metadata file is damaged), the metadata file is moved aside, Chronicle rebuilds
     * it from the cycle files, and {@link Scan#metadataProblem} says what happened.
     */
    private static Opened buildForOpen(Path dir, LogSettings settings, TimeProvider time) {
        String problem;
        try {
            SingleChronicleQueue queue = build(dir, settings, time);
            if (!readOnly(queue)) {
                return new Opened(queue, null);
            }
            closeQuietly(queue);
            problem = "Chronicle's metadata file " + METADATA_FILE + " is damaged (Chronicle opened the queue read-only)";
        } catch (RuntimeException e) {
            problem = "Chronicle cannot open the queue (" + e + ")";
        }
        Path metadata = dir.resolve(METADATA_FILE);
        Path aside;
        try {
            if (!Files.exists(metadata)) {
                throw new IllegalStateException(problem);
            }
            aside = unusedSibling(metadata, ".damaged-");
            Files.move(metadata, aside);
        } catch (IOException e) {
            throw new IllegalStateException(problem + "; cannot move " + metadata + " aside: " + e, e);
        }
        return new Opened(build(dir, settings, time),
                problem + "; moved it to " + aside.getFileName() + " and let Chronicle rebuild it");
    }

    /** Chronicle falls back to a read-only queue when it cannot use the metadata file for writing. */
    private static boolean readOnly(SingleChronicleQueue queue) {
        return queue.metaStore().readOnly();
    }

    /** A queue built for verification, and what had to be done to its metadata file (or null). */
    private record Opened(SingleChronicleQueue queue, String metadataProblem) {
    }

    /**
     * Moves a damaged queue aside and rewrites its valid prefix into a fresh queue at the original
     * path.
     *
     * @param damaged       the verification that found the damage, or null if it could not run
     *                      (an uninitialised cycle file)
     * @param uninitialised the uninitialised cycle file found before verification, or null
     */
    private static CommandLog recover(Path dir, LogSettings settings, TimeProvider time, Meters meters, Scan damaged,
                                      Uninitialised uninitialised) throws IOException {
        Path quarantine = moveAside(dir);
        long stopAfter = Long.MAX_VALUE;
        OpenReport.Corruption corruption;
        if (uninitialised != null) {
            // Hide the bad file and everything after it from Chronicle; the bytes stay for inspection.
            hideFrom(quarantine, uninitialised.file.getFileName().toString());
            corruption = null;
        } else {
            stopAfter = damaged.lastSequence;
            corruption = damaged.corruption;
        }
        Files.createDirectories(dir);
        CommandLog log = new CommandLog(dir, build(dir, settings, time), meters, null);
        try {
            if (uninitialised != null || damaged.records > 0) {
                // Read the moved queue again rather than keep the prefix in memory (a log can be
                // gigabytes); stop at the last record verified the first time, whatever Chronicle
                // may have changed in between. Without a first verification, this pass verifies.
                try (SingleChronicleQueue old = build(quarantine, settings, time)) {
                    Scan again = scan(old, quarantine, stopAfter, log::appendRecovered);
                    if (uninitialised != null && again.corruption != null) {
                        OpenReport.Corruption c = again.corruption;
                        corruption = new OpenReport.Corruption(c.kind(), c.sequence(),
                                c.file() == null ? null : dir.resolve(c.file().getFileName()), c.detail());
                    }
                }
            }
            log.sync();
            DurableFiles.syncDirectory(dir.getParent());
        } catch (RuntimeException e) {
            log.close();
            throw new IOException("cannot rewrite the valid prefix of command log " + dir + " from " + quarantine, e);
        }
        long kept = log.lastSequence == 0 ? 0 : log.lastSequence - log.firstSequence + 1;
        if (corruption == null) {
            corruption = new OpenReport.Corruption(uninitialised.newest ? CorruptionKind.TORN_TAIL : CorruptionKind.UNREADABLE,
                    log.lastSequence == 0 ? 0 : log.lastSequence + 1, uninitialised.file, uninitialised.detail());
        }
        log.openReport = new OpenReport(kept, log.firstSequence, log.lastSequence, corruption, quarantine);
        meters.corruption(corruption.kind()).increment();
        LOG.warn("Command log {}: {} in {} at sequence {}: {}. Kept {} valid records ({}), moved the damaged queue "
                        + "to {} and rewrote the kept records into a fresh queue; appends continue at {}, "
                        + "anything later must come from peers",
                dir, corruption.kind().tag(), corruption.file() == null ? dir : corruption.file(),
                corruption.sequence(), corruption.detail(), kept,
                kept == 0 ? "none" : log.firstSequence + ".." + log.lastSequence, quarantine,
                kept == 0 ? "any sequence" : String.valueOf(log.lastSequence + 1));
        return log;
    }

    /** A cycle file whose Chronicle header is missing or unfinished. */
    private record Uninitialised(Path file, boolean newest, String why) {
        String detail() {
            return newest
                    ? "the newest cycle file was never initialised (" + why + "; the process died while Chronicle "
                            + "created it)"
                    : "cycle file was never initialised (" + why + ") although later cycle files exist; they "
                            + "cannot be trusted";
        }
    }

    /**
     * The oldest cycle file whose first Chronicle header (the file's own metadata document, written
     * when Chronicle creates the file) is not a complete metadata header, or null.
     */
    private static Uninitialised uninitialisedCycleFile(Path dir) throws IOException {
        List<Path> files = cycleFilesOnDisk(dir);
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            String why = null;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                if (ch.read(buf, 0) < 4) {
                    why = "it is " + ch.size() + " bytes long";
                } else {
                    int header = buf.getInt(0);
                    if ((header & (NOT_COMPLETE | META_DATA)) != META_DATA || (header & LENGTH_MASK) == 0) {
                        why = "its first header is " + Integer.toHexString(header);
                    }
                }
            }
            if (why != null) {
                return new Uninitialised(file, i == files.size() - 1, why);
            }
        }
        return null;
    }

    /** The cycle files in a directory, oldest first (Chronicle's names sort by time). */
    private static List<Path> cycleFilesOnDisk(Path dir) throws IOException {
        try (var stream = Files.list(dir)) {
            return stream.filter(f -> f.getFileName().toString().endsWith(CYCLE_SUFFIX) && Files.isRegularFile(f))
                    .sorted()
                    .toList();
        }
    }

    /**
     * Renames {@code from} and every later cycle file in {@code dir} to {@code <name>.unreadable}, and
     * the metadata file aside, so that Chronicle reads only the files before it.
     */
    private static void hideFrom(Path dir, String from) throws IOException {
        for (Path f : cycleFilesOnDisk(dir)) {
            if (f.getFileName().toString().compareTo(from) >= 0) {
                Files.move(f, f.resolveSibling(f.getFileName() + ".unreadable"));
            }
        }
        Path metadata = dir.resolve(METADATA_FILE);
        if (Files.exists(metadata)) {
            Files.move(metadata, unusedSibling(metadata, ".stale-"));
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Appends a record. Not durable until {@link #sync()}. Writer thread only.
     *
     * @param record the record; its sequence must be {@code lastSequence() + 1}, or anything from 1 when
     *               the log is empty. The payload array is kept by reference (see {@link LogRecord}).
     * @throws IllegalArgumentException if the sequence does not follow the last one
     * @throws IllegalStateException    if the log is closed
     */
    public void append(LogRecord record) {
        Objects.requireNonNull(record, "record");
        long start = clock.monotonicTime();
        int bytes = write(record);
        meters.appendLatency.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
        meters.appendedBytes.increment(bytes);
    }

    /** Appends a record of the valid prefix during recovery: no meters, those are for live appends. */
    private void appendRecovered(LogRecord record) {
        write(record);
    }

    private int write(LogRecord record) {
        ensureOpen();
        ensureOwner();
        long seq = record.sequence();
        long last = lastSequence;
        if (last != 0 && seq != last + 1) {
            throw new IllegalArgumentException("record " + seq + " does not follow the last record " + last
                    + " of command log " + directory);
        }
        int written;
        try (DocumentContext dc = appender.writingDocument()) {
            try {
                written = encoder.write(record, dc.wire().bytes());
            } catch (RuntimeException | Error e) {
                // Never publish half a record.
                dc.rollbackOnClose();
                throw e;
            }
        }
        track(record, appender.lastIndexAppended());
        return written;
    }

    /** Records where Chronicle put the record just appended, then publishes it to readers. */
    private void track(LogRecord record, long index) {
        long seq = record.sequence();
        int cycle = rollCycle.toCycle(index);
        if (cycle != appendCycle) {
            enterAppendCycle(cycle);
        }
        Segment[] segs = segments;
        Segment tail = segs.length == 0 ? null : segs[segs.length - 1];
        if (tail != null && tail.cycle == cycle && tail.indexOf(seq) == index) {
            tail.lastSequence = seq;
        } else {
            Segment[] grown = Arrays.copyOf(segs, segs.length + 1);
            grown[segs.length] = new Segment(cycle, seq, index);
            segments = grown;
        }
        dirty = true;
        lastRecord = record;
        if (firstSequence == 0) {
            firstSequence = seq;
        }
        lastSequence = seq; // last: a reader that sees it finds the segment and the record
    }

    private void enterAppendCycle(int cycle) {
        if (appendFile != null) {
            // Still to sync: its last records, and the end-of-cycle marker Chronicle wrote at the roll.
            dirtyOlder.add(appendFile);
        }
        appendCycle = cycle;
        File current = appender.currentFile();
        appendFile = current != null ? current.toPath().toAbsolutePath() : fileOf(cycle);
        if (cycleFiles.put(cycle, appendFile) == null) {
            newCycleFile = true;
        }
    }

    /**
     * Forces everything appended so far to the storage device; the caller does group commit by
     * calling this once per batch. Writer thread only.
     *
     * <p>Guarantee: when this returns, every record appended before the call survives a crash of the
     * process, the operating system or the machine (to the extent the device honours flushes).
     * How: {@code fdatasync} ({@link FileChannel#force(boolean) FileChannel.force(false)}) of each
     * cycle file written since the last sync, plus, when a cycle file was created, of Chronicle's
     * metadata file and of the directory (so the new file's name is durable too).
     *
     * <p>Why not Chronicle's own {@code appender.sync()}: in 2026.4 it msyncs only the range of the
     * current mapped chunk between the last synced page and the write position, with the queue's
     * {@code SyncMode}, whose default is {@code ASYNC} ({@code msync(MS_ASYNC)}, which on Linux starts
     * no write-back and waits for nothing); it does not cover the index and header pages Chronicle
     * updates elsewhere in the file, nor the previous cycle file after a roll. {@code fdatasync}
     * covers all pages of the file, including those written through the memory mapping (on Linux
     * {@code msync(MS_SYNC)} is itself an fsync of the range). The queue is built with
     * {@code SyncMode.NONE} so Chronicle adds no msync of its own when it releases a mapped chunk
     * (which would otherwise stall an append at a roll or chunk boundary).
     *
     * @throws UncheckedIOException  if the device reports an error: the records may not be durable
     * @throws IllegalStateException if the log is closed
     */
    public void sync() {
        prepareSync().run();
    }

    /**
     * Takes what {@link #sync()} would force, without forcing it: the files written since the last
     * sync (or preparation), and whether a new cycle file appeared. Writer thread only; the batch
     * may then run on another thread while the writer goes on appending (group commit off the
     * writer thread). What is appended after this call is not covered by the batch.
     *
     * @return the batch, to {@link SyncBatch#run()} once
     * @throws IllegalStateException if the log is closed
     */
    public SyncBatch prepareSync() {
        ensureOpen();
        ensureOwner();
        List<Path> files = new ArrayList<>(dirtyOlder);
        dirtyOlder.clear();
        if (dirty) {
            files.add(appendFile);
            dirty = false;
        }
        boolean metadata = newCycleFile;
        newCycleFile = false;
        return new SyncBatch(files, metadata);
    }

    /**
     * Files of this log to force to the device, captured by {@link #prepareSync()}. Runs on any
     * thread; batches can be merged (group commit).
     */
    public final class SyncBatch {
        private final Set<Path> files;
        private boolean metadata;

        private SyncBatch(List<Path> files, boolean metadata) {
            this.files = new LinkedHashSet<>(files);
            this.metadata = metadata;
        }

        /**
         * Adds another batch's files to this one, so that one run covers both.
         *
         * @param later a batch prepared after this one
         */
        public void merge(SyncBatch later) {
            files.addAll(later.files);
            metadata |= later.metadata;
        }

        /** @return whether there is nothing to force */
        public boolean isEmpty() {
            return files.isEmpty() && !metadata;
        }

        /**
         * Forces the files (fdatasync), then the queue's metadata and directory if a cycle file
         * was created. A file removed meanwhile needs nothing (a checkpoint covers it).
         *
         * @throws UncheckedIOException if the device reports an error: the records may not be durable
         */
        public void run() {
            long start = clock.monotonicTime();
            try {
                for (Path file : files) {
                    force(file);
                }
                if (metadata) {
                    force(directory.resolve(METADATA_FILE));
                    DurableFiles.syncDirectory(directory);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync command log " + directory, e);
            } finally {
                meters.syncLatency.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * Deletes the cycle files every record of which has a sequence at most
     * {@code coveredThroughSequence} (a checkpoint covers them). Only a prefix of the files is
     * removed, so the log never has holes; the newest cycle file and the file holding the last
     * record are never removed, so the log always knows where appends continue. Idempotent: a file
     * already gone is dropped from the log without error. Afterwards {@link #firstSequence()} is the
     * first record left, and reads below it throw {@link LogGapException}. Writer thread only.
     *
     * <p>A {@link LogReader} that is still inside a removed file keeps reading it (the mapping stays
     * valid on Linux); one that had not reached it gets {@link LogGapException}.
     *
     * @param coveredThroughSequence highest sequence covered by a checkpoint
     * @return how many files were deleted
     * @throws IllegalStateException if the log is closed
     */
    public int removeCoveredCycles(long coveredThroughSequence) {
        ensureOpen();
        ensureOwner();
        if (cycleFiles.size() < 2) {
            return 0;
        }
        Segment[] segs = segments;
        long last = lastSequence;
        int newest = cycleFiles.lastKey();
        List<Integer> removable = new ArrayList<>();
        for (int cycle : cycleFiles.headMap(newest, false).keySet()) {
            long highest = 0;
            for (Segment s : segs) {
                if (s.cycle == cycle) {
                    highest = Math.max(highest, s.lastSequence);
                }
            }
            if (highest > coveredThroughSequence || (highest == last && last != 0)) {
                break;
            }
            removable.add(cycle);
        }
        if (removable.isEmpty()) {
            return 0;
        }
        // Publish first, so that new reads see the gap instead of a file that is about to vanish.
        Segment[] kept = Arrays.stream(segs).filter(s -> !removable.contains(s.cycle)).toArray(Segment[]::new);
        segments = kept;
        firstSequence = kept.length == 0 ? 0 : kept[0].firstSequence;
        int removed = 0;
        for (int cycle : removable) {
            Path file = cycleFiles.get(cycle);
            try {
                if (Files.deleteIfExists(file)) {
                    removed++;
                }
                cycleFiles.remove(cycle);
                dirtyOlder.remove(file);
            } catch (IOException e) {
                // The records are gone for readers already; the file is retried next time, and if
                // the process restarts first, open simply finds (and keeps) the older records.
                LOG.warn("Cannot delete command log cycle file {}: {}; retrying at the next removal", file, e.toString());
            }
        }
        queue.refreshDirectoryListing();
        meters.cyclesRemoved.increment(removed);
        LOG.debug("Command log {}: removed {} cycle files covered through {}; first record now {}", directory,
                removed, coveredThroughSequence, firstSequence);
        return removed;
    }

    // ---------------------------------------------------------------- reading

    /**
     * The first sequence held. Any thread.
     *
     * @return the first sequence, 0 when the log is empty
     */
    public long firstSequence() {
        return firstSequence;
    }

    /**
     * The last sequence held. Any thread.
     *
     * @return the last sequence, 0 when the log is empty
     */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * The last record held. Any thread.
     *
     * @return the record with {@link #lastSequence()}, or {@code null} when the log is empty
     */
    public LogRecord lastRecord() {
        return lastRecord;
    }

    /**
     * Reads one record. Any thread; each call uses its own Chronicle tailer, so this is for occasional
     * lookups; use {@link #readFrom} to scan.
     *
     * @param sequence the record's sequence
     * @return the record, or {@code null} if the log does not hold it
     * @throws IllegalStateException if the log is closed, or the record was damaged after open
     */
    public LogRecord read(long sequence) {
        ensureOpen();
        Segment s = segmentFor(sequence);
        if (s == null) {
            return null;
        }
        try (ExcerptTailer tailer = queue.createTailer()) {
            if (!tailer.moveToIndex(s.indexOf(sequence))) {
                return null; // removed meanwhile
            }
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return null;
                }
                RecordCodec.Decoder decoder = new RecordCodec.Decoder();
                LogRecord record = decoder.read(dc.wire().bytes());
                if (record == null) {
                    throw damagedSinceOpen(sequence, decoder);
                }
                return record.sequence() == sequence ? record : null;
            }
        }
    }

    /**
     * Reads records in order from {@code sequence} on; see {@link LogReader}. Any thread (the reader
     * is then used on the thread that created it).
     *
     * @param sequence the first sequence wanted, at least 1; may be beyond the last record, in which
     *                 case the reader returns records as they are appended. If the log is empty, the
     *                 reader starts at the first record appended at or after {@code sequence}.
     * @return a reader; close it
     * @throws LogGapException          if {@code sequence < firstSequence()}: those records were removed
     * @throws IllegalArgumentException if {@code sequence < 1}
     * @throws IllegalStateException    if the log is closed
     */
    public LogReader readFrom(long sequence) {
        ensureOpen();
        if (sequence < 1) {
            throw new IllegalArgumentException("sequences start at 1, asked for " + sequence);
        }
        long first = firstSequence;
        boolean empty = lastSequence == 0;
        if (!empty && sequence < first) {
            throw new LogGapException(sequence, first);
        }
        return new Reader(this, queue.createTailer(), sequence, empty);
    }

    /**
     * What {@link #open} found. Any thread.
     *
     * @return the report
     */
    public OpenReport openReport() {
        return openReport;
    }

    /**
     * The queue directory. Any thread.
     *
     * @return absolute, normalised path
     */
    public Path directory() {
        return directory;
    }

    /**
     * Syncs what was appended (best effort: a failure is logged) and closes the queue, which also
     * ends every open {@link LogReader}. Idempotent. Writer thread only.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (dirty || !dirtyOlder.isEmpty() || newCycleFile) {
                sync();
            }
        } catch (RuntimeException e) {
            LOG.warn("Command log {}: final sync on close failed: {}", directory, e.toString());
        }
        closed = true;
        ensureOwner();
        closeQuietly(appender);
        closeQuietly(queue);
    }

    // ---------------------------------------------------------------- internals

    /** The segment holding {@code sequence}, or null. */
    Segment segmentFor(long sequence) {
        Segment[] segs = segments;
        int lo = 0;
        int hi = segs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Segment s = segs[mid];
            if (sequence < s.firstSequence) {
                hi = mid - 1;
            } else if (sequence > s.lastSequence) {
                lo = mid + 1;
            } else {
                return s;
            }
        }
        return null;
    }

    SingleChronicleQueue queue() {
        return queue;
    }

    /** Cycle files the log holds, oldest first (tests compare them with the files on disk). */
    List<Path> cycleFiles() {
        return List.copyOf(cycleFiles.values());
    }

    /** Files the next sync will force (tests). */
    Set<Path> pendingSync() {
        Set<Path> pending = new LinkedHashSet<>(dirtyOlder);
        if (dirty) {
            pending.add(appendFile);
        }
        return pending;
    }

    /** The file Chronicle names for {@code cycle} in this queue. */
    private Path fileOf(int cycle) {
        return fileOf(directory, fileNames, epochMillis, rollCycle, cycle);
    }

    private static Path fileOf(Path dir, DateTimeFormatter names, long epochMillis, RollCycle rollCycle, int cycle) {
        Instant start = Instant.ofEpochMilli(epochMillis + (long) cycle * rollCycle.lengthInMillis());
        return dir.resolve(names.format(start) + CYCLE_SUFFIX);
    }

    private static DateTimeFormatter fileNames(RollCycle rollCycle) {
        return DateTimeFormatter.ofPattern(rollCycle.format()).withZone(ZoneOffset.UTC);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("command log " + directory + " is closed");
        }
    }

    /** Chronicle's appender checks it is used by one thread; the writer thread may be handed over. */
    private void ensureOwner() {
        Thread current = Thread.currentThread();
        if (owner != current) {
            owner = current;
            appender.singleThreadedCheckReset();
        }
    }

    IllegalStateException damagedSinceOpen(long sequence, RecordCodec.Decoder decoder) {
        return new IllegalStateException("record " + sequence + " of command log " + directory
                + " was damaged after the log was opened: " + decoder.failure());
    }

    /**
     * Builds a queue. The roll cycle given is only used for a new queue: Chronicle keeps the one an
     * existing queue was created with (and says so at WARN), so the settings never reinterpret files.
     */
    private static SingleChronicleQueue build(Path dir, LogSettings settings, TimeProvider time) {
        return SingleChronicleQueueBuilder.binary(dir)
                .rollCycle(settings.rollCycle().chronicle())
                .timeProvider(time)
                .timeoutMS(TIMEOUT_MS)
                .blockSize(BLOCK_SIZE)
                // Durability is sync()'s job (fdatasync); see there.
                .syncMode(SyncMode.NONE)
                .build();
    }

    private static Path moveAside(Path dir) throws IOException {
        Path target = unusedSibling(dir, ".corrupt-");
        try {
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(dir, target);
        }
        return target;
    }

    /** {@code <path><infix><n>} for the smallest n >= 1 that does not exist yet. */
    private static Path unusedSibling(Path path, String infix) {
        String name = path.getFileName().toString();
        Path target;
        int n = 1;
        do {
            target = path.resolveSibling(name + infix + n++);
        } while (Files.exists(target));
        return target;
    }

    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(false);
        } catch (NoSuchFileException e) {
            // removed since it was written: nothing left to make durable
        }
    }


    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("Error closing {}: {}", c, e.toString());
        }
    }

    // ---------------------------------------------------------------- verification

    /**
     * Reads a queue from its start, verifying each record, and stops at the first defect or after
     * {@code stopAfter}. Tailers only: a tailer never waits for an unfinished header.
     *
     * @param sink receives each valid record (the rewrite), may be null
     */
    private static Scan scan(SingleChronicleQueue queue, Path dir, long stopAfter, Consumer<LogRecord> sink) {
        Scan scan = new Scan();
        RollCycle rollCycle = queue.rollCycle();
        queue.refreshDirectoryListing();
        int firstCycle = queue.firstCycle();
        int lastCycle = queue.lastCycle();
        if (firstCycle == Integer.MAX_VALUE || lastCycle < firstCycle) {
            return scan;
        }
        DateTimeFormatter names = fileNames(rollCycle);
        long epoch = queue.epoch();
        for (long cycle : queue.listCyclesBetween(firstCycle, lastCycle)) {
            scan.cycleFiles.put((int) cycle, fileOf(dir, names, epoch, rollCycle, (int) cycle));
        }
        if (scan.cycleFiles.isEmpty()) {
            return scan;
        }
        int newestCycle = scan.cycleFiles.lastKey();
        RecordCodec.Decoder decoder = new RecordCodec.Decoder();
        Segment segment = null;
        long lastEnd = -1;
        int lastRecordCycle = Integer.MIN_VALUE;
        try (ExcerptTailer tailer = queue.createTailer()) {
            tailer.toStart();
            while (true) {
                LogRecord record;
                long index;
                int cycle;
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    index = dc.index();
                    cycle = rollCycle.toCycle(index);
                    Bytes<?> bytes = dc.wire().bytes();
                    long end = bytes.readLimit();
                    record = decoder.read(bytes);
                    if (record != null) {
                        lastEnd = end;
                    }
                } catch (RuntimeException e) {
                    scan.fail(CorruptionKind.UNREADABLE, fileAt(scan, tailer),
                            "Chronicle cannot read the queue: " + e);
                    return scan;
                }
                Path file = scan.cycleFiles.getOrDefault(cycle, fileOf(dir, names, epoch, rollCycle, cycle));
                if (record == null) {
                    boolean tail = !moreAfter(tailer, newestCycle);
                    scan.fail(tail ? CorruptionKind.TORN_TAIL : decoder.failureKind(), file,
                            (tail ? "last record is damaged: " : "") + decoder.failure()
                                    + " (Chronicle index " + Long.toHexString(index) + ")");
                    return scan;
                }
                long seq = record.sequence();
                if (seq > stopAfter) {
                    return scan;
                }
                if (scan.lastSequence != 0 && seq != scan.lastSequence + 1) {
                    scan.fail(CorruptionKind.GAP, file, "record " + seq + " follows record " + scan.lastSequence
                            + (seq > scan.lastSequence ? " (records are missing)" : " (out of order)"));
                    return scan;
                }
                if (segment != null && segment.cycle == cycle && segment.indexOf(seq) == index) {
                    segment.lastSequence = seq;
                } else {
                    segment = new Segment(cycle, seq, index);
                    scan.segments.add(segment);
                }
                scan.accept(record);
                lastRecordCycle = cycle;
                if (sink != null) {
                    sink.accept(record);
                }
            }
            int stoppedIn = tailer.cycle();
            if (stoppedIn < newestCycle && scan.cycleFiles.containsKey(stoppedIn)) {
                scan.fail(CorruptionKind.UNREADABLE, scan.cycleFiles.get(stoppedIn),
                        "cycle file ends without an end-of-cycle marker (a damaged or unfinished document) "
                                + "while later cycle files exist; they cannot be reached");
                return scan;
            }
        }
        if (lastRecordCycle == newestCycle && lastEnd >= 0) {
            String torn = tornAfter(scan.cycleFiles.get(newestCycle), lastEnd);
            if (torn != null) {
                scan.fail(CorruptionKind.TORN_TAIL, scan.cycleFiles.get(newestCycle), torn);
            }
        }
        return scan;
    }

    /** Whether anything readable, or unreadable, follows the document the tailer just read. */
    private static boolean moreAfter(ExcerptTailer tailer, int newestCycle) {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (dc.isPresent()) {
                return true;
            }
        } catch (RuntimeException e) {
            return true;
        }
        return tailer.cycle() < newestCycle;
    }

    private static Path fileAt(Scan scan, ExcerptTailer tailer) {
        try {
            File f = tailer.currentFile();
            if (f != null) {
                return f.toPath().toAbsolutePath();
            }
        } catch (RuntimeException ignored) {
            // fall through
        }
        return scan.cycleFiles.isEmpty() ? null : scan.cycleFiles.lastEntry().getValue();
    }

    /**
     * Looks at the raw bytes after the last document of the newest cycle file for what a killed
     * writer leaves (see the class comment). Positions in Chronicle's mapped bytes are file offsets.
     *
     * @param end offset just after the last valid document
     * @return a description if a torn record is there, else null
     */
    private static String tornAfter(Path file, long end) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            long pos = end;
            // Skip complete metadata documents (index pages) that may follow the last record.
            for (int hops = 0; hops < 16; hops++) {
                pos = (pos + 3) & ~3L; // Chronicle aligns headers to 4 bytes
                buf.clear();
                int n = ch.read(buf, pos);
                if (n < 8) {
                    return null; // end of file: nothing torn
                }
                int header = buf.getInt(0);
                int next = buf.getInt(4);
                if (header == 0) {
                    return next == 0 ? null : "unfinished record after the last complete one at file offset " + pos
                            + " (a writer was killed while appending)";
                }
                if (header == EOF_HEADER) {
                    return null;
                }
                if ((header & NOT_COMPLETE) != 0) {
                    return "unfinished Chronicle document (header " + Integer.toHexString(header)
                            + ") after the last complete record at file offset " + pos;
                }
                if ((header & META_DATA) == 0) {
                    return null; // a complete data document the tailer did not return: not ours to judge
                }
                pos += 4 + (header & LENGTH_MASK);
            }
            return null;
        } catch (IOException e) {
            LOG.debug("Cannot inspect the tail of {}: {}", file, e.toString());
            return null;
        }
    }

    // ---------------------------------------------------------------- helper types

    /**
     * A run of records in one cycle whose Chronicle indexes are consecutive, so that
     * {@code index = firstIndex + (sequence - firstSequence)}.
     */
    static final class Segment {
        final int cycle;
        final long firstSequence;
        final long firstIndex;
        volatile long lastSequence;

        Segment(int cycle, long firstSequence, long firstIndex) {
            this.cycle = cycle;
            this.firstSequence = firstSequence;
            this.firstIndex = firstIndex;
            this.lastSequence = firstSequence;
        }

        long indexOf(long sequence) {
            return firstIndex + (sequence - firstSequence);
        }
    }

    /** What verification found. */
    private static final class Scan {
        final List<Segment> segments = new ArrayList<>();
        final TreeMap<Integer, Path> cycleFiles = new TreeMap<>();
        long records;
        long firstSequence;
        long lastSequence;
        LogRecord lastRecord;
        OpenReport.Corruption corruption;
        /** Chronicle's metadata file had to be rebuilt (see buildForOpen), or null. */
        String metadataProblem;

        static Scan unopenable(RuntimeException e) {
            Scan scan = new Scan();
            scan.fail(CorruptionKind.UNREADABLE, null, "Chronicle cannot open the queue: " + e);
            return scan;
        }

        void accept(LogRecord record) {
            if (records++ == 0) {
                firstSequence = record.sequence();
            }
            lastSequence = record.sequence();
            lastRecord = record;
        }

        void fail(CorruptionKind kind, Path file, String detail) {
            corruption = new OpenReport.Corruption(kind, lastSequence == 0 ? 0 : lastSequence + 1, file, detail);
        }
    }

    /** The log's meters. */
    private static final class Meters {
        final MeterRegistry registry;
        final Clock clock;
        final Timer appendLatency;
        final Timer syncLatency;
        final Counter appendedBytes;
        final Counter cyclesRemoved;

        Meters(MeterRegistry registry) {
            this.registry = registry;
            this.clock = registry.config().clock();
            this.appendLatency = Timer.builder("cohort.recovery.log.append.latency")
                    .description("Time to append one record to the command log, without sync")
                    .register(registry);
            this.syncLatency = Timer.builder("cohort.recovery.log.sync.latency")
                    .description("Time to force the command log's appended records to the storage device")
                    .register(registry);
            this.appendedBytes = Counter.builder("cohort.recovery.log.appended.bytes")
                    .description("Bytes of records appended to the command log")
                    .baseUnit("bytes")
                    .register(registry);
            this.cyclesRemoved = Counter.builder("cohort.recovery.log.cycles.removed")
                    .description("Command log cycle files deleted because a checkpoint covers them")
                    .register(registry);
        }

        Counter corruption(CorruptionKind kind) {
            return Counter.builder("cohort.recovery.corruption")
                    .description("Corrupt or incomplete recovery files found (and moved aside)")
                    .tag("file", "log")
                    .tag("kind", kind.tag())
                    .register(registry);
        }
    }

    /** A {@link LogReader} over its own tailer. */
    private static final class Reader implements LogReader {
        private final CommandLog log;
        private final ExcerptTailer tailer;
        private final RecordCodec.Decoder decoder = new RecordCodec.Decoder();
        /** The log was empty when the reader was made: start at whatever is appended first. */
        private boolean fromFirstAppended;
        private long nextSequence;
        private boolean positioned;
        private LogRecord next;
        private Thread owner = Thread.currentThread();
        private boolean closed;

        Reader(CommandLog log, ExcerptTailer tailer, long from, boolean logWasEmpty) {
            this.log = log;
            this.tailer = tailer;
            this.nextSequence = from;
            this.fromFirstAppended = logWasEmpty;
        }

        @Override
        public boolean hasNext() {
            if (closed) {
                return false;
            }
            if (next == null) {
                next = fetch();
            }
            return next != null;
        }

        @Override
        public LogRecord next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException("no record " + nextSequence + " yet");
            }
            LogRecord r = next;
            next = null;
            return r;
        }

        private LogRecord fetch() {
            Thread current = Thread.currentThread();
            if (owner != current) {
                owner = current;
                tailer.singleThreadedCheckReset();
            }
            if (!positioned && !position()) {
                return null;
            }
            for (int attempt = 0; attempt < 2; attempt++) {
                while (true) {
                    LogRecord record;
                    try (DocumentContext dc = tailer.readingDocument()) {
                        if (!dc.isPresent()) {
                            break;
                        }
                        record = decoder.read(dc.wire().bytes());
                    }
                    if (record == null) {
                        throw log.damagedSinceOpen(nextSequence, decoder);
                    }
                    long seq = record.sequence();
                    if (seq < nextSequence) {
                        continue;
                    }
                    if (seq > nextSequence) {
                        // The records in between were in a cycle file removed before we got there.
                        throw new LogGapException(nextSequence, log.firstSequence());
                    }
                    nextSequence++;
                    return record;
                }
                // Nothing more from the tailer. If the log holds the record, the tailer stopped
                // somewhere it should not have (its file was removed, or a cycle end it could not
                // pass): reposition by index once.
                if (nextSequence > log.lastSequence()) {
                    return null;
                }
                if (!position()) {
                    return null;
                }
            }
            return null;
        }

        /** Moves the tailer to {@link #nextSequence}; false if that record does not exist yet. */
        private boolean position() {
            long last = log.lastSequence();
            long first = log.firstSequence();
            if (last == 0) {
                return false;
            }
            if (nextSequence < first) {
                if (!fromFirstAppended) {
                    throw new LogGapException(nextSequence, first);
                }
                nextSequence = first;
            }
            fromFirstAppended = false;
            if (nextSequence > last) {
                return false;
            }
            Segment s = log.segmentFor(nextSequence);
            if (s == null || !tailer.moveToIndex(s.indexOf(nextSequence))) {
                long nowFirst = log.firstSequence();
                if (nextSequence < nowFirst) {
                    throw new LogGapException(nextSequence, nowFirst);
                }
                throw new IllegalStateException("cannot find record " + nextSequence + " in command log "
                        + log.directory);
            }
            positioned = true;
            return true;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                next = null;
                closeQuietly(tailer);
            }
        }
    }
}
