package io.cohort.samples.rsm;

import io.cohort.client.CohortClient;
import io.cohort.config.CohortConfig.HostPort;
import io.cohort.replication.ReadConsistency;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A command-line client for {@link NamedCountersReplica}s:
 * {@code NamedCountersClient <host:port,host:port,...> add <name> <delta>} or
 * {@code ... get <name> [stale]}.
 */
public final class NamedCountersClient {

    private NamedCountersClient() {
    }

    /**
     * @param args replica client addresses, then the operation
     */
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: NamedCountersClient <host:port,...> add <name> <delta> | get <name> [stale]");
            System.exit(2);
        }
        List<InetSocketAddress> endpoints = Arrays.stream(args[0].split(","))
                .map(HostPort::parse).map(h -> new InetSocketAddress(h.host(), h.port())).toList();
        try (CohortClient client = CohortClient.builder().endpoints(endpoints).build()) {
            byte[] answer = switch (args[1]) {
                case "add" -> client.execute(NamedCounters.add(args[2], Long.parseLong(args[3])));
                case "get" -> client.read(NamedCounters.get(args[2]),
                        args.length > 3 && args[3].equals("stale") ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE);
                default -> throw new IllegalArgumentException("unknown operation " + args[1]);
            };
            System.out.println(new String(answer, StandardCharsets.UTF_8));
        }
    }
}
