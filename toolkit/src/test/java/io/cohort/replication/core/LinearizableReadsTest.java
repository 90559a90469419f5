package io.cohort.replication.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LinearizableReadsTest {

    @Test
    void readsThatArriveDuringARoundWaitForTheNextOne() {
        LinearizableReads<String> reads = new LinearizableReads<>();
        long first = reads.add("r1");
        assertThat(first).isPositive();
        assertThat(reads.add("r2")).isZero();
        assertThat(reads.add("r3")).isZero();
        assertThat(reads.finish(first + 1)).isEmpty();
        assertThat(reads.finish(first)).containsExactly("r1");
        long second = reads.next();
        assertThat(second).isGreaterThan(first);
        assertThat(reads.next()).isZero();
        assertThat(reads.finish(second)).containsExactly("r2", "r3");
        assertThat(reads.next()).isZero();
    }

    @Test
    void takeAllEmptiesEverything() {
        LinearizableReads<String> reads = new LinearizableReads<>();
        reads.add("a");
        reads.add("b");
        assertThat(reads.takeAll()).containsExactly("a", "b");
        assertThat(reads.next()).isZero();
        assertThat(reads.add("c")).isPositive();
    }
}
