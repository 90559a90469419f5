package io.cohort.protocol.wire;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary encoding of {@link Frame}s and {@link ProtocolMessage}s. Stateless and thread-safe.
 *
 * <p>Layout: {@code kind:u8 from:member to:member} then, for RELIABLE, {@code linkSeq:i64
 * linkAck:i64 message}; for LINK_ACK {@code linkAck:i64}; for EXCLUDED_NOTICE {@code viewId:i64}.
 * A message is {@code type:u8} followed by its fields. Integrity (magic, version, cluster id,
 * CRC32C) is the transport's job; this codec only guarantees that any byte string either decodes
 * to a well-formed frame or raises {@link MalformedFrameException}.
 */
public final class FrameCodec {

    private static final DeliveryOrder[] ORDERS = DeliveryOrder.values();

    /** Largest state hint a joiner may send (it travels in join requests and proposals). */
    public static final int MAX_STATE_HINT_BYTES = 1024;

    private static final int DATA = 1;
    private static final int ORDER = 2;
    private static final int ACK = 3;
    private static final int SUSPECT = 4;
    private static final int LEAVE = 5;
    private static final int JOIN_FORWARD = 6;
    private static final int PREPARE = 7;
    private static final int PROMISE = 8;
    private static final int NACK = 9;
    private static final int ACCEPT = 10;
    private static final int ACCEPTED = 11;
    private static final int COMMIT = 12;
    private static final int FETCH = 13;
    private static final int FETCHED = 14;
    private static final int STATE_CHUNK = 15;
    private static final int CONFIRM_VIEW = 16;
    private static final int VIEW_CONFIRMED = 17;

    /**
     * Most total-order positions one message may describe. The sequencer sends a batch's worth;
     * the bound keeps a garbled run length from making a receiver allocate without limit.
     */
    public static final long MAX_ORDER_POSITIONS = 1L << 20;

    /** Largest view a frame may describe; bounds allocations while decoding. */
    public static final int MAX_VIEW_SIZE = 4096;

    private FrameCodec() {
    }

    // ---------------------------------------------------------------- frames

    /**
     * Encodes a reliable frame around an already encoded message.
     *
     * @param from         sender
     * @param to           receiver
     * @param linkSeq      link sequence number
     * @param linkAck      link acknowledgement
     * @param messageBytes output of {@link #encodeMessage}
     * @return the frame bytes
     */
    public static byte[] encodeReliable(MemberId from, MemberId to, long linkSeq, long linkAck, byte[] messageBytes) {
        WireWriter w = new WireWriter(messageBytes.length + 64);
        w.putByte(Frame.Kind.RELIABLE.ordinal());
        w.putMember(from);
        w.putMember(to);
        w.putLong(linkSeq);
        w.putLong(linkAck);
        w.putRaw(messageBytes, 0, messageBytes.length);
        return w.toByteArray();
    }

    /**
     * @param from    sender
     * @param to      receiver
     * @param linkAck link acknowledgement
     * @return a LINK_ACK frame
     */
    public static byte[] encodeLinkAck(MemberId from, MemberId to, long linkAck) {
        WireWriter w = new WireWriter(64);
        w.putByte(Frame.Kind.LINK_ACK.ordinal());
        w.putMember(from);
        w.putMember(to);
        w.putLong(linkAck);
        return w.toByteArray();
    }

    /**
     * @param from      the joining incarnation
     * @param stateHint opaque bytes for the donor (at most {@link #MAX_STATE_HINT_BYTES})
     * @return a JOIN_REQUEST frame addressed to whoever receives it
     */
    public static byte[] encodeJoinRequest(MemberId from, byte[] stateHint) {
        checkHint(stateHint);
        WireWriter w = new WireWriter(56 + stateHint.length);
        w.putByte(Frame.Kind.JOIN_REQUEST.ordinal());
        w.putMember(from);
        w.putMember(from);
        w.putBytes(stateHint);
        return w.toByteArray();
    }

    /**
     * @param stateHint a joiner's state hint
     * @throws IllegalArgumentException if it is longer than {@link #MAX_STATE_HINT_BYTES}
     */
    public static void checkHint(byte[] stateHint) {
        if (stateHint.length > MAX_STATE_HINT_BYTES) {
            throw new IllegalArgumentException("a state hint is at most " + MAX_STATE_HINT_BYTES + " bytes, not "
                    + stateHint.length);
        }
    }

    private static byte[] getHint(WireReader r) throws MalformedFrameException {
        byte[] hint = r.getBytes();
        if (hint.length > MAX_STATE_HINT_BYTES) {
            throw new MalformedFrameException("state hint of " + hint.length + " bytes");
        }
        return hint;
    }

