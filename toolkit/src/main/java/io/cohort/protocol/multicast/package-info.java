/**
 * The multicast layer of one view: message streams per sender, the sequencer's total order,
 * stability and garbage collection, the delivery rules of the four orders, and the cut.
 */
package io.cohort.protocol.multicast;
