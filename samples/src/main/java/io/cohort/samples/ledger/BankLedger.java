package io.cohort.samples.ledger;

import io.cohort.api.CommandContext;
import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A replicated bank ledger: {@value #ACCOUNTS} accounts that start with {@value #INITIAL_BALANCE}
 * each, and one command, {@link #transfer(int, int, long) transfer(from, to, amount)}, which moves
 * money between two accounts or is refused when the payer cannot afford it. Money is never created
 * or destroyed, so the total stays {@link #INITIAL_TOTAL} and no balance goes negative: the two
 * invariants its test kit test checks at every replica.
 *
 * <p>Deterministic, as a {@link StateMachine} must be: the result of a command depends only on the
 * state and the command, and the snapshot writes the balances in account order. A transfer may
 * carry a fee to the house account 0 ({@link #fee}); this ledger charges none.
 *
 * <p>Commands and queries are small binary messages built by the static methods: a type byte, then
 * fixed-width fields.
 */
public class BankLedger implements StateMachine {

    /** Number of accounts, numbered 0 to ACCOUNTS - 1; account 0 is the house account. */
    public static final int ACCOUNTS = 8;
    /** What each account holds at the start. */
    public static final long INITIAL_BALANCE = 1_000;
    /** What the ledger holds in all, always. */
    public static final long INITIAL_TOTAL = ACCOUNTS * INITIAL_BALANCE;

    private static final byte TRANSFER = 'T';
    private static final byte REFUSAL = 'N';
    private static final byte BALANCE = 'B';
    private static final byte TOTAL = 'S';
    private static final byte[] REFUSED = "refused".getBytes(StandardCharsets.US_ASCII);

    private final long[] balances = new long[ACCOUNTS];
    private long transfers;

    /** Creates a ledger in its initial state. */
    public BankLedger() {
        Arrays.fill(balances, INITIAL_BALANCE);
    }

    // ------------------------------------------------------------------ commands and queries

    /**
     * @param from   the paying account
     * @param to     the receiving account
     * @param amount how much, at least 1
     * @return the command moving {@code amount} from {@code from} to {@code to}
     */
    public static byte[] transfer(int from, int to, long amount) {
        return ByteBuffer.allocate(1 + 2 * Integer.BYTES + Long.BYTES).put(TRANSFER).putInt(from).putInt(to)
                .putLong(amount).array();
    }

    /**
     * @param random where to draw from
     * @return a transfer between two different random accounts, of up to 600 (so that overdrafts,
     *         and their refusal, are common)
     */
    public static byte[] randomTransfer(SplittableRandom random) {
        int from = random.nextInt(ACCOUNTS);
        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        return transfer(from, to, 1 + random.nextInt(600));
    }

    /**
     * @param account an account
     * @return the query for its balance (answer: 8 bytes)
     */
    public static byte[] balanceQuery(int account) {
        return ByteBuffer.allocate(1 + Integer.BYTES).put(BALANCE).putInt(account).array();
    }

    /** @return the query for the total of all balances (answer: 8 bytes) */
    public static byte[] totalQuery() {
        return new byte[] {TOTAL};
    }

    /**
     * @param random where to draw from
     * @return a balance query for a random account, or (one time in four) the total
     */
    public static byte[] randomQuery(SplittableRandom random) {
        return random.nextInt(4) == 0 ? totalQuery() : balanceQuery(random.nextInt(ACCOUNTS));
    }

    /**
     * @param answer the answer to a balance or total query
     * @return the amount
     */
    public static long amountOf(byte[] answer) {
        return ByteBuffer.wrap(answer).getLong();
    }

    // ------------------------------------------------------------------ the state machine

    /**
     * Applies a transfer: refused (result "refused") if the payer's balance does not cover the
     * amount and its fee; otherwise moves the money and answers the payer's new balance.
     *
     * @throws IllegalArgumentException for a malformed command (the same at every replica)
     */
    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        ByteBuffer b = ByteBuffer.wrap(command);
        byte type = b.get();
        if (type == REFUSAL) {
            return REFUSED; // primary-backup: the primary already refused it
        }
        if (type != TRANSFER || command.length != 1 + 2 * Integer.BYTES + Long.BYTES) {
            throw new IllegalArgumentException("not a ledger command");
        }
        int from = b.getInt();
        int to = b.getInt();
        long amount = b.getLong();
        if (!valid(from) || !valid(to) || from == to || amount < 1) {
            throw new IllegalArgumentException("bad transfer " + from + " -> " + to + " of " + amount);
        }
        long fee = fee(context, from, to, amount);
        if (balances[from] < amount + fee) {
            return REFUSED;
        }
        balances[from] -= amount + fee;
        balances[to] += amount;
        balances[0] += fee;
        transfers++;
        return ByteBuffer.allocate(Long.BYTES).putLong(balances[from]).array();
    }

    /**
     * The fee for a transfer, paid by the payer to the house account 0. Must be a function of
     * the replicated state, the command and the context only.
     *
     * @param context the command's context
     * @param from    the payer
     * @param to      the payee
     * @param amount  the amount
     * @return the fee; this ledger charges none
     */
    protected long fee(CommandContext context, int from, int to, long amount) {
        return 0;
    }

    @Override
    public byte[] query(byte[] query) {
        ByteBuffer b = ByteBuffer.wrap(query);
        byte type = b.get();
        if (type == TOTAL) {
            return ByteBuffer.allocate(Long.BYTES).putLong(total()).array();
        }
        if (type == BALANCE && query.length == 1 + Integer.BYTES) {
            int account = b.getInt();
            if (valid(account)) {
                return ByteBuffer.allocate(Long.BYTES).putLong(balances[account]).array();
            }
        }
        throw new IllegalArgumentException("not a ledger query");
    }

    /** Writes the balances in account order, then the transfer count: the same bytes at every replica. */
    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(ACCOUNTS);
        for (long balance : balances) {
            data.writeLong(balance);
        }
        data.writeLong(transfers);
        data.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int accounts = data.readInt();
        if (accounts != ACCOUNTS) {
            throw new IOException("a ledger snapshot of " + accounts + " accounts, expected " + ACCOUNTS);
        }
        for (int i = 0; i < ACCOUNTS; i++) {
            balances[i] = data.readLong();
        }
        transfers = data.readLong();
    }

    // ------------------------------------------------------------------ primary-backup and coordinator-cohort

    /**
     * The executor for primary-backup and coordinator-cohort modes: checks the payer's balance
     * against this replica's state and turns the request into either the transfer itself or a
     * refusal. The transfer is checked again when applied, since in coordinator-cohort mode other
     * handlers' transfers may be applied in between.
     *
     * @return the executor, reading this ledger
     */
    public RequestExecutor executor() {
        return (context, request) -> {
            ByteBuffer b = ByteBuffer.wrap(request);
            if (b.get() == TRANSFER && request.length == 1 + 2 * Integer.BYTES + Long.BYTES) {
                int from = b.getInt();
                b.getInt();
                long amount = b.getLong();
                if (valid(from) && balances[from] < amount) {
                    return new byte[] {REFUSAL};
                }
            }
            return request;
        };
    }

    // ------------------------------------------------------------------ inspection, for invariants

    /**
     * @param account an account
     * @return its balance
     */
    public long balance(int account) {
        return balances[account];
    }

    /** @return the sum of all balances */
    public long total() {
        long sum = 0;
        for (long balance : balances) {
            sum += balance;
        }
        return sum;
    }

    /** @return the lowest balance */
    public long lowestBalance() {
        return Arrays.stream(balances).min().orElse(0);
    }

    /** @return transfers applied (not refused) so far */
    public long transfersApplied() {
        return transfers;
    }

    private static boolean valid(int account) {
        return account >= 0 && account < ACCOUNTS;
    }
}
