package io.cohort.group;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.Message;
import io.cohort.api.MulticastOutcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Groups of real members over loopback TCP, in one JVM (the multi-process tests live in the integration module). */
class GroupOverTcpTest {

    private LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void membersStartedTogetherFormOneViewAndAgreeOnTotalOrder() throws Exception {
        cluster = new LocalCluster("tcp-orders", 3);
        cluster.startAll();
        cluster.awaitOneView(cluster.nodes);

        List<CompletableFuture<Message>> futures = new ArrayList<>();
        for (LocalCluster.Node n : cluster.nodes) {
            for (int i = 0; i < 50; i++) {
                for (DeliveryOrder order : DeliveryOrder.values()) {
                    byte[] payload = (n.name + ":" + order + ":" + i).getBytes(StandardCharsets.UTF_8);
                    futures.add(n.group.multicast(order, payload));
                }
            }
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        int expected = 3 * 50 * DeliveryOrder.values().length;
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.nodes.stream().allMatch(n -> n.delivered.size() == expected));

        // One connection per pair: members that dialled each other at once kept the same one.
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes.stream()
                .allMatch(n -> n.registry.get("cohort.transport.connections").gauge().value() == 2
                        && n.registry.get("cohort.transport.sockets").gauge().value() == 2));

        List<String> first = totalSequence(cluster.nodes.get(0));
        assertThat(first).hasSize(3 * 50 * 2);
        for (LocalCluster.Node n : cluster.nodes) {
            assertThat(totalSequence(n)).as("TOTAL and SAFE sequence at %s", n.name).isEqualTo(first);
            assertThat(n.count("cohort.multicast.delivered")).isEqualTo(expected);
            assertThat(n.count("cohort.membership.suspicions")).isZero();
        }
    }

    private static List<String> totalSequence(LocalCluster.Node n) {
        return n.delivered.stream()
                .filter(m -> m.order() == DeliveryOrder.TOTAL || m.order() == DeliveryOrder.SAFE)
                .map(m -> new String(m.payload(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void aJoinerReceivesTheStateAndACleanLeaveIsNoFailure() throws Exception {
        cluster = new LocalCluster("tcp-join", 3);
        cluster.startAll();
        cluster.awaitOneView(cluster.nodes);
        LocalCluster.Node a = cluster.nodes.get(0);
        for (int i = 0; i < 20; i++) {
            a.group.send(DeliveryOrder.TOTAL, new byte[3], Duration.ofSeconds(10));
        }
        LocalCluster.Node joiner = cluster.start(cluster.addNode());
        cluster.awaitOneView(cluster.nodes);
        await().atMost(Duration.ofSeconds(10)).until(() -> joiner.counter == 60);
        assertThat(joiner.count("cohort.statetransfer.bytes")).isPositive();

        LocalCluster.Node leaver = cluster.nodes.get(1);
        leaver.group.leave(Duration.ofSeconds(10));
        List<LocalCluster.Node> rest = List.of(cluster.nodes.get(0), cluster.nodes.get(2), joiner);
        cluster.awaitOneView(rest);
        for (LocalCluster.Node n : rest) {
            assertThat(n.count("cohort.membership.suspicions")).as("suspicions at %s", n.name).isZero();
        }
        assertThatThrownBy(() -> leaver.group.multicast(DeliveryOrder.FIFO, new byte[1]).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(MulticastException.class)
                .cause().satisfies(e -> assertThat(((MulticastException) e).outcome()).isEqualTo(MulticastOutcome.NOT_SENT));
    }

    @Test
    void sendFromAListenerIsRefusedRatherThanDeadlocking() throws Exception {
        cluster = new LocalCluster("tcp-deadlock", 1);
        LocalCluster.Node n = cluster.nodes.get(0);
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        n.group = io.cohort.group.Group.builder(cluster.config(n)).meterRegistry(n.registry)
                .listener(new GroupListener() {
                    @Override
                    public void onView(io.cohort.api.View v) {
                        List<Throwable> refused = new ArrayList<>();
                        for (Runnable blocking : List.<Runnable>of(
                                () -> call(() -> n.group.send(DeliveryOrder.FIFO, new byte[1], Duration.ofSeconds(1))),
                                () -> call(() -> n.group.join(Duration.ofSeconds(1))),
                                () -> call(() -> {
                                    n.group.leave(Duration.ofSeconds(1));
                                    return null;
                                }),
                                () -> n.group.close())) {
                            try {
                                blocking.run();
                            } catch (IllegalStateException e) {
                                refused.add(e);
                            }
                        }
                        seen.complete(refused.size() == 4 ? null : new AssertionError("refused only " + refused));
                    }
                }).build();
        n.group.join(Duration.ofSeconds(10));
        assertThat(seen.get(10, TimeUnit.SECONDS)).isNull();
        // The member is still in its group: none of the refused calls did anything.
        assertThat(n.group.send(DeliveryOrder.SAFE, new byte[1], Duration.ofSeconds(10)).viewId()).isEqualTo(1);
    }

    private static void call(java.util.concurrent.Callable<?> c) {
        try {
            c.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("not refused but failed: " + e, e);
        }
    }

    @Test
    void aPayloadTooLargeForAFrameIsRefusedAtOnce() throws Exception {
        cluster = new LocalCluster("tcp-large", 1);
        LocalCluster.Node n = cluster.start(cluster.nodes.get(0));
        n.group.join(Duration.ofSeconds(10));
        int max = n.group.maxPayloadBytes();
        assertThatThrownBy(() -> n.group.multicast(DeliveryOrder.TOTAL, new byte[max + 1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxFrameBytes");
        assertThat(n.group.send(DeliveryOrder.TOTAL, new byte[max], Duration.ofSeconds(10)).payload()).hasSize(max);
    }
}
