package io.cohort.integration.replica;

import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One replica process hosting an {@link AuditMachine}, for multi-process tests. Settings come from
 * {@code -Dcohort.*} properties (see {@link ConfigLoader}) plus {@code replica.mode} and
 * {@code replica.clientPort}. It joins at once, prints {@code CLIENT <port>} when its client server
 * listens and {@code VIEW <id> <members>} at every view, and answers {@code status} on stdin with
 * {@code STATUS <viewId> <role> <appliedIndex> <hash>}.
 */
public final class ReplicaNode {

    private ReplicaNode() {
    }

    /**
     * @param args unused; settings are system properties
     * @throws Exception if the replica cannot start
     */
    public static void main(String[] args) throws Exception {
        CohortConfig config = ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        ReplicationMode mode = ReplicationMode.valueOf(System.getProperty("replica.mode", "ACTIVE"));
        int clientPort = Integer.getInteger("replica.clientPort", 0);
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        Replica.Builder builder = Replica.builder(config, new AuditMachine()).mode(mode).clientPort(clientPort)
                .viewListener(v -> console.println("VIEW " + v.viewId() + " " + v.members().stream()
                        .map(Object::toString).collect(Collectors.joining(","))));
        if (mode != ReplicationMode.ACTIVE) {
            builder.requestExecutor(AuditMachine.stampingExecutor());
        }
        Replica replica = builder.build();
        console.println("CLIENT " + replica.clientAddress().getPort());
        replica.joinAsync();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().equals("status")) {
                Replica.StateHash h = replica.stateHash().get(10, TimeUnit.SECONDS);
                View v = replica.view();
                console.println("STATUS " + (v == null ? 0 : v.viewId()) + " " + replica.role() + " "
                        + h.appliedIndex() + " " + Long.toHexString(h.hash()));
            } else if (line.trim().equals("exit")) {
                break;
            }
        }
        replica.close();
        System.exit(0);
    }
}
