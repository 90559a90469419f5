package io.cohort.replication.core;

import io.cohort.replication.core.SessionTable.Verdict;
import io.cohort.replication.wire.ResponseStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SessionTableTest {

    private static StoredResult ok(String s) {
        return new StoredResult(ResponseStatus.OK, s.getBytes());
    }

    @Test
    void classifiesNewDuplicateForgottenAndExpiredCommands() {
        SessionTable t = new SessionTable(1_000, 10);
        assertThat(t.classify(1, 1, 1)).isEqualTo(Verdict.NEW);
        t.record(1, 1, 1, 100, ok("a"));
        assertThat(t.classify(1, 1, 1)).isEqualTo(Verdict.DUPLICATE);
        assertThat(new String(t.result(1, 1).payload())).isEqualTo("a");
        // Command 2 says command 1 was acknowledged: its result may go.
        t.record(1, 2, 2, 200, ok("b"));
        assertThat(t.classify(1, 1, 1)).isEqualTo(Verdict.FORGOTTEN);
        assertThat(t.classify(1, 2, 2)).isEqualTo(Verdict.DUPLICATE);
        // An unknown client that has had answers before lost its session.
        assertThat(t.classify(2, 5, 4)).isEqualTo(Verdict.EXPIRED);
        assertThat(t.classify(2, 3, 1)).isEqualTo(Verdict.NEW);
    }

    @Test
    void sessionsExpireByLogicalTimeAndTheCapEvictsTheLeastRecentlyUsed() {
        SessionTable t = new SessionTable(1_000, 2);
        t.record(1, 1, 1, 0, ok("x"));
        t.record(2, 1, 1, 500, ok("y"));
        t.touch(1, 1, 600);
        t.record(3, 1, 1, 700, ok("z"));
        // The cap is 2: client 2, least recently used, went first (client 1 was touched after it).
        assertThat(t.classify(2, 1, 1)).isEqualTo(Verdict.NEW);
        assertThat(t.classify(1, 1, 1)).isEqualTo(Verdict.DUPLICATE);
        t.record(4, 1, 1, 1_650, ok("w"));
        // Client 1 was last active at 600: more than 1000 ms of logical time before 1650.
        assertThat(t.classify(1, 1, 1)).isEqualTo(Verdict.NEW);
        assertThat(t.classify(3, 1, 1)).isEqualTo(Verdict.DUPLICATE);
    }

    @Test
    void lookupsDoNotChangeTheReplicatedOrder() throws IOException {
        SessionTable a = new SessionTable(1_000, 2);
        SessionTable b = new SessionTable(1_000, 2);
        for (SessionTable t : new SessionTable[] {a, b}) {
            t.record(1, 1, 1, 0, ok("x"));
            t.record(2, 1, 1, 10, ok("y"));
        }
        // Replica a answers a duplicate of client 1 locally; b never sees it. Lookups must not reorder.
        a.classify(1, 1, 1);
        a.result(1, 1);
        a.record(3, 1, 1, 20, ok("z"));
        b.record(3, 1, 1, 20, ok("z"));
        assertThat(bytes(a)).isEqualTo(bytes(b));
    }

    @Test
    void aRestoredTableBehavesLikeTheOriginal() throws IOException {
        SessionTable original = new SessionTable(1_000, 3);
        original.record(7, 1, 1, 10, ok("a"));
        original.record(8, 4, 2, 20, new StoredResult(ResponseStatus.APPLICATION_ERROR, "boom".getBytes()));
        original.record(7, 2, 1, 30, ok("b"));
        SessionTable copy = new SessionTable(1_000, 3);
        copy.readFrom(new DataInputStream(new ByteArrayInputStream(bytes(original))));
        assertThat(bytes(copy)).isEqualTo(bytes(original));
        assertThat(copy.result(8, 4).status()).isEqualTo(ResponseStatus.APPLICATION_ERROR);
        original.record(9, 1, 1, 1_025, ok("c"));
        copy.record(9, 1, 1, 1_025, ok("c"));
        assertThat(bytes(copy)).isEqualTo(bytes(original));
        assertThat(copy.classify(7, 1, 1)).isEqualTo(Verdict.DUPLICATE);
        assertThat(copy.classify(8, 4, 2)).as("idle for more than 1000 ms of logical time").isEqualTo(Verdict.EXPIRED);
    }

    @Test
    void aCorruptTableIsRefused() {
        byte[] bad = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1, -1, -1, -1};
        assertThatThrownBy(() -> new SessionTable(1, 1).readFrom(new DataInputStream(new ByteArrayInputStream(bad))))
                .isInstanceOf(IOException.class).hasMessageContaining("negative");
    }

    private static byte[] bytes(SessionTable t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.writeTo(new DataOutputStream(out));
        return out.toByteArray();
    }
}
