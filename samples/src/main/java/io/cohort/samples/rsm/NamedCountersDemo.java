package io.cohort.samples.rsm;

import io.cohort.client.CohortClient;
import io.cohort.config.CohortConfig;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The end of docs/first-replicated-state-machine.md: three {@link NamedCounters} replicas in this
 * JVM, a client adding to a counter, one replica stopped in the middle, and the client carrying on
 * through another replica without any code of its own for it.
 */
public final class NamedCountersDemo {

    private NamedCountersDemo() {
    }

    /**
     * @param args unused
     * @throws Exception if the demo fails
     */
    public static void main(String[] args) throws Exception {
        int[] groupPorts = {freePort(), freePort(), freePort()};
        String seeds = "127.0.0.1:" + groupPorts[0] + ",127.0.0.1:" + groupPorts[1] + ",127.0.0.1:" + groupPorts[2];
        List<Replica> replicas = new ArrayList<>();
        List<InetSocketAddress> endpoints = new ArrayList<>();
        CountDownLatch allThree = new CountDownLatch(1);
        for (int i = 0; i < 3; i++) {
            CohortConfig config = CohortConfig.builder("counters", "replica-" + (i + 1)).bindPort(groupPorts[i])
                    .seeds(seeds.split(",")).build();
            Replica r = Replica.builder(config, new NamedCounters()).mode(ReplicationMode.ACTIVE)
                    .viewListener(v -> {
                        if (v.size() == 3) {
                            allThree.countDown();
                        }
                    })
                    .build();
            replicas.add(r);
            endpoints.add(r.clientAddress());
        }
        for (Replica r : replicas) {
            r.joinAsync();
        }
        if (!allThree.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the three replicas did not form one view within 60 s");
        }
        System.out.println("view: " + replicas.get(0).view());

        try (CohortClient client = CohortClient.builder().endpoints(endpoints).build()) {
            for (int i = 1; i <= 5; i++) {
                System.out.println("add visits 1 -> " + text(client.execute(NamedCounters.add("visits", 1))));
            }
            InetSocketAddress talkingTo = client.currentEndpoint();
            Replica victim = replicas.stream().filter(r -> r.clientAddress().equals(talkingTo)).findFirst().orElseThrow();
            System.out.println("closing the replica the client talks to: " + victim.self());
            victim.close();
            replicas.remove(victim);
            for (int i = 1; i <= 5; i++) {
                System.out.println("add visits 1 -> " + text(client.execute(NamedCounters.add("visits", 1))));
            }
            System.out.println("client now talks to " + client.currentEndpoint());
            System.out.println("get visits (linearizable) -> "
                    + text(client.read(NamedCounters.get("visits"), ReadConsistency.LINEARIZABLE)));
        } finally {
            replicas.forEach(Replica::close);
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
