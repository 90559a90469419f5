package io.cohort.protocol.wire;

import io.cohort.api.DeliveryOrder;

/**
 * One application multicast inside a view: the unit the multicast layer stores, retransmits in a
 * flush, and delivers.
 *
 * @param senderRank rank of the sender in the view
 * @param stream     {@link Streams} index: FIFO, CAUSAL, or TOTAL (shared by TOTAL and SAFE)
 * @param seq        position in the sender's stream, from 1, gap-free
 * @param order      the delivery order the sender asked for
 * @param payload    application bytes
 * @param vt         vector timestamp for CAUSAL messages (one entry per rank), otherwise null
 * @param localId    sender-local handle used to complete the sender's own future; -1 when
 *                   decoded from the wire (it is never sent)
 */
public record MulticastMessage(int senderRank, int stream, long seq, DeliveryOrder order, byte[] payload, long[] vt,
                               long localId) {
}
