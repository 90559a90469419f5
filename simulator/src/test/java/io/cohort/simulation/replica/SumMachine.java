package io.cohort.simulation.replica;

import io.cohort.api.CommandContext;
import io.cohort.api.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

/** A tiny deterministic machine for the simulator's own tests: a running sum and a command count. */
final class SumMachine implements StateMachine {

    long sum;
    long count;

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        sum += ByteBuffer.wrap(command).getLong();
        count++;
        return ByteBuffer.allocate(Long.BYTES).putLong(sum).array();
    }

    @Override
    public byte[] query(byte[] query) {
        return ByteBuffer.allocate(Long.BYTES).putLong(sum).array();
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeLong(sum);
        d.writeLong(count);
        d.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        sum = d.readLong();
        count = d.readLong();
    }

    static byte[] add(SplittableRandom random) {
        return ByteBuffer.allocate(Long.BYTES).putLong(random.nextInt(100)).array();
    }

    static ReplicaWorkload workload() {
        return new ReplicaWorkload(SumMachine::new, m -> (context, request) -> request,
                (random, client) -> add(random), random -> new byte[0],
                List.of(new Invariant("sum is non-negative", m -> ((SumMachine) m).sum >= 0)), true);
    }
}
