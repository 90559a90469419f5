package io.cohort.benchmarks.recovery;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The copy-on-write capture writes exactly the state at the capture point, whatever is applied after it. */
class CowPagedCountersTest {

    private static final int PAGES = 8;
    private static final int LONGS = 4;

    @Test
    void aCaptureWritesTheStateAtTheCapturePointAndLaterAppliesAreKept() throws IOException {
        CowPagedCounters cow = new CowPagedCounters(PAGES, LONGS);
        PagedCounters plain = new PagedCounters(PAGES, LONGS);
        Random random = new Random(42);
        byte[] command = new byte[16];
        for (int i = 0; i < 100; i++) {
            int index = random.nextInt(PAGES * LONGS);
            cow.apply(null, PagedCounters.command(index, command));
            plain.apply(null, PagedCounters.command(index, command));
        }
        byte[] atCapture = snapshot(plain);
        CowPagedCounters.CapturedSnapshot first = cow.captureSnapshot();
        for (int i = 0; i < 100; i++) {
            int index = random.nextInt(PAGES * LONGS);
            cow.apply(null, PagedCounters.command(index, command));
            plain.apply(null, PagedCounters.command(index, command));
        }
        byte[] atSecondCapture = snapshot(plain);
        CowPagedCounters.CapturedSnapshot second = cow.captureSnapshot();
        for (int i = 0; i < PAGES * LONGS; i++) {
            cow.apply(null, PagedCounters.command(i, command));
            plain.apply(null, PagedCounters.command(i, command));
        }

        assertThat(written(first)).isEqualTo(atCapture);
        assertThat(written(second)).isEqualTo(atSecondCapture);
        assertThat(snapshot(cow)).isEqualTo(snapshot(plain));
        assertThat(cow.copiedBytes()).isPositive();
    }

    @Test
    void aRestoredStateIsWrittenOnlyThroughCopies() throws IOException {
        PagedCounters source = new PagedCounters(PAGES, LONGS);
        byte[] command = new byte[5];
        source.apply(null, PagedCounters.command(3, command));
        CowPagedCounters cow = new CowPagedCounters(PAGES, LONGS);
        cow.captureSnapshot();
        cow.restoreSnapshot(new ByteArrayInputStream(snapshot(source)));
        CowPagedCounters.CapturedSnapshot captured = cow.captureSnapshot();
        cow.apply(null, PagedCounters.command(3, command));

        assertThat(cow.get(3)).isEqualTo(2);
        assertThat(written(captured)).isEqualTo(snapshot(source));
    }

    private static byte[] snapshot(PagedCounters machine) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        machine.writeSnapshot(out);
        return out.toByteArray();
    }

    private static byte[] written(CowPagedCounters.CapturedSnapshot captured) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        captured.writeTo(out);
        return out.toByteArray();
    }
}