    /**
     * @param from   a current member
     * @param to     an incarnation that is no longer a member
     * @param viewId the sender's view
     * @return an EXCLUDED_NOTICE frame
     */
    public static byte[] encodeExcludedNotice(MemberId from, MemberId to, long viewId) {
        WireWriter w = new WireWriter(64);
        w.putByte(Frame.Kind.EXCLUDED_NOTICE.ordinal());
        w.putMember(from);
        w.putMember(to);
        w.putLong(viewId);
        return w.toByteArray();
    }

    /**
     * Decodes a frame.
     *
     * @param bytes the frame
     * @return the frame
     * @throws MalformedFrameException if the bytes are not exactly one well-formed frame
     */
    public static Frame decode(byte[] bytes) throws MalformedFrameException {
        WireReader r = new WireReader(bytes);
        int kindCode = r.getByte();
        if (kindCode >= Frame.Kind.values().length) {
            throw new MalformedFrameException("unknown frame kind " + kindCode);
        }
        Frame.Kind kind = Frame.Kind.values()[kindCode];
        MemberId from = r.getMember();
        MemberId to = r.getMember();
        Frame frame = switch (kind) {
            case RELIABLE -> {
                long seq = r.getLong();
                long ack = r.getLong();
                if (seq < 1 || ack < 0) {
                    throw new MalformedFrameException("bad link sequence " + seq + "/" + ack);
                }
                yield new Frame(kind, from, to, seq, ack, decodeMessage(r), 0);
            }
            case LINK_ACK -> new Frame(kind, from, to, 0, nonNegative(r.getLong(), "link ack"), null, 0);
            case JOIN_REQUEST -> new Frame(kind, from, to, 0, 0, null, 0, getHint(r));
            case EXCLUDED_NOTICE -> new Frame(kind, from, to, 0, 0, null, nonNegative(r.getLong(), "view id"));
        };
        r.expectEnd();
        return frame;
    }

    // ---------------------------------------------------------------- messages

    /**
     * @param m a message
     * @return its encoding (without frame header)
     */
    public static byte[] encodeMessage(ProtocolMessage m) {
        WireWriter w = new WireWriter(m instanceof ProtocolMessage.Data d ? 64 + d.messages().size() * 48 : 128);
        if (m instanceof ProtocolMessage.Data d) {
            w.putByte(DATA);
            w.putLong(d.viewId());
            putMessages(w, d.messages());
        } else if (m instanceof ProtocolMessage.Order o) {
            w.putByte(ORDER);
            w.putLong(o.viewId());
            w.putLong(o.firstPosition());
            putRuns(w, o.runs());
        } else if (m instanceof ProtocolMessage.Ack a) {
            w.putByte(ACK);
            w.putLong(a.viewId());
            w.putLong(a.totalHeld());
            w.putLongs(a.frontiers());
            w.putByte(a.stateful() ? 1 : 0);
        } else if (m instanceof ProtocolMessage.Suspect s) {
            w.putByte(SUSPECT);
            w.putLong(s.viewId());
            w.putMember(s.target());
        } else if (m instanceof ProtocolMessage.Leave l) {
            w.putByte(LEAVE);
            w.putLong(l.viewId());
        } else if (m instanceof ProtocolMessage.JoinForward j) {
            w.putByte(JOIN_FORWARD);
            w.putLong(j.viewId());
            w.putMember(j.joiner());
            w.putBytes(j.stateHint());
        } else if (m instanceof ProtocolMessage.Prepare p) {
            w.putByte(PREPARE);
            w.putLong(p.viewId());
            w.putLong(p.ballot());
            w.putLongs(p.leaderFrontiers());
            w.putLong(p.leaderOrderLength());
        } else if (m instanceof ProtocolMessage.Promise p) {
            w.putByte(PROMISE);
            w.putLong(p.viewId());
            w.putLong(p.ballot());
            w.putLongs(p.report().frontiers());
            w.putLong(p.report().orderLength());
            w.putByte(p.report().stateful() ? 1 : 0);
            w.putLong(p.acceptedBallot());
            w.putByte(p.acceptedProposal() == null ? 0 : 1);
            if (p.acceptedProposal() != null) {
                putProposal(w, p.acceptedProposal());
            }
            putBundle(w, p.bundle());
        } else if (m instanceof ProtocolMessage.Nack n) {
            w.putByte(NACK);
            w.putLong(n.viewId());
            w.putLong(n.promisedBallot());
        } else if (m instanceof ProtocolMessage.Accept a) {
            w.putByte(ACCEPT);
            w.putLong(a.viewId());
            w.putLong(a.ballot());
            putProposal(w, a.proposal());
            putBundle(w, a.bundle());
        } else if (m instanceof ProtocolMessage.Accepted a) {
            w.putByte(ACCEPTED);
            w.putLong(a.viewId());
            w.putLong(a.ballot());
        } else if (m instanceof ProtocolMessage.Commit c) {
            w.putByte(COMMIT);
            w.putLong(c.viewId());
            putProposal(w, c.proposal());
        } else if (m instanceof ProtocolMessage.Fetch f) {
            w.putByte(FETCH);
            w.putLong(f.viewId());
            w.putLongs(f.frontiers());
            w.putLong(f.orderLength());
        } else if (m instanceof ProtocolMessage.Fetched f) {
            w.putByte(FETCHED);
            w.putLong(f.viewId());
            putBundle(w, f.bundle());
        } else if (m instanceof ProtocolMessage.StateChunk s) {
            w.putByte(STATE_CHUNK);
            w.putLong(s.viewId());
            w.putLong(s.offset());
            w.putBytes(s.bytes());
            w.putByte(s.last() ? 1 : 0);
        } else if (m instanceof ProtocolMessage.ConfirmView c) {
            w.putByte(CONFIRM_VIEW);
            w.putLong(c.viewId());
            w.putLong(c.token());
        } else if (m instanceof ProtocolMessage.ViewConfirmed c) {
            w.putByte(VIEW_CONFIRMED);
            w.putLong(c.viewId());
            w.putLong(c.token());
        } else {
            throw new IllegalArgumentException("unknown message " + m);
        }
        return w.toByteArray();
    }

