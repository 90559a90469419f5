package io.cohort.integration.node;

import io.cohort.api.MemberId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Test payloads carry their message id, padded to the configured size. */
class PayloadsTest {

    @Test
    void idSurvivesPaddingAndNamesItsRequester() {
        MemberId m = MemberId.of("n1", 1764000000123L);
        String id = Payloads.messageId(m, 42);
        assertThat(id).isEqualTo("n1#1764000000123:42");
        byte[] payload = Payloads.encode(id, 1024);
        assertThat(payload).hasSize(1024);
        assertThat(Payloads.decode(payload)).isEqualTo(id);
        assertThat(Payloads.requester(id)).isEqualTo(m);
    }

    @Test
    void aSizeSmallerThanTheIdKeepsTheWholeId() {
        byte[] payload = Payloads.encode("n2#7:1", 3);
        assertThat(Payloads.decode(payload)).isEqualTo("n2#7:1");
    }
}
