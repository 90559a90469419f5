package io.cohort.replication.core;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EntryCodecTest {

    @Test
    void everyKindRoundTrips() {
        List<Entry> entries = List.of(
                new Entry.Command(1, 2, 1, 99, new byte[] {1, 2, 3}),
                new Entry.Request(-5, 7, 7, 0, new byte[0]),
                new Entry.Update(3, 9, 4, 12, false, new byte[] {9}),
                new Entry.Update(3, 10, 4, 12, true, "boom".getBytes()),
                new Entry.HashReport(1000, 0xdeadbeefL));
        for (Entry e : entries) {
            Entry back = EntryCodec.decode(EntryCodec.encode(e));
            assertThat(back).usingRecursiveComparison().isEqualTo(e);
        }
    }

    @Test
    void malformedEntriesAreRefused() {
        byte[] good = EntryCodec.encode(new Entry.Command(1, 2, 1, 99, new byte[] {1}));
        assertThatThrownBy(() -> EntryCodec.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EntryCodec.decode(Arrays.copyOf(good, 20))).hasMessageContaining("truncated");
        byte[] unknown = good.clone();
        unknown[0] = 42;
        assertThatThrownBy(() -> EntryCodec.decode(unknown)).hasMessageContaining("unknown entry type");
        byte[] zeroSeq = EntryCodec.encode(new Entry.Command(1, 2, 1, 99, new byte[0]));
        Arrays.fill(zeroSeq, 9, 17, (byte) 0);
        assertThatThrownBy(() -> EntryCodec.decode(zeroSeq)).hasMessageContaining("sequence");
        byte[] longHash = Arrays.copyOf(EntryCodec.encode(new Entry.HashReport(1, 2)), 18);
        assertThatThrownBy(() -> EntryCodec.decode(longHash)).hasMessageContaining("trailing");
    }
}
