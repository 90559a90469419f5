/**
 * A group member in its own JVM for multi-process tests: {@link io.cohort.integration.node.RecordingNode}
 * takes commands on stdin and records its history for the checker.
 */
package io.cohort.integration.node;
