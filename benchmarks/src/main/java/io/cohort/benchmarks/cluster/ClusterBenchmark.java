package io.cohort.benchmarks.cluster;

import io.cohort.api.DeliveryOrder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts a group of {@link BenchmarkMember} JVMs on loopback and measures, for each order asked
 * for: delivered messages per second per member with every member sending as fast as flow
 * control allows, then delivery latency percentiles with every member sending at half of that
 * rate. Prints one line per phase and a summary table. A benchmark, not a test: nothing fails
 * on a slow figure.
 *
 * <p>Usage: {@code ClusterBenchmark [--members 3] [--payload 1024] [--seconds 10] [--warmup 3]
 * [--orders TOTAL,SAFE]}.
 */
public final class ClusterBenchmark {

    private ClusterBenchmark() {
    }

    /**
     * @param args options, see the class comment
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int members = Integer.parseInt(opt.getOrDefault("members", "3"));
        int payload = Integer.parseInt(opt.getOrDefault("payload", "1024"));
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "3"));
        List<DeliveryOrder> orders = Arrays.stream(opt.getOrDefault("orders", "TOTAL,SAFE").split(","))
                .map(DeliveryOrder::valueOf).toList();

        try (BenchmarkCluster cluster = new BenchmarkCluster(members, opt.getOrDefault("heap", "1g"), List.of())) {
            List<BenchmarkCluster.Member> group = cluster.members;
            System.out.printf("members=%d payload=%dB seconds=%d warmup=%d cpus=%d%n", members, payload, seconds,
                    warmup, Runtime.getRuntime().availableProcessors());
            // JIT warm-up of every code path before anything is measured: otherwise the order
            // measured first runs on colder code and looks slower than the others.
            for (DeliveryOrder order : orders) {
                runAll(group, order, warmup, warmup, 0, payload);
            }
            List<String> table = new ArrayList<>();
            for (DeliveryOrder order : orders) {
                List<Map<String, Long>> max = runAll(group, order, seconds, warmup, 0, payload);
                long perMember = median(max, "delivered") / seconds;
                System.out.printf("%s max load: delivered msgs/s per member %s -> median %d%n", order,
                        rates(max, seconds), perMember);
                long halfRate = Math.max(1, perMember / members / 2);
                List<Map<String, Long>> half = runAll(group, order, seconds, warmup, halfRate, payload);
                System.out.printf("%s at %d msgs/s per sender: p50=%dus p99=%dus p999=%dus (median over members)%n",
                        order, halfRate, median(half, "p50"), median(half, "p99"), median(half, "p999"));
                table.add(String.format("| %s | %d | %d | %d | %d | %d |", order, perMember, halfRate * members,
                        median(half, "p50"), median(half, "p99"), median(half, "p999")));
            }
            System.out.println();
            System.out.println("| order | delivered msgs/s per member (max load) | group load for latency (msgs/s) "
                    + "| p50 us | p99 us | p999 us |");
            System.out.println("|---|---|---|---|---|---|");
            table.forEach(System.out::println);
        }
    }

    private static List<Map<String, Long>> runAll(List<BenchmarkCluster.Member> group, DeliveryOrder order, int seconds, int warmup,
                                                  long rate, int payload) throws IOException {
        for (BenchmarkCluster.Member m : group) {
            m.command(String.format("run %s %d %d %d %d", order, seconds, warmup, rate, payload));
        }
        List<Map<String, Long>> results = new ArrayList<>();
        for (BenchmarkCluster.Member m : group) {
            Map<String, Long> r = new HashMap<>();
            for (String kv : m.expect("RESULT").substring(7).trim().split(" ")) {
                String[] p = kv.split("=");
                r.put(p[0], Long.parseLong(p[1]));
            }
            results.add(r);
        }
        return results;
    }

    private static long median(List<Map<String, Long>> results, String key) {
        long[] v = results.stream().mapToLong(r -> r.get(key)).sorted().toArray();
        return v[v.length / 2];
    }

    private static String rates(List<Map<String, Long>> results, int seconds) {
        return results.stream().map(r -> String.valueOf(r.get("delivered") / seconds)).toList().toString();
    }
}
