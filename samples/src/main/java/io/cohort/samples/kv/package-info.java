/**
 * The replicated key-value sample: a {@link io.cohort.samples.kv.KeyValueStore} state machine with
 * Redis's string commands, answering in RESP2, with expiry on the log's logical time. The Redis
 * protocol server, the local three-replica cluster and the admin endpoints build on it.
 */
package io.cohort.samples.kv;
