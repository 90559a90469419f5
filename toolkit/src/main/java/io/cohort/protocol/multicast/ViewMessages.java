package io.cohort.protocol.multicast;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.View;
import io.cohort.protocol.ProtocolVariant;
import io.cohort.protocol.wire.Bundle;
import io.cohort.protocol.wire.MulticastMessage;
import io.cohort.protocol.wire.OrderRuns;
import io.cohort.protocol.wire.ProtocolMessage;
import io.cohort.protocol.wire.Report;
import io.cohort.protocol.wire.Streams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The multicast layer of one member in one view: it stores every message of the view it holds,
 * decides when each may be delivered (FIFO, causal, total, safe), sequences the total order when
 * this member is the coordinator, tracks stability from the members' acknowledgements, and
 * discards messages once every member holds them and this member delivered them.
 *
 * <p>It is also where a view ends: it reports what it holds, hands out what others lack, computes
 * the cut (leader) and delivers up to a cut. It never talks to the network itself: it returns the
 * messages to send and the caller routes them.
 */
public final class ViewMessages {

    /** How far the total order may run ahead of a sender's data held here. */
    static final long MAX_ORDER_LEAD = 1L << 20;

    private final View view;
    private final int myRank;
    private final int n;
    private final ProtocolVariant variant;
    private final StreamLog[] logs;
    private final OrderLog order = new OrderLog();

    /** Per rank: the frontiers and total-order positions it last acknowledged. */
    private final long[][] ackedFrontiers;
    private final long[] ackedTotal;
    /** Order positions held gap-free with their data; what this member acknowledges. */
    private long totalHeld;
    private long totalDelivered;

    /** Sequencer state (rank 0 only): per rank, how many TOTAL-stream messages have a position. */
    private final long[] sequenced;
    private long orderBroadcast;

    /** Own messages not yet handed out for sending, per stream. */
    private final List<List<MulticastMessage>> outgoing = new ArrayList<>(Streams.COUNT);
    private long lastAckedProgress = -1;
    private boolean wedged;

