/** Reliable FIFO links between member incarnations over a lossy, duplicating, reordering network. */
package io.cohort.protocol.link;
