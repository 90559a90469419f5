package io.cohort.group;

import java.io.IOException;
import java.io.InputStream;

/**
 * Installs the state a joining member receives. Called on the application executor before the
 * joiner's first {@link GroupListener#onView}; the state reflects exactly the deliveries before
 * that view.
 */
@FunctionalInterface
public interface StateConsumer {

    /**
     * @param in the state as the donor's {@link StateProvider} wrote it
     * @throws IOException if the state cannot be read; the member then leaves the group
     */
    void readState(InputStream in) throws IOException;
}