    /**
     * @param view    the view
     * @param myRank  this member's rank in it
     * @param variant protocol variant (tests only; {@link ProtocolVariant#CORRECT} otherwise)
     */
    public ViewMessages(View view, int myRank, ProtocolVariant variant) {
        this.view = view;
        this.myRank = myRank;
        this.n = view.size();
        this.variant = variant;
        this.logs = new StreamLog[n * Streams.COUNT];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new StreamLog();
        }
        this.ackedFrontiers = new long[n][n * Streams.COUNT];
        this.ackedTotal = new long[n];
        this.sequenced = new long[n];
        for (int s = 0; s < Streams.COUNT; s++) {
            outgoing.add(new ArrayList<>());
        }
    }

    /** @return the view */
    public View view() {
        return view;
    }

    /** @return whether sending, sequencing and delivery are stopped for a view change */
    public boolean wedged() {
        return wedged;
    }

    /** Stops sending, sequencing and delivery in this view; receiving goes on. */
    public void wedge() {
        wedged = true;
    }

    private StreamLog log(int rank, int stream) {
        return logs[Streams.index(rank, stream)];
    }

    private boolean isSequencer() {
        return myRank == 0;
    }

    // ------------------------------------------------------------------ sending and receiving

    /**
     * Gives an application multicast its place in this member's stream.
     *
     * @param order   delivery order
     * @param payload application bytes
     * @param localId the sender's handle for it
     * @return the stored message
     */
    public MulticastMessage send(DeliveryOrder order, byte[] payload, long localId) {
        int stream = Streams.of(order);
        StreamLog own = log(myRank, stream);
        long seq = own.received() + 1;
        long[] vt = null;
        if (stream == Streams.CAUSAL) {
            vt = new long[n];
            for (int r = 0; r < n; r++) {
                vt[r] = r == myRank ? seq : log(r, Streams.CAUSAL).delivered;
            }
        }
        MulticastMessage m = new MulticastMessage(myRank, stream, seq, order, payload, vt, localId);
        own.append(m);
        outgoing.get(stream).add(m);
        sequenceNew(myRank);
        return m;
    }

    /**
     * Stores a message received from its sender or from a flush bundle.
     *
     * @param m the message
     * @return false if it does not fit the view or leaves a gap (ignored); a message already
     *         held (it can arrive both in a flush bundle and from its sender) is ignored quietly
     */
    public boolean receive(MulticastMessage m) {
        if (m.senderRank() >= n || (m.vt() != null && m.vt().length != n)) {
            return false;
        }
        StreamLog log = log(m.senderRank(), m.stream());
        if (m.seq() <= log.received()) {
            return true;
        }
        if (m.seq() != log.received() + 1) {
            return false;
        }
        log.append(m);
        if (m.stream() == Streams.TOTAL) {
            sequenceNew(m.senderRank());
        }
        return true;
    }

    /** Sequencer: gives positions to TOTAL-stream messages of {@code rank} that have none yet. */
    private void sequenceNew(int rank) {
        if (!isSequencer() || wedged) {
            return;
        }
        long held = log(rank, Streams.TOTAL).received();
        while (sequenced[rank] < held) {
            order.append(rank, ++sequenced[rank]);
        }
    }

    /**
     * Appends the sequencer's order entries.
     *
     * @param firstPosition position of the first entry
     * @param runs          the entries
     * @return false if the entries were malformed or left a gap (ignored)
     */
    public boolean receiveOrder(long firstPosition, OrderRuns runs) {
        if (firstPosition > order.length() + 1) {
            return false;
        }
        for (int i = 0; i < runs.size(); i++) {
            int rank = runs.ranks()[i];
            // The order may run ahead of the data, but not without bound: a sender cannot have
            // more messages in flight than this (it protects memory from a garbled run).
            if (rank >= n || runs.firstSeqs()[i] + runs.counts()[i] - 1 > log(rank, Streams.TOTAL).received() + MAX_ORDER_LEAD) {
                return false;
            }
        }
        long p = firstPosition;
        for (int i = 0; i < runs.size(); i++) {
            int rank = runs.ranks()[i];
            for (long k = 0; k < runs.counts()[i]; k++, p++) {
                if (p == order.length() + 1) {
                    order.append(rank, runs.firstSeqs()[i] + k);
                }
            }
        }
        return true;
    }

    /**
     * Records what member {@code rank} holds.
     *
     * @param rank      the acknowledging member
     * @param totalHeld total-order positions it holds with their data
     * @param frontiers per-stream counts it holds
     * @return false if malformed (ignored)
     */
    public boolean receiveAck(int rank, long totalHeld, long[] frontiers) {
        if (rank >= n || frontiers.length != logs.length) {
            return false;
        }
        ackedTotal[rank] = Math.max(ackedTotal[rank], totalHeld);
        long[] mine = ackedFrontiers[rank];
        for (int i = 0; i < mine.length; i++) {
            mine[i] = Math.max(mine[i], frontiers[i]);
        }
        collectGarbage();
        return true;
    }

    // ------------------------------------------------------------------ delivery

    private void advanceTotalHeld() {
        while (totalHeld < order.length()) {
            long p = totalHeld + 1;
            if (log(order.rankAt(p), Streams.TOTAL).received() < order.seqAt(p)) {
                return;
            }
            totalHeld = p;
        }
    }

    /** @return how many total-order positions this member holds with their data, from the first on */
    public long totalHeld() {
        advanceTotalHeld();
        return totalHeld;
    }

    /** @return how many total-order positions this member has delivered */
    public long totalDelivered() {
        return totalDelivered;
    }

    /** @return highest total-order position every member holds */
    private long stableTotal() {
        advanceTotalHeld();
        long stable = totalHeld;
        for (int r = 0; r < n; r++) {
            if (r != myRank) {
                stable = Math.min(stable, ackedTotal[r]);
            }
        }
        return stable;
    }

    /**
     * Delivers every message whose order allows it now. Does nothing while wedged.
     *
     * @param sink receives the delivered messages, in delivery order
     */
    public void deliverReady(Consumer<MulticastMessage> sink) {
        if (wedged) {
            return;
        }
        for (int r = 0; r < n; r++) {
            deliverStream(log(r, Streams.FIFO), Long.MAX_VALUE, sink);
        }
        deliverCausal(null, sink);
        if (variant == ProtocolVariant.TOTAL_IN_RECEIVE_ORDER) {
            for (int r = 0; r < n; r++) {
                deliverStream(log(r, Streams.TOTAL), Long.MAX_VALUE, sink);
            }
            return;
        }
        long stable = variant == ProtocolVariant.SAFE_WITHOUT_STABILITY ? Long.MAX_VALUE : stableTotal();
        while (totalDelivered < order.length()) {
            long p = totalDelivered + 1;
            StreamLog log = log(order.rankAt(p), Streams.TOTAL);
            long seq = order.seqAt(p);
            if (log.received() < seq) {
                break;
            }
            MulticastMessage m = log.get(seq);
            if (m.order() == DeliveryOrder.SAFE && p > stable) {
                break;
            }
            totalDelivered = p;
            log.delivered = seq;
            sink.accept(m);
        }
    }

    private static void deliverStream(StreamLog log, long upTo, Consumer<MulticastMessage> sink) {
        long limit = Math.min(upTo, log.received());
        while (log.delivered < limit) {
            sink.accept(log.get(++log.delivered));
        }
    }

    /**
     * Delivers causal messages whose dependencies are delivered, until none is left.
     *
     * @param caps per-(rank, stream) upper bounds (a cut), or null for none
     */
    private void deliverCausal(long[] caps, Consumer<MulticastMessage> sink) {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int r = 0; r < n; r++) {
                StreamLog log = log(r, Streams.CAUSAL);
                long limit = caps == null ? log.received() : Math.min(log.received(), caps[Streams.index(r, Streams.CAUSAL)]);
                while (log.delivered < limit && causalReady(log.get(log.delivered + 1))) {
                    sink.accept(log.get(++log.delivered));
                    progress = true;
                }
            }
        }
    }

    private boolean causalReady(MulticastMessage m) {
        long[] vt = m.vt();
        for (int j = 0; j < n; j++) {
            if (j != m.senderRank() && log(j, Streams.CAUSAL).delivered < vt[j]) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ output for the network

    /**
     * Own messages to multicast since the last call, at most {@code maxBatch} per Data message.
     *
     * @param maxBatch      most messages per Data message
     * @param maxBatchBytes most payload bytes per Data message (a larger single payload goes alone)
     * @return Data messages to send to every other member
     */
    public List<ProtocolMessage.Data> takeOutgoing(int maxBatch, int maxBatchBytes) {
        List<ProtocolMessage.Data> out = null;
        for (List<MulticastMessage> pending : outgoing) {
            if (pending.isEmpty()) {
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(2);
            }
            // Cut by count and by payload bytes, so that a burst of large messages never makes a
            // frame the transport cannot carry (it would be resent, and dropped, forever).
            int from = 0;
            long bytes = 0;
            for (int i = 0; i < pending.size(); i++) {
                int size = pending.get(i).payload().length;
                if (i > from && (i - from == maxBatch || bytes + size > maxBatchBytes)) {
                    out.add(new ProtocolMessage.Data(view.viewId(), new ArrayList<>(pending.subList(from, i))));
                    from = i;
                    bytes = 0;
                }
                bytes += size;
            }
            out.add(new ProtocolMessage.Data(view.viewId(), new ArrayList<>(pending.subList(from, pending.size()))));
            pending.clear();
        }
        return out == null ? List.of() : out;
    }

    /** @return the sequencer's new order entries since the last call, or null */
    public ProtocolMessage.Order takeOrder() {
        if (!isSequencer() || orderBroadcast >= order.length()) {
            return null;
        }
        OrderRuns runs = order.runsAfter(orderBroadcast);
        ProtocolMessage.Order o = new ProtocolMessage.Order(view.viewId(), orderBroadcast + 1, runs);
        orderBroadcast = order.length();
        return o;
    }

    /**
     * @param stateful whether this member holds the application state
     * @return an acknowledgement if this member holds more than it last acknowledged, or null
     */
    public ProtocolMessage.Ack takeAck(boolean stateful) {
        advanceTotalHeld();
        long progress = totalHeld + order.length() + (stateful ? Long.MIN_VALUE : 0);
        for (StreamLog log : logs) {
            progress += log.received();
        }
        if (progress == lastAckedProgress) {
            return null;
        }
        lastAckedProgress = progress;
        long[] frontiers = frontiers();
        receiveAck(myRank, totalHeld, frontiers);
        return new ProtocolMessage.Ack(view.viewId(), totalHeld, frontiers, stateful);
    }

    /**
     * @param stateful whether this member holds the application state
     * @return an acknowledgement of what this member holds now, whether or not it changed
     */
    public ProtocolMessage.Ack probeAck(boolean stateful) {
        advanceTotalHeld();
        return new ProtocolMessage.Ack(view.viewId(), totalHeld, frontiers(), stateful);
    }

    private void collectGarbage() {
        for (int i = 0; i < logs.length; i++) {
            long stable = logs[i].received();
            for (int r = 0; r < n; r++) {
                if (r != myRank) {
                    stable = Math.min(stable, ackedFrontiers[r][i]);
                }
            }
            logs[i].discardThrough(Math.min(stable, logs[i].delivered));
        }
        order.discardThrough(Math.min(stableTotal(), totalDelivered));
    }

    // ------------------------------------------------------------------ the end of a view

    /** @return per (rank, stream) the number of messages held gap-free */
    public long[] frontiers() {
        long[] f = new long[logs.length];
        for (int i = 0; i < logs.length; i++) {
            f[i] = logs[i].received();
        }
        return f;
    }

    /** @return total-order positions held */
    public long orderLength() {
        return order.length();
    }

    /**
     * @param stateful whether the reporting member holds application state
     * @return what this member holds, for a view-change leader
     */
    public Report report(boolean stateful) {
        return new Report(frontiers(), order.length(), stateful);
    }

    /**
     * Everything this member holds beyond what another member holds.
     *
     * @param theirFrontiers the other member's frontiers
     * @param theirOrderLength the other member's order length
     * @return the bundle (empty if the frontiers do not fit this view)
     */
    public Bundle bundleBeyond(long[] theirFrontiers, long theirOrderLength) {
        if (theirFrontiers.length != logs.length) {
            return Bundle.EMPTY;
        }
        List<MulticastMessage> messages = new ArrayList<>();
        for (int i = 0; i < logs.length; i++) {
            StreamLog log = logs[i];
            for (long seq = Math.max(theirFrontiers[i], log.discarded()) + 1; seq <= log.received(); seq++) {
                messages.add(log.get(seq));
            }
        }
        long start = Math.max(theirOrderLength, order.discarded());
        return new Bundle(messages, start + 1, order.runsAfter(start));
    }

    /**
     * Adds what a bundle holds that this member lacks.
     *
     * @param bundle messages and order entries from another member
     */
    public void merge(Bundle bundle) {
        for (MulticastMessage m : bundle.messages()) {
            receive(m);
        }
        receiveOrder(bundle.orderStart(), bundle.order());
    }

    /**
     * @param cutFrontiers per-stream counts of a cut
     * @param cutOrderPrefix order positions of a cut
     * @return whether this member holds every message and order entry the cut needs
     */
    public boolean holds(long[] cutFrontiers, long cutOrderPrefix) {
        if (cutFrontiers.length != logs.length) {
            return false;
        }
        for (int i = 0; i < logs.length; i++) {
            if (logs[i].received() < cutFrontiers[i]) {
                return false;
            }
        }
        return order.length() >= cutOrderPrefix;
    }

    /**
     * Leader: the cut from everything this member holds (after merging the promises' bundles).
     * Causal streams are cut back so that no message is delivered without its dependencies; the
     * total order keeps the longest prefix whose data is held, and the remaining TOTAL/SAFE
     * messages follow in rank order, each sender's in stream order.
     *
     * @return the cut
     */
    public Cut computeCut() {
        long[] cut = frontiers();
        closeCausally(cut);
        advanceTotalHeld();
        long prefix = totalHeld;
        // Per rank, how many of its TOTAL-stream messages lie inside the prefix.
        long[] inPrefix = new long[n];
        for (int r = 0; r < n; r++) {
            inPrefix[r] = maxSeqOrdered(r, prefix);
        }
        int[] ranks = new int[n];
        long[] firsts = new long[n];
        long[] counts = new long[n];
        int runs = 0;
        for (int r = 0; r < n; r++) {
            long last = cut[Streams.index(r, Streams.TOTAL)];
            if (last > inPrefix[r]) {
                ranks[runs] = r;
                firsts[runs] = inPrefix[r] + 1;
                counts[runs] = last - inPrefix[r];
                runs++;
            }
        }
        OrderRuns tail = new OrderRuns(Arrays.copyOf(ranks, runs), Arrays.copyOf(firsts, runs), Arrays.copyOf(counts, runs));
        return new Cut(cut, prefix, tail);
    }

    /**
     * Highest TOTAL-stream sequence of {@code rank} placed at a position up to {@code prefix}.
     * The sequencer orders each sender's messages in stream order, so it is the last such entry.
     */
    private long maxSeqOrdered(int rank, long prefix) {
        for (long p = prefix; p > order.discarded(); p--) {
            if (order.rankAt(p) == rank) {
                return order.seqAt(p);
            }
        }
        // Nothing retained for this rank: everything it had ordered was delivered and discarded.
        return log(rank, Streams.TOTAL).delivered;
    }

    /** Cuts causal streams back until every message in the cut has its dependencies in the cut. */
    private void closeCausally(long[] cut) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < n; r++) {
                int idx = Streams.index(r, Streams.CAUSAL);
                StreamLog log = logs[idx];
                for (long seq = log.discarded() + 1; seq <= cut[idx]; seq++) {
                    long[] vt = log.get(seq).vt();
                    boolean ok = true;
                    for (int j = 0; j < n && ok; j++) {
                        ok = j == r || vt[j] <= cut[Streams.index(j, Streams.CAUSAL)];
                    }
                    if (!ok) {
                        cut[idx] = seq - 1;
                        changed = true;
                        break;
                    }
                }
            }
        }
    }

    /**
     * Delivers everything of the cut not yet delivered: the flush. Afterwards this view is over.
     *
     * @param cutFrontiers per-stream counts of the cut
     * @param orderPrefix  order positions of the cut
     * @param orderTail    TOTAL/SAFE messages after the prefix
     * @param sink         receives the delivered messages
     */
    public void deliverCut(long[] cutFrontiers, long orderPrefix, OrderRuns orderTail, Consumer<MulticastMessage> sink) {
        for (int r = 0; r < n; r++) {
            deliverStream(log(r, Streams.FIFO), cutFrontiers[Streams.index(r, Streams.FIFO)], sink);
        }
        deliverCausal(cutFrontiers, sink);
        if (variant == ProtocolVariant.TOTAL_IN_RECEIVE_ORDER) {
            for (int r = 0; r < n; r++) {
                deliverStream(log(r, Streams.TOTAL), cutFrontiers[Streams.index(r, Streams.TOTAL)], sink);
            }
            return;
        }
        while (totalDelivered < orderPrefix) {
            long p = ++totalDelivered;
            StreamLog log = log(order.rankAt(p), Streams.TOTAL);
            long seq = order.seqAt(p);
            if (seq > log.delivered) {
                log.delivered = seq;
                sink.accept(log.get(seq));
            }
        }
        for (int i = 0; i < orderTail.size(); i++) {
            StreamLog log = log(orderTail.ranks()[i], Streams.TOTAL);
            long end = orderTail.firstSeqs()[i] + orderTail.counts()[i] - 1;
            while (log.delivered < end) {
                sink.accept(log.get(++log.delivered));
            }
        }
    }

    /**
     * Own messages sent in this view but not delivered here: their fate is unknown to this member
     * if it leaves the view without a flush.
     *
     * @return local ids of those messages
     */
    public List<Long> undeliveredOwn() {
        List<Long> ids = new ArrayList<>();
        for (int s = 0; s < Streams.COUNT; s++) {
            StreamLog log = log(myRank, s);
            for (long seq = Math.max(log.delivered, log.discarded()) + 1; seq <= log.received(); seq++) {
                ids.add(log.get(seq).localId());
            }
        }
        return ids;
    }

    /** @return number of messages retained (for tests of bounded memory) */
    public int retainedMessages() {
        int total = 0;
        for (StreamLog log : logs) {
            total += log.retained();
        }
        return total;
    }
}
