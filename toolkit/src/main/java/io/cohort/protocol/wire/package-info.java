/** The protocol's vocabulary: frames, messages, proposals, and their binary encoding. */
package io.cohort.protocol.wire;