    private static ProtocolMessage decodeMessage(WireReader r) throws MalformedFrameException {
        int type = r.getByte();
        long viewId = nonNegative(r.getLong(), "view id");
        return switch (type) {
            case DATA -> new ProtocolMessage.Data(viewId, getMessages(r));
            case ORDER -> new ProtocolMessage.Order(viewId, positive(r.getLong(), "order position"), getRuns(r));
            case ACK -> new ProtocolMessage.Ack(viewId, nonNegative(r.getLong(), "total held"), getFrontiers(r), getFlag(r));
            case SUSPECT -> new ProtocolMessage.Suspect(viewId, r.getMember());
            case LEAVE -> new ProtocolMessage.Leave(viewId);
            case JOIN_FORWARD -> new ProtocolMessage.JoinForward(viewId, r.getMember(), getHint(r));
            case PREPARE -> new ProtocolMessage.Prepare(viewId, positive(r.getLong(), "ballot"), getFrontiers(r),
                    nonNegative(r.getLong(), "order length"));
            case PROMISE -> {
                long ballot = positive(r.getLong(), "ballot");
                Report report = new Report(getFrontiers(r), nonNegative(r.getLong(), "order length"), getFlag(r));
                long acceptedBallot = nonNegative(r.getLong(), "accepted ballot");
                Proposal accepted = getFlag(r) ? getProposal(r) : null;
                yield new ProtocolMessage.Promise(viewId, ballot, report, acceptedBallot, accepted, getBundle(r));
            }
            case NACK -> new ProtocolMessage.Nack(viewId, positive(r.getLong(), "ballot"));
            case ACCEPT -> new ProtocolMessage.Accept(viewId, positive(r.getLong(), "ballot"), getProposal(r), getBundle(r));
            case ACCEPTED -> new ProtocolMessage.Accepted(viewId, positive(r.getLong(), "ballot"));
            case COMMIT -> new ProtocolMessage.Commit(viewId, getProposal(r));
            case FETCH -> new ProtocolMessage.Fetch(viewId, getFrontiers(r), nonNegative(r.getLong(), "order length"));
            case FETCHED -> new ProtocolMessage.Fetched(viewId, getBundle(r));
            case STATE_CHUNK -> new ProtocolMessage.StateChunk(viewId, nonNegative(r.getLong(), "offset"), r.getBytes(), getFlag(r));
            case CONFIRM_VIEW -> new ProtocolMessage.ConfirmView(viewId, r.getLong());
            case VIEW_CONFIRMED -> new ProtocolMessage.ViewConfirmed(viewId, r.getLong());
            default -> throw new MalformedFrameException("unknown message type " + type);
        };
    }

    // ---------------------------------------------------------------- parts

    private static void putMessages(WireWriter w, List<MulticastMessage> messages) {
        w.putInt(messages.size());
        for (MulticastMessage m : messages) {
            w.putInt(m.senderRank());
            w.putByte(m.order().ordinal());
            w.putLong(m.seq());
            w.putBytes(m.payload());
            if (m.vt() != null) {
                w.putLongs(m.vt());
            }
        }
    }

