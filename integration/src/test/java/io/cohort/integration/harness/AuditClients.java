package io.cohort.integration.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.client.CohortClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Clients that keep submitting unique commands ({@code c<client>-<n>}) to an
 * {@code AuditMachine} group, failing over by themselves; each acknowledged command is recorded
 * with its result (how many times it had been applied when answered).
 */
public final class AuditClients implements AutoCloseable {

    private final List<CohortClient> clients = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);

    /**
     * Starts the clients.
     *
     * @param count          how many
     * @param endpoints      the replicas' client addresses
     * @param overallTimeout how long one command may take, failovers included
     */
    public AuditClients(int count, List<InetSocketAddress> endpoints, Duration overallTimeout) {
        for (int c = 0; c < count; c++) {
            CohortClient client = CohortClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(2))
                    .overallTimeout(overallTimeout).build();
            clients.add(client);
            int clientNo = c;
            Thread t = new Thread(() -> {
                for (int n = 1; running.get(); n++) {
                    String id = "c" + clientNo + "-" + n;
                    byte[] result = client.execute(id.getBytes(StandardCharsets.UTF_8));
                    acknowledged.put(id, new String(result, StandardCharsets.UTF_8));
                }
            }, "client-" + c);
            t.start();
            workers.add(t);
        }
    }

    /** @return command id to result, for every command acknowledged so far */
    public Map<String, String> acknowledged() {
        return acknowledged;
    }

    /** @return the clients, in start order */
    public List<CohortClient> clients() {
        return clients;
    }

    /**
     * Waits until {@code more} further commands have been acknowledged.
     *
     * @param more how many
     */
    public void awaitProgress(int more) {
        int target = acknowledged.size() + more;
        await().atMost(ReplicaProcesses.WAIT).until(() -> acknowledged.size() >= target);
    }

    /**
     * Stops submitting and waits for every client's last command.
     *
     * @param timeout how long to wait for each
     * @return the names of clients still busy after the timeout (empty if all finished)
     * @throws InterruptedException if interrupted
     */
    public List<String> stop(Duration timeout) throws InterruptedException {
        running.set(false);
        List<String> busy = new ArrayList<>();
        for (Thread t : workers) {
            t.join(timeout.toMillis());
            if (t.isAlive()) {
                busy.add(t.getName());
            }
        }
        return busy;
    }

    /**
     * Checks the replicas against what the clients saw: every acknowledged command was applied once
     * when it was answered and is applied exactly once at every replica, and the replicas agree on
     * their applied index and state hash. Waits first until their log positions agree (they finish
     * applying what was in flight when the clients stopped).
     *
     * @param replicas the live replicas
     * @return their common {@code appliedIndex@hash}
     */
    public String assertAppliedExactlyOnceAt(List<ReplicaProcesses.Slot> replicas) {
        assertThat(acknowledged.values()).as("each acknowledged command was applied once when answered").containsOnly("1");
        await().atMost(ReplicaProcesses.WAIT).until(() -> replicas.stream().map(s -> s.status()[5]).distinct().count() == 1);
        Set<String> hashes = new HashSet<>();
        for (ReplicaProcesses.Slot s : replicas) {
            Map<String, Integer> counts = s.dump();
            assertThat(counts.keySet()).as("acknowledged commands at " + s.name).containsAll(acknowledged.keySet());
            assertThat(counts.values()).as("applications per command at " + s.name).containsOnly(1);
            String[] status = s.status();
            hashes.add(status[3] + "@" + status[4]);
        }
        assertThat(hashes).as("appliedIndex@hash at every replica").hasSize(1);
        return hashes.iterator().next();
    }

    /** Stops submitting and closes the clients (a command in flight then fails). */
    @Override
    public void close() {
        running.set(false);
        clients.forEach(CohortClient::close);
    }
}
