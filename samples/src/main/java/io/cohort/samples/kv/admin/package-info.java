/**
 * The key-value replica's admin HTTP endpoint: {@link io.cohort.samples.kv.admin.AdminServer} serves
 * {@code /health}, {@code /view} and {@code /metrics} from a {@link io.cohort.samples.kv.admin.ReplicaStatus}
 * supplier and a Prometheus registry, which {@link io.cohort.samples.kv.admin.PrometheusMeters} creates with
 * the JVM and process meters bound.
 */
package io.cohort.samples.kv.admin;