    private static List<MulticastMessage> getMessages(WireReader r) throws MalformedFrameException {
        int n = r.getCount(17);
        List<MulticastMessage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int rank = rank(r.getInt());
            int orderCode = r.getByte();
            if (orderCode >= ORDERS.length) {
                throw new MalformedFrameException("unknown delivery order " + orderCode);
            }
            DeliveryOrder order = ORDERS[orderCode];
            long seq = positive(r.getLong(), "message sequence");
            byte[] payload = r.getBytes();
            long[] vt = order == DeliveryOrder.CAUSAL ? getFrontiers(r) : null;
            out.add(new MulticastMessage(rank, Streams.of(order), seq, order, payload, vt, -1));
        }
        return out;
    }

    private static void putRuns(WireWriter w, OrderRuns runs) {
        w.putInt(runs.size());
        for (int i = 0; i < runs.size(); i++) {
            w.putInt(runs.ranks()[i]);
            w.putLong(runs.firstSeqs()[i]);
            w.putLong(runs.counts()[i]);
        }
    }

    private static OrderRuns getRuns(WireReader r) throws MalformedFrameException {
        int n = r.getCount(20);
        int[] ranks = new int[n];
        long[] firsts = new long[n];
        long[] counts = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            ranks[i] = rank(r.getInt());
            firsts[i] = positive(r.getLong(), "run start");
            counts[i] = positive(r.getLong(), "run length");
            total += counts[i];
            if (firsts[i] > Long.MAX_VALUE / 2 || total > MAX_ORDER_POSITIONS) {
                throw new MalformedFrameException("order runs cover more than " + MAX_ORDER_POSITIONS + " positions");
            }
        }
        return new OrderRuns(ranks, firsts, counts);
    }

    private static void putProposal(WireWriter w, Proposal p) {
        w.putLong(p.oldViewId());
        w.putLong(p.newViewId());
        putMembers(w, p.members());
        putMembers(w, p.joiners());
        putMembers(w, p.donors());
        w.putLongs(p.cutFrontiers());
        w.putLong(p.cutOrderPrefix());
        putRuns(w, p.cutOrderTail());
        for (byte[] hint : p.joinerHints()) {
            w.putBytes(hint);
        }
    }

    private static Proposal getProposal(WireReader r) throws MalformedFrameException {
        long oldViewId = nonNegative(r.getLong(), "old view id");
        long newViewId = positive(r.getLong(), "new view id");
        List<MemberId> members = getMembers(r);
        List<MemberId> joiners = getMembers(r);
        List<MemberId> donors = getMembers(r);
        if (members.isEmpty() || joiners.size() != donors.size()) {
            throw new MalformedFrameException("inconsistent proposal membership");
        }
        long[] frontiers = getFrontiers(r);
        long prefix = nonNegative(r.getLong(), "cut order prefix");
        OrderRuns tail = getRuns(r);
        List<byte[]> hints = new ArrayList<>(joiners.size());
        for (int i = 0; i < joiners.size(); i++) {
            hints.add(getHint(r));
        }
        return new Proposal(oldViewId, newViewId, members, joiners, donors, frontiers, prefix, tail, hints);
    }

    private static void putBundle(WireWriter w, Bundle b) {
        putMessages(w, b.messages());
        w.putLong(b.orderStart());
        putRuns(w, b.order());
    }

    private static Bundle getBundle(WireReader r) throws MalformedFrameException {
        return new Bundle(getMessages(r), positive(r.getLong(), "order start"), getRuns(r));
    }

    private static void putMembers(WireWriter w, List<MemberId> members) {
        w.putInt(members.size());
        for (MemberId m : members) {
            w.putMember(m);
        }
    }

    private static List<MemberId> getMembers(WireReader r) throws MalformedFrameException {
        int n = r.getCount(10);
        if (n > MAX_VIEW_SIZE) {
            throw new MalformedFrameException("member list of " + n + " exceeds " + MAX_VIEW_SIZE);
        }
        List<MemberId> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(r.getMember());
        }
        return out;
    }

    private static long[] getFrontiers(WireReader r) throws MalformedFrameException {
        long[] values = r.getLongs();
        if (values.length > MAX_VIEW_SIZE * Streams.COUNT) {
            throw new MalformedFrameException("vector of " + values.length + " entries is too long");
        }
        for (long v : values) {
            nonNegative(v, "vector entry");
        }
        return values;
    }

    private static boolean getFlag(WireReader r) throws MalformedFrameException {
        int b = r.getByte();
        if (b > 1) {
            throw new MalformedFrameException("bad flag " + b);
        }
        return b == 1;
    }

    private static int rank(int v) throws MalformedFrameException {
        if (v < 0 || v >= MAX_VIEW_SIZE) {
            throw new MalformedFrameException("rank out of range: " + v);
        }
        return v;
    }

    private static long nonNegative(long v, String what) throws MalformedFrameException {
        if (v < 0) {
            throw new MalformedFrameException(what + " is negative: " + v);
        }
        return v;
    }

    private static long positive(long v, String what) throws MalformedFrameException {
        if (v < 1) {
            throw new MalformedFrameException(what + " must be positive: " + v);
        }
        return v;
    }
}
