package io.cohort.simulation.replica;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A simulated client, as a real one behaves: a random session id, commands numbered 1, 2, 3...
 * one at a time, queries in between, and failover: on RETRY or UNAVAILABLE, on a lost connection
 * (its replica crashed) or when no answer comes in time, it sends the same request, with the same
 * (clientId, sequence, firstUnacknowledged), to another replica. Its messages travel the same
 * faulty network as the replicas' (loss, duplication, delay), but partitions never cut a client off.
 */
final class SimClient {

    /** One operation in progress. */
    private static final class Operation {
        final ClientRequest request;
        final long invokedAt;
        int attempts;
        /** The attempt whose answer, timeout or failure decides what happens next. */
        int currentAttempt;
        String target;

        Operation(ClientRequest request, long invokedAt) {
            this.request = request;
            this.invokedAt = invokedAt;
        }

        boolean command() {
            return request.kind() == ClientRequest.Kind.COMMAND;
        }

        @Override
        public String toString() {
            return (command() ? "command #" : "query #") + request.sequence()
                    + (command() ? "" : " (" + request.consistency() + ")");
        }
    }

    private final int index;
    private final long clientId;
    private final String name;
    private final ReplicaSimulation sim;
    private final SplittableRandom random;
    private long nextSequence = 1;
    private long reads;
    private int attemptCounter;
    private Operation current;

    SimClient(int index, long clientId, ReplicaSimulation sim, SplittableRandom random) {
        this.index = index;
        this.clientId = clientId;
        this.name = "client-" + index;
        this.sim = sim;
        this.random = random;
    }

    long clientId() {
        return clientId;
    }

    /** @return whether an operation is in progress */
    boolean busy() {
        return current != null;
    }

    void start() {
        scheduleNext();
    }

    private void scheduleNext() {
        sim.events().after(1 + random.nextLong(2 * sim.scenario().config().thinkMillis()), this::next);
    }

    /** Invokes the next operation, unless the traffic phase is over. */
    private void next() {
        if (!sim.trafficOn() || current != null) {
            return;
        }
        ReplicaRunConfig config = sim.scenario().config();
        boolean read = sim.workload().queries() != null && random.nextInt(100) < config.readPercent();
        if (read) {
            reads++;
            ReadConsistency consistency = random.nextInt(100) < config.stalePercent() ? ReadConsistency.STALE
                    : ReadConsistency.LINEARIZABLE;
            byte[] query = sim.workload().queries().apply(random);
            current = new Operation(new ClientRequest(ClientRequest.Kind.QUERY, clientId, reads, 1, consistency, query),
                    sim.events().now());
            sim.record(new ReplicaEvent.ReadInvoked(clientId, reads, consistency));
        } else {
            long sequence = nextSequence++;
            byte[] command = sim.workload().commands().apply(random, index);
            // One command at a time: every earlier one is answered, so this is the first unacknowledged.
            current = new Operation(new ClientRequest(ClientRequest.Kind.COMMAND, clientId, sequence, sequence,
                    ReadConsistency.LINEARIZABLE, command), sim.events().now());
        }
        send(current, null);
    }

    /** Sends the operation to a replica other than {@code avoid}, and arms the timeout. */
    private void send(Operation op, String avoid) {
        List<ReplicaNode> nodes = sim.nodes();
        ReplicaNode target = nodes.get(random.nextInt(nodes.size()));
        if (target.name().equals(avoid) && nodes.size() > 1) {
            target = nodes.get((nodes.indexOf(target) + 1 + random.nextInt(nodes.size() - 1)) % nodes.size());
        }
        int attempt = ++attemptCounter;
        op.attempts++;
        op.currentAttempt = attempt;
        op.target = target.name();
        if (!target.up()) {
            // Connection refused: the client learns at once and tries elsewhere.
            failover(op, attempt);
            return;
        }
        ReplicaNode to = target;
        sim.network().send(name, to.name(), new byte[0], b -> {
            if (op.command()) {
                to.command(op.request, answer -> reply(to, op, attempt, answer));
            } else {
                to.query(op.request, answer -> reply(to, op, attempt, answer));
            }
        });
        sim.events().after(sim.scenario().config().clientTimeoutMillis(), () -> {
            if (current == op && op.currentAttempt == attempt) {
                send(op, op.target);
            }
        });
    }

    private void reply(ReplicaNode from, Operation op, int attempt, ReplicaNode.Answer answer) {
        sim.network().send(from.name(), name, new byte[0], b -> onAnswer(op, attempt, answer));
    }

    /** The replica this client is talking to crashed: the connection drops. */
    void connectionLost(String replicaName) {
        if (current != null && replicaName.equals(current.target)) {
            failover(current, current.currentAttempt);
        }
    }

    private void failover(Operation op, int attempt) {
        sim.events().after(10 + random.nextInt(40), () -> {
            if (current == op && op.currentAttempt == attempt) {
                send(op, op.target);
            }
        });
    }

    private void onAnswer(Operation op, int attempt, ReplicaNode.Answer answer) {
        if (current != op) {
            return; // a late or duplicated answer to an operation already completed
        }
        ResponseStatus status = answer.response().status();
        if (status.retriable()) {
            if (op.currentAttempt == attempt) {
                failover(op, attempt);
            }
            return;
        }
        if (op.command()) {
            if (status == ResponseStatus.OK) {
                sim.record(new ReplicaEvent.Acknowledged(clientId, op.request.sequence(), answer.replica(),
                        answer.appliedIndex()));
                sim.acknowledged();
            } else if (status != ResponseStatus.APPLICATION_ERROR) {
                sim.record(new ReplicaEvent.UnexpectedAnswer(clientId, op.request.sequence(), status,
                        new String(answer.response().payload(), StandardCharsets.UTF_8)));
            }
        } else if (status == ResponseStatus.OK) {
            sim.record(new ReplicaEvent.ReadAnswered(clientId, op.request.sequence(), answer.replica(),
                    answer.appliedIndex()));
            sim.readAnswered(op.request.consistency());
        }
        current = null;
        scheduleNext();
    }

    /** Records the operation still in progress, if any, at the end of the run. */
    void recordOutstanding() {
        if (current != null) {
            sim.record(new ReplicaEvent.Outstanding(clientId, current.toString() + " (last sent to " + current.target + ")",
                    current.attempts, current.invokedAt));
        }
    }
}
