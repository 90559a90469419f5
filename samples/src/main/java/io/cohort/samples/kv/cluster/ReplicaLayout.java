package io.cohort.samples.kv.cluster;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Where one replica of the local cluster listens, and the configuration file written for it.
 *
 * @param name      member name ({@code kv1}, {@code kv2}, ...)
 * @param redisPort Redis protocol port
 * @param adminPort admin HTTP port
 * @param groupPort member-to-member port
 */
record ReplicaLayout(String name, int redisPort, int adminPort, int groupPort) {

    /**
     * @param seeds      every replica's group address
     * @param durability MEMORY, LOG or SYNC
     * @return the replica's configuration file; its data directory is relative to the cluster's
     *         directory, where the replica runs
     */
    String yaml(List<String> seeds, String durability) {
        String seedList = seeds.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", "));
        return """
                # Replica %1$s of the local key-value cluster (written by kv-cluster; edit and restart to change).
                # The keys are described in docs/kv.md and docs/configuration.md.
                group:
                  clusterName: kv-local
                  memberName: %1$s
                  bindHost: 127.0.0.1
                  bindPort: %4$d
                  seeds: [%5$s]
                  dataDir: %1$s
                redis:
                  host: 127.0.0.1
                  port: %2$d
                admin:
                  host: 127.0.0.1
                  port: %3$d
                storage:
                  durability: %6$s
                """.formatted(name, redisPort, adminPort, groupPort, seedList, durability);
    }
}
