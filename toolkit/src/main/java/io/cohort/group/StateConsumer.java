package io.cohort.group;

import java.io.IOException;
import java.io.InputStream;

/**
 * Installs the state a joining member receives. Called on the application executor before the
 * joiner's first {@link GroupListener#onView}; the state reflects exactly the deliveries before
 * that view.
 *
 * <p>The stream is fed while the state arrives: the call starts with the first chunk and reads the
 * rest as the donor sends it, so a state of any size passes through a few megabytes of memory (the
 * joiner stops reading the network while the consumer is behind, and the donor waits for it). The
 * call therefore occupies the application executor for the whole transfer: a donor and a joiner
 * must not share one single-threaded executor.
 *
 * <p>A transfer can be abandoned half-way (the donor fails, the member is excluded or closes):
 * {@code in} then throws an {@link IOException}, and the consumer may be called again later with a
 * new stream from the start. It must not leave half a state behind as if it were whole.
 */
@FunctionalInterface
public interface StateConsumer {

    /**
     * @param in the state as the donor's {@link StateProvider} wrote it
     * @throws IOException if the state cannot be read; the member then leaves the group (unless the
     *                     transfer was abandoned, in which case nothing more happens)
     */
    void readState(InputStream in) throws IOException;
}
