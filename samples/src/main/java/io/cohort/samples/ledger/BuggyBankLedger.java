package io.cohort.samples.ledger;

import io.cohort.api.CommandContext;

/**
 * A deliberately wrong {@link BankLedger}, for showing (and testing) that the test kit catches
 * what ordinary unit tests miss. It charges a fee of 1 on every 8th transfer, paid to the house
 * account, so money is still conserved and no invariant breaks. The bug: it counts transfers in a
 * field of its own that is not part of its snapshot, instead of using the replicated
 * {@link CommandContext#index()}. Every replica that started with the group counts the same, so
 * without faults all replicas agree; but a replica that joins or restarts gets its state by
 * snapshot and starts counting from zero, charges fees on different transfers, and its state
 * diverges. Only replica agreement can see it.
 */
public final class BuggyBankLedger extends BankLedger {

    /** Transfers this replica applied since it was created: not replicated, not in the snapshot. */
    private long seenHere;

    /** Creates a ledger in its initial state. */
    public BuggyBankLedger() {
    }

    @Override
    protected long fee(CommandContext context, int from, int to, long amount) {
        return ++seenHere % 8 == 0 ? 1 : 0;
    }
}
