package io.cohort.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The donor's window over a joiner's unacknowledged state bytes. */
class StateSendWindowTest {

    @Test
    void theWriterWaitsWhileTheWindowIsFullAndGoesOnWhenTheJoinerAcknowledges() throws Exception {
        StateSendWindow window = new StateSendWindow(100);
        assertThat(window.awaitRoom(0)).isTrue();
        window.handedOver(60);
        assertThat(window.awaitRoom(0)).as("60 of 100 unacknowledged").isTrue();
        window.handedOver(60);
        assertThat(window.awaitRoom(0)).as("120 of 100 unacknowledged").isFalse();

        CompletableFuture<Boolean> writer = CompletableFuture.supplyAsync(() -> {
            try {
                return window.awaitRoom(60_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // The protocol thread's figure after an acknowledgement wakes the waiting writer.
        window.unacknowledged(40);
        assertThat(writer.get(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theLinksFigureReplacesTheWritersCount() throws Exception {
        StateSendWindow window = new StateSendWindow(100);
        window.handedOver(500);
        assertThat(window.awaitRoom(0)).isFalse();
        window.unacknowledged(0);
        assertThat(window.awaitRoom(0)).isTrue();
    }
}
