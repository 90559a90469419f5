package io.cohort.recovery;

import io.cohort.recovery.checkpoint.CheckpointManifest;
import io.cohort.recovery.checkpoint.CheckpointMetadata;
import io.cohort.recovery.log.LogRecord;
import io.cohort.replication.core.ReplicaCore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes a donor sends a joining replica (inside the group's chunked state transfer):
 *
 * <pre>
 * "CCUP" version kind
 *   SUFFIX:   firstSequence, then records
 *   SNAPSHOT: the checkpoint's manifest fields, its size, its bytes (streamed from disk), then records
 *   LIVE:     the donor's live state, to the end of the stream (no records)
 * record: 1, sequence, viewId, sender name, sender incarnation, payload length, payload
 * end:    0, the last log sequence (checked by the joiner)
 * </pre>
 */
final class CatchUpStream {

    private static final int MAGIC = 0x43435550; // "CCUP"
    private static final int VERSION = 1;
    private static final int RECORD = 1;
    private static final int END = 0;

    private CatchUpStream() {
    }

    /** Donor side. */
    static final class Writer {
        private final CountingOutputStream counted;
        private final DataOutputStream out;

        Writer(OutputStream target) {
            this.counted = new CountingOutputStream(target);
            this.out = new DataOutputStream(new BufferedOutputStream(counted, 1 << 16));
        }

        private void begin(CatchUpKind kind) throws IOException {
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeByte(kind.code);
        }

        void beginSuffix(long firstSequence) throws IOException {
            begin(CatchUpKind.SUFFIX);
            out.writeLong(firstSequence);
        }

        void beginSnapshot(CheckpointManifest m, InputStream data) throws IOException {
            begin(CatchUpKind.SNAPSHOT);
            out.writeLong(m.sequence());
            out.writeLong(m.viewId());
            out.writeLong(m.appliedIndex());
            out.writeLong(m.stateHash());
            out.writeLong(m.lastViewId());
            out.writeInt(m.lastViewMembers().size());
            for (String member : m.lastViewMembers()) {
                out.writeUTF(member);
            }
            out.writeLong(m.sizeBytes());
            long copied = data.transferTo(out);
            if (copied != m.sizeBytes()) {
                throw new IOException("checkpoint " + m.sequence() + " holds " + copied + " bytes, its manifest says "
                        + m.sizeBytes());
            }
        }

        void beginLive(ReplicaCore core) throws IOException {
            begin(CatchUpKind.LIVE);
            core.writeSnapshot(out);
        }

        void record(LogRecord r) throws IOException {
            out.writeByte(RECORD);
            out.writeLong(r.sequence());
            out.writeLong(r.viewId());
            out.writeUTF(r.senderName());
            out.writeLong(r.senderIncarnation());
            out.writeInt(r.payload().length);
            out.write(r.payload());
        }

        /** Ends the stream (after a LIVE state nothing more is written: it runs to the end). */
        void end(long lastSequence) throws IOException {
            out.writeByte(END);
            out.writeLong(lastSequence);
            out.flush();
        }

        long bytes() {
            return counted.count;
        }
    }

    /** Joiner side. */
    static final class Reader {
        private final CountingInputStream counted;
        private final DataInputStream in;
        private final CatchUpKind kind;
        private long snapshotBytes;
        private boolean ended;
        /** The last log sequence the donor announced at the end (-1 until read). */
        private long lastSequence = -1;

        Reader(InputStream source) throws IOException {
            this.counted = new CountingInputStream(source);
            this.in = new DataInputStream(new BufferedInputStream(counted, 1 << 16));
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new IOException(String.format("not a catch-up stream (magic %08x): do all replicas of the"
                        + " group use durable storage?", magic));
            }
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IOException("unknown catch-up stream version " + version);
            }
            this.kind = CatchUpKind.of(in.readUnsignedByte());
        }

        CatchUpKind kind() {
            return kind;
        }

        long suffixStart() throws IOException {
            return in.readLong();
        }

        /** @return what the checkpoint that follows covers (its bytes are then read with {@link #copySnapshotTo}) */
        CheckpointMetadata snapshotMetadata() throws IOException {
            long sequence = in.readLong();
            long viewId = in.readLong();
            long appliedIndex = in.readLong();
            long stateHash = in.readLong();
            long lastViewId = in.readLong();
            int n = in.readInt();
            if (n < 0 || n > 1024) {
                throw new IOException("a checkpoint's last view of " + n + " members");
            }
            List<String> members = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                members.add(in.readUTF());
            }
            snapshotBytes = in.readLong();
            if (snapshotBytes < 0) {
                throw new IOException("negative checkpoint size " + snapshotBytes);
            }
            return new CheckpointMetadata(sequence, viewId, appliedIndex, stateHash, lastViewId, members);
        }

        /** Copies exactly the checkpoint's bytes (announced by {@link #snapshotManifest}) to {@code out}. */
        void copySnapshotTo(OutputStream out) throws IOException {
            byte[] buffer = new byte[1 << 16];
            long left = snapshotBytes;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("the catch-up stream ended " + left + " bytes before the checkpoint's end");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        }

        InputStream liveState() {
            ended = true;
            return in;
        }

        /** @return the next log record, or null at the end */
        LogRecord nextRecord() throws IOException {
            if (ended) {
                return null;
            }
            int tag = in.readUnsignedByte();
            if (tag == END) {
                ended = true;
                lastSequence = in.readLong();
                return null;
            }
            if (tag != RECORD) {
                throw new IOException("unexpected tag " + tag + " in a catch-up stream");
            }
            long sequence = in.readLong();
            long viewId = in.readLong();
            String sender = in.readUTF();
            long incarnation = in.readLong();
            int length = in.readInt();
            if (length < 0 || length > LogRecord.MAX_PAYLOAD_BYTES) {
                throw new IOException("log entry of " + length + " bytes in a catch-up stream");
            }
            byte[] payload = in.readNBytes(length);
            if (payload.length != length) {
                throw new IOException("the catch-up stream ended inside a log entry");
            }
            return new LogRecord(sequence, viewId, sender, incarnation, payload);
        }

        /** Checks that the stream ended where the donor said, at {@code reached}. */
        void expectEnd(long reached) throws IOException {
            if (kind == CatchUpKind.LIVE) {
                return;
            }
            if (lastSequence != reached) {
                throw new IOException("the catch-up stream ends at log sequence " + lastSequence + " but this replica"
                        + " reached " + reached);
            }
        }

        long bytes() {
            return counted.count;
        }
    }

    private static final class CountingOutputStream extends FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
