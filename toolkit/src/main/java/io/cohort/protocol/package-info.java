/**
 * The sans-IO protocol core: {@link io.cohort.protocol.GroupMember} takes events and returns
 * {@link io.cohort.protocol.Effect}s, with no threads, sockets, clocks or randomness of its own.
 * Layers, each a subpackage: {@code wire} (messages and their encoding), {@code link} (reliable
 * FIFO point-to-point links), {@code multicast} (per-view streams, total order, stability,
 * delivery and the cut) and {@code membership} (the view change). See docs/protocol.md.
 */
package io.cohort.protocol;
